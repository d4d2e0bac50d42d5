"""A scalar computational graph (after micrograd): each operation records its local derivatives
beside its forward rule, and backward() applies the chain rule edge by edge in topological order.

    x = Value(-2.0, "x"); y = Value(5.0, "y"); z = Value(-4.0, "z")
    f = (x + y) * z
    steps = f.backward()   # x.grad == -4.0
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .activations import ACTIVATIONS
from .step import Step, factor, num
from .validation import finite_array


class Value:
    """One node: its value `data`, its gradient `grad` = d(output)/d(node) after backward()."""

    def __init__(self, data: float, label: str = "", *, op: str = "", edges: tuple = (), exponent: float | None = None):
        self.data = float(finite_array(f"value of {label or 'a node'}", data, ndim=(0,)))
        self.grad = 0.0
        self.label = label
        self.op = op                      # "", "+", "*", "**", "exp", "sigmoid", "relu", "tanh"
        self.exponent = exponent          # for "**"
        # ((child, d self / d child), ...): the local derivatives, fixed when the node is built
        self.edges: tuple[tuple[Value, float], ...] = edges

    @property
    def children(self) -> tuple[Value, ...]:
        return tuple(child for child, _ in self.edges)

    def named(self, label: str) -> Value:
        """Give an intermediate node the name it has on screen (q = x + y)."""
        self.label = label
        return self

    # -- operations: forward rule, and beside it the local derivative of the output per input -----
    def __add__(self, other) -> Value:
        other = _as_value(other)
        return Value(self.data + other.data, op="+", edges=((self, 1.0), (other, 1.0)))

    def __mul__(self, other) -> Value:
        other = _as_value(other)
        return Value(self.data * other.data, op="*", edges=((self, other.data), (other, self.data)))

    def __pow__(self, n: float) -> Value:
        if isinstance(n, Value) or not isinstance(n, (int, float)):
            raise ValueError(f"the exponent of ** must be a plain number; got {type(n).__name__}")
        try:
            out = self.data**n
            if abs(n) >= 2**53 and self.data != 0:
                # n - 1 rounds to n in floats here (every such n is even), which loses the sign of data^(n-1):
                # data^(n-1) = data^n / data is exact in sign and, up to one rounding, in size
                local = n * (out / self.data)
            else:
                local = n * self.data ** (n - 1)
        except (ZeroDivisionError, OverflowError):
            out = local = math.inf
        if not all(isinstance(v, float | int) and math.isfinite(v) for v in (out, local)):
            raise ValueError(
                f"{self.label or 'a node'} = {self.data:.6g} cannot be raised to the power {n:g}: the result "
                "or its derivative is not a finite real number"
            )
        return Value(out, op="**", exponent=float(n), edges=((self, local),))

    def exp(self) -> Value:
        if self.data > 709.0:
            raise ValueError(f"exp({self.data:.6g}) overflows; use an input of at most 709")
        out = math.exp(self.data)
        return Value(out, op="exp", edges=((self, out),))

    def sigmoid(self) -> Value:
        sigmoid = ACTIVATIONS["sigmoid"]
        return Value(float(sigmoid.f(self.data)), op="sigmoid", edges=((self, float(sigmoid.df(self.data))),))

    def relu(self) -> Value:
        return Value(max(self.data, 0.0), op="relu", edges=((self, float(self.data > 0)),))

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        return Value(t, op="tanh", edges=((self, 1.0 - t * t),))

    # -- the rest are built from the operations above -------------------------------------------
    def __neg__(self) -> Value:
        return self * -1.0

    def __radd__(self, other) -> Value:
        return self + other

    def __sub__(self, other) -> Value:
        return self + (-_as_value(other))

    def __rsub__(self, other) -> Value:
        return _as_value(other) + (-self)

    def __rmul__(self, other) -> Value:
        return self * other

    def __truediv__(self, other) -> Value:
        return self * _as_value(other) ** -1

    def __rtruediv__(self, other) -> Value:
        return _as_value(other) * self**-1

    # -- backward -------------------------------------------------------------------------------
    def topological(self) -> list[Value]:
        """Every node this one depends on, each after all of its inputs."""
        order, seen = [], set()

        def visit(node: Value) -> None:
            if id(node) not in seen:
                seen.add(id(node))
                for child in node.children:
                    visit(child)
                order.append(node)

        visit(self)
        return order

    def backward(self) -> tuple[GraphStep, ...]:
        """Fill .grad on every node; return each edge's step: upstream x local = product."""
        order = self.topological()
        for node in order:
            node.grad = 0.0  # so that a second call does not double the gradients
        self.grad = 1.0
        steps = []
        for node in reversed(order):  # from the output back: a node's grad is complete before it is used
            for position, (child, local) in enumerate(node.edges):
                product = node.grad * local
                child.grad += product  # += : gradients add where paths meet
                if not math.isfinite(child.grad):
                    raise ValueError(f"the gradient of {child.label or 'a node'} overflowed; use smaller inputs")
                steps.append(GraphStep(node, child, position, node.grad, local, product, child.grad))
        return tuple(steps)

    def formula(self) -> str:
        """How this node is computed from its inputs, LaTeX (empty for an input)."""
        c = [latex_name(child.label) for child in self.children]
        return {
            "": "",
            "+": " + ".join(c),
            "*": r" \cdot ".join(c),
            "**": f"{{{c[0]}}}^{{{num(self.exponent or 0)}}}",
            "exp": f"e^{{{c[0]}}}",
            "sigmoid": rf"\sigma({c[0]})",
            "relu": rf"\operatorname{{ReLU}}({c[0]})",
            "tanh": rf"\tanh({c[0]})",
        }[self.op]

    def forward_steps(self) -> tuple[Step, ...]:
        """One forward step per computed node, inputs first: q = x + y = -2 + 5 = 3."""
        steps = []
        for node in self.topological():
            if not node.edges:
                continue
            values = [factor(child.data) for child in node.children]
            numbers = {"+": " + ".join(values), "*": r" \cdot ".join(values)}.get(
                node.op, node.formula().replace(latex_name(node.children[0].label), values[0], 1))
            steps.append(Step(
                "forward", node.label, f"{latex_name(node.label)} = {node.formula()}", f"{numbers} = {num(node.data)}",
                node.data, (node.label,) + tuple(c.label for c in node.children), "graph.forward",
                (("node", node.label), ("op", node.op)),
            ))
        return tuple(steps)

    def __repr__(self) -> str:
        return f"Value({self.label or self.op} = {self.data:.6g}, grad = {self.grad:.6g})"


