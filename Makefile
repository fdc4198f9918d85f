# The two commands the README opens with, and the steps they share.
# `make lab`  : JupyterLab with the sandbox cluster started (KIND=1 for a kind cluster instead)
# `make test` : the whole test suite (unit, sandbox integration, the app against Valkey, nbval over every notebook)
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: lab test install benchmark clean

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

lab: $(STAMP)
	$(BIN)/workshop lab $(if $(KIND),--kind,)

# Two pytest-xdist workers; a module (and its module-scoped sandbox) or a notebook stays on one (conftest.py).
test: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest -n 2 --dist loadscope

benchmark: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python benchmarks/sandbox_benchmark.py
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python benchmarks/runtime_benchmark.py

clean:
	rm -rf $(VENV) .pytest_cache
