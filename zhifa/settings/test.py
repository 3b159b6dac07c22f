"""Test settings: the embedded settings with a fast password hasher and plain static files for live_server."""

from zhifa.settings import *  # noqa: F403
from zhifa.settings import STORAGES

# Argon2 is the production hasher (checked by a test); hashing thousands of test passwords with it is just slow.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
WHITENOISE_AUTOREFRESH = True

# Each test agency gets its own seal key (documents app); keep those out of the developer's data folder.
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

ZHIFA_SEAL_DIR = Path(tempfile.mkdtemp(prefix="zhifa-test-seals-"))
ZHIFA_PII_KEY_FILE = Path(tempfile.mkdtemp(prefix="zhifa-test-pii-")) / "pii-master.key"
# Decision drafts made by case tests use the desensitizer's rules only (its own tests run the LAC model, ADR 0044).
DISCLOSURE_USE_MODEL = False
