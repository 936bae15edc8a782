# Everything a fresh machine needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint typecheck bench system-deps clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@# An editable install writes no bytecode for the project, and with PYTHONDONTWRITEBYTECODE
	@# set nothing ever would: every command would compile its modules again on every start.
	$(BIN)/python -m compileall -q jikoflow models flows notifications records drills migrations
	@touch $(STAMP)

# WeasyPrint needs a Japanese font for PDF records; PostgreSQL is used by the tests.
system-deps:
	@./.ci/system-deps

demo: install
	$(BIN)/jikoflow demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy cannot follow the editable install's import hook, so it reads the `jikoflow` namespace
# from a tree of links onto the same folders (rebuilt each time: it costs nothing).
typecheck: install
	@rm -rf $(VENV)/typecheck && mkdir -p $(VENV)/typecheck/jikoflow
	@for entry in jikoflow/*; do ln -s "$(CURDIR)/$$entry" $(VENV)/typecheck/jikoflow/; done
	@for folder in models flows notifications records drills migrations; do \
		ln -s "$(CURDIR)/$$folder" $(VENV)/typecheck/jikoflow/$$folder; done
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest -q

bench: install
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .jikoflow .mypy_cache .ruff_cache .pytest_cache
