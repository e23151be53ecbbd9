"""Learning tasks for :func:`initviz.train`: one real data set that ships with initviz and
synthetic ones whose answer is known.

* ``digits`` — the 1,797 8×8 handwritten digits (10 classes) bundled with scikit-learn
  (``initviz/data``, BSD licence; no download): a fixed stratified split (every 5th image of each
  class, in file order, is a test image: 1,442 train / 355 test), inputs standardised with the
  training set's per-pixel mean and std (pixels constant in the training set are set to 0).
* ``spirals`` — two interleaved spirals in ℝ² (2 classes), r = t, angle 2π·turns·t (+π for the
  second), t ~ U(0, 1], plus N(0, noise²) per coordinate.
* ``mixture`` — a Gaussian mixture: C class means drawn once from N(0, separation²·I/dim) in
  ℝ^dim, points N(mean_c, I/dim): the Bayes error is set by ``separation``.
* ``teacher`` — regression onto a random teacher network of the MLP family (tanh, Xavier
  normal, a linear output of ``out_dim`` units): inputs N(0, I), targets the teacher's outputs, so
  a student of the same shape can reach loss 0 exactly.

A :class:`Task` holds float64 arrays (train and test), its loss (``"cross_entropy"`` with integer
labels, or ``"mse"`` with target vectors), and the loss of the best constant prediction
(:attr:`Task.baseline`): −log(1/C) for C balanced classes is the loss of the uniform prediction
(the "chance" an untrained softmax should start near: makemore's 3.29 for 27 classes); for MSE the
mean over outputs of the target variance (predicting the training mean).

Every draw comes from ``seed`` (:func:`initviz.rng.as_generator`); the same seed gives the same task.
"""

from __future__ import annotations

import functools
import gzip
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import invalid, one_of
from .limits import check_float, check_int
from .rng import as_generator

DATA = Path(__file__).resolve().parent / "data"
"""Where the shipped data sets live."""

LOSSES = ("cross_entropy", "mse")
"""Losses a task can be trained with (:mod:`initviz.losses`)."""

MAX_SAMPLES = 100_000
"""Most samples a synthetic task draws."""

DIGITS_TEST_EVERY = 5
"""Every 5th image of each class (in file order) is a test image."""


@dataclass(frozen=True, eq=False)
class Task:
    """A supervised task: ``x_train`` (N, d) and ``y_train`` (N,) int labels or (N, k) targets, the
    same for test; ``loss`` in :data:`LOSSES`; ``out_dim`` the outputs a network needs (classes or k)."""

    name: str
    loss: str
    x_train: np.ndarray = field(repr=False)
    y_train: np.ndarray = field(repr=False)
    x_test: np.ndarray = field(repr=False)
    y_test: np.ndarray = field(repr=False)
    out_dim: int
    description: str = ""

    @property
    def in_dim(self) -> int:
        return self.x_train.shape[1]

    @property
    def baseline(self) -> float:
        """The training loss of the best constant prediction: for cross-entropy, the entropy of the
        training labels' frequencies (−log(1/C) when balanced); for MSE, Σ_k Var(y_k)/k."""
        if self.loss == "cross_entropy":
            p = np.bincount(self.y_train, minlength=self.out_dim) / self.y_train.size
            p = p[p > 0]
            return float(-(p * np.log(p)).sum())
        return float(self.y_train.var(axis=0).mean())

    @property
    def chance(self) -> float:
        """−log(1/C) for classification (the uniform prediction), else :attr:`baseline`."""
        return math.log(self.out_dim) if self.loss == "cross_entropy" else self.baseline


@functools.lru_cache(maxsize=1)
def _digits_file() -> tuple[np.ndarray, np.ndarray]:
    with gzip.open(DATA / "digits.csv.gz", "rt") as f:
        table = np.loadtxt(f, delimiter=",")
    return table[:, :-1], table[:, -1].astype(np.int64)


def digits() -> Task:
    """The shipped 8×8 digits: fixed split and standardisation (module docstring)."""
    x, y = _digits_file()
    rank = np.zeros(y.size, dtype=np.int64)  # position of each image within its class, in file order
    for c in range(10):
        members = np.flatnonzero(y == c)
        rank[members] = np.arange(members.size)
    test = rank % DIGITS_TEST_EVERY == DIGITS_TEST_EVERY - 1
    mean, std = x[~test].mean(axis=0), x[~test].std(axis=0)
    scale = np.where(std > 0, std, 1.0)

    def standard(part):
        return np.where(std > 0, (part - mean) / scale, 0.0)

    return Task("digits", "cross_entropy", standard(x[~test]), y[~test], standard(x[test]), y[test], 10,
                "8×8 handwritten digits (UCI via scikit-learn), 1,442 train / 355 test, standardised pixels")


