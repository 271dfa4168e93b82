# The two commands of the README: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= config.example.toml

.PHONY: run test test-reliability soak venv secret migrate bench clean

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
	$(BIN)/python -m pytest -m "not reliability" $(PYTEST_ARGS)

# Faults, abusive clients and a short soak (RELIABILITY.md); `make test` leaves them out.
test-reliability: venv
	$(BIN)/python -m pytest tests/reliability -m reliability $(PYTEST_ARGS)

# The soak on its own, for DURATION seconds (default 1800) at RATE messages a second.
DURATION ?= 1800
RATE ?= 8
soak: venv
	$(BIN)/python -m tests.reliability.soak --duration $(DURATION) --rate $(RATE)

bench: venv
	$(BIN)/python -m quotemaild.bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var build *.egg-info
