"""Writes to the registry. Every function is keyword-only, checks policy, and runs in one transaction.

Publication workflow (REG-2/REG-3, DISC-1): draft → submitted → reviewed (legality review by the agency's legal
office) → published. Staff roster and subject information need no legality review: draft → published. Any change
to an entry, or to one of its children (a certificate, a procedure step, a benchmark tier), sends it back to draft;
the last published snapshot stays on the portal until the changed version is reviewed and published again.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Model, ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from zhifa.accounts.models import User
from zhifa.accounts.roles import LEGALITY_REVIEWERS, PUBLISHERS, Role
from zhifa.accounts.scoping import ALL_AGENCIES, writable_agency_ids
from zhifa.common.errors import InvalidState, NotAllowed, ServiceError
from zhifa.records.ledger import ledger_append
from zhifa.registry import models as reg
from zhifa.registry.entries import ENTRY_TYPES, EntryType, agency_of, entry_type
from zhifa.registry.forms import entry_form
from zhifa.registry.publication import notify_published, notify_withdrawn

Status = reg.PublicationStatus


class FormInvalid(ServiceError):
    """Input failed validation; `errors` maps field names to Chinese messages. Nothing was saved."""

    code = "invalid"

    def __init__(self, errors: dict[str, list[str]]) -> None:
        first = next(iter(errors.values()), [""])[0]
        super().__init__(_("提交的内容有误：%(detail)s") % {"detail": first})
        self.errors = errors


def _require_role(actor: User, roles: frozenset[str], what: str) -> None:
    if not actor.has_role(*roles):
        raise NotAllowed(_("您的角色无权%(what)s。") % {"what": what})


def _require_writable(actor: User, agency: reg.Agency | None) -> None:
    writable = writable_agency_ids(actor)
    if agency is None:
        if writable is not None:  # the shared law library: system administrators only
            raise NotAllowed(_("法律法规库只能由系统管理员维护。"))
        return
    if writable is not None and agency.pk not in writable:
        raise NotAllowed(_("只能修改本机关的信息。"))


def may_write_agency(actor: User, agency: reg.Agency | None) -> bool:
    """May `actor` change entries of `agency` (None: the shared law library, system administrators only)?"""
    writable = writable_agency_ids(actor)
    return writable is ALL_AGENCIES or (agency is not None and agency.pk in writable)


def may_write_entry(actor: User, etype: EntryType, agency: reg.Agency | None, *, create: bool = False) -> bool:
    """The write policy the pages show (a create or edit button): the entry type's role and a writable agency —
    the same rules `_require_role` and `_require_writable` enforce in the services."""
    return actor.has_role(*(etype.may_create if create else etype.editors)) and may_write_agency(actor, agency)


def _publishable_root(obj: Model) -> reg.Publication | None:
    """The entry whose publication a change to `obj` affects: itself, or its publishable parent."""
    if isinstance(obj, reg.Publication):
        return obj
    parent = {
        reg.Certificate: "staff", reg.Training: "staff", reg.ProcedureStep: "power_item", reg.BenchmarkTier: "benchmark",
    }.get(type(obj))
    if parent:
        root = getattr(obj, parent)
        return root if isinstance(root, reg.Publication) else None
    return None


def _mark_changed(obj: Model) -> None:
    """REG-3: a change needs review (and publication) again; the published snapshot stays meanwhile."""
    root = _publishable_root(obj)
    if root is None:
        return
    # Decide on the stored status, not on the caller's possibly stale copy.
    type(root)._default_manager.filter(pk=root.pk).exclude(publication_status=Status.DRAFT).update(
        publication_status=Status.DRAFT, updated_at=timezone.now()
    )
    root.publication_status = Status.DRAFT


def _plain(value: Any) -> Any:
    """A form value as JSON for the ledger: model instances by their label, lists element-wise."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, list | tuple) or hasattr(value, "__iter__") and not isinstance(value, dict | str | bytes):
        return [_plain(v) for v in value]
    return str(value)


def _record(*, actor: User, obj: Model, event: str, **details: Any) -> None:
    """Append the registry event to the ledger in the service's transaction (architecture rule 1)."""
    etype = _etype_of(obj)
    agency = agency_of(obj)
    ledger_append(
        kind=f"registry.{event}",
        stream=f"registry:{etype.slug}:{obj.public_id}",  # type: ignore[attr-defined]
        agency_id=agency.pk if agency else None,
        actor=actor,
        payload={"entry_type": etype.slug, "public_id": str(obj.public_id), "title": str(obj)[:200],  # type: ignore[attr-defined]
                 **details},
    )


