"""Public API (no authentication): the same published snapshots the portal shows (architecture rule 8).

Mounted at /api/v1/public. Only current snapshots are returned; an unknown, superseded, withdrawn or unpublished
id is a 404 JSON error (handled in `zhifa.api`). Lists are paginated with `limit`/`offset`.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Field, Query, Router, Schema

from zhifa.common.http import svg_response
from zhifa.common.paging import MAX_OFFSET, OFFSET_HELP
from zhifa.disclosure import selectors
from zhifa.disclosure.models import EntryKind, PublicEntry

router = Router(tags=["public"])

MAX_LIMIT = 200

# The kinds as an OpenAPI enum (values are the stable codes, labels are given by `kind_label`).
Kind = Enum("Kind", {k.name: k.value for k in EntryKind}, type=str)  # type: ignore[misc]


class AgencyRef(Schema):
    id: UUID = Field(description="执法主体的公开标识（长期不变）")
    name: str


class PublicAgencyOut(Schema):
    id: UUID = Field(description="执法主体的公开标识（长期不变）")
    name: str
    kind: str = Field(description="主体类别")
    level: str = Field(description="层级")
    sector: str = Field(description="执法领域")
    region: str = Field(description="行政区划")
    entry_id: UUID = Field(description="当前主体信息公开条目的标识")
    version: int
    published_at: datetime

    @staticmethod
    def _body(obj: PublicEntry, key: str) -> str:
        body = obj.body if isinstance(obj.body, dict) else {}
        return str(body.get(key) or "")

    @staticmethod
    def resolve_id(obj: PublicEntry) -> UUID:
        return obj.agency_key  # type: ignore[attr-defined]

    @staticmethod
    def resolve_name(obj: PublicEntry) -> str:
        return obj.title

    @staticmethod
    def resolve_kind(obj: PublicEntry) -> str:
        return PublicAgencyOut._body(obj, "kind")

    @staticmethod
    def resolve_level(obj: PublicEntry) -> str:
        return PublicAgencyOut._body(obj, "level")

    @staticmethod
    def resolve_sector(obj: PublicEntry) -> str:
        return PublicAgencyOut._body(obj, "sector")

    @staticmethod
    def resolve_region(obj: PublicEntry) -> str:
        return PublicAgencyOut._body(obj, "region")

    @staticmethod
    def resolve_entry_id(obj: PublicEntry) -> UUID:
        return obj.public_id


class SectionCount(Schema):
    kind: Kind
    kind_label: str
    count: int


class PublicAgencyDetailOut(PublicAgencyOut):
    body: dict[str, Any] = Field(description="公开的主体信息（含内设机构、职权依据、委托、救济途径和投诉举报渠道）")
    sections: list[SectionCount]


class PublicAgencyPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[PublicAgencyOut]


class EntryOut(Schema):
    public_id: UUID
    kind: Kind
    kind_label: str
    agency: AgencyRef
    title: str
    version: int
    published_at: datetime

    @staticmethod
    def resolve_kind_label(obj: PublicEntry) -> str:
        return str(EntryKind(obj.kind).label)

    @staticmethod
    def resolve_agency(obj: PublicEntry) -> dict[str, Any]:
        return {"id": obj.agency_key, "name": obj.agency_name}  # type: ignore[attr-defined]


class EntryDetailOut(EntryOut):
    body: dict[str, Any] = Field(description="公开内容（发布时按字段白名单生成的快照）")
    flowchart_url: str | None = Field(None, description="办理流程图（SVG），仅权责清单事项和服务指南")


class EntryPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[EntryOut]


class PageParams(Schema):
    limit: int = Field(50, ge=1, le=MAX_LIMIT, description="每页条数")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description=OFFSET_HELP)


class EntryFilterParams(PageParams):
    kind: Kind | None = Field(None, description="按类别筛选")
    agency: UUID | None = Field(None, description="按执法主体（公开标识）筛选")
    q: str = Field("", max_length=100, description="关键词（中文分词检索，按相关程度排序，最多返回 200 条）")


class DecisionOut(EntryOut):
    decision_number: str = Field(description="决定书文号")
    decided_on: str = Field(description="决定日期")
    category: str = Field(description="执法类别")
    target: str = Field(description="执法对象（自然人姓名已脱敏）")
    penalty_kinds: list[str] = Field(description="处罚种类")
    sector: str = Field(description="执法领域")

    @staticmethod
    def _b(obj: PublicEntry) -> dict[str, Any]:
        return obj.body if isinstance(obj.body, dict) else {}

    @staticmethod
    def resolve_decision_number(obj: PublicEntry) -> str:
        return str(DecisionOut._b(obj).get("decision_number") or "")

    @staticmethod
    def resolve_decided_on(obj: PublicEntry) -> str:
        return str(DecisionOut._b(obj).get("decided_on") or "")

    @staticmethod
    def resolve_category(obj: PublicEntry) -> str:
        return str(DecisionOut._b(obj).get("category") or "")

    @staticmethod
    def resolve_target(obj: PublicEntry) -> str:
        return str(DecisionOut._b(obj).get("target") or "")

    @staticmethod
    def resolve_penalty_kinds(obj: PublicEntry) -> list[str]:
        return [str(k) for k in DecisionOut._b(obj).get("penalty_kinds") or []]

    @staticmethod
    def resolve_sector(obj: PublicEntry) -> str:
        return str(DecisionOut._b(obj).get("sector") or "")


class DecisionDetailOut(DecisionOut):
    body: dict[str, Any] = Field(description="公开内容：DISC-12 字段和脱敏后的决定书全文（text）")


class DecisionPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[DecisionOut]


class DecisionFilterParams(PageParams):
    agency: UUID | None = Field(None, description="按执法主体（公开标识）筛选")
    year: int | None = Field(None, ge=2000, le=2100, description="决定年度")
    sector: str | None = Field(None, max_length=16, description="执法领域代码")
    penalty_kind: str | None = Field(None, max_length=32, description="处罚种类代码，如 fine、warning")
    q: str = Field("", max_length=100, description="关键词（中文分词检索，按相关程度排序，最多返回 200 条）")


@router.get("/decisions", response=DecisionPage, summary="行政执法决定列表与检索")
def decision_list(request: HttpRequest, params: Query[DecisionFilterParams]) -> dict[str, Any]:
    filters = selectors.EntryFilters(kind=EntryKind.DECISION, agency_key=params.agency, year=params.year,
                                     sector=params.sector or None, penalty_kind=params.penalty_kind or None)
    query = params.q.strip()
    if query:
        hits = selectors.entry_search(query=query, filters=filters)
        return {"count": len(hits), "limit": params.limit, "offset": params.offset,
                "items": list(hits[params.offset : params.offset + params.limit])}
    qs = selectors.decision_list(filters=filters)
    return {"count": qs.count(), "limit": params.limit, "offset": params.offset,
            "items": list(qs[params.offset : params.offset + params.limit])}


@router.get("/decisions/{public_id}", response=DecisionDetailOut, summary="行政执法决定详情")
def decision_detail(request: HttpRequest, public_id: UUID) -> PublicEntry:
    entry = selectors.entry_get(public_id=public_id)
    if entry.kind != EntryKind.DECISION:
        raise Http404("not a decision")
    return entry


@router.get("/agencies", response=PublicAgencyPage, summary="执法主体列表")
def agency_list(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    qs = selectors.agency_list().defer("search_text")
    return {
        "count": qs.count(),
        "limit": params.limit,
        "offset": params.offset,
        "items": list(qs[params.offset : params.offset + params.limit]),
    }


@router.get("/agencies/{agency_id}", response=PublicAgencyDetailOut, summary="执法主体详情")
def agency_detail(request: HttpRequest, agency_id: UUID) -> PublicEntry:
    agency = selectors.agency_get(agency_key=agency_id)
    counts = selectors.agency_section_counts(agency_id=agency.agency_id)
    agency.sections = [  # type: ignore[attr-defined]
        {"kind": k.value, "kind_label": str(k.label), "count": counts.get(k.value, 0)}
        for k in EntryKind
        if k != EntryKind.AGENCY
    ]
    return agency


@router.get("/entries", response=EntryPage, summary="公开信息列表与检索")
def entry_list(request: HttpRequest, params: Query[EntryFilterParams]) -> dict[str, Any]:
    filters = selectors.EntryFilters(kind=params.kind.value if params.kind else None, agency_key=params.agency)
    query = params.q.strip()
    results: Any = (
        selectors.entry_search(query=query, filters=filters) if query else selectors.entry_browse(filters=filters)
    )
    count = len(results) if query else results.count()
    return {
        "count": count,
        "limit": params.limit,
        "offset": params.offset,
        "items": list(results[params.offset : params.offset + params.limit]),
    }


@router.get("/entries/{public_id}", response=EntryDetailOut, summary="公开信息详情")
def entry_detail(request: HttpRequest, public_id: UUID) -> PublicEntry:
    entry = selectors.entry_get(public_id=public_id)
    entry.flowchart_url = (  # type: ignore[attr-defined]
        reverse("api-v1:public_entry_flowchart", args=[entry.public_id]) if selectors.entry_steps(entry) else None
    )
    return entry


@router.get(
    "/entries/{public_id}/flowchart.svg",
    url_name="public_entry_flowchart",
    summary="办理流程图（SVG）",
    openapi_extra={"responses": {"200": {"description": "SVG 图像", "content": {"image/svg+xml": {}}}}},
)
def entry_flowchart(request: HttpRequest, public_id: UUID) -> HttpResponse:
    svg, filename = selectors.entry_flowchart_svg(public_id=public_id)  # the same image the portal serves
    return svg_response(svg, filename=filename)


class EntryProofOut(Schema):
    public_id: UUID
    kind: str
    version: int
    action: str = Field(description="最近一次公示操作：publish 发布、correct 更正、withdraw 撤回、expire 公示期满")
    snapshot_sha256: str = Field(description="该版本公开内容（规范化 JSON）的 SHA-256")
    status: str = Field(description="included：已在最新签名检查点中；pending：等待下一次签名")
    log_origin: str
    log_public_key: str = Field(description="日志公钥（C2SP vkey）")
    leaf_index: int = Field(description="账本条目序号（RFC 6962 叶序号）")
    leaf_hash: str = Field(description="叶哈希（十六进制）")
    canonical: str = Field(description="账本条目的规范化 JSON 原文（叶哈希的输入）")
    tree_size: int | None
    root_hash: str | None = Field(description="检查点根哈希（base64）")
    inclusion_proof: list[str] = Field(description="RFC 6962 包含证明（base64）")
    checkpoint: str | None = Field(description="已签名检查点（C2SP signed note）")


@router.get("/entries/{public_id}/proof", response=EntryProofOut, url_name="public_entry_proof",
            summary="公示历史的包含证明（RFC 6962）")
def entry_proof(request: HttpRequest, public_id: UUID) -> dict[str, Any]:
    """The inclusion proof of this published version's latest publication-history entry against the latest signed
    checkpoint (ADR 0045)."""
    return selectors.entry_proof(public_id=public_id)
