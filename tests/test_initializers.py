"""Initialization schemes vs torch 2.13 (committed fixture from scripts/make_torch_fixture.py) and
vs Keras/JAX's documented formulas (written out here; keras/jax are not installed).

Statistical checks use fixed seeds; Monte Carlo tolerances are 5 standard errors (SE stated at
each check); KS tests pass at p > 1e-3 (P_MIN)."""

import json
import math
import pathlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import initviz as iv
from initviz import SCHEMES, InitvizError, law, sample
from initviz.initializers import LIBRARIES, PARAM_KINDS, TORCH_FUNCTIONS

FIXTURE = json.loads((pathlib.Path(__file__).parent / "fixtures" / "torch_init_reference.json").read_text())
REL = 1e-12
P_MIN = 1e-3
Z = 5.0
STATS_DIGITS_REL = 1e-11  # the fixture keeps 12 significant digits of sample statistics


def fixture_law(row):
    return law(row["scheme"], row["shape"], **row["params"])


def scipy_from_torch_call(call, args):
    """The distribution torch sampled from, built by scipy from the arguments torch passed."""
    if call == "uniform_":
        lo, hi = args
        return stats.uniform(lo, hi - lo)
    mean, std = args
    return stats.norm(mean, std)


# --- 1. parameters equal torch's exactly -------------------------------------------------------

@pytest.mark.parametrize("scheme", sorted({r["scheme"] for r in FIXTURE["schemes"]}))
def test_distribution_parameters_equal_torch(scheme):
    rows = [r for r in FIXTURE["schemes"] if r["scheme"] == scheme]
    assert len(rows) >= 3
    for row in rows:
        w = fixture_law(row)
        if row["call"] == "uniform_":  # torch: tensor.uniform_(lo, hi)
            assert w.kind == "uniform"
            assert w.support == pytest.approx(tuple(row["args"]), rel=REL, abs=1e-300), row
        else:  # torch: tensor.normal_(mean, std) — untruncated
            assert w.kind == "normal"
            assert (w.loc, w.scale) == pytest.approx(tuple(row["args"]), rel=REL, abs=1e-300), row


@pytest.mark.parametrize("row", FIXTURE["modules"], ids=lambda r: f"{r['module']}-{r['in']}-{r['out']}-g{r['groups']}")
def test_torch_module_defaults_weight_and_bias(row):
    scheme = SCHEMES["torch_default"]
    weight = scheme.law(row["weight_shape"])
    bias = scheme.bias_law(row["weight_shape"])
    assert row["weight_call"] == row["bias_call"] == "uniform_"
    assert weight.support == pytest.approx(tuple(row["weight_args"]), rel=REL)
    assert bias.support == pytest.approx(tuple(row["bias_args"]), rel=REL)
    # REFERENCE.md: U(±1/√fan_in), variance 1/(3·fan_in), a third of LeCun's
    fan_in = row["fans"][0]
    assert weight.var == pytest.approx(1 / (3 * fan_in), rel=REL)
    check_torch_stats(weight, row["weight_stats"])


# --- 2. real torch samples agree with our exact laws -------------------------------------------

def check_torch_stats(w, st_):
    n = st_["n"]
    lo, hi = w.support
    slack = STATS_DIGITS_REL * max(abs(lo), abs(hi), w.std)
    assert lo - slack <= st_["min"] and st_["max"] <= hi + slack
    if w.kind == "uniform":  # the bound is attained: P(gap > 20·width/n) ≈ e^−20
        width = hi - lo
        assert st_["min"] - lo < 20 * width / n and hi - st_["max"] < 20 * width / n
    # mean: SE = σ/√n; variance: SE = σ²√((κ−1)/n)
    assert abs(st_["mean"] - w.mean) < Z * w.std / math.sqrt(n) + slack
    assert abs(st_["var"] - w.var) < Z * w.var * math.sqrt((w.kurtosis - 1) / n) + STATS_DIGITS_REL * w.var
    # sample quantile q̂ of level q: F(q̂) has SE √(q(1−q)/n)
    for level, value in st_["quantiles"].items():
        q = float(level)
        assert abs(float(w.cdf(value)) - q) < Z * math.sqrt(q * (1 - q) / n) + 1e-9, (level, value)


STATS_ROWS = [r for r in FIXTURE["schemes"] if "stats" in r]


