"""Writes of decision publication (issue 12, ADR 0044; DISC-1, DISC-9…12, DISC-17, DISC-19…25).

`DecisionListener.decided` runs inside the case engine's transaction when a case reaches a decision
(`zhifa.cases.decisions`, registered from `DisclosureConfig.ready()`): it makes the draft with its masks and opens
one publication deadline per channel. The disclosure officer's actions below each run in one transaction, check
role and state, and keep the redaction log. Publication goes through `public_entry_publish`, so the portal reads
only the stored snapshot; it fails closed on a checksum-valid ID number or a phone number left in clear.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhifa.accounts.models import User
from zhifa.accounts.roles import Role
from zhifa.accounts.scoping import writable_agency_ids
from zhifa.cases import deadlines
from zhifa.cases.decisions import LICENSING, PENALTY, Decided
from zhifa.cases.engine import GateBlocked, case_act, kind_of, today_in_china
from zhifa.cases.gates import PENALTY_KINDS
from zhifa.cases.models import Case, CaseKind, CaseOfficer, PartyKind
from zhifa.common.errors import InvalidInput, InvalidState, NotAllowed
from zhifa.disclosure import desensitize as ds
from zhifa.disclosure.decisions import periods
from zhifa.disclosure.decisions import text as dtext
from zhifa.disclosure.decisions.periods import publicity_end
from zhifa.disclosure.desensitize.engine import mask_for
from zhifa.disclosure.models import DecisionCategory, DecisionDraft, DraftState, RedactionLog
from zhifa.disclosure.services import public_entry_expire, public_entry_publish, public_entry_withdraw
from zhifa.documents.models import Document
from zhifa.records import ledger
from zhifa.workdays.calendar import Direction, load_calendar
from zhifa.workdays.periods import add_months

# ---------------------------------------------------------------------------------------------------------------
# Channels and deadlines (DISC-9, DISC-10, DISC-17)
# ---------------------------------------------------------------------------------------------------------------

PENALTY_DAYS = 7  # DISC-9: penalty and licensing decisions
OTHER_DAYS = 20  # DISC-10: other enforcement decisions
WITHDRAWAL_DAYS = 3  # DISC-23


@dataclass(frozen=True)
class Channel:
    code: str
    label: Any
    # Working days for (penalty/licensing, other); None: the general DISC-9/DISC-10 periods.
    days: tuple[int, int] | None = None
    rule: str = ""


CHANNELS: dict[str, Channel] = {
    "portal": Channel("portal", gettext_lazy("本机关行政执法公示平台")),
    "credit": Channel("credit", gettext_lazy("信用中国（双公示）")),
    # DISC-16: 市场监管 general-procedure penalties, 20 WD on 国家企业信用信息公示系统.
    "gsxt": Channel("gsxt", gettext_lazy("国家企业信用信息公示系统"), (20, 20), "DISC-16"),
}


def publication_channels() -> list[Channel]:
    """The channels every decision is published on (setting `DISCLOSURE_CHANNELS`, default the portal only)."""
    codes = getattr(settings, "DISCLOSURE_CHANNELS", None) or ["portal"]
    return [CHANNELS[c] for c in codes if c in CHANNELS]


def channel_code(channel: str) -> str:
    """The deadline row's code: the portal keeps the case engine's historical `publication`."""
    return "publication" if channel == "portal" else f"publication:{channel}"


def _deadline_codes() -> tuple[str, ...]:
    return tuple(channel_code(c.code) for c in publication_channels())


def publication_deadlines_open(*, case: Case, category: str, on: date) -> None:
    """One deadline row per channel from the decision date in working days (official calendar with make-up
    workdays): 7 for penalty and licensing (DISC-9), 20 for others (DISC-10), a channel's own period if it has
    one (DISC-16); the earliest shows first on the case's dashboard (DISC-17)."""
    calendar = load_calendar(case.agency.region_code)
    short = category in (PENALTY, LICENSING)
    for channel in publication_channels():
        if channel.days:
            days, rule = channel.days[0 if short else 1], channel.rule
        else:
            days, rule = (PENALTY_DAYS, "DISC-9") if short else (OTHER_DAYS, "DISC-10")
        due = calendar.add_working_days(on, days, direction=Direction.AGENCY_OBLIGATION)
        what = _("公示行政处罚决定") if category == PENALTY else _("公开执法决定")
        label = _("%(what)s（%(n)d个工作日）") % {"what": what, "n": days}
        if channel.code != "portal":
            label = f"{label}·{channel.label}"
        deadlines.deadline_start(case=case, code=channel_code(channel.code), rule=rule, label=label[:100],
                                 start=on, due=due)


