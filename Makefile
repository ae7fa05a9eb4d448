# Provenance: `make run` serves the portal with demo data; `make test` runs the whole suite
# on SQLite and on a throwaway PostgreSQL cluster. Both set up everything they need.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
export PORTAL_INSTANCE_PATH ?= $(CURDIR)/instance

.PHONY: run serve test test-sqlite test-postgresql system-deps lint clean help translations extract-messages

help:
	@echo "make run    - serve the portal with demo data on http://127.0.0.1:5000"
	@echo "make serve  - the production stack on this machine: migrate, gunicorn and an outbox worker (port 8000)"
	@echo "make test   - install test needs and run the suite on SQLite and PostgreSQL"
	@echo "make lint   - ruff and the layering contracts (docs/architecture.md)"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): $(STAMP) pyproject.toml
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

# Message catalogs: the .po files are committed, the compiled .mo files are not (git-ignored), so every
# target that starts the portal compiles them first; make recompiles a catalog only when its .po changed.
CATALOGS := $(wildcard portal/translations/*/LC_MESSAGES/messages.po)

translations: $(CATALOGS:.po=.mo)

portal/translations/%/LC_MESSAGES/messages.mo: portal/translations/%/LC_MESSAGES/messages.po | $(STAMP)
	$(BIN)/pybabel compile --statistics -D messages -l $* -i $< -o $@

# After marking new strings: refresh the template and merge it into fr and de (then translate the new entries).
extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -w 110 \
	  -o portal/translations/messages.pot .
	$(BIN)/pybabel update -i portal/translations/messages.pot -d portal/translations -w 110 \
	  --ignore-obsolete --no-fuzzy-matching

# The worker delivers mail beside the web server; without SMTP settings it writes instance/mail/*.eml.
run: $(STAMP) translations
	$(BIN)/flask --app portal db upgrade
	$(BIN)/flask --app portal demo load --once
	@echo "Serving on http://127.0.0.1:5000 with a mail worker (Ctrl+C stops both)"
	export PORTAL_SESSION_COOKIE_SECURE=False PORTAL_REMEMBER_COOKIE_SECURE=False PORTAL_MAIL_DELIVER_AFTER_REQUEST=False; \
	  $(BIN)/flask --app portal worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/flask --app portal run --host 127.0.0.1 --port 5000

# The production stack on one machine: migrations, gunicorn (deploy/gunicorn.conf.py) and one outbox worker.
# The database is DATABASE_URL's (PostgreSQL when it points at it), else instance/portal.sqlite3. Plain HTTP
# on 127.0.0.1:8000, so cookies go without the Secure flag; behind nginx with TLS use deploy/ and docs/deploy.md.
# The workers count rate limits in one SQLite file (instance/ratelimits.sqlite3), so a limit holds across them.
SERVE_BIND ?= 127.0.0.1:8000
serve: $(STAMP)
	$(BIN)/flask --app portal db upgrade
	@echo "Serving on http://$(SERVE_BIND) with gunicorn and an outbox worker (Ctrl+C stops both)"
	export PORTAL_SESSION_COOKIE_SECURE=False PORTAL_REMEMBER_COOKIE_SECURE=False PORTAL_MAIL_DELIVER_AFTER_REQUEST=False \
	  PORTAL_LOG_FORMAT=$${PORTAL_LOG_FORMAT:-json} GUNICORN_BIND=$(SERVE_BIND) \
	  PORTAL_RATELIMIT_STORAGE_URI=$${PORTAL_RATELIMIT_STORAGE_URI:-sqlite:///$(PORTAL_INSTANCE_PATH)/ratelimits.sqlite3}; \
	  $(BIN)/flask --app portal worker & worker=$$!; trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	  $(BIN)/gunicorn -c deploy/gunicorn.conf.py

# Debian packages the tests need: PostgreSQL server binaries, Chromium for the browser tests,
# the libraries WeasyPrint renders with. Installed only when missing, and only as root.
system-deps:
	@missing=""; \
	command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	ldconfig -p 2>/dev/null | grep -q libpango-1.0 || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	fc-list 2>/dev/null | grep -qi dejavu || missing="$$missing fonts-dejavu-core"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing:$$missing"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "Missing Debian packages:$$missing (run as root, or install them)"; exit 1; fi; \
	fi

test: system-deps $(TEST_STAMP) translations
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgresql

test-sqlite: $(TEST_STAMP) translations
	PORTAL_TEST_DB=sqlite $(BIN)/python -m pytest -q -n 2 --dist loadfile

test-postgresql: $(TEST_STAMP) translations
	PORTAL_TEST_DB=postgresql $(BIN)/python -m pytest -q -n 2 --dist loadfile

# ruff, then the layering contracts of pyproject.toml ([tool.importlinter], docs/architecture.md); CI runs this first.
lint: $(TEST_STAMP)
	$(BIN)/python -m ruff check portal tests bench
	$(BIN)/lint-imports --no-cache

clean:
	rm -rf $(VENV) test-artifacts .pytest_cache

# Full-size benchmarks (tens of minutes; never part of `make test`): bench/README.md lists what each prints,
# docs/performance.md the figures. The reduced sizes of the same scripts are quick to run by hand.
.PHONY: bench
bench: system-deps $(TEST_STAMP) translations
	@command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk"; exit 1; }
	$(BIN)/python bench/lookup.py
	$(BIN)/python bench/verify.py
	$(BIN)/python bench/recall_launch.py
	$(BIN)/python bench/recall_launch.py --postgresql
	$(BIN)/python bench/import_units.py --rows 1000000
	$(BIN)/python bench/import_units.py --rows 1000000 --postgresql
	PORTAL_LOAD_SCALE=5 PORTAL_TEST_DB=postgresql $(BIN)/python -m pytest -q tests/load
