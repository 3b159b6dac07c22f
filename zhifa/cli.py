"""The `zhifa` command: Django's management commands under one name (architecture rule 12).

`zhifa run` migrates, runs the start-up checks, creates the first administrator on an empty database (or loads the
demo county with `--demo`), and serves on 127.0.0.1:8000.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhifa.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["zhifa", *sys.argv[1:]])


if __name__ == "__main__":
    main()
