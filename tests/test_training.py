"""initviz.train, its tasks, losses and optimizers: the classic outcomes of the training-lab presets
(fixed seeds; the margins say where they come from), determinism, validation. Exactness against
torch is tests/test_training_torch.py."""

import math

import numpy as np
import pytest

import initviz as iv
from initviz import InitvizError, losses, optimizers, tasks, training


def _digits_net(init, params=None, activation="relu", widths=(128, 128, 10)):
    return iv.Network.mlp(64, list(widths), activation, init, params, layer_activations={len(widths): "linear"})


@pytest.fixture(scope="module")
def digits():
    return tasks.digits()


def test_digits_ship_with_a_fixed_stratified_split_and_standardised_pixels(digits):
    assert digits.x_train.shape == (1442, 64) and digits.x_test.shape == (355, 64) and digits.out_dim == 10
    counts = np.bincount(digits.y_test, minlength=10) + np.bincount(digits.y_train, minlength=10)
    assert counts.sum() == 1797 and np.all(np.bincount(digits.y_test, minlength=10) == counts // 5)
    used = digits.x_train.std(axis=0) > 0  # pixels constant in the training set are 0
    np.testing.assert_allclose(digits.x_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(digits.x_train.std(axis=0)[used], 1, rtol=1e-12)
    assert not digits.x_train[:, ~used].any()
    assert digits.chance == math.log(10) and abs(digits.baseline - math.log(10)) < 1e-3  # nearly balanced


@pytest.mark.parametrize("name,options,loss,out", [("spirals", {"n": 101}, "cross_entropy", 2),
                                                   ("mixture", {"n": 90, "classes": 3, "dim": 5}, "cross_entropy", 3),
                                                   ("teacher", {"n": 50, "in_dim": 4, "out_dim": 2}, "mse", 2)])
def test_synthetic_tasks_are_seeded(name, options, loss, out):
    a, b, c = (tasks.get_task(name, **options, seed=s) for s in (0, 0, 1))
    assert a.loss == loss and a.out_dim == out and a.x_train.shape[0] + a.x_test.shape[0] == options["n"]
    assert np.array_equal(a.x_train, b.x_train) and not np.array_equal(a.x_train, c.x_train)


def test_a_student_equal_to_its_teacher_has_loss_zero():
    # the teacher's targets are its own outputs: the same network evaluated again gives loss 0 exactly
    task = tasks.teacher(n=40, in_dim=4, width=8, depth=2, out_dim=2, seed=3)
    assert task.baseline > 0.01
    _, grad = losses.mse(task.y_train.copy(), task.y_train)
    assert losses.mse(task.y_train.copy(), task.y_train)[0] == 0.0 and not grad.any()


def test_losses_match_their_definitions():
    z = np.array([[1000.0, 0.0, -5.0], [0.5, 0.25, 0.0]])
    y = np.array([1, 2])
    loss, grad = losses.cross_entropy(z, y)
    # row 0: logsumexp ≈ 1000, minus z_1 = 0; row 1 from the definition (no overflow for 1000)
    row1 = math.log(sum(math.exp(v) for v in z[1])) - z[1, 2]
    assert loss == pytest.approx((1000.0 + row1) / 2, rel=1e-15)
    soft = np.exp(z - z.max(axis=1, keepdims=True))
    soft /= soft.sum(axis=1, keepdims=True)
    soft[[0, 1], y] -= 1
    np.testing.assert_allclose(grad, soft / 2, rtol=1e-15)
    out, target = np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]])
    assert losses.mse(out, target)[0] == 2.5 and np.array_equal(losses.mse(out, target)[1], [[1.0, 2.0]])
    assert losses.accuracy(z, y) == 0.0


def test_zero_init_never_learns_anything_but_the_output_bias(digits):
    # every hidden unit is relu(0) = 0 with zero gradient; only the output bias moves, so every input
    # gets the same logits: the prediction is one class for all, its accuracy that class's frequency
    res = iv.train(_digits_net("zeros"), digits, lr=0.1, steps=100, batch=64, log_every=10)
    assert res.train_loss[0, 0] == pytest.approx(math.log(10), rel=1e-6)  # all logits 0: exactly chance
    assert all(not W.any() for W, _ in res.params[0]) and res.params[0][-1][1].any()
    assert res.test_accuracy[0, -1] <= np.bincount(digits.y_test).max() / digits.y_test.size
    assert np.all(res.layers["distinct_units"][0, :, :2] == 1)


