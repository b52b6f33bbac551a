# Two commands do all the set-up on a fresh clone: `make demo` and `make test`.
# The test environment installs the exact versions in requirements-lock.txt (`make lock` refreshes
# it); pyproject.toml keeps compatible ranges for people who use s75docs as a library.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements-lock.txt
EXAMPLES := $(wildcard examples/*/agreement.yaml)

.PHONY: demo test lint venv lock clean

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	@for f in $(EXAMPLES); do $(BIN)/s75docs check $$(dirname $$f) || exit 1; done
	$(BIN)/s75docs build $(patsubst %/agreement.yaml,%,$(EXAMPLES)) -o build

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

# Exact versions of everything the tests use, resolved afresh from pyproject.toml's ranges.
lock:
	rm -rf .lockenv
	$(PYTHON) -m venv .lockenv
	.lockenv/bin/pip install --quiet '.[test]'
	.lockenv/bin/pip freeze --exclude-editable | grep -v '^s75docs' > $(LOCK)
	rm -rf .lockenv build/lib build/bdist*

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .mypy_cache .ruff_cache
