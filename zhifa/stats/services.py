"""Writes of the stats app: freezing a report (STAT-10)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from zhifa.accounts.models import User
from zhifa.accounts.roles import Role
from zhifa.common.errors import NotAllowed, ServiceError
from zhifa.records.ledger import ledger_append
from zhifa.registry.models import Agency
from zhifa.stats.models import StatsReport
from zhifa.stats.report import report_sha256, stats_compute
from zhifa.stats.templates import load_template

FREEZE_KIND = "stats.report_frozen"
FREEZERS = frozenset({Role.AGENCY_HEAD, Role.AGENCY_ADMIN})


def stats_stream(agency: Agency) -> str:
    """The ledger stream of an agency's annual reports (a system stream: nobody uploads into it)."""
    return f"stats:{agency.public_id}"


def stats_report_freeze(*, actor: User, agency: Agency, year: int, template_key: str | None = None,
                        at: datetime | None = None) -> StatsReport:
    """STAT-10: compute the report of `agency` for `year` and store it as a new frozen version, with the template
    and query version and the SHA-256 of its canonical bytes; the ledger entry carries the hash (counts only: no
    personal data). An agency head or the agency's administrator of the same agency may freeze."""
    if actor.agency_id != agency.pk or not actor.has_role(*FREEZERS):
        raise NotAllowed("只有本机关负责人或业务管理员可以定稿统计年报")
    now = at or timezone.now()
    if year >= timezone.localdate(now).year:
        raise ServiceError("统计年度尚未结束，不能定稿（STAT-2）", rule="STAT-2")
    template = load_template(template_key) if template_key else load_template()
    with transaction.atomic():
        Agency.objects.select_for_update().filter(pk=agency.pk).first()  # one freeze at a time per agency
        report = stats_compute(agency=agency, year=year, template=template)
        digest = report_sha256(report)
        last = StatsReport.objects.filter(agency=agency, year=year).aggregate(v=Max("version"))["v"] or 0
        payload: dict[str, Any] = {
            "agency": str(agency.public_id), "year": year, "version": last + 1,
            "template": {"key": template["key"], "version": template["version"]},
            "query_version": report["query_version"], "sha256": digest,
        }
        entry = ledger_append(kind=FREEZE_KIND, stream=stats_stream(agency), agency_id=agency.pk, actor=actor,
                              payload=payload, at=now)
        return StatsReport.objects.create(
            agency=agency, year=year, version=last + 1, template_key=template["key"],
            template_version=template["version"], query_version=report["query_version"], report=report,
            sha256=digest, frozen_at=now, frozen_by=actor, ledger_entry=entry)
