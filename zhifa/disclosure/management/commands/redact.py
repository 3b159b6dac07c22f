"""`zhifa redact [FILE…] [--json] [--no-model]`: print the desensitized text of plain decision text (issue 12
part 1, ADR 0039). Reads standard input when no file is given. No case context: names, numbers and addresses are
found by the patterns, the role-word rules and the LAC model, as `zhifa.disclosure.desensitize` does them.

Errors (a missing file, a folder, text that is not UTF-8) are one Chinese line on stderr and exit status 2; no
traceback. No database is touched.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhifa.disclosure.desensitize import desensitize


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CommandError(f"{name} 不是 UTF-8 编码的文本（第 {exc.start + 1} 个字节起无法解码），请先转换为 UTF-8。",
                           returncode=2) from None


def _read(name: str) -> str:
    path = Path(name)
    if not path.exists():
        raise CommandError(f"找不到文件：{name}", returncode=2)
    if path.is_dir():
        raise CommandError(f"{name} 是文件夹，请指定文本文件。", returncode=2)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CommandError(f"无法读取文件 {name}：{exc.strerror or exc}", returncode=2) from None
    return _decode(data, name)


class Command(BaseCommand):
    help = "对决定书纯文本脱敏并输出（无案件信息时按规则与模型识别姓名、证件号、电话、地址等）；不指定文件时读取标准输入。"
    requires_system_checks: list[str] = []  # no database, no project checks

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="*", metavar="FILE", help="UTF-8 文本文件；省略时读取标准输入")
        parser.add_argument("--json", action="store_true", help="输出 JSON：脱敏文本及每处遮蔽的位置、类别和规则")
        parser.add_argument("--no-model", action="store_true", help="只用规则，不用姓名识别模型")

    def handle(self, *args: Any, **options: Any) -> None:
        names: list[str] = options["files"]
        sources = [(n, _read(n)) for n in names] if names else [("-", _decode(sys.stdin.buffer.read(), "标准输入"))]
        for index, (name, text) in enumerate(sources):
            result = desensitize(text, use_model=not options["no_model"])
            if options["json"]:
                payload = {"file": name, "text": result.text, "spans": [asdict(s) for s in result.spans],
                           "kept": [asdict(k) for k in result.kept]}
                self.stdout.write(json.dumps(payload, ensure_ascii=False))
                continue
            if len(sources) > 1:
                self.stdout.write(f"{'' if index == 0 else chr(10)}==> {name} <==")
            self.stdout.write(result.text, ending="" if result.text.endswith("\n") else "\n")