def _validated(etype: EntryType, *, agency: reg.Agency | None, data: Any, instance: Model | None) -> Any:
    form = entry_form(etype, agency=agency, data=data, instance=instance)
    if not form.is_valid():
        raise FormInvalid({k: [str(m) for m in v] for k, v in form.errors.items()})
    return form


@transaction.atomic
def entry_create(
    *, actor: User, slug: str, data: Any, agency: reg.Agency | None = None, parent: Model | None = None
) -> Model:
    """Create an entry of type `slug` in `agency` (default: the actor's), or under `parent` for child types."""
    etype = entry_type(slug)
    if etype.parent:
        if parent is None or not isinstance(parent, ENTRY_TYPES[etype.parent].model):
            raise ServiceError(_("缺少上级条目。"))
        agency = agency_of(parent)
    elif etype.global_scope:
        agency = None
    elif slug != "agency":
        agency = agency or actor.agency
        if agency is None:
            raise ServiceError(_("请先选择所属机关。"))
    _require_role(actor, etype.may_create, _("新增%(label)s") % {"label": etype.label})
    _require_writable(actor, agency if slug != "agency" else None)
    form = _validated(etype, agency=agency, data=data, instance=None)
    obj = form.save(commit=False)
    if etype.parent and parent is not None:
        setattr(obj, etype.parent_field, parent)
    elif not etype.global_scope and slug != "agency":
        obj.agency = agency
    obj.save()
    form.save_m2m()
    if parent is not None:
        _mark_changed(parent)
    _record(actor=actor, obj=obj, event="created",
            fields={name: _plain(form.cleaned_data.get(name)) for name in etype.fields})
    if isinstance(obj, reg.Agency) and (obj.supervisor_id or obj.is_justice_bureau):
        _record_supervision(actor=actor, agency=obj, old_supervisor=None, old_justice=False, reason=_("新增执法主体"))
    return obj


@transaction.atomic
def entry_update(*, actor: User, slug: str, obj: Model, data: Any) -> Model:
    etype = entry_type(slug)
    agency = agency_of(obj)
    _require_role(actor, etype.editors, _("修改%(label)s") % {"label": etype.label})
    _require_writable(actor, agency)
    # Edit the row as it is now, locked: a stale copy would write back old publication fields.
    obj = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
    old_supervisor = obj.supervisor if isinstance(obj, reg.Agency) else None
    old_supervisor_id = old_supervisor.pk if old_supervisor is not None else None
    old_justice = bool(getattr(obj, "is_justice_bureau", False))
    form = _validated(etype, agency=agency if slug != "agency" else None, data=data, instance=obj)
    if not form.has_changed():
        return obj
    # Compare with the values read before validation (which already wrote the input onto `obj`), not with
    # `changed_data`: a ModelChoiceField keyed by public_id always reports itself changed.
    supervision_changed = isinstance(obj, reg.Agency) and (
        "supervisor" in form.cleaned_data
        and (form.cleaned_data["supervisor"].pk if form.cleaned_data["supervisor"] else None) != old_supervisor_id
        or "is_justice_bureau" in form.cleaned_data and bool(form.cleaned_data["is_justice_bureau"]) != old_justice
    )
    if supervision_changed and not actor.has_role(Role.SYSTEM_ADMIN):
        # Defect 4: an agency may not clear or change its own supervision, nor declare itself a justice bureau;
        # the supervising bureau uses `agency_supervision_set` (its own endpoint), the system administrator either.
        raise NotAllowed(_("监督机关和“司法行政机关”标记只能由系统管理员或监督机关设置。"), rule="issue-9-defect-4")
    obj = form.save()
    if supervision_changed:
        assert isinstance(obj, reg.Agency)
        _record_supervision(actor=actor, agency=obj, old_supervisor=old_supervisor, old_justice=old_justice,
                            reason=_("系统管理员修改执法主体信息"))
    _mark_changed(obj)
    _record(actor=actor, obj=obj, event="changed",
            fields={name: _plain(form.cleaned_data.get(name)) for name in form.changed_data})
    return obj


