# The two commands of the README: `make run` starts the app, `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501
# The app's limits (README "Limits"): on your own machine none but the structural ones; a host
# running `streamlit run app.py` gets the hosted limits unless it sets INITVIZ_LIMITS=local.
INITVIZ_LIMITS ?= local

.PHONY: run test test-core bench bench-links loadtest serve-replicas clean

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
	INITVIZ_LIMITS=$(INITVIZ_LIMITS) $(BIN)/python -m streamlit run app.py --server.port $(PORT)

# Tests run in TEST_WORKERS processes (pytest-xdist; each browser-test worker starts its own app server
# and Chromium): the browser tests mostly wait on the page, so two workers overlap those waits with
# the rest even on two cores. TEST_WORKERS=0 runs everything in this one process.
TEST_WORKERS ?= 2
test: $(VENV)/.dev-deps
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# The numeric core without the app, browser and hardening tests, plus the app's symmetry views: what
# .ci/run repeats under other BLAS kernels and thread counts (OPENBLAS_CORETYPE=..., issue 10).
CORE_TESTS = tests --ignore=tests/browser --ignore=tests/hardening -k "not test_app_ or test_app_support or constant_init"
test-core: $(VENV)/.dev-deps
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(CORE_TESTS) $(PYTEST_ARGS)

# Benchmarks (issue 5; see BENCHMARKS.md): BENCH_ARGS="--quick --only W1,G --no-browser" for a subset.
# OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE (set on some machines; they select a slower kernel) are unset for
# the bench alone (issue 17); it prints the kernel that ran (threadpoolctl).
bench: $(VENV)/.dev-deps
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BIN)/python -m bench.run $(BENCH_ARGS)

# The hostile-link catalogue of tests/hardening timed link by link (issue 4: at most 3 s each), ~4 min.
bench-links: $(VENV)/.dev-deps
	$(BIN)/python -m bench.links $(BENCH_ARGS)

# Load and soak (issue 4; see BENCHMARKS.md): 20 sessions over the websocket, 1,000 configurations, health under
# the heaviest views. A benchmark (~20 min); LOADTEST_ARGS="--sessions 4 --duration 15 --soak 50" for a quick look.
loadtest: $(VENV)/.dev-deps
	$(BIN)/python -m loadtest.run $(LOADTEST_ARGS)

# N replicas with the hosted limits behind nginx on 127.0.0.1:$(REPLICAS_PORT) (issue 18, README "Deploy");
# Ctrl-C stops them all. Needs nginx (Debian: apt-get install -y nginx).
N ?= 2
REPLICAS_PORT ?= 8080
serve-replicas: $(VENV)/.run-deps
	$(BIN)/python -m deploy.replicas --replicas $(N) --port $(REPLICAS_PORT)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
