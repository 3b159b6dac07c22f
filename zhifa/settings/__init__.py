"""Settings for the embedded deployment (SQLite, local folders), read from the environment.

Every value comes from an environment variable with a safe default for `make run` (architecture rule 11).
A bad value fails at start with a clear message. `zhifa.settings.production` tightens these for servers.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent  # the zhifa package
PROJECT_DIR = BASE_DIR.parent

env = environ.Env()

DATA_DIR = Path(env.str("ZHIFA_DATA_DIR", default=str(PROJECT_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """An explicit ZHIFA_SECRET_KEY wins; otherwise a random key kept in the data folder (mode 0600)."""
    explicit = env.str("ZHIFA_SECRET_KEY", default="")
    if explicit:
        return explicit
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        from django.utils.crypto import get_random_string

        key_file.write_text(get_random_string(64, "abcdefghijklmnopqrstuvwxyz0123456789!@#%^&*(-_=+)"))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env.bool("ZHIFA_DEBUG", default=False)
ALLOWED_HOSTS = env.list("ZHIFA_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("ZHIFA_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "ninja",
    "zhifa.common",
    "zhifa.accounts",
    "zhifa.workdays",
    "zhifa.registry",
    "zhifa.disclosure",
    "zhifa.records",
    "zhifa.documents",
    "zhifa.cases",
    "zhifa.review",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "zhifa.urls"
WSGI_APPLICATION = "zhifa.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


# Every SQLite database, the default file and any `sqlite:///` DATABASE_URL (ADR 0021): WAL with synchronous=FULL,
# so an acknowledged commit survives power loss (reliability.md A8, FC-3); IMMEDIATE transactions avoid instant
# "database is locked" between writers.
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000;",
    "transaction_mode": "IMMEDIATE",
}


def _databases() -> dict:
    url = env.str("DATABASE_URL", default="")
    if not url:
        return {
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": DATA_DIR / "zhifa.sqlite3",
                "OPTIONS": dict(SQLITE_OPTIONS),
            }
        }
    try:
        db = env.db_url_config(url)
    except (ImproperlyConfigured, KeyError, ValueError) as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL Django understands: {exc}") from exc
    if db["ENGINE"] not in ("django.db.backends.postgresql", "django.db.backends.sqlite3"):
        raise ImproperlyConfigured("DATABASE_URL must point to PostgreSQL (postgres://) or SQLite (sqlite:///).")
    if db["ENGINE"] == "django.db.backends.sqlite3":
        db["OPTIONS"] = {**db.get("OPTIONS", {}), **SQLITE_OPTIONS}  # the durability settings are not optional
    return {"default": db}


DATABASES = _databases()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # must come first: refuses locked-out credentials
    "django.contrib.auth.backends.ModelBackend",
]

# Login security (等保 2.0 身份鉴别; reliability.md AC-5).
AXES_FAILURE_LIMIT = env.int("ZHIFA_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("ZHIFA_LOCKOUT_MINUTES", default=30))
# Lock the account, whatever address the attempts come from: on a government intranet many officers share one
# NAT address, so locking by IP would lock out whole offices (hence axes.W006 is silenced below).
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
# Idle timeout: the session expires after this many seconds without a request.
SESSION_COOKIE_AGE = env.int("ZHIFA_IDLE_TIMEOUT_SECONDS", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "staff:home"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": DATA_DIR / "media"}},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

NINJA_PAGINATION_PER_PAGE = 50

# Records (docs/decisions/0009-ledger.md): the log's signing key lives outside the database; the origin names the log.
ZHIFA_LEDGER_KEY_FILE = Path(env.str("ZHIFA_LEDGER_KEY_FILE", default=str(DATA_DIR / "keys" / "ledger-ed25519.pem")))
ZHIFA_LEDGER_ORIGIN = env.str("ZHIFA_LEDGER_ORIGIN", default="zhifa.local/ledger")
ZHIFA_BLOB_DIR = Path(env.str("ZHIFA_BLOB_DIR", default=str(DATA_DIR / "blobs")))
ZHIFA_UPLOAD_TMP_DIR = Path(env.str("ZHIFA_UPLOAD_TMP_DIR", default=str(DATA_DIR / "upload-tmp")))
ZHIFA_UPLOAD_MAX_BYTES = env.int("ZHIFA_UPLOAD_MAX_BYTES", default=8 * 1024**3)
ZHIFA_WITNESS_STATE_DIR = env.str("ZHIFA_WITNESS_STATE_DIR", default="")

# Upload hardening (issue 9 defect 13, ADR 0020). Request bodies: Django's own caps, stated so they are visible
# (a body over them is a 400; file bytes of evidence uploads are capped by ZHIFA_UPLOAD_MAX_BYTES instead).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("ZHIFA_DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = 100
# Zip containers (DOCX): refused on their directory above these; images above this many pixels.
ZHIFA_ZIP_MAX_ENTRIES = env.int("ZHIFA_ZIP_MAX_ENTRIES", default=1000)
ZHIFA_ZIP_MAX_UNCOMPRESSED = env.int("ZHIFA_ZIP_MAX_UNCOMPRESSED", default=256 * 1024**2)
ZHIFA_ZIP_MAX_RATIO = env.int("ZHIFA_ZIP_MAX_RATIO", default=100)
ZHIFA_IMAGE_MAX_PIXELS = env.int("ZHIFA_IMAGE_MAX_PIXELS", default=89_478_485)
# clamd's socket: a path (unix socket) or tcp://host:port. Empty: no virus scanning. Set: scan every upload and
# refuse when clamd flags the file or cannot be reached (fail closed).
ZHIFA_CLAMD_SOCKET = env.str("ZHIFA_CLAMD_SOCKET", default="")

# SM mode (issue 9 defect 15, ADR 0020), off by default: SM3 beside SHA-256 for evidence and document files, an SM2
# co-signature on checkpoints (Ed25519 stays primary) and a detached SM2 signature on sealed documents.
ZHIFA_SM_MODE = env.bool("ZHIFA_SM_MODE", default=False)
ZHIFA_SM2_KEY_FILE = Path(env.str("ZHIFA_SM2_KEY_FILE", default=str(ZHIFA_LEDGER_KEY_FILE.parent / "ledger-sm2.pem")))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("ZHIFA_LOG_LEVEL", default="WARNING")},
}