def working_days_left(*, case: Case, due: date, today: date) -> int:
    """Working days from today (exclusive) to the due date (inclusive); negative when missed."""
    if due < today:
        return -1
    calendar = load_calendar(case.agency.region_code)
    n, day = 0, today
    while day < due:
        day = date.fromordinal(day.toordinal() + 1)
        if calendar.is_workday(day, direction=Direction.AGENCY_OBLIGATION):
            n += 1
    return n


WARN_WORKING_DAYS = 2  # yellow from 2 working days left; red when missed


def warning_level(*, case: Case, due: date, today: date, missed: bool = False) -> str:
    """"red" when missed, "yellow" with at most 2 working days left, else "" (issue 12 part 4)."""
    if missed or due < today:
        return "red"
    return "yellow" if working_days_left(case=case, due=due, today=today) <= WARN_WORKING_DAYS else ""


# ---------------------------------------------------------------------------------------------------------------
# The draft
# ---------------------------------------------------------------------------------------------------------------

CATEGORY_BY_KIND: dict[str, str] = {
    CaseKind.PENALTY: DecisionCategory.PENALTY,
    CaseKind.PENALTY_SIMPLE: DecisionCategory.PENALTY,
    CaseKind.INSPECTION: DecisionCategory.INSPECTION,
}


