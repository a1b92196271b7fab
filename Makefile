# seller-insurance-impact: `make` lists the targets. Two commands do everything on a fresh clone:
#   make report   # set up, generate synthetic data, run every notebook, write reports/<run>/
#   make test     # set up, run the whole test suite
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
KERNEL := seller-insurance
PARAMS ?= params/default.yaml
RUN ?=
export MPLBACKEND := agg

.PHONY: help setup browser-setup data sample report lab test test-fast test-browser bench lint format lock sync-notebooks clean distclean

help: ## Show this help (each target and what it does)
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# The stamp is rebuilt only when the lock or pyproject.toml changes, so a second `make setup` takes a second.
$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (seller-insurance)" >/dev/null
	@touch $@

# The package's own modules are compiled here, not left to the first import: with PYTHONDONTWRITEBYTECODE set (as on
# the project's machines) Python never caches them, and every process (CLI, notebook kernel, test subprocess) compiled
# all of them again: 0.15 s each (`seller-insurance --help` 0.58 -> 0.43 s). Only changed files are recompiled.
setup: $(STAMP) ## Create .venv and install the pinned environment (requirements.lock) and the package; idempotent
	@$(BIN)/python -m compileall -q src

data: setup ## Generate the default synthetic dataset into data/raw/default/
	$(BIN)/seller-insurance generate --params $(PARAMS)

sample: setup ## Regenerate the tiny committed sample in data/sample/ (300 sellers x 36 months from 2019-10)
	$(BIN)/seller-insurance generate --sellers 300 --months 36 --start-month 2019-10 --out data --name sample --force

report: setup ## The main job: synthetic data -> every notebook -> reports/<run>/ (HTML, figures, metrics, slides)
	$(BIN)/seller-insurance report --params $(PARAMS) $(if $(RUN),--name $(RUN),)

lab: setup ## Start JupyterLab on notebooks/ with the project's kernel
	$(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root,)

# Debian's chromium for the browser tier (Playwright's own browser download is not reachable). Installed only when
# missing and when apt-get can run (root); otherwise the browser tests skip and say why.
browser-setup: ## Install Debian's chromium for the browser tests if it is missing (needs root and apt-get)
	@if command -v chromium >/dev/null 2>&1 || [ -n "$${CHROMIUM:-}" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	    || echo "could not install chromium: the browser tests will be skipped"; \
	else echo "no chromium and no root apt-get: the browser tests will be skipped (set CHROMIUM=/path/to/chromium)"; fi

test: setup browser-setup ## Run the whole test suite (unit, property, notebook, Dask, CLI and browser tests): what CI runs
	$(BIN)/python -m pytest

test-browser: setup browser-setup ## Browser tier only: JupyterLab and the HTML reports in headless Chromium (tests/browser)
	$(BIN)/python -m pytest tests/browser

test-fast: setup ## Unit and property tests only (no notebooks, Dask clusters or subprocesses): the edit-run loop
	$(BIN)/python -m pytest -m "not slow and not notebook and not dask and not subprocess and not browser"

bench: setup ## Run every benchmark in benchmarks/ (ratios against reference runs; results in reports/benchmarks/)
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f; done

LINTED := src tests benchmarks notebooks/*.py

lint: setup ## Lint: ruff rules, ruff formatting, and the import contracts between stages (pyproject.toml)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/lint-imports

format: setup ## Format with ruff (the one formatter; make lint checks it) and re-sync notebook pairs
	$(BIN)/ruff format $(LINTED)
	$(MAKE) sync-notebooks

sync-notebooks: setup ## Sync each notebook with its .py pair and strip outputs
	$(BIN)/jupytext --sync notebooks/*.ipynb
	$(BIN)/jupyter nbconvert --clear-output --inplace notebooks/*.ipynb

lock: setup ## Regenerate requirements.lock from pyproject.toml (then commit it)
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements.lock

clean: ## Remove generated data, reports and caches (keeps .venv, data/sample and reports/README.md)
	rm -rf data/raw/* data/processed/* .pytest_cache .ruff_cache .hypothesis
	find reports -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +
	find . -name __pycache__ -type d -prune -not -path './.venv/*' -exec rm -rf {} +

distclean: clean ## Also remove the virtual environment
	rm -rf $(VENV)
