"""行政处罚 general procedure: the states of CASE-59 and their guarded transitions (APL Art. 44–73)."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from zhifa.accounts.roles import Role
from zhifa.cases import decisions, gates
from zhifa.cases.deadlines import deadline_cancel, deadline_extend, deadline_meet, deadline_open, deadline_start
from zhifa.cases.engine import Action, Ctx, make_kind
from zhifa.cases.kinds.common import (
    ARCHIVISTS,
    EVIDENCE_STEP,
    HEADS,
    HEARING_STEP,
    INSPECTION_STEP,
    OFFICERS,
    PRESERVATION_STEP,
    SHOW_CERTIFICATE_STEP,
    UNIT_OR_AGENCY_HEAD,
    CaseIn,
    CloseIn,
    NoteIn,
    OfficersIn,
    RecordIn,
    common_actions,
    create_record,
    run_archive,
    run_assign_officers,
    run_close,
)
from zhifa.cases.kinds.penalty_documents import penalty_document_part
from zhifa.cases.kinds.penalty_inputs import (
    ConcludeIn,
    CorrectionIn,
    CourtIn,
    DecideIn,
    DeclineIn,
    DefenseIn,
    DiscussionIn,
    ExtensionIn,
    FilingIn,
    HearingHeldIn,
    HearingNoticeIn,
    HearingRequestIn,
    HearingTerminatedIn,
    NoPenaltyIn,
    NoticeIn,
    PauseEndIn,
    PauseIn,
    PaymentIn,
    PerformedIn,
    PreservationDecisionIn,
    PreservationIn,
    ProposalIn,
    PublishIn,
    ReminderIn,
    ServeIn,
    TransferIn,
)
from zhifa.cases.models import (
    ActivityKind,
    Extension,
    Hearing,
    Pause,
    PauseKind,
    PenaltyDetail,
    Preservation,
    Service,
    ServiceMethod,
)
from zhifa.cases.review_steps import review_actions, review_gate, scope_review
from zhifa.documents.models import Document
from zhifa.registry import models as reg
from zhifa.workdays.calendar import Direction
from zhifa.workdays.periods import add_months, capped_daily_surcharge

STATES = {
    "lead_registered": "案源登记",
    "filed": "已立案",
    "not_filed": "不予立案",
    "investigating": "调查取证",
    "investigation_concluded": "调查终结",
    "no_penalty": "不予行政处罚",
    "transferred": "移送司法机关",
    "pre_notice_issued": "已事先告知",
    "defense_review": "陈述申辩复核",
    "hearing_requested": "已申请听证",
    "hearing_noticed": "已通知听证",
    "hearing_held": "已举行听证",
    "hearing_terminated": "听证终止",
    "legal_review": "法制审核中",
    "legal_review_passed": "法制审核通过",
    "legal_review_returned": "法制审核退回",
    "legal_review_disputed": "法制审核意见分歧",
    "collective_discussion": "集体讨论",
    "decided": "已作出决定",
    "served": "已送达",
    "published": "已公示",
    "executing": "执行中",
    "performed": "已履行",
    "enforcement_applied": "已申请强制执行",
    "closed": "已结案",
    "archived": "已归档",
    "revoked": "已撤销",
    "changed": "已变更",
    "confirmed_illegal": "确认违法",
    "confirmed_void": "确认无效",
}

BEFORE_DECISION = ("filed", "investigating", "investigation_concluded", "pre_notice_issued", "defense_review",
                   "hearing_requested", "hearing_noticed", "hearing_held", "hearing_terminated", "legal_review",
                   "legal_review_passed", "legal_review_returned", "legal_review_disputed", "collective_discussion")
AFTER_DECISION = ("decided", "served", "published", "executing", "performed", "enforcement_applied", "closed")
AFTER_DEFENSE = ("defense_review", "hearing_held", "hearing_terminated", "legal_review_returned")
DECIDABLE = ("defense_review", "legal_review_passed", "collective_discussion")

REMINDER_RIGHTS = "当事人收到催告书后有权进行陈述和申辩（《中华人民共和国行政强制法》第三十六条）。"
PRESERVATION_BASIS = "《中华人民共和国行政处罚法》第五十六条"
DECISION_DAYS = 90  # CASE-44, calendar days from 立案
HEARING_REQUEST_DAYS = 5  # CASE-35
HEARING_NOTICE_DAYS = 7  # CASE-36
PRESERVATION_DAYS = 7  # CASE-11
SERVICE_DAYS = 7  # CASE-46
PAYMENT_DAYS = 15  # CASE-51
REMINDER_WAIT_DAYS = 10  # CASE-56
SURCHARGE_RATE = Decimal("0.03")  # CASE-52
ANNOUNCEMENT_DAYS = 30  # CASE-48

# ------------------------------------------------------------------------------------------------------- inputs


# ------------------------------------------------------------------------------------------------------ helpers


def _due_wd(ctx: Ctx, start: date, n: int, direction: Direction):  # noqa: ANN202
    return ctx.calendar.add_working_days(start, n, direction=direction)


def decision_due(ctx: Ctx) -> date | None:
    """CASE-44: 90 calendar days after 立案 (agency-facing: no CAL-4 shift), excluded periods paused, or the
    latest approved extension."""
    case = ctx.case
    ext = case.extensions.order_by("-new_due").first()
    if ext is not None:
        return ext.new_due
    if case.penalty.filed_on is None:
        return None
    pauses = [(p.start, p.end or ctx.today) for p in case.pauses.filter(kind=PauseKind.EXCLUDED)]
    return ctx.calendar.add_calendar_days(case.penalty.filed_on, DECISION_DAYS, party_facing=False, pauses=pauses).due


def surcharge_on(ctx: Ctx, day: date) -> Decimal:
    """CASE-52/53: 3 % of the fine a day from the day after the payment deadline, capped at the fine, not accruing
    while 复议 or 诉讼 is pending."""
    case = ctx.case
    if not case.penalty.fine_amount or case.penalty.payment_due is None or day <= case.penalty.payment_due:
        return Decimal(0)
    days = (day - case.penalty.payment_due).days
    for pause in case.pauses.filter(kind__in=[PauseKind.RECONSIDERATION, PauseKind.LITIGATION]):
        start = max(pause.start, case.penalty.payment_due + (date.resolution))
        end = min(pause.end or day, day)
        if end >= start:
            days -= (end - start).days + 1
    return capped_daily_surcharge(case.penalty.fine_amount, SURCHARGE_RATE, max(days, 0)).quantize(Decimal("0.01"))


def _set_proposal(ctx: Ctx, data: ProposalIn) -> None:
    case = ctx.case
    kinds = list(dict.fromkeys(data.penalty_kinds))
    if "fine" in kinds and not data.fine_amount:
        ctx.block("CASE-42", _("处罚种类包含罚款，请填写罚款金额"))
    if "fine" not in kinds and data.fine_amount:
        ctx.block("CASE-42", _("填写了罚款金额，但处罚种类未选择罚款"))
    detail = case.penalty
    detail.penalty_kinds = kinds
    detail.fine_amount = data.fine_amount if "fine" in kinds else None
    detail.confiscation_amount = data.confiscation_amount
    detail.penalty_text = data.penalty_text.strip() or gates.penalty_label(kinds, detail.fine_amount,
                                                                           detail.confiscation_amount)
    detail.legal_basis_text = data.legal_basis_text
    detail.mitigation_note = data.mitigation_note
    for flag in ("is_complex", "multiple_legal_relations", "public_interest", "high_attention"):
        setattr(case, flag, getattr(data, flag))
    if data.articles:
        articles = list(reg.Article.objects.filter(public_id__in=data.articles))
        if len(articles) != len(set(data.articles)):
            ctx.block("CASE-25", _("所选依据条款不在法律法规库中"))
        detail.legal_basis.set(articles)
    if data.benchmark:
        bench = reg.DiscretionBenchmark.objects.filter(public_id=data.benchmark, agency_id=case.agency_id).first()
        if bench is None:
            ctx.block("CASE-27", _("所选裁量基准不属于本机关"))
        detail.benchmark, detail.benchmark_version = bench, bench.version


def _scope_review(ctx: Ctx) -> None:
    scope_review(ctx)


def _heavier(case, kinds: list[str], fine: Decimal | None) -> bool:  # noqa: ANN001
    """CASE-30: a penalty kind not notified, or a larger fine, is heavier than the notice."""
    if set(kinds) - set(case.penalty.notified_penalty_kinds or []):
        return True
    return fine is not None and (case.penalty.notified_fine is None or fine > case.penalty.notified_fine)


# -------------------------------------------------------------------------------------------------------- runs


def run_file(ctx: Ctx) -> None:
    case, on = ctx.case, ctx.data.filed_on or ctx.today
    if on > ctx.today or on < case.registered_on:
        ctx.block("CASE-2", _("立案日期应在登记日期之后、且不晚于今天"))
    gates.require_party(ctx)
    gates.check_jurisdiction(ctx)  # CASE-1
    gates.check_limitation(ctx)  # CASE-23
    case.penalty.filed_on = on
    due = ctx.calendar.add_calendar_days(on, DECISION_DAYS, party_facing=False)
    deadline_start(case=case, code="decision", rule="CASE-44", label=_("作出行政处罚决定（立案之日起90日）"),
                   start=on, due=due)
    ctx.issue("filing_approval", on=on, opinion=ctx.data.opinion,
              approvals=[{"role": _("机关负责人"), "name": ctx.actor.full_name, "opinion": ctx.data.opinion,
                          "date": on}])


def run_decline(ctx: Ctx) -> None:
    ctx.case.outcome, ctx.case.outcome_reason = "not_filed", ctx.data.reason
    ctx.issue("not_filing_approval", reason=ctx.data.reason,
              approvals=[{"role": _("机关负责人"), "name": ctx.actor.full_name, "opinion": ctx.data.reason,
                          "date": ctx.today}])


def run_inspection(ctx: Ctx) -> None:
    create_record(ctx, ActivityKind.INSPECTION, "inspection_record")


def run_inquiry(ctx: Ctx) -> None:
    create_record(ctx, ActivityKind.INQUIRY, "inquiry_record")


def run_request_preservation(ctx: Ctx) -> None:
    gates.require_case_officers(ctx, ctx.data.on or ctx.today)
    p = Preservation.objects.create(case=ctx.case, items=ctx.data.items, reason=ctx.data.reason,
                                    requested_on=ctx.data.on or ctx.today)
    ctx.payload["preservation_id"] = str(p.public_id)


def _preservation(ctx: Ctx) -> Preservation:
    p = ctx.case.preservations.filter(public_id=ctx.data.preservation).first()
    if p is None:
        ctx.block("CASE-11", _("没有找到该先行登记保存"))
    return p


def run_approve_preservation(ctx: Ctx) -> None:
    """CASE-11: only with the agency head's approval; the disposal decision is due within 7 working days."""
    p, on = _preservation(ctx), ctx.data.on or ctx.today
    if p.approved_on is not None:
        ctx.block("CASE-11", _("该先行登记保存已经批准"))
    due = _due_wd(ctx, on, PRESERVATION_DAYS, Direction.AGENCY_OBLIGATION)
    p.approved_on, p.approved_by, p.disposal_due = on, ctx.actor, due.due
    p.save()
    deadline_start(case=ctx.case, code=f"preservation:{p.public_id}", rule="CASE-11",
                   label=_("先行登记保存物品作出处理决定（7个工作日）"), start=on, due=due)
    ctx.issue("preservation_notice", on=on, deadline=due.due, legal_basis=PRESERVATION_BASIS,
              items=[{"name": i, "spec": "", "quantity": "", "note": ""} for i in p.items], reason=p.reason)


