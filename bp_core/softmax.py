"""Softmax, its Jacobian, and cross-entropy: all stable for any finite input."""
from __future__ import annotations

import numpy as np

from . import validation

# Smallest probability fed to a logarithm: log never sees 0.
TINY = np.finfo(np.float64).tiny


def softmax(z) -> np.ndarray:
    """S_j = e^{z_j} / sum_l e^{z_l} along the last axis, shifted by the max so nothing overflows."""
    return exp_normalise(validation.finite_array("softmax logits z", z, ndim=(1, 2, 3)))


def exp_normalise(z: np.ndarray) -> np.ndarray:
    """softmax without the input checks, for the core's own arrays (already checked)."""
    e = np.exp(_shift(z))
    return e / e.sum(axis=-1, keepdims=True)


def _shift(z: np.ndarray) -> np.ndarray:
    """z - max(z): every entry <= 0, so exp never overflows (a gap beyond 1.8e308 becomes -inf, exp 0)."""
    with np.errstate(over="ignore"):
        return z - z.max(axis=-1, keepdims=True)


def log_softmax(z: np.ndarray) -> np.ndarray:
    """log S_j = z_j - logsumexp(z), exact where softmax itself underflows to 0."""
    shifted = _shift(z)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax_jacobian(s) -> np.ndarray:
    """dS_j/dz_k = S_j (delta_jk - S_k): (n,) -> (n, n), (batch, n) -> (batch, n, n). s is softmax's output,
    so its entries are probabilities (and the products S_j S_k never overflow)."""
    s = validation.finite_array("softmax output s", s, ndim=(1, 2))
    return jacobian_of(validation.probabilities("softmax output s", s))


def jacobian_of(s: np.ndarray) -> np.ndarray:
    """softmax_jacobian without the input checks, for the core's own arrays (already checked)."""
    eye = np.eye(s.shape[-1])
    jac = -s[..., :, None] * s[..., None, :]
    # The diagonal S_j (1 - S_j) with 1 - S_j as the sum of the other S_l: exact even where S_j is near 1,
    # so the rows still sum to 0 and the rank stays n - 1.
    others = (s[..., None, :] * (1.0 - eye)).sum(axis=-1)
    return jac * (1.0 - eye) + eye * (s * others)[..., None, :]


def cross_entropy(y_hat, y) -> float:
    """Mean over the batch of -sum_j y_j log y_hat_j; y_hat is clipped at TINY so log(0) never happens.
    Both are probabilities: then every term lies in [0, 708], and the loss is never negative."""
    y_hat, y = _pair("cross_entropy", y_hat, y)
    validation.probabilities("cross_entropy: predictions y_hat", y_hat)
    validation.probabilities("cross_entropy: labels y", y)
    return float(-(y * np.log(np.clip(y_hat, TINY, None))).sum(axis=-1).mean())


def softmax_cross_entropy_grad(z, y) -> np.ndarray:
    """dL/dz for L = cross_entropy(softmax(z), y): the whole chain collapses to (softmax(z) - y) / batch."""
    z, y = _pair("softmax_cross_entropy_grad", z, y)
    return (softmax(z) - y) / z.shape[0]


def _pair(what: str, a, b) -> tuple[np.ndarray, np.ndarray]:
    a = validation.finite_array(f"{what}: first argument", a, ndim=(1, 2))
    b = validation.finite_array(f"{what}: labels y", b, ndim=(1, 2))
    a2, b2 = np.atleast_2d(a), np.atleast_2d(b)
    if a2.shape != b2.shape:
        raise ValueError(f"{what}: predictions and labels must have the same shape; got {a.shape} and {b.shape}")
    return a2, b2
