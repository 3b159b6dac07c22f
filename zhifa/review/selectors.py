"""Reads of the review app: the legal office's queue, reviewers' workloads, and the supervision figures for the
justice bureau and agency heads (issue 5 §8). Scoped to the agencies the user may see; constant query counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.db.models.expressions import BaseExpression
from django.utils import timezone

from zhifa.accounts.models import User
from zhifa.accounts.roles import Role
from zhifa.accounts.scoping import scope_to_agencies, visible_agency_ids
from zhifa.registry.models import Agency, CertificateStatus, Staff, required_legal_reviewers
from zhifa.review.models import OPEN_STATES, CheckItem, CheckResult, ReviewRound, ReviewState

RUNNING_STATES = (ReviewState.PENDING, ReviewState.IN_REVIEW)  # open rounds whose clock runs


def rounds_for(*, user: User) -> QuerySet[ReviewRound]:
    return scope_to_agencies(ReviewRound.objects.all(), visible_agency_ids(user))


def with_due(qs: QuerySet[ReviewRound], due: BaseExpression) -> QuerySet[ReviewRound]:
    """Rounds with their `due` date read from the subject's clock. Review keeps no clock of its own (ADR 0024): the
    subject's owner gives the expression (for cases: `zhifa.cases.selectors.review_clock_due`)."""
    return qs.annotate(due=due)


def review_queue_for(*, user: User, due: BaseExpression, scope: str = "open", limit: int = 50, offset: int = 0,
                     today: date | None = None) -> tuple[list[ReviewRound], int]:
    """The queue: `open` (all open rounds, earliest due first), `mine` (assigned to me), `unassigned`,
    `overdue` (open and past due), `done` (decided, newest first). `due`: see `with_due`."""
    qs = with_due(rounds_for(user=user), due)
    today = today or timezone.localdate()
    # Open rounds have no decision date: `decided_on IS NULL` keeps the page to the open rounds of the agency
    # (the (agency, decided_on, received_on) index) before they are put in due order (bench/README.md, review).
    if scope == "mine":
        qs = qs.filter(assigned_to=user, decided_on__isnull=True, state__in=OPEN_STATES)
    elif scope == "unassigned":
        qs = qs.filter(decided_on__isnull=True, state=ReviewState.PENDING)
    elif scope == "overdue":
        qs = qs.filter(Q(due__lt=today), decided_on__isnull=True, state__in=RUNNING_STATES)  # a paused clock: not due
    elif scope == "done":
        qs = qs.filter(decided_on__isnull=False)
    else:
        qs = qs.filter(decided_on__isnull=True, state__in=OPEN_STATES)
    total = qs.count()
    order = ["-decided_on", "-id"] if scope == "done" else ["due", "id"]
    rows = list(qs.select_related("case", "assigned_to", "submitted_by", "agency").order_by(*order)
                [offset:offset + limit])
    return rows, total


@dataclass
class Workload:
    user_id: int
    public_id: str
    name: str
    open: int
    done: int
    qualified: bool


def reviewer_workloads(*, agency_id: int) -> list[Workload]:
    """Each legal reviewer of the agency with open and finished rounds (shown when assigning, issue 5 §3)."""

    users = list(User.objects.filter(agency_id=agency_id, roles__role=Role.LEGAL_REVIEWER, is_active=True)
                 .select_related("staff").order_by("full_name").distinct())
    # One aggregate over the rounds, grouped by reviewer (not a join of every reviewer to all their rounds).
    counts = {row["assigned_to"]: row for row in ReviewRound.objects.filter(assigned_to__in=[u.pk for u in users])
              .order_by().values("assigned_to")
              .annotate(open_n=Count("id", filter=Q(decided_on__isnull=True)),
                        done_n=Count("id", filter=Q(decided_on__isnull=False)))}
    out = []
    for u in users:
        staff = getattr(u, "staff", None)
        row = counts.get(u.pk, {"open_n": 0, "done_n": 0})
        out.append(Workload(u.pk, str(u.public_id), u.full_name or u.username, row["open_n"], row["done_n"],
                            bool(staff and staff.has_legal_qualification)))
    return out


