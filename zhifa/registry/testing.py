"""Test personas: two agencies (A, B) under one justice bureau, one user per role in each (style.md, healthchecks).

Used by the access tests of every app: whatever A's users do to B's objects must be a 404.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth import get_user_model

from zhifa.accounts.models import User
from zhifa.accounts.roles import Role
from zhifa.common.identifiers import organization_code_check_char, uscc_check_char
from zhifa.registry import models as reg

PASSWORD = "persona-pass-2026"
_serial = itertools.count(1)


def make_uscc(region_code: str = "430682") -> str:
    """A valid synthetic USCC (ID-3, ID-4) for a 机关 (registration authority 1, category 1)."""
    n = next(_serial)
    org8 = f"MB{n:06d}"
    first17 = "11" + region_code + org8 + organization_code_check_char(org8)
    return first17 + uscc_check_char(first17)


def make_agency(name: str, *, supervisor: reg.Agency | None = None, justice: bool = False, **extra: object) -> reg.Agency:
    defaults: dict[str, object] = {
        "uscc": make_uscc(), "kind": reg.AgencyKind.ADMINISTRATIVE_ORGAN, "level": reg.AgencyLevel.COUNTY,
        "region_code": "430682", "region_name": "临湘市", "sector": reg.Sector.JUSTICE if justice else reg.Sector.WATER,
        "is_justice_bureau": justice, "supervisor": supervisor,
    }
    defaults.update(extra)
    return reg.Agency.objects.create(name=name, **defaults)


def make_user(agency: reg.Agency | None, *roles: str, username: str | None = None) -> User:
    username = username or f"user{next(_serial)}"
    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, full_name=f"测试{username}", agency=agency
    )
    for role in roles:
        user.roles.create(role=role)
    return user


@dataclass
class AgencyPersonas:
    agency: reg.Agency
    users: dict[str, User] = field(default_factory=dict)
    unit: reg.Unit | None = None
    staff: reg.Staff | None = None
    certificate: reg.Certificate | None = None

    def __getitem__(self, role: str) -> User:
        return self.users[role]


AGENCY_ROLES = [r for r in Role if r not in (Role.SUPERVISOR, Role.SYSTEM_ADMIN)]


def make_personas(label: str, *, supervisor: reg.Agency | None = None) -> AgencyPersonas:
    agency = make_agency(f"{label}水利局", supervisor=supervisor)
    personas = AgencyPersonas(agency)
    for role in AGENCY_ROLES:
        personas.users[role] = make_user(agency, role, username=f"{label.lower()}_{role}")
    personas.unit = reg.Unit.objects.create(agency=agency, name="水政监察大队")
    personas.staff = reg.Staff.objects.create(agency=agency, unit=personas.unit, name=f"{label}执法员")
    personas.certificate = reg.Certificate.objects.create(
        staff=personas.staff, number=f"{label}-2026-{next(_serial):04d}", certificate_type="provincial",
        issuer="湖南省人民政府", valid_from=date(2024, 1, 1), valid_to=date(2029, 12, 31), domains="水行政",
    )
    return personas
