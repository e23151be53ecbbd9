"""initviz's benchmark suite (``make bench``): initviz against a PyTorch notebook and against the
machine's own limits, measured in one run. See ``BENCHMARKS.md`` and ``bench/run.py``."""
