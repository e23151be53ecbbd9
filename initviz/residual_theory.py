"""Mean-field theory of residual networks: the variance recursion of the stream and of its gradient,
block by block, read from the same :class:`~initviz.network.Network` that :func:`initviz.propagate`
runs (:mod:`initviz.residual` for the block).

**Forward.** Every entry of the stream x_l has mean μ_l and second moment q_l (x_0: 0 and
``input_var``). Block l, with σ_j² = fan_in·Var[W_j] (the preset's multiplier included) and bias
means/variances μ_{b_j}, σ_{b_j}² from the network's laws:

* branch input u: x itself (post-norm, or pre-norm without a norm); LayerNorm: mean 0, second
  moment v/(v + ε), v = q − μ²; RMSNorm: mean μ/√(q + ε), second moment q/(q + ε);
* h = uW_1ᵀ + b_1 ~ N(μ_{b_1}, σ_1²·E[u²] + σ_{b_1}²) (a fresh zero-mean W_1: exact in the mean and
  variance, Gaussian in the wide limit), E[φ], E[φ²], E[φ′²] by :func:`initviz.meanfield.moments`;
* f = aW_2ᵀ + b_2 (m = 2): mean μ_{b_2}, second moment σ_2² E[φ²] + σ_{b_2}² + μ_{b_2}²; f = φ(h) (m = 1);
* t = s·x + α·f: mean sμ + αE[f], second moment s²q + 2sα μ E[f] + α²E[f²] (f is independent of x
  given the fresh weights, the cross term needs only the means);
* x_l = t (pre-norm) or N(t) (post-norm: LayerNorm mean 0 and second moment v_t/(v_t + ε)).

So pre-norm with LayerNorm and m = 2, no bias, grows as q_l = q_{l−1} + α²σ_2²E[φ²] with h of
variance σ_1²: linearly in L unless α or σ_2 carry 1/√L; post-norm holds q_l = v/(v + ε) ≈ 1.

**Backward** (gradient independence, Schoenholz et al. 2017), for propagate's probe
L = Σ_b ⟨g_b, output_b⟩: r = E[(∂L/∂·)²] starts at 1. A norm's backward r·P projects out the
row's mean and its output direction (LayerNorm, k = 2) or the output direction (RMSNorm, k = 1), so
it multiplies r by (n − k)/n/(v + ε) (LayerNorm) or (n − k)/n/(q + ε) (RMSNorm) — exact for a
gradient independent of the norm's output: the probe at a final norm, and a pre-norm branch's
gradient (through a fresh W_1). The post-norm stream's own gradient is not (it comes back through
the next blocks' projections), and there the factor is 1/(v + ε) (1/(q + ε)): with the (n − k)/n,
the prediction fell behind the measurement by k/n per block (measured: post-LN and post-RMSNorm,
tanh, 24 blocks, n = 64 … 512, 8 seeds). Then r_t = (post: the norm's factor ×) r_y,
r_f = α²r_t, r_a = n·Var[W_2]·r_f (m = 2), r_h = r_a·E[φ′²], r_u = n_out(W_1)·Var[W_1]·r_h,
r_x = s²r_t + (pre: the norm's factor ×) r_u; Var[∂L/∂W_1] = B·r_h·E[u²] and
Var[∂L/∂W_2] = B·r_f·E[φ²] (the probe is independent across the B samples).

Exact: the identity of α = 0 (every block passes x and its gradient unchanged), the post-norm
stream's second moment (given the row variance), the norms' eps. Mean-field: Gaussian h (wide
layers), the independence of x and f beyond their means, and gradient independence (Xiong et al.
2020's Pre-LN/Post-LN gradient scalings come out of it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import invalid
from .limits import MAX_BATCH, check_float, check_int
from .meanfield import moments
from .network import Network
from .norms import norm_eps

RESIDUAL_PREDICTION_COLUMNS = ("preact_var", "act_mean", "act_var", "act_m2", "msq_ratio", "branch_var", "skip_var",
                               "grad_act_var", "grad_var", "grad_w_var", "grad_w_out_var")
"""Per block: h's variance; the stream's mean, variance and second moment; ‖x_l‖²/‖x_0‖²; the
variance of α·f and of s·x; of ∂L/∂x_l, ∂L/∂h, ∂L/∂W_1 and ∂L/∂W_m (propagate's names)."""


@dataclass(frozen=True, eq=False)
class ResidualPrediction:
    """The mean-field prediction for every block of a residual network (:func:`predict_residual`)."""

    net: Network
    input_var: float
    batch: int
    columns: dict

    def __getattr__(self, name):
        columns = self.__dict__.get("columns", {})
        if name in columns:
            return columns[name]
        raise AttributeError(name)

    def to_frame(self):
        """pandas DataFrame, one row per block: ``layer`` and :data:`RESIDUAL_PREDICTION_COLUMNS`."""
        import pandas as pd

        frame = pd.DataFrame({"layer": np.arange(1, self.net.depth + 1), **self.columns})
        return frame.astype({name: "Float64" for name in RESIDUAL_PREDICTION_COLUMNS})


def _normalised(norm: str, mean: float, m2: float) -> tuple[float, float]:
    """(mean, second moment) of N(x)'s entries for entries of mean ``mean``, second moment ``m2``."""
    eps = norm_eps(norm, np.float64)
    if norm == "layernorm":
        v = max(m2 - mean * mean, 0.0)
        return 0.0, v / (v + eps)
    if norm == "rmsnorm":
        return mean / math.sqrt(m2 + eps), m2 / (m2 + eps)
    return mean, m2


def _norm_grad_factor(norm: str, n: int | None, mean: float, m2: float) -> float:
    """How a norm's backward scales the gradient's second moment, at an input of (mean, m2): with
    the projection's loss (n − k)/n for a gradient independent of the norm's output on n units,
    without it (``n`` None) for the post-norm stream's own gradient."""
    eps = norm_eps(norm, np.float64)
    if norm == "layernorm":
        return (1.0 if n is None else (n - 2) / n) / (max(m2 - mean * mean, 0.0) + eps)
    if norm == "rmsnorm":
        return (1.0 if n is None else (n - 1) / n) / (m2 + eps)
    return 1.0


def _layer(net: Network, k: int) -> tuple[float, float, float, float]:
    """(σ² = fan_in·Var[W], fan_out·Var[W], bias mean, bias variance) of weight layer k."""
    out, fan_in = net.shapes[k - 1]
    var = net.weight_law(k).var
    bias = net.bias_law(k)
    return fan_in * var, out * var, (0.0 if bias is None else bias.mean), (0.0 if bias is None else bias.var)


def residual_mean_field_applies(net: Network) -> str | None:
    """None when :func:`predict_residual` applies to the residual ``net``, else the reason it does not:
    like the MLP's recursion it needs every branch layer's weights random with mean 0 — or exactly 0
    (a preset's zero layer, Fixup's last: exact) —; deterministic schemes (constant, ones, eye) and
    non-zero-mean laws break the fresh-weights argument."""
    if not isinstance(net, Network) or net.residual is None:
        raise invalid("net", "be a residual initviz Network (see Network.residual_net)", net)
    for k in range(1, len(net.shapes) + 1):
        law = net.weight_law(k)
        if law.var == 0.0 and law.mean == 0.0:
            continue
        if not law.is_random or law.mean != 0.0 or law.var == 0.0:
            return (f"branch layer {k}'s weights ({net.init}, {law.kind}, mean {law.mean:g}, variance {law.var:g}) "
                    "are not random with mean 0")
    return None


def predict_residual(net: Network, input_var: float = 1.0, batch: int = 1) -> ResidualPrediction:
    """The mean-field prediction per block of a residual ``net`` (module docstring), for inputs of
    i.i.d. zero-mean entries of variance ``input_var`` (propagate's "normal" and "unit_norm" inputs:
    1); ``batch`` scales the weight-gradient variances, sums of ``batch`` per-sample terms."""
    if not isinstance(net, Network) or net.residual is None:
        raise invalid("net", "be a residual initviz Network (see Network.residual_net)", net)
    input_var = check_float("input_var", input_var, 0.0)
    batch = check_int("batch", batch, 1, MAX_BATCH)
    res, scales, norm, n, depth = net.residual, net.branch_scales, net.norm, net.input_dim, net.depth
    s, alpha, m = scales.skip, scales.alpha, res.branch_depth
    cols = {name: np.full(depth, np.nan) for name in RESIDUAL_PREDICTION_COLUMNS}
    mean, m2 = 0.0, input_var
    kept = []  # per block: what the backward recursion reads
    with np.errstate(all="ignore"):
        for block in range(1, depth + 1):
            i = block - 1
            layers = [_layer(net, k) for k in net.block_layers(block)]
            u_mean, u_m2 = _normalised(norm, mean, m2) if res.placement == "pre" else (mean, m2)
            sigma1, _, b1_mean, b1_var = layers[0]
            q_h = sigma1 * u_m2 + b1_var
            if not math.isfinite(q_h):
                break
            e_phi, e_phi2, e_prime2 = moments(net.activation(block), b1_mean, q_h)
            if m == 2:
                sigma2, _, b2_mean, b2_var = layers[1]
                f_mean, f_m2 = b2_mean, sigma2 * e_phi2 + b2_var + b2_mean ** 2
            else:
                f_mean, f_m2 = e_phi, e_phi2
            t_mean, t_m2 = s * mean + alpha * f_mean, s * s * m2 + 2 * s * alpha * mean * f_mean + alpha ** 2 * f_m2
            y_mean, y_m2 = _normalised(norm, t_mean, t_m2) if res.placement == "post" else (t_mean, t_m2)
            cols["preact_var"][i] = q_h
            cols["branch_var"][i] = alpha ** 2 * max(f_m2 - f_mean ** 2, 0.0)
            cols["skip_var"][i] = s * s * max(m2 - mean ** 2, 0.0)
            cols["act_mean"][i], cols["act_m2"][i], cols["act_var"][i] = y_mean, y_m2, max(y_m2 - y_mean ** 2, 0.0)
            cols["msq_ratio"][i] = y_m2 / input_var if input_var > 0 else np.nan
            kept.append((mean, m2, u_m2, t_mean, t_m2, e_phi2, e_prime2, layers))
            mean, m2 = y_mean, y_m2
        if len(kept) == depth:
            _backward(net, cols, kept, mean, m2, batch)
    return ResidualPrediction(net, input_var, batch, cols)


def _backward(net: Network, cols: dict, kept: list, out_mean: float, out_m2: float, batch: int) -> None:
    """Fill the gradient columns from the last block down (module docstring)."""
    res, scales, norm, n = net.residual, net.branch_scales, net.norm, net.input_dim
    s, alpha = scales.skip, scales.alpha
    r = _norm_grad_factor(norm, n, out_mean, out_m2) if res.final_norm else 1.0
    for i in range(net.depth - 1, -1, -1):
        mean, m2, u_m2, t_mean, t_m2, e_phi2, e_prime2, layers = kept[i]
        cols["grad_act_var"][i] = r
        r_t = r * _norm_grad_factor(norm, None, t_mean, t_m2) if res.placement == "post" else r
        r_f = alpha ** 2 * r_t
        if res.branch_depth == 2:
            cols["grad_w_out_var"][i] = batch * r_f * e_phi2
            r_a = layers[1][1] * r_f
        else:
            r_a = r_f
        r_h = r_a * e_prime2
        cols["grad_var"][i] = r_h
        cols["grad_w_var"][i] = batch * r_h * u_m2
        if res.branch_depth == 1:
            cols["grad_w_out_var"][i] = cols["grad_w_var"][i]
        r_u = layers[0][1] * r_h
        r_branch = r_u * _norm_grad_factor(norm, n, mean, m2) if res.placement == "pre" else r_u
        r = s * s * r_t + r_branch


__all__ = ["predict_residual", "residual_mean_field_applies", "ResidualPrediction", "RESIDUAL_PREDICTION_COLUMNS"]
