"""Settings for the embedded deployment (SQLite, local folders), read from the environment.

Every value comes from an environment variable with a safe default for `make run` (architecture rule 11).
A bad value fails at start with a clear message. `zhifa.settings.production` tightens these for servers.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent  # the zhifa package
PROJECT_DIR = BASE_DIR.parent

env = environ.Env()

DATA_DIR = Path(env.str("ZHIFA_DATA_DIR", default=str(PROJECT_DIR / "var"))).resolve()


def _private_data_dir() -> None:
    """Issue 9 defect 8 (ADR 0018): what this process creates is readable by its own user only (umask 077); the
    data folder is 0700 and the database files in it 0600, also when an older version made them 0755/0644."""
    os.umask(0o077)
    DATA_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        if DATA_DIR.stat().st_uid == os.getuid():
            DATA_DIR.chmod(0o700)
            for path in DATA_DIR.iterdir():
                if path.is_file() and not path.is_symlink() and path.stat().st_uid == os.getuid():
                    path.chmod(0o600)
    except OSError:  # a folder we may not change (read-only mount): the deployment check names it
        pass


_private_data_dir()


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
    "zhifa.common.http.SecurityHeadersMiddleware",
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
    "zhifa.accounts.middleware.SessionPolicyMiddleware",
    "zhifa.common.middleware.RequestGuardMiddleware",  # NUL/surrogates → 400, ledger refusing writes → 503
    "zhifa.records.security.DeniedAttemptMiddleware",  # denied attempts become security events (issue 9 defect 9)
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
# "database is locked" between writers. secure_delete zeroes deleted content (an erased personal record, PV-4)
# instead of leaving it in free pages (ADR 0018).
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000; "
                    "PRAGMA secure_delete=ON;",
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

# Login security (等保 2.0 身份鉴别; reliability.md AC-5; issue 9 defect 7, ADR 0016).
# Failures count per (user name, source address) together: a stranger who types a known user name wrong five times
# locks only their own source out, and the real user elsewhere still signs in. From one source, each failure makes
# the next attempt wait longer (ZHIFA_LOGIN_DELAY_SECONDS, doubling: 1, 2, 4, 8 s, answered 429 with Retry-After);
# the fifth locks that source out of that account for ZHIFA_LOCKOUT_MINUTES.
AXES_FAILURE_LIMIT = env.int("ZHIFA_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("ZHIFA_LOCKOUT_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_LOCKOUT_CALLABLE = "zhifa.accounts.throttle.lockout_response"
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "zhifa.common.http.client_ip"
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
ZHIFA_LOGIN_DELAY_SECONDS = env.float("ZHIFA_LOGIN_DELAY_SECONDS", default=1.0)
# Behind a reverse proxy: the request header that carries the client's address (e.g. X-Real-IP, or X-Forwarded-For,
# whose last entry is taken: the one the proxy added). Empty: the TCP peer (REMOTE_ADDR). Set it only when every
# request comes through that proxy, or clients could choose their own address.
ZHIFA_CLIENT_IP_HEADER = env.str("ZHIFA_CLIENT_IP_HEADER", default="")
# API tokens expire this many days after creation; they stop at once on deactivation or a lockout of their source.
ZHIFA_API_TOKEN_DAYS = env.int("ZHIFA_API_TOKEN_DAYS", default=90)
SILENCED_SYSTEM_CHECKS: list[str] = []
# Idle timeout: the session expires after this many seconds without a request.
SESSION_COOKIE_AGE = env.int("ZHIFA_IDLE_TIMEOUT_SECONDS", default=30 * 60)
# Absolute lifetime: a session ends this long after sign-in, however active (SessionPolicyMiddleware).
ZHIFA_SESSION_MAX_AGE_SECONDS = env.int("ZHIFA_SESSION_MAX_AGE_SECONDS", default=12 * 3600)
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
# Content-Security-Policy on every response (SecurityHeadersMiddleware, issue 9 defect 14): no inline script or
# style anywhere; Bootstrap's CSS draws its form icons from data: URIs.
ZHIFA_CSP = env.str("ZHIFA_CSP", default=(
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
))

# True only under zhifa.settings.production: start-up then refuses demo accounts (check zhifa.E016).
ZHIFA_PRODUCTION = False

NINJA_PAGINATION_PER_PAGE = 50

# Records (docs/decisions/0009-ledger.md): the log's signing key lives outside the database; the origin names the log.
ZHIFA_LEDGER_KEY_FILE = Path(env.str("ZHIFA_LEDGER_KEY_FILE", default=str(DATA_DIR / "keys" / "ledger-ed25519.pem")))
ZHIFA_LEDGER_ORIGIN = env.str("ZHIFA_LEDGER_ORIGIN", default="zhifa.local/ledger")
ZHIFA_BLOB_DIR = Path(env.str("ZHIFA_BLOB_DIR", default=str(DATA_DIR / "blobs")))
ZHIFA_UPLOAD_TMP_DIR = Path(env.str("ZHIFA_UPLOAD_TMP_DIR", default=str(DATA_DIR / "upload-tmp")))
ZHIFA_UPLOAD_MAX_BYTES = env.int("ZHIFA_UPLOAD_MAX_BYTES", default=8 * 1024**3)
ZHIFA_WITNESS_STATE_DIR = env.str("ZHIFA_WITNESS_STATE_DIR", default="")
# Tamper protection by default (issue 9 defect 3, ADR 0017). The log key may come from an inherited file descriptor
# (e.g. systemd LoadCredential/an fd passed by the supervisor) instead of a file: ZHIFA_LEDGER_KEY_FD=3.
ZHIFA_LEDGER_KEY_FD = env.int("ZHIFA_LEDGER_KEY_FD", default=None)
# Every signed checkpoint is also written to this folder (meant to be off the box: an NFS/SMB mount of the bureau,
# a WORM share). Empty: none. Production refuses to start with neither this nor a witness (zhifa.E017).
ZHIFA_CHECKPOINT_EXPORT_DIR = env.str("ZHIFA_CHECKPOINT_EXPORT_DIR", default="")
# Files up to this size are re-hashed on every download (defect 5); larger ones rely on the scheduled fixity run.
ZHIFA_VERIFY_ON_READ_MAX_BYTES = env.int("ZHIFA_VERIFY_ON_READ_MAX_BYTES", default=20 * 1024**2)
# `zhifa run` start-up: the database's own integrity check (defect 11): quick (PRAGMA quick_check), full
# (integrity_check, also the indexes) or off (a very large SQLite file where the check takes too long at start).
ZHIFA_STARTUP_DB_CHECK = env.str("ZHIFA_STARTUP_DB_CHECK", default="quick")
# `zhifa run`: fixity every this many hours, deep verification every this many hours (0: off).
ZHIFA_FIXITY_EVERY_HOURS = env.int("ZHIFA_FIXITY_EVERY_HOURS", default=24)
ZHIFA_DEEP_VERIFY_EVERY_HOURS = env.int("ZHIFA_DEEP_VERIFY_EVERY_HOURS", default=24)

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

# Personal-data vault (issue 9 defect 8, ADR 0018): the master key that wraps every personal record's data key.
# Outside the database; created 0600 on first use here, required (and never created) in production.
ZHIFA_PII_KEY_FILE = Path(env.str("ZHIFA_PII_KEY_FILE", default=str(DATA_DIR / "keys" / "pii-master.key")))
ZHIFA_PII_KEY_REQUIRED = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("ZHIFA_LOG_LEVEL", default="WARNING")},
}
