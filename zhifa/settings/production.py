"""Server deployment: everything of the embedded settings, plus HTTPS-only cookies and headers.

Use with DJANGO_SETTINGS_MODULE=zhifa.settings.production behind a TLS-terminating proxy (nginx).
ZHIFA_SECRET_KEY (or ZHIFA_SECRET_KEY_FILE) must then be set explicitly, so that every app process shares one key.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from zhifa.settings import *  # noqa: F403
from zhifa.settings.env import env_bool, env_int, env_secret, env_str

if not env_secret("ZHIFA_SECRET_KEY"):
    raise ImproperlyConfigured(
        "生产部署必须设置环境变量 ZHIFA_SECRET_KEY 或 ZHIFA_SECRET_KEY_FILE "
        "(ZHIFA_SECRET_KEY or ZHIFA_SECRET_KEY_FILE must be set in production)."
    )

# The master key is placed deliberately, never created here: name the file, or the one key location (ADR 0030) that
# holds it as pii-master.key.
if not env_str("ZHIFA_PII_KEY_FILE").strip() and not env_str("ZHIFA_KEY_DIR").strip():
    raise ImproperlyConfigured(
        "生产部署必须设置 ZHIFA_PII_KEY_FILE 或 ZHIFA_KEY_DIR（个人信息主密钥文件，不得放在数据库中） "
        "(ZHIFA_PII_KEY_FILE or ZHIFA_KEY_DIR must be set in production)."
    )
ZHIFA_PII_KEY_REQUIRED = True

DEBUG = False
ZHIFA_PRODUCTION = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("ZHIFA_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("ZHIFA_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# Preloading is for public internet domains; an intranet host name cannot be on browsers' preload list.
SECURE_HSTS_PRELOAD = env_bool("ZHIFA_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "security.W021"]  # noqa: F405
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
# Tamper protection (ADR 0017): the `zhifa.E017`…`E019` checks refuse to start (check --deploy, zhifa run) unless
# checkpoints leave the machine and the log key lives apart from the data.
ZHIFA_PRODUCTION = True
