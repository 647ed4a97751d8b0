# Two commands on a fresh machine with Python 3.11+ and make:
#   make run    create .venv, migrate, load the demo, serve web + Celery worker + beat
#   make test   ruff, makemigrations --check, the whole pytest suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT
# Two test processes (pytest-xdist), whole files each: every process has its own test
# database and Redis database (config/settings/test.py). PYTEST_ARGS= runs in one.
PYTEST_ARGS ?= -n 2 --dist loadfile

.PHONY: run test install lint typecheck pytest benchmark chaos mutations clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Decision Ledger needs Python 3.11 or newer ($(PYTHON) is older)." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install
	bin/run-dev

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DATABASE_URL=sqlite://:memory: $(BIN)/mypy
	@# An in-memory database: the check needs the models, not a server.
	DATABASE_URL=sqlite://:memory: $(BIN)/python manage.py makemigrations --check --dry-run \
		--settings=config.settings.test

# pytest exits 5 when it collected no test: that is a failure here, never a pass.
pytest: install
	@status=0; $(BIN)/python -m pytest $(PYTEST_ARGS) || status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; \
	exit $$status

test: lint pytest

# Builds its own database (bench_<name>) on the PostgreSQL in DATABASE_URL; see
# docs/benchmarks.md. BENCHMARK_ARGS="--armed 100000 --due 1000" for a smaller sweep.
benchmark: install
	$(BIN)/python -m benchmarks $(BENCHMARK_ARGS)

# Kill workers, beat, web and the broker while triggers fire; count what was lost or sent
# twice (docs/reliability.md). Needs PostgreSQL and redis-server; CHAOS_* variables or
# CHAOS_ARGS="--triggers 300 --faults 200 --duration 1200 --seed 7" set the run.
chaos: install
	$(BIN)/python -m tests.chaos $(CHAOS_ARGS)

# One-place changes to the state machines and firing rules, each run against the tests
# that guard it; survivors are listed (docs/testing.md). Not part of make test.
mutations: install
	$(BIN)/python -m tests.mutations $(MUTATION_ARGS)

clean:
	rm -rf $(VENV) var/ledger.sqlite3* var/broker var/mail var/log var/celerybeat-schedule*
