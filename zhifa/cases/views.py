"""Staff pages of the cases app (mounted at /staff/cases/, namespace "cases").

Thin views: parse input with the forms generated from the engine's schemas, call `case_create` / `case_act` or a
selector, render. Every page works without JavaScript; htmx only refreshes the case list in place. The case page
is a staff read of a case: `case_opened_for` writes the 调阅 entry first, and a failure to write it is a 503; the
rendered page is then kept per case version and viewer (ADR 0042).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhifa.cases import engine, selectors
from zhifa.cases.engine import KINDS, Action, InvalidInput, allowed_actions, detail_of, kind_of
from zhifa.cases.forms import (
    NEW_CASE_KINDS,
    PARTY_FIELD_HELP,
    case_forms,
    case_payload,
    chinese_message,
    schema_form_class,
)
from zhifa.cases.kinds.common import OFFICERS
from zhifa.cases.models import Case, Deadline
from zhifa.cases.pagecache import cached_case_page
from zhifa.cases.review_steps import review_gate
from zhifa.cases.services import case_create
from zhifa.common.countdown import Countdown
from zhifa.common.errors import ServiceError
from zhifa.common.fields import model_field
from zhifa.common.paging import page_number
from zhifa.records import evidence as ev
from zhifa.records import uploads
from zhifa.records.access import fail_closed, record_access, record_list_access
from zhifa.records.forms import CaptureForm, upload_form_context, upload_session_from_post, upload_single
from zhifa.records.http import service_errors_as_json, session_json
from zhifa.review.cards import round_cards

PAGE_SIZE = 20
DUE_HORIZON_DAYS = 14
DUE_HORIZONS = ("7", "14", "30", "90")
DAY_KINDS = {"working": gettext_lazy("工作日"), "calendar": gettext_lazy("自然日")}
# Actions whose form starts from the case's current values (only what the user changes is sent).
PREFILL_FROM_CASE = frozenset({"update_details"})


def _today() -> date:
    return engine.today_in_china()


def _case_url(case: Case, anchor: str = "") -> str:
    return reverse("cases:detail", args=[case.public_id]) + (f"#{anchor}" if anchor else "")


URGENT_DAYS = 3  # a legal deadline is shown urgent from 3 days before it


def _countdown(deadline: Deadline, today: date) -> Countdown:
    return Countdown(deadline.days_left(today), URGENT_DAYS, deadline,
                     str(DAY_KINDS.get(deadline.day_kind, deadline.day_kind)))


def _all_states() -> dict[str, str]:
    states: dict[str, str] = {}
    for kind in KINDS.values():
        for code, label in kind.states.items():
            states.setdefault(code, label)
    return states


def _state_label(case: Case) -> str:
    return kind_of(case).state_label(case.state)


# --------------------------------------------------------------------------------------------------- my cases


@login_required
@require_GET
@fail_closed
def case_list(request: HttpRequest) -> HttpResponse:
    """My cases / all cases of the agency: filters, search, pagination; each row with its next deadline."""
    user = request.user

    officer = user.has_role(*OFFICERS)  # type: ignore[union-attr]
    scope = request.GET.get("scope") or ("mine" if officer else "all")
    kind = request.GET.get("kind", "")
    kind = kind if kind in KINDS else ""
    states = dict(KINDS[kind].states) if kind else _all_states()
    state = request.GET.get("state", "")
    state = state if state in states else ""
    query = request.GET.get("q", "").strip()[:100]
    page = page_number(request, PAGE_SIZE)
    rows, total = selectors.case_list_for(user=user, state=state, kind=kind, mine=scope == "mine", q=query,  # type: ignore[arg-type]
                                          limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    today = _today()
    ids = [c.pk for c in rows]
    parties = selectors.party_names_of(ids)
    next_due = {case_id: _countdown(row, today) for case_id, row in selectors.next_deadlines_of(ids).items()}
    # The page shows parties' names: a 调阅 of the cases listed (issue 9 defect 9); no entry, no page (503).
    record_list_access(user=user, object_kind="case_list", shown=[(c.agency_id, str(c.public_id)) for c in rows],
                       action="search" if query else "list", request=request)
    items = [{"case": c, "state_label": _state_label(c), "kind_label": KINDS[c.kind].label,
              "parties": "、".join(parties.get(c.pk, [])), "next": next_due.get(c.pk)} for c in rows]
    params = {k: v for k, v in (("scope", scope), ("kind", kind), ("state", state), ("q", query)) if v}
    context = {
        "items": items, "total": total, "page": min(page, pages), "pages": pages, "scope": scope, "kind": kind,
        "state": state, "query": query, "kinds": [(k, KINDS[k].label) for k in NEW_CASE_KINDS if k in KINDS],
        "states": list(states.items()), "query_string": urlencode(params), "can_create": officer,
    }
    template = "cases/_list_results.html" if getattr(request, "htmx", False) else "cases/list.html"
    return render(request, template, context)


# --------------------------------------------------------------------------------------------------- due list


@login_required
@require_GET
@fail_closed
def due_list(request: HttpRequest) -> HttpResponse:
    """Open deadlines due soon (overdue first) and the recently missed ones."""
    today = _today()
    days = request.GET.get("days", "")
    horizon = int(days) if days in DUE_HORIZONS else DUE_HORIZON_DAYS
    due = [_countdown(d, today) for d in selectors.due_list_for(user=request.user, today=today,  # type: ignore[arg-type]
                                                               days=horizon)]
    missed = [_countdown(d, today) for d in selectors.missed_deadlines_for(user=request.user, limit=50)]  # type: ignore[arg-type]
    shown = {(c.deadline.case.agency_id, str(c.deadline.case.public_id)): None for c in [*due, *missed]}
    record_list_access(user=request.user, object_kind="due_list", shown=list(shown), action="list", request=request)
    return render(request, "cases/due.html", {"due": due, "missed": missed, "horizon": horizon,
                                              "horizons": DUE_HORIZONS, "today": today})


# --------------------------------------------------------------------------------------------------- new case


def _split_errors(errors: list[dict[str, Any]], case_form: Any, party_form: Any) -> list[str]:
    rest: list[str] = []
    for err in errors:
        path = str(err.get("field") or "")
        if path.startswith("parties."):
            parts = path.split(".", 2)
            path = parts[2] if len(parts) == 3 else ""
            target = party_form
        elif path.split(".", 1)[0] in party_form.fields and path.split(".", 1)[0] not in case_form.fields:
            target = party_form
        else:
            target = case_form
        rest += target.add_service_errors([{"field": path, "message": err.get("message", "")}])
    return rest


@login_required
@require_http_methods(["GET", "POST"])
def case_new(request: HttpRequest) -> HttpResponse:
    """Register a case (案源登记 / 当场处罚登记 / 检查登记) with one party."""
    user = request.user
    kind = request.GET.get("kind") or request.POST.get("kind") or "penalty"
    if kind not in NEW_CASE_KINDS or kind not in KINDS:
        raise Http404
    if user.agency_id is None or not user.has_role(*OFFICERS):  # type: ignore[union-attr]
        raise PermissionDenied
    data = request.POST if request.method == "POST" else None
    case_form, party_form = case_forms(agency=user.agency, kind=KINDS[kind], data=data)  # type: ignore[union-attr]
    error, status = "", 200
    if request.method == "POST":
        if case_form.is_valid() and party_form.is_valid():
            try:
                case = case_create(actor=user, kind=kind, data=case_payload(case_form, party_form))  # type: ignore[arg-type]
            except InvalidInput as exc:
                rest = _split_errors(exc.errors, case_form, party_form)
                error, status = "；".join([exc.message, *rest]), exc.status
            except ServiceError as exc:
                error, status = exc.message, exc.status
            else:
                messages.success(request, _("已登记案件 %(ref)s。") % {"ref": case.reference})
                return redirect(_case_url(case))
        else:
            error, status = _("请按提示修改后再提交。"), 400
    return render(request, "cases/new.html", {
        "kind": kind, "kind_label": KINDS[kind].label, "case_form": case_form, "party_form": party_form,
        "error": error, "party_help": PARTY_FIELD_HELP,
    }, status=status)


# --------------------------------------------------------------------------------------------------- case page


def _timeline_rows(items: list[selectors.HistoryItem], case: Case) -> list[dict[str, Any]]:
    table = kind_of(case)
    return [{"seq": item.seq, "kind": item.kind, "recorded_at": item.recorded_at, "actor": item.actor or _("系统"),
             "summary": _entry_summary(item, table)} for item in items]


def _entry_summary(item: selectors.HistoryItem, table: engine.Kind) -> str:
    if item.event is not None:
        event = item.event
        text = event.label or event.action
        if event.to_state and event.from_state != event.to_state:
            text += _("：%(a)s → %(b)s") % {"a": table.state_label(event.from_state) if event.from_state else _("（新建）"),
                                            "b": table.state_label(event.to_state)}
        numbers = [d.number for d in event.documents.all() if d.number]
        if numbers:
            text += _("；文书：%(n)s") % {"n": "、".join(numbers)}
        return text
    if item.document is not None:
        number = item.document.number
        return _("出具%(name)s%(no)s") % {"name": item.document.name, "no": f"（{number}）" if number else ""}
    if item.evidence is not None:
        return _("上传证据“%(name)s”") % {"name": item.evidence.original_filename or "—"}
    return item.entry.summary if item.entry is not None else item.kind


INFO_FIELDS = ("source_kind", "registered_on", "filed_on", "power_item", "handling_unit", "violation_place",
               "act_date", "discovered_on", "summary", "facts", "legal_basis_text", "penalty_text", "fine_amount",
               "decided_on", "served_on", "payment_due", "paid_on", "paid_amount", "outcome_reason", "closed_on")


def _case_info(case: Case) -> list[tuple[str, Any]]:
    rows = []
    detail = detail_of(case)
    shared = {f.name for f in Case._meta.get_fields()}
    for name in INFO_FIELDS:
        holder = case if name in shared else detail  # a penalty fact lives on the kind's detail (ADR 0025)
        if holder is None or not hasattr(holder, name):
            continue
        field = model_field(type(holder), name)
        value = getattr(holder, name)
        if value in (None, ""):
            continue
        if getattr(field, "choices", None):
            value = getattr(holder, f"get_{name}_display")()
        rows.append((str(field.verbose_name), value))
    return rows


@login_required
@require_GET
@fail_closed
def case_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The case page: opened (scoped, 调阅 entry durable) on every read, then served from the page cache of the
    case's version or rendered (ADR 0042)."""
    opened = selectors.case_opened_for(user=request.user, case_id=public_id, request=request)  # type: ignore[arg-type]
    today = _today()
    return cached_case_page(request, opened, today, lambda extra: _case_detail_page(request, opened, today, extra))


