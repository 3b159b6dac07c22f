"""`zhifa backup [--output DIR]`: a consistent backup of the database and evidence blobs with a SHA-256 manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from zhifa.records.backup import BackupError, create_backup


class Command(BaseCommand):
    help = "备份数据库（SQLite 在线备份 / pg_dump）与证据文件，并生成含账本大小、根哈希与 SHA-256 的清单。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--output", type=Path, help="备份存放目录（默认 数据目录/backups）")
        parser.add_argument("--link-blobs", action="store_true",
                            help="同一文件系统时用硬链接代替复制证据文件（省空间，但不防止原文件被改动）")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            info = create_backup(options["output"], link_blobs=options["link_blobs"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"备份完成：{info.path}"))
        self.stdout.write(f"账本长度 {info.ledger_size}，根哈希 {info.ledger_root.hex()}")
        self.stdout.write(f"共 {info.files} 个文件，{info.total_bytes} 字节；签名密钥不在备份中，请另行保管。")
