# edustat: one path for a newcomer, a developer and CI.
#   make install   venv in $(VENV) from requirements.lock (+ the package, editable)
#   make test      pytest
#   make run       demo data into $(EDUSTAT_HOME), then the pipeline
#   make lint      ruff check + ruff format --check
#   make lock      re-resolve requirements.lock from pyproject.toml
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

# The venv's tools (dbt, dagster, edustat) come first on PATH for every recipe.
export PATH := $(abspath $(VENV))/bin:$(PATH)

PYTEST_ARGS ?=

LOCK_CMD = $(UV) pip compile pyproject.toml -o requirements.lock \
	--python-version 3.11 --python-platform x86_64-unknown-linux-gnu \
	--custom-compile-command "make lock" -q

.PHONY: install run test lint lock bench clean

install: $(STAMP)

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
# The dbt manifest is prepared here once (dagster-dbt; later edits re-prepare it on the next
# load, pipelines/assets/dbt_project.py).
$(STAMP): requirements.lock pyproject.toml $(UV_STAMP)
	$(UV) pip sync --compile-bytecode --python $(VENV)/bin/python requirements.lock
	$(UV) pip install --python $(VENV)/bin/python --no-deps -e .
	$(VENV)/bin/dagster-dbt project prepare-and-package --file pipelines/assets/dbt_project.py
	touch $@

run: install
	$(VENV)/bin/edustat demo-data --out $(EDUSTAT_HOME) --skip-if-present
	$(VENV)/bin/edustat run

test: install
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check pipelines tests
	$(VENV)/bin/ruff format --check pipelines tests

lock: $(UV_STAMP)
	$(LOCK_CMD)

bench: install
	$(VENV)/bin/edustat bench

clean:
	@case "$(EDUSTAT_HOME)" in ""|/|.|..) echo "refusing to remove EDUSTAT_HOME='$(EDUSTAT_HOME)'" >&2; exit 1;; esac
	rm -rf -- "$(EDUSTAT_HOME)"
