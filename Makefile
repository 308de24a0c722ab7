# The project's commands. `make demo` and `make test` each work from a fresh clone: they create
# .venv when it is missing and install what they need (a stamp file per extra, redone when
# pyproject.toml changes, so a second run starts at once).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: browser-tools demo test test-matrix bench clean-demo help

help:
	@echo "make demo         run the demo portal (127.0.0.1:8000) and the map widget (localhost:8001)"
	@echo "make test         install what the tests need (a Chromium included), run ruff (lint and format), mypy, the import contracts, then every test"
	@echo "make test-matrix  run the suite on Django 4.2, 5.2 and 6.x with nox (not part of CI)"
	@echo "make bench        run every bench/bench_*.py in turn"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed-demo: pyproject.toml | $(PY)
	$(PIP) install --quiet -e '.[django,pdf]'
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PIP) install --quiet -e '.[test]'
	@touch $@

demo: $(VENV)/.installed-demo
	$(PY) demo/run.py

# The static checks run first, and the first that fails stops the run: they take seconds where the
# suite takes minutes, and their rules (pyproject.toml's [tool.ruff], [tool.mypy] and
# [tool.importlinter]) are part of what passing means.
# Tests look for the browser the same way as scripts/ensure_chromium.py (COOKIECHARTER_CHROMIUM,
# then chromium on the PATH), so exporting its answer keeps both in agreement.
test: $(VENV)/.installed-test browser-tools
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	@chromium="$$($(PY) scripts/ensure_chromium.py)" || exit 1; \
	echo "Chromium: $$chromium"; \
	COOKIECHARTER_CHROMIUM="$$chromium" $(PY) -m pytest $(PYTEST_ARGS)

# JavaScript tools the browser tests use (axe-core for the accessibility checks), from npm,
# reinstalled when tests/browser/package-lock.json changes.
browser-tools: tests/browser/node_modules/.package-lock.json

tests/browser/node_modules/.package-lock.json: tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund

# nox is a tool for this target only, so it is installed on demand rather than in an extra.
test-matrix: $(VENV)/.installed-test
	@$(PY) -c "import nox" 2>/dev/null || $(PIP) install --quiet nox
	@chromium="$$($(PY) scripts/ensure_chromium.py)" || exit 1; \
	COOKIECHARTER_CHROMIUM="$$chromium" $(PY) -m nox -f noxfile.py $(NOX_ARGS)

bench: $(VENV)/.installed-test
	@set -e; found=0; for script in bench/bench_*.py; do \
		[ -e "$$script" ] || continue; found=1; \
		echo "== $$script"; $(PY) "$$script"; \
	done; [ $$found = 1 ] || echo "no bench/bench_*.py yet"

# The ledger's folder goes with the database: its witness covers the seals of that database only.
clean-demo:
	rm -f demo/db.sqlite3
	rm -rf demo/ledger
