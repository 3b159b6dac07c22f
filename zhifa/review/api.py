"""API v1 routes of the review app (法制审核), mounted at /api/v1/review/ (token auth for systems, session for the UI).

    GET /queue?scope=open|mine|unassigned|overdue|done   the legal office's queue of review rounds (total, a page)
    GET /rounds/{round_id}                               one round: package, checklist, pauses, coordination, opinion
                                                         and its 法制审核意见书 (appends a 调阅 entry first; 503 if
                                                         it cannot)
    GET /reviewers[?case_id=]                            the user's agency's legal reviewers with their workloads and
                                                         qualification; with a case, whether each may review it
                                                         (REG-19, REG-21)
    GET /supervision                                     per-agency review figures and problems by checklist item, for
                                                         supervisors (their bureau's agencies), agency heads and legal
                                                         reviewers (own agency); others 403

The review steps themselves (submit, assign, request/supply materials, extend, pass, return, coordinate) are case
actions: `POST /api/v1/cases/{case_id}/actions/{name}` (zhifa/cases/api.py). These routes only read, through the
selectors of zhifa/review/selectors.py, scoped to the agencies the user may see: another agency's round is a 404.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any, Literal

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.decorators import decorate_view
from ninja.security import django_auth

from zhifa.accounts.auth import ApiTokenAuth
from zhifa.accounts.roles import Role
from zhifa.accounts.selectors import users_by_id
from zhifa.cases import engine
from zhifa.cases.review_steps import review_subject
from zhifa.cases.selectors import case_get_for, materials_pauses_started, review_clock_due
from zhifa.common.errors import NotAllowed
from zhifa.common.paging import offset_query
from zhifa.records.access import api_fail_closed, record_access, record_list_access
from zhifa.registry.selectors import agency_public_ids
from zhifa.review import selectors
from zhifa.review.models import (
    OPEN_STATES,
    CheckItem,
    CoordinationOutcome,
    ReviewRound,
    ReviewState,
)
from zhifa.review.services import assignment_problem, first_penalty_review
from zhifa.workdays.calendar import load_calendar

router = Router(tags=["法制审核（需令牌）"], auth=[ApiTokenAuth(), django_auth])

API_PREFIX = "/api/v1"
OPINION_DOC = "legal_review_opinion"
DECISION_ACTIONS = ("case.pass_legal_review", "case.return_legal_review")
SUPERVISION_ROLES = (Role.SUPERVISOR, Role.AGENCY_HEAD, Role.LEGAL_REVIEWER)


_fail_closed = api_fail_closed


# ------------------------------------------------------------------------------------------------------ schemas


class ReviewErrorOut(Schema):
    code: str = Field(..., description="稳定的错误代码，例如 unauthenticated、forbidden、not_found")
    message: str = Field(..., description="中文说明")
    rule: str | None = Field(None, description="被违反的规则编号")
    errors: list[Any] | None = Field(None, description="逐项的输入错误")


class ReviewPersonOut(Schema):
    id: uuid.UUID
    name: str


class ReviewCaseRefOut(Schema):
    id: uuid.UUID
    reference: str = Field(..., description="案号")
    title: str = Field(..., description="案由")
    state: str
    state_label: str


class ReviewRoundSummaryOut(Schema):
    id: uuid.UUID
    case_id: uuid.UUID
    case_reference: str
    case_title: str
    agency_name: str
    number: int = Field(..., description="审核轮次")
    state: str = Field(..., description="pending 待分配；in_review 审核中；materials_requested 退回补充材料（暂停计时）；"
                                        "passed 同意；returned 存在问题")
    state_label: str
    reasons: list[str] = Field(..., description="需要法制审核的理由（REV-2/REV-3）")
    submitted_on: datetime.date
    received_on: datetime.date | None = Field(..., description="收到完整材料之日（审核期限起算，REV-6）")
    due: datetime.date | None = Field(..., description="审核期限（5个工作日，经批准延长3个工作日，补充材料期间暂停）")
    days_left: int | None = Field(..., description="距审核期限的自然日数（负数为已超期；已办结或暂停计时为 null）")
    paused: bool = Field(..., description="正在等待补充材料，审核期限暂停计算")
    extended: bool
    assigned_to: str = Field(..., description="审核人员姓名（未分配为空）")
    reviewer: str = Field(..., description="出具审核意见的人员姓名")
    decided_on: datetime.date | None
    overdue: bool = Field(..., description="未办结且已过期限（暂停计时的，要求补充材料时已过期限），或超期办结")


class ReviewQueueOut(Schema):
    scope: str
    total: int
    limit: int
    offset: int
    items: list[ReviewRoundSummaryOut]


class ReviewCheckOut(Schema):
    item: str
    label: str
    passed: bool
    comment: str


class ReviewPauseOut(Schema):
    start: datetime.date = Field(..., description="暂停计时的第一天（要求补充材料的次日）")
    end: datetime.date | None = Field(..., description="补充材料之日（仍在等待为 null）")
    missing: str = Field(..., description="需补充的材料")
    working_days: int | None = Field(..., description="暂停的工作日数（仍在等待为 null）")


class ReviewCoordinationOut(Schema):
    on: datetime.date
    participants: str
    disagreement: str
    conclusion: str
    outcome: str = Field(..., description="accept_review 采纳审核意见；head 提请机关负责人决定；collective 集体讨论")
    outcome_label: str
    recorded_by: str


class ReviewDocumentOut(Schema):
    id: uuid.UUID
    name: str
    number: str = Field(..., description="文号")
    issued_at: datetime.datetime
    pdf_url: str
    docx_url: str


class ReviewHistoryOut(Schema):
    id: uuid.UUID
    number: int
    state: str
    state_label: str
    submitted_on: datetime.date
    decided_on: datetime.date | None
    reviewer: str
    problems: int


class ReviewRoundDetailOut(ReviewRoundSummaryOut):
    case: ReviewCaseRefOut
    proposal: dict[str, Any] = Field(..., description="送审的处理意见（通过后改变须重新送审，REV-13）")
    package: dict[str, Any] = Field(..., description="送审材料（REV-15）")
    materials: str = Field(..., description="送审说明")
    submitted_by: str
    extension_reason: str
    extension_approved_by: str
    assigned_by: str
    assigned_on: datetime.date | None
    assigned_reviewer: ReviewPersonOut | None
    opinion: str
    problems: int = Field(..., description="审核清单中存在问题的项数")
    working_days_taken: int | None = Field(..., description="审核用时（工作日，不含暂停）")
    checks: list[ReviewCheckOut] = Field(..., description="审核清单（REV-8），按清单顺序")
    pauses: list[ReviewPauseOut]
    coordinations: list[ReviewCoordinationOut] = Field(..., description="意见分歧的协调记录（REV-10）")
    opinion_document: ReviewDocumentOut | None = Field(..., description="本轮出具的法制审核意见书")
    rounds: list[ReviewHistoryOut] = Field(..., description="本案的全部审核轮次")


class ReviewReviewerProblemOut(Schema):
    rule: str
    message: str


class ReviewReviewerOut(Schema):
    id: uuid.UUID
    name: str
    open: int = Field(..., description="在办的审核轮次")
    done: int = Field(..., description="已办结的审核轮次")
    legal_qualification: bool = Field(..., description="具有法律职业资格（REG-21）")
    first_review: bool = Field(..., description="尚未出具过行政处罚决定的法制审核意见")
    problem: ReviewReviewerProblemOut | None = Field(
        None, description="给出 case_id 时：不能审核该案的原因（REG-19 回避、REG-21 资格）；可以审核为 null")


class ReviewStateCountOut(Schema):
    state: str
    label: str
    count: int


class ReviewAgencyFiguresOut(Schema):
    agency_id: uuid.UUID
    agency_name: str
    by_state: list[ReviewStateCountOut]
    open: int
    overdue_open: int = Field(..., description="未办结且已超期")
    overdue_done: int = Field(..., description="超期办结")
    decided: int
    avg_working_days: float | None = Field(..., description="平均审核用时（工作日）")
    problems: int = Field(..., description="审核清单发现的问题项数")
    returned: int = Field(..., description="“存在问题”的审核意见数")
    reviewers: int = Field(..., description="在岗法制审核人员")
    reviewers_required: int = Field(..., description="应配备的法制审核人员（执法人员的5%，不足1人按1人，REG-20）")
    staffing_short: int = Field(..., description="缺少的法制审核人员（大于0时提示配备不足）")


class ReviewProblemItemOut(Schema):
    item: str
    label: str
    count: int


class ReviewSupervisionOut(Schema):
    total: int
    agencies: list[ReviewAgencyFiguresOut]
    problems_by_item: list[ReviewProblemItemOut]


READ_ERRORS: dict[int, Any] = {status: ReviewErrorOut for status in (401, 404, 422, 503)}
LIST_ERRORS: dict[int, Any] = {status: ReviewErrorOut for status in (401, 422)}


# ---------------------------------------------------------------------------------------------------- serializers


def _name(user: Any) -> str:
    if user is None:
        return ""
    return getattr(user, "full_name", "") or user.username


def _state_label(state: str) -> str:
    return str(ReviewState(state).label) if state in ReviewState.values else state


def _paused_on(rounds: list[ReviewRound]) -> dict[int, datetime.date]:
    """The day materials were requested, for each of `rounds` waiting for them (one query)."""
    waiting = [r.pk for r in rounds if r.state == ReviewState.MATERIALS_REQUESTED]
    if not waiting:
        return {}
    return {round_id: datetime.date.fromordinal(start.toordinal() - 1) for round_id, start in
            materials_pauses_started(waiting).items()}


def _summary(rnd: ReviewRound, today: datetime.date, paused_on: datetime.date | None = None) -> dict[str, Any]:
    """While the clock is paused (REV-6) the stored due date is not yet the real one: no days left are shown, and
    the round is overdue only if its due date had already passed when the materials were requested."""
    case = rnd.case
    due: datetime.date | None = getattr(rnd, "due", None)  # annotated from the case's review clock (ADR 0024)
    is_open = rnd.state in OPEN_STATES
    paused = rnd.state == ReviewState.MATERIALS_REQUESTED
    if not is_open:
        overdue = rnd.overdue
    elif paused:
        overdue = bool(due and paused_on and paused_on > due)
    else:
        overdue = bool(due and today > due)
    return {
        "id": rnd.public_id, "case_id": case.public_id, "case_reference": case.reference, "case_title": case.title,
        "agency_name": rnd.agency.name, "number": rnd.number, "state": rnd.state,
        "state_label": _state_label(rnd.state), "reasons": [str(r) for r in rnd.reasons or []],
        "submitted_on": rnd.submitted_on, "received_on": rnd.received_on, "due": due,
        "days_left": (due - today).days if is_open and not paused and due else None,
        "paused": paused, "extended": rnd.extended,
        "assigned_to": _name(rnd.assigned_to), "reviewer": _name(rnd.reviewer), "decided_on": rnd.decided_on,
        "overdue": overdue,
    }


def _opinion_document(rnd: ReviewRound) -> dict[str, Any] | None:
    """The 法制审核意见书 issued with this round (its `opinion_document`, linked when issued)."""
    doc = rnd.opinion_document
    if doc is None:
        return None
    return {"id": doc.public_id, "name": doc.name, "number": doc.number, "issued_at": doc.issued_at,
            "pdf_url": f"{API_PREFIX}/documents/{doc.public_id}/pdf",
            "docx_url": f"{API_PREFIX}/documents/{doc.public_id}/docx"}


def _detail(rnd: ReviewRound, today: datetime.date) -> dict[str, Any]:
    case = rnd.case
    data = _summary(rnd, today, _paused_on([rnd]).get(rnd.pk))
    calendar = load_calendar(rnd.agency.region_code)
    checks = {c.item: c for c in rnd.checks.all()}
    order = list(CheckItem.values)
    data.update(
        case={"id": case.public_id, "reference": case.reference, "title": case.title, "state": case.state,
              "state_label": engine.kind_of(case).state_label(case.state)},
        proposal=dict(rnd.proposal or {}), package=dict(rnd.package or {}), materials=rnd.materials,
        submitted_by=_name(rnd.submitted_by), extension_reason=rnd.extension_reason,
        extension_approved_by=_name(rnd.extension_approved_by), assigned_by=_name(rnd.assigned_by),
        assigned_on=rnd.assigned_on,
        assigned_reviewer=None if rnd.assigned_to is None else {"id": rnd.assigned_to.public_id,
                                                                "name": _name(rnd.assigned_to)},
        opinion=rnd.opinion, problems=rnd.problems, working_days_taken=rnd.working_days_taken,
        checks=[{"item": c.item, "label": str(CheckItem(c.item).label) if c.item in CheckItem.values else c.item,
                 "passed": c.passed, "comment": c.comment}
                for c in sorted(checks.values(), key=lambda c: order.index(c.item) if c.item in order else 99)],
        pauses=[{"start": p.start, "end": p.end, "missing": p.note,
                 "working_days": None if p.end is None else calendar.working_days_between(
                     datetime.date.fromordinal(p.start.toordinal() - 1), p.end)}
                for p in rnd.pauses.order_by("start", "pk")],
        coordinations=[{"on": c.on, "participants": c.participants, "disagreement": c.disagreement,
                        "conclusion": c.conclusion, "outcome": c.outcome,
                        "outcome_label": str(CoordinationOutcome(c.outcome).label)
                        if c.outcome in CoordinationOutcome.values else c.outcome,
                        "recorded_by": _name(c.recorded_by)}
                       for c in rnd.coordinations.select_related("recorded_by").order_by("on", "pk")],
        opinion_document=_opinion_document(rnd),
        rounds=[{"id": r.public_id, "number": r.number, "state": r.state, "state_label": _state_label(r.state),
                 "submitted_on": r.submitted_on, "decided_on": r.decided_on, "reviewer": _name(r.reviewer),
                 "problems": r.problems}
                for r in selectors.rounds_of_case(rnd.case_id)],
    )
    return data


# ---------------------------------------------------------------------------------------------------------- queue


@router.get("/queue", response={200: ReviewQueueOut, **LIST_ERRORS}, operation_id="review_queue",
            summary="法制审核待办（审核轮次列表；记录调阅）")
@decorate_view(_fail_closed)
def review_queue(
    request: HttpRequest,
    scope: Literal["open", "mine", "unassigned", "overdue", "done"] = Query(
        "open", description="open 全部在办（按期限）；mine 分配给我的；unassigned 待分配；overdue 已超期；done 已办结（最新在前）"),
    limit: int = Query(50, ge=1, le=200),
    offset: int = offset_query(),
) -> Any:
    """The review rounds of the agencies the user may see; like the staff queue, one 调阅 entry naming the cases
    listed (issue 9 defect 9)."""
    rows, total = selectors.review_queue_for(user=request.user, due=review_clock_due(),  # type: ignore[arg-type]
                                             scope=scope, limit=limit, offset=offset)
    record_list_access(user=request.user, object_kind="review_queue", action=f"list:{scope}", request=request,
                       shown=[(r.agency_id, str(r.case.public_id)) for r in rows])
    today = engine.today_in_china()
    paused_on = _paused_on(rows)
    return {"scope": scope, "total": total, "limit": limit, "offset": offset,
            "items": [_summary(r, today, paused_on.get(r.pk)) for r in rows]}


# -------------------------------------------------------------------------------------------------------- detail


@router.get("/rounds/{round_id}", response={200: ReviewRoundDetailOut, **READ_ERRORS}, operation_id="review_round_get",
            summary="审核轮次详情（送审材料、审核清单、暂停、协调、审核意见书；记录调阅）")
@decorate_view(_fail_closed)
def review_round_get(request: HttpRequest, round_id: uuid.UUID) -> Any:
    rnd = (selectors.with_due(selectors.rounds_for(user=request.user), review_clock_due())  # type: ignore[arg-type]
           .select_related("case", "agency", "assigned_to", "assigned_by", "submitted_by", "reviewer",
                           "extension_approved_by", "opinion_document")
           .filter(public_id=round_id).first())
    if rnd is None:
        raise Http404
    record_access(user=request.user, agency_id=rnd.agency_id, object_kind="review_round",
                  object_id=str(rnd.public_id), action="view", request=request)
    return _detail(rnd, engine.today_in_china())


# ----------------------------------------------------------------------------------------------------- reviewers


@router.get("/reviewers", response={200: list[ReviewReviewerOut], **READ_ERRORS}, operation_id="review_reviewers",
            summary="本机关法制审核人员（工作量、资格；给出案件时说明能否审核该案）")
def review_reviewers(
    request: HttpRequest,
    case_id: uuid.UUID | None = Query(None, description="案件：说明每位审核人员能否审核该案"),  # noqa: B008
) -> Any:
    user = request.user
    agency_id = getattr(user, "agency_id", None)
    subject = None
    if case_id is not None:
        case = case_get_for(user=user, case_id=case_id)  # type: ignore[arg-type]  # 404 outside the user's scope
        subject = review_subject(case, with_participants=True)
        agency_id = case.agency_id
    if agency_id is None:
        return []
    loads = selectors.reviewer_workloads(agency_id=agency_id)
    users = users_by_id(w.user_id for w in loads)
    out = []
    for w in loads:
        reviewer = users[w.user_id]
        problem = assignment_problem(subject, reviewer) if subject is not None else None
        out.append({"id": reviewer.public_id, "name": w.name, "open": w.open, "done": w.done,
                    "legal_qualification": w.qualified, "first_review": first_penalty_review(reviewer),
                    "problem": None if problem is None else {"rule": problem[0], "message": problem[1]}})
    return out


# --------------------------------------------------------------------------------------------------- supervision


@router.get("/supervision", response={200: ReviewSupervisionOut, 403: ReviewErrorOut, **LIST_ERRORS},
            operation_id="review_supervision", summary="法制审核监督统计（按机关；问题按审核清单项）")
def review_supervision(request: HttpRequest) -> Any:
    """Supervisors see the agencies their bureau supervises; agency heads and legal reviewers their own agency."""
    user = request.user
    if not user.has_role(*SUPERVISION_ROLES):  # type: ignore[union-attr]
        raise NotAllowed("只有监督人员、机关负责人和法制审核人员可以查看法制审核监督统计。")
    figures = selectors.supervision_for(user=user, due=review_clock_due(), today=engine.today_in_china())  # type: ignore[arg-type]
    public_ids = agency_public_ids(f.agency_id for f in figures.agencies)
    by_label = {str(item.label): item.value for item in CheckItem}
    return {
        "total": figures.total,
        "agencies": [{
            "agency_id": public_ids[f.agency_id], "agency_name": f.agency_name,
            "by_state": [{"state": s, "label": _state_label(s), "count": f.by_state.get(s, 0)}
                         for s in ReviewState.values],
            "open": sum(f.by_state.get(s, 0) for s in OPEN_STATES),
            "overdue_open": f.overdue_open, "overdue_done": f.overdue_done, "decided": f.decided,
            "avg_working_days": f.avg_working_days, "problems": f.problems, "returned": f.returned,
            "reviewers": f.reviewers, "reviewers_required": f.reviewers_required, "staffing_short": f.staffing_short,
        } for f in figures.agencies],
        "problems_by_item": [{"item": by_label.get(label, ""), "label": label, "count": n}
                             for label, n in figures.problems_by_item],
    }
