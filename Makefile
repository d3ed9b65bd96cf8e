# silkrail: `make demo` runs the main job on the embedded defaults, `make test` runs every test.
# Both set up everything first: a virtualenv with the Python packages (PyPI) and the npm data.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
WEB_STAMP := web/node_modules/.installed
SYSTEM_STAMP := $(VENV)/.system-packages
STATIC := src/silkrail/service/static

.PHONY: demo demo-service stop test install lint bench clean

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
	cp web/node_modules/swagger-ui-dist/swagger-ui-bundle.js web/node_modules/swagger-ui-dist/swagger-ui.css $(STATIC)/vendor/
	touch $@

# the routing comparison, then the tracking service in the background on a day of demo events
demo: install
	$(BIN)/silkrail network build
	$(BIN)/silkrail network validate --errors-only
	mkdir -p out
	$(BIN)/silkrail compare Hanoi Moscow --map out/hanoi-moscow.html
	@echo "map: out/hanoi-moscow.html  chart: out/hanoi-moscow.png"
	@$(MAKE) --no-print-directory demo-service

DEMO_PORT  ?= 8000
DEMO_TOKEN ?= demo-token-of-this-machine-not-a-secret
DEMO_DB    := out/demo-tracking.sqlite

# the tracking service (its own demo database) fed live with demo events: the last 21 hours at
# once, the next 3 as they fall due; `make stop` ends both
demo-service: install
	@$(MAKE) --no-print-directory stop
	mkdir -p out
	$(BIN)/silkrail demo-feed --ahead 3 --out out/demo-feed.jsonl
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	SILKRAIL_API_TOKEN=$(DEMO_TOKEN) nohup $(BIN)/silkrail serve --db sqlite:///$(CURDIR)/$(DEMO_DB) \
		--port $(DEMO_PORT) > out/service.log 2>&1 & echo $$! > out/service.pid
	@for i in $$(seq 1 120); do \
		kill -0 $$(cat out/service.pid) 2>/dev/null || { echo "the service stopped; out/service.log says:"; tail -n 5 out/service.log; exit 1; }; \
		$(BIN)/python -c "import httpx, sys; sys.exit(httpx.get('http://127.0.0.1:$(DEMO_PORT)/health', timeout=1).json()['status'] != 'ok')" 2>/dev/null && break; \
		sleep 1; \
	done
	nohup $(BIN)/silkrail replay out/demo-feed.jsonl --url http://127.0.0.1:$(DEMO_PORT) --token $(DEMO_TOKEN) \
		--live > out/replay.log 2>&1 & echo $$! > out/replay.pid
	@for i in $$(seq 1 120); do \
		grep -q "caught up" out/replay.log && break; \
		kill -0 $$(cat out/replay.pid) 2>/dev/null || { echo "the replay stopped; out/replay.log says:"; tail -n 5 out/replay.log; exit 1; }; \
		sleep 1; \
	done
	@grep "caught up" out/replay.log
	@echo "dashboard: http://127.0.0.1:$(DEMO_PORT)/   API docs: http://127.0.0.1:$(DEMO_PORT)/docs   token: $(DEMO_TOKEN)"
	@echo "trains keep reporting for 3 hours (logs: out/service.log, out/replay.log); 'make stop' ends it all"

# stop the demo service and its replay
stop:
	@if [ -f out/replay.pid ]; then kill $$(cat out/replay.pid) 2>/dev/null || true; rm -f out/replay.pid; fi
	@if [ -f out/service.pid ]; then \
		pid=$$(cat out/service.pid); rm -f out/service.pid; \
		if kill $$pid 2>/dev/null; then \
			for i in $$(seq 1 50); do kill -0 $$pid 2>/dev/null || break; sleep 0.2; done; \
			echo "stopped the demo service"; \
		fi; \
	fi

test: install lint
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/build_and_load.py
	$(BIN)/python bench/route_vs_scgraph.py
	$(BIN)/python bench/sim_vs_simpy.py
	$(BIN)/python bench/resilience.py
	$(BIN)/python bench/ingest_load.py

clean:
	rm -rf $(VENV) web/node_modules .pytest_cache .mypy_cache .ruff_cache