def run_dispose_preservation(ctx: Ctx) -> None:
    p, on = _preservation(ctx), ctx.data.on or ctx.today
    if p.approved_on is None:
        ctx.block("CASE-11", _("先行登记保存尚未经机关负责人批准"))
    if p.disposed_on is not None:
        ctx.block("CASE-11", _("该先行登记保存已经作出处理决定"))
    if not ctx.data.disposal.strip():
        ctx.block("CASE-11", _("请填写处理决定"))
    p.disposed_on, p.disposal = on, ctx.data.disposal
    p.save()
    deadline_meet(case=ctx.case, code=f"preservation:{p.public_id}", on=on)
    ctx.issue("preservation_disposal_notice", on=on, reason=p.disposal,
              items=[{"name": i, "spec": "", "quantity": "", "note": p.disposal} for i in p.items])


def run_conclude(ctx: Ctx) -> None:
    case = ctx.case
    gates.require_case_officers(ctx, ctx.today)  # REG-9
    if not case.activities.filter(kind__in=[ActivityKind.INSPECTION, ActivityKind.INQUIRY]).exists():
        ctx.block("CASE-9", _("调查取证应当制作笔录，本案还没有检查或询问笔录"))
    open_items = case.preservations.filter(disposed_on__isnull=True).count()
    if open_items:
        ctx.block("CASE-11", _("还有%(n)d项先行登记保存未作出处理决定") % {"n": open_items})
    detail = case.penalty
    detail.investigation_report, detail.facts, detail.evidence_summary = (ctx.data.report, ctx.data.facts,
                                                                          ctx.data.evidence_summary)
    detail.legal_basis_text = ctx.data.legal_basis_text
    ctx.issue("investigation_report", reason=ctx.data.report, opinion=ctx.data.opinion)


