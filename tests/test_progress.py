"""The computations' progress hooks (``progress=``): reports increase to their total, and a stop asked
after k units returns a truncated result whose k units are the full run's (same code path: a stop is
the deadline's truncation, so the numbers agree to rounding — compared at 1e-12 relative)."""

import numpy as np
import pytest

import initviz as iv
from initviz.coordcheck import coord_check
from initviz.errors import InitvizError
from initviz.transfer import lr_sweep

REL = 1e-12
"""The stopped run computes its units exactly as the full run (same calls, same order): any
difference beyond a few ulps would be a different computation."""


class Recorder:
    """A progress callable that records its calls and asks to stop once ``done`` reaches ``stop_at``."""

    def __init__(self, stop_at=None):
        self.calls, self.stop_at, self.partials = [], stop_at, []

    def __call__(self, done, total, partial=None):
        self.calls.append((done, total))
        if partial is not None:  # what the result is at this report (partial() reads the run's state now)
            self.partials.append(partial())
        return self.stop_at is not None and done >= self.stop_at


def assert_monotone_to_total(calls, total):
    done = [d for d, _ in calls]
    assert all(t == total for _, t in calls)
    assert done == sorted(done) and done[0] == 0 and done[-1] == total
    assert len(set(done)) == len(done)  # each unit reported once


def close(a, b):
    np.testing.assert_allclose(a, b, rtol=REL, atol=0, equal_nan=True)


@pytest.mark.parametrize("residual", [False, True])
def test_propagate_reports_every_layer_pass(residual):
    net = (iv.Network.residual_net(32, 6, activation="relu", init="kaiming_normal", placement="pre",
                                   norm="layernorm")
           if residual else iv.Network.mlp(32, [32] * 6, activation="tanh", init="xavier_normal"))
    rec = Recorder()
    res = iv.propagate(net, batch=16, n_seeds=2, backward=True, progress=rec)
    assert not res.truncated
    assert_monotone_to_total(rec.calls, 2 * 2 * 6)  # n_seeds × (forward + backward) × depth


@pytest.mark.parametrize("k", [1, 4, 9])
def test_propagate_stopped_after_k_layers_is_the_full_runs_first_k(k):
    net = iv.Network.mlp(48, [48] * 12, activation="relu", init="kaiming_normal")
    args = dict(batch=32, seed=3, backward=False, histograms=())
    full = iv.propagate(net, **args)
    rec = Recorder(stop_at=k)
    part = iv.propagate(net, progress=rec, **args)
    assert part.truncated and "stopped" in part.reason
    assert int(part.layers_done[0]) == k and rec.calls[-1] == (k, 12)
    for name in ("act_var", "preact_var", "norm_ratio", "dead", "unit_spread"):
        close(part.stats[name][:, :k], full.stats[name][:, :k])
        assert np.isnan(part.stats[name][:, k:]).all()


def test_propagate_stop_in_the_backward_pass_keeps_the_forward_pass():
    net = iv.Network.mlp(32, [32] * 5, activation="tanh", init="xavier_normal")
    full = iv.propagate(net, batch=16, histograms=())
    part = iv.propagate(net, batch=16, histograms=(), progress=Recorder(stop_at=7))  # 5 forward, 2 backward
    assert part.truncated
    close(part.stats["act_var"], full.stats["act_var"])
    close(part.stats["grad_var"][:, 3:], full.stats["grad_var"][:, 3:])  # layers 5, 4: the first backward passes
    assert np.isnan(part.stats["grad_var"][:, :3]).all()


def test_progress_must_be_callable():
    net = iv.Network.mlp(8, [8, 8])
    with pytest.raises(InitvizError, match="progress"):
        iv.propagate(net, batch=4, progress=3)


def _training_case():
    task = iv.tasks.get_task("spirals", n=200)
    net = iv.Network.mlp(2, [16, 16, 2], "tanh", "xavier_normal", layer_activations={3: "linear"})
    return net, task, dict(steps=12, batch=20, n_seeds=2, log_every=3)


def test_train_reports_every_step_with_its_partial_result():
    net, task, args = _training_case()
    rec = Recorder()
    res = iv.train(net, task, progress=rec, **args)
    assert not res.truncated
    assert_monotone_to_total(rec.calls, 24)
    mid = rec.partials[5]  # before step 5 of repeat 0: steps 0..4 done
    assert mid.truncated and mid.params == []
    close(mid.train_loss[0, :5], res.train_loss[0, :5])
    assert np.isnan(mid.train_loss[0, 5:]).all() and np.isnan(mid.train_loss[1]).all()
    final = rec.partials[-1]
    assert not final.truncated
    close(final.train_loss, res.train_loss)


@pytest.mark.parametrize("k", [3, 12, 17])
def test_train_stopped_after_k_steps_is_the_full_runs_first_k(k):
    net, task, args = _training_case()
    full = iv.train(net, task, **args)
    part = iv.train(net, task, progress=Recorder(stop_at=k), **args)
    assert part.truncated and "stopped" in part.reason
    flat_full, flat_part = full.train_loss.ravel(), part.train_loss.ravel()
    close(flat_part[:k], flat_full[:k])
    assert np.isnan(flat_part[k:]).all()


def test_coord_check_reports_each_width_and_seed_and_stops_between_widths():
    args = dict(preset="mup", optimizer="sgd", widths=[128, 256, 512], steps=2, n_seeds=2, dtype="float64")
    rec = Recorder()
    full = coord_check(progress=rec, **args)
    assert_monotone_to_total(rec.calls, 6)
    assert full.attrs["truncated"] is False
    part = coord_check(progress=Recorder(stop_at=3), **args)  # stopped at width 256's second seed
    assert part.attrs["truncated"] and "256" in part.attrs["reason"]
    assert sorted(part.width.unique()) == [128]  # the widths completed only
    kept = full[full.width == 128].reset_index(drop=True)
    close(part["value"].to_numpy(), kept["value"].to_numpy())


def test_lr_sweep_reports_each_preset_and_width_and_stops_between_them():
    args = dict(presets=("sp", "mup"), log2_lrs=[-4, -2], widths=[32, 64], steps=3, n_seeds=1, base_width=32,
                batch=16, dtype="float64")
    rec = Recorder()
    full = lr_sweep(progress=rec, **args)
    assert_monotone_to_total(rec.calls, 4)
    assert full.attrs["truncated"] is False
    part = lr_sweep(progress=Recorder(stop_at=3), **args)  # stopped before μP's width 64
    assert part.attrs["truncated"] and "mup, width 64" in part.attrs["reason"]
    done = {("sp", 32), ("sp", 64), ("mup", 32)}
    assert set(zip(part.preset, part.width)) == done  # every rate of each pair completed, nothing of the rest
    kept = full[[pair in done for pair in zip(full.preset, full.width)]].reset_index(drop=True)
    close(part["loss"].to_numpy(), kept["loss"].to_numpy())
