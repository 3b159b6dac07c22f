"""Staff pages of the review app, mounted at /staff/review/ (namespace "review").

- the legal office's queue (法制审核工作台): tabs 待分配 / 我的审核 / 全部进行中 / 已超期 / 已完成, with the
  reviewers' workload beside it, for legal reviewers and agency heads;
- the supervision page (法制审核监督): per agency figures and the REG-20 staffing alert, for the justice bureau's
  supervisors (every supervised agency) and agency heads (their own agency).

Thin views: the selectors scope every read to the user's agencies; the review steps themselves are case actions
taken on the case page; its review rounds card is drawn from `review/cards.py`.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from zhifa.accounts.roles import Role
from zhifa.cases import engine
from zhifa.cases.selectors import review_clock_due
from zhifa.common.paging import page_number
from zhifa.records.access import fail_closed, record_list_access
from zhifa.review import selectors
from zhifa.review.cards import STATE_BADGES, round_countdown
from zhifa.review.models import ReviewState

PAGE_SIZE = 20
QUEUE_ROLES = (Role.LEGAL_REVIEWER, Role.AGENCY_HEAD)
SUPERVISION_ROLES = (Role.SUPERVISOR, Role.AGENCY_HEAD)
ASSIGNER_ROLES = (Role.LEGAL_REVIEWER, Role.AGENCY_HEAD)  # as cases.review_steps.ASSIGNERS
TABS = (
    ("unassigned", _("待分配")),
    ("mine", _("我的审核")),
    ("open", _("全部进行中")),
    ("overdue", _("已超期")),
    ("done", _("已完成")),
)


def _today() -> date:
    return engine.today_in_china()


# ----------------------------------------------------------------------------------------------------- queue


def _page_number(request: HttpRequest) -> int:
    return page_number(request, PAGE_SIZE)


@login_required
@require_GET
@fail_closed
def queue(request: HttpRequest) -> HttpResponse:
    """法制审核工作台: the agency's review rounds by tab, earliest due first (已完成: newest first)."""
    user = request.user
    if not user.has_role(*QUEUE_ROLES):  # type: ignore[union-attr]
        raise PermissionDenied
    reviewer = user.has_role(Role.LEGAL_REVIEWER)  # type: ignore[union-attr]
    tabs = dict(TABS)
    tab = request.GET.get("tab") or ("mine" if reviewer else "open")
    tab = tab if tab in tabs else "open"
    today = _today()
    counts = {code: selectors.review_queue_for(user=user, due=review_clock_due(), scope=code, limit=0, today=today)[1]  # type: ignore[arg-type]
              for code in tabs}
    pages = max(1, -(-counts[tab] // PAGE_SIZE))
    page = min(_page_number(request), pages)
    rows, total = selectors.review_queue_for(user=user, due=review_clock_due(), scope=tab, limit=PAGE_SIZE,  # type: ignore[arg-type]
                                             offset=(page - 1) * PAGE_SIZE, today=today)
    can_assign = user.has_role(*ASSIGNER_ROLES)  # type: ignore[union-attr]
    items = [{
        "round": r, "badge": STATE_BADGES.get(r.state, "text-bg-light"), "countdown": round_countdown(r, today),
        "assignable": can_assign and r.state == ReviewState.PENDING and r.agency_id == user.agency_id,  # type: ignore[union-attr]
        "mine": r.assigned_to_id == user.pk and r.is_open,
    } for r in rows]
    workloads = selectors.reviewer_workloads(agency_id=user.agency_id) if user.agency_id else []  # type: ignore[union-attr]
    # The queue shows case titles and parties: a 调阅 of the cases listed (issue 9 defect 9), or 503.
    record_list_access(user=user, object_kind="review_queue",
                       shown=[(r.agency_id, str(r.case.public_id)) for r in rows], action=f"list:{tab}",
                       request=request)
    return render(request, "review/queue.html", {
        "tabs": [(code, label, counts[code]) for code, label in TABS], "tab": tab, "items": items, "total": total,
        "page": page, "pages": pages, "query_string": urlencode({"tab": tab}), "workloads": workloads,
        "today": today, "can_supervise": user.has_role(*SUPERVISION_ROLES),  # type: ignore[union-attr]
    })


# ----------------------------------------------------------------------------------------------- supervision


@login_required
@require_GET
def supervision(request: HttpRequest) -> HttpResponse:
    """法制审核监督: per agency reviews by state, overdue, time taken, problems found, returned, and staffing."""
    user = request.user
    if not user.has_role(*SUPERVISION_ROLES):  # type: ignore[union-attr]
        raise PermissionDenied
    today = _today()
    data = selectors.supervision_for(user=user, due=review_clock_due(), today=today)  # type: ignore[arg-type]
    rows: list[dict[str, Any]] = [{"fig": fig, "states": [(label, fig.by_state.get(code, 0)) for code, label in ReviewState.choices],
             "open": sum(fig.by_state.get(s, 0) for s in (ReviewState.PENDING, ReviewState.IN_REVIEW,
                                                             ReviewState.MATERIALS_REQUESTED))}
            for fig in data.agencies]
    most = max((n for _label, n in data.problems_by_item), default=0)
    items = [{"label": label, "n": n, "pct": round(100 * n / most) if most else 0}
             for label, n in data.problems_by_item]
    return render(request, "review/supervision.html", {
        "rows": rows, "short": [r["fig"] for r in rows if r["fig"].staffing_short], "items": items,
        "total": data.total, "states": ReviewState.choices, "today": today,
        "can_queue": user.has_role(*QUEUE_ROLES),  # type: ignore[union-attr]
    })
