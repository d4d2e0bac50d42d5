"""The loss along one weight: L as a function of w_kji with every other parameter held where it is.

This is the picture behind "the gradient is a slope": the backward pass's dL/dw_kji is the slope of this
curve at the current weight, and the update w* = w - lr g is a step along it.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .step import readonly


def loss_along(net, x, label, k: int, i: int, j: int, values: Sequence[float]) -> np.ndarray:
    """L(w) for each w in values, where w replaces w_kji (row i, column j of W_k; all 1-based).

    A value at which the network overflows gives NaN (a gap in a plot), never an exception.
    """
    _check_index(net, k, i, j)
    weights = [np.array(W) for W in net.weights]
    out = np.empty(len(values))
    for n, v in enumerate(values):
        weights[k - 1][i - 1, j - 1] = v
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                out[n] = net.replace(weights=weights).loss_value(x, label)
        except ValueError:
            out[n] = np.nan
    return readonly(out)


@dataclass(frozen=True)
class LossCurve:
    """L along w_kji, the point at the current weight, its tangent, and where one update moves it.

    slope is dL/dw_kji from backprop; tangent[n] = loss + slope (values[n] - w). w_new and loss_new are
    w - lr slope and L there with the other weights held (None without a learning rate): the full
    update moves every weight at once, so L* of the update generally differs from loss_new.
    """

    k: int
    i: int
    j: int
    values: np.ndarray
    losses: np.ndarray
    w: float
    loss: float
    slope: float
    tangent: np.ndarray
    w_new: float | None
    loss_new: float | None

    @property
    def y_range(self) -> tuple[float, float]:
        """A vertical range that shows the whole curve with a margin (the tangent may leave it)."""
        finite = self.losses[np.isfinite(self.losses)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        pad = max(hi - lo, 1e-3) * 0.08
        return lo - pad, hi + pad


def loss_curve(net, x, label, k: int, i: int = 1, j: int = 1, lr: float | None = None,
               half_width: float = 2.0, points: int = 161) -> LossCurve:
    """L along w_kji on a grid centred on its current value (widened to include w - lr g)."""
    _check_index(net, k, i, j)
    w = float(net.weights[k - 1][i - 1, j - 1])
    trace = net.backprop(x, label, steps=False)
    slope = float(trace.dW[k - 1][i - 1, j - 1])
    lo, hi = w - half_width, w + half_width
    w_new = loss_new = None
    if lr is not None:
        w_new = w - float(lr) * slope
        margin = 0.1 * half_width
        lo, hi = min(lo, w_new - margin), max(hi, w_new + margin)
        loss_new = float(loss_along(net, x, label, k, i, j, [w_new])[0])
    values = np.unique(np.concatenate([np.linspace(lo, hi, points), [w]]))
    losses = loss_along(net, x, label, k, i, j, values)
    return LossCurve(
        k=k, i=i, j=j, values=readonly(values), losses=losses, w=w, loss=float(trace.loss), slope=slope,
        tangent=readonly(trace.loss + slope * (values - w)), w_new=w_new, loss_new=loss_new,
    )


def _check_index(net, k: int, i: int, j: int) -> None:
    if not 1 <= k <= net.depth:
        raise ValueError(f"layer k must be between 1 and {net.depth}; got {k}")
    n_in, n_out = net.weights[k - 1].shape
    if not (1 <= i <= n_in and 1 <= j <= n_out):
        raise ValueError(f"w_{k}ji needs 1 <= i <= {n_in} and 1 <= j <= {n_out}; got i={i}, j={j}")