@pytest.mark.parametrize("row", STATS_ROWS, ids=lambda r: f"{r['scheme']}-{r['shape']}-{sorted(r['params'].items())}")
def test_torch_samples_follow_our_law(row):
    check_torch_stats(fixture_law(row), row["stats"])


@pytest.mark.parametrize("row", FIXTURE["trunc_normal"], ids=lambda r: str(r["params"]))
def test_torch_trunc_normal_samples_follow_our_law(row):
    """torch's a and b are absolute cut points and std is the parent's: the law says so too."""
    w = law("trunc_normal", row["shape"], **row["params"])
    assert w.support == (row["params"]["a"], row["params"]["b"])
    check_torch_stats(w, row["stats"])


ORTHO_STATS = [r for r in FIXTURE["orthogonal"] if "stats" in r]


@pytest.mark.parametrize("row", ORTHO_STATS, ids=lambda r: f"{r['shape']}-g{r['gain']}")
def test_torch_orthogonal_entries_follow_our_law(row):
    check_torch_stats(law("orthogonal", row["shape"], gain=row["gain"]), row["stats"])


# --- 3. our samples pass KS against torch's parameters ------------------------------------------

def draw(name, shape, params, n, seed, dtype="float64"):
    """≥ n entries from repeated draws of one scheme with one generator."""
    rng = np.random.default_rng(seed)
    reps = math.ceil(n / math.prod(shape))
    return np.concatenate([sample(name, shape, rng, dtype, **params).ravel() for _ in range(reps)])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("row", STATS_ROWS, ids=lambda r: f"{r['scheme']}-{r['shape']}-{sorted(r['params'].items())}")
def test_our_samples_pass_ks_against_torch_parameters(row, dtype):
    x = draw(row["scheme"], row["shape"], row["params"], 20_000, seed=len(STATS_ROWS), dtype=dtype)
    assert x.dtype == np.dtype(dtype)
    ref = scipy_from_torch_call(row["call"], row["args"])
    if row["call"] == "uniform_":
        lo, hi = row["args"]
        assert lo <= x.min() and x.max() <= hi
    assert stats.kstest(x.astype(float), ref.cdf).pvalue > P_MIN


@pytest.mark.parametrize("row", FIXTURE["trunc_normal"], ids=lambda r: str(r["params"]))
def test_our_trunc_normal_passes_ks(row):
    p = row["params"]
    x = draw("trunc_normal", row["shape"], p, 20_000, seed=17)
    assert p["a"] <= x.min() and x.max() <= p["b"]
    ref = stats.truncnorm((p["a"] - p["mean"]) / p["std"], (p["b"] - p["mean"]) / p["std"], p["mean"], p["std"])
    assert stats.kstest(x, ref.cdf).pvalue > P_MIN


# --- 4. orthogonal ------------------------------------------------------------------------------

def gram_on_smaller_side(w):
    flat = w.reshape(w.shape[0], -1)
    return (flat.T @ flat, "cols") if flat.shape[0] >= flat.shape[1] else (flat @ flat.T, "rows")


@pytest.mark.parametrize("row", FIXTURE["orthogonal"], ids=lambda r: f"{r['shape']}-g{r['gain']}")
def test_orthogonal_identity_side_like_torch(row):
    w = iv.orthogonal(row["shape"], gain=row["gain"], seed=3)
    gram, side = gram_on_smaller_side(w)
    assert side == row["identity_side"]
    g2 = row["gain"] ** 2
    assert row["max_gram_deviation"] < 1e-12 * max(1.0, g2) * gram.shape[0]  # torch's own, float64
    np.testing.assert_allclose(gram, g2 * np.eye(gram.shape[0]), atol=1e-12 * max(1.0, g2) * gram.shape[0])


@settings(max_examples=60, deadline=None)
@given(rows=st.integers(1, 40), cols=st.integers(1, 40), kernel=st.sampled_from([(), (3,), (2, 2)]),
       gain=st.floats(-3, 3).filter(lambda g: abs(g) > 1e-3), seed=st.integers(0, 2 ** 32 - 1))
def test_orthogonal_gram_is_gain_squared_identity(rows, cols, kernel, gain, seed):
    w = iv.orthogonal((rows, cols, *kernel), gain=gain, seed=seed)
    gram, _ = gram_on_smaller_side(w)
    n = gram.shape[0]
    # QR in float64: orthogonality error a few n·eps
    np.testing.assert_allclose(gram, gain ** 2 * np.eye(n), atol=1e-13 * n * max(1.0, gain ** 2))


