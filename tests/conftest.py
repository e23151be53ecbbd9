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


@pytest.fixture(autouse=True)
def _blas_threads_as_asked():
    """The BLAS thread count stays the one the run asked for (OPENBLAS_NUM_THREADS): the app's
    process tuning (``initviz.ui.main._tune_process``, run by any AppTest) limits the whole process
    to one thread and never lifts it, which would make a "two threads" run a one-thread run for
    every test after the first page."""
    asked = _blas_threads()
    yield
    if _blas_threads() != asked and asked:
        threadpool_limits(limits=asked[0], user_api="blas")


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
