# credfolio — the two commands a fresh clone needs are `make demo` and `make test`.
SHELL := /bin/bash
export NO_MKDOCS_2_WARNING := 1
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
INTEROP := tests/interop
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo site serve test test-fast check sample verifier interop-deps node-deps browser-deps dist clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

## demo: create .venv, install, build and serve the sample district at http://127.0.0.1:8000/
demo: $(STAMP) verifier
	$(BIN)/credfolio check
	$(BIN)/mkdocs serve --dev-addr $(HOST):$(PORT)

## site: build the sample district into site/
site: $(STAMP) verifier
	$(BIN)/credfolio check
	$(BIN)/mkdocs build

## check: validate config, catalog and stacks
check: $(STAMP)
	$(BIN)/credfolio check

## sample: regenerate the sample wallet with a fresh demo key outside the repo (commit wallet/ afterwards)
sample: $(STAMP)
	$(BIN)/credfolio check
	$(BIN)/python scripts/make_sample.py

## interop-deps: pinned reference JavaScript stack for the interoperability tests (npm registry only)
interop-deps:
	@if command -v node >/dev/null 2>&1 && [ -f $(INTEROP)/package-lock.json ]; then \
		if [ ! -d $(INTEROP)/node_modules ] || [ $(INTEROP)/package-lock.json -nt $(INTEROP)/node_modules ]; then \
			npm ci --prefix $(INTEROP) --no-audit --no-fund --loglevel=error && touch $(INTEROP)/node_modules; \
		fi; \
	fi

## verifier: bundle the in-browser verifier (js/) into build/verifier/ with the pinned npm packages
verifier: node-deps
	@if [ ! -d js/node_modules ] || [ js/package-lock.json -nt js/node_modules ]; then \
		npm ci --prefix js --no-audit --no-fund --loglevel=error && touch js/node_modules; \
	fi
	node js/build.mjs

## browser-deps: Debian's Chromium for the browser tests (never a downloaded browser)
browser-deps:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

## node: Node.js from Debian packages when missing (needed by interop and browser-bundle steps)
node-deps:
	@command -v node >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }

## test: install everything the tests need, then run pytest
test: $(STAMP) node-deps interop-deps verifier browser-deps
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

## test-fast: pytest without the install steps
test-fast:
	$(BIN)/python -m pytest -q -x

## dist: wheel and sdist in dist/, carrying the built verifier so pip-installed districts need no Node.js
dist: $(STAMP) verifier
	rm -rf src/credfolio/verifier dist
	cp -r build/verifier src/credfolio/verifier
	$(BIN)/python -m pip wheel --quiet --no-deps --wheel-dir dist .
	rm -rf src/credfolio/verifier

clean:
	rm -rf site build dist .pytest_cache .hypothesis src/credfolio/verifier
