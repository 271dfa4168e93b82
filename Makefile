# The two commands of the README: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= config.example.toml

.PHONY: run test test-pg venv secret migrate bench clean

$(BIN)/quotemaild: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

venv: $(BIN)/quotemaild

secret: var/secret

var/secret:
	mkdir -p var
	umask 077 && $(PY) -c 'import secrets; print(secrets.token_urlsafe(32))' > $@

migrate: venv secret
	$(BIN)/quotemaild --config $(CONFIG) migrate

run: migrate
	$(BIN)/quotemaild --config $(CONFIG) serve

test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The store, service and integration tests again on a private PostgreSQL server (started and
# removed by the tests themselves; needs Debian's `postgresql` package).
test-pg: venv
	$(BIN)/python -m pytest --store=postgresql tests/store tests/integration $(PYTEST_ARGS)

bench: venv
	$(BIN)/python -m quotemaild.bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var build *.egg-info
