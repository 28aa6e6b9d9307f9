# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test bench bench-scale bench-retakes bench-verdict bench-capacity audit lint clean screenshots walkthrough

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

# Saturates /healthz and each taker request in turn on one gunicorn with wrk, which
# comes from Debian's packages and is installed here when missing (with sudo unless root).
bench-capacity: $(VENV)/.bench
	@command -v wrk >/dev/null || { \
		sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo"; \
		apt="$$sudo env DEBIAN_FRONTEND=noninteractive apt-get"; \
		$$apt install -y -qq wrk >/dev/null 2>&1 || \
		{ $$apt update -qq && $$apt install -y -qq wrk >/dev/null; }; }
	$(BIN)/python bench/capacity.py $(CAPACITY_ARGS)

# Regenerates docs/screenshots/ (README links them): the app on a fresh database with
# seeded attempts, photographed by Chromium (/usr/bin/chromium, or QUIZ_CHROMIUM).
# `make screenshots SCREENSHOT_ARGS=--heights` measures the result page's height instead.
screenshots: $(VENV)/.test
	$(BIN)/python bench/screenshots.py $(SCREENSHOT_ARGS)

# Issue 18's walk-through in Chromium: a coach creates a cohort, three takers answer through
# its link, the coach reads its page (docs/screenshots/cohort-*.png, invitation-phone.png).
walkthrough: $(VENV)/.test
	$(BIN)/python bench/cohort_walkthrough.py $(WALKTHROUGH_ARGS)

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
