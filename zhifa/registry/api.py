"""Registry API for staff and other systems: list, read, create, change, review and publish every entry type.

Routes and schemas are generated from `entries.ENTRY_TYPES`, so the API, the UI and the services share one
description of each entry. References to other objects are their UUID `public_id`s.
"""


import datetime
import uuid
from decimal import Decimal
from types import GenericAlias
from typing import Any

from django.db.models import Model
from ninja import Field, Query, Router, Schema, Status
from ninja.security import django_auth
from pydantic import create_model

from zhifa.accounts.auth import ApiTokenAuth
from zhifa.accounts.http import AuthedRequest
from zhifa.common.errors import ServiceError
from zhifa.common.fields import model_field
from zhifa.common.paging import offset_query
from zhifa.registry import models as reg
from zhifa.registry import selectors, services
from zhifa.registry.entries import ENTRY_TYPES, EntryType

router = Router(tags=["登记信息（需令牌）"], auth=[ApiTokenAuth(), django_auth])


def _field_type(model: type[Model], name: str) -> Any:
    field = model_field(model, name)
    if field.many_to_many:
        return list[uuid.UUID]
    if field.is_relation:
        return uuid.UUID | None
    kind = field.get_internal_type()
    mapping: dict[str, Any] = {
        "BooleanField": bool, "DateField": datetime.date | None, "DecimalField": Decimal | None,
        "PositiveIntegerField": int | None, "PositiveSmallIntegerField": int | None, "IntegerField": int | None,
        "JSONField": list[str],
    }
    return mapping.get(kind, str)


def _input_schema(etype: EntryType, *, partial: bool) -> type[Schema]:
    fields: dict[str, Any] = {}
    if etype.parent and not partial:
        fields["parent"] = (uuid.UUID, Field(..., description=f"上级{ENTRY_TYPES[etype.parent].label}的 public_id"))
    for name in etype.fields:
        declared = model_field(etype.model, name)
        typ = _field_type(etype.model, name)
        required = (
            not partial and not declared.blank and not declared.has_default() and not declared.many_to_many
        )
        default = ... if required else None
        fields[name] = (typ if required else typ | None, Field(default, description=str(declared.verbose_name)))
    suffix = "Patch" if partial else "In"
    return create_model(f"{_camel(etype.slug)}{suffix}", __base__=Schema, **fields)


def _output_schema(etype: EntryType) -> type[Schema]:
    fields: dict[str, Any] = {"public_id": (uuid.UUID, ...)}
    if etype.parent:
        fields["parent"] = (uuid.UUID, ...)
    if etype.slug != "agency" and not etype.global_scope:
        fields["agency"] = (uuid.UUID, ...)
    for name in etype.fields:
        typ = _field_type(etype.model, name)
        fields[name] = (typ | None, None)
    if etype.publishable:
        fields.update(
            publication_status=(str, ...), published_version=(int, ...),
            reviewed_at=(datetime.datetime | None, None), published_at=(datetime.datetime | None, None),
        )
    if etype.slug == "benchmark":
        fields["version"] = (int, ...)
    return create_model(f"{_camel(etype.slug)}Out", __base__=Schema, **fields)


def _camel(slug: str) -> str:
    return "".join(part.capitalize() for part in slug.split("_"))


def _value(obj: Model, name: str) -> Any:
    field = model_field(type(obj), name)
    if field.many_to_many:
        return [x.public_id for x in getattr(obj, name).all()]
    if field.is_relation:
        related = getattr(obj, name)
        return related.public_id if related is not None else None
    return getattr(obj, name)


def serialize(etype: EntryType, obj: Model) -> dict[str, Any]:
    data: dict[str, Any] = {"public_id": obj.public_id}  # type: ignore[attr-defined]
    if etype.parent:
        data["parent"] = getattr(obj, etype.parent_field).public_id
    if etype.slug != "agency" and not etype.global_scope:
        data["agency"] = obj.agency.public_id if hasattr(obj, "agency") else getattr(
            obj, etype.parent_field).agency.public_id
    for name in etype.fields:
        data[name] = _value(obj, name)
    if isinstance(obj, reg.Publication):
        data.update(publication_status=obj.publication_status, published_version=obj.published_version,
                    reviewed_at=obj.reviewed_at, published_at=obj.published_at)
    if isinstance(obj, reg.DiscretionBenchmark):
        data["version"] = obj.version
    return data


