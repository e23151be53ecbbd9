"""The BLAS the suite runs on: the OpenBLAS kernel and thread count asked for in the environment
(``OPENBLAS_CORETYPE``, ``OPENBLAS_NUM_THREADS``) are the ones that run, so a CI run "under
Haswell" really is one (issue 10: the suite must pass on any kernel). The header of every pytest run
prints what ran (``conftest.pytest_report_header``)."""

import os

import numpy as np
from threadpoolctl import threadpool_info


def _openblas() -> list[dict]:
    np.ones((2, 2)) @ np.ones((2, 2))  # numpy's BLAS is loaded
    return [i for i in threadpool_info() if i.get("internal_api") == "openblas"]


def test_the_requested_openblas_kernel_and_threads_are_the_ones_that_run():
    found = _openblas()
    kernel, threads = os.environ.get("OPENBLAS_CORETYPE"), os.environ.get("OPENBLAS_NUM_THREADS")
    if kernel or threads:  # asked for: it must be OpenBLAS, and what was asked
        assert found, "OPENBLAS_CORETYPE/NUM_THREADS is set but numpy does not run OpenBLAS"
    for info in found:
        if kernel:
            assert info["architecture"].lower() == kernel.strip().lower(), (kernel, info["architecture"])
        if threads:
            assert info["num_threads"] == int(threads), (threads, info["num_threads"])
