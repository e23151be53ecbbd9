"""The Initializers page's link: one layer's weight (dense or conv, torch layout) and the scheme that
samples it. The shape is the one asked (each size within its control's bounds); a weight with more
than :data:`MAX_SAMPLED_WEIGHTS` entries has that many of them sampled for its histogram."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .common import order_scheme_params, scheme_choice, scheme_params, seed
from .grammar import Notice, PageSchema, Param, Settings

LAYERS = ("dense", "conv1d", "conv2d", "conv3d")
MAX_CHANNELS = 4096
MAX_KERNEL = 9
MAX_SAMPLED_WEIGHTS = 2 ** 20
"""The Initializers page's histogram draws at most 2²⁰ entries of the weight (all of a smaller one;
:meth:`initviz.laws.Law.entries` for how a part of a larger one keeps the law)."""


def kernel_dims(layer: str) -> int:
    """Number of spatial kernel dimensions of a layer kind (0 for dense)."""
    return LAYERS.index(layer)


def weight_shape(layer: str, n_in: int, n_out: int, kernel: int) -> tuple[int, ...]:
    """The torch-layout weight shape (out, in, *kernel) of a ``layer`` of :data:`LAYERS`."""
    return (n_out, n_in, *([kernel] * kernel_dims(layer)))


def layer_shape(settings: Mapping[str, Any]) -> tuple[int, ...]:
    """The torch-layout weight shape (out, in, *kernel) of the Initializers page's layer."""
    return weight_shape(settings["layer"], settings["n_in"], settings["n_out"], settings["kernel"])


CONV_ONLY_SCHEMES = ("dirac", "delta_orthogonal")
"""Schemes defined for convolution kernels (3-5-D) only."""


def _scheme_fits_layer(settings: Settings) -> list[Notice]:
    """Scheme parameters valid one by one but not together with the layer: the bounds of a uniform or
    truncated normal in order; ``dirac`` and ``delta_orthogonal`` (conv-only schemes) on a dense layer
    take a Conv 2-D layer; dirac's ``groups`` must divide the outputs: the largest divisor of n_out not
    above the one asked. (delta_orthogonal's in ≤ out is left to the law, whose error the page shows.)"""
    scheme = settings["scheme"]
    notices = order_scheme_params(settings, scheme)
    if scheme not in CONV_ONLY_SCHEMES:
        return notices
    if settings["layer"] == "dense":
        settings["layer"] = "conv2d"
        notices.append(Notice("layer", f"{scheme} initializes convolution weights only (3-5-D), not a dense layer",
                              "using Conv 2-D"))
    if scheme != "dirac":
        return notices
    groups, n_out = settings["dirac_groups"], settings["n_out"]
    if n_out % groups:
        used = max(d for d in range(1, min(groups, n_out) + 1) if n_out % d == 0)
        settings["dirac_groups"] = used
        notices.append(Notice("dirac_groups", f"{groups} groups do not divide the {n_out} outputs",
                              f"using {used}, the largest divisor of {n_out} up to {groups}"))
    return notices


def _constrain_layer(settings: Settings) -> tuple[Settings, list[Notice]]:
    """The scheme's parameters fit together and with the layer (:func:`_scheme_fits_layer`). The
    shape is never changed: it is the question."""
    return settings, _scheme_fits_layer(settings)


SCHEMA = PageSchema("initializers", (
    Param("layer", "choice", "dense", "Layer", options=LAYERS,
          labels=("Dense (Linear)", "Conv 1-D", "Conv 2-D", "Conv 3-D"), widget="radio",
          help="weight shape (out, in) for dense, (out, in, k, …) for conv — torch layout"),
    Param("n_in", "int", 512, "Inputs (features or channels)", lo=1, hi=MAX_CHANNELS, step=1,
          help="in_features of a Linear layer or in_channels of a Conv layer"),
    Param("n_out", "int", 256, "Outputs (features or channels)", lo=1, hi=MAX_CHANNELS, step=1,
          help="out_features of a Linear layer or out_channels of a Conv layer"),
    Param("kernel", "int", 3, "Kernel size", lo=1, hi=MAX_KERNEL, step=1,
          when=(("layer", LAYERS[1:]),), help="the same size along every spatial dimension"),
    scheme_choice("scheme", "kaiming_normal", "Scheme to sample"),
    *scheme_params(),
    seed(),
), _constrain_layer)
"""The Initializers page's parameters, in display order."""