def run_no_penalty(ctx: Ctx) -> None:
    """CASE-15…19: the conditions of the chosen ground hold; an education record accompanies every no-penalty
    outcome for a violation (CASE-18)."""
    d, case = ctx.data, ctx.case
    on = d.decided_on or ctx.today
    if d.ground == "minor_corrected" and not (d.minor and d.corrected_in_time and d.no_harm):
        ctx.block("CASE-15", _("“违法行为轻微并及时改正，没有造成危害后果”的三个条件须同时具备"))
    if d.ground == "first_violation" and not (d.first_violation and d.harm_minor and d.corrected_in_time):
        ctx.block("CASE-16", _("首违不罚须同时具备初次违法、危害后果轻微并及时改正"))
    if d.ground == "under_fourteen":
        gates.refresh_ages(case)
        if not case.parties.filter(age_at_act__lt=14).exists():
            ctx.block("CASE-19", _("当事人违法时不是不满十四周岁，不能以此为由不予处罚"))
    needs_education = d.ground in ("minor_corrected", "first_violation", "no_fault", "under_fourteen")
    if needs_education and not d.education_record.strip():
        ctx.block("CASE-18", _("对不予行政处罚的当事人，应当对其进行教育，请填写批评教育记录"))
    case.outcome, case.outcome_reason, case.decided_on = f"no_penalty:{d.ground}", d.reasoning, on
    deadline_meet(case=case, code="decision", on=on)
    if needs_education:
        ctx.issue("education_record", on=d.education_on or on, reason=d.education_record,
                  record=_office_record(ctx, d.education_on or on, d.education_record))
    ctx.issue("no_penalty_decision", on=on, reason=d.reasoning)


def run_transfer(ctx: Ctx) -> None:
    on = ctx.data.on or ctx.today
    ctx.case.outcome, ctx.case.outcome_reason = "transferred", ctx.data.reason
    deadline_cancel(case=ctx.case, codes=("decision",), on=on, reason="transferred")
    ctx.issue("transfer_letter", on=on, reason=ctx.data.reason, receiving_organ=ctx.data.receiving_organ)


