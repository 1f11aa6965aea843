# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
UV := .tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)

.PHONY: setup run test lint migration clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==0.13.8

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --quiet
	touch $@

setup: $(VENV)/.synced

run: setup
	$(BIN)/marketcast db upgrade
	$(BIN)/marketcast scenario tiktok-us-2024 --demo
	$(BIN)/marketcast serve --with-worker --host 127.0.0.1 --port 8000

test: setup
	scripts/test.sh

lint: setup
	$(BIN)/ruff check src tests bench scripts migrations
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

migration: setup
	$(BIN)/python scripts/regen_migration.py

clean:
	rm -rf $(VENV) .tools var test-artifacts
