# Rose Ash developer commands. `make dev` runs the whole platform; `make test` the suite.
#
# Installs are incremental: pip runs again only when pyproject.toml changed,
# npm only when package.json or package-lock.json changed (stamp files).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
VENV_PYTHON := $(VENV)/bin/python
PIP_STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.stamp
PYTEST_ARGS ?=
# Test processes (pytest-xdist); TEST_WORKERS=0 runs in this one process.
TEST_WORKERS ?= 2
DEV_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install venv assets dev test lint schema

help:
	@echo "make dev     run all six apps with PostgreSQL and Redis (Ctrl-C stops everything)"
	@echo "             DEV_ARGS=--loopback-hosts: each app on its own address, 127.0.0.11-16"
	@echo "make test    run the test suite in two processes (PYTEST_ARGS='-k cart' to pass options,"
	@echo "             TEST_WORKERS=0 for one process)"
	@echo "make lint    ruff check, ruff format --check and mypy"
	@echo "make schema  regenerate schema.sql from the migrations"
	@echo "make install / make assets   the Python and front-end dependencies"

$(VENV_PYTHON):
	@echo "[make] creating $(VENV) with $(PYTHON) -m venv"
	$(PYTHON) -m venv $(VENV)

# Order-only on the interpreter: a venv that exists but was never (or not
# fully) installed has no stamp, so it gets installed.
$(PIP_STAMP): pyproject.toml | $(VENV_PYTHON)
	@echo "[make] installing Python dependencies from pyproject.toml"
	$(VENV_PYTHON) -m pip install --progress-bar off -q -e '.[dev]'
	@touch $@

install venv: $(PIP_STAMP)

# npm ci wipes node_modules, stamp included, so the stamp is always written last.
$(NPM_STAMP): package.json $(wildcard package-lock.json)
	@echo "[make] installing front-end packages from package.json"
	@if [ -f package-lock.json ]; then \
		echo "npm ci --no-audit --no-fund"; npm ci --no-audit --no-fund; \
	else \
		echo "npm install --no-audit --no-fund"; npm install --no-audit --no-fund; \
	fi
	@touch $@

assets: $(NPM_STAMP)
	@echo "[make] building front-end assets"
	node shared/static/build.mjs

# exec: the runner replaces the recipe's shell, so Ctrl-C and SIGTERM reach it
# directly and it stops every app and server before make returns.
dev: install assets
	exec $(VENV_PYTHON) -m shared.dev.run $(DEV_ARGS)

# The browser tests need Chromium: installed with apt-get when we can, else one line says how.
test: install assets
	@scripts/ensure-chromium.sh
	$(VENV_PYTHON) -m pytest -n $(TEST_WORKERS) --durations=25 $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/mypy

schema: install
	$(VENV_PYTHON) -m shared.dev.schema
