# zhifa — two commands: `make run` (install, migrate, load the demo county, serve on 127.0.0.1:8000)
# and `make test` (the whole suite, browser tests included). Both install what they need, apt and pip.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Debian packages (clamav-daemon: tests start a real clamd on a temporary socket, ADR 0020): the runtime needs a venv-capable Python and, for document PDFs (WeasyPrint), CJK fonts, Pango and
# HarfBuzz's subsetter (ADR 0013); tests also need Chromium (Playwright drives Debian's
# build, never a downloaded one), CJK fonts for screenshots, and PostgreSQL for the CI run.
APT_RUN  := python3-venv fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
APT_TEST := chromium fonts-noto-cjk poppler-utils clamav-daemon libreoffice-calc-nogui
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
# mypy covers all production code (every services/selectors module included, found by mypy itself): no
# hand-kept list. Tests, browser tests and migrations are left out.
lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/mypy zhifa --exclude "zhifa/[a-z]+/tests/" --exclude "zhifa/e2e/" --exclude "/migrations/"

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis .mypy_cache .ruff_cache