def run_prior_notice(ctx: Ctx) -> None:
    """CASE-29: notify the proposed penalty with facts, reasons, basis and rights; CASE-33 hearing right."""
    d, case = ctx.data, ctx.case
    on = d.served_on or ctx.today
    if on > ctx.today:
        ctx.block("CASE-29", _("送达日期不能晚于今天"))
    gates.check_limitation(ctx)
    gates.check_minors(ctx, d.mitigation_note)
    _set_proposal(ctx, d)
    detail = case.penalty
    reasons = gates.hearing_right(case, detail.penalty_kinds, detail.fine_amount, detail.confiscation_amount)
    detail.hearing_right = bool(reasons)
    detail.notified_penalty_kinds, detail.notified_fine = list(detail.penalty_kinds), detail.fine_amount
    detail.notice_served_on, detail.defense_outcome, detail.defense_text = on, "", ""
    settings = gates.case_settings(case.agency)
    defense = _due_wd(ctx, on, settings.defense_days, Direction.PARTY_RIGHT)
    deadline_start(case=case, code="defense", rule="CASE-32", label=_("当事人陈述、申辩"), start=on, due=defense,
                   party_facing=True)
    if case.penalty.hearing_right:
        hearing = _due_wd(ctx, on, HEARING_REQUEST_DAYS, Direction.PARTY_RIGHT)
        deadline_start(case=case, code="hearing_request", rule="CASE-35", label=_("当事人申请听证（5个工作日）"),
                       start=on, due=hearing, party_facing=True)
    ctx.payload["hearing_right_reasons"] = reasons
    _scope_review(ctx)
    reason = d.reasoning.strip() or case.penalty.investigation_report
    ctx.issue("prior_notice", on=on, reason=reason)
    if case.penalty.hearing_right:
        ctx.issue("hearing_right_notice", on=on, reason=reason)


def run_request_hearing(ctx: Ctx) -> None:
    case, on = ctx.case, ctx.data.requested_on or ctx.today
    if not case.penalty.hearing_right:
        ctx.block("CASE-33", _("拟作出的处罚不属于应当告知听证权利的情形"))
    row = deadline_open(case, "hearing_request")
    if row is not None and on > row.due:
        ctx.block("CASE-35", _("当事人应当在告知后五个工作日内提出听证要求，期限已于%(due)s届满")
                  % {"due": row.due.isoformat()})
    deadline_meet(case=case, code="hearing_request", on=on)
    deadline_cancel(case=case, codes=("defense",), on=on, reason="hearing")
    Hearing.objects.update_or_create(case=case, defaults={"requested_on": on})
    case.legal_review_required = True  # REV-2: a hearing makes the decision major
    case.legal_review_reasons = list(dict.fromkeys([*case.legal_review_reasons, _("经过听证程序（REV-2）")]))


def run_close_defense(ctx: Ctx) -> None:
    """CASE-31: the defense was heard, waived in writing, or its window closed without a word."""
    case, d = ctx.case, ctx.data
    on = d.on or ctx.today
    if d.outcome == "statement" and not d.text.strip():
        ctx.block("CASE-30", _("请记录当事人的陈述、申辩意见和复核意见"))
    if d.outcome == "no_response":
        for code in ("defense", "hearing_request"):
            row = deadline_open(case, code)
            if row is not None and on <= row.due:
                ctx.block("CASE-31", _("%(label)s期限至%(due)s届满，期满前不能视为放弃") % {"label": row.label,
                                                                                "due": row.due.isoformat()})
    case.penalty.defense_outcome, case.penalty.defense_text = d.outcome, d.text
    if d.outcome == "no_response":
        for code in ("defense", "hearing_request"):
            deadline_meet(case=case, code=code, on=on)
    else:
        deadline_cancel(case=case, codes=("defense", "hearing_request"), on=on, reason=d.outcome)
    if d.outcome == "statement":
        ctx.issue("defense_record", on=on, reason=d.text, record=_office_record(ctx, on, d.text))


def _office_record(ctx: Ctx, on: date, content: str) -> dict[str, object]:
    """A record made at the agency's premises (defense statement, discussion minutes)."""
    started = timezone.localtime() if on == ctx.today else datetime.combine(on, time(9, 0),
                                                                             tzinfo=timezone.get_current_timezone())
    return {"started_at": started, "ended_at": None, "place": ctx.case.agency.address or ctx.case.agency.name,
            "recorder": ctx.actor.full_name, "subject": "", "certificate_shown": True, "content": content, "qa": [],
            "refusal_note": "", "av_reference": ""}


def run_notice_hearing(ctx: Ctx) -> None:
    case, d = ctx.case, ctx.data
    notice_on = d.notice_on or ctx.today
    latest = ctx.calendar.latest_date_before(d.hearing_on, HEARING_NOTICE_DAYS, direction=Direction.AGENCY_OBLIGATION)
    if notice_on > latest.due:
        ctx.block("CASE-36", _("应当在举行听证的七个工作日前通知当事人；听证定于%(day)s的，最迟应于%(latest)s通知")
                  % {"day": d.hearing_on.isoformat(), "latest": latest.due.isoformat()})
    (host,) = gates.staff_by_ids(ctx, [d.host])
    if case.officers.filter(staff=host).exists():
        ctx.block("REG-18", _("听证主持人不得由本案调查人员担任"))
    hearing = case.hearing
    hearing.notice_on, hearing.hearing_on, hearing.place, hearing.host, hearing.public = (
        notice_on, d.hearing_on, d.place, host, d.public)
    hearing.save()
    ctx.issue("hearing_notice", on=notice_on, hearing={"date": d.hearing_on, "time": "", "place": d.place,
                                                       "host": host.name, "public": d.public, "participants": "",
                                                       "investigators_case": "", "defense": "", "record": "",
                                                       "signed_note": ""})