def test_orthogonal_float32():
    w = iv.orthogonal((64, 32), gain=2.0, seed=0, dtype="float32")
    assert w.dtype == np.float32
    np.testing.assert_allclose(w.T.astype(float) @ w, 4 * np.eye(32), atol=1e-4)


def test_orthogonal_sign_fix_makes_q_haar():
    """Haar on O(3): each coordinate of a column is uniform on [−1, 1] (Archimedes).
    Without torch's sign(diag R) fix, LAPACK's Q[0, 0] would be negative every time."""
    rng = np.random.default_rng(8)
    q00 = np.array([iv.orthogonal((3, 3), seed=rng)[0, 0] for _ in range(3000)])
    assert abs(q00.mean()) < Z * math.sqrt(1 / 3 / q00.size)  # SE = √(Var/n), Var = 1/3
    assert stats.kstest(q00, stats.uniform(-1, 2).cdf).pvalue > P_MIN


# --- 5. sparse, eye, dirac, constants -----------------------------------------------------------

@pytest.mark.parametrize("row", FIXTURE["sparse"], ids=lambda r: f"{r['shape']}-{r['sparsity']}-{r['std']}")
def test_sparse_zeros_per_column_like_torch(row):
    w = iv.sparse(row["shape"], sparsity=row["sparsity"], std=row["std"], seed=1)
    assert sorted(set((w == 0).sum(axis=0).tolist())) == row["zeros_per_column"]
    w_law = law("sparse", row["shape"], sparsity=row["sparsity"], std=row["std"])
    assert w_law.zero_fraction == row["zeros_per_column"][0] / row["shape"][0]


@pytest.mark.parametrize("row", FIXTURE["eye"], ids=lambda r: str(r["shape"]))
def test_eye_like_torch(row):
    w = iv.eye(row["shape"])
    assert np.argwhere(w).tolist() == row["ones"]
    assert np.all(w[w != 0] == 1)


@pytest.mark.parametrize("row", FIXTURE["dirac"], ids=lambda r: f"{r['shape']}-g{r['groups']}")
def test_dirac_like_torch(row):
    w = iv.dirac(row["shape"], groups=row["groups"])
    assert np.argwhere(w).tolist() == row["ones"]
    assert w.sum() == row["sum"]


@pytest.mark.parametrize("row", FIXTURE["constant"], ids=lambda r: r["scheme"])
def test_constants_like_torch(row):
    w = sample(row["scheme"], row["shape"], **row["params"])
    assert np.unique(w).tolist() == pytest.approx(row["value"], rel=1e-7)  # torch filled float32


# --- 6. errors where torch errs -----------------------------------------------------------------

@pytest.mark.parametrize("row", FIXTURE["errors"], ids=lambda r: f"{r['scheme']}-{r['shape']}-{r['params']}")
def test_invalid_input_raises_where_torch_does(row):
    assert row["raised"]
    with pytest.raises(InitvizError):
        sample(row["scheme"], row["shape"], **row["params"])


def test_torch_mode_error():
    mode_error = next(r for r in FIXTURE["fan_errors"] if "mode" in r)
    assert "fan_in" in mode_error["message"]
    with pytest.raises(InitvizError, match="`mode` must be one of fan_in, fan_out"):
        iv.kaiming_normal((5, 4), mode=mode_error["mode"])


def test_unknown_scheme_lists_options():
    with pytest.raises(InitvizError, match="kaiming_normal.*torch_default"):
        sample("he", (3, 3))


def test_unknown_parameter_lists_parameters():
    with pytest.raises(InitvizError, match="has no parameter `std`; its parameters are: a, mode, nonlinearity"):
        law("kaiming_normal", (3, 3), std=1.0)


@pytest.mark.parametrize("params", [{"gain": "1"}, {"gain": math.nan}, {"gain": True}, {"gain": 1e9}])
def test_bad_parameter_values_name_the_parameter(params):
    with pytest.raises(InitvizError, match="`gain`"):
        law("xavier_normal", (3, 3), **params)


def test_zero_size_shape_is_rejected():
    with pytest.raises(InitvizError, match="`shape`"):
        law("kaiming_uniform", (0, 3))


# --- 7. Keras / JAX presets from their documented formulas --------------------------------------

