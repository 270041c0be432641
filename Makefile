# Two commands work on a fresh machine with only python3, pip and make:
#   make demo   create .venv, install matcher alone, solve the built-in Shanxi-like province
#   make test   create .venv, install matcher with test extras, build the docs, run the whole suite
#               on 2 cores
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo serve test docs lint bench bench-portal bench-service clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The demo needs the package and its core dependencies only; everything else needs every extra.
$(VENV)/.core: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# The service needs the package and its service extra.
$(VENV)/.service: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[service]'
	touch $@

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $@

demo: $(VENV)/.core
	$(BIN)/matcher demo

# The HTTP service on 127.0.0.1:8000 (OpenAPI at /openapi.json), dispatch logs in
# matcher-service.sqlite, the Shanxi-like province stored as dispatch "demo" (docs/service.md).
serve: $(VENV)/.service
	$(BIN)/matcher serve --db matcher-service.sqlite --demo

# Both cores (pytest-xdist); every test is independent of the others and of their order.
test: $(VENV)/.installed docs
	$(BIN)/python -m pytest -n 2

# The site (guide, API reference from the docstrings, benchmark results) into site/; any warning,
# such as a broken link or a docstring that no longer matches its signature, fails the build.
docs: $(VENV)/.installed
	$(BIN)/mkdocs build --strict

lint: $(VENV)/.installed
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples
	$(BIN)/mypy

# The whole benchmark suite in one run (every scale, every peer, the profile): about 25 minutes
# on 2 cores; writes benchmarks/RESULTS.md. BENCH_ARGS adds options, e.g. BENCH_ARGS=--repeat=1.
BENCH_ARGS ?=
bench: $(VENV)/.installed
	$(BIN)/python benchmarks/run.py --sizes shanxi,province,national,xlarge $(BENCH_ARGS)

# The portal benchmark (request latency, first call against steady state, import time,
# pair-score loading): writes its block into benchmarks/RESULTS.md. BEFORE=path/to/src adds a
# "before" column measured in the same run (about 10 minutes on 2 cores).
BEFORE ?=
bench-portal: $(VENV)/.installed
	$(BIN)/python benchmarks/portal.py $(if $(BEFORE),--before-src $(BEFORE)) $(BENCH_ARGS)

# The service under load: 16 clients, 2,000 answers to a dispatch of 10,000 needs, on SQLite and
# on PostgreSQL (MATCHER_TEST_PG_URL, as .ci/run sets it), then with the server killed twice;
# writes its block into benchmarks/RESULTS.md (a few minutes on 2 cores).
bench-service: $(VENV)/.installed
	$(BIN)/python benchmarks/service.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build dist site matcher-service.sqlite* src/*.egg-info .pytest_cache .hypothesis .mypy_cache .ruff_cache