def test_constant_init_keeps_every_hidden_unit_identical_for_the_whole_run(digits):
    res = iv.train(_digits_net("constant", {"val": 0.05}, "tanh"), digits, lr=0.05, steps=100, batch=64,
                   log_every=10)
    assert np.all(res.layers["distinct_units"][0, :, :2] == 1)
    random = iv.train(_digits_net("xavier_normal", None, "tanh"), digits, lr=0.05, steps=1, batch=64)
    assert np.all(random.layers["distinct_units"][0, 0, :2] == 128)


def test_he_trains_where_ten_times_he_struggles(digits):
    # He et al.: ReLU with variance 2/fan_in; ×10 the std (layers 2–3 exactly, layer 1 ×7.1, one
    # N(0, (10·√(2/128))²) law for all) multiplies the logits by ~10³ and the first losses by
    # hundreds. Over 3 seeds each, the worst He run must beat the best ×10 run after 200 steps.
    he = iv.train(_digits_net("kaiming_normal", {"nonlinearity": "relu"}), digits, lr=0.05, steps=200, n_seeds=3,
                  log_every=100)
    big = iv.train(_digits_net("normal", {"std": 10 * math.sqrt(2 / 128)}), digits, lr=0.05, steps=200, n_seeds=3,
                   log_every=100)
    assert he.test_loss[:, -1].max() < big.test_loss[:, -1].min()
    assert he.train_loss[:, 0].max() < 2 * math.log(10) < big.train_loss[:, 0].min()


def test_an_over_confident_softmax_starts_far_above_chance(digits):
    # N(0, 1) weights on a tanh net: the hidden units saturate at ±1, so each logit has std ≈ √128
    # ≈ 11 and the loss starts near E[max of 10 logits − the label's] ≈ 11·1.5 — far above log 10
    res = iv.train(_digits_net("normal", {"std": 1.0}, "tanh"), digits, lr=0.05, steps=1, n_seeds=3)
    assert np.all(res.train_loss[:, 0] > 4 * res.chance)
    calm = iv.train(_digits_net("xavier_normal", None, "tanh"), digits, lr=0.05, steps=1, n_seeds=3)
    assert np.all(np.abs(calm.train_loss[:, 0] - calm.chance) < 0.5 * calm.chance)


def test_plain_residual_blocks_train_only_with_small_branches(digits):
    # The Experiments preset train_resid_plain: 20 pre-activation blocks x + W2 relu(W1 x) of width 32,
    # no norm. Mean field: each block multiplies E x² by 1 + g, g the branch's gain Var(W2)·n·Var(W1)·n/2:
    # He 2 (×3 a block, 3²⁰ ≈ 3.5e9), Xavier 1/2 (1.5²⁰ ≈ 3.3e3), PyTorch's U(±1/√n) 1/18 (1.06²⁰ ≈ 3).
    # The logits' std scales with √ of it: ≥ √3.3e3 ≈ 57 times PyTorch's, whose first loss is near
    # chance; so a first loss above 5·chance leaves a margin of ~10 in logit scale. SGD then diverges
    # (non-finite or above chance) for the large branches on every seed, while PyTorch's ends within
    # chance / 2 (its seeds end at 0.16–0.5 on seeds 0–3, spread ±0.2: the bound is > 3 spreads away).
    def run(init):
        net = iv.Network.residual_net(32, 20, "relu", init, norm="none", placement="pre", in_features=64,
                                      out_features=10)
        with np.errstate(all="ignore"):
            return iv.train(net, digits, lr=0.05, momentum=0.9, steps=150, batch=64, n_seeds=2, log_every=5)

    small = run("torch_default")
    assert np.all(np.abs(small.train_loss[:, 0] - small.chance) < 0.5 * small.chance)
    assert np.all(small.test_loss[:, -1] < small.chance / 2) and np.all(small.test_accuracy[:, -1] > 0.8)
    for init in ("kaiming_normal", "xavier_normal"):
        large = run(init)
        assert np.all(large.train_loss[:, 0] > 5 * large.chance), init
        end = large.test_loss[:, -1]
        assert np.all(~np.isfinite(end) | (end > large.chance)), init


