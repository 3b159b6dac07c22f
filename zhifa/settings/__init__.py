"""Settings for the embedded deployment (SQLite, local folders), read from the environment.

Every value comes from an environment variable with a safe default for `make run` (architecture rule 11), read here
and only here through the typed readers of `zhifa.settings.env` (ADR 0022): a bad value stops start-up with one
message naming the variable and the expected form; secrets may come from files (`ZHIFA_SECRET_KEY_FILE`,
`DATABASE_URL_FILE`, `DATABASE_PASSWORD_FILE`). `zhifa.settings.production` tightens these for servers.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from zhifa.settings.env import (
    bad_value,
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_optional_int,
    env_path,
    env_secret,
    env_storage_url,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent  # the zhifa package
PROJECT_DIR = BASE_DIR.parent

DATA_DIR = env_path("ZHIFA_DATA_DIR", PROJECT_DIR / "var").resolve()


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
    """An explicit ZHIFA_SECRET_KEY (or ZHIFA_SECRET_KEY_FILE) wins; otherwise a random key kept in the data folder
    (mode 0600)."""
    explicit = env_secret("ZHIFA_SECRET_KEY")
    if explicit:
        return explicit
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        from django.utils.crypto import get_random_string

        key_file.write_text(get_random_string(64, "abcdefghijklmnopqrstuvwxyz0123456789!@#%^&*(-_=+)"))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("ZHIFA_DEBUG", False)
ALLOWED_HOSTS = env_list("ZHIFA_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("ZHIFA_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "zhifa.common",
    "zhifa.accounts",
    "zhifa.workdays",
    "zhifa.registry",
    "zhifa.disclosure",
    "zhifa.records",
    "zhifa.documents",
    "zhifa.cases",
    "zhifa.review",
    "zhifa.stats",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "zhifa.common.http.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "zhifa.accounts.middleware.SessionRefreshMiddleware",  # saves the session when changed or once a minute
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


# Persistent database connections (issue 11, ADR 0033): each server thread keeps its connection this many seconds
# (0: a new connection for every request, as before) instead of connecting, and running the SQLite pragmas above,
# on every request; a reused connection is checked before each request (CONN_HEALTH_CHECKS), so a database restart
# costs one failed check, not a failed request. With PostgreSQL: up to ZHIFA_THREADS connections per server.
ZHIFA_DB_CONN_MAX_AGE = env_int("ZHIFA_DB_CONN_MAX_AGE", 60, minimum=0)
_DB_PERSISTENCE = {"CONN_MAX_AGE": ZHIFA_DB_CONN_MAX_AGE, "CONN_HEALTH_CHECKS": True}


def _databases() -> dict:
    url = env_secret("DATABASE_URL")
    if not url:
        return {
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": DATA_DIR / "zhifa.sqlite3",
                "OPTIONS": dict(SQLITE_OPTIONS),
                **_DB_PERSISTENCE,
            }
        }
    try:
        db = environ.Env.db_url_config(url)
    except (ImproperlyConfigured, KeyError, ValueError):  # the URL holds the password: it is not repeated
        raise ImproperlyConfigured(
            "配置错误：DATABASE_URL 不是可识别的数据库地址，"
            "应为 postgres://用户:密码@主机:端口/库名 或 sqlite:///路径。"
            " (Configuration error: DATABASE_URL is not a database URL Django understands;"
            " expected postgres://user:password@host:port/name or sqlite:///path.)"
        ) from None
    if db["ENGINE"] not in ("django.db.backends.postgresql", "django.db.backends.sqlite3"):
        raise ImproperlyConfigured(
            "配置错误：DATABASE_URL 只能指向 PostgreSQL（postgres://）或 SQLite（sqlite:///）。"
            " (Configuration error: DATABASE_URL must point to PostgreSQL (postgres://) or SQLite (sqlite:///).)"
        )
    password = env_secret("DATABASE_PASSWORD")  # or DATABASE_PASSWORD_FILE: replaces the URL's password
    if password:
        db["PASSWORD"] = password
    if db["ENGINE"] == "django.db.backends.sqlite3":
        db["OPTIONS"] = {**db.get("OPTIONS", {}), **SQLITE_OPTIONS}  # the durability settings are not optional
    db.update(_DB_PERSISTENCE)  # the variable wins over a ?conn_max_age= in the URL: one place to look
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
AXES_FAILURE_LIMIT = env_int("ZHIFA_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("ZHIFA_LOCKOUT_MINUTES", 30, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_LOCKOUT_CALLABLE = "zhifa.accounts.throttle.lockout_response"
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "zhifa.common.http.client_ip"
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
ZHIFA_LOGIN_DELAY_SECONDS = env_float("ZHIFA_LOGIN_DELAY_SECONDS", 1.0)
# Behind a reverse proxy: the request header that carries the client's address (e.g. X-Real-IP, or X-Forwarded-For,
# whose last entry is taken: the one the proxy added). Empty: the TCP peer (REMOTE_ADDR). Set it only when every
# request comes through that proxy, or clients could choose their own address.
ZHIFA_CLIENT_IP_HEADER = env_str("ZHIFA_CLIENT_IP_HEADER")
# API tokens expire this many days after creation; they stop at once on deactivation or a lockout of their source.
ZHIFA_API_TOKEN_DAYS = env_int("ZHIFA_API_TOKEN_DAYS", 90, minimum=1)
SILENCED_SYSTEM_CHECKS: list[str] = []
# Idle timeout: the session expires after this many seconds without a request.
SESSION_COOKIE_AGE = env_int("ZHIFA_IDLE_TIMEOUT_SECONDS", 30 * 60, minimum=1)
# The session is written when it changes, or when its last write is this old (SessionRefreshMiddleware, ADR 0033),
# not on every request: the stored expiry slides at most this late, so a user is logged out after at most
# SESSION_COOKIE_AGE idle (never later) and never while their requests are closer together than the timeout minus
# this. A tenth of the timeout, at most a minute: with a timeout under 10 s, every request writes.
ZHIFA_SESSION_REFRESH_SECONDS = min(60, SESSION_COOKIE_AGE // 10)
# Absolute lifetime: a session ends this long after sign-in, however active (SessionPolicyMiddleware).
ZHIFA_SESSION_MAX_AGE_SECONDS = env_int("ZHIFA_SESSION_MAX_AGE_SECONDS", 12 * 3600, minimum=1)
SESSION_SAVE_EVERY_REQUEST = False
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
ZHIFA_CSP = env_str("ZHIFA_CSP", (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
))

# True only under zhifa.settings.production: start-up then refuses demo accounts (check zhifa.E016).
ZHIFA_PRODUCTION = False

NINJA_PAGINATION_PER_PAGE = 50

# One key location (issue 10 item 8, ADR 0030): the ledger key, its SM2 co-signing key, the personal-data master key
# and the agencies' seal keys default to files in this folder. Every app server and worker must see the same folder
# (a shared mount, or a copy made once before the first start); a missing key is created once, atomically. The
# per-file variables below still override. Production keeps it outside the data folder (zhifa.E018).
ZHIFA_KEY_DIR = env_path("ZHIFA_KEY_DIR", DATA_DIR / "keys")

# Records (docs/decisions/0009-ledger.md): the log's signing key lives outside the database; the origin names the log.
ZHIFA_LEDGER_KEY_FILE = env_path("ZHIFA_LEDGER_KEY_FILE", ZHIFA_KEY_DIR / "ledger-ed25519.pem")
ZHIFA_LEDGER_ORIGIN = env_str("ZHIFA_LEDGER_ORIGIN", "zhifa.local/ledger")
ZHIFA_BLOB_DIR = env_path("ZHIFA_BLOB_DIR", DATA_DIR / "blobs")
ZHIFA_UPLOAD_TMP_DIR = env_path("ZHIFA_UPLOAD_TMP_DIR", DATA_DIR / "upload-tmp")
# Blob storage (ADR 0026): unset → the folder ZHIFA_BLOB_DIR; `s3://bucket?endpoint=http://host:port&region=…&
# prefix=…&lock_days=…` → an S3-compatible store (credentials below, or boto3's own chain when empty).
ZHIFA_STORAGE_URL = env_storage_url("ZHIFA_STORAGE_URL")
ZHIFA_S3_ACCESS_KEY_ID = env_secret("ZHIFA_S3_ACCESS_KEY_ID")
ZHIFA_S3_SECRET_ACCESS_KEY = env_secret("ZHIFA_S3_SECRET_ACCESS_KEY")
ZHIFA_UPLOAD_MAX_BYTES = env_int("ZHIFA_UPLOAD_MAX_BYTES", 8 * 1024**3, minimum=1)
# Open resumable upload sessions idle longer than this many hours expire; their part files are removed (FC-4).
ZHIFA_UPLOAD_SESSION_HOURS = env_int("ZHIFA_UPLOAD_SESSION_HOURS", 72, minimum=1)
ZHIFA_WITNESS_STATE_DIR = env_str("ZHIFA_WITNESS_STATE_DIR")
# Tamper protection by default (issue 9 defect 3, ADR 0017). The log key may come from an inherited file descriptor
# (e.g. systemd LoadCredential/an fd passed by the supervisor) instead of a file: ZHIFA_LEDGER_KEY_FD=3.
ZHIFA_LEDGER_KEY_FD = env_optional_int("ZHIFA_LEDGER_KEY_FD")
# Every signed checkpoint is also written to this folder (meant to be off the box: an NFS/SMB mount of the bureau,
# a WORM share). Empty: none. Production refuses to start with neither this nor a witness (zhifa.E017).
ZHIFA_CHECKPOINT_EXPORT_DIR = env_str("ZHIFA_CHECKPOINT_EXPORT_DIR")
# Files up to this size are re-hashed on every download (defect 5); larger ones rely on the scheduled fixity run.
ZHIFA_VERIFY_ON_READ_MAX_BYTES = env_int("ZHIFA_VERIFY_ON_READ_MAX_BYTES", 20 * 1024**2)
# `zhifa run` start-up: the database's own integrity check (defect 11): quick (PRAGMA quick_check), full
# (integrity_check, also the indexes) or off (a very large SQLite file where the check takes too long at start).
ZHIFA_STARTUP_DB_CHECK = env_choice("ZHIFA_STARTUP_DB_CHECK", "quick", ["quick", "full", "off"])
# `zhifa run`: fixity every this many hours, deep verification every this many hours (0: off).
ZHIFA_FIXITY_EVERY_HOURS = env_int("ZHIFA_FIXITY_EVERY_HOURS", 24)
ZHIFA_DEEP_VERIFY_EVERY_HOURS = env_int("ZHIFA_DEEP_VERIFY_EVERY_HOURS", 24)
# Background work (ADR 0028): django-tasks with its database backend; `zhifa worker` runs the tasks and the periodic
# jobs. Seconds between two signed checkpoints and between two deadline passes (the periodic jobs of the worker).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
ZHIFA_CHECKPOINT_EVERY_SECONDS = env_int("ZHIFA_CHECKPOINT_EVERY_SECONDS", 300, minimum=1)
ZHIFA_TICK_EVERY_SECONDS = env_int("ZHIFA_TICK_EVERY_SECONDS", 3600, minimum=1)
# Decision publication (ADR 0044): the channels each decision gets a publication deadline for (DISC-17): portal,
# credit (信用中国), gsxt (国家企业信用信息公示系统); whether the desensitizer uses its LAC name model.
DISCLOSURE_CHANNELS = env_list("ZHIFA_DISCLOSURE_CHANNELS", ["portal"])
if not DISCLOSURE_CHANNELS or any(c not in ("portal", "credit", "gsxt") for c in DISCLOSURE_CHANNELS):
    raise ImproperlyConfigured(
        f"ZHIFA_DISCLOSURE_CHANNELS: comma-separated from portal, credit, gsxt (got {DISCLOSURE_CHANNELS!r})")
DISCLOSURE_USE_MODEL = env_bool("ZHIFA_DISCLOSURE_USE_MODEL", True)
# A failing task is tried this many times in all (backing off 1, 4, 16 ... minutes), then listed as failed.
ZHIFA_TASK_MAX_ATTEMPTS = env_int("ZHIFA_TASK_MAX_ATTEMPTS", 3, minimum=1)

# Upload hardening (issue 9 defect 13, ADR 0020). Request bodies: Django's own caps, stated so they are visible
# (a body over them is a 400; file bytes of evidence uploads are capped by ZHIFA_UPLOAD_MAX_BYTES instead).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("ZHIFA_DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440, minimum=1)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = 100
# Zip containers (DOCX): refused on their directory above these; images above this many pixels.
ZHIFA_ZIP_MAX_ENTRIES = env_int("ZHIFA_ZIP_MAX_ENTRIES", 1000, minimum=1)
ZHIFA_ZIP_MAX_UNCOMPRESSED = env_int("ZHIFA_ZIP_MAX_UNCOMPRESSED", 256 * 1024**2, minimum=1)
ZHIFA_ZIP_MAX_RATIO = env_int("ZHIFA_ZIP_MAX_RATIO", 100, minimum=1)
ZHIFA_IMAGE_MAX_PIXELS = env_int("ZHIFA_IMAGE_MAX_PIXELS", 89_478_485, minimum=1)
# clamd's socket: a path (unix socket) or tcp://host:port. Empty: no virus scanning. Set: scan every upload and
# refuse when clamd flags the file or cannot be reached (fail closed).
ZHIFA_CLAMD_SOCKET = env_str("ZHIFA_CLAMD_SOCKET")

# SM mode (issue 9 defect 15, ADR 0020), off by default: SM3 beside SHA-256 for evidence and document files, an SM2
# co-signature on checkpoints (Ed25519 stays primary) and a detached SM2 signature on sealed documents.
ZHIFA_SM_MODE = env_bool("ZHIFA_SM_MODE", False)
ZHIFA_SM2_KEY_FILE = env_path("ZHIFA_SM2_KEY_FILE", ZHIFA_LEDGER_KEY_FILE.parent / "ledger-sm2.pem")

# Personal-data vault (issue 9 defect 8, ADR 0018): the master key that wraps every personal record's data key.
# Outside the database; created 0600 on first use here, required (and never created) in production.
ZHIFA_PII_KEY_FILE = env_path("ZHIFA_PII_KEY_FILE", ZHIFA_KEY_DIR / "pii-master.key")
ZHIFA_PII_KEY_REQUIRED = False

# Seal keys and certificates of the agencies (documents app), one PEM per agency.
ZHIFA_SEAL_DIR = env_path("ZHIFA_SEAL_DIR", ZHIFA_KEY_DIR / "seals")

# The 双公示 export (ADR 0040). DS-7's mandatory flags are unconfirmed (rules.md §12 item 1): a deployment may replace
# them with a dict of `PenaltyRules` fields; DS-6's 处罚有效期 has no case field, the reported convention is long-term.
ZHIFA_DUALPUB_PENALTY_RULES: dict[str, object] = {}
ZHIFA_DUALPUB_PENALTY_VALIDITY = "2099-12-31"
# The 双公示 push (ADR 0046): where the provincial credit platform receives DS-1 records (empty: pushing is off), its
# bearer token, and how the worker retries (408/429/5xx/no connection: after RETRY_SECONDS × 4^(n−1), n < MAX).
ZHIFA_DUALPUB_PUSH_URL = env_str("ZHIFA_DUALPUB_PUSH_URL")
if ZHIFA_DUALPUB_PUSH_URL and not ZHIFA_DUALPUB_PUSH_URL.startswith(("http://", "https://")):
    raise bad_value("ZHIFA_DUALPUB_PUSH_URL", ZHIFA_DUALPUB_PUSH_URL, "以 http:// 或 https:// 开头的地址",
                    "an http:// or https:// URL")
ZHIFA_DUALPUB_PUSH_TOKEN = env_secret("ZHIFA_DUALPUB_PUSH_TOKEN")
ZHIFA_DUALPUB_PUSH_TIMEOUT = env_float("ZHIFA_DUALPUB_PUSH_TIMEOUT", 15.0, minimum=1.0)
ZHIFA_DUALPUB_PUSH_MAX_ATTEMPTS = env_int("ZHIFA_DUALPUB_PUSH_MAX_ATTEMPTS", 6, minimum=1)
ZHIFA_DUALPUB_PUSH_RETRY_SECONDS = env_float("ZHIFA_DUALPUB_PUSH_RETRY_SECONDS", 60.0)

# The portal's page cache (issue 11 point 4, ADR 0036): rendered public pages per process, keyed by the generation
# of the published snapshots that each request reads from the database; at most this many pages per process.
ZHIFA_PORTAL_CACHE_ENTRIES = env_int("ZHIFA_PORTAL_CACHE_ENTRIES", 2000, minimum=0)
# The case page's cache (issue 11 point 3, ADR 0042): rendered case pages per process and viewer, keyed by the last
# ledger entry of the case's stream that each request reads; at most this many pages per process (0: off), each
# kept at most this many seconds (names from the registry, e.g. a renamed officer, are not in the case's stream).
# Always process-local memory: a case page shows parties' decrypted personal data, which must not be written to
# another store (ADR 0042).
ZHIFA_CASE_PAGE_CACHE_ENTRIES = env_int("ZHIFA_CASE_PAGE_CACHE_ENTRIES", 1000, minimum=0)
ZHIFA_CASE_PAGE_CACHE_SECONDS = env_int("ZHIFA_CASE_PAGE_CACHE_SECONDS", 300, minimum=1)


def _local_page_cache(location: str, entries: int, timeout: int | None) -> dict[str, Any]:
    """A process-local page cache of at most `entries` pages, or none (Django's dummy cache) when `entries` is 0."""
    if not entries:
        return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": location, "TIMEOUT": timeout,
            "OPTIONS": {"MAX_ENTRIES": entries, "CULL_FREQUENCY": 4}}


CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Pages of an older generation are never looked up again, and are dropped (disclosure/pagecache.py).
    "portal": _local_page_cache("zhifa-portal-pages", ZHIFA_PORTAL_CACHE_ENTRIES, None),
    "case_pages": _local_page_cache("zhifa-case-pages", ZHIFA_CASE_PAGE_CACHE_ENTRIES, ZHIFA_CASE_PAGE_CACHE_SECONDS),
}

# `zhifa run`'s HTTP server, waitress (ADR 0019): listen address, worker threads, seconds a silent connection may
# stay, connections at most; ZHIFA_TRUSTED_PROXY names the proxy (nginx) whose X-Forwarded-* headers are believed.
ZHIFA_BIND = env_str("ZHIFA_BIND", "127.0.0.1:8000")
ZHIFA_THREADS = env_int("ZHIFA_THREADS", 8, minimum=1)
ZHIFA_CHANNEL_TIMEOUT = env_int("ZHIFA_CHANNEL_TIMEOUT", 120, minimum=1)
ZHIFA_CONNECTION_LIMIT = env_int("ZHIFA_CONNECTION_LIMIT", 1000, minimum=1)
ZHIFA_TRUSTED_PROXY = env_str("ZHIFA_TRUSTED_PROXY")
# Where waitress buffers large request bodies: the data disk, not a (possibly RAM-backed) /tmp; when TMPDIR is set,
# the system's temporary folder it names (None here).
ZHIFA_SERVER_TMP_DIR: Path | None = None if env_str("TMPDIR") else DATA_DIR / "server-tmp"

ZHIFA_LOG_LEVEL = env_choice(
    "ZHIFA_LOG_LEVEL", "WARNING", ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], upper=True
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": ZHIFA_LOG_LEVEL},
}
