"""Learning-rate transfer (initviz.transfer): under SP the best SGD learning rate of the tanh MLP family
on digits moves to smaller rates as width grows (theory: η* ∝ 1/width, the output layer's update being
∝ width·η), under μP it stays on the same octave. The optimum is an argmin over a grid of octaves; the
test also requires SP's shift to be real — at the wide width, the narrow width's optimum is worse than
the wide one's by more than Z = 4 standard errors of the mean paired difference (seed r starts from
the same weights and batches at every rate: common random numbers), so the location is not seed noise."""

import functools
import math

import numpy as np

import pytest

import initviz as iv

Z = 4.0


@functools.lru_cache(maxsize=None)
def _sweep():
    return iv.lr_sweep(("sp", "mup"), "sgd", log2_lrs=range(-4, 2), widths=(64, 512), steps=30, n_seeds=3,
                       base_width=64, batch=32, dtype="float64")


def _table(frame, preset, width):
    """Loss per seed (rows) and log₂ lr (columns)."""
    rows = frame[(frame.preset == preset) & (frame.width == width)]
    return rows.pivot(index="seed", columns="log2_lr", values="loss")


def _worse(table, k, best):
    """Rate k's loss exceeds rate best's beyond Z standard errors of the mean paired difference."""
    diff = table[k] - table[best]
    return diff.mean() > Z * diff.std(ddof=1) / math.sqrt(len(diff))


def _optimum(table):
    best = table.mean().idxmin()
    assert table.columns.min() < best < table.columns.max()  # an interior optimum: the grid brackets it
    return best


def test_sp_optimum_moves_with_width_and_mup_stays():
    frame = _sweep()
    sp_narrow, sp_wide = _table(frame, "sp", 64), _table(frame, "sp", 512)
    assert _optimum(sp_wide) <= _optimum(sp_narrow) - 1
    assert _worse(sp_wide, _optimum(sp_narrow), _optimum(sp_wide))  # the narrow optimum is now too large
    mup_narrow, mup_wide = _table(frame, "mup", 64), _table(frame, "mup", 512)
    best = _optimum(mup_narrow)
    assert _optimum(mup_wide) == best
    assert _worse(mup_wide, best + 1, best)  # one octave up is still worse at the wide width: no drift right
    found = iv.lr_optimum(frame).set_index(["preset", "width"]).log2_lr
    assert found[("mup", 512)] == best and found[("sp", 512)] == _optimum(sp_wide)


def test_mup_and_sp_agree_at_the_base_width_up_to_the_readout():
    # at n = base width every μP scale is 1 except the zero readout: with the readout drawn too, the
    # two presets are the same network and training, to the bit
    a = iv.lr_sweep(("sp",), "sgd", log2_lrs=[-2], widths=(64,), steps=5, n_seeds=1, base_width=64, batch=16)
    b = iv.lr_sweep(("mup",), "sgd", log2_lrs=[-2], widths=(64,), steps=5, n_seeds=1, base_width=64, batch=16,
                    readout_zero=False)
    assert a.loss.tolist() == b.loss.tolist()


def test_a_diverging_rate_scores_infinity():
    frame = iv.lr_sweep(("sp",), "sgd", log2_lrs=[8], widths=(64,), steps=20, n_seeds=1, batch=16, activation="relu")
    assert frame.loss.tolist() == [math.inf]


@pytest.mark.parametrize("bad", [dict(presets=("xp",)), dict(log2_lrs=[]), dict(log2_lrs=range(40)),
                                 dict(widths=[10 ** 6]), dict(steps=0), dict(n_seeds=0), dict(task=1),
                                 dict(max_work=1), dict(log2_lrs=[math.nan]),
                                 dict(presets=3), dict(depth="3"), dict(batch="x"), dict(seed=-1),
                                 dict(optimizer="rmsprop")])
def test_invalid_arguments_are_refused(bad):
    with pytest.raises(iv.InitvizError):
        iv.lr_sweep(**({"log2_lrs": [-2], "widths": (32,), "steps": 2, "n_seeds": 1, "batch": 16} | bad))


def test_the_work_limit_counts_training_and_evaluation():
    # by hand: weights W = 64·32 + 32·32 + 32·10 (digits, depth 3, width 32); per seed and rate T·batch·3
    # products per weight to train, then the test set at the first and last step and after the last update
    # (train's logged steps) and the training set at the end
    task = iv.tasks.get_task("digits")
    weights = 64 * 32 + 32 * 32 + 32 * 10
    work = 2 * weights * (3 * 16 * 3 + 3 * len(task.x_test) + len(task.x_train))
    assert iv.transfer.sweep_work(task, 1, 2, (32,), 3, 1, 16, iv.coordcheck.WidthFamily()) == work
    kwargs = dict(presets=("sp",), log2_lrs=[-2, -1], widths=(32,), steps=3, n_seeds=1, batch=16)
    assert len(iv.lr_sweep(**kwargs, max_work=work)) == 2
    with pytest.raises(iv.InitvizError):
        iv.lr_sweep(**kwargs, max_work=work - 1)


def test_a_residual_sweep_trains_the_residual_family_and_counts_its_work():
    # by hand: W = 64·32 + 32·32 + 32·10 for one block of a one-layer branch at n = 32 (digits)
    task = iv.tasks.get_task("digits")
    family = iv.coordcheck.WidthFamily("post", 1, branch_depth=1)
    weights = 64 * 32 + 32 * 32 + 32 * 10
    work = 2 * weights * (3 * 16 * 3 + 3 * len(task.x_test) + len(task.x_train))
    assert iv.transfer.sweep_work(task, 1, 2, (32,), 3, 1, 16, family) == work
    kwargs = dict(presets=("mup",), log2_lrs=[-2, -1], widths=(32,), steps=3, n_seeds=1, batch=16, base_width=32,
                  arch="post", depth=1, branch_depth=1)
    frame = iv.lr_sweep(**kwargs, max_work=work)
    # the loss after training is the residual network's, not the MLP's of the same width
    mlp = iv.lr_sweep(**{**kwargs, "arch": "mlp", "depth": 3})
    assert np.isfinite(frame.loss).all() and not np.allclose(frame.loss, mlp.loss)
    with pytest.raises(iv.InitvizError):
        iv.lr_sweep(**kwargs, max_work=work - 1)
    with pytest.raises(iv.InitvizError):
        iv.lr_sweep(**{**kwargs, "block_preset": "deepnorm", "arch": "pre"})


def test_a_residual_familys_sp_optimum_moves_with_width_and_mup_stays():
    # pre-LayerNorm blocks (2, one-layer branches) between an input layer and a readout: the readout's
    # update grows ∝ width·η under SP as the MLP's does; the same octave and Z tests as the MLP's above
    # (5 seeds: SP's paired differences vary more here than the MLP's; μP's optimum is flatter, so only its
    # octave is required)
    frame = iv.lr_sweep(("sp", "mup"), "sgd", log2_lrs=range(-5, 0), widths=(64, 512), steps=30, n_seeds=5,
                        base_width=64, batch=32, dtype="float32", arch="pre", depth=2, branch_depth=1)
    sp_narrow, sp_wide = _table(frame, "sp", 64), _table(frame, "sp", 512)
    assert _optimum(sp_wide) <= _optimum(sp_narrow) - 1
    assert _worse(sp_wide, _optimum(sp_narrow), _optimum(sp_wide))
    mup_narrow, mup_wide = _table(frame, "mup", 64), _table(frame, "mup", 512)
    assert _optimum(mup_wide) == _optimum(mup_narrow)
