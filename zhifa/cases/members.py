"""The desk copy behind "my cases" (`CaseMember`, issue 11 point 2, ADR 0038).

A case is on a staff member's desk when they registered it or are one of its active officers (assigned, not
recused: REG-17). The case engine calls `case_members_sync` in the transaction of every action, so the copy can't
drift from `Case.created_by` and `CaseOfficer`; the "mine" list then reads one index in case order.
"""

from __future__ import annotations

from zhifa.cases.models import Case, CaseMember, CaseOfficer
from zhifa.registry.models import Staff


def desk_staff_ids(case: Case) -> set[int]:
    """Who has the case on their desk: the registering user's staff record and the active officers."""
    ids = set(CaseOfficer.objects.filter(case=case, active=True).values_list("staff_id", flat=True))
    registrar = Staff.objects.filter(user_id=case.created_by_id).values_list("pk", flat=True).first()
    if registrar is not None:
        ids.add(registrar)
    return ids


def case_members_sync(case: Case) -> None:
    """Make the case's desk rows match `desk_staff_ids` (two reads; writes only when officers changed)."""
    wanted = desk_staff_ids(case)
    have = set(CaseMember.objects.filter(case=case).values_list("staff_id", flat=True))
    if have - wanted:
        CaseMember.objects.filter(case=case, staff_id__in=have - wanted).delete()
    CaseMember.objects.bulk_create([
        CaseMember(staff_id=staff_id, case=case, agency_id=case.agency_id, registered_on=case.registered_on)
        for staff_id in sorted(wanted - have)
    ])
