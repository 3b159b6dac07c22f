"""The `zhifa` command: Django's management commands under one name (architecture rule 12).

`zhifa run` migrates, runs the start-up checks, creates the first administrator on an empty database (or loads the
demo county with `--demo`), and serves on 127.0.0.1:8000.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhifa.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:  # a bad environment variable stops here with its one message, not a traceback (ADR 0022)
        settings.INSTALLED_APPS  # noqa: B018
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"{exc}\n")
        raise SystemExit(2) from None

    execute_from_command_line(["zhifa", *sys.argv[1:]])


if __name__ == "__main__":
    main()
