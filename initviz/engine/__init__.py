"""The engine behind :func:`initviz.propagate`: a random MLP run forward and backward on a batch,
measured layer by layer without keeping every activation.

* :mod:`~initviz.engine.run` — one run's state: the arrays it fills, its seeded streams and
  prefetched draws, the input batch, checkpoint segments, the deadline, h = a Wᵀ + b;
* :mod:`~initviz.engine.forward` — the forward pass and its per-layer statistics;
* :mod:`~initviz.engine.backward` — the backward pass of the probe loss and its statistics;
* :mod:`~initviz.engine.residual` — both passes for a residual network, block by block;
* :mod:`~initviz.engine.moments` — overflow-safe moments of whole arrays, pair cosines, and the
  moments of ∂L/∂W from B×B Grams;
* :mod:`~initviz.engine.quantiles` — exact order statistics and numpy's percentiles, bit for bit;
* :mod:`~initviz.engine.histograms` — exact uniform-bin counts over common edges.

:mod:`initviz.propagation` validates the arguments, checks the budget, runs the passes and returns
the :class:`~initviz.propagation.PropagationResult`; its docstring states every statistic.
"""
