"""Legal gates shared by the case kinds. Each checks one rule of ../shared/domain/rules.md and blocks with its ID.

A gate reads; it never writes. Actions call gates before they change anything (so a refusal leaves no trace).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from uuid import UUID

from django.utils.translation import gettext as _

from zhifa.cases.engine import Ctx
from zhifa.cases.models import AgencyCaseSettings, Case, CaseOfficer, Party, PartyKind, RecusalDecision
from zhifa.common.identifiers import age_on
from zhifa.registry import models as reg
from zhifa.workdays.periods import add_years

LIMITATION_YEARS = 2  # CASE-23
LIMITATION_YEARS_SAFETY = 5

PENALTY_KINDS = {
    "warning": "警告",
    "circulated_criticism": "通报批评",
    "fine": "罚款",
    "confiscate_gains": "没收违法所得",
    "confiscate_property": "没收非法财物",
    "suspend_license": "暂扣许可证件",
    "lower_qualification": "降低资质等级",
    "revoke_license": "吊销许可证件",
    "restrict_business": "限制开展生产经营活动",
    "suspend_business": "责令停产停业",
    "close_down": "责令关闭",
    "restrict_practice": "限制从业",
    "other": "其他行政处罚",
}
# CASE-33: penalty kinds that by themselves give the party a hearing right.
HEARING_KINDS = frozenset({"lower_qualification", "revoke_license", "suspend_business", "close_down",
                           "restrict_practice", "restrict_business"})


def case_settings(agency: reg.Agency) -> AgencyCaseSettings:
    found = AgencyCaseSettings.objects.filter(agency=agency).first()
    return found or AgencyCaseSettings(agency=agency)


# ------------------------------------------------------------------------------------------------------ officers


def staff_by_ids(ctx: Ctx, ids: Sequence[UUID]) -> list[reg.Staff]:
    found = {s.public_id: s for s in reg.Staff.objects.filter(agency_id=ctx.case.agency_id, public_id__in=ids)
             .prefetch_related("certificates")}
    missing = [str(i) for i in ids if i not in found]
    if missing:
        ctx.block("REG-8", _("所选人员不是本机关在册人员"))
    return [found[i] for i in dict.fromkeys(ids)]


def require_certified(ctx: Ctx, staff: Sequence[reg.Staff], on: date, *, rule: str = "REG-9",
                      minimum: int | None = None) -> list[tuple[reg.Staff, reg.Certificate]]:
    """REG-8/9: at least `minimum` (default the agency's, 2) officers holding a certificate valid on `on`;
    auxiliary staff never count; an officer whose recusal was granted (REG-17) does not count either."""
    minimum = case_settings(ctx.case.agency).min_officers if minimum is None else minimum
    recused = set(ctx.case.recusals.filter(decision=RecusalDecision.GRANTED).values_list("staff_id", flat=True)) \
        if ctx.case.pk else set()
    certified: list[tuple[reg.Staff, reg.Certificate]] = []
    problems: list[str] = []
    for person in staff:
        if person.pk in recused:
            problems.append(_("%(name)s已回避") % {"name": person.name})
            continue
        if person.is_auxiliary:
            problems.append(_("%(name)s是辅助人员，不计入执法人员") % {"name": person.name})
            continue
        cert = person.valid_certificate_on(on)
        if cert is None:
            problems.append(_("%(name)s在%(day)s没有有效的行政执法证件") % {"name": person.name, "day": on.isoformat()})
            continue
        certified.append((person, cert))
    if len(certified) < minimum:
        detail = "；".join(problems)
        ctx.block("REG-8" if problems else rule,
                  _("执法人员不得少于%(n)d人且须持有有效执法证件，当前符合条件的只有%(k)d人") % {"n": minimum, "k": len(certified)}
                  + (f"（{detail}）" if detail else ""))
    return certified


def active_officers(case: Case) -> list[CaseOfficer]:
    return list(case.officers.filter(active=True).select_related("staff"))


def require_case_officers(ctx: Ctx, on: date) -> None:
    """The case still has enough certified officers on `on` (certificates expire; recusals happen)."""
    require_certified(ctx, [o.staff for o in active_officers(ctx.case)], on)


def require_certificate_shown(ctx: Ctx, shown: bool) -> None:
    if not shown:
        ctx.block("REG-11", _("检查、调查取证和送达文书时，执法人员应当主动出示执法证件，并在笔录中记录"))


# ------------------------------------------------------------------------------------------------------- parties


def parties(case: Case) -> list[Party]:
    return list(case.parties.select_related("personal"))


def require_party(ctx: Ctx) -> None:
    if not ctx.case.parties.exists():
        ctx.block("CASE-42", _("请先登记当事人"))


def refresh_ages(case: Case) -> None:
    """CASE-19: age on the date of the act, in completed years (the day after the birthday counts)."""
    if case.act_date is None:
        return
    for party in case.parties.filter(kind=PartyKind.PERSON, birth_date__isnull=False):
        if party.birth_date is None or party.birth_date > case.act_date:
            continue
        age = age_on(party.birth_date, case.act_date)
        if party.age_at_act != age:
            party.age_at_act = age
            party.save(update_fields=["age_at_act"])


def check_minors(ctx: Ctx, mitigation_note: str) -> None:
    """CASE-19: under 14 → no penalty; 14 to under 18 → a lighter or mitigated penalty, recorded."""
    refresh_ages(ctx.case)
    for party in parties(ctx.case):
        if party.age_at_act is None:
            continue
        if party.age_at_act < 14:
            ctx.block("CASE-19", _("当事人%(name)s违法时不满十四周岁（%(age)d周岁），不予行政处罚，责令监护人加以管教")
                      % {"name": party.name, "age": party.age_at_act})
        if party.age_at_act < 18 and not mitigation_note.strip():
            ctx.block("CASE-19", _("当事人%(name)s违法时已满十四周岁不满十八周岁，应当从轻或者减轻行政处罚，请写明从轻、减轻情节")
                      % {"name": party.name})


def party_is_person(case: Case) -> bool:
    kinds = {p.kind for p in case.parties.all()}
    return kinds == {PartyKind.PERSON}


# ---------------------------------------------------------------------------------------------------- jurisdiction

_PREFIX_BY_LEVEL = {"province": 2, "city": 4, "county": 6, "township": 6}


def check_jurisdiction(ctx: Ctx) -> None:
    """CASE-1: the place of the violation lies in the agency's area, or a basis for jurisdiction is recorded
    (designated jurisdiction, a statute saying otherwise)."""
    case, agency = ctx.case, ctx.case.agency
    if not case.violation_place.strip():
        ctx.block("CASE-1", _("请填写违法行为发生地"))
    n = _PREFIX_BY_LEVEL.get(agency.level, 6)
    inside = bool(case.violation_region_code) and case.violation_region_code[:n] == agency.region_code[:n]
    if not inside and not case.jurisdiction_basis.strip():
        ctx.block("CASE-1", _("违法行为发生地不在本机关辖区内，请写明管辖依据（指定管辖或法律另有规定）"))


# ------------------------------------------------------------------------------------------------------ limitation


def limitation_end(case: Case) -> date | None:
    """CASE-23: the last day on which the act may still be discovered (2 years, or 5 for safety/financial harm),
    counted from the act, or from its end if it was continuing."""
    start = case.act_end_date if case.act_continuing and case.act_end_date else case.act_date
    if start is None:
        return None
    return add_years(start, LIMITATION_YEARS_SAFETY if case.safety_or_financial_harm else LIMITATION_YEARS)


def check_limitation(ctx: Ctx) -> None:
    case = ctx.case
    if case.act_date is None:
        ctx.block("CASE-23", _("请填写违法行为发生日期，以便计算追责期限"))
    if case.act_continuing and case.act_end_date is None:
        ctx.block("CASE-23", _("违法行为有连续或者继续状态的，请填写行为终了日期（尚未终了的填写发现日期）"))
    end = limitation_end(case)
    discovered = case.discovered_on or case.registered_on
    if end is not None and discovered > end:
        years = LIMITATION_YEARS_SAFETY if case.safety_or_financial_harm else LIMITATION_YEARS
        ctx.block("CASE-23", _("违法行为在%(years)d年内未被发现（期限至%(end)s届满，发现于%(found)s），不再给予行政处罚")
                  % {"years": years, "end": end.isoformat(), "found": discovered.isoformat()})


# ---------------------------------------------------------------------------------------------------------- hearing


def hearing_right(case: Case, kinds: Sequence[str], fine: Decimal | None, confiscation: Decimal | None) -> list[str]:
    """CASE-33/34: why the party has a hearing right (empty: none). Thresholds are the agency's configuration."""
    conf = case_settings(case.agency)
    person = party_is_person(case)
    reasons = [PENALTY_KINDS[k] for k in kinds if k in HEARING_KINDS]
    fine_limit = conf.hearing_fine_person if person else conf.hearing_fine_organization
    if "fine" in kinds and fine is not None and fine >= fine_limit:
        reasons.append(_("较大数额罚款（%(amount)s元以上）") % {"amount": f"{fine_limit:,.0f}"})
    gains_limit = conf.hearing_confiscation_person if person else conf.hearing_confiscation_organization
    confiscating = {"confiscate_gains", "confiscate_property"}.intersection(kinds)
    if confiscating and confiscation is not None and confiscation >= gains_limit:
        reasons.append(_("没收较大数额违法所得或较大价值非法财物（%(amount)s元以上）") % {"amount": f"{gains_limit:,.0f}"})
    return reasons


def penalty_label(kinds: Sequence[str], fine: Decimal | None, confiscation: Decimal | None) -> str:
    parts = []
    for k in kinds:
        label = PENALTY_KINDS.get(k, k)
        if k == "fine" and fine is not None:
            label += _("人民币%(amount)s元") % {"amount": f"{fine:,.2f}"}
        if k in ("confiscate_gains", "confiscate_property") and confiscation is not None:
            label += _("（%(amount)s元）") % {"amount": f"{confiscation:,.2f}"}
        parts.append(label)
    return "；".join(parts)