def _case_detail_page(request: HttpRequest, opened: selectors.CaseOpened, today: date,
                      extra: dict[str, Any]) -> HttpResponse:
    page = selectors.case_page_opened(user=request.user, opened=opened)  # type: ignore[arg-type]
    case = page.case
    table = kind_of(case)
    open_deadlines = [_countdown(d, today) for d in page.deadlines if d.is_open]
    decision = next((c for c in open_deadlines if c.deadline.code == "decision"), None)
    actions = allowed_actions(request.user, case)  # type: ignore[arg-type]
    review_block = review_gate(case) if any(a.name == "decide" for a in actions) else None
    return render(request, "cases/detail.html", {
        "page": page, "case": case, "info": _case_info(case), "kind_label": table.label, "state_label": table.state_label(case.state),
        "terminal": case.state in table.terminal, "decision": decision,
        "other_deadlines": [c for c in open_deadlines if c is not decision],
        "deadlines": [_countdown(d, today) for d in page.deadlines],
        "primary_actions": [a for a in actions if a.primary], "secondary_actions": [a for a in actions if not a.primary],
        "timeline": _timeline_rows(selectors.case_history(page.timeline, documents=page.documents,
                                                         evidence=page.evidence), case),
        "timeline_url": reverse("records:timeline") + "?" + urlencode({"stream": case.stream}),
        "can_upload": ev.can_upload(request.user),  # type: ignore[arg-type]
        "upload_other_url": reverse("records:upload") + "?" + urlencode({"stream": case.stream}),
        "today": today,
        "review_cards": round_cards(page.review_rounds, today),
        "review_block": review_block,
        **extra,
    })


