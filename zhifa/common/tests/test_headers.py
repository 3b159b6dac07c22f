"""Security headers (issue 9 defect 14; reliability.md AC-8 header scan, LD-4 "staff pages send no-store").

Every response carries a Content-Security-Policy without 'unsafe-inline', nosniff, a Referrer-Policy and
X-Frame-Options DENY; staff pages and the non-public API send `Cache-Control: no-store`; public portal pages and
the public API do not (their caching is their views' business: only desensitized pages are publicly cacheable).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from zhifa.accounts.services import api_token_create
from zhifa.common.http import client_ip, is_private_path
from zhifa.registry.testing import make_user

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def _assert_common(response: Any) -> str:
    csp = response["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"] and directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"] and directives["object-src"] == ["'none'"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    return response.get("Cache-Control", "")


def test_staff_pages_are_no_store(db) -> None:
    """LD-4 / AC-8: staff pages, the login page and the token page: CSP and no-store."""
    user = make_user(None, "officer", username="headers")
    client = Client()
    assert "no-store" in _assert_common(client.get("/accounts/login/"))
    client.force_login(user)
    for path in ("/staff/", "/accounts/tokens/", "/staff/cases/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in _assert_common(response), path
    missing = client.get("/staff/no-such-page/")
    assert missing.status_code == 404 and "no-store" in _assert_common(missing)


def test_api_is_no_store_except_public_endpoints(db) -> None:
    user = make_user(None, "officer", username="apiheaders")
    _row, token = api_token_create(user=user, name="测试")
    client = Client()
    ok = client.get("/api/v1/cases/kinds", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert ok.status_code == 200 and "no-store" in _assert_common(ok)
    refused = client.get("/api/v1/cases/kinds")
    assert refused.status_code == 401 and "no-store" in _assert_common(refused)
    public = client.get("/api/v1/public/agencies")
    assert public.status_code == 200 and "no-store" not in _assert_common(public)


def test_portal_pages_stay_cacheable(db) -> None:
    """The public portal keeps its own caching: the middleware adds a CSP, never no-store."""
    for path in ("/", "/transparency/"):
        response = Client().get(path)
        assert response.status_code == 200, path
        assert "no-store" not in _assert_common(response), path


def test_private_path_rule() -> None:
    assert is_private_path("/staff/cases/") and is_private_path("/accounts/login/") and is_private_path("/admin/")
    assert is_private_path("/api/v1/cases/") and is_private_path("/api/v1/records/evidence")
    assert not is_private_path("/api/v1/public/entries") and not is_private_path("/api/v1/records/checkpoint")
    assert not is_private_path("/") and not is_private_path("/transparency/") and not is_private_path("/static/x.css")


def test_spoofed_host_is_refused(db) -> None:
    """AC-8: a Host outside ALLOWED_HOSTS is a 400."""
    assert Client().get("/", HTTP_HOST="evil.example.com").status_code == 400


@pytest.mark.parametrize("meta,header,expected", [
    ({"REMOTE_ADDR": "10.0.0.1"}, "", "10.0.0.1"),
    ({"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "1.1.1.1"}, "", "10.0.0.1"),  # not configured: ignored
    ({"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 10.2.3.4"}, "X-Forwarded-For", "10.2.3.4"),
    ({"REMOTE_ADDR": "127.0.0.1", "HTTP_X_REAL_IP": "2001:db8::1"}, "X-Real-IP", "2001:db8::1"),
    ({"REMOTE_ADDR": "127.0.0.1", "HTTP_X_REAL_IP": "garbage"}, "X-Real-IP", "127.0.0.1"),
])
def test_client_ip(rf: Any, settings: Any, meta: dict, header: str, expected: str) -> None:
    settings.ZHIFA_CLIENT_IP_HEADER = header
    request = rf.get("/")
    request.META.update(meta)
    assert client_ip(request) == expected


def test_templates_have_no_inline_script_or_style() -> None:
    """The CSP allows no inline script or style: pages must not need them (documents/ and *_pdf.html are PDF sources
    only, rendered by WeasyPrint and never served as pages)."""
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        if path.relative_to(TEMPLATES).parts[0] == "documents" or path.name.endswith("_pdf.html"):
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in (r"<script(?![^>]*\bsrc=)[^>]*>", r"<style\b", r"\sstyle=", r"\son[a-z]+=\"", r"javascript:"):
            if re.search(pattern, text):
                offenders.append(f"{path.relative_to(TEMPLATES)}: {pattern}")
    assert not offenders, offenders


def test_production_deploy_check_passes_on_a_fresh_database(tmp_path: Path) -> None:
    """AC-8: `zhifa check --deploy --fail-level WARNING` under production settings: no unexplained warning, no
    demo account (zhifa.E016 would fail it), HSTS and secure cookies on, DEBUG off."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[3]
    # Production also needs checkpoints leaving the box and the log key apart from the data (zhifa.E017-E019).
    for folder in ("data", "offbox", "keys"):
        (tmp_path / folder).mkdir()
    pii_key = tmp_path / "keys" / "pii-master.key"  # the personal-data master key, outside the data (ADR 0018)
    pii_key.write_text("ab" * 32)
    pii_key.chmod(0o600)
    # `make test` sets DJANGO_ALLOW_ASYNC_UNSAFE for the browser tests; a deployment never does (async.E001).
    # A fresh deployment: its own SQLite file in the data folder, whatever database the suite itself runs on.
    env = {**{k: v for k, v in os.environ.items() if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL")},
           "DJANGO_SETTINGS_MODULE": "zhifa.settings.production", "ZHIFA_DATA_DIR": str(tmp_path / "data"),
           "ZHIFA_CHECKPOINT_EXPORT_DIR": str(tmp_path / "offbox"),
           "ZHIFA_LEDGER_KEY_FILE": str(tmp_path / "keys" / "ledger-ed25519.pem"),
           "ZHIFA_PII_KEY_FILE": str(pii_key),
           "ZHIFA_SECRET_KEY": "k" * 20 + "-Production-Test-Key-0123456789-abcdefghij",
           "ZHIFA_ALLOWED_HOSTS": "zhifa.example.gov.cn", "PYTHONPATH": str(root)}
    script = ("from django.conf import settings as s; "
              "print(s.DEBUG, s.SECURE_HSTS_SECONDS > 0, s.SESSION_COOKIE_SECURE, s.ZHIFA_PRODUCTION)")
    done = subprocess.run([sys.executable, "-m", "zhifa.cli", "shell", "-c", script], env=env, cwd=root,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "False True True True" in done.stdout, done.stderr
    check = subprocess.run([sys.executable, "-m", "zhifa.cli", "check", "--deploy", "--fail-level", "WARNING"],
                           env=env, cwd=root, capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
