# The two commands of the README: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= config.example.toml

.PHONY: run test test-pg test-reliability soak venv secret migrate bench clean messages

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

# The first `make run` creates a tenant and an admin for the web app and prints the password
# once (set another with `quotemaild user set-password EMAIL --password-file F`).
ADMIN_EMAIL ?= admin@example.com
var/first-admin: | migrate
	@$(BIN)/quotemaild --config $(CONFIG) tenant show demo >/dev/null 2>&1 || \
		$(BIN)/quotemaild --config $(CONFIG) tenant add "Demo" --slug demo --language nl >/dev/null
	@umask 077; pw=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(12))'); \
		printf '%s' "$$pw" > var/.first-password; \
		$(BIN)/quotemaild --config $(CONFIG) user add --tenant demo --name Admin --email $(ADMIN_EMAIL) \
			--role admin --password-file var/.first-password >/dev/null; rc=$$?; rm -f var/.first-password; \
		[ $$rc -eq 0 ] && echo "Web app: http://127.0.0.1:9025/  log in as $(ADMIN_EMAIL) with password $$pw (shown once)" \
		&& touch $@

run: migrate var/first-admin
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

# The store, service and integration tests again on a private PostgreSQL server (started and
# removed by the tests themselves; needs Debian's `postgresql` package).
test-pg: venv
	$(BIN)/python -m pytest --store=postgresql tests/store tests/integration $(PYTEST_ARGS)

bench: venv
	$(BIN)/python -m quotemaild.bench $(BENCH_ARGS)

# Web app catalogues: extract the texts of pages and handlers, merge them into each web.po.
messages: venv
	mkdir -p build
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --omit-header --sort-output -o build/web.pot .
	for lang in nl fr en; do $(BIN)/pybabel update -i build/web.pot -D web -d quotemaild/locale -l $$lang \
		--no-wrap --no-fuzzy-matching; done

clean:
	rm -rf $(VENV) var build *.egg-info
