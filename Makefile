# `make test` installs everything the tests need and runs all three layers.
# It is what .ci/run runs, and what the README's second command is.
SHELL := /bin/bash
PY ?= python3

.PHONY: test deps browser lint unit js e2e notebooks quickstart

test: deps lint js unit notebooks e2e

deps: browser
	npm ci --no-audit --no-fund
	$(PY) -m pip install --quiet -e ".[test]"

# Debian's Chromium: Playwright cannot download its own browser here.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "Install Chromium first: sudo apt-get install -y chromium" >&2; exit 1; fi; \
	fi

lint:
	ruff check .
	ruff format --check .
	mypy
	npm run typecheck

js:
	npx vitest run

# Tests that pass no cache_dir= would write to the user's cache folder and read back what an
# earlier run left there: the unit and notebook layers get a cache folder of their own
# (kernels inherit it). End-to-end tests give their big sources cache_dir= themselves.
unit:
	XDG_CACHE_HOME="$$(mktemp -d)" $(PY) -m pytest -q tests --ignore=tests/e2e --ignore=tests/test_notebooks.py

notebooks:
	XDG_CACHE_HOME="$$(mktemp -d)" $(PY) -m pytest -q tests/test_notebooks.py

e2e:
	$(PY) -m pytest -q tests/e2e

quickstart:
	$(PY) -m pip install --quiet -e . jupyterlab
	jupyter lab notebooks/quickstart.ipynb
