"""The Step record and the LaTeX helpers that write its numbers."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

PHASES = ("forward", "backward", "update")


@dataclass(frozen=True)
class Step:
    """One step of a worked example, ready to render.

    phase:    forward | backward | update
    name:     short name in the notes' notation: "h2", "a21", "dL/dw311", "dW3", "dz2"
    formula:  the symbolic formula, LaTeX
    numbers:  the same formula with the numbers in it, LaTeX
    value:    a float, or a read-only array
    touches:  ids of what the step touches in a picture: node and weight names such as "h31", "w311"
    kind:     message-catalogue key of the sentence that says what the step means
    info:     values for that sentence's placeholders, as (key, value) pairs
    """

    phase: str
    name: str
    formula: str
    numbers: str
    value: float | np.ndarray
    touches: tuple[str, ...] = ()
    kind: str = ""
    info: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self):
        if self.phase not in PHASES:
            raise ValueError(f"Step phase must be one of {PHASES}; got {self.phase!r}")
        if isinstance(self.value, np.ndarray):
            self.value.setflags(write=False)

    @property
    def params(self) -> dict[str, str]:
        return dict(self.info)


def readonly(arr: np.ndarray) -> np.ndarray:
    out = np.array(arr, dtype=np.float64)
    out.setflags(write=False)
    return out


def num(v: float, digits: int = 4) -> str:
    """A number as LaTeX with `digits` significant digits: 0.1234, -2, 1.2 \\times 10^{-5}."""
    v = float(v)
    if v == 0:
        return "0"
    text = f"{v:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return text


def factor(v: float) -> str:
    """A number as a factor in a product: negatives in parentheses."""
    text = num(v)
    return f"({text})" if text.startswith("-") else text


def matrix(arr: np.ndarray, digits: int = 4) -> str:
    """A vector or matrix as a LaTeX pmatrix; a vector is written as a row."""
    arr = np.atleast_2d(arr)
    rows = (" & ".join(num(v, digits) for v in row) for row in arr)
    return r"\begin{pmatrix} " + r" \\ ".join(rows) + r" \end{pmatrix}"


def value_latex(value: float | np.ndarray) -> str:
    if isinstance(value, np.ndarray):
        return matrix(value) if value.size > 1 else num(value.item())
    return num(value)


def sub(*indices: int) -> str:
    """Index string in the notes' style: w_{311}; commas once any index has two digits: w_{3,10,1}."""
    return ("" if all(i < 10 for i in indices) else ",").join(map(str, indices))
