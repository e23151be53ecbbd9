"""Shared test setup.

* One BLAS thread: deterministic sums, and the two cores are shared by the server and the browser.
* Hypothesis runs derandomized (the same examples on every run, like a fixed seed) with no
  per-example deadline, so a busy CI machine cannot turn a property test into a flaky one.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

from hypothesis import settings  # noqa: E402  (after the BLAS environment is set)

settings.register_profile("initviz", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("initviz")
