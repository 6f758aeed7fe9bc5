# esgscreen: `make run` serves the bundled watchlist on SQLite; `make test` runs the linters and
# every test; `make eval` scores a fresh server on the dev evaluation set.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
# Test processes (pytest-xdist): one per CPU; each test file runs whole in one of them.
TEST_WORKERS ?= auto
PORT ?= 8000

.PHONY: install install-test run test audit lint bench eval schemas screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]' -e clients/python

run: install
	ESGSCREEN_PUBLIC_READ=$${ESGSCREEN_PUBLIC_READ:-true} $(BIN)/esgscreen serve --host $(HOST) --port $(PORT)

lint: install-test
	$(BIN)/ruff check esgscreen tests bench tools wsgi.py gunicorn.conf.py .ci/audit.py
	$(BIN)/mypy

test: lint
	$(BIN)/python .ci/audit.py
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# Known vulnerabilities in the installed packages (see .ci/audit.py for the policy).
audit: install-test
	$(BIN)/python .ci/audit.py

# Retake the pages' pictures the README shows (docs/*.png) through the browser tests.
screenshots: install-test
	ESGSCREEN_DOCS_SHOTS=1 $(BIN)/python -m pytest -q tests/web/test_pages_for_people.py

bench: install-test
	$(BIN)/python bench/match.py

# A server of the bundled watchlist scored on ../shared/eval/dev.jsonl (EVAL_ARGS: another
# cases file, --verbose).
eval: install-test
	$(BIN)/python bench/eval.py $(EVAL_ARGS)

schemas: install
	$(BIN)/esgscreen schemas write schemas/

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .mypy_cache artifacts
