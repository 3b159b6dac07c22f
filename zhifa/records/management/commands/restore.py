"""`zhifa restore`: restore a backup and verify the ledger before accepting writes; or check the current ledger.

    zhifa restore BACKUP_DIR [--force] [--log-key VKEY]   restore (the application must be stopped)
    zhifa restore --check                                  start-up check against the witness (fast; never fails)
    zhifa restore --verify                                 full verification of the ledger in place + the check
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from zhifa.records import dbcheck, ledger
from zhifa.records.backup import BackupError, restore_backup
from zhifa.records.rollback import RollbackStatus, check_against_witness, refuse_writes, verify_ledger


class Command(BaseCommand):
    help = "从备份恢复数据库与证据文件，并在接受写入前完整校验账本；或检查当前账本是否被回退。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("backup", nargs="?", type=Path, help="zhifa backup 生成的备份目录")
        parser.add_argument("--force", action="store_true", help="覆盖已有数据的数据库（须先停止应用）")
        parser.add_argument("--log-key", help="用于验证检查点签名的账本公钥（默认读取本机签名密钥）")
        parser.add_argument("--check", action="store_true", help="只把账本与见证方状态比对（启动时运行）")
        parser.add_argument("--verify", action="store_true", help="完整校验当前账本，并与见证方状态比对")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["check"]:
            self._print_status(check_against_witness())
            return
        if options["verify"]:
            # The database's own check first: a corrupt file is reported in words, not as a traceback (defect 11).
            problems = dbcheck.integrity_problems(full=True)
            if problems:
                raise CommandError("数据库文件已损坏，校验无法进行：\n" + "\n".join(problems)
                                   + "\n请停止服务，保留损坏的文件以便调查，并用 zhifa restore 从最近的完好备份恢复。")
            try:
                report = verify_ledger(options["log_key"])
            except DatabaseError as exc:
                raise CommandError(f"读取账本时数据库报错（数据库可能已损坏）：{exc}") from exc
            if not report.ok:
                refuse_writes(report.size + 1)
                raise CommandError("账本校验未通过，已拒绝写入：\n" + "\n".join(report.problems))
            self.stdout.write(self.style.SUCCESS(f"账本校验通过：{report.size} 条，根哈希 {report.root.hex()}"))
            status = check_against_witness()
            self._print_status(status)
            if status.refused:
                raise CommandError(status.message)
            return
        if options["backup"] is None:
            raise CommandError("请指定备份目录，或使用 --check / --verify。")
        try:
            restored = restore_backup(options["backup"], force=options["force"], log_vkey=options["log_key"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        except DatabaseError as exc:
            raise CommandError(f"恢复时数据库报错（备份或目标数据库可能已损坏）：{exc}") from exc
        if not restored.ok:
            raise CommandError("已恢复，但账本校验未通过，写入保持拒绝状态：\n" + "\n".join(restored.problems))
        size, root = ledger.tree_head()
        self.stdout.write(self.style.SUCCESS(f"恢复完成，账本校验通过：{size} 条，根哈希 {root.hex()}"))
        if restored.rollback is not None:
            self._print_status(restored.rollback)
            if restored.rollback.refused:
                raise CommandError(restored.rollback.message)
        if restored.writes_refused:
            raise CommandError("备份中的账本本身处于拒绝写入状态（备份前已被拒绝写入）：核实后运行 zhifa record_restore。")

    def _print_status(self, status: RollbackStatus) -> None:
        if status.state in ("refused", "error"):
            self.stderr.write(self.style.ERROR(status.message))
        elif status.state == "acknowledged":
            self.stdout.write(self.style.WARNING(status.message))
        else:
            self.stdout.write(status.message)
