# Two commands for a newcomer:
#   make run    set up everything (venv, install, config, migrate, seed, demo data) and serve
#   make test   run the whole suite on SQLite, and again on PostgreSQL when TEST_DATABASE_URL is set
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app center
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=

.PHONY: run test setup install translations messages demo-data

# The web server and, beside it, the one scheduler process (periodic jobs: weekly drafts,
# reminders, mail). Web processes never run jobs. The scheduler stops with the web server.
run: setup
	@echo "Center is serving at http://$(HOST):$(PORT)  (Ctrl-C stops it and the scheduler)"
	@$(FLASK) scheduler & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null; wait $$scheduler 2>/dev/null || true' EXIT; \
	$(FLASK) run --host $(HOST) --port $(PORT)

setup: install instance/config.py translations
	$(FLASK) db upgrade
	$(FLASK) seed
	@$(MAKE) --no-print-directory demo-data

install: $(STAMP)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else \
		"Center needs Python 3.11 or newer; this is " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the package definition changed.
$(STAMP): setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $(STAMP)

instance/config.py:
	mkdir -p instance
	umask 077 && $(BIN)/python -c 'import secrets; print(f"SECRET_KEY = {secrets.token_hex(32)!r}")' > $@
	@echo "wrote $@ with a new random SECRET_KEY"

translations: install
	@if compgen -G "center/translations/*/LC_MESSAGES/*.po" > /dev/null; then \
		$(BIN)/pybabel compile --use-fuzzy -d center/translations; \
	fi

# Extract UI text and merge it into the English catalog (new entries arrive empty).
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		-o /tmp/center-messages.pot .
	$(BIN)/pybabel update -i /tmp/center-messages.pot -d center/translations --no-fuzzy-matching \
		--ignore-obsolete

# Demo data only into an empty database; otherwise list the accounts that exist.
define LIST_USERS
from sqlalchemy import select
from center import create_app
from center.extensions import db
from center.models.accounts import User
try:
    from center.services.demo import DEMO_USERS
except ImportError:
    DEMO_USERS = []
demo_passwords = {user[0]: user[-1] for user in DEMO_USERS}
with create_app().app_context():
    rows = db.session.execute(select(User.role, User.username).where(User.is_active)
                              .order_by(User.id).limit(20)).all()
for role, name in rows:
    print(f"  {role:<11} {name:<16} {demo_passwords.get(name, '')}".rstrip())
endef
export LIST_USERS

demo-data: install instance/config.py
	@users="$$($(BIN)/python -c "$$LIST_USERS")"; \
	if [ -z "$$users" ]; then \
		$(FLASK) demo-data; \
	else \
		echo "The database already has users, so demo data was not loaded again."; \
		echo "Active logins (demo password shown for demo users, unless it was changed since):"; \
		echo "$$users"; \
		echo "To start over with fresh demo data: delete instance/center.db, then make run."; \
	fi

# pytest's exit code 5 (no tests collected) fails here like any other failure.
test: install translations
	@echo "== tests on SQLite"
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest -q $(PYTEST_ARGS)
	@if [ -n "$${TEST_DATABASE_URL:-}" ]; then \
		echo "== tests on PostgreSQL ($${TEST_DATABASE_URL})"; \
		$(BIN)/python -m pytest -q -m "not e2e" $(PYTEST_ARGS); \
	else \
		echo "(TEST_DATABASE_URL not set: PostgreSQL run skipped)"; \
	fi