KERAS_CONSTANT = 0.87962566103423978  # Keras/JAX: std of N(0,1) truncated to (−2, 2)
PRESETS = {  # name: (scale, mode, distribution) as documented by Keras 3 and jax.nn.initializers
    "keras_glorot_uniform": (1.0, "fan_avg", "uniform"), "keras_glorot_normal": (1.0, "fan_avg", "truncated"),
    "keras_he_normal": (2.0, "fan_in", "truncated"), "keras_he_uniform": (2.0, "fan_in", "uniform"),
    "keras_lecun_normal": (1.0, "fan_in", "truncated"), "keras_lecun_uniform": (1.0, "fan_in", "uniform"),
    "jax_lecun_normal": (1.0, "fan_in", "truncated"), "jax_lecun_uniform": (1.0, "fan_in", "uniform"),
    "jax_he_normal": (2.0, "fan_in", "truncated"), "jax_he_uniform": (2.0, "fan_in", "uniform"),
    "jax_glorot_normal": (1.0, "fan_avg", "truncated"), "jax_glorot_uniform": (1.0, "fan_avg", "uniform"),
    "lecun_normal": (1.0, "fan_in", "truncated"), "lecun_uniform": (1.0, "fan_in", "uniform"),
}


def keras_kernel(torch_shape):
    """The Keras/JAX kernel of the layer whose torch weight has ``torch_shape``: (*k, in, out)."""
    return (*torch_shape[2:], torch_shape[1], torch_shape[0])


def documented(kernel, scale, mode, distribution):
    """Expected (kind, parent std or limit, realised std) from the Keras/JAX documentation."""
    rf = math.prod(kernel[:-2])
    fan_in, fan_out = kernel[-2] * rf, kernel[-1] * rf
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2,
         "fan_geo_avg": math.sqrt(fan_in * fan_out)}[mode]
    if distribution == "truncated":
        return "trunc_normal", math.sqrt(scale / n) / KERAS_CONSTANT, math.sqrt(scale / n)
    if distribution == "uniform":
        return "uniform", math.sqrt(3 * scale / n), math.sqrt(scale / n)
    return "normal", math.sqrt(scale / n), math.sqrt(scale / n)


@pytest.mark.parametrize("name", PRESETS)
def test_presets_match_documented_formulas(name):
    for row in FIXTURE["fans"]:
        kind, param, std = documented(keras_kernel(row["shape"]), *PRESETS[name])
        for shape, layout in [(row["shape"], "torch"), (keras_kernel(row["shape"]), SCHEMES[name].library)]:
            if layout == "initviz":
                continue
            w = law(name, shape, layout=layout) if layout != "torch" else law(name, shape)
            assert w.kind == kind
            assert w.scale == pytest.approx(param, rel=REL)
            assert w.std == pytest.approx(std, rel=REL)
            if kind == "trunc_normal":  # cut at ±2 parent std
                assert (w.a, w.b) == pytest.approx((-2 * param, 2 * param), rel=REL)


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg", "fan_geo_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "normal", "uniform"])
def test_variance_scaling_jax_meaning(mode, distribution):
    shape = (48, 16, 3, 5)
    w = law("variance_scaling", shape, scale=0.7, mode=mode, distribution=distribution)
    short = {"truncated_normal": "truncated", "normal": "normal", "uniform": "uniform"}[distribution]
    kind, param, std = documented(keras_kernel(shape), 0.7, mode, short)
    assert (w.kind, w.scale, w.std) == (kind, pytest.approx(param, rel=REL), pytest.approx(std, rel=REL))
    x = iv.variance_scaling(shape, 0.7, mode, distribution, seed=2)
    # SE of the sample std ≈ (σ/2)·√((κ−1)/n)
    assert abs(x.std() - std) < Z * 0.5 * std * math.sqrt((w.kurtosis - 1) / x.size)


def test_keras_truncated_preset_passes_ks():
    x = draw("keras_he_normal", (64, 3, 5, 5), {}, 20_000, seed=5)
    sigma = math.sqrt(2 / 75) / KERAS_CONSTANT
    assert np.abs(x).max() <= 2 * sigma
    assert stats.kstest(x, stats.truncnorm(-2, 2, scale=sigma).cdf).pvalue > P_MIN


def test_library_default_biases():
    assert SCHEMES["keras_glorot_uniform"].bias_law((5, 3)).support == (0.0, 0.0)
    assert SCHEMES["jax_lecun_normal"].bias_law((5, 3)).support == (0.0, 0.0)
    assert SCHEMES["torch_default"].bias_law((5, 3)).support == pytest.approx((-1 / math.sqrt(3), 1 / math.sqrt(3)))
    assert SCHEMES["kaiming_normal"].bias_law((5, 3)) is None


