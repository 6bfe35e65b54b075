# Two commands on a fresh machine: `make dev` (product on the embedded Snowflake) and `make test`.
# uv is installed with pip when missing; it then installs Python dependencies from uv.lock.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)
RUN := $(UV) run --locked

.PHONY: dev test test-fast lint format demo validate seed bench-load bench-incremental bench-dispatcher bench-schedules bench-run-cpu bench-conditions bench-imports bench-peer bench-diff uv sync

uv:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv

sync: uv
	@$(UV) sync --locked --quiet

dev: sync   ## start the local Snowflake, seed it, open Dagster on http://127.0.0.1:3000
	$(RUN) model-jobs dev

test: sync  ## the whole test suite, on its own embedded Snowflake
	$(RUN) pytest -q -n 2

test-fast: sync  ## the pure tests only (no warehouse, no servers): seconds, for every change
	$(RUN) pytest -q -m "not warehouse and not e2e and not slow"

lint: sync  ## ruff (lint + format check), mypy, and the import layering contracts
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy
	$(RUN) lint-imports

format: sync  ## apply ruff's fixes and formatting
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

demo: sync  ## materialize every Model Job once and print what was written
	$(RUN) model-jobs demo

validate: sync
	$(RUN) model-jobs validate

seed: sync
	$(RUN) model-jobs seed

bench-load: sync  ## code-location load time vs a plain Dagster Definitions
	$(RUN) python bench/load_time.py

bench-incremental: sync  ## incremental run vs full refresh vs hand-written SQL, 5,000,000 rows
	$(RUN) python bench/incremental.py

bench-dispatcher: sync  ## one dispatcher evaluation: 1,000 event-triggered Model Jobs, 10,000 past events, 100 new
	$(RUN) python bench/dispatcher.py

bench-schedules: sync  ## the scheduler daemon's iteration with 1,000 schedules (one per scheduled Model Job)
	$(RUN) python bench/schedules.py

bench-run-cpu: sync  ## CPU per daemon-launched run in `model-jobs dev` (default run launcher)
	$(RUN) python bench/run_cpu.py

bench-diff: sync  ## model-jobs diff of 1,000,000 rows vs building the same table, counts checked
	$(RUN) python bench/data_diff.py

bench-conditions: sync  ## conditions of 500 Model Jobs, 200 sources x 3 environments: freshness in a statement per environment, checks
	$(RUN) python bench/conditions.py

bench-imports: sync  ## code-location load of the demo vs `import dagster`, fresh processes
	$(RUN) python bench/import_cost.py

# dbt (group `peer`) conflicts with the dev group, so it lives in a virtual environment of its own.
bench-peer: uv  ## `model-jobs run` vs `dbt run` (dbt-core 1.10, dbt-snowflake), 1,000,000 rows: incremental, no-op, full refresh
	UV_PROJECT_ENVIRONMENT=bench/out/peer-venv $(UV) run --locked --no-default-groups --group peer python bench/peer_dbt.py
