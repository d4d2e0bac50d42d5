"""Losses on (y, label), averaged over the batch; each value beside its gradient dL/dy."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from .softmax import TINY


@dataclass(frozen=True)
class Loss:
    name: str
    value: Callable[[np.ndarray, np.ndarray], float]        # (y, label), both (batch, n)
    grad: Callable[[np.ndarray, np.ndarray], np.ndarray]    # dL/dy, (batch, n)


LOSSES: Mapping[str, Loss] = MappingProxyType({
    # 1/2 sum_j (y_j - label_j)^2: the 1/2 cancels the 2, so dL/dy = y - label as in the notes.
    "half_sse": Loss(
        "half_sse",
        lambda y, t: float(0.5 * ((y - t) ** 2).sum(axis=1).mean()),
        lambda y, t: (y - t) / y.shape[0],
    ),
    # mean over outputs of (y_j - label_j)^2: dL/dy = 2 (y - label) / n.
    "mse": Loss(
        "mse",
        lambda y, t: float(((y - t) ** 2).mean()),
        lambda y, t: 2.0 * (y - t) / (y.shape[0] * y.shape[1]),
    ),
    # -sum_j label_j log y_j: dL/dy_j = -label_j / y_j, one term per j.
    "cross_entropy": Loss(
        "cross_entropy",
        lambda y, t: float(-(t * np.log(np.clip(y, TINY, None))).sum(axis=1).mean()),
        lambda y, t: -t / np.clip(y, TINY, None) / y.shape[0],
    ),
})