def run_hold_hearing(ctx: Ctx) -> None:
    case, d = ctx.case, ctx.data
    hearing = case.hearing
    if hearing.hearing_on and ctx.today < hearing.hearing_on:
        ctx.block("CASE-36", _("听证定于%(day)s举行，不能提前记录") % {"day": hearing.hearing_on.isoformat()})
    hearing.participants = d.participants
    hearing.record = f"{d.investigators_case}\n\n{d.defense}"
    hearing.save()
    case.penalty.hearing_held = True
    _scope_review(ctx)
    ctx.issue("hearing_record", on=hearing.hearing_on or ctx.today, hearing={
        "date": hearing.hearing_on, "time": "", "place": hearing.place, "host": hearing.host.name if hearing.host else "",
        "public": hearing.public, "participants": d.participants, "investigators_case": d.investigators_case,
        "defense": d.defense, "record": hearing.record, "signed_note": d.signed_note})


def run_terminate_hearing(ctx: Ctx) -> None:
    """CASE-38: no-show or leaving without permission ends the hearing; REV-2 still applies (the seeds' list)."""
    ctx.case.hearing.terminated_reason = ctx.data.reason
    ctx.case.hearing.save()
    ctx.case.penalty.hearing_held = True
    _scope_review(ctx)


def run_revise(ctx: Ctx) -> None:
    """CASE-30: after defense or hearing the proposal may change, never to something heavier than notified
    (that needs new facts and a new notice)."""
    d = ctx.data
    kinds = list(dict.fromkeys(d.penalty_kinds))
    if _heavier(ctx.case, kinds, d.fine_amount if "fine" in kinds else None):
        ctx.block("CASE-30", _("不得因当事人陈述申辩而加重处罚；如有新的事实，请重新事先告知"))
    _set_proposal(ctx, d)
    _scope_review(ctx)


def run_discussion(ctx: Ctx) -> None:
    """CASE-14: complex or major cases are decided after the heads' collective discussion; minutes recorded."""
    d = ctx.data
    ctx.case.collective_discussion = True
    on = d.on or ctx.today
    ctx.issue("collective_discussion_record", on=on, reason=d.minutes, opinion=d.conclusion,
              record=_office_record(ctx, on, d.minutes),
              hearing={"participants": d.participants}, approvals=[{"role": _("参加人员"), "name": d.participants, "opinion": d.conclusion,
                          "date": d.on or ctx.today}])


def run_extend(ctx: Ctx) -> None:
    d, case = ctx.data, ctx.case
    current = decision_due(ctx)
    if current is not None and d.new_due <= current:
        ctx.block("CASE-44", _("延长后的期限应晚于当前期限%(due)s") % {"due": current.isoformat()})
    Extension.objects.create(case=case, new_due=d.new_due, reason=d.reason, legal_basis=d.legal_basis,
                             approved_by=ctx.actor, approved_on=ctx.today)
    deadline_extend(case=case, code="decision", new_due=d.new_due, reason=d.reason)


def run_decide(ctx: Ctx) -> None:
    """The decision gate: CASE-31 notice and defense, CASE-30 not heavier, REV-1 review passed on this very
    proposal (REV-13), CASE-44 within 90 days or an approved extension, CASE-23, CASE-19; the document's
    CASE-42 items are checked by the documents app before a number is taken."""
    case, on = ctx.case, ctx.data.decided_on or ctx.today
    if on > ctx.today:
        ctx.block("CASE-44", _("决定日期不能晚于今天"))
    if case.penalty.notice_served_on is None or not (case.penalty.defense_outcome or case.penalty.hearing_held):
        ctx.block("CASE-31", _("未事先告知或未听取当事人陈述申辩（且无书面放弃），不得作出行政处罚决定"))
    if _heavier(case, case.penalty.penalty_kinds, case.penalty.fine_amount):
        ctx.block("CASE-30", _("决定的处罚重于事先告知的处罚，请重新事先告知"))
    problem = review_gate(case)
    if problem:
        ctx.block(*problem)
    due = decision_due(ctx)
    if due is not None and on > due:
        ctx.block("CASE-44", _("已超过作出决定的期限（%(due)s），须经批准延期并记录依据") % {"due": due.isoformat()})
    gates.check_limitation(ctx)
    gates.check_minors(ctx, case.penalty.mitigation_note)
    gates.require_case_officers(ctx, on)
    case.decided_on = on
    case.outcome = "penalty"
    case.penalty.performance_text = ctx.data.performance_text
    deadline_meet(case=case, code="decision", on=on)
    deadline_start(case=case, code="service", rule="CASE-46", label=_("送达行政处罚决定书（7个工作日）"), start=on,
                   due=_due_wd(ctx, on, SERVICE_DAYS, Direction.AGENCY_OBLIGATION))
    # The publication deadlines (DISC-9, one per channel, DISC-17) are opened by the disclosure app's decision
    # listener with the publication draft (`zhifa.cases.decisions`, ADR 0044).
    ctx.issue("penalty_decision", on=on)


def _service_steps(data: ServeIn) -> tuple[str, ...]:
    return {"refused_left": ("留置送达",), "announcement": ("公告送达",)}.get(data.method, ())


