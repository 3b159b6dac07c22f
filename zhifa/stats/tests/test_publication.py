"""The annual report's narrative part, PDF with charts, publication on the portal and the DISC-29 reminder
(STAT-1, STAT-10, DISC-29; ADR 0047)."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from zhifa.accounts.roles import Role
from zhifa.cases.testing import make_case_world
from zhifa.common.errors import InvalidInput, NotAllowed, ServiceError
from zhifa.disclosure.models import EntryKind, PublicEntry
from zhifa.disclosure.services import public_entry_publish
from zhifa.disclosure.statspub import stats_report_publish
from zhifa.documents.tests.helpers import pdf_text
from zhifa.stats.charts import table_chart
from zhifa.stats.models import StatsPublication
from zhifa.stats.selectors import stats_due
from zhifa.stats.services import stats_narrative_save, stats_report_freeze
from zhifa.stats.tests.test_stats import decided_row

pytestmark = pytest.mark.django_db
NARRATIVE = "2025年，本局坚持严格规范公正文明执法。\n全年办理行政处罚案件，<script>未转义</script>。"


@pytest.fixture
def world(agency_a):  # noqa: ANN001, ANN201
    return make_case_world(agency_a)


def _client(user=None) -> Client:  # noqa: ANN001
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _frozen(world, text: str = NARRATIVE):  # noqa: ANN001, ANN202
    decided_row(world, kinds=["fine"], on=date(2025, 5, 6), fine="2000")
    decided_row(world, kinds=["warning"], on=date(2025, 7, 8))
    stats_narrative_save(actor=world["agency_head"], agency=world.agency, year=2025, text=text)
    return stats_report_freeze(actor=world["agency_head"], agency=world.agency, year=2025)


def test_stat_1_narrative_written_on_the_page_and_frozen_with_the_tables(world) -> None:  # noqa: ANN001
    client = _client(world["disclosure_officer"])
    client.post("/staff/stats/2025/narrative", {"text": "  "})
    assert "情况说明不能为空" in client.get("/staff/stats/", {"year": 2025}).content.decode()
    client.post("/staff/stats/2025/narrative", {"text": NARRATIVE})
    page = client.get("/staff/stats/", {"year": 2025}).content.decode()
    assert "本局坚持严格规范公正文明执法" in page and "<script>未转义" not in page
    with pytest.raises(NotAllowed):
        stats_narrative_save(actor=world["officer"], agency=world.agency, year=2025, text="x")
    with pytest.raises(InvalidInput):
        stats_narrative_save(actor=world["agency_head"], agency=world.agency, year=2025, text="字" * 20001)
    frozen = stats_report_freeze(actor=world["agency_head"], agency=world.agency, year=2025)
    assert frozen.report["narrative"] == NARRATIVE.strip()


def test_stat_1_pdf_has_tables_charts_and_narrative_in_a_real_reader(world, tmp_path: Path) -> None:  # noqa: ANN001
    frozen = _frozen(world)
    pdf = _client(world["agency_head"]).get("/staff/stats/2025/pdf", {"version": frozen.version})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content, tmp_path)
    assert "2025年度行政执法统计年报" in text and "第二部分行政执法情况说明" in text
    assert "本局坚持严格规范公正文明执法" in text and frozen.sha256 in text
    assert "行政处罚（合计（件））" in text  # the chart's caption; its bars carry the counts
    chart = table_chart(next(t for t in frozen.report["tables"] if t["id"] == "penalty"))
    assert chart is not None and ">罚款</text>" in chart.svg and "<rect" in chart.svg


def test_disc_29_published_report_on_the_portal_with_files_and_newer_versions(world, tmp_path: Path) -> None:  # noqa: ANN001
    first = _frozen(world)
    head = _client(world["agency_head"])
    assert head.post(reverse("statspub:publish", args=[2025, first.version])).status_code == 302
    entry = PublicEntry.objects.get(kind=EntryKind.STATS_REPORT, is_current=True)
    public_entry_publish(obj=world.agency, agency_id=world.agency.pk, version=1, actor=world["agency_head"])
    public = _client()
    section = public.get(reverse("portal:agency_section", args=[world.agency.public_id, "stats"])).content.decode()
    assert "2025年度行政执法统计年报" in section
    page = public.get(reverse("portal:entry", args=[entry.public_id])).content.decode()
    assert "本局坚持严格规范公正文明执法" in page and "&lt;script&gt;" in page and "<svg" in page
    assert first.sha256 in page
    pdf = public.get(reverse("portal:stats_pdf", args=[entry.public_id]))
    assert pdf.status_code == 200 and "本局坚持严格规范公正文明执法" in pdf_text(pdf.content, tmp_path)
    sheet = load_workbook(io.BytesIO(public.get(reverse("portal:stats_xlsx", args=[entry.public_id])).content))
    rows = {r[0]: r[1:] for r in sheet["行政处罚"].iter_rows(min_row=3, values_only=True)}
    assert rows["罚款"][0] == 1 and rows["警告"][0] == 1
    listed = public.get("/api/v1/public/entries", {"kind": "stats_report"}).json()
    assert [i["public_id"] for i in listed["items"]] == [str(entry.public_id)]
    detail = public.get(f"/api/v1/public/entries/{entry.public_id}").json()
    assert detail["body"]["report"]["narrative"] == NARRATIVE.strip() and detail["body"]["sha256"] == first.sha256

    # A corrected version replaces it on the portal; the earlier one can no longer be put back.
    decided_row(world, kinds=["fine"], on=date(2025, 9, 9), fine="500")
    second = stats_report_freeze(actor=world["agency_head"], agency=world.agency, year=2025)
    stats_report_publish(actor=world["disclosure_officer"], agency_id=world.agency.pk, year=2025,
                         version=second.version)
    current = PublicEntry.objects.get(kind=EntryKind.STATS_REPORT, is_current=True)
    assert current.body["version"] == 2 and current.body["sha256"] == second.sha256
    assert PublicEntry.objects.filter(kind=EntryKind.STATS_REPORT).count() == 2  # the first stays stored
    with pytest.raises(ServiceError):
        stats_report_publish(actor=world["agency_head"], agency_id=world.agency.pk, year=2025, version=1)
    assert StatsPublication.objects.get().report_id == second.pk


def test_disc_29_publish_refused_to_officers_and_other_agencies(world, agency_b) -> None:  # noqa: ANN001
    frozen = _frozen(world)
    with pytest.raises(NotAllowed):
        stats_report_publish(actor=world["officer"], agency_id=world.agency.pk, year=2025, version=frozen.version)
    other = _client(agency_b[Role.AGENCY_HEAD])
    assert other.post(reverse("statspub:publish", args=[2025, frozen.version])).status_code == 404
    assert not PublicEntry.objects.filter(kind=EntryKind.STATS_REPORT).exists()


def test_disc_29_reminder_until_last_years_report_is_published(world) -> None:  # noqa: ANN001
    agency_id = world.agency.pk
    early = stats_due(agency_id, date(2026, 1, 5))
    assert early is not None and early.year == 2025 and early.days_left == 26 and early.level == "info"
    near = stats_due(agency_id, date(2026, 1, 25))
    assert near is not None and near.level == "yellow"
    late = stats_due(agency_id, date(2026, 2, 3))
    assert late is not None and late.missed and late.days_overdue == 3 and late.level == "red"
    frozen = _frozen(world)
    stats_report_publish(actor=world["agency_head"], agency_id=agency_id, year=2025, version=frozen.version)
    assert stats_due(agency_id, date(2026, 2, 3)) is None
    assert stats_due(agency_id, date(2027, 1, 5)) is not None  # the next year's report is due next
