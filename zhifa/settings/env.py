"""Typed readers of environment variables for the settings (issue 10 item 9, ADR 0022).

Only the settings modules read the environment; everything else reads `django.conf.settings`. A value that does not
fit stops start-up with one ImproperlyConfigured message, in Chinese and English, naming the variable and the
expected form, instead of a ValueError traceback from deep inside a parser.

Empty values: for numbers, paths and choices an empty variable (`ZHIFA_X=`) counts as unset (the default applies);
for booleans it is false (as django-environ read it); for plain strings it is the empty string.

Secrets (`env_secret`) may instead come from a file named by `<NAME>_FILE` (Docker/Kubernetes secrets, systemd
credentials): the file's content with the trailing newline removed. Setting both is an error.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from zhifa.common.storage import BadStorageUrl, parse_s3_url

TRUE_WORDS = frozenset({"1", "true", "yes", "y", "on", "ok"})
FALSE_WORDS = frozenset({"0", "false", "no", "n", "off", ""})


def bad_value(
    name: str, value: str, zh_expected: str, en_expected: str, *, secret: bool = False
) -> ImproperlyConfigured:
    """The one message for a value that does not fit: variable, value (unless secret) and the expected form."""
    shown = "（已隐藏）" if secret else repr(value)
    shown_en = "(hidden)" if secret else repr(value)
    return ImproperlyConfigured(
        f"配置错误：环境变量 {name} 的值 {shown} 无效，应为{zh_expected}。"
        f" (Configuration error: {name}={shown_en} is not valid; expected {en_expected}.)"
    )


def _raw(name: str) -> str | None:
    return os.environ.get(name)


def env_str(name: str, default: str = "") -> str:
    """The variable as it is; `default` when unset."""
    value = _raw(name)
    return default if value is None else value


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    """A whole number ≥ `minimum`; `default` when unset or empty."""
    value = _raw(name)
    if value is None or not value.strip():
        return default
    try:
        number = int(value.strip())
    except ValueError:
        number = None
    if number is None or number < minimum:
        raise bad_value(name, value, f"不小于 {minimum} 的整数", f"a whole number ≥ {minimum}")
    return number


def env_optional_int(name: str, *, minimum: int = 0) -> int | None:
    """A whole number ≥ `minimum`, or None when unset or empty."""
    value = _raw(name)
    if value is None or not value.strip():
        return None
    return env_int(name, 0, minimum=minimum)


def env_float(name: str, default: float, *, minimum: float = 0.0) -> float:
    """A decimal number ≥ `minimum`; `default` when unset or empty."""
    value = _raw(name)
    if value is None or not value.strip():
        return default
    try:
        number = float(value.strip())
    except ValueError:
        number = None
    if number is None or not number >= minimum or number == float("inf"):  # `not >=` also refuses NaN
        raise bad_value(name, value, f"不小于 {minimum:g} 的数", f"a number ≥ {minimum:g}")
    return number


def env_bool(name: str, default: bool) -> bool:
    """true/false, yes/no, on/off, 1/0 (any case); `default` when unset. Anything else is refused."""
    value = _raw(name)
    if value is None:
        return default
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise bad_value(
        name, value, "true 或 false（也可写 1/0、yes/no、on/off）", "true or false (or 1/0, yes/no, on/off)"
    )


def env_list(name: str, default: Iterable[str]) -> list[str]:
    """A comma-separated list (spaces around items dropped); `default` when unset."""
    value = _raw(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_path(name: str, default: Path) -> Path:
    """A file or folder path; `default` when unset or empty. `~` is expanded."""
    value = _raw(name)
    if value is None or not value.strip():
        return default
    if "\x00" in value:
        raise bad_value(name, value, "文件或目录路径", "a file or folder path")
    return Path(value).expanduser()


def env_choice(name: str, default: str, choices: Iterable[str], *, upper: bool = False) -> str:
    """One of `choices` (compared without case); `default` when unset or empty."""
    allowed = list(choices)
    value = _raw(name)
    if value is None or not value.strip():
        return default
    word = value.strip().upper() if upper else value.strip().lower()
    if word not in allowed:
        listed = "、".join(allowed)
        raise bad_value(name, value, f"以下之一：{listed}", "one of " + ", ".join(allowed))
    return word


def env_secret(name: str, default: str = "") -> str:
    """A secret from `<name>` or from the file named by `<name>_FILE` (not both); `default` when neither is set."""
    file_name = f"{name}_FILE"
    value = _raw(name)
    path = _raw(file_name)
    if path is not None and not path.strip():
        path = None
    if path is None:
        return default if value is None else value
    if value is not None and value != "":
        raise ImproperlyConfigured(
            f"配置错误：{name} 与 {file_name} 只能设置其中一个。"
            f" (Configuration error: set either {name} or {file_name}, not both.)"
        )
    try:
        content = Path(path).expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise ImproperlyConfigured(
            f"配置错误：无法读取 {file_name} 指定的文件 {path!r}（{reason}）。"
            f" (Configuration error: cannot read the file {path!r} named by {file_name}: {reason}.)"
        ) from None
    secret = content.rstrip("\r\n")
    if not secret:
        raise ImproperlyConfigured(
            f"配置错误：{file_name} 指定的文件 {path!r} 是空的。"
            f" (Configuration error: the file {path!r} named by {file_name} is empty.)"
        )
    return secret


def env_storage_url(name: str) -> str:
    """Empty (the local blob folder) or an `s3://bucket?endpoint=…` URL the S3 backend accepts (ADR 0026)."""
    value = (_raw(name) or "").strip()
    if not value:
        return ""
    try:
        parse_s3_url(value)
    except BadStorageUrl as exc:
        raise bad_value(
            name, value,
            f"空（使用本地目录）或 s3://存储桶?endpoint=http://主机:端口 形式的地址（{exc}）",
            f"empty (the local folder) or s3://bucket?endpoint=http://host:port ({exc})",
        ) from None
    return value
