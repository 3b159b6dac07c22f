"""`zhifa verify PACKAGE [--key VKEY] [--checkpoint FILE]`: check an archive package offline.

The work is done by `zhifa.records.verify`, which needs neither Django nor a database; this command only makes it
available under the `zhifa` entry point. `python -m zhifa.records.verify` is the same check without Django.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhifa.records import verify


class Command(BaseCommand):
    help = "离线核验归档包：BagIt 完整性、条目叶哈希、包含证明、证据文件、检查点签名与一致性。"
    requires_system_checks: list[str] = []  # an offline check: no database, no project checks

    def add_arguments(self, parser: CommandParser) -> None:
        verify.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify.verify_package(options["package"], key=options.get("key"), checkpoint=options.get("checkpoint"),
                                       sm2_key=options.get("sm2_key"))
        for line in report.lines()[:-1]:
            self.stdout.write(line)
        if not report.ok:
            raise CommandError(report.summary(), returncode=1)
        self.stdout.write(report.summary())
