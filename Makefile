# Development and CI entry points; `make help` lists them. Every target installs the
# pinned requirements into .venv first, and again only when a requirements file changes.

PYTHON := $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

# The PostgreSQL server `make test` uses; pytest-django creates test_<name> beside <name>.
DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/todo

.DEFAULT_GOAL := help
.PHONY: help install run test test-sqlite test-postgres test-pooled bench bench-quick fuzz lint format check-migrations check-deploy

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

install: $(INSTALLED)  ## Create .venv and install the requirements

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check --requirement requirements-dev.txt
	touch $@

run: install  ## Migrate and serve at http://127.0.0.1:8000 with DEBUG on (SQLite unless DATABASE_URL is given)
	DEBUG=true $(BIN)/python manage.py migrate --noinput
	DEBUG=true $(BIN)/python manage.py runserver 127.0.0.1:8000

test: test-sqlite test-postgres  ## Run the tests on SQLite, then on PostgreSQL

test-sqlite: install
	DATABASE_URL=sqlite://:memory: $(BIN)/pytest

# The URL stays out of the output: one given on the command line may hold a password.
test-postgres: install
	@pg_isready --quiet --timeout=5 --dbname="$(DATABASE_URL)" || { \
		echo "PostgreSQL at DATABASE_URL is not reachable: start it, or pass DATABASE_URL=..." >&2; \
		exit 1; }
	@echo "DATABASE_URL=<PostgreSQL> $(BIN)/pytest"
	@DATABASE_URL="$(DATABASE_URL)" $(BIN)/pytest

# Through PgBouncer in transaction mode (`.ci/start-pgbouncer` starts one on port 6432).
POOLED_DATABASE_URL ?= postgres://postgres@127.0.0.1:6432/todo_pooled

test-pooled: install  ## Run the tests on PostgreSQL through PgBouncer in transaction mode
	@pg_isready --quiet --timeout=5 --dbname="$(POOLED_DATABASE_URL)" || { \
		echo "No PgBouncer at POOLED_DATABASE_URL: run .ci/start-pgbouncer first" >&2; \
		exit 1; }
	@echo "DATABASE_URL=<PgBouncer> DATABASE_POOLED=true $(BIN)/pytest"
	@DATABASE_URL="$(POOLED_DATABASE_URL)" DATABASE_POOLED=true $(BIN)/pytest

bench: install  ## Benchmark at 10k users and 100k tasks on PostgreSQL (under 10 minutes)
	$(BIN)/python bench/run.py

bench-quick: install  ## The benchmark's smoke run (under 2 minutes)
	$(BIN)/python bench/run.py --quick

fuzz: install  ## Fuzz the live service with schemathesis from its own schema (PostgreSQL)
	scripts/fuzz_api.sh

lint: install  ## Check the code with ruff, changing nothing
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install  ## Fix what ruff can fix, then format
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check-migrations: install  ## Fail when a model change has no migration
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run

# A production configuration as a platform would give it, with a throwaway key.
check-deploy: install  ## Run Django's deployment checklist under a production configuration
	DEBUG=false ALLOWED_HOSTS=api.example.com SECURE_SSL=true \
	SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	$(BIN)/python manage.py check --deploy --fail-level WARNING
