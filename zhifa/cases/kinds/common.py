"""Inputs and actions every case kind shares: parties, case details, officers, recusal, records, close, archive."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Schema

from zhifa.accounts.roles import Role
from zhifa.cases import gates
from zhifa.cases.archiving import case_archive_request
from zhifa.cases.engine import Action, Ctx, InvalidInput, detail_of, kind_of
from zhifa.cases.models import (
    Activity,
    Case,
    CaseOfficer,
    Party,
    PartyKind,
    Recusal,
    RecusalDecision,
    SourceKind,
)
from zhifa.cases.personal import party_ledger_view, party_store_personal
from zhifa.common.identifiers import IdentifierError, parse_resident_id, parse_uscc
from zhifa.records.personal import mask_name

OFFICERS = frozenset({Role.OFFICER, Role.UNIT_HEAD})
HEADS = frozenset({Role.AGENCY_HEAD})
UNIT_OR_AGENCY_HEAD = frozenset({Role.UNIT_HEAD, Role.AGENCY_HEAD})
ARCHIVISTS = frozenset({Role.ARCHIVIST})

INSPECTION_STEP = "现场检查（现场勘查）"
EVIDENCE_STEP = "调查取证"
SHOW_CERTIFICATE_STEP = "亮证执法"
RANDOM_CHECK_STEP = "随机抽查"
PRESERVATION_STEP = "证据保全"
HEARING_STEP = "举行听证"


# ------------------------------------------------------------------------------------------------------- inputs


class PartyIn(Schema):
    kind: Literal["person", "organization"] = Field(title="当事人类型", description="person 自然人；organization 法人或者其他组织")
    name: str = Field(min_length=1, max_length=128, title="姓名或名称")
    id_number: str = Field("", max_length=18, title="公民身份号码", description="自然人必填")
    uscc: str = Field("", max_length=18, title="统一社会信用代码", description="法人或者其他组织必填")
    legal_representative: str = Field("", max_length=64, title="法定代表人（负责人）")
    address: str = Field("", max_length=200, title="住址或住所")
    phone: str = Field("", max_length=32, title="联系电话")
    electronic_service_consent: bool = Field(False, title="已签署电子送达确认书（CASE-47）")

    def ledger_input(self) -> dict[str, Any]:
        return {}  # the party is in the entry's `parties` as a party_ledger_view (ADR 0018)


class CaseIn(Schema):
    """Registering a case (案源登记)."""

    title: str = Field(min_length=2, max_length=200, title="案由")
    source_kind: Literal["inspection", "complaint", "referral", "monitoring", "random_check", "other"] = Field(
        "inspection", title="案件来源")
    source_detail: str = Field("", max_length=2000, title="来源说明")
    power_item: UUID | None = Field(None, title="权责清单事项")
    violation_place: str = Field("", max_length=200, title="违法行为发生地")
    violation_region_code: str = Field("", pattern=r"^(\d{6})?$", title="发生地行政区划代码")
    jurisdiction_basis: str = Field("", max_length=2000, title="管辖依据（辖区外时必填）")
    act_date: date | None = Field(None, title="违法行为发生日期")
    act_continuing: bool = Field(False, title="违法行为有连续或者继续状态")
    act_end_date: date | None = Field(None, title="行为终了日期")
    discovered_on: date | None = Field(None, title="发现日期")
    safety_or_financial_harm: bool = Field(False, title="涉及公民生命健康安全、金融安全且有危害后果")
    summary: str = Field("", max_length=5000, title="简要案情")
    registered_on: date | None = Field(None, title="登记日期")
    parties: list[PartyIn] = Field(default_factory=list, title="当事人")

    def ledger_input(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"parties"})  # parties: see the entry's `parties` (ADR 0018)


class DetailsIn(Schema):
    """Correcting the case details before the investigation ends (only the fields sent change)."""

    title: str | None = Field(None, min_length=2, max_length=200, title="案由")
    violation_place: str | None = Field(None, max_length=200, title="违法行为发生地")
    violation_region_code: str | None = Field(None, pattern=r"^(\d{6})?$", title="发生地行政区划代码")
    jurisdiction_basis: str | None = Field(None, max_length=2000, title="管辖依据")
    act_date: date | None = Field(None, title="违法行为发生日期")
    act_continuing: bool | None = Field(None, title="违法行为有连续或者继续状态")
    act_end_date: date | None = Field(None, title="行为终了日期")
    discovered_on: date | None = Field(None, title="发现日期")
    safety_or_financial_harm: bool | None = Field(None, title="涉及生命健康安全、金融安全且有危害后果")
    summary: str | None = Field(None, max_length=5000, title="简要案情")
    # Held by the kind's detail model (行政处罚, ADR 0025); a kind without them refuses them.
    facts: str | None = Field(None, max_length=20000, title="违法事实")
    evidence_summary: str | None = Field(None, max_length=20000, title="证据（每行一项）")


class OfficersIn(Schema):
    staff: list[UUID] = Field(min_length=1, title="承办执法人员")
    on: date | None = Field(None, title="指派日期")


class RecordIn(Schema):
    """A written record of an on-site activity (笔录, CASE-9; DOC-12 header)."""

    started_at: datetime = Field(title="开始时间")
    ended_at: datetime = Field(title="结束时间")
    place: str = Field(min_length=1, max_length=200, title="地点")
    staff: list[UUID] = Field(min_length=1, title="执法人员")
    certificate_shown: bool = Field(False, title="已出示执法证件（REG-11）")
    subject: str = Field("", max_length=128, title="被检查（询问）人")
    content: str = Field(min_length=1, max_length=50000, title="记录内容")
    refusal_note: str = Field("", max_length=200, title="当事人拒绝签名的说明")
    recordings: list[UUID] = Field(default_factory=list, title="音像记录（本案证据）")
    av_omitted_reason: str = Field("", max_length=200, title="未音像记录的理由（REC-5）")

    def ledger_input(self) -> dict[str, Any]:
        return {**self.model_dump(mode="json"), "subject": mask_name(self.subject)}  # ADR 0018


class RecusalIn(Schema):
    staff: UUID = Field(title="申请回避的执法人员")
    applicant: str = Field(min_length=1, max_length=128, title="申请人")
    grounds: str = Field(min_length=1, max_length=2000, title="回避理由")
    on: date | None = Field(None, title="申请日期")

    def ledger_input(self) -> dict[str, Any]:
        return {**self.model_dump(mode="json"), "applicant": mask_name(self.applicant)}  # ADR 0018


class RecusalDecisionIn(Schema):
    staff: UUID = Field(title="执法人员")
    granted: bool = Field(title="准予回避")
    on: date | None = Field(None, title="决定日期")


class CloseIn(Schema):
    on: date | None = Field(None, title="结案日期")
    summary: str = Field(min_length=1, max_length=5000, title="结案报告（执行情况）")


class NoteIn(Schema):
    note: str = Field("", max_length=2000, title="说明")


# ------------------------------------------------------------------------------------------------------ parties


def party_create(case: Case, data: PartyIn) -> Party:
    party = Party(case=case, kind=data.kind, name=data.name.strip(), legal_representative=data.legal_representative,
                  electronic_service_consent=data.electronic_service_consent)
    id_number = ""
    try:
        if data.kind == PartyKind.PERSON:
            if data.uscc:
                raise InvalidInput(_("自然人当事人不填写统一社会信用代码"))
            result = parse_resident_id(data.id_number)
            id_number = result.original
            party.birth_date = result.birth_date
        else:
            if data.id_number:
                raise InvalidInput(_("法人或者其他组织当事人不填写公民身份号码"))
            party.uscc = parse_uscc(data.uscc).canonical
    except IdentifierError as exc:
        raise InvalidInput(exc.message, errors=[{"field": "id_number" if data.kind == "person" else "uscc",
                                                 "message": exc.message}]) from exc
    party_store_personal(party, id_number=id_number, phone=data.phone, address=data.address)
    party.save()
    return party


def add_parties(ctx: Ctx, parties: list[PartyIn]) -> None:
    for data in parties:
        party = party_create(ctx.case, data)
        ctx.payload.setdefault("parties", []).append(party_ledger_view(party))
    gates.refresh_ages(ctx.case)


def run_add_party(ctx: Ctx) -> None:
    add_parties(ctx, [ctx.data])


def run_update_details(ctx: Ctx) -> None:
    changed = ctx.data.model_dump(exclude_unset=True)
    shared = {f.name for f in Case._meta.concrete_fields}
    detail = detail_of(ctx.case)
    own = set() if detail is None else {f.name for f in detail._meta.concrete_fields}
    for name, value in changed.items():
        if value is None and not name.endswith(("_date", "_on")):
            continue  # a text or flag field sent as null keeps its value
        if name not in shared and name not in own:
            raise InvalidInput(_("“%(kind)s”案件没有这一项：%(field)s") % {"kind": kind_of(ctx.case).label,
                                                                     "field": name},
                               errors=[{"field": name, "message": _("本类案件没有这一项")}])
        setattr(ctx.case if name in shared else detail, name, value)
    gates.refresh_ages(ctx.case)
    ctx.payload["changed"] = sorted(changed)


def apply_case_fields(case: Case, data: CaseIn) -> None:
    for name in ("title", "source_detail", "violation_place", "violation_region_code", "jurisdiction_basis",
                 "act_date", "act_continuing", "act_end_date", "discovered_on", "safety_or_financial_harm",
                 "summary"):
        setattr(case, name, getattr(data, name))
    case.source_kind = SourceKind(data.source_kind)


# ------------------------------------------------------------------------------------------------------ officers


def run_assign_officers(ctx: Ctx) -> None:
    on = ctx.data.on or ctx.today
    staff = gates.staff_by_ids(ctx, ctx.data.staff)
    certified = gates.require_certified(ctx, staff, on)  # REG-8/9
    for person, cert in certified:
        CaseOfficer.objects.update_or_create(
            case=ctx.case, staff=person,
            defaults={"certificate_number": cert.number, "assigned_on": on, "active": True},
        )
    ctx.payload["officers"] = [{"staff_id": str(p.public_id), "name": p.name, "certificate": c.number}
                               for p, c in certified]


def run_apply_recusal(ctx: Ctx) -> None:
    (staff,) = gates.staff_by_ids(ctx, [ctx.data.staff])
    if ctx.case.recusals.filter(staff=staff, decision=RecusalDecision.PENDING).exists():
        ctx.block("REG-17", _("该人员已有待决定的回避申请"))
    Recusal.objects.create(case=ctx.case, staff=staff, applicant=ctx.data.applicant, grounds=ctx.data.grounds,
                           applied_on=ctx.data.on or ctx.today)


def run_decide_recusal(ctx: Ctx) -> None:
    (staff,) = gates.staff_by_ids(ctx, [ctx.data.staff])
    recusal = ctx.case.recusals.filter(staff=staff, decision=RecusalDecision.PENDING).first()
    if recusal is None:
        ctx.block("REG-17", _("该人员没有待决定的回避申请"))
    recusal.decision = RecusalDecision.GRANTED if ctx.data.granted else RecusalDecision.REFUSED
    recusal.decided_by = ctx.actor
    recusal.decided_on = ctx.data.on or ctx.today
    recusal.save()
    if ctx.data.granted:
        ctx.case.officers.filter(staff=staff).update(active=False)


# ------------------------------------------------------------------------------------------------------- records


def create_record(ctx: Ctx, kind: str, doc_type: str) -> Activity:
    """A written record (CASE-9): at least two officers certified on its date (REG-8/9), certificate shown
    (REG-11), recordings per the list (checked by the engine, REC-4); issued as its document (DOC-12)."""
    data: RecordIn = ctx.data
    on = timezone.localtime(data.started_at).date() if timezone.is_aware(data.started_at) else data.started_at.date()
    if on > ctx.today:
        ctx.block("CASE-9", _("笔录日期不能晚于今天"))
    if data.ended_at < data.started_at:
        ctx.block("DOC-12", _("结束时间不能早于开始时间"))
    staff = gates.staff_by_ids(ctx, data.staff)
    certified = gates.require_certified(ctx, staff, on)
    gates.require_certificate_shown(ctx, data.certificate_shown)
    activity = Activity.objects.create(
        case=ctx.case, kind=kind, on=on, started_at=data.started_at, ended_at=data.ended_at, place=data.place,
        certificate_shown=True, subject=data.subject, content=data.content, refusal_note=data.refusal_note,
        recordings=[str(r) for r in data.recordings], av_omitted_reason=data.av_omitted_reason,
    )
    activity.staff.set([p for p, _c in certified])
    ctx.issue(doc_type, on=on, officers=[{"name": p.name, "certificate_number": c.number} for p, c in certified],
              record={"started_at": data.started_at, "ended_at": data.ended_at, "place": data.place,
                      "recorder": ctx.actor.full_name or ctx.actor.username, "subject": data.subject,
                      "certificate_shown": True, "content": data.content, "qa": question_answers(data.content),
                      "refusal_note": data.refusal_note,
                      "av_reference": "、".join(str(r) for r in data.recordings)})
    ctx.payload["activity_id"] = str(activity.public_id)
    return activity


def question_answers(content: str) -> list[dict[str, str]]:
    """An inquiry record's questions and answers from lines starting 问：/答： (the usual 笔录 layout); a text
    without them is one answer."""
    pairs: list[dict[str, str]] = []
    for raw in content.splitlines():
        line = raw.strip()
        if line.startswith(("问：", "问:")):
            pairs.append({"q": line[2:].strip(), "a": ""})
        elif line.startswith(("答：", "答:")) and pairs:
            pairs[-1]["a"] = (pairs[-1]["a"] + "\n" + line[2:].strip()).strip()
        elif line:
            if not pairs:
                pairs.append({"q": "", "a": line})
            else:
                key = "a" if pairs[-1]["a"] or not pairs[-1]["q"] else "q"
                pairs[-1][key] = (pairs[-1][key] + "\n" + line).strip()
    return pairs


def run_close(ctx: Ctx) -> None:
    on = ctx.data.on or ctx.today
    ctx.case.closed_on = on
    ctx.case.outcome_reason = ctx.case.outcome_reason or ctx.data.summary
    ctx.issue("closing_approval", on=on, reason=ctx.data.summary,
              approvals=[{"role": _("机关负责人"), "name": ctx.actor.full_name, "opinion": _("同意结案"), "date": on}])


def run_archive(ctx: Ctx) -> None:
    """REC-14: the case's whole stream as a BagIt package (entries, files, proofs, checkpoint, key). The action
    commits at once; the package is built by a background task after commit, which then records its hash on the
    case (`zhifa.cases.archiving`, ADR 0028). The case page shows its progress and offers it when ready."""
    package = case_archive_request(case=ctx.case, actor=ctx.actor)
    ctx.payload["archive"] = {"package": str(package.public_id)}


def money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def common_actions(*, party_states: tuple[str, ...], officer_states: tuple[str, ...]) -> list[Action]:
    return [
        Action("add_party", "登记当事人", party_states, None, OFFICERS, PartyIn, run_add_party, primary=False),
        Action("update_details", "补正案件信息", party_states, None, OFFICERS, DetailsIn, run_update_details,
               primary=False),
        Action("apply_recusal", "登记回避申请", officer_states, None, OFFICERS | HEADS, RecusalIn, run_apply_recusal,
               rule="REG-17", primary=False),
        Action("decide_recusal", "决定是否回避", officer_states, None, HEADS, RecusalDecisionIn, run_decide_recusal,
               rule="REG-17", primary=False),
    ]