def _form_data(etype: EntryType, payload: dict[str, Any], *, base: Model | None = None) -> dict[str, Any]:
    """Form data for the shared validation: the current values of `base`, overlaid with the payload."""
    data: dict[str, Any] = {}
    if base is not None:
        for name in etype.fields:
            data[name] = _value(base, name)
    else:  # a field left out of a create request takes the model's default, as in the UI form
        for name in etype.fields:
            declared = model_field(etype.model, name)
            if name not in payload and declared.has_default() and not callable(declared.default):
                data[name] = declared.default
    data.update({k: v for k, v in payload.items() if k in etype.fields and (base is None or v is not None)})
    clean: dict[str, Any] = {}
    for name, value in data.items():
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                clean[name] = "on"
            continue
        if isinstance(value, list):
            clean[name] = [str(v) for v in value]
            continue
        clean[name] = str(value)
    return clean


class _Data(dict):
    """A dict that answers `getlist` like a QueryDict, for multi-value form fields."""

    def getlist(self, key: str, default: Any = None) -> list[Any]:
        value = self.get(key, default if default is not None else [])
        return value if isinstance(value, list) else [value]


class ActionResult(Schema):
    public_id: uuid.UUID
    publication_status: str
    published_version: int


class ReviewIn(Schema):
    approve: bool = Field(..., description="true 审核通过；false 退回修改（须填写意见）")
    opinion: str = Field("", description="审核意见")


def _register(etype: EntryType) -> None:
    slug = etype.slug
    out = _output_schema(etype)
    create_in = _input_schema(etype, partial=False)
    patch_in = _input_schema(etype, partial=True)
    label = str(etype.label)

    # `list[out]` spelled as the GenericAlias it is: `out` is a class built at run time, not a static type
    page_fields: dict[str, Any] = {"count": (int, ...), "items": (GenericAlias(list, out), ...)}
    page = create_model(f"{_camel(slug)}Page", __base__=Schema, **page_fields)

    @router.get(f"/{slug}", response=page, operation_id=f"{slug}_list", summary=f"{label}列表")
    def list_entries(
        request: AuthedRequest, q: str = "", limit: int = Query(50, ge=1, le=200), offset: int = offset_query()
    ) -> Any:
        qs = selectors.entry_list_for(user=request.user, slug=slug, query=q[:100])
        rows = qs.order_by("pk")[offset : offset + limit]
        return {"count": qs.count(), "items": [serialize(etype, obj) for obj in rows]}

    @router.get(f"/{slug}/{{public_id}}", response=out, operation_id=f"{slug}_get", summary=f"{label}详情")
    def get_entry(request: AuthedRequest, public_id: uuid.UUID) -> Any:
        obj = selectors.entry_get_for(user=request.user, slug=slug, public_id=public_id)
        return serialize(etype, obj)

    @router.post(f"/{slug}", response={201: out}, operation_id=f"{slug}_create", summary=f"新增{label}")
    def create_entry(request: AuthedRequest, payload: create_in) -> Any:  # type: ignore[valid-type]
        body = payload.dict()  # type: ignore[attr-defined]
        parent = None
        if etype.parent:
            parent = selectors.entry_get_for(
                user=request.user, slug=etype.parent, public_id=body.pop("parent")
            )
        obj = services.entry_create(
            actor=request.user, slug=slug, data=_Data(_form_data(etype, body)), parent=parent
        )
        return Status(201, serialize(etype, obj))

    @router.patch(f"/{slug}/{{public_id}}", response=out, operation_id=f"{slug}_update", summary=f"修改{label}")
    def update_entry(request: AuthedRequest, public_id: uuid.UUID, payload: patch_in) -> Any:  # type: ignore[valid-type]
        obj = selectors.entry_get_for(user=request.user, slug=slug, public_id=public_id)
        data = _Data(_form_data(etype, payload.dict(exclude_unset=True), base=obj))  # type: ignore[attr-defined]
        obj = services.entry_update(actor=request.user, slug=slug, obj=obj, data=data)
        return serialize(etype, obj)

    @router.delete(f"/{slug}/{{public_id}}", response={204: None}, operation_id=f"{slug}_delete",
                   summary=f"删除{label}（仅限从未发布的条目）")
    def delete_entry(request: AuthedRequest, public_id: uuid.UUID) -> Any:
        obj = selectors.entry_get_for(user=request.user, slug=slug, public_id=public_id)
        services.entry_delete(actor=request.user, slug=slug, obj=obj)
        return Status(204, None)

    if not etype.publishable:
        return

    def _publication(request: AuthedRequest, public_id: uuid.UUID) -> reg.Publication:
        obj = selectors.entry_get_for(user=request.user, slug=slug, public_id=public_id)
        assert isinstance(obj, reg.Publication)
        return obj

    def _result(obj: reg.Publication) -> dict[str, Any]:
        return {"public_id": obj.public_id, "publication_status": obj.publication_status,  # type: ignore[attr-defined]
                "published_version": obj.published_version}

    if etype.needs_legality_review:
        @router.post(f"/{slug}/{{public_id}}/submit", response=ActionResult, operation_id=f"{slug}_submit",
                     summary=f"{label}提交合法性审核")
        def submit(request: AuthedRequest, public_id: uuid.UUID) -> Any:
            obj = services.entry_submit(actor=request.user, obj=_publication(request, public_id))
            return _result(obj)

        @router.post(f"/{slug}/{{public_id}}/review", response=ActionResult, operation_id=f"{slug}_review",
                     summary=f"{label}合法性审核（REG-2）")
        def review(request: AuthedRequest, public_id: uuid.UUID, payload: ReviewIn) -> Any:
            obj = services.entry_review(
                actor=request.user, obj=_publication(request, public_id),
                approve=payload.approve, opinion=payload.opinion,
            )
            return _result(obj)

    @router.post(f"/{slug}/{{public_id}}/publish", response=ActionResult, operation_id=f"{slug}_publish",
                 summary=f"发布{label}")
    def publish(request: AuthedRequest, public_id: uuid.UUID) -> Any:
        obj = services.entry_publish(actor=request.user, obj=_publication(request, public_id))
        return _result(obj)

    @router.post(f"/{slug}/{{public_id}}/withdraw", response=ActionResult, operation_id=f"{slug}_withdraw",
                 summary=f"撤回{label}")
    def withdraw(request: AuthedRequest, public_id: uuid.UUID) -> Any:
        obj = services.entry_withdraw(actor=request.user, obj=_publication(request, public_id))
        return _result(obj)


