# Classpoint: `make run` starts the whole product with demo data; `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-dev lock lint format migrate demo worker clean stack stack-down

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Installs come from the hash-locked files (the whole tree, every file's sha256), never from the
# loose requirements*.txt: a changed or swapped release on the index fails the install.
$(VENV)/.installed: requirements.lock $(VENV)/bin/python
	$(PIP) install --quiet --require-hashes -r requirements.lock
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock $(VENV)/.installed
	$(PIP) install --quiet --require-hashes -r requirements-dev.lock
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Regenerate both locks after editing requirements*.txt. Pins already in a lock are kept unless
# requirements*.txt asks otherwise; bump one transitive package with
# `make lock LOCK_ARGS="--upgrade-package urllib3"`. The dev lock is resolved within the runtime
# lock, so both install the same runtime versions. pip-tools runs from a throwaway venv.
PIP_TOOLS := pip-tools==7.7.0
LOCK_FLAGS := --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links
lock:
	@tools=$$(mktemp -d) && trap 'rm -rf "$$tools"' EXIT && \
	$(PYTHON) -m venv "$$tools" && "$$tools/bin/pip" install --quiet $(PIP_TOOLS) && \
	"$$tools/bin/pip-compile" $(LOCK_FLAGS) $(LOCK_ARGS) -o requirements.lock requirements.txt && \
	"$$tools/bin/pip-compile" $(LOCK_FLAGS) $(LOCK_ARGS) -c requirements.lock -o requirements-dev.lock requirements-dev.txt

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py seed_demo

# Web server and task cluster together; one Ctrl-C stops both. Two-step sign-in is relaxed for
# the demo only (CLASSPOINT_REQUIRE_2FA=true brings it back). Links the demo seeds and hands out
# name the address it serves on unless SITE_URL is set (a wildcard HOST hands out 127.0.0.1).
run: export SITE_URL ?= http://$(if $(filter 0.0.0.0 :: [::],$(HOST)),127.0.0.1,$(HOST)):$(PORT)
run: demo
	@HOST=$(HOST) PORT=$(PORT) CLASSPOINT_REQUIRE_2FA=$${CLASSPOINT_REQUIRE_2FA:-false} PY=$(PY) bash scripts/run-dev.sh

worker: install
	$(PY) manage.py outbox_worker

# The production-shaped stack on this machine (PostgreSQL primary + replica, PgBouncer, Redis, two
# gunicorn nodes behind nginx, two task clusters, Prometheus, Alertmanager): docs/deploy.md.
# Its parts are Debian's packages; a fresh machine gets the missing ones (needs root and apt-get).
STACK_PACKAGES := nginx pgbouncer redis-server prometheus prometheus-alertmanager postgresql-15
stack: install
	@missing=$$(for p in $(STACK_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing $$missing"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing >/dev/null 2>&1 \
	    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing >/dev/null; }; \
	fi
	scripts/stack up

stack-down:
	scripts/stack down

test: install-dev
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# The layers contract (pyproject.toml, docs/architecture.md) is part of lint: an import that
# goes up a layer, or across between siblings, fails here and in CI.
lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) var/classpoint.sqlite3* var/media var/staticfiles
