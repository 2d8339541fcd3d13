# The two commands a newcomer needs: `make run` and `make test`. Everything else is set up on the way.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA := data
DEMO_DIR := $(DATA)/demo
DB := $(DATA)/daperf.duckdb
PORT ?= 8050
# The demo's pseudonymisation key lives outside the repository, like a real deployment's.
export DAPERF_KEY_FILE ?= $(HOME)/.config/daperf/pseudonymisation.key

.PHONY: run test test-fast test-browser bench demo-db chromium postgresql clean help

help:
	@echo "make run    - set up, generate and load the demo force, serve http://127.0.0.1:8050 (PORT=... for another)"
	@echo "make test   - set up and run every test (unit, HTTP and headless-browser)"
	@echo "make bench  - load and query timings, printed for the README"

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# Four years, not the generator's default three, so the June 2023 counting-rule change is inside the data.
$(DEMO_DIR)/.generated: | $(BIN)/.installed
	$(BIN)/daperf demo-data $(DEMO_DIR) --years 4
	touch $@

$(DB): $(DEMO_DIR)/.generated
	$(BIN)/daperf load $(DEMO_DIR) --db $(DB)

demo-db: $(BIN)/.installed $(DB)

run: demo-db
	$(BIN)/daperf serve --db $(DB) --demo --port $(PORT)

# Browser tests drive Debian's Chromium; install it when we can (root, apt) and it is missing.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Browser tests need Debian's chromium: sudo apt-get install chromium"; exit 1; fi; \
	fi

# The state-store tests start a PostgreSQL server of their own from Debian's binaries (no service runs).
postgresql:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	  else echo "The state-store tests need Debian's postgresql: sudo apt-get install postgresql"; exit 1; fi; \
	fi

test: $(BIN)/.installed chromium postgresql
	$(BIN)/python -m pytest -n 2 --dist loadgroup

test-fast: $(BIN)/.installed postgresql
	$(BIN)/python -m pytest -n 2 -m "not browser"

test-browser: $(BIN)/.installed chromium
	$(BIN)/python -m pytest -m browser

bench: $(BIN)/.installed
	$(BIN)/python scripts/bench.py

clean:
	rm -rf $(DATA) .pytest_cache
