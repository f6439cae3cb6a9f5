# Two commands matter: `make demo` (start the demo site) and `make test` (run the tests).
# Both install what they need first (Python venv from the lock file, the dashboard with npm).
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
WEB_DIST := src/csm/web_dist/index.html

.PHONY: demo test install web lint typecheck bench lock clean sim api-types

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock requirements-sim.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements.lock
	$(VENV)/bin/pip install -q --no-deps -r requirements-sim.lock
	$(VENV)/bin/pip install -q --no-deps -e .
	touch $@

web: $(WEB_DIST)

$(WEB_DIST): $(shell find web -type f -not -path '*/node_modules/*' -not -path 'web/dist/*' 2>/dev/null)
	@if [ -f web/package.json ]; then \
		cd web && npm ci --no-audit --no-fund && npm run build; \
	else echo "no web/ package yet: the API serves a placeholder page"; mkdir -p src/csm/web_dist; fi

demo: install web
	$(VENV)/bin/csm demo

lint: install
	$(VENV)/bin/ruff check src tests bench tools
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(PY) tools/check_api_types.py

# The dashboard's API types: web/openapi.json from the app, web/src/api-types.ts from that.
api-types: install
	$(PY) tools/export_openapi.py
	cd web/typegen && npm ci --no-audit --no-fund --silent && npm run -s generate

test: install web lint
	@if [ -f web/package.json ]; then cd web && npm test; fi
	$(VENV)/bin/pytest

bench: install
	$(PY) bench/run_all.py

# The simulation extra (JuPedSim, PedPy) is part of `install`, from requirements-sim.lock.
sim: install

lock:
	$(VENV)/bin/pip install -q uv
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev -o requirements.lock --python-version 3.11 -q

clean:
	rm -rf $(VENV) web/node_modules web/typegen/node_modules src/csm/web_dist var
