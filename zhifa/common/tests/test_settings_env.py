"""Issue 10 item 9 (ADR 0022): every environment variable is declared in the settings; a bad value stops start-up
with one clear Chinese and English message; secrets can come from files (`<NAME>_FILE`)."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

import zhifa.settings as base_settings
from zhifa.settings import env as envmod

REPO = Path(__file__).resolve().parents[3]
PACKAGE = REPO / "zhifa"
SETTINGS_FILES = [PACKAGE / "settings" / "__init__.py", PACKAGE / "settings" / "production.py"]
PRINT_SETTINGS = (
    "import sys; from django.conf import settings; "
    "sys.stdout.write(repr([settings.SECRET_KEY, settings.DATABASES['default'].get('PASSWORD', ''), "
    "settings.DATABASES['default']['ENGINE'], settings.ZHIFA_UPLOAD_MAX_BYTES]))"
)


def _env(tmp_path: Path, module: str = "zhifa.settings", **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ZHIFA_", "DATABASE_")) and k != "DJANGO_SETTINGS_MODULE"}
    env.update(DJANGO_SETTINGS_MODULE=module, ZHIFA_DATA_DIR=str(tmp_path / "data"), PYTHONPATH=str(REPO))
    if module.endswith("production"):
        env.update(ZHIFA_SECRET_KEY="k" * 50, ZHIFA_PII_KEY_FILE=str(tmp_path / "keys" / "pii.key"))
    env.update(extra)
    return env


def _python(env: dict[str, str], code: str = "import django; django.setup()") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=120)


BAD_VALUES = [
    ("zhifa.settings", "ZHIFA_UPLOAD_MAX_BYTES", "abc", "整数"),
    ("zhifa.settings", "ZHIFA_UPLOAD_MAX_BYTES", "-5", "整数"),
    ("zhifa.settings", "ZHIFA_SM_MODE", "maybe", "true 或 false"),
    ("zhifa.settings", "ZHIFA_LOGIN_DELAY_SECONDS", "soon", "数"),
    ("zhifa.settings", "ZHIFA_STARTUP_DB_CHECK", "sometimes", "quick"),
    ("zhifa.settings", "ZHIFA_THREADS", "0", "整数"),
    ("zhifa.settings", "ZHIFA_DB_CONN_MAX_AGE", "-1", "整数"),
    ("zhifa.settings.production", "ZHIFA_HSTS_SECONDS", "-1", "整数"),
    ("zhifa.settings.production", "ZHIFA_SSL_REDIRECT", "sure", "true 或 false"),
]


@pytest.mark.parametrize(("module", "name", "value", "expected"), BAD_VALUES)
def test_a_bad_value_stops_start_up_with_one_clear_message(tmp_path, module, name, value, expected):
    result = _python(_env(tmp_path, module, **{name: value}))
    assert result.returncode != 0
    assert f"配置错误：环境变量 {name} 的值 {value!r} 无效，应为" in result.stderr
    assert expected in result.stderr
    assert f"Configuration error: {name}={value!r} is not valid; expected" in result.stderr
    assert "ValueError" not in result.stderr and "During handling" not in result.stderr


def test_the_zhifa_command_prints_only_the_message(tmp_path):
    result = subprocess.run([sys.executable, "-m", "zhifa.cli", "check"], cwd=REPO, capture_output=True, text=True,
                            env=_env(tmp_path, ZHIFA_UPLOAD_MAX_BYTES="8GB"), timeout=120)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("配置错误：环境变量 ZHIFA_UPLOAD_MAX_BYTES 的值 '8GB' 无效")


def test_a_bad_database_url_names_the_expected_form_without_repeating_the_password(tmp_path):
    result = _python(_env(tmp_path, DATABASE_URL="postgres://u:hunter2@db:notaport/zhifa"))
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr and "postgres://user:password@host:port/name" in result.stderr
    assert "hunter2" not in result.stderr and "ValueError" not in result.stderr


def test_defaults_are_unchanged(tmp_path):
    result = _python(_env(tmp_path), "import django; django.setup(); from django.conf import settings as s; "
                     "print(repr([s.DEBUG, s.ZHIFA_UPLOAD_MAX_BYTES, s.ZHIFA_LEDGER_KEY_FD, s.ZHIFA_STARTUP_DB_CHECK, "
                     "s.ALLOWED_HOSTS, str(s.DATA_DIR), str(s.ZHIFA_SEAL_DIR), s.ZHIFA_UPLOAD_SESSION_HOURS, "
                     "s.ZHIFA_BIND, s.ZHIFA_THREADS, s.LOGGING['root']['level']]))")
    assert result.returncode == 0, result.stderr
    data = (tmp_path / "data").resolve()
    assert result.stdout.strip() == repr([
        False, 8 * 1024**3, None, "quick", ["127.0.0.1", "localhost", "[::1]", "testserver"], str(data),
        str(data / "keys" / "seals"), 72, "127.0.0.1:8000", 8, "WARNING",
    ])


def test_secrets_come_from_files(tmp_path):
    (tmp_path / "secret").write_text("s" * 50 + "\n")
    (tmp_path / "url").write_text(f"sqlite:///{tmp_path / 'db.sqlite3'}\n")
    (tmp_path / "password").write_text("pa:ss word\r\n")
    result = _python(_env(tmp_path, "zhifa.settings.production", ZHIFA_SECRET_KEY="",
                          ZHIFA_SECRET_KEY_FILE=str(tmp_path / "secret"), DATABASE_URL_FILE=str(tmp_path / "url")),
                     PRINT_SETTINGS)
    assert result.returncode == 0, result.stderr
    assert result.stdout == repr(["s" * 50, "", "django.db.backends.sqlite3", 8 * 1024**3])

    result = _python(_env(tmp_path, DATABASE_URL="postgres://zhifa@127.0.0.1:5432/zhifa",
                          DATABASE_PASSWORD_FILE=str(tmp_path / "password")), PRINT_SETTINGS)
    assert result.returncode == 0, result.stderr
    assert "'pa:ss word', 'django.db.backends.postgresql'" in result.stdout


def test_a_secret_set_twice_or_in_an_unreadable_file_is_refused(tmp_path):
    (tmp_path / "secret").write_text("s" * 50)
    both = _python(_env(tmp_path, ZHIFA_SECRET_KEY="x" * 50, ZHIFA_SECRET_KEY_FILE=str(tmp_path / "secret")))
    assert both.returncode != 0
    assert "ZHIFA_SECRET_KEY 与 ZHIFA_SECRET_KEY_FILE 只能设置其中一个" in both.stderr
    assert "s" * 50 not in both.stderr and "x" * 50 not in both.stderr

    missing = _python(_env(tmp_path, DATABASE_URL_FILE=str(tmp_path / "nowhere")))
    assert missing.returncode != 0
    assert f"无法读取 DATABASE_URL_FILE 指定的文件 {str(tmp_path / 'nowhere')!r}" in missing.stderr
    assert "FileNotFoundError" not in missing.stderr

    production = _python(_env(tmp_path, "zhifa.settings.production", ZHIFA_SECRET_KEY=""))
    assert production.returncode != 0
    assert "ZHIFA_SECRET_KEY 或 ZHIFA_SECRET_KEY_FILE" in production.stderr


def test_the_readers(monkeypatch):
    monkeypatch.setenv("ZHIFA_T_INT", " 12 ")
    monkeypatch.setenv("ZHIFA_T_EMPTY", "")
    monkeypatch.setenv("ZHIFA_T_BOOL", "Yes")
    monkeypatch.setenv("ZHIFA_T_LIST", "a, b,,c")
    monkeypatch.setenv("ZHIFA_T_NAN", "nan")
    assert envmod.env_int("ZHIFA_T_INT", 1) == 12
    assert envmod.env_int("ZHIFA_T_EMPTY", 7) == 7
    assert envmod.env_optional_int("ZHIFA_T_EMPTY") is None
    assert envmod.env_bool("ZHIFA_T_BOOL", False) is True
    assert envmod.env_bool("ZHIFA_T_EMPTY", True) is False  # as django-environ read an empty boolean
    assert envmod.env_list("ZHIFA_T_LIST", []) == ["a", "b", "c"]
    assert envmod.env_path("ZHIFA_T_EMPTY", Path("/d")) == Path("/d")
    assert envmod.env_str("ZHIFA_T_UNSET_X", "dflt") == "dflt"
    with pytest.raises(ImproperlyConfigured, match="ZHIFA_T_NAN"):
        envmod.env_float("ZHIFA_T_NAN", 1.0)
    with pytest.raises(ImproperlyConfigured, match="ZHIFA_T_INT"):
        envmod.env_int("ZHIFA_T_INT", 1, minimum=13)


# ---------------------------------------------------------------------------------------------------------------
# Every variable is declared in the settings.

def _production_modules() -> list[Path]:
    skip = {"tests", "migrations", "settings", "e2e"}
    return sorted(path for path in PACKAGE.rglob("*.py")
                  if not skip & set(path.relative_to(PACKAGE).parts[:-1]) and path.name != "conftest.py")


def _is_os_environ(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ"
            and isinstance(node.value, ast.Name) and node.value.id == "os")


def _first_arg(call: ast.Call) -> str:
    arg = call.args[0] if call.args else None
    return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else "?"


def test_no_environment_variable_is_read_outside_the_settings():
    """os.environ.get/os.environ[...]/`in os.environ`/os.getenv outside zhifa/settings (setdefault of
    DJANGO_SETTINGS_MODULE and handing a copy of the environment to a child process are not reads)."""
    found = []
    for path in _production_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name: str | None = None
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr == "get" and _is_os_environ(node.func.value):
                    name = _first_arg(node)
                elif (node.func.attr == "getenv" and isinstance(node.func.value, ast.Name)
                      and node.func.value.id == "os"):
                    name = _first_arg(node)
            elif isinstance(node, ast.Subscript) and _is_os_environ(node.value) and isinstance(node.ctx, ast.Load):
                name = str(node.slice.value) if isinstance(node.slice, ast.Constant) else "?"
            elif isinstance(node, ast.Compare) and any(_is_os_environ(c) for c in node.comparators):
                name = str(node.left.value) if isinstance(node.left, ast.Constant) else "?"
            if name is not None:
                found.append(f"{path.relative_to(REPO)}:{getattr(node, 'lineno', '?')} reads {name}")
    assert not found, "read these in zhifa/settings instead:\n" + "\n".join(found)


def test_every_zhifa_setting_used_is_declared_in_the_settings():
    """`getattr(settings, "ZHIFA_…", default)`, `settings.ZHIFA_…` and any "ZHIFA_…" name used in production code
    must be defined by zhifa.settings itself (not only by the test settings)."""
    declared = {name for name in dir(base_settings) if name.startswith("ZHIFA_")}
    pattern = re.compile(r"^ZHIFA_[A-Z0-9_]+$")
    found = []
    for path in _production_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name: str | None = None
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and pattern.match(node.value):
                name = node.value
            elif isinstance(node, ast.Attribute) and pattern.match(node.attr):
                name = node.attr
            if name is not None and name not in declared:
                found.append(f"{path.relative_to(REPO)}:{getattr(node, 'lineno', '?')} uses {name}")
    assert not found, "declare these in zhifa/settings/__init__.py:\n" + "\n".join(found)


def _variables_read_by_settings() -> set[str]:
    names: set[str] = set()
    for path in SETTINGS_FILES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id.startswith("env_")
                    and node.args and isinstance(node.args[0], ast.Constant)):
                names.add(str(node.args[0].value))
    return {name for name in names if name.startswith(("ZHIFA_", "DATABASE_"))}


def test_every_variable_is_in_the_readme_table():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## 配置（环境变量）", 1)[1].split("\n## ", 1)[0]
    rows = "\n".join(line for line in section.splitlines() if line.startswith("|"))
    variables = _variables_read_by_settings()
    assert {"ZHIFA_DATA_DIR", "ZHIFA_SECRET_KEY", "DATABASE_URL", "ZHIFA_HSTS_SECONDS"} <= variables
    missing = sorted(name for name in variables if f"`{name}`" not in rows)
    assert not missing, "add rows for these to README.md's configuration table:\n" + "\n".join(missing)


PRINT_PERSISTENCE = ("import django; django.setup(); from django.conf import settings as s; "
                     "d = s.DATABASES['default']; print(repr([d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS']]))")


@pytest.mark.parametrize(("extra", "expected"), [
    ({}, [60, True]),
    ({"ZHIFA_DB_CONN_MAX_AGE": "0"}, [0, True]),
    ({"DATABASE_URL": "postgres://zhifa:pw@127.0.0.1:5432/zhifa"}, [60, True]),
    ({"DATABASE_URL": "postgres://zhifa:pw@127.0.0.1:5432/zhifa?conn_max_age=5", "ZHIFA_DB_CONN_MAX_AGE": "30"},
     [30, True]),
])
def test_database_connections_persist_with_health_checks(tmp_path, extra, expected):
    """Issue 11 point 3 (ADR 0033): persistent connections for SQLite and PostgreSQL, one variable."""
    result = _python(_env(tmp_path, **extra), PRINT_PERSISTENCE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == repr(expected)


REUSE = """
import django; django.setup()
from django.core.signals import request_finished, request_started
from django.db import connection

def one_request():
    request_started.send(sender=None)
    with connection.cursor() as c:
        pragmas = [c.execute(f"PRAGMA {p}").fetchone()[0]
                   for p in ("journal_mode", "synchronous", "busy_timeout", "secure_delete")]
    raw = connection.connection  # kept alive, so a new one cannot reuse its id
    request_finished.send(sender=None)
    return raw, pragmas

(first, p1), (second, p2) = one_request(), one_request()
print(repr([first is second, p1, p2]))
"""


@pytest.mark.parametrize(("max_age", "reused"), [("60", True), ("0", False)])
def test_a_reused_sqlite_connection_keeps_its_pragmas(tmp_path, max_age, reused):
    """The durability pragmas (ADR 0021) run when a connection opens; a connection kept across requests keeps them
    (WAL, synchronous=FULL, busy_timeout, secure_delete); with 0 each request opens its own, as before."""
    result = _python(_env(tmp_path, ZHIFA_DB_CONN_MAX_AGE=max_age), REUSE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == repr([reused, ["wal", 2, 30000, 1], ["wal", 2, 30000, 1]])