def run_serve(ctx: Ctx) -> None:
    """CASE-46…49: the service date depends on the method; payment and remedy periods run from it."""
    case, d = ctx.case, ctx.data
    signed = d.signed_on or ctx.today
    if signed > ctx.today:
        ctx.block("CASE-48", _("签收日期不能晚于今天"))
    if case.decided_on and signed < case.decided_on:
        ctx.block("CASE-48", _("送达日期不能早于决定日期"))
    party = case.parties.first()
    if d.method == ServiceMethod.ELECTRONIC and not (party and party.electronic_service_consent):
        ctx.block("CASE-47", _("当事人未签署电子送达确认书，不得以电子方式送达行政处罚决定书"))
    if d.method in (ServiceMethod.REFUSED_LEFT, ServiceMethod.ANNOUNCEMENT) and not d.note.strip():
        ctx.block("CASE-48", _("留置送达应注明拒收事由和见证人（或音像记录）；公告送达应记明原因和经过"))
    served = signed + (date.resolution * ANNOUNCEMENT_DAYS if d.method == ServiceMethod.ANNOUNCEMENT else
                       date.resolution * 0)
    decision = next((doc for doc in case_documents(case, "penalty_decision")), None)
    Service.objects.create(case=case, document_id=decision.public_id if decision else case.public_id,
                           document_name=_("行政处罚决定书"), method=d.method, recipient=d.recipient, signed_on=signed,
                           served_on=served, place=d.place, note=d.note, recordings=[str(r) for r in d.recordings])
    case.served_on = served
    deadline_meet(case=case, code="service", on=signed)
    if case.penalty.fine_amount:
        due = ctx.calendar.add_calendar_days(served, PAYMENT_DAYS, party_facing=True)  # CASE-51, CAL-4
        case.penalty.payment_due = due.due
        deadline_start(case=case, code="payment", rule="CASE-51", label=_("当事人缴纳罚款（15日）"), start=served,
                       due=due, party_facing=True)
    ctx.issue("service_receipt", on=signed, service={
        "document_name": _("行政处罚决定书"), "document_number": decision.number if decision else "",
        "recipient": d.recipient, "method_label": str(ServiceMethod(d.method).label), "place": d.place,
        "served_on": served, "refusal_note": d.note if d.method == ServiceMethod.REFUSED_LEFT else "",
        "witnesses": d.note})


def case_documents(case, doc_type: str):  # noqa: ANN001, ANN201
    return Document.objects.filter(subject_id=case.public_id, doc_type=doc_type).order_by("-issued_at")


def run_publish(ctx: Ctx) -> None:
    on = ctx.data.published_on or ctx.today
    deadline_meet(case=ctx.case, code="publication", on=on)
    ctx.payload["published"] = {"on": on.isoformat(), "where": ctx.data.where}


def run_payment(ctx: Ctx) -> None:
    """CASE-51/52: the fine plus any surcharge accrued by the payment day must be paid in full."""
    case, d = ctx.case, ctx.data
    on = d.paid_on or ctx.today
    if not case.penalty.fine_amount:
        ctx.block("CASE-51", _("本决定没有罚款，请记录履行情况"))
    surcharge = surcharge_on(ctx, on)
    owed = case.penalty.fine_amount + surcharge
    if d.amount < owed:
        ctx.block("CASE-52", _("应缴%(owed)s元（罚款%(fine)s元，加处罚款%(extra)s元），实缴%(paid)s元不足")
                  % {"owed": f"{owed:,.2f}", "fine": f"{case.penalty.fine_amount:,.2f}", "extra": f"{surcharge:,.2f}",
                     "paid": f"{d.amount:,.2f}"})
    case.penalty.paid_on, case.penalty.paid_amount = on, d.amount
    deadline_meet(case=case, code="payment", on=on)
    ctx.payload["surcharge"] = str(surcharge)


def run_performed(ctx: Ctx) -> None:
    if ctx.case.penalty.fine_amount:
        ctx.block("CASE-51", _("本决定有罚款，请登记缴款"))
    ctx.case.penalty.paid_on = ctx.data.on or ctx.today


def run_pause(ctx: Ctx) -> None:
    """CASE-53: no surcharge accrues while 复议 or 诉讼 is pending (a pause interval, CAL-14)."""
    if ctx.case.pauses.filter(end__isnull=True, kind__in=[PauseKind.RECONSIDERATION, PauseKind.LITIGATION]).exists():
        ctx.block("CASE-53", _("已有尚未结束的复议或诉讼期间"))
    Pause.objects.create(case=ctx.case, kind=ctx.data.kind, start=ctx.data.start, note=ctx.data.note)


def run_pause_end(ctx: Ctx) -> None:
    pause = ctx.case.pauses.filter(end__isnull=True, kind__in=[PauseKind.RECONSIDERATION, PauseKind.LITIGATION,
                                                              PauseKind.EXCLUDED]).first()
    if pause is None:
        ctx.block("CASE-53", _("没有尚未结束的复议或诉讼期间"))
    if ctx.data.end < pause.start:
        ctx.block("CAL-14", _("结束日期不能早于开始日期"))
    pause.end = ctx.data.end
    pause.save()
    if ctx.case.penalty.payment_due:  # the payment deadline itself does not move; the surcharge skips the paused days
        ctx.payload["paused_days"] = (pause.end - pause.start).days + 1


def run_reminder(ctx: Ctx) -> None:
    """CASE-56: before applying to court, serve a 催告书 and wait 10 working days."""
    case = ctx.case
    on = ctx.data.served_on or ctx.today
    if case.penalty.payment_due is None or on <= case.penalty.payment_due:
        ctx.block("CASE-56", _("缴款期限尚未届满，不能催告"))
    case.penalty.reminder_served_on = on
    deadline_start(case=case, code="reminder", rule="CASE-56", label=_("催告期满（10个工作日）"), start=on,
                   due=_due_wd(ctx, on, REMINDER_WAIT_DAYS, Direction.PARTY_RIGHT), party_facing=True)
    ctx.issue("payment_reminder", on=on, deadline=case.penalty.payment_due, rights=REMINDER_RIGHTS,
              reason=_("截至%(day)s，应缴罚款%(fine)s元，加处罚款%(extra)s元。") % {
                  "day": on.isoformat(), "fine": f"{case.penalty.fine:,.2f}", "extra": f"{surcharge_on(ctx, on):,.2f}"})


