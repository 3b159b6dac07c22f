"""Publishing the annual statistics report on the portal (DISC-29, STAT-1, STAT-10; ADR 0047).

Only a frozen version is ever public: its figures and narrative exactly as frozen, stored as a portal snapshot in the
same transaction that records which version is public. A later version replaces the earlier one on the portal (the
earlier snapshot stays stored, not current)."""

from __future__ import annotations

from django.db import transaction
from django.http import Http404

from zhifa.accounts.models import User
from zhifa.disclosure.models import PublicEntry
from zhifa.disclosure.services import public_entry_publish
from zhifa.stats.models import StatsReport
from zhifa.stats.services import stats_publication_record


def stats_report_publish(*, actor: User, agency_id: int, year: int, version: int) -> PublicEntry:
    """Put frozen version `version` of the actor's agency's report for `year` on the portal."""
    report = StatsReport.objects.filter(agency_id=agency_id, year=year, version=version).first()
    if report is None or actor.agency_id != agency_id:
        raise Http404
    with transaction.atomic():
        publication = stats_publication_record(actor=actor, report=report)
        return public_entry_publish(obj=publication, agency_id=agency_id, version=report.version, actor=actor)