# ------------------------------------------------------------------------------------------------- action page


def _initial(case: Case, action: Action) -> dict[str, Any]:
    if action.name not in PREFILL_FROM_CASE:
        return {}
    initial: dict[str, Any] = {}
    for name in action.schema.model_fields:
        if hasattr(case, name):
            value = getattr(case, name)
            initial[name] = ("true" if value else "false") if isinstance(value, bool) else value
    return initial


@dataclass
class ChecklistRow:
    """One `<item>_ok` / `<item>_note` pair of a checklist form (the REV-8 review checklist)."""

    label: str
    ok: Any  # BoundField
    note: Any  # BoundField


def _layout(form: Any) -> tuple[list[Any], list[ChecklistRow], list[Any]]:
    """The form's bound fields in order, with `<item>_ok` / `<item>_note` pairs gathered into checklist rows:
    (fields before the checklist, its rows, fields after it)."""
    before: list[Any] = []
    rows: list[ChecklistRow] = []
    after: list[Any] = []
    paired: set[str] = set()
    for name in form.fields:
        if name in paired:
            continue
        if name.endswith("_ok") and f"{name[:-3]}_note" in form.fields:
            note = f"{name[:-3]}_note"
            paired.add(note)
            form.fields[note].widget.attrs["rows"] = 2
            label = str(form.fields[name].label).rsplit("：", 1)[0]
            rows.append(ChecklistRow(label, form[name], form[note]))
        else:
            (after if rows else before).append(form[name])
    return before, rows, after