def court_window(ctx: Ctx) -> tuple[date, date] | None:
    """CASE-56: from the day after the litigation period (6 months after service) ends, for 3 months."""
    if ctx.case.served_on is None:
        return None
    opens = add_months(ctx.case.served_on, 6) + date.resolution
    return opens, add_months(add_months(ctx.case.served_on, 6), 3)


def run_court(ctx: Ctx) -> None:
    case = ctx.case
    on = ctx.data.applied_on or ctx.today
    if case.penalty.reminder_served_on is None:
        ctx.block("CASE-56", _("申请法院强制执行前，应当先催告当事人履行"))
    waited = _due_wd(ctx, case.penalty.reminder_served_on, REMINDER_WAIT_DAYS, Direction.PARTY_RIGHT).due
    if on <= waited:
        ctx.block("CASE-56", _("催告书送达十个工作日后（%(day)s之后）当事人仍未履行的，方可申请") % {"day": waited.isoformat()})
    window = court_window(ctx)
    if window is not None and not (window[0] <= on <= window[1]):
        ctx.block("CASE-56", _("应当自复议、诉讼期限届满之日起三个月内申请人民法院强制执行（%(a)s至%(b)s）")
                  % {"a": window[0].isoformat(), "b": window[1].isoformat()})
    deadline_meet(case=case, code="reminder", on=on)
    ctx.issue("enforcement_application", on=on, receiving_organ=ctx.data.court,
              reason=_("当事人在法定期限内不申请行政复议或者提起行政诉讼，又不履行行政处罚决定。"))


def run_close_penalty(ctx: Ctx) -> None:
    if ctx.case.state == "no_penalty" and ctx.case.outcome.startswith("no_penalty:") and \
            ctx.case.outcome.split(":")[1] in ("minor_corrected", "first_violation", "no_fault", "under_fourteen"):
        if not case_documents(ctx.case, "education_record").exists():
            ctx.block("CASE-18", _("不予处罚的案件应当有批评教育记录"))
    run_close(ctx)
    deadline_cancel(case=ctx.case, codes=("decision",), on=ctx.data.on or ctx.today, reason="closed")


def _correction(outcome: str, label: str):  # noqa: ANN202
    def run(ctx: Ctx) -> None:
        """DISC-23: a changed, revoked, illegal or void decision is withdrawn from publication within 3 WD."""
        on = ctx.data.on or ctx.today
        ctx.case.outcome, ctx.case.outcome_reason = outcome, ctx.data.reason
        deadline_start(case=ctx.case, code="withdrawal", rule="DISC-23", label=_("撤下已公示的决定（3个工作日）"),
                       start=on, due=_due_wd(ctx, on, 3, Direction.AGENCY_OBLIGATION))
        ctx.payload["correction"] = label
    return run