@dataclass(frozen=True)
class GraphStep:
    """Backward along one edge, node -> child: upstream d f/d node times local d node/d child."""

    node: Value
    child: Value
    position: int      # which input of node the child is
    upstream: float
    local: float
    product: float
    child_grad: float  # the child's gradient after this contribution was added

    def to_step(self, output: str = "f") -> Step:
        n, c = latex_name(self.node.label), latex_name(self.child.label)
        d = lambda a, b: rf"\frac{{\partial {a}}}{{\partial {b}}}"  # noqa: E731
        formula = f"{d(output, c)} \\mathrel{{+}}= {d(output, n)} \\cdot {d(n, c)}"
        numbers = rf"{factor(self.upstream)} \cdot {factor(self.local)} = {num(self.product)}"
        return Step(
            "backward", f"d{output}/d{self.child.label} via {self.node.label}", formula, numbers, self.product,
            (self.node.label, self.child.label, f"{self.child.label}->{self.node.label}"), "graph.backward",
            (("node", self.node.label), ("child", self.child.label), ("op", self.node.op)),
        )


def latex_name(label: str) -> str:
    """w0 -> w_{0}, x1 -> x_{1}; other labels unchanged."""
    m = re.fullmatch(r"([A-Za-z]+)(\d+)", label)
    if m:
        return f"{m[1]}_{{{m[2]}}}"
    return f"({label})" if label.startswith("-") else label


def _as_value(x) -> Value:
    return x if isinstance(x, Value) else Value(x, label=num(x))


def _checked(v: float, op: str) -> float:
    if not math.isfinite(v):
        raise ValueError(f"{op} overflowed to a non-finite value; use smaller inputs")
    return v
