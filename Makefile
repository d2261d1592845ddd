# Calendar Sync for Odoo 18 — developer entry points. See README.md.
SHELL := /bin/bash
export ODOO_PATH ?= /opt/odoo
VENV ?= $(CURDIR)/.venv
PY := $(VENV)/bin/python

.PHONY: setup test test-pure test-odoo run demo lint bench readme pot

setup:  ## venv, requirements, Odoo's requirements, PostgreSQL, dev database
	@scripts/setup.sh

test:  ## pure layer always, Odoo layer when Odoo 18 is at $ODOO_PATH
	@scripts/test.sh

test-pure:
	@scripts/test.sh --pure-only

run:  ## Odoo on http://localhost:8069 with the addons installed
	@scripts/run.sh

lint:  ## ruff + pylint-odoo
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pylint --rcfile=.pylintrc calendar_sync_base calendar_sync_google calendar_sync_microsoft

bench:  ## HTTP requests and SQL queries as the calendar grows
	@scripts/bench.sh

readme:  ## regenerate each addon's README.rst from its readme/ fragments
	$(PY) scripts/gen_readme.py calendar_sync_base calendar_sync_google calendar_sync_microsoft
