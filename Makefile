# The two commands a new user runs (see README.md):
#   make demo   set up .venv and run the end-to-end demo on data that needs no download
#   make test   set up .venv and run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/rnnkit demo --out demo_out

test: $(STAMP)
	$(BIN)/python -m pytest -q -n auto --maxprocesses 4 --dist loadscope

lint: $(STAMP)
	$(BIN)/ruff check keras_rnn_kit export tests benchmarks examples

clean:
	rm -rf $(VENV) demo_out build *.egg-info
