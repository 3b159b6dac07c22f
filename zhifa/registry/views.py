"""Staff UI for the registry: thin views over the generic entry services and selectors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Model
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhifa.accounts.http import AuthedRequest
from zhifa.accounts.roles import LEGALITY_REVIEWERS, PUBLISHERS, Role
from zhifa.accounts.scoping import ALL_AGENCIES, visible_agency_ids
from zhifa.common.errors import ServiceError
from zhifa.common.fields import model_field
from zhifa.registry import models as reg
from zhifa.registry import selectors, services
from zhifa.registry.entries import ENTRY_TYPES, EntryType, agency_of
from zhifa.registry.flowchart import flowchart_svg
from zhifa.registry.forms import entry_form


def _etype(slug: str) -> EntryType:
    etype = ENTRY_TYPES.get(slug)
    if etype is None:
        raise Http404
    return etype


def _display(obj: Model, name: str) -> Any:
    field = model_field(type(obj), name)
    if field.many_to_many:
        return "；".join(str(x) for x in getattr(obj, name).all()) or "—"
    if getattr(field, "choices", None):
        return getattr(obj, f"get_{name}_display")()
    value = getattr(obj, name)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(value)
    return value if value not in (None, "") else "—"


def _rows(obj: Model, names: tuple[str, ...]) -> list[tuple[str, Any]]:
    return [(str(model_field(type(obj), n).verbose_name), _display(obj, n)) for n in names]


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    user = request.user
    agencies = selectors.agencies_visible_to(user=user)
    compliance = selectors.agencies_compliance(user=user, agencies=[a for a in agencies if not a.is_justice_bureau])
    pending: list[tuple[str, Model]] = []
    to_publish: list[tuple[str, Model]] = []
    for etype in ENTRY_TYPES.values():
        if not etype.needs_legality_review:
            continue
        if user.has_role(*LEGALITY_REVIEWERS):
            qs = selectors.entry_list_for(user=user, slug=etype.slug, status=reg.PublicationStatus.SUBMITTED)
            pending.extend((etype.slug, obj) for obj in qs[:50])
        if user.has_role(*PUBLISHERS):
            qs = selectors.entry_list_for(user=user, slug=etype.slug, status=reg.PublicationStatus.REVIEWED)
            to_publish.extend((etype.slug, obj) for obj in qs[:50])
    return render(
        request, "staff/home.html", {"compliance": compliance, "pending": pending, "to_publish": to_publish}
    )


@login_required
def entry_list(request: AuthedRequest, slug: str) -> HttpResponse:
    etype = _etype(slug)
    if etype.parent:
        raise Http404
    query = request.GET.get("q", "").strip()[:100]
    status = request.GET.get("status", "")
    agency_id = None
    visible = visible_agency_ids(request.user)
    if request.GET.get("agency", "").isdigit():
        agency_id = int(request.GET["agency"])
    qs = selectors.entry_list_for(user=request.user, slug=slug, query=query, agency_id=agency_id, status=status)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    can_create = services.may_write_entry(request.user, etype, request.user.agency, create=True) or (
        slug == "agency" and request.user.is_system_admin
    )
    return render(
        request, "staff/entry_list.html",
        {
            "etype": etype, "page": page, "query": query, "status": status,
            "columns": [str(model_field(etype.model, c).verbose_name) for c in etype.list_columns],
            "rows": [(obj, [_display(obj, c) for c in etype.list_columns]) for obj in page],
            "can_create": can_create, "statuses": reg.PublicationStatus.choices if etype.publishable else [],
            "agencies": selectors.agencies_visible_to(user=request.user) if visible is ALL_AGENCIES or (
                visible and len(visible) > 1) else [],
            "agency_id": agency_id,
        },
    )


def _detail_url(slug: str, obj: Model) -> str:
    return reverse("staff:entry_detail", args=[slug, obj.public_id])  # type: ignore[attr-defined]


@login_required
def entry_detail(request: AuthedRequest, slug: str, public_id: str) -> HttpResponse:
    etype = _etype(slug)
    obj = selectors.entry_get_for(user=request.user, slug=slug, public_id=public_id)
    agency = agency_of(obj)
    children = []
    for child_slug in etype.children:
        child = ENTRY_TYPES[child_slug]
        rows = selectors.children_for(user=request.user, parent=obj, slug=child_slug)
        children.append({
            "etype": child,
            "columns": [str(model_field(child.model, c).verbose_name) for c in child.list_columns],
            "rows": [(c, [_display(c, col) for col in child.list_columns]) for c in rows],
            "can_create": services.may_write_entry(request.user, child, agency, create=True) and (
                bool(child.parent) or agency == request.user.agency),
        })
    parent = None
    if etype.parent:
        parent_obj = getattr(obj, etype.parent_field)
        parent = {"label": ENTRY_TYPES[etype.parent].label, "obj": parent_obj,
                  "url": _detail_url(etype.parent, parent_obj)}
    flowchart = None
    if isinstance(obj, reg.PowerItem):
        steps = [{"name": s.name, "time_limit": s.time_limit_label} for s in obj.steps.all()]
        flowchart = mark_safe(flowchart_svg(steps, title=obj.name)) if steps else None  # noqa: S308 - escaped SVG
    user = request.user
    can_edit = services.may_write_entry(user, etype, agency)
    status = getattr(obj, "publication_status", "")
    actions = []
    if etype.publishable:
        S = reg.PublicationStatus
        if can_edit and etype.needs_legality_review and status == S.DRAFT:
            actions.append(("submit", "提交合法性审核", "primary"))
        if user.has_role(*LEGALITY_REVIEWERS) and status == S.SUBMITTED and services.may_write_agency(user, agency):
            actions += [("approve", "审核通过", "success"), ("reject", "退回修改", "warning")]
        if user.has_role(*PUBLISHERS) and services.may_write_agency(user, agency):
            if status == S.REVIEWED or (not etype.needs_legality_review and status in (S.DRAFT, S.WITHDRAWN)):
                actions.append(("publish", "发布", "success"))
            if obj.published_version and status != S.WITHDRAWN:  # type: ignore[attr-defined]
                actions.append(("withdraw", "撤回公开", "outline-danger"))
    if isinstance(obj, reg.DiscretionBenchmark) and can_edit:
        actions.append(("new_version", "修订为新版本", "outline-primary"))
    deletable = can_edit and (not etype.publishable or not obj.published_version)  # type: ignore[attr-defined]
    return render(
        request, "staff/entry_detail.html",
        {"etype": etype, "obj": obj, "rows": _rows(obj, etype.fields), "children": children, "parent": parent,
         "flowchart": flowchart, "can_edit": can_edit, "actions": actions, "deletable": deletable,
         "agency": agency,
         "can_set_supervision": isinstance(obj, reg.Agency) and services.may_set_supervision(user, obj)},
    )


def _form_page(
    request: AuthedRequest, etype: EntryType, *, agency: reg.Agency | None, instance: Model | None,
    save: Callable[[Any], Model], cancel_url: str, heading: str,
) -> HttpResponse:
    form = entry_form(etype, agency=agency, instance=instance)
    if request.method == "POST":
        try:
            obj = save(request.POST)
        except services.FormInvalid as exc:
            form = entry_form(etype, agency=agency, data=request.POST, instance=instance)
            form.is_valid()
            messages.error(request, exc.message)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "已保存。")
            return redirect(_detail_url(etype.slug, obj))
    return render(request, "staff/entry_form.html",
                  {"etype": etype, "form": form, "cancel_url": cancel_url, "heading": heading})


@login_required
def entry_create(request: AuthedRequest, slug: str, parent_id: str | None = None) -> HttpResponse:
    etype = _etype(slug)
    parent = None
    if etype.parent:
        if parent_id is None:
            raise Http404
        parent = selectors.entry_get_for(user=request.user, slug=etype.parent, public_id=parent_id)
    elif parent_id is not None:
        raise Http404
    agency = agency_of(parent) if parent is not None else (None if etype.global_scope else request.user.agency)
    cancel = _detail_url(etype.parent, parent) if parent is not None and etype.parent else reverse(
        "staff:entry_list", args=[slug])
    return _form_page(
        request, etype, agency=agency, instance=None, cancel_url=cancel, heading=f"新增{etype.label}",
        save=lambda data: services.entry_create(actor=request.user, slug=slug, data=data, parent=parent),
    )


@login_required
def entry_edit(request: AuthedRequest, slug: str, public_id: str) -> HttpResponse:
    etype = _etype(slug)
    obj = selectors.entry_get_for(user=request.user, slug=slug, public_id=public_id)
    agency = agency_of(obj)
    return _form_page(
        request, etype, agency=agency if slug != "agency" else None, instance=obj,
        cancel_url=_detail_url(slug, obj), heading=f"修改{etype.label}",
        save=lambda data: services.entry_update(actor=request.user, slug=slug, obj=obj, data=data),
    )


@login_required
@require_POST
def entry_action(request: AuthedRequest, slug: str, public_id: str, action: str) -> HttpResponse:
    etype = _etype(slug)
    obj = selectors.entry_get_for(user=request.user, slug=slug, public_id=public_id)
    user = request.user
    done = {
        "submit": "已提交合法性审核。", "approve": "合法性审核已通过。", "reject": "已退回修改。",
        "publish": "已发布，公开门户即时可见。", "withdraw": "已撤回，公开门户不再显示。",
        "new_version": "已生成新版本草稿。", "delete": "已删除。",
    }
    if action not in done:
        raise Http404
    try:
        if action == "submit":
            services.entry_submit(actor=user, obj=obj)  # type: ignore[arg-type]
        elif action in ("approve", "reject"):
            services.entry_review(actor=user, obj=obj, approve=action == "approve",  # type: ignore[arg-type]
                                  opinion=request.POST.get("opinion", ""))
        elif action == "publish":
            services.entry_publish(actor=user, obj=obj)  # type: ignore[arg-type]
        elif action == "withdraw":
            services.entry_withdraw(actor=user, obj=obj)  # type: ignore[arg-type]
        elif action == "new_version":
            obj = services.benchmark_new_version(actor=user, benchmark=obj)  # type: ignore[arg-type]
        elif action == "delete":
            parent = getattr(obj, etype.parent_field) if etype.parent else None
            services.entry_delete(actor=user, slug=slug, obj=obj)
            messages.success(request, done[action])
            if parent is not None and etype.parent:
                return redirect(_detail_url(etype.parent, parent))
            return redirect("staff:entry_list", slug)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done[action])
    return redirect(_detail_url(slug, obj))


# ------------------------------------------------------------------------------------------ supervision (defect 4)


@login_required
def agency_supervision(request: AuthedRequest, public_id: str) -> HttpResponse:
    """The supervising bureau's (or the system administrator's) page to hand an agency over or release it."""
    agency = selectors.supervision_agency_for(user=request.user, public_id=public_id)
    if not services.may_set_supervision(request.user, agency):
        raise PermissionDenied
    bureaus = selectors.justice_bureaus(exclude=agency)
    is_admin = request.user.has_role(Role.SYSTEM_ADMIN)
    status = 200
    if request.method == "POST":
        raw = request.POST.get("supervisor", "")
        bureau = selectors.justice_bureau_get(raw, exclude=agency) if raw else None
        justice = None
        if is_admin:
            justice = request.POST.get("is_justice_bureau") == "on"
        try:
            if raw and bureau is None:
                raise ServiceError(_("监督机关必须是已登记的司法行政机关。"))
            services.agency_supervision_set(actor=request.user, agency=agency, supervisor=bureau,
                                            is_justice_bureau=justice, reason=request.POST.get("reason", ""))
        except ServiceError as exc:
            messages.error(request, exc.message)
            status = exc.status
        else:
            messages.success(request, _("监督关系已更新，并已记入账本。"))
            if services.may_set_supervision(request.user, agency) or is_admin:
                return redirect(_detail_url("agency", agency))
            return redirect("staff:supervision_events")
    return render(request, "staff/agency_supervision.html",
                  {"agency": agency, "bureaus": bureaus, "is_admin": is_admin}, status=status)


@login_required
def supervision_events(request: AuthedRequest) -> HttpResponse:
    """Supervision changes in the user's bureau's stream (all of them for the system administrator)."""
    user = request.user
    bureau_user = (user.has_role(*services.BUREAU_SUPERVISION_ROLES)
                   and getattr(user.agency, "is_justice_bureau", False))
    if not (user.has_role(Role.SYSTEM_ADMIN) or bureau_user):
        raise PermissionDenied
    rows = selectors.supervision_event_rows(selectors.supervision_events_for(user=user))
    return render(request, "staff/supervision_events.html", {"rows": rows})
