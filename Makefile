# Two set-up commands: `make demo` runs the pipeline on the bundled samples, `make test` runs the
# tests. Both create .venv on first use. TORCH pins the CPU wheel that this project's machines keep
# on disk; on a machine with a GPU use `make TORCH=torch demo` to get PyPI's default (CUDA) build.
PY ?= python3
VENV := .venv
TORCH ?= torch==2.13.0
BIN := $(VENV)/bin

.PHONY: demo test lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "$(TORCH)"
	$(BIN)/python -m pip install -q -e '.[ui,export,dev]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/python -m twoface.demo

test: $(VENV)/.installed
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || echo "make test: no chromium/chromedriver here, so the web UI's browser tests are skipped (apt-get install chromium chromium-driver)"
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .

bench: $(VENV)/.installed
	$(BIN)/python bench/extract.py
	$(BIN)/python bench/train.py
	$(BIN)/python bench/convert.py
	$(BIN)/python bench/live.py

clean:
	rm -rf demo .pytest_cache