def case_known_and_keep(case: Case) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Layer (a) of the desensitizer: every name and number the case holds (parties, legal representatives,
    persons questioned, recipients of service); and what stays public: organizations, USCCs, the agency, the
    officers with their certificate numbers (layer d)."""
    known: list[tuple[str, str]] = []
    keep: list[tuple[str, str]] = [(case.agency.name, ds.AGENCY), (case.agency.address, ds.AGENCY)]
    org_names: set[str] = set()
    for party in case.parties.all():
        values = party.personal_values()
        if party.kind == PartyKind.ORGANIZATION:
            org_names.add(party.name)
            keep.append((party.name, ds.ORGANIZATION))
            if party.uscc:
                keep.append((party.uscc, ds.USCC))
        else:
            known.append((party.name, ds.PERSON))
            known.append((values.get("id_number", ""), ds.ID_NUMBER))
        if party.legal_representative:
            known.append((party.legal_representative, ds.PERSON))
        known.append((values.get("phone", ""), ds.PHONE))
        known.append((values.get("address", ""), ds.ADDRESS))
    for subject in case.activities.exclude(subject="").values_list("subject", flat=True):
        if subject not in org_names:
            known.append((subject, ds.PERSON))
    for recipient in case.services.values_list("recipient", flat=True):
        if recipient and recipient not in org_names:
            known.append((recipient, ds.PERSON))
    for officer in CaseOfficer.objects.filter(case=case).select_related("staff"):
        keep.append((officer.staff.name, ds.OFFICER))
        keep.append((officer.certificate_number, ds.CERTIFICATE))
    return [(v, c) for v, c in known if v], [(v, c) for v, c in keep if v]


def _decision_document(documents: Sequence[Document]) -> Document | None:
    return next((d for d in documents if d.number), documents[0] if documents else None)


def _conclusion(case: Case) -> tuple[str, str, list[str]]:
    """(conclusion, legal basis, penalty kind codes) of the decision, from the case as decided."""
    penalty = getattr(case, "penalty", None) if case.kind != CaseKind.INSPECTION else None
    if penalty is not None:
        return penalty.penalty_text or case.outcome, penalty.legal_basis_text, list(penalty.penalty_kinds or [])
    return case.outcome_reason or case.outcome, "", []


def _use_model() -> bool:
    return bool(getattr(settings, "DISCLOSURE_USE_MODEL", True))


def _event(draft: DecisionDraft, kind: str, actor: User | None, **payload: Any) -> None:
    """The draft's step in the case's ledger stream (rule 1: a service appends its ledger event)."""
    ledger.ledger_append(kind=f"disclosure.decision_{kind}", stream=draft.case.stream, agency_id=draft.agency_id,
                         actor=actor, payload={"draft": str(draft.public_id), "case_id": str(draft.case.public_id),
                                               "number": draft.decision_number, **payload})


def decision_draft_create(*, case: Case, category: str, on: date, documents: Sequence[Document],
                          actor: User | None = None) -> DecisionDraft | None:
    """The publication draft of a decision just made: DISC-12 fields, the served text desensitized (DISC-20),
    each mask with its rule and an `auto` redaction-log row (DISC-21), and the channel deadlines (DISC-9/10/17)."""
    document = _decision_document(documents)
    if document is None:
        return None
    original = dtext.document_text(document)
    known, keep = case_known_and_keep(case)
    redaction = ds.desensitize(original, known=known, keep=keep, use_model=_use_model())
    party = case.parties.first()
    person = party is not None and party.kind != PartyKind.ORGANIZATION
    target = (ds.mask_name(party.name) if person else party.name) if party else ""
    conclusion, basis, kinds = _conclusion(case)
    draft = DecisionDraft.objects.create(
        case=case, agency=case.agency, category=CATEGORY_BY_KIND.get(case.kind, DecisionCategory.OTHER),
        period_rule="DISC-9" if category in (PENALTY, LICENSING) else "DISC-10",
        enforcement_body=case.agency.name, target=target, target_is_person=person, conclusion=conclusion,
        decision_number=document.number, decided_on=on, legal_basis=basis, penalty_kinds=kinds,
        document_id=document.public_id, document_name=document.name, original_text=original,
        masks=dtext.masks_from(redaction),
    )
    rows = [RedactionLog(draft=draft, action="auto", field=f"text[{m['start']}:{m['end']}]", category=m["category"],
                         rule=m["rule"], replacement=m["replacement"]) for m in draft.masks]
    if person:
        rows.append(RedactionLog(draft=draft, action="auto", field="target", category=ds.PERSON, rule="DISC-21",
                                 replacement=target))
    RedactionLog.objects.bulk_create(rows)
    publication_deadlines_open(case=case, category=category, on=on)
    _event(draft, "drafted", actor, masks=len(draft.masks))
    return draft


class DecisionListener:
    """Told by the case engine about every decision (`zhifa.cases.decisions`)."""

    def decided(self, event: Decided) -> None:
        decision_draft_create(case=event.case, category=event.category, on=event.on, documents=event.documents,
                              actor=event.actor)


DECISIONS = DecisionListener()

# ---------------------------------------------------------------------------------------------------------------
# The disclosure officer's and the reviewer's actions
# ---------------------------------------------------------------------------------------------------------------

OFFICER_ROLES = (Role.DISCLOSURE_OFFICER,)
REVIEWER_ROLES = (Role.AGENCY_HEAD, Role.UNIT_HEAD)
EDITABLE = (DraftState.DRAFT, DraftState.RETURNED, DraftState.PUBLISHED)


def _locked(actor: User, public_id: Any, roles: Sequence[str]) -> DecisionDraft:
    qs = DecisionDraft.objects.select_for_update().select_related("case", "agency")
    writable = writable_agency_ids(actor)
    if writable is not None:
        qs = qs.filter(agency_id__in=writable)
    try:
        draft = qs.get(public_id=public_id)
    except (DecisionDraft.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if actor.is_system_admin or not actor.has_role(*roles):
        raise NotAllowed(_("您的角色不能办理此项公开事务。"))
    return draft


def _require_state(draft: DecisionDraft, *states: str) -> None:
    if draft.state not in states:
        raise InvalidState(_("公开稿当前为“%(state)s”，不能进行此操作。") % {"state": draft.get_state_display()},
                           rule="DISC-1")


def decision_mask_add(*, actor: User, draft_id: Any, text: str, category: str, reason: str) -> int:
    """Mask every further occurrence of `text` (DISC-19/21); returns how many were masked."""
    text, reason = text.strip(), reason.strip()
    if not text or not reason:
        raise InvalidInput(_("请填写要遮盖的内容和理由。"), rule="DISC-21")
    if category not in ds.CATEGORIES:
        category = ds.OTHER
    with transaction.atomic():
        draft = _locked(actor, draft_id, OFFICER_ROLES)
        _require_state(draft, *EDITABLE)
        spots = dtext.occurrences(draft.original_text, text, draft.masks)
        if not spots:
            raise InvalidInput(_("原文中没有找到尚未遮盖的“%(text)s”。") % {"text": text[:40]}, rule="DISC-21")
        added = [dtext.mask_dict(a, b, category, "manual", "manual", mask_for(category, text), reason)
                 for a, b in spots]
        draft.masks = sorted([*draft.masks, *added], key=lambda m: m["start"])
        draft.save(update_fields=["masks"])
        RedactionLog.objects.bulk_create([
            RedactionLog(draft=draft, action="add", field=f"text[{m['start']}:{m['end']}]", category=category,
                         rule="manual", replacement=m["replacement"], reason=reason, operator=actor) for m in added])
        _event(draft, "mask_added", actor, count=len(added), category=category)
    return len(added)


def decision_mask_remove(*, actor: User, draft_id: Any, start: int, reason: str) -> None:
    """Take the mask at `start` off (the reason is required and logged, DISC-21)."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput(_("取消遮盖必须填写理由。"), rule="DISC-21")
    with transaction.atomic():
        draft = _locked(actor, draft_id, OFFICER_ROLES)
        _require_state(draft, *EDITABLE)
        mask = next((m for m in draft.masks if m["start"] == start), None)
        if mask is None:
            raise InvalidInput(_("没有这处遮盖。"), rule="DISC-21")
        draft.masks = [m for m in draft.masks if m is not mask]
        draft.save(update_fields=["masks"])
        RedactionLog.objects.create(draft=draft, action="remove", field=f"text[{mask['start']}:{mask['end']}]",
                                    category=mask["category"], rule=mask["rule"], replacement=mask["replacement"],
                                    reason=reason, operator=actor)
        _event(draft, "mask_removed", actor, category=mask["category"], rule=mask["rule"])


