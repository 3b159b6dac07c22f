# zhifa — two commands: `make run` (install, migrate, load the demo county, serve on 127.0.0.1:8000)
# and `make test` (the whole suite, browser tests included). Both install what they need, apt and pip.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Debian packages (clamav-daemon: tests start a real clamd on a temporary socket, ADR 0020): the runtime needs a venv-capable Python and, for document PDFs (WeasyPrint), CJK fonts, Pango and
# HarfBuzz's subsetter (ADR 0013); tests also need Chromium (Playwright drives Debian's
# build, never a downloaded one), CJK fonts for screenshots, and PostgreSQL for the CI run.
APT_RUN  := python3-venv fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
APT_TEST := chromium fonts-noto-cjk poppler-utils clamav-daemon
APT_PG   := postgresql

.PHONY: run test test-fast lint sysdeps-run sysdeps-test sysdeps-pg demo clean

define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

sysdeps-run:
	$(call apt_install,$(APT_RUN))

sysdeps-test:
	$(call apt_install,$(APT_TEST))

sysdeps-pg:
	$(call apt_install,$(APT_PG))

$(VENV)/.runtime: requirements.txt pyproject.toml | sysdeps-run
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime
	$(BIN)/zhifa run --demo

demo: $(VENV)/.runtime
	$(BIN)/zhifa migrate --verbosity 0 && $(BIN)/zhifa demo && $(BIN)/zhifa demo_cases

test: $(VENV)/.dev sysdeps-test
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(BIN)/pytest $(PYTEST_ARGS)

test-fast: $(VENV)/.dev
	$(BIN)/pytest -m "not browser"

# mypy (project config) covers every services/selectors module, found rather than listed, so a new app's
# services.py, selectors.py or services/ and selectors/ package is checked without editing this file; plus the
# explicitly listed modules below (records ledger, checks, engine, auth, ...). Tests are excluded.
MYPY_FOUND  = $(shell find zhifa \( -name services.py -o -name selectors.py -o -path '*/services/*.py' \
	-o -path '*/selectors/*.py' \) -not -path '*/tests/*' -not -path '*/migrations/*' | sort)
MYPY_LISTED = zhifa/workdays zhifa/common \
	zhifa/records/merkle.py zhifa/records/ledger.py zhifa/records/signednote.py zhifa/records/checkpoints.py \
	zhifa/records/verify_db.py zhifa/records/archive.py zhifa/records/verify.py zhifa/records/access.py \
	zhifa/records/sm.py zhifa/records/filecheck.py zhifa/records/scanning.py zhifa/records/checks.py \
	zhifa/records/deep.py zhifa/records/deepcheck.py zhifa/records/integrity.py zhifa/records/startup.py \
	zhifa/records/dbcheck.py zhifa/records/management/commands/integrity_watch.py zhifa/records/personal.py \
	zhifa/records/models/personal.py zhifa/records/security.py zhifa/records/streams.py \
	zhifa/cases/engine.py zhifa/cases/deadlines.py zhifa/cases/gates.py zhifa/cases/deepcheck.py \
	zhifa/cases/personal.py zhifa/cases/dates.py zhifa/cases/streams.py zhifa/documents/deepcheck.py \
	zhifa/registry/deepcheck.py zhifa/registry/forms.py \
	zhifa/accounts/throttle.py zhifa/accounts/middleware.py zhifa/accounts/checks.py zhifa/accounts/auth.py
# (a found module inside a listed folder is left to the folder, so mypy is not given one file twice)
MYPY_FILES  = $(sort $(filter-out $(addsuffix /%,$(MYPY_LISTED)),$(MYPY_FOUND)) $(MYPY_LISTED))

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(if $(MYPY_FOUND),,$(error no services/selectors modules found for mypy))
	$(BIN)/mypy --exclude "zhifa/[a-z]+/tests/" $(MYPY_FILES)

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis .mypy_cache .ruff_cache