def _split(n: int, test_fraction: float) -> int:
    return max(1, min(n - 1, round(n * (1.0 - test_fraction))))


def spirals(n: int = 1000, noise: float = 0.1, turns: float = 1.5, test_fraction: float = 0.2, seed=0) -> Task:
    """Two interleaved spirals (module docstring); n points, half per class, shuffled."""
    n = check_int("n", n, 4, MAX_SAMPLES)
    noise = check_float("noise", noise, 0.0, 10.0)
    turns = check_float("turns", turns, 0.0, 10.0)
    test_fraction = check_float("test_fraction", test_fraction, 0.0, 0.9)
    gen = as_generator(seed)
    labels = np.arange(n) % 2
    t = 1.0 - gen.random(n)  # (0, 1]
    angle = 2 * math.pi * turns * t + math.pi * labels
    x = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1) + noise * gen.standard_normal((n, 2))
    order = gen.permutation(n)
    x, labels = x[order], labels[order]
    k = _split(n, test_fraction)
    return Task("spirals", "cross_entropy", x[:k], labels[:k], x[k:], labels[k:], 2,
                f"two spirals, {turns:g} turns, noise {noise:g}")


def mixture(n: int = 1000, classes: int = 4, dim: int = 2, separation: float = 3.0, test_fraction: float = 0.2,
            seed=0) -> Task:
    """A Gaussian mixture (module docstring); n points, classes in turn, shuffled."""
    n = check_int("n", n, 4, MAX_SAMPLES)
    classes = check_int("classes", classes, 2, 100)
    dim = check_int("dim", dim, 1, 1024)
    separation = check_float("separation", separation, 0.0, 100.0)
    test_fraction = check_float("test_fraction", test_fraction, 0.0, 0.9)
    gen = as_generator(seed)
    means = separation * gen.standard_normal((classes, dim)) / math.sqrt(dim)
    labels = np.arange(n) % classes
    x = means[labels] + gen.standard_normal((n, dim)) / math.sqrt(dim)
    order = gen.permutation(n)
    x, labels = x[order], labels[order]
    k = _split(n, test_fraction)
    return Task("mixture", "cross_entropy", x[:k], labels[:k], x[k:], labels[k:], classes,
                f"{classes} Gaussian classes in ℝ^{dim}, separation {separation:g}")


def teacher(n: int = 1000, in_dim: int = 16, width: int = 32, depth: int = 2, out_dim: int = 1,
            test_fraction: float = 0.2, seed=0) -> Task:
    """Regression onto a random tanh teacher (Xavier normal, zero bias, linear output): the best
    student of the same family reaches loss 0."""
    from .network import Network

    n = check_int("n", n, 4, MAX_SAMPLES)
    in_dim, width = check_int("in_dim", in_dim, 1, 1024), check_int("width", width, 1, 1024)
    depth, out_dim = check_int("depth", depth, 1, 16), check_int("out_dim", out_dim, 1, 64)
    test_fraction = check_float("test_fraction", test_fraction, 0.0, 0.9)
    gen = as_generator(seed)
    net = Network.mlp(input_dim=in_dim, widths=[width] * (depth - 1) + [out_dim], activation="tanh",
                      init="xavier_normal", layer_activations={depth: "linear"})
    x = gen.standard_normal((n, in_dim))
    a = x
    for layer in range(1, depth + 1):
        W = net.weight_law(layer).sample(net.shapes[layer - 1], gen, "float64")
        a = net.activation(layer)(a @ W.T)
    k = _split(n, test_fraction)
    return Task("teacher", "mse", x[:k], a[:k], x[k:], a[k:], out_dim,
                f"a random {depth}-layer tanh teacher, {in_dim} → {out_dim}")


TASKS = {"digits": digits, "spirals": spirals, "mixture": mixture, "teacher": teacher}
"""Task builders by name."""


def get_task(name: str, **options) -> Task:
    """The task ``name`` of :data:`TASKS` built with ``options``."""
    if name not in TASKS:
        raise one_of("task", tuple(TASKS), name)
    if name == "digits" and options:
        raise invalid("options", "be empty for digits (its split is fixed)", options)
    return TASKS[name](**options)


__all__ = ["Task", "TASKS", "LOSSES", "get_task", "digits", "spirals", "mixture", "teacher"]