def _refusal(user: Any, case: Case, action: Action) -> str:
    """Why the action cannot be taken now (the words `case_act` would use), or ""."""
    refused = engine.refusal(user, case, action)
    return refused.message if refused is not None else ""


@login_required
@require_http_methods(["GET", "POST"])
@fail_closed
def case_action(request: HttpRequest, public_id: UUID, action: str) -> HttpResponse:
    """GET: the action's form. POST: take the action; on refusal the form comes back with the input kept and
    the reason (which names its rule) in a red alert."""
    user = request.user
    case = selectors.case_get_for(user=user, case_id=public_id)  # type: ignore[arg-type]  # 404 outside scope
    table = kind_of(case)
    act = table.actions.get(action)
    if act is None:
        raise Http404
    today = _today()
    form_class = schema_form_class(act.schema)
    initial = _initial(case, act)
    error, status = "", 200
    error_items: list[str] = []  # e.g. what a REV-15 submission package is missing
    refused = _refusal(user, case, act)  # engine.refusal: the one check case_act runs, with its words
    if request.method == "POST":
        form = form_class(request.POST, case=case, today=today, initial=initial, user=user, request=request)
        if form.is_valid():
            try:
                acted = engine.case_act(actor=user, case_id=case.public_id, action=act.name, data=form.payload())  # type: ignore[arg-type]
            except InvalidInput as exc:
                rest = form.add_service_errors(exc.errors)
                error, status = "；".join([exc.message, *rest]), exc.status
            except ServiceError as exc:  # GateBlocked, InvalidState, NotAllowed, DocumentIncomplete, ...
                error, status = chinese_message(exc.message), exc.status
                error_items = [str(e) for e in getattr(exc, "errors", None) or [] if isinstance(e, str)]
            else:
                issued = acted.documents
                text = _("已完成“%(label)s”。") % {"label": act.label}
                if issued:
                    text += _("已出具：%(docs)s。") % {"docs": "、".join(
                        f"{d.name}（{d.number}）" if d.number else d.name for d in issued)}
                messages.success(request, text)
                return redirect(_case_url(case))
        else:
            error, status = _("请按提示修改后再提交。"), 400
    else:
        form = form_class(case=case, today=today, initial=initial, user=user, request=request)
        error = refused
    # The form page shows the case's facts: a 调阅 (issue 9 defect 9), written before the page is (503 if it cannot be).
    record_access(user=user, agency_id=case.agency_id, object_kind="case", object_id=str(case.public_id),
                  action=f"action_form:{act.name}", request=request)
    before, checklist, after = _layout(form)
    return render(request, "cases/action.html", {
        "case": case, "action": act, "form": form, "error": error, "error_items": error_items,
        "fields_before": before, "checklist": checklist, "fields_after": after, "kind_label": table.label,
        "state_label": table.state_label(case.state), "can_submit": not refused,
    }, status=status)


