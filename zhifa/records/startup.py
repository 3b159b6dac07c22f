"""What `zhifa run` does for tamper and damage detection (issue 9 defects 5 and 11, ADR 0017), kept apart from how
run.py serves so either can change on its own:

- `integrity_gate()` before anything touches the database: the database's own integrity check; on corruption a
  clear Chinese message and exit status 78 (EX_CONFIG), which the systemd unit lists in `RestartPreventExitStatus`,
  so a corrupt database stops the service instead of crash-looping.
  `zhifa dbcheck` runs it; `zhifa run` calls that first.
- Fixity daily and the deep verification nightly are periodic jobs of the worker (`zhifa worker`, which `zhifa run`
  starts beside the server; `zhifa.records.tasks`, ADR 0028).
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import CommandError

from zhifa.records import dbcheck

EXIT_CORRUPT = 78  # EX_CONFIG: do not restart (systemd RestartPreventExitStatus=78)


def integrity_gate() -> None:
    """Refuse to start on a database that fails its own integrity check (ZHIFA_STARTUP_DB_CHECK: quick, full, off)."""
    mode = str(settings.ZHIFA_STARTUP_DB_CHECK)
    if mode == "off":
        return
    problems = dbcheck.integrity_problems(full=mode == "full")
    if problems:
        raise CommandError(
            "数据库完整性检查未通过，拒绝启动（不会自动重启）：\n" + "\n".join(problems)
            + "\n请停止服务，保留损坏的数据库文件以便调查，并用 zhifa restore 从最近的完好备份恢复。",
            returncode=EXIT_CORRUPT,
        )
