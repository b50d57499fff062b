# The two commands of the README's quick start:
#   make run    start the app on demo data (embedded SQLite)
#   make test   run the whole test suite (starts its own PostgreSQL)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: run test lint typecheck bench screenshots clean

$(BIN)/python:
	./packaging/system-deps.sh run
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

run: $(VENV)/.installed
	./packaging/system-deps.sh run
	$(BIN)/crm-desk demo

test: $(VENV)/.installed
	./packaging/system-deps.sh test
	$(BIN)/ruff check --quiet .
	$(BIN)/ruff format --check --quiet .
	$(BIN)/mypy
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest -n 2 $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

typecheck: $(VENV)/.installed
	$(BIN)/mypy

bench: $(VENV)/.installed
	$(BIN)/python -m tests.bench.foundation

# The README's pictures: the main window on demo data, in English and in Japanese.
screenshots: $(VENV)/.installed
	mkdir -p resources/screenshots
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m tests.ui.screenshot resources/screenshots/main-en.png
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m tests.ui.screenshot --language ja resources/screenshots/main-ja.png

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info
