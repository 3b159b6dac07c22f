"""行政处罚 simple procedure (简易程序, 当场处罚): CASE-5…7."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal
from uuid import UUID

from django.utils.translation import gettext as _
from ninja import Field, Schema

from zhifa.cases import decisions, gates
from zhifa.cases.deadlines import deadline_meet, deadline_start
from zhifa.cases.engine import Action, Ctx, make_kind
from zhifa.cases.kinds.common import (
    ARCHIVISTS,
    OFFICERS,
    SHOW_CERTIFICATE_STEP,
    UNIT_OR_AGENCY_HEAD,
    CaseIn,
    CloseIn,
    NoteIn,
    common_actions,
    run_archive,
    run_close,
)
from zhifa.cases.kinds.penalty import PAYMENT_DAYS, PaymentIn, run_payment
from zhifa.cases.kinds.penalty_documents import penalty_document_part
from zhifa.cases.models import Activity, ActivityKind, CaseKind, CaseOfficer, PartyKind, PenaltyDetail, SourceKind
from zhifa.registry.models import ActionType
from zhifa.workdays.calendar import Direction

STATES = {
    "on_site": "现场登记",
    "decided_on_site": "已当场处罚",
    "performed": "已履行",
    "converted": "转为普通程序",
    "closed": "已结案",
    "archived": "已归档",
}
CASH_HANDOVER_DAYS = 2  # CASE-7
SMALL_FINE = Decimal("100")  # CASE-7


class OnSpotIn(Schema):
    on: date | None = Field(None, title="处罚日期")
    place: str = Field(min_length=1, max_length=200, title="地点")
    staff: list[UUID] = Field(min_length=1, title="执法人员")
    certificate_shown: bool = Field(False, title="已出示执法证件（REG-11）")
    facts: str = Field(min_length=1, max_length=5000, title="违法事实（事实确凿）")
    legal_basis_text: str = Field(min_length=1, max_length=2000, title="法定依据")
    penalty_kinds: list[Literal["warning", "fine"]] = Field(min_length=1, title="处罚种类（警告或者罚款）")
    fine_amount: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2, title="罚款金额（元）")
    party_signed: bool = Field(False, title="当事人已签收")
    refusal_note: str = Field("", max_length=200, title="当事人拒绝签收的说明")
    recordings: list[UUID] = Field(default_factory=list, title="音像记录（本案证据）")
    av_omitted_reason: str = Field("", max_length=200, title="未音像记录的理由（REC-5）")


class CollectIn(Schema):
    ground: Literal["small", "hard_to_collect", "remote_request"] = Field(
        title="当场收缴的情形", description="small 100元以下；hard_to_collect 不当场收缴事后难以执行；remote_request 边远、水上、交通不便地区当事人提出")
    amount: Decimal = Field(gt=0, max_digits=10, decimal_places=2, title="收缴金额（元）")
    receipt: str = Field(min_length=1, max_length=64, title="财政部门统一制发的专用票据号")
    on: date | None = Field(None, title="收缴日期")


class ConvertIn(Schema):
    reason: str = Field(min_length=1, max_length=2000, title="转为普通程序的理由")


def run_on_spot(ctx: Ctx) -> None:
    """CASE-5: facts certain, a legal basis, and a warning or a fine ≤ 200 CNY (person) / ≤ 3,000 CNY
    (organization), inclusive; CASE-6: the numbered form, handed over and signed, or the refusal noted."""
    d, case = ctx.data, ctx.case
    on = d.on or ctx.today
    conf = gates.case_settings(case.agency)
    gates.require_party(ctx)
    kinds = list(dict.fromkeys(d.penalty_kinds))
    if "fine" in kinds and not d.fine_amount:
        ctx.block("CASE-5", _("处罚种类包含罚款，请填写罚款金额"))
    person = gates.party_is_person(case)
    limit = conf.on_spot_limit_person if person else conf.on_spot_limit_organization
    if "fine" in kinds and d.fine_amount > limit:
        ctx.block("CASE-5", _("当场处罚的罚款不得超过%(limit)s元（%(who)s），本案应当适用普通程序")
                  % {"limit": f"{limit:,.0f}", "who": str(PartyKind.PERSON.label if person else
                                                          PartyKind.ORGANIZATION.label)})
    if not d.party_signed and not d.refusal_note.strip():
        ctx.block("CASE-6", _("当场处罚决定书应当交付当事人签收；当事人拒绝签收的，应当在决定书上注明"))
    staff = gates.staff_by_ids(ctx, d.staff)
    certified = gates.require_certified(ctx, staff, on)  # REG-8/9
    gates.require_certificate_shown(ctx, d.certificate_shown)  # REG-11
    gates.check_limitation(ctx)
    gates.check_minors(ctx, case.penalty.mitigation_note)
    for person_staff, cert in certified:
        CaseOfficer.objects.update_or_create(case=case, staff=person_staff, defaults={
            "certificate_number": cert.number, "assigned_on": on, "active": True})
    activity = Activity.objects.create(case=case, kind=ActivityKind.ON_SITE_DECISION, on=on, place=d.place,
                                       certificate_shown=True, content=d.facts, refusal_note=d.refusal_note,
                                       recordings=[str(r) for r in d.recordings],
                                       av_omitted_reason=d.av_omitted_reason)
    activity.staff.set([p for p, _c in certified])
    case.penalty.facts, case.penalty.legal_basis_text, case.penalty.penalty_kinds = d.facts, d.legal_basis_text, kinds
    case.violation_place = case.violation_place or d.place
    case.penalty.fine_amount = d.fine_amount if "fine" in kinds else None
    case.penalty.penalty_text = gates.penalty_label(kinds, case.penalty.fine_amount, None)
    case.decided_on = case.served_on = on
    case.outcome = "penalty"
    if case.penalty.fine_amount:
        due = ctx.calendar.add_calendar_days(on, PAYMENT_DAYS, party_facing=True)
        case.penalty.payment_due = due.due
        deadline_start(case=case, code="payment", rule="CASE-51", label=_("当事人缴纳罚款（15日）"), start=on, due=due,
                       party_facing=True)
    ctx.issue("on_site_decision", on=on, officers=[{"name": p.name, "certificate_number": c.number}
                                                   for p, c in certified],
              record={"place": d.place, "refusal_note": d.refusal_note, "certificate_shown": True,
                      "content": d.facts, "started_at": None, "ended_at": None, "recorder": "", "subject": "",
                      "qa": [], "av_reference": ""})


def run_collect(ctx: Ctx) -> None:
    """CASE-7: on-the-spot collection only for ≤ 100 CNY, or if later collection would be hard, or in remote
    areas at the party's request; an official receipt; the cash reaches the agency within 2 working days."""
    d, case = ctx.data, ctx.case
    on = d.on or ctx.today
    if not case.penalty.fine_amount:
        ctx.block("CASE-7", _("本决定没有罚款"))
    if d.ground == "small" and case.penalty.fine_amount > SMALL_FINE:
        ctx.block("CASE-7", _("依法给予一百元以下罚款的，才可以据此当场收缴"))
    if d.amount != case.penalty.fine_amount:
        ctx.block("CASE-7", _("当场收缴的金额应当与罚款数额一致"))
    case.penalty.paid_on, case.penalty.paid_amount = on, d.amount
    deadline_meet(case=case, code="payment", on=on)
    due = ctx.calendar.add_working_days(on, CASH_HANDOVER_DAYS, direction=Direction.AGENCY_OBLIGATION)
    deadline_start(case=case, code="cash_handover", rule="CASE-7", label=_("执法人员将罚款交至行政机关（2个工作日）"),
                   start=on, due=due)
    ctx.payload["receipt"] = d.receipt