@transaction.atomic
def entry_delete(*, actor: User, slug: str, obj: Model) -> None:
    """Delete a child row, or an entry that was never published (published history is never deleted)."""
    etype = entry_type(slug)
    _require_role(actor, etype.editors, _("删除%(label)s") % {"label": etype.label})
    _require_writable(actor, agency_of(obj))
    obj = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
    if isinstance(obj, reg.Publication) and obj.published_version > 0:
        raise InvalidState(_("已发布过的条目不能删除，只能撤回。"))
    root = _publishable_root(obj)
    _record(actor=actor, obj=obj, event="deleted")
    try:
        obj.delete()
    except ProtectedError as exc:
        raise InvalidState(_("该条目仍被其他信息引用，不能删除。")) from exc
    if root is not None and root is not obj:
        _mark_changed(root)


def _locked(obj: reg.Publication) -> reg.Publication:
    return type(obj)._default_manager.select_for_update().get(pk=obj.pk)


@transaction.atomic
def entry_submit(*, actor: User, obj: reg.Publication) -> reg.Publication:
    """Send a draft to the legal office for legality review (REG-2)."""
    etype = _etype_of(obj)
    _require_role(actor, etype.editors, _("提交审核"))
    _require_writable(actor, agency_of(obj))
    obj = _locked(obj)
    if not etype.needs_legality_review:
        raise InvalidState(_("该类信息无需合法性审核，可直接发布。"))
    if obj.publication_status != Status.DRAFT:
        raise InvalidState(_("只有草稿可以提交审核。"))
    obj.publication_status = Status.SUBMITTED
    obj.save(update_fields=["publication_status", "updated_at"])
    _record(actor=actor, obj=obj, event="submitted")
    return obj


@transaction.atomic
def entry_review(*, actor: User, obj: reg.Publication, approve: bool, opinion: str = "") -> reg.Publication:
    """Legality review (合法性审核, REG-2/REG-3) by a legal reviewer of the same agency; reviewer and date kept."""
    _require_role(actor, LEGALITY_REVIEWERS, _("进行合法性审核"))
    _require_writable(actor, agency_of(obj))
    obj = _locked(obj)
    if obj.publication_status != Status.SUBMITTED:
        raise InvalidState(_("该条目不在待审核状态。"))
    if not approve and not opinion.strip():
        raise ServiceError(_("退回修改时必须填写审核意见。"), code="opinion_required", rule="REG-2")
    obj.publication_status = Status.REVIEWED if approve else Status.DRAFT
    obj.reviewed_by = actor
    obj.reviewed_at = timezone.now()
    obj.review_opinion = opinion.strip()
    obj.save(update_fields=["publication_status", "reviewed_by", "reviewed_at", "review_opinion", "updated_at"])
    _record(actor=actor, obj=obj, event="reviewed", approved=approve, opinion=obj.review_opinion, rule="REG-2")
    return obj


@transaction.atomic
def entry_publish(*, actor: User, obj: reg.Publication) -> reg.Publication:
    """Publish: only a reviewed entry (or one that needs no review); a new public snapshot version is stored."""
    etype = _etype_of(obj)
    _require_role(actor, PUBLISHERS, _("发布公示信息"))
    agency = agency_of(obj)
    _require_writable(actor, agency)
    obj = _locked(obj)
    allowed_from = {Status.REVIEWED} if etype.needs_legality_review else {Status.DRAFT, Status.WITHDRAWN}
    if obj.publication_status not in allowed_from:
        if etype.needs_legality_review:
            raise InvalidState(_("未经合法性审核通过，不能发布（REG-2）。"), rule="REG-2")
        raise InvalidState(_("该条目已发布，没有待发布的修改。"))
    assert agency is not None
    obj.publication_status = Status.PUBLISHED
    obj.published_by = actor
    obj.published_at = timezone.now()
    obj.published_version += 1
    obj.save(update_fields=["publication_status", "published_by", "published_at", "published_version", "updated_at"])
    notify_published(obj=obj, agency_id=agency.pk, version=obj.published_version, actor=actor)  # the portal's snapshot
    _record(actor=actor, obj=obj, event="published", version=obj.published_version)
    return obj


