"""`zhifa fixity`: re-hash every stored blob and report what changed (reliability.md FC-8; REC-9).

Reports blobs whose content no longer matches their hash (changed), registered blobs whose file is gone (missing)
and files in the blob folder that no blob row names (unexpected), in Chinese and English, and exits with status 1
if there is any. Evidence rows are flagged to match, so the viewer shows 完整性受损 and downloads are refused; each
change of status is recorded in the ledger. It also sweeps upload temporary files nobody will finish (FC-4).
Run it on a timer (e.g. nightly); it reads every blob once, in bounded memory.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhifa.records.blobstore import default_store
from zhifa.records.evidence import fixity_check
from zhifa.records.uploads import upload_sweep


class Command(BaseCommand):
    help = "重新计算证据存储中每个文件的哈希，报告被改变、缺失和多余的文件（fixity check）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-sweep", action="store_true",
                            help="不清理过期的上传临时文件 / do not sweep stale upload temporary files")

    def handle(self, *args: Any, **options: Any) -> None:
        store = default_store()
        if not options["no_sweep"]:
            swept = upload_sweep(store=store)
            if swept:
                self.stdout.write(f"已清理过期上传临时文件 {swept} 个 / swept {swept} stale upload temporary file(s)")
        report = fixity_check(store=store)
        for path, actual in report.changed:
            self.stdout.write(f"内容已改变 CHANGED    {path}  (实际 actual sha256 {actual})")
        for path in report.missing:
            self.stdout.write(f"文件缺失   MISSING    {path}")
        for path in report.unexpected:
            self.stdout.write(f"多余文件   UNEXPECTED {path}")
        for evidence_id, old, new in report.status_changes:
            self.stdout.write(f"证据 evidence {evidence_id}: 完整性 integrity {old} → {new}")
        summary = (
            f"完整性检查：核验 {report.checked} 个文件，内容已改变 {len(report.changed)} 个，缺失 {len(report.missing)} 个，"
            f"多余 {len(report.unexpected)} 个。\n"
            f"fixity: {report.checked} blobs checked, {len(report.changed)} changed, {len(report.missing)} missing, "
            f"{len(report.unexpected)} unexpected."
        )
        if report.problems:
            self.stderr.write(summary)
            raise CommandError("完整性检查发现问题 / fixity check found problems", returncode=1)
        self.stdout.write(summary)
