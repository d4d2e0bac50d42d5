"""Small two-class data sets in the plane, made from a seed, for the training lesson.

    X, Y = make("xor", n=200, seed=0, noise=0.1)    # X: (n, 2) points; Y: (n, 2) one-hot labels

Class 1 has label (1, 0) and class 2 has label (0, 1), so y_1 is the network's probability of class 1,
as in the notes' (y_1, y_2). The two classes get n // 2 and n - n // 2 points, in shuffled order, and
every point lies roughly in [-1.5, 1.5]^2. Same name, n, seed and noise: the same arrays.
"""
from __future__ import annotations

from types import MappingProxyType

import numpy as np

from . import validation
from .step import readonly

NAMES = ("xor", "moons", "circles")
MIN_POINTS, MAX_POINTS = 2, 10_000


def make(name: str, n: int, seed: int, noise: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """n points X (n, 2) and their one-hot labels Y (n, 2); noise is the std of Gaussian jitter."""
    validation.choice("data set", name, NAMES)
    n, seed = _whole("number of points n", n), _whole("seed", seed)
    if seed < 0:
        raise ValueError(f"seed must be >= 0; got {seed}")
    if not MIN_POINTS <= n <= MAX_POINTS:
        raise ValueError(f"number of points n must be between {MIN_POINTS} and {MAX_POINTS}; got {n}")
    noise = float(validation.finite_array("noise", noise, ndim=(0,)))
    if noise < 0:
        raise ValueError(f"noise must be >= 0; got {noise}")
    rng = np.random.default_rng(seed)
    counts = (n // 2, n - n // 2)
    X = np.concatenate([_SHAPES[name](rng, c, cls) for cls, c in enumerate(counts)])
    X += noise * rng.standard_normal(X.shape)
    labels = np.repeat([0, 1], counts)
    order = rng.permutation(n)
    return readonly(X[order]), readonly(np.eye(2)[labels[order]])


def classes(Y: np.ndarray) -> np.ndarray:
    """1 or 2 for each one-hot row of Y."""
    return np.argmax(Y, axis=1) + 1


def _xor(rng: np.random.Generator, count: int, cls: int) -> np.ndarray:
    """The four quadrants: class 1 where x_1 and x_2 have the same sign, class 2 where they differ."""
    signs = rng.choice([-1.0, 1.0], size=count)
    quadrant = np.stack([signs, signs if cls == 0 else -signs], axis=1)
    return quadrant * rng.uniform(0.1, 1.0, size=(count, 2))


def _moons(rng: np.random.Generator, count: int, cls: int) -> np.ndarray:
    """Two interleaved half circles of radius 1: class 1 arches up, class 2 opens down beside it."""
    t = rng.uniform(0.0, np.pi, size=count)
    if cls == 0:
        points = np.stack([np.cos(t), np.sin(t)], axis=1)
    else:
        points = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    return points - np.array([0.5, 0.25])


def _circles(rng: np.random.Generator, count: int, cls: int) -> np.ndarray:
    """Concentric rings: class 1 on the outer ring (radius 1), class 2 on the inner one (radius 0.45)."""
    t = rng.uniform(0.0, 2 * np.pi, size=count)
    radius = 1.0 if cls == 0 else 0.45
    return radius * np.stack([np.cos(t), np.sin(t)], axis=1)


_SHAPES = MappingProxyType({"xor": _xor, "moons": _moons, "circles": _circles})


def _whole(what: str, value) -> int:
    try:
        whole = not isinstance(value, bool) and float(value).is_integer()
    except (TypeError, ValueError):
        whole = False
    if not whole:
        raise ValueError(f"{what} must be a whole number; got {value!r}")
    return int(value)
