# registry — `make run` and `make test` are the two set-up commands (see README).
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export SPATIALITE_LIBRARY_PATH ?= mod_spatialite
export FLASK_APP := wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
APT_PACKAGES := libsqlite3-mod-spatialite fonts-dejavu-core

.PHONY: help system-deps install run serve db-upgrade db-revision load-data test test-fast lint fmt \
        i18n-extract i18n-update i18n-compile i18n-check bench e2e-deps clean

help: ## list the targets
	@grep -E '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

system-deps: ## install Debian packages (SpatiaLite); prints the command when not root
	@if (ls /usr/lib/*/mod_spatialite.so || ls /usr/lib/mod_spatialite.so) >/dev/null 2>&1 \
	    && ls /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf >/dev/null 2>&1; then \
	  echo "SpatiaLite and DejaVu fonts: present"; \
	elif [ "$$(id -u)" = "0" ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES); \
	else \
	  echo "Missing system packages. Run:  sudo apt-get install -y $(APT_PACKAGES)"; exit 1; \
	fi

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

install: system-deps $(VENV)/.installed i18n-compile ## create .venv and install the package

db-upgrade: install ## apply migrations
	REGISTRY_CONFIG=config.DevelopmentConfig $(BIN)/flask db upgrade

load-data: db-upgrade ## load reference and demo data (idempotent)
	REGISTRY_CONFIG=config.DevelopmentConfig $(BIN)/flask geography load
	REGISTRY_CONFIG=config.DevelopmentConfig $(BIN)/flask facilities load-types
	REGISTRY_CONFIG=config.DevelopmentConfig $(BIN)/flask planning load
	REGISTRY_CONFIG=config.DevelopmentConfig $(BIN)/flask demo load

run: load-data ## install, migrate, load data and serve on http://127.0.0.1:5000
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl+C to stop)"
	REGISTRY_CONFIG=config.DevelopmentConfig $(BIN)/flask run --host $(HOST) --port $(PORT)

db-revision: install ## autogenerate a migration: make db-revision m="message" (against PostGIS)
	REGISTRY_CONFIG=config.DevelopmentConfig $(BIN)/flask db migrate -m "$(m)"

e2e-deps: ## Chromium for the browser tests (Debian package; root installs it)
	@if command -v chromium >/dev/null 2>&1; then echo "Chromium: present"; \
	elif [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else echo "Chromium is missing. Run:  sudo apt-get install -y chromium"; exit 1; fi

test: install e2e-deps ## lint, formatting, module boundaries, types, translations, the whole suite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check registry tests bench scripts
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python scripts/i18n_check.py
	$(BIN)/python -m pytest -p no:cacheprovider

lint: install ## ruff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check registry tests bench scripts

fmt: install ## fix lint findings and format the code
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format registry tests bench scripts

i18n-extract: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -o registry/translations/messages.pot .

i18n-update: i18n-extract ## refresh the catalogues from the source
	$(BIN)/pybabel update -i registry/translations/messages.pot -d registry/translations --no-fuzzy-matching

i18n-compile: $(VENV)/.installed
	$(BIN)/pybabel compile -d registry/translations

i18n-check: $(VENV)/.installed ## fail when a string lacks its Vietnamese translation
	$(BIN)/python scripts/i18n_check.py

bench: install ## run the benchmarks and write docs/BENCHMARKS.md
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