def roster_republish_due(*, today: date) -> int:
    """REG-15: the published roster lists the certificates valid on the day it was published. Republish every
    published officer with a certificate that has expired (or come into force) since, so that the portal never
    shows an expired 执法证. Run daily by the worker (`zhifa.registry.tasks`, ADR 0028). Returns how many."""
    published = reg.Staff.objects.filter(publication_status=Status.PUBLISHED, published_at__isnull=False)
    due = []
    for staff in published.prefetch_related("certificates"):
        since = timezone.localdate(staff.published_at)
        if any(since <= c.valid_to < today or since < c.valid_from <= today for c in staff.certificates.all()):
            due.append(staff.pk)
    for pk in due:
        with transaction.atomic():
            staff = reg.Staff.objects.select_for_update().get(pk=pk)
            agency = agency_of(staff)
            assert agency is not None and staff.published_by is not None
            staff.published_at = timezone.now()
            staff.published_version += 1
            staff.save(update_fields=["published_at", "published_version", "updated_at"])
            notify_published(obj=staff, agency_id=agency.pk, version=staff.published_version,
                             actor=staff.published_by)
            _record(actor=staff.published_by, obj=staff, event="republished", version=staff.published_version,
                    reason="certificate_validity", on=today.isoformat())
    return len(due)


@transaction.atomic
def entry_withdraw(*, actor: User, obj: reg.Publication) -> reg.Publication:
    """Take an entry off the portal at once; it can be published again later."""
    _require_role(actor, PUBLISHERS, _("撤回公示信息"))
    _require_writable(actor, agency_of(obj))
    obj = _locked(obj)
    if obj.published_version == 0 or obj.publication_status == Status.WITHDRAWN:
        raise InvalidState(_("该条目当前没有公开的版本。"))
    obj.publication_status = Status.WITHDRAWN
    obj.save(update_fields=["publication_status", "updated_at"])
    notify_withdrawn(obj=obj)  # the portal takes its snapshot down
    _record(actor=actor, obj=obj, event="withdrawn", version=obj.published_version)
    return obj


@transaction.atomic
def benchmark_new_version(*, actor: User, benchmark: reg.DiscretionBenchmark) -> reg.DiscretionBenchmark:
    """CASE-27: a benchmark is never edited in place once published; a new version copies it, tiers included."""
    etype = entry_type("benchmark")
    _require_role(actor, etype.editors, _("修订裁量基准"))
    _require_writable(actor, benchmark.agency)
    latest = (
        reg.DiscretionBenchmark.objects.filter(agency=benchmark.agency, code=benchmark.code).order_by("-version").first()
    )
    assert latest is not None
    tiers = list(latest.tiers.all())
    new = reg.DiscretionBenchmark.objects.create(
        agency=latest.agency, power_item=latest.power_item, code=latest.code, version=latest.version + 1,
        title=latest.title, effective_from=timezone.localdate(),
    )
    reg.BenchmarkTier.objects.bulk_create(
        reg.BenchmarkTier(
            benchmark=new, order=t.order, degree=t.degree, circumstances=t.circumstances, penalty=t.penalty,
            fine_min=t.fine_min, fine_max=t.fine_max,
        )
        for t in tiers
    )
    _record(actor=actor, obj=new, event="created", from_version=latest.version, rule="CASE-27")
    return new


# ---------------------------------------------------------------------------------------------------------------
# Supervision (issue 9 defect 4): only the system administrator or the supervising bureau itself sets an agency's
# supervisor; only the system administrator marks an agency as a justice bureau. Every change is a ledger event in
# the stream "supervision:<bureau pk>" of the old and of the new bureau, so a bureau sees an agency leave it.
# ---------------------------------------------------------------------------------------------------------------

SUPERVISION_FIELDS = frozenset({"supervisor", "is_justice_bureau"})
SUPERVISION_KIND = "registry.supervision_changed"
# Who in the supervising bureau may hand an agency over to another bureau or release it.
BUREAU_SUPERVISION_ROLES = frozenset({Role.SUPERVISOR, Role.AGENCY_HEAD, Role.AGENCY_ADMIN})


def supervision_stream(bureau_id: int) -> str:
    return f"supervision:{bureau_id}"


def _bureau_label(bureau: reg.Agency | None) -> dict[str, Any] | None:
    return None if bureau is None else {"public_id": str(bureau.public_id), "name": bureau.name}