def decision_submit(*, actor: User, draft_id: Any) -> DecisionDraft:
    """Send the draft for internal review before release (DISC-1)."""
    with transaction.atomic():
        draft = _locked(actor, draft_id, OFFICER_ROLES)
        _require_state(draft, DraftState.DRAFT, DraftState.RETURNED)
        draft.state, draft.submitted_by, draft.submitted_at = DraftState.IN_REVIEW, actor, timezone.now()
        draft.save(update_fields=["state", "submitted_by", "submitted_at"])
        _event(draft, "submitted", actor)
    return draft


def decision_review(*, actor: User, draft_id: Any, approve: bool, opinion: str = "") -> DecisionDraft:
    """The head's internal review (DISC-1): approve, or return with an opinion."""
    opinion = opinion.strip()
    if not approve and not opinion:
        raise InvalidInput(_("退回时请填写审核意见。"), rule="DISC-1")
    with transaction.atomic():
        draft = _locked(actor, draft_id, REVIEWER_ROLES)
        _require_state(draft, DraftState.IN_REVIEW)
        draft.state = DraftState.APPROVED if approve else DraftState.RETURNED
        draft.reviewed_by, draft.reviewed_at, draft.review_opinion = actor, timezone.now(), opinion
        draft.save(update_fields=["state", "reviewed_by", "reviewed_at", "review_opinion"])
        _event(draft, "approved" if approve else "returned", actor, opinion=opinion)
    return draft


