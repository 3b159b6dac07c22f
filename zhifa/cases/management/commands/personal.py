"""`zhifa personal`: the personal-data vault (issue 9 defect 8; ADR 0018).

    zhifa personal status                        counts, algorithms, master key id and file mode
    zhifa personal rotate                        re-encrypt every record under a new master key (ZHIFA_PII_KEY_FILE)
    zhifa personal erase TARGET --reason TEXT    end of retention: TARGET is a case (UUID or 案号) or a vault record
                                                 UUID; a case must be archived unless --force
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhifa.cases.models import Case
from zhifa.cases.services import case_personal_erase
from zhifa.common.errors import ServiceError
from zhifa.records import personal
from zhifa.records.models import PersonalRecord


class Command(BaseCommand):
    help = "个人信息加密库：查看状态、轮换主密钥、按保存期限删除。"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("status", help="记录数、算法、主密钥标识和密钥文件权限")
        sub.add_parser("rotate", help="生成新的主密钥并用其重新加密全部记录")
        erase = sub.add_parser("erase", help="删除一个案件（UUID 或案号）或一条个人信息记录（UUID）的个人信息")
        erase.add_argument("target")
        erase.add_argument("--reason", default="保存期限届满", help="删除理由（记入账本）")
        erase.add_argument("--force", action="store_true", help="案件未归档也删除")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "status":
                self.stdout.write(json.dumps(personal.personal_status(), ensure_ascii=False, indent=2))
            elif options["action"] == "rotate":
                result = personal.personal_rotate()
                self.stdout.write(f"已用新主密钥 {result['new_key_id']} 重新加密 {result['rotated']} 条记录"
                                  f"（原主密钥 {result['old_key_id']} 已被替换）。")
            else:
                self._erase(options["target"], options["reason"], options["force"])
        except (ServiceError, personal.PersonalDataError) as exc:
            raise CommandError(str(exc)) from exc

    def _erase(self, target: str, reason: str, force: bool) -> None:
        try:
            key = uuid.UUID(target)
        except ValueError:
            key = None
        case = (Case.objects.filter(public_id=key).first() if key else None) or Case.objects.filter(
            reference=target).first()
        if case is not None:
            count = case_personal_erase(case=case, reason=reason, force=force)
            self.stdout.write(f"已删除案件 {case.reference} 的 {count} 条当事人个人信息。")
            return
        record = PersonalRecord.objects.filter(public_id=key).first() if key else None
        if record is None:
            raise CommandError(f"没有找到案件或个人信息记录：{target}")
        count = personal.personal_erase(records=[record], reason=reason)
        self.stdout.write(f"已删除个人信息记录 {record.public_id}（{count} 条）。")
