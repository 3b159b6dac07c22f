"""REG-15: the published roster shows only valid 执法证. A certificate that expires after publication makes the
worker's daily job republish the officer (ADR 0028); the ledger records why."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from zhifa.accounts.roles import Role
from zhifa.common.tasks import periodic_jobs
from zhifa.disclosure.models import PublicEntry
from zhifa.records.models import LedgerEntry
from zhifa.registry import services


def test_reg_15_officer_is_republished_when_a_certificate_expires(agency_a) -> None:
    staff, cert = agency_a.staff, agency_a.certificate
    services.entry_publish(actor=agency_a[Role.DISCLOSURE_OFFICER], obj=staff)
    entry = PublicEntry.objects.get(source_id=staff.pk, is_current=True, kind="officer")
    assert [c["number"] for c in entry.body["certificates"]] == [cert.number]
    today = timezone.localdate()
    assert services.roster_republish_due(today=today) == 0  # nothing changed since publication

    # Published a month ago; the certificate ran out yesterday.
    type(staff).objects.filter(pk=staff.pk).update(published_at=timezone.now() - timedelta(days=30))
    type(cert).objects.filter(pk=cert.pk).update(valid_to=today - timedelta(days=1))
    assert services.roster_republish_due(today=today) == 1
    current = PublicEntry.objects.get(source_id=staff.pk, is_current=True, kind="officer")
    assert current.version == entry.version + 1 and current.body["certificates"] == []
    assert LedgerEntry.objects.filter(kind="registry.republished").count() == 1
    assert services.roster_republish_due(today=today) == 0  # once


def test_the_roster_job_is_scheduled_daily() -> None:
    job = periodic_jobs()["registry.roster"]
    assert job.every() == timedelta(days=1) and job.first_hour == 0