def published_text(draft: DecisionDraft) -> str:
    return dtext.apply_masks(draft.original_text, draft.masks)


def check_clean(draft: DecisionDraft) -> None:
    """Fail closed (issue 12 part 2): refuse while a checksum-valid ID number or a phone number is in clear in
    the text or the fields that will be published."""
    fields = " ".join([draft.target, draft.conclusion, draft.legal_basis, draft.correction_note])
    findings = [*ds.verify_clean(published_text(draft)), *ds.verify_clean(fields)]
    if findings:
        labels = "、".join(sorted({str(dtext.CATEGORY_LABELS.get(f.category, f.category)) for f in findings}))
        hint = "；".join(mask_for(f.category, f.text) for f in findings[:3])
        raise GateBlocked(_("公开文本中仍有未遮盖的%(what)s（%(hint)s），已拒绝发布，公开稿未作任何改动。请遮盖后再发布。")
                          % {"what": labels, "hint": hint} + "（DISC-21）", rule="DISC-21")


def _check_served(draft: DecisionDraft) -> None:
    """A penalty decision is published as served (DISC-20, DISC-16: the party is told at service)."""
    if draft.case.kind == CaseKind.PENALTY and draft.case.served_on is None:
        raise GateBlocked(_("行政处罚决定书尚未送达，不能公开（DISC-20）"), rule="DISC-20")


def _complete_case_publish(draft: DecisionDraft, actor: User, today: date) -> None:
    """The case's own `publish` step (DISC-9), where its kind has one and the case is there; otherwise the portal
    channel's deadline is met directly."""
    case = Case.objects.get(pk=draft.case_id)
    action = kind_of(case).actions.get("publish")
    if action is not None and case.state in action.sources:
        case_act(actor=actor, case_id=case.public_id, action="publish", today=today,
                 data={"published_on": today, "where": str(CHANNELS["portal"].label)})
    else:
        deadlines.deadline_meet(case=case, code=channel_code("portal"), on=today)


def decision_publish(*, actor: User, draft_id: Any, today: date | None = None) -> DecisionDraft:
    """Publish an approved draft on the portal through `public_entry_publish` (the public reads only that stored
    snapshot); completes the case's `publish` step and meets the portal deadline."""
    today = today or today_in_china()
    with transaction.atomic():
        draft = _locked(actor, draft_id, OFFICER_ROLES)
        _require_state(draft, DraftState.APPROVED)
        _check_served(draft)
        check_clean(draft)
        draft.version += 1
        draft.state, draft.published_at = DraftState.PUBLISHED, timezone.now()
        draft.public_until, draft.period_version = publicity_end(
            category=draft.category, decided_on=draft.decided_on, penalty_kinds=draft.penalty_kinds,
            sector=draft.agency.sector)
        draft.save(update_fields=["version", "state", "published_at", "public_until", "period_version"])
        public_entry_publish(obj=draft, agency_id=draft.agency_id, version=draft.version, actor=actor)
        _complete_case_publish(draft, actor, today)
        _event(draft, "published", actor, version=draft.version)
    return draft


