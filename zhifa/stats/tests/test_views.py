"""The staff page of the annual statistics report (STAT-1/10): tables of a year, XLSX, freezing."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook

from zhifa.cases.testing import make_case_world
from zhifa.stats.models import StatsReport
from zhifa.stats.tests.test_stats import decided_row


@pytest.fixture
def world(agency_a):  # noqa: ANN001, ANN201
    return make_case_world(agency_a)


def _client(user) -> Client:  # noqa: ANN001
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_stat_4_page_shows_the_year_and_no_source_cells(world) -> None:  # noqa: ANN001
    decided_row(world, kinds=["warning", "fine"], on=date(2025, 5, 6), fine="1500")
    page = _client(world["agency_head"]).get("/staff/stats/", {"year": 2025})
    assert page.status_code == 200
    html = page.content.decode()
    assert "2025年度行政执法统计年报" in html and 'id="table-penalty"' in html and "无数据来源" in html
    assert "0.150000" in html  # 1,500 元 in 万元 (STAT-6)


@pytest.mark.django_db
def test_stats_page_refused_to_officers(world) -> None:  # noqa: ANN001
    assert _client(world["officer"]).get("/staff/stats/").status_code == 403


@pytest.mark.django_db
def test_stat_10_freeze_from_the_page_and_download_the_frozen_xlsx(world) -> None:  # noqa: ANN001
    decided_row(world, kinds=["fine"], on=date(2025, 5, 6), fine="2000")
    client = _client(world["agency_head"])
    refused = client.post("/staff/stats/2025/freeze", follow=True)
    assert "请先填写行政执法情况说明" in refused.content.decode() and not StatsReport.objects.exists()  # STAT-1
    client.post("/staff/stats/2025/narrative", {"text": "2025年依法履职。"})
    response = client.post("/staff/stats/2025/freeze")
    assert response.status_code == 302 and "version=1" in response["Location"]
    frozen = StatsReport.objects.get(agency=world.agency, year=2025)
    decided_row(world, kinds=["fine"], on=date(2025, 8, 6), fine="3000")  # later data: not in version 1
    page = client.get(response["Location"]).content.decode()
    assert frozen.sha256 in page
    book = load_workbook(io.BytesIO(client.get("/staff/stats/2025/xlsx", {"version": 1}).content))
    sheet = book["行政处罚"]
    rows = {r[0]: r[1:] for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert rows["罚款"][0] == 1 and rows["罚没金额（万元）"][0] == "0.200000" and rows["行政拘留"][0] == "无数据来源"
    live = load_workbook(io.BytesIO(client.get("/staff/stats/2025/xlsx").content))["行政处罚"]
    assert {r[0]: r[1:] for r in live.iter_rows(min_row=3, values_only=True)}["罚款"][0] == 2
    assert all(c.data_type != "f" for ws in book.worksheets for row in ws.iter_rows() for c in row)


@pytest.mark.django_db
def test_stat_10_command_prints_the_same_hash_twice(world) -> None:  # noqa: ANN001
    decided_row(world, kinds=["fine"], on=date(2025, 5, 6), fine="2000")
    outputs = []
    for _ in range(2):
        buf = io.StringIO()
        call_command("stats_report", str(world.agency.public_id), "2025", stdout=buf)
        outputs.append(json.loads(buf.getvalue()))
    assert outputs[0] == outputs[1] and len(outputs[0]["sha256"]) == 64
    assert outputs[0]["report"]["tables"][1]["rows"][2]["cells"]["total"] == 1  # 罚款
