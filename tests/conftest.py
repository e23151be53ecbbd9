"""Shared test setup.

* One BLAS thread: deterministic sums, and the two cores are shared by the server and the browser.
* The app's limits are the hosted ones (``INITVIZ_LIMITS=hosted``, whatever the developer's shell
  says): the tests of the local setting set it themselves.
* Hypothesis runs derandomized (the same examples on every run, like a fixed seed) with no
  per-example deadline, so a busy CI machine cannot turn a property test into a flaky one.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ["INITVIZ_LIMITS"] = "hosted"

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402  (after the BLAS environment is set)
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402



def _blas_threads() -> list[int]:
    return [i["num_threads"] for i in threadpool_info() if i.get("user_api") == "blas"]


APP_TESTS = ("test_app_", "test_deployment", "test_links_catalogue", "test_never_a_traceback", "test_many_users",
             "test_workers", "test_browser")
"""Test modules that run the app (AppTest, its workers, a browser): they run at one BLAS thread."""


@pytest.fixture(scope="session")
def _asked_blas_threads() -> int | None:
    """The BLAS thread count at the start of the run (OPENBLAS_NUM_THREADS), before any page ran."""
    import numpy as np

    np.ones((2, 2)) @ np.ones((2, 2))
    counts = _blas_threads()
    return counts[0] if counts else None


@pytest.fixture(scope="module", autouse=True)
def _blas_threads_of_the_module(request, _asked_blas_threads):
    """Each test module runs at the BLAS thread count the run asked for, except the modules that
    run the app, which run at one thread as the app does (``initviz.ui.main._tune_process`` and every
    worker process limit themselves to one): a result the app computed and the core's result
    recomputed in the test are then the same calls at the same thread count, equal by construction.
    Set per module, before the module's own fixtures (which may open a page): the app's tuning limits
    the whole process once and never lifts it, so without this a "two threads" run would be a
    one-thread run after the first page, and a page opened later at two threads."""
    if _asked_blas_threads is None:
        yield
        return
    app = request.module.__name__.split(".")[-1].startswith(APP_TESTS)
    threadpool_limits(limits=1 if app else _asked_blas_threads, user_api="blas")
    yield


settings.register_profile("initviz", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("initviz")


def pytest_report_header(config):
    """The BLAS that runs (kernel and threads): the same answers are asserted on every one."""
    import numpy as np
    from threadpoolctl import threadpool_info

    np.ones((2, 2)) @ np.ones((2, 2))
    blas = [f"{i.get('internal_api')} {i.get('version')} {i.get('architecture', '')} ({i.get('num_threads')} threads)"
            for i in threadpool_info() if i.get("user_api") == "blas"]
    return "BLAS: " + ("; ".join(blas) or "none found") + f"; OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')}"