def decision_correct(*, actor: User, draft_id: Any, note: str, today: date | None = None) -> DecisionDraft:
    """DISC-22: publish the draft as it is now as a new version with a correction note; the old versions stay."""
    note = note.strip()
    if not note:
        raise InvalidInput(_("请填写更正说明。"), rule="DISC-22")
    with transaction.atomic():
        draft = _locked(actor, draft_id, OFFICER_ROLES)
        _require_state(draft, DraftState.PUBLISHED)
        draft.correction_note = note
        check_clean(draft)
        draft.version += 1
        draft.published_at = timezone.now()
        draft.save(update_fields=["version", "published_at", "correction_note"])
        public_entry_publish(obj=draft, agency_id=draft.agency_id, version=draft.version, actor=actor)
        _event(draft, "corrected", actor, version=draft.version, note=note)
    return draft


def decision_withdraw(*, actor: User, draft_id: Any, reason: str, today: date | None = None) -> DecisionDraft:
    """DISC-23/24/25: take the decision off the portal with the reason stated publicly; the published versions,
    time, reason and operator stay. Meets the case's withdrawal deadline (3 WD) if one runs."""
    reason = reason.strip()
    today = today or today_in_china()
    if not reason:
        raise InvalidInput(_("撤下时必须填写理由，理由将向社会公开。"), rule="DISC-23")
    with transaction.atomic():
        draft = _locked(actor, draft_id, OFFICER_ROLES)
        _require_state(draft, DraftState.PUBLISHED)
        draft.state, draft.withdrawal_reason = DraftState.WITHDRAWN, reason
        draft.withdrawn_at, draft.withdrawn_by = timezone.now(), actor
        draft.save(update_fields=["state", "withdrawal_reason", "withdrawn_at", "withdrawn_by"])
        public_entry_withdraw(obj=draft, reason=reason)
        deadlines.deadline_meet(case=draft.case, code="withdrawal", on=today)
        _event(draft, "withdrawn", actor, reason=reason)
    return draft


def decision_exempt(*, actor: User, draft_id: Any, reason: str, today: date | None = None) -> DecisionDraft:
    """DISC-11: not published under a contrary provision of law; the reason is recorded and the publication
    deadlines close without a miss."""
    reason = reason.strip()
    today = today or today_in_china()
    if not reason:
        raise InvalidInput(_("请填写不予公开的法律依据和理由。"), rule="DISC-11")
    with transaction.atomic():
        draft = _locked(actor, draft_id, OFFICER_ROLES)
        _require_state(draft, DraftState.DRAFT, DraftState.RETURNED, DraftState.APPROVED)
        draft.state, draft.exemption_reason = DraftState.EXEMPT, reason
        draft.save(update_fields=["state", "exemption_reason"])
        deadlines.deadline_cancel(case=draft.case, codes=_deadline_codes(), on=today, reason=f"DISC-11: {reason}")
        _event(draft, "exempted", actor, reason=reason)
    return draft


def decision_channel_record(*, actor: User, draft_id: Any, channel: str, on: date) -> None:
    """Record that the decision went out on another channel (DISC-17): that channel's deadline is met."""
    if channel not in CHANNELS or channel == "portal":
        raise InvalidInput(_("没有这个公开渠道。"))
    with transaction.atomic():
        draft = _locked(actor, draft_id, OFFICER_ROLES)
        _require_state(draft, DraftState.PUBLISHED)
        deadlines.deadline_meet(case=draft.case, code=channel_code(channel), on=on)
        _event(draft, "channel_published", actor, channel=channel, on=on.isoformat())


#: DISC-26: the four conditions of an early stop on the party's application (信用修复), each confirmed by the officer.
CREDIT_REPAIR_CONDITIONS = {
    "duties_performed": gettext_lazy("当事人已履行行政处罚决定规定的义务"),
    "harm_removed": gettext_lazy("违法行为的危害后果已经消除"),
    "no_repeat": gettext_lazy("公示期间未再受到同类行政处罚"),
    "not_listed": gettext_lazy("未被列入经营异常名录或严重违法失信名单"),
}
CREDIT_REPAIR_MIN_MONTHS = 3  # DISC-27: penalty information is public at least 3 months …
CREDIT_REPAIR_MIN_MONTHS_SECTORS = 12  # … and at least one year in the DISC-27 sectors


