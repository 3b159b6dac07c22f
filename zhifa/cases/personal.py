"""Parties' personal data: the vault record of a party and what the ledger holds about a party (issue 9 defect 8;
PV-3, PV-5; docs/decisions/0018-personal-data-vault.md).

The ledger never holds a party's ID number, phone or address, nor a person's full name: where a case entry names a
party (`case.register`, `case.add_party`, derived cases) it holds `party_ledger_view(party)` — ids, kind, the masked
name (张某; an organization's name and USCC stay, they are not personal data), and salted commitments of the
personal values. The deep verifier compares a party row with its ledger entries by recomputing this view.
"""

from __future__ import annotations

from typing import Any

from zhifa.cases.models import Party, PartyKind
from zhifa.records.personal import (
    commitment_algorithm,
    mask_name,
    personal_commitments,
    personal_record_create,
)


def party_store_personal(party: Party, *, id_number: str = "", phone: str = "", address: str = "") -> None:
    """Put the party's ID number, phone and address into a new vault record and link it (the caller saves the
    party). Call inside the service's transaction."""
    record = personal_record_create(values={"id_number": id_number, "phone": phone, "address": address},
                                    stream=party.case.stream, agency_id=party.case.agency_id)
    party.personal = record
    party._personal_cache = {"id_number": id_number, "phone": phone, "address": address}


def masked_party_name(party: Party) -> str:
    return party.name if party.kind == PartyKind.ORGANIZATION else mask_name(party.name)


def party_commitments(party: Party) -> dict[str, str] | None:
    """The salted commitments of the party's current values (names from the row, the rest from the vault); None
    when the party has no vault record or it was erased."""
    if party.personal is None:
        return None
    return personal_commitments(party.personal, {"name": party.name,
                                                 "legal_representative": party.legal_representative})


def party_ledger_view(party: Party) -> dict[str, Any]:
    """Exactly what a ledger entry holds about `party`: a deep verifier recomputes this from the row and the vault
    and compares it with the entry's `parties` item. `commitments` is None once the personal data was erased (the
    entry can then no longer be compared, only reported as erased)."""
    return {
        "id": str(party.public_id),
        "kind": party.kind,
        "name": masked_party_name(party),
        "uscc": party.uscc,
        "legal_representative": mask_name(party.legal_representative),
        "electronic_service_consent": party.electronic_service_consent,
        "personal_record": str(party.personal.public_id) if party.personal is not None else None,
        "commitment": commitment_algorithm(party.personal) if party.personal is not None else None,
        "commitments": party_commitments(party),
    }
