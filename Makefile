# Two entry points: `make run` (set up, demo data, the web app under gunicorn and the worker) and `make test`.
PYTHON ?= python3
PORT ?= 5000
VENV := .venv
BIN := $(VENV)/bin
DB ?= sqlite:///instance/jointreview.db
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PYTEST_ARGS ?=
# `make test` runs the suite in parallel processes (pytest-xdist); TEST_WORKERS=0 runs it in this process.
TEST_WORKERS ?= 3

.PHONY: setup run walkthrough test bench clean

$(STAMP): pyproject.toml web/package.json web/package-lock.json $(wildcard web/modeler/*.js)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	cd web && npm ci --no-audit --no-fund --silent && npm run build --silent
	rm -f $(VENV)/.installed-*
	touch $@

setup: $(STAMP)

run: setup
	$(BIN)/jointreview --db $(DB) demo
	$(BIN)/jointreview --db $(DB) worker --name make-run & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	  $(BIN)/jointreview --db $(DB) serve --port $(PORT)

walkthrough: setup
	$(BIN)/python -m workflows.walkthrough --db $(DB)

test: setup
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist load --maxschedchunk 1 $(PYTEST_ARGS)

bench: setup
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/long_case.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/budget.py

clean:
	rm -rf $(VENV) instance .pytest_cache test-artifacts web/node_modules
