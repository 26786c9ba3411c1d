# flowdash — the two commands a newcomer types: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
export PATH := $(CURDIR)/$(BIN):$(PATH)
export PYTHONUNBUFFERED := 1

.PHONY: run test test-faults lint fmt bench check browser-deps clean help

help:
	@echo "make run    start flowdash on http://127.0.0.1:$${FLOWDASH_PORT:-8000} (web, worker, beat, Redis, simulator)"
	@echo "make test   install the dev tools and run the whole test suite"
	@echo "make test-faults  the fault suite's slow tests (tests/faults, marker 'faults')"
	@echo "make lint   ruff check; make fmt   ruff format"
	@echo "make bench  run the benchmarks in bench/"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "flowdash needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(DEV_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

run: $(STAMP)
	DEBUG=$${DEBUG:-1} FLOWDASH_HTTPS=$${FLOWDASH_HTTPS:-0} $(BIN)/python manage.py launch

# Debian's Chromium for the browser tests, installed when missing and possible (root + apt).
browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests…"; \
	    (apt-get install -y -qq chromium >/dev/null 2>&1 || \
	     (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)) || \
	    echo "Could not install chromium; the browser tests will fail."; \
	  else \
	    echo "No /usr/bin/chromium and no way to install it (apt-get as root): browser tests will fail."; \
	  fi; \
	fi

check: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

test: $(DEV_STAMP) browser-deps check
	$(BIN)/python -m pytest -m "not faults" $(PYTEST_ARGS)

# The slowest fault tests (minutes of outages, compressed): a real stack per test.
test-faults: $(DEV_STAMP)
	$(BIN)/python -m pytest -m faults tests/faults $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/ruff format --check .

fmt: $(DEV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(DEV_STAMP)
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