def _record_supervision(*, actor: User, agency: reg.Agency, old_supervisor: reg.Agency | None, old_justice: bool,
                        reason: str) -> None:
    new_supervisor = agency.supervisor
    payload = {
        "agency": {"public_id": str(agency.public_id), "name": agency.name},
        "old_supervisor": _bureau_label(old_supervisor), "new_supervisor": _bureau_label(new_supervisor),
        "old_is_justice_bureau": old_justice, "new_is_justice_bureau": agency.is_justice_bureau,
        "reason": reason[:500],
    }
    bureaus = {b.pk for b in (old_supervisor, new_supervisor) if b is not None}
    if agency.is_justice_bureau or old_justice:
        bureaus.add(agency.pk)  # a (former) bureau sees changes of its own standing
    for bureau_id in sorted(bureaus):
        entry = ledger_append(kind=SUPERVISION_KIND, stream=supervision_stream(bureau_id), agency_id=bureau_id,
                              actor=actor, payload=payload)
        reg.SupervisionEvent.objects.create(
            bureau_id=bureau_id, ledger_entry=entry, agency_public_id=agency.public_id, agency_name=agency.name,
            old_supervisor_public_id=old_supervisor.public_id if old_supervisor else None,
            old_supervisor_name=old_supervisor.name if old_supervisor else "",
            new_supervisor_public_id=new_supervisor.public_id if new_supervisor else None,
            new_supervisor_name=new_supervisor.name if new_supervisor else "",
            old_is_justice_bureau=old_justice, new_is_justice_bureau=agency.is_justice_bureau,
            reason=reason[:500], actor_name=str(getattr(actor, "full_name", "") or actor.username)[:150],
            at=entry.recorded_at,
        )
    # ... and the agency's own registry stream records it too.
    ledger_append(kind=SUPERVISION_KIND, stream=f"registry:agency:{agency.public_id}", agency_id=agency.pk,
                  actor=actor, payload=payload)


def may_set_supervision(actor: User, agency: reg.Agency) -> bool:
    """The system administrator, or a user of the agency's current supervising bureau with a bureau role."""
    if not actor.is_authenticated or not actor.is_active:
        return False
    if actor.has_role(Role.SYSTEM_ADMIN):
        return True
    return (agency.supervisor_id is not None and actor.agency_id == agency.supervisor_id
            and actor.has_role(*BUREAU_SUPERVISION_ROLES))


@transaction.atomic
def agency_supervision_set(*, actor: User, agency: reg.Agency, supervisor: reg.Agency | None,
                           is_justice_bureau: bool | None = None, reason: str = "") -> reg.Agency:
    """Set (or clear) `agency`'s supervising bureau; `is_justice_bureau` only by the system administrator."""
    if not may_set_supervision(actor, agency):
        raise NotAllowed(_("只有系统管理员或该主体的监督机关可以设置监督关系。"), rule="issue-9-defect-4")
    agency = reg.Agency.objects.select_for_update().get(pk=agency.pk)
    old_supervisor, old_justice = agency.supervisor, agency.is_justice_bureau
    if is_justice_bureau is not None and is_justice_bureau != old_justice and not actor.has_role(Role.SYSTEM_ADMIN):
        raise NotAllowed(_("“司法行政机关”标记只能由系统管理员设置。"), rule="issue-9-defect-4")
    if supervisor is not None:
        if not supervisor.is_justice_bureau:
            raise ServiceError(_("监督机关必须是司法行政机关。"), code="invalid_supervisor")
        if supervisor.pk == agency.pk:
            raise ServiceError(_("执法主体不能监督自身。"), code="invalid_supervisor")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("请填写变更监督关系的理由。"), code="reason_required")
    changed = (supervisor.pk if supervisor else None) != agency.supervisor_id or (
        is_justice_bureau is not None and is_justice_bureau != old_justice)
    if not changed:
        return agency
    agency.supervisor = supervisor
    if is_justice_bureau is not None:
        agency.is_justice_bureau = is_justice_bureau
    agency.save(update_fields=["supervisor", "is_justice_bureau", "updated_at"])
    _record_supervision(actor=actor, agency=agency, old_supervisor=old_supervisor, old_justice=old_justice,
                        reason=reason)
    return agency


def _etype_of(obj: Model) -> EntryType:
    for etype in ENTRY_TYPES.values():
        if type(obj) is etype.model:
            return etype
    raise LookupError(type(obj))
