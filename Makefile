# Calendar Sync for Odoo 18 — developer entry points. See README.md.
SHELL := /bin/bash
export ODOO_PATH ?= /opt/odoo
VENV ?= $(CURDIR)/.venv
PY := $(VENV)/bin/python

.PHONY: setup test test-pure test-odoo run demo lint bench bench-compare bench-latency bench-idle readme pot

setup:  ## venv, requirements, Odoo's requirements, PostgreSQL, dev database
	@scripts/setup.sh

test:  ## pure layer always, Odoo layer when Odoo 18 is at $ODOO_PATH
	@scripts/test.sh

test-pure:
	@scripts/test.sh --pure-only

test-odoo:  ## only the Odoo layer; ODOO_TEST_DB=name keeps that database between runs
	@scripts/test.sh --odoo-only

run:  ## Odoo on http://localhost:8069 with the addons installed
	@scripts/run.sh

demo:  ## Google emulator (demo account) + Odoo configured to use it; try the sync without Google
	@scripts/demo.sh

# Addons that have a manifest (an addon directory still being written is skipped by pylint;
# ruff lints every Python file anyway).
ADDON_DIRS = $(patsubst %/__manifest__.py,%,$(sort $(wildcard calendar_sync_*/__manifest__.py)))
# The test-only addons are linted like the others (their code is product-grade).
LINT_DIRS = $(ADDON_DIRS) $(patsubst %/__manifest__.py,%,$(sort $(wildcard test_addons/*/__manifest__.py)))

lint:  ## ruff, pylint-odoo, OCA's module and .po checks; runs every linter, fails if any of them reports something
	@rc=0; \
	echo "==> ruff check"; $(VENV)/bin/ruff check . || rc=1; \
	echo "==> ruff format --check"; $(VENV)/bin/ruff format --check . || rc=1; \
	echo "==> pylint-odoo: $(LINT_DIRS)"; \
	ODOO_PATH="$(ODOO_PATH)" $(VENV)/bin/pylint --rcfile=.pylintrc $(LINT_DIRS) || rc=1; \
	echo "==> OCA module checks (manifest, XML, CSV)"; \
	$(VENV)/bin/oca-checks-odoo-module $(LINT_DIRS) || rc=1; \
	echo "==> OCA translation checks"; \
	$(VENV)/bin/oca-checks-po $(wildcard calendar_sync_*/i18n/*.po*) || rc=1; \
	exit $$rc

bench:  ## HTTP requests and SQL queries as the calendar grows
	@scripts/bench.sh

bench-compare:  ## ours and Odoo's own google_calendar / microsoft_calendar, side by side
	@scripts/bench.sh --compare

bench-latency:  ## seconds from an edit to the other side, real server + push notifications
	@scripts/bench_latency.sh

bench-idle:  ## one idle sync cycle over 1,000 accounts, one and two cron workers, real server
	@scripts/bench_latency.sh idle_cycle

readme:  ## regenerate each addon's README.rst from its readme/ fragments
	$(PY) scripts/gen_readme.py $(ADDON_DIRS)

pot:  ## regenerate each addon's i18n/<addon>.pot (on a scratch database, dropped afterwards)
	@scripts/export_pot.sh
