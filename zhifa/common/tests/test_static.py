"""`zhifa run` collects static files with the Manifest storage: every vendored asset must post-process."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from zhifa.settings import STORAGES as PRODUCTION_STORAGES


def test_collectstatic_with_manifest_storage_succeeds(tmp_path: Path) -> None:
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=PRODUCTION_STORAGES):
        call_command("collectstatic", interactive=False, verbosity=0)
    manifest = (tmp_path / "staticfiles.json").read_text()
    assert "vendor/bootstrap-5.3.8/bootstrap.min.css" in manifest
    assert "ninja/swagger-ui-bundle.js" in manifest


@pytest.mark.parametrize("path", ["vendor/bootstrap-5.3.8/bootstrap.min.css", "zhifa/site.css"])
def test_no_cdn_in_vendored_or_own_assets(path: str) -> None:
    from django.contrib.staticfiles import finders

    found = finders.find(path)
    assert found
    text = Path(str(found)).read_text(errors="ignore")
    assert "cdn.jsdelivr" not in text and "fonts.googleapis" not in text
