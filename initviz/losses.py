"""Training losses and their gradients with respect to the network's outputs, as torch defines them.

* ``cross_entropy(z, y)`` — ``nn.CrossEntropyLoss()`` (mean over the batch) of logits z (B, C) and
  integer labels y: L = (1/B)·Σ_b [logsumexp(z_b) − z_{b,y_b}], ∂L/∂z = (softmax(z) − onehot(y))/B.
  logsumexp is taken after subtracting each row's max, so large logits never overflow.
* ``mse(z, y)`` — ``nn.MSELoss()`` (mean over all B·k entries): L = (1/(B·k))·Σ (z − y)²,
  ∂L/∂z = 2(z − y)/(B·k).

Both return ``(loss, grad)`` with the loss a Python float (accumulated in float64) and the gradient
in z's dtype.
"""

from __future__ import annotations

import numpy as np

from .errors import one_of


def cross_entropy(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean softmax cross-entropy of logits ``z`` (B, C) against int labels ``y`` (B,), and ∂L/∂z."""
    shifted = z - z.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    rows = np.arange(z.shape[0])
    loss = float(np.mean(np.log(total[:, 0]).astype(np.float64) - shifted[rows, y]))
    grad = exp / total
    grad[rows, y] -= 1
    grad /= z.dtype.type(z.shape[0])
    return loss, grad


def mse(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean squared error of outputs ``z`` (B, k) against targets ``y`` (B, k), and ∂L/∂z."""
    diff = z - y.astype(z.dtype, copy=False)
    loss = float(np.mean(np.square(diff, dtype=np.float64)))
    return loss, diff * z.dtype.type(2.0 / diff.size)


LOSS_FUNCTIONS = {"cross_entropy": cross_entropy, "mse": mse}
"""The losses by name (:data:`initviz.tasks.LOSSES`)."""


def loss_function(name: str):
    """The ``(z, y) -> (loss, grad)`` function of a loss name."""
    if name not in LOSS_FUNCTIONS:
        raise one_of("loss", tuple(LOSS_FUNCTIONS), name)
    return LOSS_FUNCTIONS[name]


def accuracy(z: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows whose largest logit is the label (ties: the first maximum, as argmax)."""
    return float(np.mean(z.argmax(axis=1) == y))


__all__ = ["cross_entropy", "mse", "accuracy", "loss_function", "LOSS_FUNCTIONS"]
