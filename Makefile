# edustat: one path for a newcomer, a developer and CI.
#   make install   venv in $(VENV) from requirements.lock (+ the package, editable)
#   make test      pytest (installs requirements-dev.lock: the runtime set + the dev tools)
#   make run       demo data into $(EDUSTAT_HOME), then the pipeline
#   make lint      ruff check + ruff format --check + vulture (dev tools, as for make test)
#   make lock      re-resolve requirements.lock and requirements-dev.lock from pyproject.toml
#   make bench     edustat bench
#   make clean     remove $(EDUSTAT_HOME) (keeps the venv)

VENV ?= .venv
PY ?= python3
EDUSTAT_HOME ?= var
export EDUSTAT_HOME

# uv that installs and locks; bump it deliberately.
UV_VERSION := 0.13.9
UV := $(VENV)/bin/uv
UV_STAMP := $(VENV)/.uv-$(UV_VERSION)
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

# The venv's tools (dbt, dagster, edustat) come first on PATH for every recipe.
export PATH := $(abspath $(VENV))/bin:$(PATH)

# Two workers (the machines have 2 cores; a pipeline run is mostly one busy process), a test file
# per worker at a time, so a module's own sample is built once (docs/STACK.md trap 15: not
# loadgroup). The first worker to need the session sample builds it, the other waits for it
# (tests/conftest.py). The slowest tests are listed at the end: the suite's time is a target.
PYTEST_ARGS ?= -n 2 --dist loadfile --no-loadscope-reorder --durations=20

LOCK_FLAGS = --python-version 3.11 --python-platform x86_64-unknown-linux-gnu \
	--custom-compile-command "make lock" -q

.PHONY: install install-dev run test lint lock bench clean

install: $(STAMP)

install-dev: $(DEV_STAMP)

# The venv (Python 3.11) with a pinned uv in it.
$(UV_STAMP):
	test -x $(VENV)/bin/python || $(PY) -m venv $(VENV)
	@$(VENV)/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || \
		{ echo "$(VENV) is not Python 3.11: remove it and run make with PY=python3.11" >&2; exit 1; }
	$(VENV)/bin/pip install -q uv==$(UV_VERSION)
	touch $@

# Everything from the lock (exact set: sync removes extras), then the package itself, editable,
# without touching dependencies (so it installs even before pipelines.cli exists). Bytecode is
# compiled at install: otherwise the first `edustat run` pays ~17 s compiling dagster and dbt.
# The dbt manifest is prepared here, for this dbt (later edits re-prepare it on the next load,
# pipelines/assets/dbt_project.py).
$(STAMP): requirements.lock pyproject.toml $(UV_STAMP)
	$(UV) pip sync --compile-bytecode --python $(VENV)/bin/python requirements.lock
	$(UV) pip install --python $(VENV)/bin/python --no-deps -e .
	$(VENV)/bin/python -c 'from pipelines.assets.dbt_project import DBT_PROJECT, prepare; prepare(DBT_PROJECT)'
	rm -f $(DEV_STAMP)
	touch $@

# The runtime set plus the dev tools (pytest, xdist, ruff, vulture), on top of the runtime install.
$(DEV_STAMP): requirements-dev.lock $(STAMP)
	$(UV) pip sync --compile-bytecode --python $(VENV)/bin/python requirements-dev.lock
	$(UV) pip install --python $(VENV)/bin/python --no-deps -e .
	touch $@

run: install
	$(VENV)/bin/edustat demo-data --out $(EDUSTAT_HOME) --skip-if-present
	$(VENV)/bin/edustat run

test: install-dev
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check pipelines tests
	$(VENV)/bin/ruff format --check pipelines tests
	$(VENV)/bin/vulture

# The dev lock is resolved within the runtime lock (-c): both sets pin the same versions.
lock: $(UV_STAMP)
	$(UV) pip compile pyproject.toml -o requirements.lock $(LOCK_FLAGS)
	$(UV) pip compile pyproject.toml --extra dev -c requirements.lock \
		-o requirements-dev.lock $(LOCK_FLAGS)

bench: install
	$(VENV)/bin/edustat bench

clean:
	@case "$(EDUSTAT_HOME)" in ""|/|.|..) echo "refusing to remove EDUSTAT_HOME='$(EDUSTAT_HOME)'" >&2; exit 1;; esac
	rm -rf -- "$(EDUSTAT_HOME)"
