# The two commands: `make run` (the product) and `make test` (the whole suite).
# Both create .venv with Python 3.11+, install the requirements, and use DATABASE_URL / REDIS_URL
# when set, else embedded PostgreSQL and Redis.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run dev test lint bench messages clean-data

$(VENV)/.python-ok:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "aftersales needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	@touch $@

$(VENV)/.installed: $(VENV)/.python-ok requirements.txt requirements-dev.txt
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

# gunicorn (WEB_CONCURRENCY workers), Celery worker and beat: the way production serves.
run: $(VENV)/.installed
	$(PY) -m aftersales.launcher run

# The same with Django's reloading development server in place of gunicorn.
dev: $(VENV)/.installed
	$(PY) -m aftersales.launcher run --dev

test: $(VENV)/.installed
	scripts/ensure-chromium
	$(PY) -m aftersales.launcher test $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Every benchmark at one scale (small, 100k, 1m, 10m), one table; BENCH_ARGS names single scripts.
SCALE ?= small
bench: $(VENV)/.installed
	$(PY) -m bench --scale $(SCALE) $(BENCH_ARGS)

messages: $(VENV)/.installed
	$(PY) manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=.data
	$(PY) manage.py compilemessages --ignore=.venv

clean-data:
	rm -rf .data
