# Two entry points for newcomers: `make demo` and `make test` (see README).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.qun-installed
DATA   ?= data

.PHONY: demo test test-fast lint bench bench-100k bench-1m clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "qun needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/qun run --demo --data-dir $(DATA)

CODE := qun flows spiders models datasets tests scripts benchmarks

test: $(STAMP)
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/python -m pytest -q

# Unit tests only: no crawl, demo run, spider process, built wheel, training, whole-corpus
# scoring or repeated Prefect start-ups (markers e2e and slow; under a minute on two cores).
# `make test` runs everything.
test-fast: $(STAMP)
	$(BIN)/ruff check $(CODE)
	$(BIN)/python -m pytest -q -m "not e2e and not slow"

lint: $(STAMP)
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)

# Benchmarks (benchmarks/README.md): results in benchmarks/results/*.json.
# MEMORY_SIZES: corpus sizes of the memory benchmark (the ratio is largest / smallest peak);
# bench-100k is the acceptance run at 10,000 and 100,000 documents (about 45 minutes).
MEMORY_SIZES ?= 1000,10000
# TREND_SIZES: corpus sizes of the trends benchmark (an extracted 10,000-document corpus,
# replicated); bench-1m adds the million-document run (about 15 minutes).
TREND_SIZES  ?= 10000,100000
FUZZ_INPUTS  ?= 10000

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_crawl.py
	$(BIN)/python benchmarks/bench_extract.py
	$(BIN)/python benchmarks/bench_longtext.py
	$(BIN)/python benchmarks/bench_demo.py
	$(BIN)/python benchmarks/bench_memory.py --sizes $(MEMORY_SIZES)
	$(BIN)/python benchmarks/bench_trends.py --sizes $(TREND_SIZES)
	$(BIN)/python benchmarks/fuzz_extract.py --inputs $(FUZZ_INPUTS)

bench-100k: $(STAMP)
	$(BIN)/python benchmarks/bench_memory.py --sizes 10000,100000 --name memory-100k

bench-1m: $(STAMP)
	$(BIN)/python benchmarks/bench_trends.py --sizes 10000,1000000 --name trends-1m

clean:
	rm -rf $(VENV) $(DATA) .pytest_cache
