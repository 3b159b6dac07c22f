"""`zhifa verify PACKAGE [--key VKEY] [--checkpoint FILE]`: check an archive package offline.
`zhifa verify --deep [--only APP …] [--report]`: re-verify the ledger in the database and recompute from its
entries the business rows it records; name every row that differs (ADR 0017).

The package check is done by `zhifa.records.verify`, which needs neither Django nor a database; this command only
makes it available under the `zhifa` entry point. `python -m zhifa.records.verify` is the same check without Django.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhifa.records import verify


class Command(BaseCommand):
    help = ("离线核验归档包：BagIt 完整性、条目叶哈希、包含证明、证据文件、检查点签名与一致性；"
            "--deep 则核验数据库中的账本，并按账本重算案件、当事人、文书、证据等业务数据，列出每一处不符。")
    requires_system_checks: list[str] = []  # an offline check: no database, no project checks

    def add_arguments(self, parser: CommandParser) -> None:
        verify.add_arguments(parser)
        for action in parser._actions:
            if action.dest == "package":
                action.nargs = "?"  # the package is optional with --deep
        parser.add_argument("--deep", action="store_true",
                            help="深度核验数据库：账本本身、外送检查点，以及按账本重算的业务数据 / deep verification")
        parser.add_argument("--only", action="append", help="只核验这些部分（cases、documents、evidence…）")
        parser.add_argument("--report", action="store_true", help="同时把结果写入数据目录 reports/ 下的文件")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["deep"]:
            self._deep(options)
            return
        if not options.get("package"):
            raise CommandError("请指定归档包目录，或使用 --deep。")
        report = verify.verify_package(options["package"], key=options.get("key"), checkpoint=options.get("checkpoint"),
                                       sm2_key=options.get("sm2_key"), as_of=options.get("as_of"))
        for line in report.lines()[:-1]:
            self.stdout.write(line)
        if not report.ok:
            raise CommandError(report.summary(), returncode=1)
        self.stdout.write(report.summary())

    def _deep(self, options: dict[str, Any]) -> None:
        from zhifa.records import deep

        report = deep.run_deep(options.get("only"))
        for line in report.problems:
            self.stdout.write(line)
        if options["report"]:
            self.stdout.write(f"报告已写入 {deep.write_report(report)}")
        if not report.ok:
            raise CommandError(report.summary(), returncode=1)
        self.stdout.write(report.summary())
