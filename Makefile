# The two commands of the README: `make run` starts the app, `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501

.PHONY: run test bench loadtest clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.run-deps: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@

run: $(VENV)/.run-deps
	$(BIN)/python -m streamlit run app.py --server.port $(PORT)

test: $(VENV)/.dev-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Benchmarks (issue 5; see BENCHMARKS.md): BENCH_ARGS="--quick --only W1,G --no-browser" for a subset.
bench: $(VENV)/.dev-deps
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# Load and soak (issue 4; see BENCHMARKS.md): 20 sessions over the websocket, 1,000 configurations, health under
# the heaviest views. A benchmark (~20 min); LOADTEST_ARGS="--sessions 4 --duration 15 --soak 50" for a quick look.
loadtest: $(VENV)/.dev-deps
	$(BIN)/python -m loadtest.run $(LOADTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
