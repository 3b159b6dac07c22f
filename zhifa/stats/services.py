"""Writes of the stats app: the narrative part (STAT-1), freezing a report (STAT-10), recording which frozen version
is public (DISC-29; the portal's snapshot is written by zhifa.disclosure.statspub in the same transaction)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from zhifa.accounts.models import User
from zhifa.accounts.roles import Role
from zhifa.common.errors import InvalidInput, NotAllowed, ServiceError
from zhifa.records.ledger import ledger_append
from zhifa.registry.models import Agency
from zhifa.stats.models import StatsNarrative, StatsPublication, StatsReport
from zhifa.stats.report import report_sha256, stats_compute
from zhifa.stats.templates import load_template

FREEZE_KIND = "stats.report_frozen"
FREEZERS = frozenset({Role.AGENCY_HEAD, Role.AGENCY_ADMIN})
WRITERS = frozenset({Role.AGENCY_HEAD, Role.AGENCY_ADMIN, Role.DISCLOSURE_OFFICER})
PUBLISHERS = frozenset({Role.AGENCY_HEAD, Role.DISCLOSURE_OFFICER})
NARRATIVE_MAX = 20000


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
    narrative = StatsNarrative.objects.filter(agency=agency, year=year).values_list("text", flat=True).first()
    if not (narrative or "").strip():
        raise ServiceError("请先填写行政执法情况说明：年报由统计表和情况说明两部分组成（STAT-1）", rule="STAT-1")
    template = load_template(template_key) if template_key else load_template()
    with transaction.atomic():
        Agency.objects.select_for_update().filter(pk=agency.pk).first()  # one freeze at a time per agency
        report = stats_compute(agency=agency, year=year, template=template)
        report["narrative"] = narrative  # part 2 (STAT-1), covered by the hash like the tables
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


def stats_narrative_save(*, actor: User, agency: Agency, year: int, text: str) -> StatsNarrative:
    """Write the agency's 行政执法情况说明 for `year` (STAT-1 part 2); the next freeze copies it into the report."""
    if actor.agency_id != agency.pk or not actor.has_role(*WRITERS):
        raise NotAllowed("只有本机关负责人、业务管理员或公示管理员可以填写情况说明")
    text = text.strip()
    if not text:
        raise InvalidInput("情况说明不能为空", errors=[{"field": "text", "message": "请填写情况说明"}])
    if len(text) > NARRATIVE_MAX:
        raise InvalidInput(f"情况说明不能超过 {NARRATIVE_MAX} 字",
                           errors=[{"field": "text", "message": f"不能超过 {NARRATIVE_MAX} 字"}])
    row, _created = StatsNarrative.objects.update_or_create(
        agency=agency, year=year, defaults={"text": text, "updated_by": actor})
    return row


def stats_publication_record(*, actor: User, report: StatsReport, at: datetime | None = None) -> StatsPublication:
    """Make `report` the public version of its agency's year (call inside the transaction that writes the portal's
    snapshot). A later frozen version replaces an earlier one; an earlier version never replaces a later one."""
    if actor.agency_id != report.agency_id or not actor.has_role(*PUBLISHERS):
        raise NotAllowed("只有本机关负责人或公示管理员可以公开统计年报")
    current = StatsPublication.objects.select_for_update().filter(agency_id=report.agency_id,
                                                                  year=report.year).select_related("report").first()
    if current and current.report.version >= report.version:
        raise ServiceError(f"第 {current.report.version} 版已经公开，只能公开更新的版本", code="already_public")
    now = at or timezone.now()
    if current:
        current.report, current.published_at, current.published_by = report, now, actor
        current.save(update_fields=["report", "published_at", "published_by"])
        return current
    return StatsPublication.objects.create(agency_id=report.agency_id, year=report.year, report=report,
                                           published_at=now, published_by=actor)