def test_training_is_deterministic_and_repeats_start_from_propagations_weights(digits):
    net = _digits_net("kaiming_uniform", None, "relu", widths=(32, 10))
    a = iv.train(net, digits, optimizer="adam", lr=1e-3, steps=20, n_seeds=2, batch=32, log_every=5)
    b = iv.train(net, digits, optimizer="adam", lr=1e-3, steps=20, n_seeds=2, batch=32, log_every=5)
    assert np.array_equal(a.train_loss, b.train_loss) and a.to_frame().equals(b.to_frame())
    assert a.layer_frame().equals(b.layer_frame())
    assert not np.array_equal(a.train_loss[0], a.train_loss[1])  # repeats draw their own weights and order
    first = training._initial_params(net, 0, 0, np.dtype("float32"))[0][0]
    from initviz.rng import ROLE_WEIGHTS
    from initviz.rng import stream

    assert np.array_equal(first, net.weight_law(1).sample((32, 64), stream(0, 0, ROLE_WEIGHTS, 1), "float32"))
    frame = a.to_frame()
    assert list(frame.columns) == ["seed", "step", "train_loss", "test_loss", "test_accuracy"]
    assert len(frame) == 2 * 21 and frame["test_loss"].notna().sum() == 2 * 6  # steps 0, 5, 10, 15, 19 and 20
    assert list(a.logged) == [0, 5, 10, 15, 19]


def test_every_epoch_visits_each_training_sample_once():
    task = tasks.spirals(n=50, test_fraction=0.2)  # 40 training samples, batch 8: 5 steps an epoch
    run = training._Training(_digits_net("zeros", None, "relu", (4, 2)), task, np.dtype("float64"), 10, 8, 0, 1,
                             np.arange(10))
    steps = [idx for _, idx in zip(range(10), run.batches(0))]
    for epoch in (steps[:5], steps[5:]):
        assert sorted(np.concatenate(epoch)) == list(range(40))
    assert not np.array_equal(np.concatenate(steps[:5]), np.concatenate(steps[5:]))


def test_distinct_units_counts_units_beyond_rounding():
    a = np.tile(np.linspace(-1, 1, 7, dtype=np.float32)[:, None], (1, 5))
    assert training.distinct_units(a) == 1
    a[:, 2] += 1e-6  # a few float32 ulps: rounding
    assert training.distinct_units(a) == 1
    a[:, 3] += 0.1
    assert training.distinct_units(a) == 2 and training.distinct_units(np.zeros((3, 4))) == 1


@pytest.mark.parametrize("kwargs,fragment", [
    (dict(optimizer="rmsprop"), "Argument `optimizer` must be one of sgd, adam, adamw"),
    (dict(lr=-1.0), "Argument `lr` must be a finite number"),
    (dict(steps=0), "Argument `steps` must be an int"),
    (dict(batch=10_000), "Argument `batch` must be an int"),
    (dict(momentum=0.9, optimizer="adam"), "Argument `momentum` must be 0 for adam"),
    (dict(optimizer_options={"nesterov": True}), "Argument `nesterov` must come with momentum > 0"),
    (dict(optimizer="adam", optimizer_options={"betas": (1.0, 0.9)}), "Argument `betas[0]` must be a finite number"),
])
def test_invalid_training_arguments(kwargs, fragment):
    task = tasks.spirals(n=200)
    net = iv.Network.mlp(2, [4, 2], "tanh", "xavier_normal", layer_activations={2: "linear"})
    with pytest.raises(InitvizError) as err:
        iv.train(net, task, **kwargs)
    assert fragment in str(err.value)
    with pytest.raises(InitvizError, match="take the task's 2 inputs"):
        iv.train(iv.Network.mlp(3, [4, 2]), task)


def test_a_deadline_stops_training_with_what_was_done(digits):
    res = iv.train(_digits_net("kaiming_normal"), digits, steps=10_000, deadline=0.3)
    assert res.truncated and "deadline" in res.reason
    done = np.count_nonzero(~np.isnan(res.train_loss[0]))
    assert 0 < done < 10_000 and np.isnan(res.train_loss[0, done:]).all()


