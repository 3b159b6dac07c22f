"""The public portal (DISC-2…DISC-8, REG-15): no login, server-rendered, fully usable without JavaScript.

Pages are kept per generation of the published snapshots (`cached_page`, ADR 0036). Views only parse the request,
call a selector in `zhifa.disclosure.selectors` (published snapshots only,
architecture rule 8) and render. Every page carries a strict Content-Security-Policy: the portal runs no inline
script, and nothing on it needs script at all (links and GET forms; the one POST form asks for the publication
history package, ADR 0045).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote
from uuid import UUID

from django.core.cache import caches
from django.core.paginator import Paginator
from django.db.models import F
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from zhifa.cases.gates import PENALTY_KINDS
from zhifa.common.http import portal_page, svg_response
from zhifa.disclosure import selectors, services
from zhifa.disclosure.models import EntryKind, PublicEntry
from zhifa.disclosure.pagecache import CACHE_ALIAS, cached_page, cached_page_for
from zhifa.disclosure.search import tokenize
from zhifa.records.checkpoints import public_key
from zhifa.records.models import PackageStatus
from zhifa.records.packages import package_file_open
from zhifa.registry.models import Sector
from zhifa.stats.charts import report_charts
from zhifa.stats.pdf import report_pdf, report_rows
from zhifa.stats.xlsx import report_xlsx

SEARCH_PAGE_SIZE = 20
SECTION_PAGE_SIZE = 50
MAX_QUERY_LENGTH = 100
# A search page is rendered again after this many seconds even without a publication (the index may lag it).
SEARCH_CACHE_SECONDS = 5


# Example keywords offered when a search is empty or finds nothing.
SEARCH_SUGGESTIONS = ["行政处罚", "行政许可", "河道", "占道经营", "执法证", "法制审核", "随机抽查"]


@dataclass(frozen=True)
class Section:
    """A tab of an agency page. `kind` is None for the two tabs drawn from the subject information itself."""

    slug: str
    label: str | Promise
    kind: str | None
    template: str = ""


SECTIONS = [
    Section("info", _("主体信息"), None),
    Section("officers", _("执法人员"), EntryKind.OFFICER, "portal/sections/officer.html"),
    Section("powers", _("权责清单"), EntryKind.POWER_ITEM, "portal/sections/power_item.html"),
    Section("benchmarks", _("裁量基准"), EntryKind.BENCHMARK, "portal/sections/benchmark.html"),
    Section("guides", _("服务指南"), EntryKind.SERVICE_GUIDE, "portal/sections/service_guide.html"),
    Section("av-items", _("音像记录事项清单"), EntryKind.AV_ITEM, "portal/sections/av_item.html"),
    Section("review-catalog", _("重大执法决定法制审核目录清单"), EntryKind.REVIEW_CATALOG,
            "portal/sections/review_catalog.html"),
    Section("inspections", _("随机抽查事项清单"), EntryKind.INSPECTION_ITEM, "portal/sections/inspection_item.html"),
    Section("stats", _("统计年报"), EntryKind.STATS_REPORT, "portal/sections/stats_report.html"),

    Section("decisions", _("执法结果"), EntryKind.DECISION, "portal/sections/decision.html"),
    Section("remedies", _("救济途径和投诉举报"), None),
]
SECTION_BY_SLUG: dict[str, Section] = {s.slug: s for s in SECTIONS}
SECTION_BY_KIND: dict[str, Section] = {s.kind: s for s in SECTIONS if s.kind}

ENTRY_TEMPLATES: dict[str, str] = {
    EntryKind.OFFICER: "portal/entries/officer.html",
    EntryKind.POWER_ITEM: "portal/entries/power_item.html",
    EntryKind.BENCHMARK: "portal/entries/benchmark.html",
    EntryKind.AV_ITEM: "portal/entries/av_item.html",
    EntryKind.REVIEW_CATALOG: "portal/entries/review_catalog.html",
    EntryKind.INSPECTION_ITEM: "portal/entries/inspection_item.html",
    EntryKind.SERVICE_GUIDE: "portal/entries/service_guide.html",
    EntryKind.STATS_REPORT: "portal/entries/stats_report.html",

    EntryKind.DECISION: "portal/entries/decision.html",
}

SECTORS = [{"value": v, "label": label} for v, label in Sector.choices]
PENALTY_KIND_CHOICES = [{"value": k, "label": label} for k, label in PENALTY_KINDS.items()]


# ---------------------------------------------------------------------------------------------------------------
# Helpers (presentation only)
# ---------------------------------------------------------------------------------------------------------------


def _uuid_or_none(raw: str | None) -> UUID | None:
    try:
        return UUID(raw) if raw else None
    except ValueError:
        return None


def _safe_flowchart(entry: PublicEntry) -> SafeString | None:
    svg = selectors.entry_flowchart(entry)
    # flowchart_svg escapes every piece of text it places in the document (zhifa/registry/flowchart.py).
    return mark_safe(svg) if svg else None  # noqa: S308


def _http_url(value: object) -> str:
    """A link target only for plain web addresses (never javascript: or data:)."""
    text = str(value or "").strip()
    return text if re.match(r"^https?://[^\s\"'<>]+$", text, re.IGNORECASE) else ""


def _tel(value: object) -> str:
    """A tel: link target from a published phone number (digits, +, - only); empty if there are too few digits."""
    digits = re.sub(r"[^0-9+\-]", "", str(value or ""))
    return digits if sum(ch.isdigit() for ch in digits) >= 5 else ""


def snippet(text: str, terms: list[str], *, width: int = 90) -> SafeString:
    """An escaped excerpt of `text` around the first matched term, matched terms wrapped in <mark>."""
    text = re.sub(r"\s+", " ", text or "").strip()
    words = sorted({t for t in terms if t.strip()}, key=len, reverse=True)
    if not words:
        return conditional_escape(text[:width] + ("…" if len(text) > width else ""))
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    match = pattern.search(text)
    start = max(0, (match.start() if match else 0) - width // 3)
    end = min(len(text), start + width)
    window = text[start:end]
    parts: list[str] = ["…" if start > 0 else ""]
    pos = 0
    for m in pattern.finditer(window):
        parts.append(conditional_escape(window[pos:m.start()]))
        parts.append(format_html("<mark>{}</mark>", m.group()))
        pos = m.end()
    parts.append(conditional_escape(window[pos:]))
    parts.append("…" if end < len(text) else "")
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped


def _int_or_none(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and len(raw) == 4 else None


def entry_filters(params: Any) -> selectors.EntryFilters:
    """The filters of a search or list request (unknown values are ignored, never an error)."""
    kind = params.get("kind", "")
    sector = params.get("sector", "")
    penalty_kind = params.get("penalty_kind", "")
    return selectors.EntryFilters(
        kind=kind if kind in EntryKind.values else None, agency_key=_uuid_or_none(params.get("agency")),
        year=_int_or_none(params.get("year")), sector=sector if sector in Sector.values else None,
        penalty_kind=penalty_kind if penalty_kind in PENALTY_KINDS else None,
    )


def _page(request: HttpRequest, object_list: Any, size: int) -> Any:
    return Paginator(object_list, size).get_page(request.GET.get("page"))


def _section_url(agency: PublicEntry, slug: str) -> str:
    key = agency.agency_key  # type: ignore[attr-defined]  # annotated by the selector
    if slug == "info":
        return reverse("portal:agency", args=[key])
    if slug == "remedies":
        return reverse("portal:agency_remedies", args=[key])
    return reverse("portal:agency_section", args=[key, slug])


def _agency_context(agency: PublicEntry, active: str) -> dict[str, Any]:
    counts = selectors.agency_section_counts(agency_id=agency.agency_id)
    tabs = [
        {"slug": s.slug, "label": s.label, "url": _section_url(agency, s.slug),
         "count": counts.get(s.kind, 0) if s.kind else None, "active": s.slug == active}
        for s in SECTIONS
    ]
    body = agency.body if isinstance(agency.body, dict) else {}
    return {
        "agency": agency, "tabs": tabs, "active": active,
        "website_url": _http_url(body.get("website")),
        "complaint_tel": _tel(body.get("complaint_phone")),
        "phone_tel": _tel(body.get("phone")),
    }


# ---------------------------------------------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------------------------------------------


@portal_page
@cached_page
def home(request: HttpRequest) -> HttpResponse:
    agencies = list(selectors.agency_list().defer("search_text"))
    kinds = [{"kind": s.kind, "label": s.label} for s in SECTIONS if s.kind]
    return render(request, "portal/home.html", {"agencies": agencies, "kinds": kinds,
                                                "suggestions": SEARCH_SUGGESTIONS})


@portal_page
@cached_page_for(SEARCH_CACHE_SECONDS)
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    filters = entry_filters(request.GET)
    terms = tokenize(query) if query else []
    if query:
        results: Any = selectors.entry_search(query=query, filters=filters)
    elif filters.active:
        results = selectors.entry_browse(filters=filters)
    else:
        results = []
    page = _page(request, results, SEARCH_PAGE_SIZE)
    hits = [
        {"entry": e, "kind_label": EntryKind(e.kind).label, "snippet": snippet(e.search_text, terms)}
        for e in page.object_list
    ]
    params = {k: v for k, v in (("q", query), ("kind", filters.kind or ""),
                                ("agency", str(filters.agency_key or "")), ("year", str(filters.year or "")),
                                ("sector", filters.sector or ""), ("penalty_kind", filters.penalty_kind or "")) if v}
    return render(request, "portal/search.html", {
        "query": query, "filters": filters, "page": page, "hits": hits, "params": params,
        "searched": bool(query or filters.active),
        "years": selectors.decision_years(), "sectors": SECTORS, "penalty_kinds": PENALTY_KIND_CHOICES,
        "kinds": [{"value": k.value, "label": k.label} for k in EntryKind],
        "agencies": selectors.agency_list().values("title", key=F("agency_key")),
        "suggestions": SEARCH_SUGGESTIONS,
    })


@portal_page
@cached_page
def agency_detail(request: HttpRequest, agency_id: UUID) -> HttpResponse:
    agency = selectors.agency_get(agency_key=agency_id)
    return render(request, "portal/agency_info.html", _agency_context(agency, "info"))


@portal_page
@cached_page
def agency_remedies(request: HttpRequest, agency_id: UUID) -> HttpResponse:
    agency = selectors.agency_get(agency_key=agency_id)
    return render(request, "portal/agency_remedies.html", _agency_context(agency, "remedies"))


@portal_page
@cached_page
def agency_section(request: HttpRequest, agency_id: UUID, section: str) -> HttpResponse:
    current = SECTION_BY_SLUG.get(section)
    if current is None or current.kind is None:
        raise Http404("no such section")
    agency = selectors.agency_get(agency_key=agency_id)
    entries = selectors.agency_entries(agency_id=agency.agency_id, kind=current.kind)
    context = _agency_context(agency, current.slug)
    context.update({"section": current, "page": _page(request, entries, SECTION_PAGE_SIZE)})
    return render(request, "portal/agency_section.html", context)


@portal_page
@cached_page
def entry_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    try:
        entry = selectors.entry_get(public_id=public_id)
    except Http404:
        newer = selectors.entry_current_version_of(public_id=public_id)
        if newer is None:
            withdrawn = selectors.decision_withdrawn(public_id=public_id)
            if withdrawn is None:
                raise
            # DISC-23/24: the page stays with a withdrawal notice, its reason and date; the text is gone.
            return render(request, "portal/decision_withdrawn.html", {"entry": withdrawn}, status=410)
        return redirect("portal:entry", public_id=newer.public_id)
    if entry.kind == EntryKind.AGENCY:
        return redirect("portal:agency", agency_id=entry.agency_key)  # type: ignore[attr-defined]
    section = SECTION_BY_KIND[entry.kind]
    flowchart = _safe_flowchart(entry)
    return render(request, "portal/entry_detail.html", {
        "stats": _stats_context(entry),
        "entry": entry,
        "kind_label": EntryKind(entry.kind).label,
        "section": section,
        "section_url": _section_url(entry, section.slug),
        "body_template": ENTRY_TEMPLATES[entry.kind],
        "flowchart": flowchart,
        "flowchart_url": reverse("portal:entry_flowchart", args=[entry.public_id]) if flowchart else "",
        "proof_url": reverse("api-v1:public_entry_proof", args=[entry.public_id]),
    })


def _stats_context(entry: PublicEntry) -> dict[str, Any] | None:
    if entry.kind != EntryKind.STATS_REPORT:
        return None
    report = entry.body["report"]
    # The chart's SVG escapes every label and number it places (zhifa/stats/charts.py).
    charts = [{"title": c.title, "svg": mark_safe(c.svg), "left_out": c.left_out}  # noqa: S308
              for c in report_charts(report)]
    return {"tables": report_rows(report), "charts": charts, "narrative": report.get("narrative", "")}


def stats_report_file(request: HttpRequest, public_id: UUID, fmt: str) -> HttpResponse:
    """A published annual report as PDF or XLSX, made from its snapshot (the figures as frozen, DISC-29). The bytes
    of a snapshot never change, so each is rendered once per process and kept in the portal cache."""
    entry = selectors.entry_get(public_id=public_id)
    if entry.kind != EntryKind.STATS_REPORT or fmt not in ("pdf", "xlsx"):
        raise Http404
    key = f"stats-file:{entry.public_id}:{fmt}"
    body = caches[CACHE_ALIAS].get(key)
    if body is None:
        report = entry.body["report"]
        body = (report_pdf(report, version=entry.body["version"], sha256=entry.body["sha256"]) if fmt == "pdf"
                else report_xlsx(report))
        caches[CACHE_ALIAS].set(key, body, None)
    content_type = "application/pdf" if fmt == "pdf" else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="stats-{entry.body["year"]}-v{entry.body["version"]}.{fmt}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def entry_flowchart(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The flowchart of a power item or service guide as a standalone SVG image (DISC-5)."""
    svg, filename = selectors.entry_flowchart_svg(public_id=public_id)
    return svg_response(svg, filename=filename)




