"""`zhifa archive`: export a stream as an offline-verifiable BagIt package, or print a checkpoint with a consistency
proof for a package's verifier (docs/decisions/0009-ledger.md).

    zhifa archive export STREAM [--output PATH] [--no-leaves] [--recipient USERNAME]
                                                                   STREAM "*" exports every stream; the parties'
                                                                   personal data only for an archivist or agency
                                                                   head named as recipient (ADR 0018)
    zhifa archive proof OLD_SIZE                                   for `zhifa verify PACKAGE --checkpoint FILE`
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhifa.records.archive import ArchiveError, archive_export, checkpoint_with_consistency, default_output
from zhifa.records.checkpoints import public_key


class Command(BaseCommand):
    help = "导出记录流归档包（BagIt，可离线核验），或输出带一致性证明的最新检查点。"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="导出一个记录流（\"*\" 为全部）的归档包")
        export.add_argument("stream", help="记录流，例如 case/<案件 UUID>；\"*\" 导出全部记录流")
        export.add_argument("--output", help="输出目录（不得已存在）；默认在数据目录 archives/ 下")
        export.add_argument(
            "--no-leaves", action="store_true",
            help="不附全账本叶哈希表（包更小，但核验时无法发现被删除的条目）",
        )
        export.add_argument(
            "--recipient", default="",
            help="接收人用户名；仅当其角色为档案管理员或机关负责人时，归档包才包含当事人个人信息",
        )
        proof = sub.add_parser("proof", help="输出最新签名检查点及从 OLD_SIZE 起的一致性证明")
        proof.add_argument("old_size", type=int, help="归档包中检查点的树大小")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "proof":
                self.stdout.write(checkpoint_with_consistency(options["old_size"]), ending="")
                return
            stream = options["stream"]
            output = Path(options["output"]) if options.get("output") else default_output(stream)
            recipient = None
            if options.get("recipient"):
                from django.contrib.auth import get_user_model

                recipient = get_user_model().objects.filter(username=options["recipient"], is_active=True).first()
                if recipient is None:
                    raise CommandError(f"没有这个在用的用户：{options['recipient']}")
            result = archive_export(stream=stream, output=output, include_leaves=not options["no_leaves"],
                                    recipient=recipient)
        except ArchiveError as exc:
            raise CommandError(str(exc)) from exc
        for problem in result.problems:
            self.stderr.write(f"警告：{problem}")
        self.stdout.write(
            f"已导出归档包：{result.path}\n记录流 {result.stream}：{result.entries} 条记录，{result.blobs} 个证据文件，"
            f"检查点树大小 {result.checkpoint_size}；"
            f"{'含' if result.personal_data else '不含'}当事人个人信息。\n核验：zhifa verify {result.path} --key '{public_key()}'"
        )
        if result.problems:
            raise CommandError(
                f"归档包已写出，但存储中有 {len(result.problems)} 处问题（见上方警告），该包将无法通过核验。",
                returncode=1,
            )
