# Two entry points for newcomers: `make demo` and `make test` (see README).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.qun-installed
DATA   ?= data

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "qun needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/qun run --demo --data-dir $(DATA)

test: $(STAMP)
	$(BIN)/ruff check flows spiders models datasets tests scripts benchmarks
	$(BIN)/ruff format --check flows spiders models datasets tests scripts benchmarks
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check flows spiders models datasets tests scripts benchmarks
	$(BIN)/ruff format --check flows spiders models datasets tests scripts benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_crawl.py
	$(BIN)/python benchmarks/bench_extract.py

clean:
	rm -rf $(VENV) $(DATA) .pytest_cache