for _etype in ENTRY_TYPES.values():
    _register(_etype)


# ------------------------------------------------------------------------------------------ supervision (defect 4)


class SupervisionIn(Schema):
    # Defaults everywhere, so the object lookup (404 for another agency) comes before body validation (AC-1).
    supervisor: uuid.UUID | None = Field(None, description="监督机关（司法行政机关）的 public_id；null 表示解除监督关系")
    is_justice_bureau: bool | None = Field(None, description="是否为司法行政机关（仅系统管理员可改）")
    reason: str = Field("", max_length=500, description="变更理由（必填；记入账本，监督机关可见）")


class SupervisionOut(Schema):
    public_id: uuid.UUID
    supervisor: uuid.UUID | None
    is_justice_bureau: bool


@router.post("/agency/{public_id}/supervision", response=SupervisionOut, operation_id="agency_supervision_set",
             summary="设置执法主体的监督机关（仅系统管理员或现监督机关；记入监督机关可见的账本）")
def agency_supervision(request: AuthedRequest, public_id: uuid.UUID, payload: SupervisionIn) -> Any:
    agency = selectors.supervision_agency_for(user=request.user, public_id=public_id)
    bureau = None
    if payload.supervisor is not None:
        bureau = selectors.justice_bureau_get(payload.supervisor)
        if bureau is None:
            raise ServiceError("监督机关必须是已登记的司法行政机关。", code="invalid_supervisor")
    agency = services.agency_supervision_set(
        actor=request.user, agency=agency, supervisor=bureau,
        is_justice_bureau=payload.is_justice_bureau, reason=payload.reason,
    )
    return {"public_id": agency.public_id, "supervisor": agency.supervisor.public_id if agency.supervisor else None,
            "is_justice_bureau": agency.is_justice_bureau}


class SupervisionEventOut(Schema):
    seq: int
    time: str
    actor: str
    payload: dict[str, Any]


@router.get("/supervision-events", response=list[SupervisionEventOut], operation_id="supervision_events",
            summary="监督关系变更记录（本监督机关可见）")
def supervision_events(request: AuthedRequest) -> Any:
    return selectors.supervision_event_rows(selectors.supervision_events_for(user=request.user))
