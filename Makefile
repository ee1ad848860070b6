# Classpoint: `make run` starts the whole product with demo data; `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-dev lint format migrate demo worker clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt $(VENV)/bin/python
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

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

test: install-dev
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) var/classpoint.sqlite3* var/media var/staticfiles
