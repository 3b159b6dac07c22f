"""What `zhifa run` does for tamper and damage detection (issue 9 defects 5 and 11, ADR 0017), kept apart from how
run.py serves so either can change on its own:

- `integrity_gate()` before anything touches the database: the database's own integrity check; on corruption a
  clear Chinese message and exit status 78 (EX_CONFIG), which the systemd unit lists in `RestartPreventExitStatus`,
  so a corrupt database stops the service instead of crash-looping.
- `start_integrity_schedule(parent_pid)`: a child process (`zhifa integrity_watch`) that runs fixity daily and the
  deep verification nightly, and stops when the server does.
"""

from __future__ import annotations

import os
import subprocess
import sys

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


def start_integrity_schedule(parent_pid: int) -> subprocess.Popen[bytes]:
    """Fixity daily, deep verification nightly, beside the server (ends by itself when `parent_pid` is gone)."""
    zhifa = os.path.join(os.path.dirname(sys.executable), "zhifa")
    return subprocess.Popen([zhifa, "integrity_watch", "--parent", str(parent_pid)])
