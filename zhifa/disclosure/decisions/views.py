"""The disclosure officer's desk and a draft's page (ADR 0044): thin views over the decision services. Every form
posts to `act` with a step name; a refusal is shown as a message and nothing changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhifa.cases.engine import today_in_china
from zhifa.common.errors import ServiceError
from zhifa.disclosure.decisions import selectors, services
from zhifa.disclosure.decisions.text import CATEGORY_LABELS
from zhifa.disclosure.models import DraftState
from zhifa.records.access import fail_closed, record_access


@login_required
def desk(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    state = state if state in DraftState.values else ""
    rows = selectors.desk_for(user=request.user, today=today_in_china(), state=state)  # type: ignore[arg-type]
    return render(request, "disclosure/decisions/desk.html", {
        "rows": rows, "state": state, "states": DraftState.choices,
    })


@login_required
@fail_closed
def detail(request: HttpRequest, draft_id: UUID) -> HttpResponse:
    """The draft with the served text and each mask's original: a staff read of case content (调阅, rule 2)."""
    page = selectors.draft_page_for(user=request.user, public_id=draft_id, today=today_in_china())  # type: ignore[arg-type]
    user = request.user
    record_access(user=user, agency_id=page.draft.agency_id, object_kind="case",
                  object_id=str(page.draft.case.public_id), action="decision_draft_view", request=request)
    return render(request, "disclosure/decisions/detail.html", {
        "page": page, "draft": page.draft, "states": DraftState,
        "categories": list(CATEGORY_LABELS.items()),
        "is_officer": user.has_role(*services.OFFICER_ROLES),  # type: ignore[union-attr]
        "is_reviewer": user.has_role(*services.REVIEWER_ROLES),  # type: ignore[union-attr]
        "channels": [c for c in services.publication_channels() if c.code != "portal"],
        "credit_repair_conditions": list(services.CREDIT_REPAIR_CONDITIONS.items()),
    })


def _mask_add(request: HttpRequest, draft_id: UUID) -> str:
    n = services.decision_mask_add(actor=request.user, draft_id=draft_id, text=request.POST.get("text", ""),  # type: ignore[arg-type]
                                   category=request.POST.get("category", ""), reason=request.POST.get("reason", ""))
    return _("已遮盖 %(n)d 处。") % {"n": n}


def _mask_remove(request: HttpRequest, draft_id: UUID) -> str:
    try:
        start = int(request.POST.get("start", ""))
    except ValueError as exc:
        raise Http404 from exc
    services.decision_mask_remove(actor=request.user, draft_id=draft_id, start=start,  # type: ignore[arg-type]
                                  reason=request.POST.get("reason", ""))
    return _("已取消遮盖，并记入脱敏记录。")


def _submit(request: HttpRequest, draft_id: UUID) -> str:
    services.decision_submit(actor=request.user, draft_id=draft_id)  # type: ignore[arg-type]
    return _("已提交内部审核。")


def _approve(request: HttpRequest, draft_id: UUID) -> str:
    services.decision_review(actor=request.user, draft_id=draft_id, approve=True,  # type: ignore[arg-type]
                             opinion=request.POST.get("opinion", ""))
    return _("审核通过，可以发布。")


def _return(request: HttpRequest, draft_id: UUID) -> str:
    services.decision_review(actor=request.user, draft_id=draft_id, approve=False,  # type: ignore[arg-type]
                             opinion=request.POST.get("opinion", ""))
    return _("已退回公示管理员。")


def _publish(request: HttpRequest, draft_id: UUID) -> str:
    services.decision_publish(actor=request.user, draft_id=draft_id)  # type: ignore[arg-type]
    return _("已在公开门户发布。")


def _correct(request: HttpRequest, draft_id: UUID) -> str:
    services.decision_correct(actor=request.user, draft_id=draft_id, note=request.POST.get("note", ""))  # type: ignore[arg-type]
    return _("已发布更正后的新版本。")


def _withdraw(request: HttpRequest, draft_id: UUID) -> str:
    services.decision_withdraw(actor=request.user, draft_id=draft_id, reason=request.POST.get("reason", ""))  # type: ignore[arg-type]
    return _("已从公开门户撤下，撤下理由向社会公开。")


def _exempt(request: HttpRequest, draft_id: UUID) -> str:
    services.decision_exempt(actor=request.user, draft_id=draft_id, reason=request.POST.get("reason", ""))  # type: ignore[arg-type]
    return _("已记录不予公开的理由，公开时限已结束。")


def _credit_repair(request: HttpRequest, draft_id: UUID) -> str:
    services.decision_credit_repair(actor=request.user, draft_id=draft_id,  # type: ignore[arg-type]
                                    application=request.POST.get("application", ""),
                                    confirmed=request.POST.getlist("condition"))
    return _("已提前停止公示（信用修复），停止原因向社会公开。")


def _channel(request: HttpRequest, draft_id: UUID) -> str:
    services.decision_channel_record(actor=request.user, draft_id=draft_id,  # type: ignore[arg-type]
                                     channel=request.POST.get("channel", ""), on=today_in_china())
    return _("已登记该渠道的公开。")


STEPS: dict[str, Callable[[HttpRequest, UUID], str]] = {
    "mask-add": _mask_add, "mask-remove": _mask_remove, "submit": _submit, "approve": _approve,
    "return": _return, "publish": _publish, "correct": _correct, "withdraw": _withdraw, "exempt": _exempt,
    "channel": _channel, "credit-repair": _credit_repair,
}


@login_required
@require_POST
def act(request: HttpRequest, draft_id: UUID, step: str) -> HttpResponse:
    handler = STEPS.get(step)
    if handler is None:
        raise Http404
    try:
        done: Any = handler(request, draft_id)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("decisions:detail", draft_id=draft_id)
