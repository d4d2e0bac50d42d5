"""The computational graphs of the chain-rule lesson (note 002), built from named Values."""
from __future__ import annotations

from collections.abc import Mapping

from .graph import Value
from .presets import GRAPHS

EXAMPLES = ("sum_times", "sigmoid_neuron", "shared_input")


def build(example: str, values: Mapping[str, float]) -> Value:
    """The output node of one example graph, every node named as on screen. `values` gives exactly the
    example's inputs (the names of presets.GRAPHS[example])."""
    if example not in EXAMPLES:
        raise ValueError(f"graph example must be one of {', '.join(EXAMPLES)}; got {example!r}")
    names = tuple(GRAPHS[example])
    if not isinstance(values, Mapping) or set(values) != set(names):
        given = sorted(map(str, values)) if isinstance(values, Mapping) else type(values).__name__
        raise ValueError(f"the inputs of {example} must be exactly {', '.join(names)}; got {given}")
    v = {name: Value(values[name], name) for name in names}
    if example == "sum_times":
        # f(x, y, z) = (x + y) z
        q = (v["x"] + v["y"]).named("q")
        return (q * v["z"]).named("f")
    if example == "sigmoid_neuron":
        # f(w, x) = 1 / (1 + e^{-(w0 x0 + w1 x1 + w2)}), gate by gate as in the note
        p0 = (v["w0"] * v["x0"]).named("p0")
        p1 = (v["w1"] * v["x1"]).named("p1")
        s = (p0 + p1).named("s")
        d = (s + v["w2"]).named("d")
        n = (d * Value(-1.0, "-1")).named("n")
        e = n.exp().named("e")
        u = (e + Value(1.0, "1")).named("u")
        return (u ** -1).named("f")
    # shared_input: f = x y + x z: x feeds two paths, and its gradient is the sum of both
    p = (v["x"] * v["y"]).named("p")
    r = (v["x"] * v["z"]).named("r")
    return (p + r).named("f")