ACTIONS = [
    *common_actions(party_states=("lead_registered", "filed", "investigating"),
                    officer_states=("filed", "investigating", "investigation_concluded")),
    Action("approve_filing", "批准立案", ("lead_registered",), "filed", HEADS, FilingIn, run_file, rule="CASE-2"),
    Action("decline_filing", "不予立案", ("lead_registered",), "not_filed", HEADS, DeclineIn, run_decline,
           rule="CASE-2"),
    Action("assign_officers", "指派执法人员", ("filed",), "investigating", UNIT_OR_AGENCY_HEAD, OfficersIn,
           run_assign_officers, rule="REG-9"),
    Action("record_inspection", "制作现场检查（勘验）笔录", ("investigating",), None, OFFICERS, RecordIn,
           run_inspection, av_steps=(INSPECTION_STEP, SHOW_CERTIFICATE_STEP), rule="CASE-9", primary=False),
    Action("record_inquiry", "制作询问笔录", ("investigating",), None, OFFICERS, RecordIn, run_inquiry,
           av_steps=(EVIDENCE_STEP,), rule="CASE-9", primary=False),
    Action("request_preservation", "申请证据先行登记保存", ("investigating",), None, OFFICERS, PreservationIn,
           run_request_preservation, av_steps=(EVIDENCE_STEP, PRESERVATION_STEP), rule="CASE-11", primary=False),
    Action("approve_preservation", "批准先行登记保存", ("investigating",), None, HEADS, PreservationDecisionIn,
           run_approve_preservation, rule="CASE-11", primary=False),
    Action("dispose_preservation", "作出先行登记保存处理决定", ("investigating",), None, HEADS,
           PreservationDecisionIn, run_dispose_preservation, rule="CASE-11", primary=False),
    Action("conclude_investigation", "调查终结", ("investigating",), "investigation_concluded", OFFICERS, ConcludeIn,
           run_conclude, rule="CASE-13"),
    Action("decide_no_penalty", "决定不予行政处罚", ("investigation_concluded",), "no_penalty", HEADS, NoPenaltyIn,
           run_no_penalty, rule="CASE-15"),
    Action("transfer", "移送司法机关", ("investigation_concluded",), "transferred", HEADS, TransferIn, run_transfer,
           rule="CASE-4"),
    Action("issue_prior_notice", "行政处罚事先告知", ("investigation_concluded",), "pre_notice_issued", HEADS,
           NoticeIn, run_prior_notice, rule="CASE-29"),
    Action("renotify", "重新事先告知（有新的事实）", AFTER_DEFENSE, "pre_notice_issued", HEADS, NoticeIn,
           run_prior_notice, rule="CASE-30", primary=False),
    Action("request_hearing", "登记听证申请", ("pre_notice_issued",), "hearing_requested", OFFICERS,
           HearingRequestIn, run_request_hearing, rule="CASE-35"),
    Action("close_defense", "陈述申辩复核", ("pre_notice_issued",), "defense_review", OFFICERS, DefenseIn,
           run_close_defense, rule="CASE-31"),
    Action("notice_hearing", "通知听证", ("hearing_requested",), "hearing_noticed", UNIT_OR_AGENCY_HEAD,
           HearingNoticeIn, run_notice_hearing, rule="CASE-36"),
    Action("hold_hearing", "举行听证", ("hearing_noticed",), "hearing_held", OFFICERS, HearingHeldIn,
           run_hold_hearing, av_steps=(HEARING_STEP,), rule="CASE-39"),
    Action("terminate_hearing", "终止听证", ("hearing_noticed",), "hearing_terminated", OFFICERS,
           HearingTerminatedIn, run_terminate_hearing, rule="CASE-38"),
    Action("revise_proposal", "修改处理意见", (*AFTER_DEFENSE, "legal_review_disputed", "collective_discussion"), None,
           OFFICERS, ProposalIn, run_revise,
           rule="CASE-30", primary=False),
    # After a disputed opinion has been coordinated (REV-10), the case goes back to review with the outcome.
    *review_actions(resubmit_from=AFTER_DEFENSE, officers=OFFICERS),
    Action("collective_discussion", "集体讨论", ("defense_review", "legal_review_passed", "legal_review_disputed"),
           "collective_discussion", HEADS, DiscussionIn, run_discussion, rule="CASE-14", primary=False),
    Action("extend_decision_limit", "批准延长办案期限", BEFORE_DECISION, None, HEADS, ExtensionIn, run_extend,
           rule="CASE-44", primary=False),
    Action("decide", "作出行政处罚决定", DECIDABLE, "decided", HEADS, DecideIn, run_decide, rule="CASE-42",
           decision=decisions.PENALTY),
    Action("serve", "送达决定书", ("decided",), "served", OFFICERS, ServeIn, run_serve, av_steps_for=_service_steps,
           rule="CASE-48"),
    Action("publish", "登记公示", ("served",), "published", frozenset({Role.DISCLOSURE_OFFICER}), PublishIn,
           run_publish, rule="DISC-9"),
    Action("record_payment", "登记缴款", ("published", "executing"), "performed", OFFICERS, PaymentIn, run_payment,
           rule="CASE-52"),
    Action("record_performance", "登记履行（无罚款）", ("published",), "performed", OFFICERS, PerformedIn,
           run_performed, rule="CASE-50"),
    Action("start_remedy_pause", "登记复议或诉讼（暂停加处罚款）", ("served", "published", "executing"), None, OFFICERS,
           PauseIn, run_pause, rule="CASE-53", primary=False),
    Action("end_remedy_pause", "登记复议或诉讼结束", ("served", "published", "executing"), None, OFFICERS,
           PauseEndIn, run_pause_end, rule="CASE-53", primary=False),
    Action("send_reminder", "送达履行催告书", ("published", "executing"), "executing", OFFICERS, ReminderIn,
           run_reminder, rule="CASE-56"),
    Action("apply_court_enforcement", "申请人民法院强制执行", ("executing",), "enforcement_applied", HEADS, CourtIn,
           run_court, rule="CASE-56"),
    Action("close", "结案", ("performed", "enforcement_applied", "no_penalty", "transferred"), "closed", HEADS,
           CloseIn, run_close_penalty, rule="DOC-1"),
    Action("archive", "归档", ("closed", "not_filed", "revoked", "changed", "confirmed_illegal", "confirmed_void"),
           "archived", ARCHIVISTS, NoteIn, run_archive, rule="REC-14"),
    Action("revoke", "撤销决定", AFTER_DECISION, "revoked", HEADS, CorrectionIn,
           _correction("revoked", "撤销"), rule="DISC-23", primary=False),
    Action("change", "变更决定", AFTER_DECISION, "changed", HEADS, CorrectionIn,
           _correction("changed", "变更"), rule="DISC-23", primary=False),
    Action("confirm_illegal", "登记确认违法", AFTER_DECISION, "confirmed_illegal", HEADS, CorrectionIn,
           _correction("confirmed_illegal", "确认违法"), rule="DISC-23", primary=False),
    Action("confirm_void", "登记确认无效", AFTER_DECISION, "confirmed_void", HEADS, CorrectionIn,
           _correction("confirmed_void", "确认无效"), rule="CASE-25", primary=False),
]

PENALTY = make_kind(
    "penalty", "行政处罚（普通程序）", STATES, "lead_registered", ACTIONS,
    terminal=frozenset({"archived"}), reference_prefix="罚", action_type=reg.ActionType.PENALTY, registration=CaseIn,
    detail_model=PenaltyDetail, document_part=penalty_document_part,
)
