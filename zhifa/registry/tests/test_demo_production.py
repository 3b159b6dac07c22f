"""Demo data and production (issue 9 defect 2, ADR 0016).

Demo data only when asked (`zhifa run --demo`, `make run`); production never: `zhifa demo` refuses under production
settings, and the start-up check zhifa.E016 refuses to start while any active demo account exists.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError

from zhifa.accounts.models import User
from zhifa.registry.demo.loader import planned_usernames
from zhifa.registry.testing import make_user


def configure_tamper_protection(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """What production also requires (ADR 0017): checkpoints leaving the box, the log key apart from the data."""
    (tmp_path / "offbox").mkdir(exist_ok=True)
    settings.ZHIFA_CHECKPOINT_EXPORT_DIR = str(tmp_path / "offbox")
    settings.ZHIFA_LEDGER_KEY_FILE = tmp_path / "keys" / "ledger-ed25519.pem"


@pytest.fixture
def production(settings, tmp_path):  # type: ignore[no-untyped-def]
    configure_tamper_protection(settings, tmp_path)
    settings.ZHIFA_PRODUCTION = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings


def test_demo_loader_marks_its_accounts_and_production_refuses_them(db, settings, tmp_path) -> None:
    """Defect 2: every account `zhifa demo` creates is marked is_demo; with any active, production does not start."""
    configure_tamper_protection(settings, tmp_path)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("demo", stdout=StringIO())
    demo = User.objects.filter(is_demo=True)
    assert set(demo.values_list("username", flat=True)) == set(planned_usernames())
    assert demo.filter(username="admin").exists()

    call_command("check", stdout=StringIO())  # development settings: the demo is allowed

    settings.ZHIFA_PRODUCTION = True
    with pytest.raises(SystemCheckError) as refused:
        call_command("check", stdout=StringIO())
    assert "zhifa.E016" in str(refused.value) and "admin" in str(refused.value)

    # Deactivated (it can no longer sign in), a demo account no longer blocks the start.
    for name in planned_usernames():
        call_command("deactivate_user", name, stdout=StringIO())
    call_command("check", stdout=StringIO())


def test_production_refuses_to_load_the_demo(db, production) -> None:
    with pytest.raises(CommandError, match="生产配置下不能载入演示数据"):
        call_command("demo", stdout=StringIO())
    assert not User.objects.exists()


def test_production_starts_with_real_accounts(db, production) -> None:
    make_user(None, "system_admin", username="realadmin")
    call_command("check", stdout=StringIO())


def test_run_without_demo_creates_the_first_admin_not_the_demo(db, settings, monkeypatch) -> None:
    """`zhifa run` without --demo on an empty database: one administrator, no demo; checks run before serving."""
    from zhifa.common.management.commands import run

    called: list[str] = []

    def fake_call(name: str, *args: object, **kwargs: object) -> None:
        called.append(name)
        if name == "first_admin":
            from django.core.management import call_command as real

            real(name, *args, **kwargs)

    monkeypatch.setattr(run, "call_command", fake_call)
    monkeypatch.setattr(run.subprocess, "Popen", lambda *a, **k: None)
    monkeypatch.setattr(run.Command, "_serve", lambda self, options: called.append("serve"))
    out = StringIO()
    run.Command(stdout=out).handle(bind="127.0.0.1:8110", threads=None, workers=None, demo=False, no_demo=False,
                                   checkpoint_every=300)
    assert "demo" not in called and "first_admin" in called
    assert called.index("check") < called.index("serve")
    assert "一次性密码" in out.getvalue()
    assert User.objects.get().password_change_required


def test_run_with_demo_under_production_is_refused(db, production, monkeypatch) -> None:
    from zhifa.common.management.commands import run

    monkeypatch.setattr(run, "call_command", lambda *a, **k: None)
    with pytest.raises(CommandError, match="生产配置下不能载入演示数据"):
        run.Command(stdout=StringIO()).handle(bind="127.0.0.1:8110", workers=1, demo=True, no_demo=False,
                                              checkpoint_every=300)