def test_histograms_bin_every_entry_over_edges_shared_by_the_chosen_steps():
    # activations are recomputed here independently: the weights after t updates (a run of t steps)
    # on step t's batch, through tanh; the counts are np.histogram's of them over the run's edges,
    # where an entry within float64 rounding (1e-12 relative) of an edge may fall on either side
    task = tasks.spirals(n=120, test_fraction=0.25)
    net = iv.Network.mlp(2, [12, 2], "tanh", "xavier_normal", layer_activations={2: "linear"})
    kw = dict(lr=0.5, batch=10, dtype="float64", n_seeds=2)
    res = iv.train(net, task, steps=12, histogram_steps=(11, 0, 11), histogram_bins=9, **kw)
    assert list(res.histogram_steps) == [0, 11] and res.hist_recorded.all()
    run = training._Training(net, task, np.dtype("float64"), 12, 10, 0, 2, np.arange(12))
    for rep in range(2):
        batches = [idx for _, idx in zip(range(12), run.batches(rep))]
        acts = []
        for k, t in enumerate((0, 11)):
            (W, b), _ = iv.train(net, task, steps=t, **kw).params[rep] if t else \
                training._initial_params(net, 0, rep, np.dtype("float64"))
            acts.append(np.tanh(task.x_train[batches[t]] @ W.T + b))
        edges = res.hist_edges["act"][rep, 0]
        assert edges[0] == pytest.approx(min(a.min() for a in acts), rel=1e-12)
        assert edges[-1] == pytest.approx(max(a.max() for a in acts), rel=1e-12)
        for k, a in enumerate(acts):
            counts = res.hist_counts["act"][rep, k, 0]
            near = (np.abs(a[..., None] - edges) <= 1e-12).any(axis=-1).sum()
            assert counts.sum() == a.size and np.abs(counts - np.histogram(a, bins=edges)[0]).sum() <= 2 * near
    frame = res.histogram_frame("grad")
    assert list(frame.columns) == ["seed", "step", "layer", "bin_lo", "bin_hi", "count", "density"]
    sums = frame.groupby(["seed", "step", "layer"])["count"].sum()
    assert sums.xs(1, level="layer").eq(12 * 2).all() and sums.xs(2, level="layer").eq(2 * 12).all()
    widths = frame["bin_hi"] - frame["bin_lo"]
    dens = (frame["density"] * widths).groupby([frame["seed"], frame["step"], frame["layer"]]).sum()
    np.testing.assert_allclose(dens, 1.0, rtol=1e-12)  # a density integrates to 1 over the edges
    assert training.train(net, task, steps=3, **kw).histogram_frame().empty  # none asked for


def test_histograms_are_checked_and_stop_where_training_stopped():
    task = tasks.spirals(n=60)
    net = iv.Network.mlp(2, [8, 2], "relu", "kaiming_normal", layer_activations={2: "linear"})
    for bad in ((20,), (-1,), 3, tuple(range(training.MAX_HISTOGRAM_STEPS + 1))):
        with pytest.raises(InitvizError, match="histogram_steps"):
            iv.train(net, task, steps=20, batch=8, histogram_steps=bad)
    wide = iv.Network.mlp(2, [2048, 2048, 2], "relu", "kaiming_normal", layer_activations={3: "linear"})
    steps = training.MAX_HISTOGRAM_VALUES // (2 * 2048 + 2048 ** 2 + 2048 * 2 + 8 * (2048 + 2048 + 2)) + 1
    with pytest.raises(InitvizError, match="keep at most"):  # refused before any work
        iv.train(wide, task, steps=steps, batch=8, histogram_steps=range(steps))
    with pytest.raises(InitvizError, match="histogram_bins"):
        iv.train(net, task, steps=5, batch=8, histogram_steps=(1,), histogram_bins=0)
    res = iv.train(net, task, steps=5, batch=8, histogram_steps=(0, 4), deadline=0.0)
    assert not res.hist_recorded.any() and res.histogram_frame().empty


@pytest.mark.parametrize("name,param", [("relu", None), ("leaky_relu", 0.2), ("linear", None), ("tanh", None)])
def test_the_backward_products_are_g_times_the_derivative(name, param):
    # δ = g·φ′(h): the shortcuts for relu, leaky_relu and linear are the same elementwise products
    rng = np.random.default_rng(0)
    h = rng.standard_normal((16, 8)).astype(np.float32)
    h[0, :4] = (0.0, -0.0, np.inf, -np.inf)
    g = rng.standard_normal((16, 8)).astype(np.float32)
    act = iv.activations.get_activation(name, param)
    np.testing.assert_array_equal(training._delta(act, h, g), g * act.derivative(h))


def test_distinct_units_counts_the_columns_numpys_unique_finds():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((6, 5))[:, [0, 1, 1, 2, 3, 3, 3, 4]]  # 5 distinct columns among 8
    a[:, 2] += 1e-12  # within rounding of its twin
    a[0, 4:7] = 1e-20, -1e-20, 0.0  # three twins: keys 0, −0, 0 are one key
    tol = math.sqrt(np.finfo(np.float64).eps) * np.abs(a).max()
    assert training.distinct_units(a) == np.unique(np.round(a / tol), axis=1).shape[1] == 5
