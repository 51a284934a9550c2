# Closer: `make run` sets up and runs everything embedded; `make test` sets up and runs the suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

# The test suite runs against real PostgreSQL and Redis (see .ci/run, which starts them).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/closer
TEST_REDIS_URL ?= redis://127.0.0.1:6379/14

.PHONY: run test bench lint setup migrate demo clean browser mailserver

$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip==26.3"
	$(PY) -m pip install --quiet -c requirements.lock --group dev
	touch $(STAMP)

setup: $(STAMP)

migrate: setup
	mkdir -p var/mail
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py seed_demo
	$(PY) manage.py seed_market
	$(PY) manage.py seed_history
	$(PY) manage.py seed_outreach
	$(PY) manage.py ensure_demo_login
	$(PY) manage.py offer_links

run: demo
	$(VENV)/bin/honcho start -f Procfile

# Debian's chromium, for the browser tests (tests/e2e): installed if missing.
browser:
	bin/ensure-chromium

# Debian's Dovecot, the IMAP server the mailbox tests start as their own process: installed if
# missing (its system service is never started).
mailserver:
	bin/ensure-dovecot

test: setup browser mailserver
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/closer_bench} \
		$(PY) bench/admin_candidates.py $(BENCH_ARGS)
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/closer_bench} \
		REDIS_URL=$${BENCH_REDIS_URL:-redis://127.0.0.1:6379/15} \
		$(PY) bench/alert_delivery.py $(BENCH_ALERT_ARGS)
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/closer_bench} \
		$(PY) bench/reminder_scan.py $(BENCH_SCAN_ARGS)
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/closer_bench} \
		$(PY) bench/workspace_pages.py $(BENCH_PAGES_ARGS)
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/closer_bench} \
		REDIS_URL=$${BENCH_OUTREACH_REDIS_URL:-redis://127.0.0.1:6379/12} \
		$(PY) bench/outreach_send.py $(BENCH_OUTREACH_ARGS)
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/closer_bench} \
		REDIS_URL=$${BENCH_IMPORT_REDIS_URL:-redis://127.0.0.1:6379/11} \
		$(PY) bench/candidate_import.py $(BENCH_IMPORT_ARGS)
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/closer_bench} \
		$(PY) bench/reports.py $(BENCH_REPORTS_ARGS)

# Lint, format, types and the layers (docs/architecture.md); .ci/run runs it before the tests.
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) var
