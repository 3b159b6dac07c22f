"""Issue 9 defect 3 (tamper protection off by default), TP-2/TP-3: under production settings the system refuses to
start unless checkpoints leave the machine (witness or export folder) and the log key lives apart from the data,
mode 0600 (ADR 0017)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from zhifa.records import checkpoints
from zhifa.records.checks import tamper_problems, tamper_protection


@pytest.fixture
def production(settings, tmp_path: Path):  # type: ignore[no-untyped-def]
    settings.ZHIFA_PRODUCTION = True
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    settings.ZHIFA_LEDGER_KEY_FILE = tmp_path / "data" / "keys" / "ledger-ed25519.pem"
    settings.ZHIFA_WITNESS_STATE_DIR = ""
    settings.ZHIFA_CHECKPOINT_EXPORT_DIR = ""
    settings.ZHIFA_LEDGER_KEY_FD = None
    checkpoints._signer.cache_clear()
    checkpoints._fd_signer.cache_clear()
    yield settings
    checkpoints._signer.cache_clear()
    checkpoints._fd_signer.cache_clear()


def ids(settings) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted({m.id for m in tamper_protection()})


def test_defaults_refused_in_production(production) -> None:  # type: ignore[no-untyped-def]
    """Defect 3 / TP-2 / TP-3: no witness, no export folder, key inside the data folder → two Errors."""
    assert ids(production) == ["zhifa.E017", "zhifa.E018"]
    assert all(m.is_serious() for m in tamper_protection())


def test_not_applied_outside_production(production) -> None:  # type: ignore[no-untyped-def]
    production.ZHIFA_PRODUCTION = False
    assert tamper_protection() == []
    assert tamper_problems()  # the rules themselves still say what is wrong


def test_configured_deployment_passes(production, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    export = tmp_path / "offbox"
    export.mkdir()
    production.ZHIFA_CHECKPOINT_EXPORT_DIR = str(export)
    production.ZHIFA_LEDGER_KEY_FILE = tmp_path / "secrets" / "ledger.pem"
    assert ids(production) == []  # a key not created yet is fine: it is created 0600 on first use
    checkpoints.log_signer()
    assert oct(production.ZHIFA_LEDGER_KEY_FILE.stat().st_mode & 0o777) == "0o600"
    assert ids(production) == []


def test_key_mode_and_export_inside_data_refused(production, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    production.ZHIFA_CHECKPOINT_EXPORT_DIR = str(production.DATA_DIR / "checkpoints")
    key = tmp_path / "secrets" / "ledger.pem"
    production.ZHIFA_LEDGER_KEY_FILE = key
    checkpoints.log_signer()
    key.chmod(0o644)
    messages = tamper_protection()
    assert sorted({m.id for m in messages}) == ["zhifa.E017", "zhifa.E019"]
    assert any("0644" in m.msg for m in messages)
    production.ZHIFA_CHECKPOINT_EXPORT_DIR = str(tmp_path / "no-such-folder")
    key.chmod(0o600)
    assert ids(production) == ["zhifa.E017"]


def test_witness_inside_data_refused_outside_accepted(production, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    production.ZHIFA_LEDGER_KEY_FILE = tmp_path / "secrets" / "ledger.pem"
    production.ZHIFA_WITNESS_STATE_DIR = str(production.DATA_DIR / "witness")
    assert ids(production) == ["zhifa.E017"]
    production.ZHIFA_WITNESS_STATE_DIR = str(tmp_path / "bureau-witness")
    assert ids(production) == []


def test_key_from_inherited_descriptor(production, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The key may come from a file descriptor named in settings (ZHIFA_LEDGER_KEY_FD); a closed one is refused."""
    from zhifa.records import signednote

    source = tmp_path / "elsewhere.pem"
    signer = signednote.load_or_create_signer(source, "x")
    fd = os.open(source, os.O_RDONLY)
    try:
        production.ZHIFA_LEDGER_KEY_FD = fd
        production.ZHIFA_CHECKPOINT_EXPORT_DIR = str(tmp_path)
        assert ids(production) == []
        assert checkpoints.log_signer().public_raw == signer.public_raw
    finally:
        os.close(fd)
    checkpoints._fd_signer.cache_clear()
    assert ids(production) == ["zhifa.E019"]


@pytest.mark.django_db
def test_zhifa_commands_refuse_under_production_settings(production) -> None:  # type: ignore[no-untyped-def]
    """Error level: any command that runs the system checks (zhifa run, check --deploy) stops."""
    with pytest.raises(SystemCheckError, match="zhifa.E017"):
        call_command("check")


@pytest.mark.django_db
def test_checkpoints_exported(production, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    export = tmp_path / "offbox"
    export.mkdir()
    production.ZHIFA_CHECKPOINT_EXPORT_DIR = str(export)
    production.ZHIFA_LEDGER_KEY_FILE = tmp_path / "secrets" / "ledger.pem"
    cp = checkpoints.checkpoint_create()
    files = list(export.iterdir())
    assert [f.read_text() for f in files] == [cp.note]


def test_production_check_deploy_in_subprocess(tmp_path: Path) -> None:
    """What .ci/run's production step sets: secret key, hosts, an export folder and a key file outside the data."""
    (tmp_path / "offbox").mkdir()
    pii_key = tmp_path / "pii" / "pii-master.key"  # production also requires the vault key (ADR 0018)
    pii_key.parent.mkdir()
    pii_key.write_text("cd" * 32)
    pii_key.chmod(0o600)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "zhifa.settings.production", "ZHIFA_SECRET_KEY": "x" * 50,
           "ZHIFA_PII_KEY_FILE": str(pii_key),
           "ZHIFA_ALLOWED_HOSTS": "zhifa.example.gov.cn", "ZHIFA_DATA_DIR": str(tmp_path / "data"),
           "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    cmd = [sys.executable, "-m", "zhifa.cli", "check", "--deploy"]
    bad = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "zhifa.E017" in bad.stderr and "zhifa.E018" in bad.stderr
    env.update(ZHIFA_CHECKPOINT_EXPORT_DIR=str(tmp_path / "offbox"),
               ZHIFA_LEDGER_KEY_FILE=str(tmp_path / "secrets" / "ledger-ed25519.pem"))
    good = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert "zhifa.E01" not in good.stderr, good.stderr
