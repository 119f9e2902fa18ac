# newsarc — one place for the commands. `make demo` and `make test` are the quick start.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-fast check lint typecheck clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/newsarc demo --out ./newsarc-data

test: $(STAMP)
	scripts/ensure-services.sh
	$(BIN)/pytest -q

# unit tests only (tests/unit: no Ceph, no pywb, no crawl subprocesses): under a minute
test-fast: $(STAMP)
	$(BIN)/pytest -q tests/unit

check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy crawler pipelines archive
	$(BIN)/lint-imports --no-cache  # the architecture contracts in pyproject.toml

clean:
	rm -rf $(VENV) newsarc-data build *.egg-info
