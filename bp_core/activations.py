"""Element-wise activations: each forward rule sits beside its derivative.

`f` maps pre-activations h to activations a; `df` is da/dh evaluated at h. Softmax is not element-wise
and lives in softmax.py.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np


@dataclass(frozen=True)
class Activation:
    name: str
    f: Callable[[np.ndarray], np.ndarray]
    df: Callable[[np.ndarray], np.ndarray]
    latex: str  # how the function is written on screen, e.g. \operatorname{ReLU}


def _sigmoid(h):
    # 1 / (1 + e^-h) = e^{-log(1 + e^-h)}: no overflow for any finite h, full precision as h -> -inf.
    return np.exp(-np.logaddexp(0.0, -np.asarray(h, dtype=float)))


ACTIVATIONS: Mapping[str, Activation] = MappingProxyType({
    "identity": Activation("identity", lambda h: h * 1.0, lambda h: np.ones_like(h, dtype=float), r"\operatorname{id}"),
    # ReLU'(0) is taken as 0, as in the notes (x <= 0 -> 0).
    "relu": Activation("relu", lambda h: np.maximum(h, 0.0), lambda h: (h > 0).astype(float), r"\operatorname{ReLU}"),
    # sigma' = sigma(h) (1 - sigma(h)) = sigma(h) sigma(-h): the second form keeps its digits where sigma(h)
    # rounds to 1 (h > 37)
    "sigmoid": Activation("sigmoid", _sigmoid, lambda h: _sigmoid(h) * _sigmoid(-np.asarray(h, dtype=float)),
                          r"\sigma"),
    "tanh": Activation("tanh", np.tanh, lambda h: 1.0 - np.tanh(h) ** 2, r"\tanh"),
})

sigmoid = _sigmoid
