# The README's two commands: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test lint unit mutants bench clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip<26.3"  # chalice 1.34 requires pip<26.3
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(BIN)/.installed
	PORT=$(PORT) exec $(BIN)/python -m devtools.local

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy chalicelib app.py devtools bench tests

test: lint
	$(BIN)/python -m pytest -q -rs

unit: $(BIN)/.installed
	$(BIN)/python -m pytest -q tests/unit

# Mutation testing of chalicelib/domain against tests/unit (minutes, so not part of `test`);
# config in pyproject.toml [tool.mutmut]. A fresh run each time: cached verdicts go stale.
mutants: $(BIN)/.installed
	rm -rf mutants
	$(BIN)/mutmut run > mutants.log 2>&1 || (tail -c 3000 mutants.log; exit 1)
	$(BIN)/python -m devtools.mutation_report

bench: $(BIN)/.installed
	$(BIN)/python -m bench.authorizer
	$(BIN)/python -m bench.call_records
	$(BIN)/python -m bench.cost
	$(BIN)/python -m bench.local_load

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache mutants mutants.log

-include Makefile.package.mk
