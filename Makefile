# `make run` and `make test` work on a fresh clone: they create .venv and install TART into it.
# The stamp files make pip run again only when the package's dependencies change.

PYTHON ?= python3
VENV := .venv

.PHONY: run test test-bench bench

run: $(VENV)/.installed
	$(VENV)/bin/tart run

# Most of a test's time is spent waiting for the servers it starts, so four pytest-xdist workers
# (each with a PostgreSQL of its own) finish sooner than one even on two cores. Each file's tests
# run on one worker, so that a module's shared servers start once, and the files that took
# longest last time start first (see tests/conftest.py).
# The terminal dashboard's tests wait for a TUI to react within seconds: they run after the
# others, alone, as they failed beside three busy workers on two cores.
test: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest -n 4 --dist loadfile --ignore=tests/dash
	$(VENV)/bin/pytest tests/dash

test-bench: $(VENV)/.installed-test
	$(VENV)/bin/pytest -m bench

bench: $(VENV)/.installed-test
	$(VENV)/bin/python bench/ingest.py

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: setup.cfg pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/pip install -e .
	touch $@

$(VENV)/.installed-test: setup.cfg pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/pip install -e '.[test]'
	touch $@
