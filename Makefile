# silkrail: `make demo` runs the main job on the embedded defaults, `make test` runs every test.
# Both set up everything first: a virtualenv with the Python packages (PyPI) and the npm data.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
WEB_STAMP := web/node_modules/.installed
SYSTEM_STAMP := $(VENV)/.system-packages
STATIC := src/silkrail/service/static

.PHONY: demo demo-live test install lint bench clean

install: $(STAMP) $(WEB_STAMP) $(SYSTEM_STAMP)

# Debian packages: PostgreSQL (the tests start a throwaway server) and Chromium (dashboard tests)
$(SYSTEM_STAMP):
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v chromium >/dev/null; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql chromium; \
	fi
	mkdir -p $(VENV) && touch $@

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,viz,sim,dist,service,postgres]'
	touch $@

$(WEB_STAMP): web/package.json web/package-lock.json $(wildcard web/dashboard/*)
	cd web && npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(STATIC)/vendor
	cp web/dashboard/* $(STATIC)/
	cp web/node_modules/leaflet/dist/leaflet.js web/node_modules/leaflet/dist/leaflet.css $(STATIC)/vendor/
	cp web/node_modules/topojson-client/dist/topojson-client.min.js $(STATIC)/vendor/
	cp web/node_modules/world-atlas/countries-50m.json $(STATIC)/vendor/
	touch $@

demo: install
	$(BIN)/silkrail network build
	$(BIN)/silkrail network validate --errors-only
	mkdir -p out
	$(BIN)/silkrail compare Hanoi Moscow --map out/hanoi-moscow.html
	@echo "map: out/hanoi-moscow.html  chart: out/hanoi-moscow.png"

# the tracking service with a day of demo events; Ctrl-C stops it
demo-live: install
	$(BIN)/silkrail network build > /dev/null
	mkdir -p out
	$(BIN)/silkrail demo-feed --out out/demo-feed.jsonl
	@export SILKRAIL_API_TOKEN=$${SILKRAIL_API_TOKEN:-demo-token}; \
	$(BIN)/silkrail serve --port $${PORT:-8000} & pid=$$!; trap "kill $$pid" INT TERM EXIT; \
	for i in $$(seq 1 120); do curl -sf http://127.0.0.1:$${PORT:-8000}/health | grep -q ok && break; sleep 1; done; \
	$(BIN)/silkrail replay out/demo-feed.jsonl --url http://127.0.0.1:$${PORT:-8000} --speed 0; \
	echo "dashboard: http://127.0.0.1:$${PORT:-8000}/  (Ctrl-C to stop)"; wait $$pid

test: install lint
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/build_and_load.py
	$(BIN)/python bench/route_vs_scgraph.py
	$(BIN)/python bench/sim_vs_simpy.py

clean:
	rm -rf $(VENV) web/node_modules .pytest_cache .mypy_cache .ruff_cache