def decision_credit_repair(*, actor: User, draft_id: Any, application: str, confirmed: Sequence[str],
                           today: date | None = None) -> DecisionDraft:
    """DISC-26/27/28 信用修复: stop publishing a penalty decision early on the party's application. Refused for
    suspension, restriction, grade-lowering and revocation penalties, before the minimum period, or unless every
    condition is confirmed. The decision leaves the portal as an expiry with the reason shown (history: ADR 0045)."""
    application = application.strip()
    today = today or today_in_china()
    if not application:
        raise InvalidInput(_("请填写当事人信用修复申请的情况（申请日期、材料）。"), rule="DISC-26")
    missing = [str(label) for code, label in CREDIT_REPAIR_CONDITIONS.items() if code not in set(confirmed)]
    if missing:
        raise InvalidInput(_("提前停止公示须同时满足：%(list)s。") % {"list": "；".join(missing)}, rule="DISC-26")
    with transaction.atomic():
        draft = _locked(actor, draft_id, OFFICER_ROLES)
        _require_state(draft, DraftState.PUBLISHED)
        if draft.category != "penalty":
            raise InvalidState(_("只有行政处罚信息适用信用修复提前停止公示。"), rule="DISC-26")
        severe = sorted(set(draft.penalty_kinds) & periods.SEVERE)
        if severe:
            raise InvalidState(_("责令停产停业、限制开展生产经营活动、降低资质等级、吊销或暂扣许可证件等处罚信息不得提前停止公示"
                                 "（%(kinds)s）。") % {"kinds": "、".join(penalty_kind_labels(severe))}, rule="DISC-26")
        months = (CREDIT_REPAIR_MIN_MONTHS_SECTORS if draft.agency.sector in periods.MIN_ONE_YEAR_SECTORS
                  else CREDIT_REPAIR_MIN_MONTHS)
        earliest = add_months(draft.decided_on, months)
        if today < earliest:
            raise InvalidState(_("处罚信息最短公示期未满，%(date)s 起方可申请提前停止公示。") % {
                "date": earliest.isoformat()}, rule="DISC-27")
        reason = str(CREDIT_REPAIR_REASON)
        draft.state, draft.expired_at = DraftState.EXPIRED, timezone.now()
        draft.save(update_fields=["state", "expired_at"])
        public_entry_expire(obj=draft, reason=reason)
        _event(draft, "credit_repaired", actor, application=application, conditions=sorted(confirmed),
               on=today.isoformat())
    return draft


CREDIT_REPAIR_REASON = gettext_lazy("当事人完成信用修复，依规定提前停止公示")


EXPIRY_REASON = gettext_lazy("公示期满，依规定停止公示")


def decisions_expire(*, today: date, batch: int = 200) -> int:
    """DISC-26…28: every published decision whose publicity period ended before `today` leaves the portal, marked
    expired (its versions stay stored, DISC-25). Returns how many."""
    done = 0
    while True:
        with transaction.atomic():
            rows = list(DecisionDraft.objects.select_for_update().select_related("case")
                        .filter(state=DraftState.PUBLISHED, public_until__lt=today)[:batch])
            for draft in rows:
                draft.state, draft.expired_at = DraftState.EXPIRED, timezone.now()
                draft.save(update_fields=["state", "expired_at"])
                public_entry_expire(obj=draft, reason=str(EXPIRY_REASON))  # an expiry in the history (ADR 0045)
                _event(draft, "expired", None, public_until=draft.public_until.isoformat() if draft.public_until
                       else None, rule=draft.period_version)
            done += len(rows)
        if len(rows) < batch:
            return done


def penalty_kind_labels(codes: Sequence[str]) -> list[str]:
    return [PENALTY_KINDS.get(c, c) for c in codes]
