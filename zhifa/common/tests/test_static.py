"""`zhifa run` collects static files with the Manifest storage: every vendored asset must post-process."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from zhifa.common.staticfiles import collect_static_if_changed
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


def test_run_collects_static_files_only_when_the_sources_changed(tmp_path: Path) -> None:
    """Every start of every app server collected (and compressed) all assets again; now only a change does."""
    source = tmp_path / "src"
    source.mkdir()
    (source / "site.css").write_text("body { color: black; }")
    with override_settings(
        STATIC_ROOT=tmp_path / "static", STATICFILES_DIRS=[source],
        STATICFILES_FINDERS=["django.contrib.staticfiles.finders.FileSystemFinder"],
        STORAGES={**PRODUCTION_STORAGES,
                  "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}},
    ):
        assert collect_static_if_changed() is True
        assert "site.css" in (tmp_path / "static" / "staticfiles.json").read_text()
        assert collect_static_if_changed() is False
        (source / "site.css").write_text("body { color: darkblue; }")
        assert collect_static_if_changed() is True
        (tmp_path / "static" / "staticfiles.json").unlink()
        assert collect_static_if_changed() is True
        assert collect_static_if_changed() is False
