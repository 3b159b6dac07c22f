"""`zhifa witness`: the witness run by the supervising justice bureau (docs/decisions/0011-witness-and-backup.md).

    zhifa witness init --state DIR --name NAME            create the witness key and state; print its public key
    zhifa witness cosign --state DIR --log-key VKEY FILE  co-sign a checkpoint (FILE, or - for standard input)
    zhifa witness show --state DIR                        the key and, per log, the last co-signed checkpoint
    zhifa witness accept-restore --state DIR --log-key VKEY FILE [--approval FILE]
                                                          continue from a log's signed restore statement: only a
                                                          proven prefix of what was witnessed, or an approved root
    zhifa witness approve-restore --state DIR --log-key VKEY FILE [--output FILE]
                                                          the witness operator signs that exact restored root

The checkpoint file is the signed note, optionally followed by a blank line, "consistency <old> <new>" and the
proof hashes in base64, one per line (`zhifa archive proof OLD_SIZE`); a C2SP add-checkpoint body is accepted too.
It uses no database: run it as another OS user, on another machine, with its own state directory.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from zhifa.records.witness import Witness, WitnessError, WitnessRefused, parse_submission


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"无法读取 {path}：{exc}") from exc


class Command(BaseCommand):
    help = "见证方：只为与已签署检查点一致的新检查点联署（C2SP tlog-witness）。"
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        init = sub.add_parser("init", help="创建见证方密钥与状态目录，并显示其公钥")
        init.add_argument("--state", required=True, help="见证方状态目录")
        init.add_argument("--name", required=True, help="见证方名称，例如 sfj.example.gov.cn/witness")
        cosign = sub.add_parser("cosign", help="为检查点联署，输出联署行")
        cosign.add_argument("--state", required=True)
        cosign.add_argument("--log-key", required=True, help="账本公钥（zhifa checkpoint 显示的公钥）")
        cosign.add_argument("checkpoint", help="检查点文件，- 表示标准输入")
        cosign.add_argument("--note", action="store_true", help="输出带联署行的完整检查点，而不只是联署行")
        show = sub.add_parser("show", help="显示见证方公钥与各日志最后联署的检查点")
        show.add_argument("--state", required=True)
        restore = sub.add_parser("accept-restore", help="接受日志方签名的恢复声明，从恢复后的检查点继续见证")
        restore.add_argument("--state", required=True)
        restore.add_argument("--log-key", required=True)
        restore.add_argument("statement", help="恢复声明文件（zhifa record_restore 生成），- 表示标准输入")
        restore.add_argument("--approval", help="见证方运维人员签署的批准文件（zhifa witness approve-restore 生成）；"
                                                "恢复后的账本无法证明是已见证账本的前缀时必须提供")
        approve = sub.add_parser("approve-restore", help="见证方运维人员核实后，签署批准恢复声明中的账本大小和根哈希")
        approve.add_argument("--state", required=True)
        approve.add_argument("--log-key", required=True)
        approve.add_argument("statement", help="恢复声明文件，- 表示标准输入")
        approve.add_argument("--output", help="把批准文件写到此处（默认输出到标准输出）")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        state = Path(options["state"])
        try:
            if action == "init":
                witness = Witness(state, options["name"])
                self.stdout.write(f"见证方 {witness.name} 已就绪，状态目录 {state}")
                self.stdout.write(f"公钥：{witness.vkey}")
                return
            if not state.exists():
                raise CommandError(f"{state} 不存在，请先运行 zhifa witness init。")
            witness = Witness(state)
            if action == "cosign":
                self._cosign(witness, options)
            elif action == "show":
                self._show(witness)
            elif action == "approve-restore":
                approval = witness.approve_restore(_read(options["statement"]), options["log_key"])
                if options["output"]:
                    Path(options["output"]).write_text(approval, encoding="utf-8")
                    self.stdout.write(f"批准文件已写入 {options['output']}。")
                else:
                    self.stdout.write(approval, ending="")
            else:
                given = _read(options["approval"]) if options["approval"] else None
                new = witness.accept_restore(_read(options["statement"]), options["log_key"], approval=given)
                self.stdout.write(f"已接受恢复声明：{new.origin} 从大小 {new.size} 继续见证。")
        except WitnessRefused as exc:
            raise CommandError(f"见证方拒绝（{exc.code}，{exc.http_status}）：{exc.message}") from exc
        except WitnessError as exc:
            raise CommandError(str(exc)) from exc

    def _cosign(self, witness: Witness, options: dict[str, Any]) -> None:
        submission = parse_submission(_read(options["checkpoint"]))
        line = witness.add_checkpoint(
            submission.note, submission.proof, options["log_key"], old_size=submission.old_size
        )
        self.stdout.write(submission.note.rstrip("\n") + "\n" + line if options["note"] else line, ending="")

    def _show(self, witness: Witness) -> None:
        self.stdout.write(f"见证方：{witness.name}")
        self.stdout.write(f"公钥：{witness.vkey}")
        states = witness.states()
        if not states:
            self.stdout.write("尚未联署任何检查点。")
        for origin, state in states.items():
            self.stdout.write(f"\n日志：{origin}")
            self.stdout.write(f"  账本公钥：{state.log_key}")
            self.stdout.write(f"  最后联署：大小 {state.size}，{state.updated_at}")
            if state.checkpoint:
                self.stdout.write("  " + state.checkpoint.rstrip("\n").replace("\n", "\n  "))
            else:
                self.stdout.write("  （按恢复声明重置，尚未联署新的检查点）")
