# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test bench bench-scale bench-retakes bench-verdict audit lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.app: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

$(VENV)/.bench: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[bench]'
	touch $@

run: $(VENV)/.app
	$(BIN)/quiz init-db
	$(BIN)/quiz serve --host 127.0.0.1 --port 5000

test: $(VENV)/.test
	$(BIN)/ruff check quiz tests bench
	$(BIN)/python -m pytest

bench: $(VENV)/.bench
	$(BIN)/python bench/run.py $(BENCH_ARGS)

bench-scale: $(VENV)/.bench
	$(BIN)/python bench/scale.py $(SCALE_ARGS)

bench-retakes: $(VENV)/.bench
	$(BIN)/python bench/retakes.py $(RETAKE_ARGS)

bench-verdict: $(VENV)/.app
	$(BIN)/python bench/verdict.py $(VERDICT_ARGS)

# Needs a vulnerability database (PyPI's JSON API or OSV); --strict fails rather than
# passing when a dependency cannot be looked up.
audit: $(VENV)/.test
	$(BIN)/pip install --quiet pip-audit
	$(BIN)/pip-audit --strict --disable-pip --no-deps -r .ci/requirements.lock

lint: $(VENV)/.test
	$(BIN)/ruff check quiz tests bench
	$(BIN)/ruff format --check quiz tests bench

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache
