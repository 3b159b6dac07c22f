"""Reads of the registry for staff. Every function takes the user and scopes to the agencies they may see."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date
from typing import Any
from uuid import UUID

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Count, Model, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from zhifa.accounts.models import User
from zhifa.accounts.roles import Role
from zhifa.accounts.scoping import ALL_AGENCIES, visible_agency_ids
from zhifa.registry import models as reg
from zhifa.registry.entries import ENTRY_TYPES, EntryType

# Path from each model to the agency that owns it.
_AGENCY_PATH = {
    reg.Agency: "pk",
    reg.Certificate: "staff__agency",
    reg.Training: "staff__agency",
    reg.ProcedureStep: "power_item__agency",
    reg.BenchmarkTier: "benchmark__agency",
}

_RELATED = {
    reg.Staff: ("unit",),
    reg.PowerItem: ("responsible_unit",),
    reg.DiscretionBenchmark: ("power_item",),
    reg.AvRecordingItem: ("power_item",),
    reg.RandomInspectionItem: ("power_item",),
    reg.ServiceGuide: ("power_item",),
    reg.Article: ("law",),
}


def entry_qs_for(*, user: User, etype: EntryType) -> QuerySet:
    qs = etype.model._default_manager.all()
    related = _RELATED.get(etype.model)
    if related:
        qs = qs.select_related(*related)
    if etype.global_scope:
        return qs if user.is_authenticated and user.is_active else qs.none()
    ids = visible_agency_ids(user)
    if ids is ALL_AGENCIES:
        return qs
    path = _AGENCY_PATH.get(etype.model, "agency")
    return qs.filter(**{f"{path}__in" if path != "pk" else "pk__in": ids})


def entry_get_for(*, user: User, slug: str, public_id: UUID | str) -> Model:
    """One entry the user may see, or Http404 (also for another agency's entry: no existence oracle)."""
    etype = ENTRY_TYPES.get(slug)
    if etype is None:
        raise Http404
    try:
        return entry_qs_for(user=user, etype=etype).get(public_id=public_id)
    except (ObjectDoesNotExist, ValueError, ValidationError) as exc:  # malformed ids are 404 too
        raise Http404 from exc


def entry_list_for(
    *, user: User, slug: str, query: str = "", agency_id: int | None = None, status: str = ""
) -> QuerySet:
    etype = ENTRY_TYPES[slug]
    qs = entry_qs_for(user=user, etype=etype)
    if agency_id is not None and not etype.global_scope:
        path = _AGENCY_PATH.get(etype.model, "agency")
        qs = qs.filter(**{"pk" if path == "pk" else f"{path}_id": agency_id})
    if status and etype.publishable:
        qs = qs.filter(publication_status=status)
    if query:
        text_fields = [f for f in etype.list_columns if _is_text(etype.model, f)]
        cond = Q()
        for name in text_fields:
            cond |= Q(**{f"{name}__icontains": query})
        qs = qs.filter(cond) if text_fields else qs
    return qs


def children_for(*, user: User, parent: Model, slug: str) -> QuerySet:
    etype = ENTRY_TYPES[slug]
    return entry_qs_for(user=user, etype=etype).filter(**{etype.parent_field or "agency": parent})


def _is_text(model: type[Model], name: str) -> bool:
    return model._meta.get_field(name).get_internal_type() in ("CharField", "TextField")


def agencies_visible_to(*, user: User) -> QuerySet[reg.Agency]:
    return entry_qs_for(user=user, etype=ENTRY_TYPES["agency"]).order_by("name")


@dataclass(frozen=True)
class AgencyCompliance:
    """REG-20 legal-review staffing and REG-23 AV-device ratio of one agency."""

    agency: reg.Agency
    officers: int
    legal_reviewers: int
    required_legal_reviewers: int
    av_devices: int
    required_av_devices: int

    @property
    def reviewer_shortfall(self) -> int:
        return max(0, self.required_legal_reviewers - self.legal_reviewers)

    @property
    def device_shortfall(self) -> int:
        return max(0, self.required_av_devices - self.av_devices)


def certified_officers(agency: reg.Agency, on: date | None = None) -> QuerySet[reg.Staff]:
    """REG-8: active, non-auxiliary staff holding a certificate valid on `on`."""
    day = on or timezone.localdate()
    return reg.Staff.objects.filter(
        agency=agency, active=True, is_auxiliary=False,
        certificates__status=reg.CertificateStatus.VALID,
        certificates__valid_from__lte=day, certificates__valid_to__gte=day,
    ).distinct()


def active_staff_of(agency: reg.Agency) -> QuerySet[reg.Staff]:
    """The agency's active staff with their certificates, by name (the choices of an officer field; the caller has
    already scoped the agency to the user)."""
    return reg.Staff.objects.filter(agency=agency, active=True).prefetch_related("certificates").order_by("name")


def power_items_of(agency: reg.Agency) -> QuerySet[reg.PowerItem]:
    return reg.PowerItem.objects.filter(agency=agency).order_by("code")


def benchmarks_of(agency: reg.Agency, *, power_item_id: int | None = None) -> QuerySet[reg.DiscretionBenchmark]:
    """The agency's discretion benchmarks; only the power item's when it has any."""
    qs = reg.DiscretionBenchmark.objects.filter(agency=agency)
    if power_item_id and qs.filter(power_item_id=power_item_id).exists():
        qs = qs.filter(power_item_id=power_item_id)
    return qs.order_by("code", "-version")


def justice_bureaus(*, exclude: reg.Agency | None = None) -> QuerySet[reg.Agency]:
    """The registered justice bureaus (the possible supervisors of an agency), by name."""
    qs = reg.Agency.objects.filter(is_justice_bureau=True).order_by("name")
    return qs.exclude(pk=exclude.pk) if exclude is not None else qs


def justice_bureau_get(public_id: UUID | str, *, exclude: reg.Agency | None = None) -> reg.Agency | None:
    try:
        return justice_bureaus(exclude=exclude).filter(public_id=public_id).first()
    except (ValueError, ValidationError):
        return None


def agency_compliance(*, user: User, agency: reg.Agency) -> AgencyCompliance:
    return agencies_compliance(user=user, agencies=[agency])[0]


def agencies_compliance(*, user: User, agencies: Iterable[reg.Agency]) -> list[AgencyCompliance]:
    """REG-20/REG-23 figures of each of `agencies` (all visible to `user`, else 404): two queries however many
    agencies there are (the staff home of a bureau lists every supervised agency; issue 11)."""
    agencies = list(agencies)
    ids = visible_agency_ids(user)
    if ids is not ALL_AGENCIES and any(a.pk not in ids for a in agencies):
        raise Http404
    pks = [a.pk for a in agencies]
    day = timezone.localdate()
    officers = dict(
        reg.Staff.objects.filter(
            agency_id__in=pks, active=True, is_auxiliary=False, certificates__status=reg.CertificateStatus.VALID,
            certificates__valid_from__lte=day, certificates__valid_to__gte=day,
        ).order_by().values_list("agency_id").annotate(n=Count("pk", distinct=True)).values_list("agency_id", "n"))
    reviewers = dict(
        reg.Staff.objects.filter(agency_id__in=pks, active=True, is_legal_reviewer=True)
        .order_by().values_list("agency_id").annotate(n=Count("pk")).values_list("agency_id", "n"))
    out = []
    for agency in agencies:
        n = officers.get(agency.pk, 0)
        out.append(AgencyCompliance(
            agency=agency, officers=n, legal_reviewers=reviewers.get(agency.pk, 0),
            required_legal_reviewers=reg.required_legal_reviewers(n), av_devices=agency.av_device_count,
            required_av_devices=reg.required_av_devices(n),
        ))
    return out


def staff_with_certificates(qs: QuerySet[reg.Staff]) -> QuerySet[reg.Staff]:
    return qs.prefetch_related(Prefetch("certificates", queryset=reg.Certificate.objects.order_by("-valid_to")))


# ------------------------------------------------------------------------------------------ supervision (defect 4)


def supervision_agency_for(*, user: User, public_id: UUID | str) -> reg.Agency:
    """The agency whose supervision `user` may set: any for the system administrator, the agencies its bureau
    supervises for a bureau user. Another agency the user can see is returned (the service then refuses with 403);
    one the user cannot see is a 404."""
    from zhifa.registry.services import may_set_supervision

    try:
        agency = reg.Agency.objects.select_related("supervisor").get(public_id=public_id)
    except (reg.Agency.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404 from exc
    if may_set_supervision(user, agency):
        return agency
    visible = visible_agency_ids(user)
    if visible is ALL_AGENCIES or agency.pk in visible:
        return agency
    raise Http404


def supervision_events_for(*, user: User, limit: int = 200) -> list[reg.SupervisionEvent]:
    """Supervision changes the user's bureau may read (its own stream); all of them for the system administrator."""
    from zhifa.registry.services import BUREAU_SUPERVISION_ROLES

    if not user.is_authenticated or not user.is_active:
        return []
    qs = reg.SupervisionEvent.objects.all()
    if user.has_role(Role.SYSTEM_ADMIN):
        pass
    elif (user.agency_id is not None and user.has_role(*BUREAU_SUPERVISION_ROLES)
          and getattr(user.agency, "is_justice_bureau", False)):
        qs = qs.filter(bureau_id=user.agency_id)
    else:
        return []
    return list(qs.order_by("-ledger_entry_id")[:limit])


def _bureau(public_id: Any, name: str) -> dict[str, Any] | None:
    return None if public_id is None else {"public_id": str(public_id), "name": name}


def supervision_event_rows(events: list[reg.SupervisionEvent]) -> list[dict[str, Any]]:
    """The supervision page's and API's rows (the shape the API has always had: seq, time, actor, payload)."""
    return [{
        "seq": e.ledger_entry_id, "time": e.at.astimezone(UTC).isoformat().replace("+00:00", "Z"), "when": e.at,
        "actor": e.actor_name,
        "payload": {
            "agency": {"public_id": str(e.agency_public_id), "name": e.agency_name},
            "old_supervisor": _bureau(e.old_supervisor_public_id, e.old_supervisor_name),
            "new_supervisor": _bureau(e.new_supervisor_public_id, e.new_supervisor_name),
            "old_is_justice_bureau": e.old_is_justice_bureau, "new_is_justice_bureau": e.new_is_justice_bureau,
            "reason": e.reason,
        },
    } for e in events]


def agency_public_ids(agency_ids: Iterable[int]) -> dict[int, UUID]:
    """The public ids of these agencies, by primary key (one query)."""
    return dict(reg.Agency.objects.filter(pk__in=list(agency_ids)).values_list("pk", "public_id"))
