"""Static files for `zhifa run`: collected (hashed and compressed by WhiteNoise) only when the sources changed.

Collecting compresses every asset again, which takes half a minute on a small machine at every start of every app
server. The sources' names, sizes and modification times are fingerprinted; the fingerprint of the last successful
collection is kept in STATIC_ROOT beside the manifest, and an unchanged one with the manifest present skips the work.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.core.management import call_command

STAMP = ".zhifa-collected"
MANIFEST = "staticfiles.json"
IGNORE = ["CVS", ".*", "*~"]  # collectstatic's default ignore patterns


def sources_fingerprint() -> str:
    """SHA-256 over (path, size, mtime) of every file the static finders offer, in a stable order."""
    rows = []
    for finder in get_finders():
        for path, storage in finder.list(IGNORE):
            st = os.stat(storage.path(path))
            rows.append(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\n")
    return hashlib.sha256("".join(sorted(rows)).encode()).hexdigest()


def collect_static_if_changed() -> bool:
    """Run collectstatic unless STATIC_ROOT holds a manifest collected from these very sources. True if it ran."""
    root = Path(settings.STATIC_ROOT)
    fingerprint = sources_fingerprint()
    stamp = root / STAMP
    if (root / MANIFEST).is_file() and stamp.is_file() and stamp.read_text().strip() == fingerprint:
        return False
    stamp.unlink(missing_ok=True)
    call_command("collectstatic", interactive=False, verbosity=0)
    stamp.write_text(fingerprint + "\n")
    return True