# ------------------------------------------------------------------------------------------- evidence upload
# The records app's one upload form and its handling (resumable, with a progress bar) with the case's stream fixed;
# these views only send the officer back to the case page afterwards.


@csrf_exempt  # CSRF is checked by upload_single once its streaming upload handler is installed
@login_required
@require_http_methods(["GET", "POST"])
def case_upload(request: HttpRequest, public_id: UUID) -> HttpResponse:
    case = selectors.case_upload_target_for(user=request.user, case_id=public_id)  # type: ignore[arg-type]

    def page(form: CaptureForm | None = None, error: str = "", status: int = 200) -> HttpResponse:
        context = upload_form_context(request.user, stream=case.stream, form=form, error=error, camera=True)  # type: ignore[arg-type]
        return render(request, "cases/upload.html", {"case": case, **context}, status=status)

    if request.method != "POST":
        return page()

    def done(evidence: Any) -> HttpResponse:
        messages.success(request, _("证据已上传并记入账本（第 %(seq)d 条）。") % {"seq": evidence.ledger_seq})
        return redirect(_case_url(case, "evidence"))

    return upload_single(request, stream=case.stream, done=done, failed=page)


@login_required
@require_POST
@service_errors_as_json
def case_upload_session(request: HttpRequest, public_id: UUID) -> HttpResponse:
    case = selectors.case_upload_target_for(user=request.user, case_id=public_id)  # type: ignore[arg-type]
    session = upload_session_from_post(request, stream=case.stream)
    data = session_json(session)
    data["finish_url"] = reverse("cases:upload_finish", args=[case.public_id, session.public_id])
    return JsonResponse(data, status=201)


@login_required
@require_POST
@service_errors_as_json
def case_upload_finish(request: HttpRequest, public_id: UUID, session_id: UUID) -> HttpResponse:
    case = selectors.case_upload_target_for(user=request.user, case_id=public_id)  # type: ignore[arg-type]
    session = uploads.upload_session_get_for(user=request.user, public_id=session_id)  # type: ignore[arg-type]
    if session.stream != case.stream:  # a session of another stream is not this case's upload
        raise Http404
    uploads.upload_session_finish(actor=request.user, session=session)  # type: ignore[arg-type]
    data = session_json(session)
    data["evidence_url"] = _case_url(case, "evidence")
    messages.success(request, _("证据已上传并记入账本。"))
    return JsonResponse(data, status=201)
