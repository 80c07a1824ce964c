# Two entry points: `make run` (set up, then the main job) and `make test` (set up, then every test).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB ?= sqlite:///instance/jointreview.db
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PYTEST_ARGS ?=

.PHONY: setup run test bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	rm -f $(VENV)/.installed-*
	touch $@

setup: $(STAMP)

run: setup
	$(BIN)/jointreview --db $(DB) demo
	$(BIN)/python -m workflows.walkthrough --db $(DB)

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: setup
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/long_case.py

clean:
	rm -rf $(VENV) instance .pytest_cache test-artifacts
