# Education services portal — developer entry points.
#
#   make run    set up, migrate, load demo data, start the dev server, then a Celery worker and beat
#   make test   set up, then lint, format check, import contracts, migration check, pytest
#
# Every target does its own set-up (`make setup`), which is idempotent and quick when nothing changed.
# With nothing set in the environment the embedded defaults are used (SQLite + Celery on kombu's
# filesystem broker, see docs/adr/0003-embedded-defaults.md); DATABASE_URL / CELERY_BROKER_URL /
# CACHE_URL switch to PostgreSQL and Redis.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.NOTPARALLEL:

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
MANAGE := $(PY) manage.py
INSTALL_STAMP := $(VENV)/.installed-stamp

HOST ?= 127.0.0.1
PORT ?= 8000

# Debian packages: CJK fonts and Pango/HarfBuzz for WeasyPrint (libharfbuzz-subset0 keeps font
# subsetting fast: ~0.8 s instead of ~20 s per document), poppler-utils for PDF checks in tests and
# mupdf-tools as a second, independent PDF renderer in tests, gettext for compilemessages, zbar-tools to
# decode the notice QR code in tests, chromium for the Playwright browser tests.
APT_PACKAGES := fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils gettext \
	zbar-tools chromium mupdf-tools

# Translation catalogues anywhere in the tree except the venv; each .mo is rebuilt when its .po is newer.
PO_FILES := $(shell find . \( -path ./.venv -o -path ./.git -o -path ./staticfiles \) -prune \
	-o -name '*.po' -print 2>/dev/null)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: help setup apt-packages messages run test bench fmt clean distclean \
	check-ruff check-format check-imports check-migrations check-pytest

help:
	@echo "make run        start the portal with demo data at http://$(HOST):$(PORT)/ (HOST/PORT overridable)"
	@echo "make test       lint, format check, import contracts, migration check, pytest -n auto"
	@echo "make bench      run bench/bench_*.py, results in bench-results/"
	@echo "make fmt        ruff format + ruff check --fix"
	@echo "make setup      Debian packages, .venv, pip install -e '.[dev]', compilemessages"
	@echo "make clean      remove caches and build output (keeps .venv and var/)"
	@echo "make distclean  clean, and also remove .venv and var/ (the demo database)"

# --- set-up ---------------------------------------------------------------------------------------

setup: apt-packages $(INSTALL_STAMP) messages

apt-packages:
	@if ! command -v dpkg-query >/dev/null 2>&1; then \
		echo "note: not a Debian system; install the equivalents of: $(APT_PACKAGES)"; exit 0; \
	fi; \
	missing=""; \
	if [ ! -x $(PY) ] && ! $(PYTHON) -c 'import ensurepip, venv' >/dev/null 2>&1; then missing=" python3-venv"; fi; \
	for pkg in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' "$$pkg" 2>/dev/null | grep -q 'install ok installed' \
			|| missing="$$missing $$pkg"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian packages:$$missing"; \
		apt-get update; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	else \
		echo "Missing Debian packages (PDF rendering and compilemessages need them). Run:"; \
		echo "  sudo apt-get install -y --no-install-recommends$$missing"; \
	fi

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
		|| { echo "error: $(PYTHON) is not Python 3.11 (pyproject.toml requires 3.11); run make PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(INSTALL_STAMP): pyproject.toml | $(PY)
	$(BIN)/pip install --disable-pip-version-check --quiet -e '.[dev]'
	@touch $@

ifneq ($(strip $(MO_FILES)),)
messages: $(MO_FILES)
$(MO_FILES) &: $(PO_FILES) $(INSTALL_STAMP)
	$(MANAGE) compilemessages --ignore=$(VENV)
	@touch $(MO_FILES)
else
messages:
	@:
endif

# --- run --------------------------------------------------------------------------------------------

# portal/core/devrun.py starts the dev server, waits until it answers, prints the addresses and the demo
# accounts, then starts the Celery worker and beat (so no periodic task calls the sandbox before the server
# listens). Ctrl-C or SIGTERM stops all of them within 10 s: a warm shutdown, then SIGKILL to each
# process group. SITE_URL follows HOST/PORT so that the worker reaches the sandbox stand-ins at the
# address the dev server really listens on.
run: setup
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo
	$(PY) -m portal.core.devrun --host $(HOST) --port $(PORT)

# --- test -------------------------------------------------------------------------------------------

# Every check runs even when an earlier one fails (make -k), so CI shows all problems at once;
# the exit status is non-zero if any failed.
test: setup
	@$(MAKE) --no-print-directory -k check-ruff check-format check-imports check-migrations check-pytest

check-ruff:
	$(BIN)/ruff check .

check-format:
	$(BIN)/ruff format --check .

check-imports:
	$(BIN)/lint-imports --no-cache --no-logo

check-migrations:
	$(MANAGE) makemigrations --check --dry-run

check-pytest:
	$(BIN)/pytest -n auto

# --- bench, formatting, cleaning ---------------------------------------------------------------------

bench: setup
	@if [ -f bench/__init__.py ]; then $(PY) -m bench; else echo "No bench/ package: nothing to measure."; fi

fmt: $(INSTALL_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	find . -path ./.venv -prune -o -type d -name __pycache__ -print0 | xargs -0 rm -rf
	rm -rf .pytest_cache .ruff_cache .import_linter_cache staticfiles bench-results
	$(if $(strip $(MO_FILES)),rm -f $(MO_FILES))

distclean: clean
	rm -rf $(VENV) var *.egg-info