@dataclass
class AgencyReviewFigures:
    agency_id: int
    agency_name: str
    by_state: dict[str, int] = field(default_factory=dict)
    overdue_open: int = 0
    overdue_done: int = 0
    decided: int = 0
    avg_working_days: float | None = None
    problems: int = 0
    returned: int = 0
    reviewers: int = 0
    reviewers_required: int = 0

    @property
    def staffing_short(self) -> int:
        return max(0, self.reviewers_required - self.reviewers)


@dataclass
class Supervision:
    agencies: list[AgencyReviewFigures]
    problems_by_item: list[tuple[str, int]]
    total: int


def supervision_for(*, user: User, due: BaseExpression, today: date | None = None) -> Supervision:
    """Reviews by state, overdue, time taken and problems found, per agency the user may see, with the REG-20
    staffing alert. Aggregates only: the query count does not grow with the number of reviews."""

    today = today or timezone.localdate()
    qs = with_due(rounds_for(user=user).order_by(), due)  # no default ordering: it would join every round to its case
    by_state = qs.values("agency_id", "state").annotate(n=Count("id"))
    stats = qs.values("agency_id").annotate(
        overdue_open=Count("id", filter=Q(state__in=RUNNING_STATES, due__lt=today)),
        overdue_done=Count("id", filter=Q(overdue=True)),
        decided=Count("id", filter=Q(state__in=[ReviewState.PASSED, ReviewState.RETURNED])),
        returned=Count("id", filter=Q(state=ReviewState.RETURNED)),
        avg_days=Avg("working_days_taken"),
        problems_n=Sum("problems"),
    )
    problems = scope_to_agencies(CheckResult.objects.filter(passed=False), visible_agency_ids(user),
                                 field="round__agency").order_by()
    by_item = dict(problems.values_list("item").annotate(n=Count("id")))
    agencies = scope_to_agencies(Agency.objects.filter(is_justice_bureau=False), visible_agency_ids(user), field="pk")
    figures: dict[int, AgencyReviewFigures] = {a.pk: AgencyReviewFigures(a.pk, a.name) for a in agencies}
    for row in by_state:
        if row["agency_id"] in figures:
            figures[row["agency_id"]].by_state[row["state"]] = row["n"]
    for stat in stats:
        fig = figures.get(stat["agency_id"])
        if fig is None:
            continue
        fig.overdue_open, fig.overdue_done, fig.decided = stat["overdue_open"], stat["overdue_done"], stat["decided"]
        fig.returned = stat["returned"]
        fig.problems = stat["problems_n"] or 0
        fig.avg_working_days = None if stat["avg_days"] is None else round(float(stat["avg_days"]), 1)
    reviewers = _reviewer_counts(list(figures))
    officers = _officer_counts(list(figures), today)
    for pk, fig in figures.items():
        fig.reviewers = reviewers.get(pk, 0)
        fig.reviewers_required = required_legal_reviewers(officers.get(pk, 0))
    items = [(str(CheckItem(k).label), n) for k, n in sorted(by_item.items(), key=lambda kv: -kv[1])]
    return Supervision(sorted(figures.values(), key=lambda f: f.agency_name), items, qs.count())


def _reviewer_counts(agency_ids: list[int]) -> dict[int, int]:

    rows = (Staff.objects.filter(agency_id__in=agency_ids, is_legal_reviewer=True, active=True)
            .values_list("agency_id").annotate(n=Count("id")))
    return dict(rows)


def _officer_counts(agency_ids: list[int], today: date) -> dict[int, int]:
    """REG-20's base: certified, non-auxiliary officers on `today` (as registry.selectors.certified_officers)."""

    rows = (Staff.objects.filter(agency_id__in=agency_ids, active=True, is_auxiliary=False,
                                 certificates__status=CertificateStatus.VALID, certificates__valid_from__lte=today,
                                 certificates__valid_to__gte=today)
            .values_list("agency_id").annotate(n=Count("id", distinct=True)))
    return dict(rows)


def rounds_of_case(case_id: int) -> QuerySet[ReviewRound]:
    """Every review round of a case, in order, with its reviewer (the caller has already scoped the case)."""
    return ReviewRound.objects.filter(case_id=case_id).select_related("reviewer").order_by("number")
