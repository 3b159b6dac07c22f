"""`zhifa record_restore --operator NAME --reason TEXT`: after restoring an old backup, record a restore event
signed with the log key and resume writes. Hand the printed statement to the witness operator
(`zhifa witness accept-restore`)."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from zhifa.records.checkpoints import public_key
from zhifa.records.rollback import RestoreRefused, read_leaves, record_restore


class Command(BaseCommand):
    help = "登记签名的恢复记录（账本短于见证方已签署的长度时），恢复写入；恢复声明须提交见证方。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--operator", required=True, help="登记的运维人员")
        parser.add_argument("--reason", required=True, help="恢复原因（例如：磁盘损坏，从某日备份恢复）")
        parser.add_argument("--witnessed-size", type=int, help="见证方已签署的大小（远程见证方时填写）")
        parser.add_argument("--witnessed-root", help="见证方已签署的根哈希，base64（远程见证方时填写）")
        parser.add_argument("--log-key", help="用于验证检查点签名的账本公钥（默认读取本机签名密钥）")
        parser.add_argument("--leaves", type=Path,
                            help="更长账本副本的叶哈希文件（归档包的 data/leaves.txt）：据此附上一致性证明，"
                                 "见证方无需另行批准即可接受恢复")

    def handle(self, *args: Any, **options: Any) -> None:
        root = None
        if options["witnessed_root"]:
            try:
                root = base64.b64decode(options["witnessed_root"], validate=True)
            except (binascii.Error, ValueError) as exc:
                raise CommandError("--witnessed-root 不是 base64。") from exc
        try:
            event, path = record_restore(
                operator=options["operator"], reason=options["reason"], witnessed_size=options["witnessed_size"],
                witnessed_root=root, log_vkey=options["log_key"],
                leaves=read_leaves(options["leaves"]) if options["leaves"] else None,
            )
        except RestoreRefused as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(f"无法读取叶哈希文件：{exc}") from exc
        self.stdout.write(self.style.SUCCESS(
            f"已登记恢复记录 #{event.pk}：账本长度 {event.ledger_size}，见证方已签署 {event.witnessed_size}。写入已恢复。"
        ))
        self.stdout.write(event.signature)
        self.stdout.write(f"恢复声明已保存到 {path}。请将其提交见证方运维人员，由其核实后运行：")
        self.stdout.write(
            f"  zhifa witness accept-restore --state 见证方状态目录 --log-key {public_key()} {path.name}"
        )
        if not options["leaves"]:
            self.stdout.write(
                "未附一致性证明（--leaves）：见证方只有在其运维人员核实并签署批准后才会接受，即先运行 "
                f"zhifa witness approve-restore --state 见证方状态目录 --log-key {public_key()} {path.name} "
                "--output 批准文件，再在上面的命令后加 --approval 批准文件。"
            )
        self.stdout.write("在见证方接受之前，它会拒绝为本账本的新检查点联署。")