def run_handover(ctx: Ctx) -> None:
    deadline_meet(case=ctx.case, code="cash_handover", on=ctx.today)


def run_convert(ctx: Ctx) -> None:
    """Facts not certain or the penalty beyond CASE-5: continue under the general procedure (a new case whose
    案源 is this one, parties copied)."""
    from zhifa.cases.services import derive_case

    new = derive_case(ctx, kind=CaseKind.PENALTY, reason=ctx.data.reason, source_kind=SourceKind.OTHER)
    ctx.case.outcome, ctx.case.outcome_reason = "converted", ctx.data.reason
    ctx.payload["new_case"] = {"id": str(new.public_id), "reference": new.reference}


ACTIONS = [
    *common_actions(party_states=("on_site",), officer_states=()),
    Action("decide_on_spot", "当场作出行政处罚决定", ("on_site",), "decided_on_site", OFFICERS, OnSpotIn,
           run_on_spot, av_steps=(SHOW_CERTIFICATE_STEP,), rule="CASE-5", decision=decisions.PENALTY),
    Action("convert_to_general", "转为普通程序", ("on_site",), "converted", OFFICERS, ConvertIn, run_convert,
           rule="CASE-5"),
    Action("collect_on_spot", "当场收缴罚款", ("decided_on_site",), "performed", OFFICERS, CollectIn, run_collect,
           rule="CASE-7"),
    Action("record_payment", "登记缴款", ("decided_on_site",), "performed", OFFICERS, PaymentIn, run_payment,
           rule="CASE-51"),
    Action("record_cash_handover", "登记罚款交至机关", ("performed", "closed"), None, OFFICERS, NoteIn, run_handover,
           rule="CASE-7", primary=False),
    Action("close", "结案", ("performed", "converted"), "closed", UNIT_OR_AGENCY_HEAD, CloseIn, run_close),
    Action("archive", "归档", ("closed",), "archived", ARCHIVISTS, NoteIn, run_archive, rule="REC-14"),
]

SIMPLE = make_kind("penalty_simple", "行政处罚（简易程序）", STATES, "on_site", ACTIONS,
                   terminal=frozenset({"archived"}), reference_prefix="简罚",
                   action_type=ActionType.PENALTY, registration=CaseIn, detail_model=PenaltyDetail,
                   document_part=penalty_document_part)