# --- 8. registry, API, dtypes, base draws -------------------------------------------------------

def default_shape(name):
    return {"dirac": (6, 4, 3), "delta_orthogonal": (12, 8, 3, 3)}.get(name, (12, 8))


@pytest.mark.parametrize("name", SCHEMES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_scheme_samples_with_defaults(name, dtype):
    scheme = SCHEMES[name]
    assert scheme.name == name and scheme.label and scheme.doc and scheme.library in LIBRARIES
    for p in scheme.params:
        assert p.kind in PARAM_KINDS and p.help
        assert p.validate(p.default) == p.default
        if p.kind == "choice":
            assert p.default in p.options
    w = sample(name, default_shape(name), seed=0, dtype=dtype)
    assert w.shape == default_shape(name) and w.dtype == np.dtype(dtype) and np.all(np.isfinite(w))
    lo, hi = scheme.law(default_shape(name)).support
    assert np.all((w >= lo) & (w <= hi))


def test_torch_functions_are_registered_and_exported():
    for name in TORCH_FUNCTIONS:
        assert SCHEMES[name].library == "torch"
        assert callable(getattr(iv, name))


def test_readme_call_and_shortcut_agree():
    w = iv.sample("kaiming_normal", (256, 512), seed=0, mode="fan_out", nonlinearity="relu")
    np.testing.assert_array_equal(w, iv.kaiming_normal((256, 512), mode="fan_out", nonlinearity="relu", seed=0))
    # N(0, 2/256): SE of the sample variance σ²√(2/n)
    assert abs(w.var() - 2 / 256) < Z * (2 / 256) * math.sqrt(2 / w.size)


def test_schemes_differing_only_in_scale_give_proportional_tensors():
    shape = (30, 20)
    he = iv.kaiming_normal(shape, nonlinearity="relu", seed=9)
    glorot = iv.xavier_normal(shape, seed=9)
    np.testing.assert_allclose(he / glorot, math.sqrt(2 / 20) / math.sqrt(2 / 50), rtol=1e-14)
    keras_he = sample("keras_he_normal", shape, seed=9)
    keras_lecun = sample("keras_lecun_normal", shape, seed=9)
    np.testing.assert_allclose(keras_he / keras_lecun, math.sqrt(2), rtol=1e-14)


def test_seed_is_the_one_spelling_and_rng_a_deprecated_alias():
    # seed= takes an int, a SeedSequence or a Generator; rng= (the former name) gives the same
    # numbers with a DeprecationWarning, names itself when invalid, and cannot come with seed=
    import warnings

    from initviz.laws import Law

    ints = iv.sample("kaiming_normal", (64, 32), seed=5)
    np.testing.assert_array_equal(ints, iv.sample("kaiming_normal", (64, 32), seed=np.random.SeedSequence(5)))
    np.testing.assert_array_equal(ints, iv.sample("kaiming_normal", (64, 32), seed=np.random.default_rng(5)))
    np.testing.assert_array_equal(ints, iv.kaiming_normal((64, 32), seed=5))
    calls = [(iv.sample, ("orthogonal", (16, 8)), {}), (iv.xavier_uniform, ((16, 8),), {}),
             (iv.zeros, ((4, 3),), {}), (Law("normal").sample, ((5, 3),), {}), (Law("uniform").base, ((5,),), {}),
             (iv.as_generator, (), {})]
    for func, args, kwargs in calls:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            new = func(*args, seed=7, **kwargs)
        with pytest.warns(DeprecationWarning, match="seed="):
            old = func(*args, rng=7, **kwargs)
        if isinstance(new, np.ndarray):
            np.testing.assert_array_equal(new, old)
        else:
            assert new.random() == old.random()
    with pytest.raises(InitvizError, match="`rng`"), pytest.warns(DeprecationWarning):
        iv.sample("normal", (3,), rng=-1)
    with pytest.raises(InitvizError, match="`seed`"):
        iv.sample("normal", (3,), seed=-1)
    with pytest.raises(InitvizError, match="`rng` must not be given with `seed`"):
        iv.sample("normal", (3,), seed=1, rng=1)


# --- delta-orthogonal (JAX delta_orthogonal, torch layout) ---------------------------------------

@pytest.mark.parametrize("shape", [(7, 7, 3), (9, 4, 4, 4), (5, 3, 2, 3, 5), (6, 6, 1, 1)])
@pytest.mark.parametrize("scale", [1.0, -0.7])
def test_delta_orthogonal_is_jaxs_centre_tap_rule(shape, scale):
    """JAX (jax/_src/nn/initializers.py): zeros, and at index (k−1)//2 of every spatial axis an
    orthogonal (in, out) tap with orthonormal rows times scale — in torch layout the (out, in) tap has
    orthonormal columns: tapᵀ·tap = scale²·I up to float64 rounding of a Householder QR (≲ n·ε)."""
    w = iv.delta_orthogonal(shape, scale=scale, seed=3)
    out_ch, in_ch, *k = shape
    centre = tuple((s - 1) // 2 for s in k)
    tap = w[(slice(None), slice(None), *centre)]
    np.testing.assert_allclose(tap.T @ tap, scale ** 2 * np.eye(in_ch), atol=10 * out_ch * np.finfo(float).eps)
    rest = w.copy()
    rest[(slice(None), slice(None), *centre)] = 0
    assert not rest.any()
    law = iv.law("delta_orthogonal", shape, scale=scale)
    assert law.zero_fraction == pytest.approx(1 - 1 / math.prod(k), abs=1e-15)
    assert law.var == pytest.approx(scale ** 2 / (math.prod(k) * out_ch), rel=1e-14)  # g²/(K·out)
    assert law.support == (-abs(scale), abs(scale))


def test_delta_orthogonal_refuses_what_jax_refuses():
    with pytest.raises(InitvizError, match="in_channels <= out_channels"):
        iv.delta_orthogonal((4, 6, 3, 3))  # JAX: "`fan_in` must be less or equal than `fan_out`"
    for shape in ((6, 4), (2, 2, 2, 2, 2, 2)):  # JAX: "requires a 3D, 4D or 5D shape"
        with pytest.raises(InitvizError, match="3, 4 or 5 dimensions"):
            iv.delta_orthogonal(shape)


def test_delta_orthogonal_centre_entries_follow_the_haar_coordinate_law():
    # the non-zero entries are coordinates of Haar unit vectors in R^out (times the scale): their
    # distribution function is continuous_part().cdf — a Kolmogorov–Smirnov test at level 1e-3
    law = iv.law("delta_orthogonal", (10, 6, 3, 3), scale=2.0)
    rng = np.random.default_rng(8)
    values = np.concatenate([law.sample(seed=rng)[:, :, 1, 1].ravel() for _ in range(300)])
    assert stats.kstest(values, law.continuous_part().cdf).pvalue > 1e-3


DELTA_FIXTURE = json.loads((pathlib.Path(__file__).parent / "fixtures" / "torch_delta_orthogonal_reference.json").read_text())


@pytest.mark.parametrize("case", DELTA_FIXTURE["cases"], ids=lambda c: f"{c['layer']}-{c['n_in']}x{c['n_out']}-k{c['kernel']}")
def test_delta_orthogonal_torch_snippet_draws_initvizs_law(case):
    """The page's PyTorch snippet, run under torch 2.13 (scripts/make_torch_delta_fixture.py), against
    initviz: the same non-zero tap and zero fraction, an orthogonal tap (float32 Householder QR:
    |tapᵀtap − g²I| ≲ 10·out·ε₃₂·g²), and its non-zero entries distributed as the law's continuous
    part (Kolmogorov–Smirnov at level 1e-3; the entries of one matrix are only weakly dependent)."""
    shape, scale = tuple(case["shape"]), case["scale"]
    law = iv.law("delta_orthogonal", shape, scale=scale)
    ours = iv.delta_orthogonal(shape, scale=scale, seed=1)
    assert [list(p) for p in np.argwhere(ours.any(axis=(0, 1)))] == case["positions"]
    assert case["zero_fraction"] == pytest.approx(law.zero_fraction, abs=1e-15)
    assert case["tap_gram_max_error"] <= 10 * shape[0] * np.finfo(np.float32).eps * scale ** 2
    # every column of the tap has squared norm g² (float32: to ~1e-6 relative), so the mean square of
    # its out·in entries is g²/out — the variance of the law's continuous part, exactly
    assert np.mean(np.square(case["values"])) == pytest.approx(law.continuous_part().var, rel=1e-5)
    assert stats.kstest(case["values"], law.continuous_part().cdf).pvalue > 1e-3
