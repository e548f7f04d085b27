# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := chromium fonts-noto-cjk poppler-utils gettext
# A local install runs with DEBUG on; production sets DEBUG=false and the rest (README).
export DEBUG ?= true

.PHONY: run test venv dev-venv system-packages lint lock messages schema clean

# A new venv's own pip can be too old for the locks (pip 23.2 calls a hashed pin's extra, fonttools[woff],
# unpinned once a newer fonttools exists): the locked pip, by its hashes, goes in first.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	sed -n '/^pip==/,/[^\\]$$/p' requirements-dev.lock | $(BIN)/pip install --quiet --require-hashes -r /dev/stdin

# Installs are from the lock files only: every package, direct or not, at the version and hash locked.
venv: $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock

dev-venv: $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock

# After editing requirements.txt or requirements-dev.txt (what we ask for): resolve and hash the whole set.
# Pins already locked are kept while they still fit; `make lock LOCK_ARGS=--upgrade` moves everything to the newest.
# The dev lock is constrained by the production lock, so both install the same version of what they share.
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe \
	--strip-extras --no-emit-index-url --no-emit-find-links $(LOCK_ARGS)
lock: $(BIN)/python
	$(BIN)/pip install --quiet "$$(grep '^pip-tools==' requirements-dev.txt)"
	$(PIP_COMPILE) --output-file requirements.lock requirements.txt
	$(PIP_COMPILE) --constraint requirements.lock --output-file requirements-dev.lock requirements-dev.txt

run: dev-venv
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo
	@echo "Open http://127.0.0.1:$${WEB_PORT:-8000}/ (Ctrl-C stops web, worker and beat)"
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start

# Browser tests need Debian's chromium; PDFs need CJK fonts and poppler.
system-packages:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "Installing:$$missing"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

lint: dev-venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports  # who may import whom: the contracts in pyproject.toml
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml

test: system-packages dev-venv lint
	$(BIN)/pytest $(PYTEST_ARGS)

# After changing user-visible strings: update the catalogue, translate, then compile.
messages: dev-venv
	$(BIN)/python manage.py makemessages --locale zh_Hans --ignore '$(VENV)/*' --no-obsolete
	$(BIN)/python manage.py compilemessages --locale zh_Hans --ignore '$(VENV)/*'

# After changing the API: write its OpenAPI schema again (tests/api/test_schema.py fails until the file matches).
schema: dev-venv
	$(BIN)/python manage.py spectacular --lang en --validate --fail-on-warn --file crm/api/openapi.yaml

clean:
	rm -rf $(VENV) staticfiles var db.sqlite3
