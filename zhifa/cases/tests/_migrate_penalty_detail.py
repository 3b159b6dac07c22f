"""Run by test_kinds.py in a fresh process on its own SQLite file: the schema as it was before migration 0005,
a penalty case and an inspection with values, then migrate forward, check, back, and check again (ADR 0025)."""

from __future__ import annotations

import datetime as dt
import os
import sys
from decimal import Decimal

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhifa.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.migrations.loader import MigrationLoader  # noqa: E402

BEFORE = ("cases", "0006_review_seam_participants_and_pauses")
AFTER = ("cases", "0007_penalty_detail")


def state(target: tuple[str, str]):  # noqa: ANN201
    loader = MigrationLoader(connection)
    return loader.project_state(target).apps


def main() -> int:
    call_command("migrate", *BEFORE, verbosity=0)
    apps = state(BEFORE)
    Agency, User = apps.get_model("registry", "Agency"), apps.get_model("accounts", "User")
    Law, Article, Case = apps.get_model("registry", "Law"), apps.get_model("registry", "Article"), apps.get_model(
        "cases", "Case")
    agency = Agency.objects.create(name="某水利局", uscc="11430682000000000X", kind="agency", level="county",
                                   region_code="430682", sector="water")
    user = User.objects.create(username="officer")
    law = Law.objects.create(title="中华人民共和国水法", issuer="全国人大常委会", level="law", sector="water",
                             version_date=dt.date(2016, 7, 2), effective_from=dt.date(2016, 9, 1))
    article = Article.objects.create(law=law, number=65, label="第六十五条", text="……")
    day = dt.date(2026, 6, 1)
    penalty = Case.objects.create(
        agency=agency, kind="penalty", state="pre_notice_issued", reference="罚〔2026〕1号", title="采砂案",
        source_kind="inspection", registered_on=day, created_by=user, filed_on=day, facts="采砂200吨",
        evidence_summary="笔录\n照片", penalty_kinds=["fine"], fine_amount=Decimal("20000.00"),
        notice_served_on=day, hearing_right=True, legal_review_required=True)
    penalty.legal_basis.add(article)
    check = Case.objects.create(agency=agency, kind="inspection", state="inspecting", reference="检〔2026〕1号",
                                title="检查", source_kind="random_check", registered_on=day, created_by=user,
                                summary="抽查", facts="发现堆砂", evidence_summary="现场照片")

    call_command("migrate", *AFTER, verbosity=0)
    apps = state(AFTER)
    Detail, Case = apps.get_model("cases", "PenaltyDetail"), apps.get_model("cases", "Case")
    detail = Detail.objects.get(case_id=penalty.pk)
    assert (detail.filed_on, detail.facts, detail.fine_amount, detail.penalty_kinds, detail.hearing_right) == (
        day, "采砂200吨", Decimal("20000.00"), ["fine"], True), detail.__dict__
    assert list(detail.legal_basis.values_list("pk", flat=True)) == [article.pk]
    assert Case.objects.get(pk=penalty.pk).legal_review_required is True
    assert not Detail.objects.filter(case_id=check.pk).exists()
    assert Case.objects.get(pk=check.pk).summary == "抽查\n违法事实：发现堆砂\n证据：现场照片"

    call_command("migrate", *BEFORE, verbosity=0)
    Case = state(BEFORE).get_model("cases", "Case")
    back = Case.objects.get(pk=penalty.pk)
    assert (back.fine_amount, back.facts, back.notice_served_on) == (Decimal("20000.00"), "采砂200吨", day)
    assert list(back.legal_basis.values_list("pk", flat=True)) == [article.pk]
    sys.stdout.write("migration ok\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
