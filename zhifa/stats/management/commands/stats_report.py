"""`zhifa stats_report AGENCY YEAR [--template KEY]`: print an agency's annual statistics report for a year as JSON
(counted now from the case data, STAT-2…9) with its SHA-256 (STAT-10: the same data give the same hash). AGENCY is
the agency's public id (UUID) or its exact name. Reads only; freezing is the staff page's or the service's."""

from __future__ import annotations

import json
import uuid

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhifa.registry.models import Agency
from zhifa.stats.report import report_sha256, stats_compute
from zhifa.stats.templates import DEFAULT_TEMPLATE, TemplateInvalid, load_template


def _agency(value: str) -> Agency:
    try:
        found = Agency.objects.filter(public_id=uuid.UUID(value)).first()
    except ValueError:
        found = Agency.objects.filter(name=value).first()
    if found is None:
        raise CommandError(f"找不到执法主体：{value}", returncode=2)
    return found


class Command(BaseCommand):
    help = "打印执法主体某一年度的行政执法统计年报（JSON）及其 SHA-256"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("agency", help="执法主体的 UUID 或全称")
        parser.add_argument("year", type=int, help="统计年度")
        parser.add_argument("--template", default=DEFAULT_TEMPLATE, help="统计表模板（zhifa/stats/tables/*.json）")

    def handle(self, *args: object, **options: object) -> None:
        try:
            template = load_template(str(options["template"]))
        except TemplateInvalid as exc:
            raise CommandError(exc.message, returncode=2) from None
        year = options["year"]
        assert isinstance(year, int)
        report = stats_compute(agency=_agency(str(options["agency"])), year=year, template=template)
        self.stdout.write(json.dumps({"sha256": report_sha256(report), "report": report}, ensure_ascii=False,
                                     indent=2))