# --- the publication history download (ADR 0045) ------------------------------------------------------------------


@portal_page
@csrf_exempt  # anonymous and idempotent: a request only reuses or queues the one package of the stream's state
@require_http_methods(["GET", "POST"])
def history(request: HttpRequest) -> HttpResponse:
    """公示历史下载: what the package is and how to verify it offline; the button asks for it."""
    if request.method == "POST":
        try:
            package = services.history_package_request()
        except services.NothingPublished:
            return redirect("portal:history")
        return redirect("portal:history_package", public_id=package.public_id)
    return render(request, "portal/history.html", {
        "package": selectors.history_package_current(), "published": selectors.history_last_seq() is not None,
        "public_key": public_key(),
    })


@portal_page
@require_GET
def history_package(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """One package: its progress while it is built (the page reloads itself, no script), then the download."""
    package = selectors.history_package_get(public_id=public_id)
    response = render(request, "portal/history_package.html", {"package": package, "public_key": public_key()})
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def history_package_download(request: HttpRequest, public_id: UUID) -> HttpResponseBase:
    package = selectors.history_package_get(public_id=public_id)
    if package.status != PackageStatus.READY:
        raise Http404
    try:
        zipped, size = package_file_open(package)
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(zipped, content_type="application/zip")
    response["Content-Length"] = str(size)
    response["Content-Disposition"] = (
        f'attachment; filename="{package.ascii_name or package.public_id}.zip"; '
        f"filename*=UTF-8''{quote(package.download_name or 'history.zip', safe='')}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
