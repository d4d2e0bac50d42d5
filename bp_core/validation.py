"""Input checks shared by the core: each raises ValueError saying what was expected and what came."""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def choice(what: str, value: str, allowed: Iterable[str]) -> str:
    """Return `value` if it is one of `allowed`."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def finite_array(what: str, value, ndim: tuple[int, ...] = (0, 1, 2)) -> np.ndarray:
    """Convert to a float64 array, refusing non-numbers, NaN, inf and unexpected dimensions."""
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be numbers; got {value!r}") from None
    if arr.ndim not in ndim:
        raise ValueError(f"{what} must have {' or '.join(map(str, ndim))} dimensions; got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{what} must not be empty; got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{what} must be finite numbers (no NaN or inf); got {_preview(arr)}")
    return arr


def batch(what: str, value, width: int) -> np.ndarray:
    """A (batch, width) matrix; a 1-D vector is one sample."""
    arr = finite_array(what, value, ndim=(1, 2))
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.shape[1] != width:
        raise ValueError(f"{what} must have {width} columns (one per unit); got shape {arr.shape}")
    return arr


def finite_result(what: str, arr: np.ndarray) -> np.ndarray:
    """Refuse a computed result that overflowed, so no NaN or inf is ever shown silently."""
    if not np.isfinite(arr).all():  # the method, not np.all(): this runs several times per training update
        raise ValueError(f"{what} overflowed to a non-finite value; use smaller inputs or weights")
    return arr


def probabilities(what: str, arr: np.ndarray) -> np.ndarray:
    """Refuse numbers outside [0, 1] where only probabilities make sense (a label for cross-entropy, the
    output of a softmax): outside, -y log y_hat can be negative or overflow."""
    if np.any(arr < 0) or np.any(arr > 1):
        raise ValueError(f"{what} must be probabilities in [0, 1]; got {_preview(arr)}")
    return arr


def _preview(arr: np.ndarray) -> str:
    text = np.array2string(arr, threshold=6, precision=4)
    return text if len(text) < 120 else text[:117] + "..."
