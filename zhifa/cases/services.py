"""Writes of the cases app. Moving a case is `engine.case_act`; creating one is `case_create` (both append their
ledger entry in the same transaction as the change)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _
from ninja import Schema

from zhifa.cases import engine
from zhifa.cases.dates import EARLIEST_PROCEDURE, check_dates, date_problem
from zhifa.cases.engine import Action, Ctx, InvalidInput, kind_of, record, today_in_china, validate_input
from zhifa.cases.kinds.common import OFFICERS, CaseIn, add_parties, apply_case_fields
from zhifa.cases.models import Case, CaseKind, Party, ReferenceCounter, SourceKind
from zhifa.cases.personal import party_ledger_view, party_store_personal
from zhifa.common.errors import NotAllowed
from zhifa.records.personal import mask_name, personal_erase
from zhifa.registry import models as reg
from zhifa.workdays.calendar import load_calendar

if TYPE_CHECKING:
    from zhifa.accounts.models import User

case_act = engine.case_act


def _create_action(kind: engine.Kind) -> Action:
    return Action("register", _("登记案件"), (), kind.initial, OFFICERS, kind.registration or CaseIn, rule="CASE-2")


def registration_schema(kind: engine.Kind) -> type[CaseIn]:
    schema = kind.registration or CaseIn
    assert issubclass(schema, CaseIn)
    return schema


def detail_create(case: Case, kind: engine.Kind, data: Schema) -> None:
    """The kind's detail row (ADR 0025), created with the case; registration fields named like the detail
    model's fields are stored on it."""
    model = kind.detail_model
    if model is None:
        return
    names = {f.name for f in model._meta.concrete_fields} - {"case"}
    values = {name: value for name, value in data.model_dump().items() if name in names}
    model._default_manager.create(case=case, **values)


def next_reference(agency: reg.Agency, kind: engine.Kind, year: int) -> str:
    """案号: agency short name, kind prefix, year and a gapless serial taken in the creating transaction."""
    counter, _created = ReferenceCounter.objects.select_for_update().get_or_create(
        agency=agency, kind=kind.code, year=year)
    counter.last_serial += 1
    counter.save(update_fields=["last_serial"])
    return f"{agency.short_name or agency.name}{kind.reference_prefix}〔{year}〕{counter.last_serial}号"


def _new_case(*, actor: User, agency: reg.Agency, kind: engine.Kind, data: CaseIn, on: date) -> tuple[Case, Ctx]:
    case = Case(agency=agency, kind=kind.code, state=kind.initial, registered_on=data.registered_on or on,
                created_by=actor)
    apply_case_fields(case, data)
    if case.registered_on > on:
        raise InvalidInput(_("登记日期不能晚于今天"))
    check_dates(data, today=on)  # BI-8, issue 9 defect 12: nothing before the law or the Republic, nothing ahead
    if case.registered_on < EARLIEST_PROCEDURE:
        raise InvalidInput(date_problem("registered_on", case.registered_on, today=on, label=_("登记日期")))
    if data.power_item:
        case.power_item = reg.PowerItem.objects.filter(agency=agency, public_id=data.power_item).first()
        if case.power_item is None:
            raise InvalidInput(_("所选权责清单事项不属于本机关"))
        case.handling_unit = case.power_item.responsible_unit
    case.reference = next_reference(agency, kind, case.registered_on.year)
    case.save()
    detail_create(case, kind, data)
    ctx = Ctx(case=case, actor=actor, data=data, today=on, calendar=load_calendar(agency.region_code),
              action=_create_action(kind))
    return case, ctx


def case_create(*, actor: User, kind: str, data: Mapping[str, Any] | Schema, today: date | None = None) -> Case:
    """Register a case of `kind` (案源登记 / 当场处罚登记 / 检查登记) with its parties, in the actor's agency."""

    table = engine.KINDS.get(kind)
    if table is None:
        raise InvalidInput(_("没有这种案件类型：%(k)s") % {"k": kind})
    agency = actor.agency
    if agency is None or not actor.has_role(*OFFICERS):
        raise NotAllowed(_("只有本机关的执法人员可以登记案件。"))
    inputs: CaseIn = validate_input(registration_schema(table), data)
    on = today or today_in_china()
    with transaction.atomic():
        case, ctx = _new_case(actor=actor, agency=agency, kind=table, data=inputs, on=on)
        add_parties(ctx, inputs.parties)
        record(ctx, "")
    return case


def derive_case(ctx: Ctx, *, kind: str, reason: str, title: str | None = None,
                source_kind: SourceKind = SourceKind.INSPECTION) -> Case:
    """A penalty case opened from an inspection or an on-the-spot case (its 案源), parties copied; recorded in
    both streams."""
    source = ctx.case
    table = engine.KINDS[kind]
    data = registration_schema(table).model_validate({
        "title": title or source.title, "source_kind": str(source_kind), "source_detail": reason,
        "violation_place": source.violation_place, "violation_region_code": source.violation_region_code,
        "jurisdiction_basis": source.jurisdiction_basis, "act_date": source.act_date,
        "act_continuing": source.act_continuing, "act_end_date": source.act_end_date,
        "discovered_on": source.discovered_on or ctx.today, "summary": source.summary or source.outcome_reason,
    })
    case, new_ctx = _new_case(actor=ctx.actor, agency=source.agency, kind=table, data=data, on=ctx.today)
    case.source_case = source
    case.power_item, case.handling_unit = source.power_item, source.handling_unit
    case.save()
    for party in source.parties.select_related("personal"):
        copy = Party(case=case, kind=party.kind, name=party.name, uscc=party.uscc, birth_date=party.birth_date,
                     legal_representative=party.legal_representative, age_at_act=party.age_at_act,
                     electronic_service_consent=party.electronic_service_consent)
        party_store_personal(copy, id_number=party.id_number, phone=party.phone, address=party.address)
        copy.save()
        # Recorded like add_parties does, so `zhifa verify --deep` knows the copies (ADR 0017, 0018).
        new_ctx.payload.setdefault("parties", []).append({**party_ledger_view(copy),
                                                          "copied_from": str(party.public_id)})
    new_ctx.payload["source_case"] = {"id": str(source.public_id), "reference": source.reference}
    record(new_ctx, "")
    return case


def case_personal_erase(*, case: Case, reason: str, actor: User | None = None, force: bool = False) -> int:
    """End of retention (个人信息保护法 Art. 47): erase the personal data of the case's parties — each vault record's
    data key and ciphertext are destroyed (`personal.erased` ledger entries, nothing personal in them) and the
    persons' names on the party rows are masked (张某). The ledger still verifies; what it holds about the parties
    (masked names, commitments) can no longer be linked to anyone. Only for an archived case unless `force`.
    Returns the number of vault records erased."""
    if not force and case.state not in kind_of(case).terminal:
        raise InvalidInput(_("案件尚未归档，不能删除当事人个人信息（如确需删除，请使用 --force 并写明理由）。"))
    if not reason.strip():
        raise InvalidInput(_("请写明删除理由。"))
    with transaction.atomic():
        parties = list(case.parties.select_related("personal").select_for_update(of=("self",)))
        count = personal_erase(records=[p.personal for p in parties if p.personal is not None], reason=reason,
                               actor=actor)
        for party in parties:
            if party.kind == "person":
                party.name = mask_name(party.name)
            party.legal_representative = mask_name(party.legal_representative)
            party.save(update_fields=["name", "legal_representative"])
    return count


__all__ = ["case_act", "case_personal_erase", "case_create", "derive_case", "kind_of", "CaseKind"]
