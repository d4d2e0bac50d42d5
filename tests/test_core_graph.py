"""The scalar computational graph (bp_core.graph.Value) against published examples and finite differences."""
from __future__ import annotations

import math
import re
from collections import defaultdict

import pytest
from core_helpers import NON_FINITE_TEXT, braces_balanced, check_step_arithmetic

from bp_core.graph import Value
from bp_core.graph_examples import build


def fd(f, values: list[float], eps: float = 1e-6) -> list[float]:
    """Central differences of a scalar function of a list of floats."""
    out = []
    for i in range(len(values)):
        plus, minus = list(values), list(values)
        plus[i] += eps
        minus[i] -= eps
        out.append((f(plus) - f(minus)) / (2 * eps))
    return out


def grads_of(build_graph, values: list[float]) -> tuple[float, list[float]]:
    """Build the graph on fresh leaves, run backward, return (f, [leaf grads])."""
    leaves = [Value(v, f"v{i}") for i, v in enumerate(values)]
    out = build_graph(*leaves)
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


def forward_of(build_graph):
    return lambda values: build_graph(*[Value(v) for v in values]).data


# ---------------------------------------------------------------------------------------------------
# Published examples
# ---------------------------------------------------------------------------------------------------
def test_sum_times_note_002():
    # f = (x + y) z at x = -2, y = 5, z = -4: q = 3, f = -12; df/dx = df/dy = z = -4, df/dz = q = 3
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    f = q * z
    f.backward()
    assert q.data == 3.0 and f.data == -12.0
    assert (x.grad, y.grad, z.grad, q.grad, f.grad) == (-4.0, -4.0, 3.0, -4.0, 1.0)


# cs231n "Backpropagation, Intuitions": w = (2, -3, -3), x = (-1, -2):
# w0 x0 + w1 x1 + w2 = 1, f = 0.73, dx = (0.39, -0.59), dw = (-0.20, -0.39, 0.20)
CS231N_F = 0.7311
CS231N_DW = (-0.1966, -0.3932, 0.1966)
CS231N_DX = (0.3932, -0.5898)


def _neuron_leaves():
    w = [Value(2.0, "w0"), Value(-3.0, "w1"), Value(-3.0, "w2")]
    x = [Value(-1.0, "x0"), Value(-2.0, "x1")]
    return w, x


def _check_neuron(f, w, x):
    f.backward()
    assert f.data == pytest.approx(CS231N_F, abs=1e-4)
    assert [v.grad for v in w] == pytest.approx(CS231N_DW, abs=1e-4)
    assert [v.grad for v in x] == pytest.approx(CS231N_DX, abs=1e-4)


@pytest.mark.parametrize("form", ["rtruediv", "pow", "truediv"])
def test_sigmoid_neuron_from_primitive_ops(form):
    w, x = _neuron_leaves()
    d = w[0] * x[0] + w[1] * x[1] + w[2]
    e = (-d).exp()
    if form == "rtruediv":
        f = 1 / (1 + e)
    elif form == "pow":
        f = (e + 1) ** -1
    else:
        f = Value(1.0) / (e + 1.0)
    _check_neuron(f, w, x)


def test_sigmoid_neuron_with_sigmoid_op():
    w, x = _neuron_leaves()
    f = (w[0] * x[0] + w[1] * x[1] + w[2]).sigmoid()
    _check_neuron(f, w, x)
    # the sigmoid gate's local gradient is (1 - f) f = 0.19661193...: exactly sigma(1)(1 - sigma(1))
    s = 1 / (1 + math.exp(-1))
    assert w[2].grad == pytest.approx(s * (1 - s), rel=1e-12)


def test_graph_examples_module():
    f = build("sum_times", {"x": -2.0, "y": 5.0, "z": -4.0})
    f.backward()
    leaves = {n.label: n for n in f.topological()}
    assert f.data == -12.0 and leaves["q"].data == 3.0
    assert (leaves["x"].grad, leaves["y"].grad, leaves["z"].grad) == (-4.0, -4.0, 3.0)

    f = build("sigmoid_neuron", {"w0": 2.0, "w1": -3.0, "w2": -3.0, "x0": -1.0, "x1": -2.0})
    f.backward()
    nodes = {n.label: n for n in f.topological()}
    assert f.data == pytest.approx(CS231N_F, abs=1e-4)
    assert [nodes[k].grad for k in ("w0", "w1", "w2")] == pytest.approx(CS231N_DW, abs=1e-4)
    assert [nodes[k].grad for k in ("x0", "x1")] == pytest.approx(CS231N_DX, abs=1e-4)
    # cs231n's gate values: e^{-1} = 0.37, 1 + e^{-1} = 1.37, and the upstream of 1/u is -1/u^2 = -0.53
    assert nodes["e"].data == pytest.approx(math.exp(-1), rel=1e-12)
    assert nodes["u"].grad == pytest.approx(-1 / (1 + math.exp(-1)) ** 2, rel=1e-12)

    f = build("shared_input", {"x": 3.0, "y": -2.0, "z": 5.0})
    f.backward()
    nodes = {n.label: n for n in f.topological()}
    assert nodes["x"].grad == 3.0          # y + z: both paths add
    with pytest.raises(ValueError, match="graph example must be one of"):
        build("nope", {})


# ---------------------------------------------------------------------------------------------------
# Gradients add where paths meet
# ---------------------------------------------------------------------------------------------------
def test_node_used_twice_square():
    x = Value(3.0, "x")
    f = x * x
    f.backward()
    assert x.grad == 6.0        # d(x^2)/dx = 2x, one x from each edge
    assert x.grad == pytest.approx(fd(forward_of(lambda v: v * v), [3.0])[0], rel=1e-8)


def test_node_used_on_two_paths():
    build_graph = lambda x, y, z: x * y + x * z  # noqa: E731
    value, grads = grads_of(build_graph, [1.5, -2.0, 4.0])
    assert grads == [2.0, 1.5, 1.5]            # df/dx = y + z, df/dy = x, df/dz = x
    assert grads == pytest.approx(fd(forward_of(build_graph), [1.5, -2.0, 4.0]), rel=1e-8)


def test_backward_twice_does_not_double():
    x, y = Value(2.0, "x"), Value(-3.0, "y")
    f = x * y + x
    f.backward()
    first = (x.grad, y.grad)
    f.backward()
    assert (x.grad, y.grad) == first == (-2.0, 2.0)


# ---------------------------------------------------------------------------------------------------
# Every operation against finite differences (and its forward value against math)
# ---------------------------------------------------------------------------------------------------
OPS = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "truediv": (lambda a, b: a / b, lambda a, b: a / b),
    "neg": (lambda a, b: -a + b, lambda a, b: -a + b),
    "pow2": (lambda a, b: a**2 * b, lambda a, b: a**2 * b),
    "pow3": (lambda a, b: a**3 + b, lambda a, b: a**3 + b),
    "pow_neg": (lambda a, b: a**-2 * b, lambda a, b: a**-2 * b),
    "pow_half": (lambda a, b: (a * a) ** 0.5 + b, lambda a, b: (a * a) ** 0.5 + b),
    "exp": (lambda a, b: (a * b).exp(), lambda a, b: math.exp(a * b)),
    "sigmoid": (lambda a, b: (a + b).sigmoid(), lambda a, b: 1 / (1 + math.exp(-(a + b)))),
    "relu": (lambda a, b: (a * b).relu() + a, lambda a, b: max(a * b, 0.0) + a),
    "tanh": (lambda a, b: (a - b).tanh(), lambda a, b: math.tanh(a - b)),
    "radd": (lambda a, b: 2.5 + a * b, lambda a, b: 2.5 + a * b),
    "rsub": (lambda a, b: 2.5 - a * b, lambda a, b: 2.5 - a * b),
    "rmul": (lambda a, b: 2.5 * a + b, lambda a, b: 2.5 * a + b),
    "rtruediv": (lambda a, b: 2.5 / (a + b), lambda a, b: 2.5 / (a + b)),
    "add_const": (lambda a, b: a * b + 1.25, lambda a, b: a * b + 1.25),
    "sub_const": (lambda a, b: a * b - 1.25, lambda a, b: a * b - 1.25),
    "mul_const": (lambda a, b: a * 3.0 + b, lambda a, b: a * 3.0 + b),
    "div_const": (lambda a, b: (a + b) / 4.0, lambda a, b: (a + b) / 4.0),
}
POINTS = [(1.3, -0.7), (-0.6, -1.9), (2.2, 0.45)]


@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("point", POINTS)
def test_every_op_against_fd(op, point):
    graph, plain = OPS[op]
    value, grads = grads_of(graph, list(point))
    assert value == pytest.approx(plain(*point), rel=1e-12)
    expected = fd(lambda v: plain(*v), list(point))
    assert grads == pytest.approx(expected, rel=1e-7, abs=1e-9)


def test_relu_local_gradient_at_and_below_zero():
    for v, expected in ((-1.0, 0.0), (0.0, 0.0), (2.0, 1.0)):
        x = Value(v, "x")
        f = x.relu()
        f.backward()
        assert x.grad == expected and f.data == max(v, 0.0)


def test_sigmoid_and_tanh_saturate_without_overflow():
    for v in (-800.0, 800.0):
        x = Value(v, "x")
        f = x.sigmoid() + x.tanh()
        f.backward()
        assert math.isfinite(f.data) and math.isfinite(x.grad)


# ---------------------------------------------------------------------------------------------------
# The backward steps
# ---------------------------------------------------------------------------------------------------
def _neuron():
    w, x = _neuron_leaves()
    d = (w[0] * x[0] + w[1] * x[1] + w[2]).named("d")
    return (1 / (1 + (-d).exp())).named("f"), w, x


@pytest.mark.parametrize("example", ["sum_times", "neuron", "shared"])
def test_backward_steps_one_per_edge_in_a_valid_order(example):
    if example == "sum_times":
        x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
        f = ((x + y).named("q") * z).named("f")
    elif example == "neuron":
        f, _, _ = _neuron()
    else:
        x, y = Value(1.5, "x"), Value(-2.0, "y")
        f = (x * x + x * y).named("f")
    steps = f.backward()
    edges = sum(len(node.edges) for node in f.topological())
    assert len(steps) == edges
    seen_edges = defaultdict(int)
    contributions = defaultdict(float)
    done_as_child = defaultdict(int)   # how many of a node's incoming gradient contributions came so far
    incoming = defaultdict(int)
    for node in f.topological():
        for child, _ in node.edges:
            incoming[id(child)] += 1
    for step in steps:
        assert step.product == step.upstream * step.local
        # the upstream is final when it is used: every contribution into step.node came before this step
        assert step.upstream == step.node.grad
        assert done_as_child[id(step.node)] == incoming[id(step.node)]
        assert step.node.edges[step.position][0] is step.child
        assert step.node.edges[step.position][1] == step.local
        seen_edges[(id(step.node), step.position)] += 1
        contributions[id(step.child)] += step.product
        done_as_child[id(step.child)] += 1
        assert step.child_grad == pytest.approx(contributions[id(step.child)], rel=1e-15)
    assert all(n == 1 for n in seen_edges.values())
    for node in f.topological():
        if node is not f:
            assert node.grad == pytest.approx(contributions[id(node)], rel=1e-15)
    assert f.grad == 1.0


def test_sum_times_backward_steps_by_hand():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    f = ((x + y).named("q") * z).named("f")
    steps = f.backward()
    # f = q z: df/dq = z = -4, df/dz = q = 3; q = x + y: dq/dx = dq/dy = 1, upstream -4
    table = [(s.node.label, s.child.label, s.upstream, s.local, s.product) for s in steps]
    assert sorted(table[:2], key=lambda r: r[1]) == [("f", "q", 1.0, -4.0, -4.0), ("f", "z", 1.0, 3.0, 3.0)]
    assert sorted(table[2:], key=lambda r: r[1]) == [("q", "x", -4.0, 1.0, -4.0), ("q", "y", -4.0, 1.0, -4.0)]


def test_step_records_are_well_formed():
    f, _, _ = _neuron()
    for graph_step in f.backward():
        step = graph_step.to_step()
        assert step.phase == "backward"
        assert step.value == graph_step.product
        check_step_arithmetic(step)     # "upstream . local = product", read back from the LaTeX
        for text in (step.formula, step.numbers):
            assert text and braces_balanced(text), text
        assert not NON_FINITE_TEXT.search(step.numbers)
    forward = f.forward_steps()
    assert forward and forward[-1].value == f.data
    for step in forward:
        assert step.phase == "forward"
        for text in (step.formula, step.numbers):
            assert text and braces_balanced(text), text
        assert not NON_FINITE_TEXT.search(step.numbers)


def test_sum_times_forward_steps():
    f = build("sum_times", {"x": -2.0, "y": 5.0, "z": -4.0})
    steps = f.forward_steps()
    assert [(s.name, s.value) for s in steps] == [("q", 3.0), ("f", -12.0)]


# ---------------------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------------------
def test_exp_overflow_raises():
    with pytest.raises(ValueError, match="overflow"):
        Value(800.0, "x").exp()
    assert math.isfinite(Value(709.0).exp().data)


def test_zero_to_negative_power_raises():
    with pytest.raises(ValueError, match="cannot be raised"):
        Value(0.0, "x") ** -1
    with pytest.raises(ValueError):
        Value(2.0) / Value(0.0)
    with pytest.raises(ValueError):
        1 / Value(0.0)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), "abc", [1.0, 2.0]])
def test_non_finite_or_non_scalar_input_raises(bad):
    with pytest.raises(ValueError, match="value of x"):
        Value(bad, "x")


def test_overflowing_product_raises():
    with pytest.raises(ValueError, match="finite"):
        Value(1e200) * Value(1e200)


def test_exponent_must_be_a_plain_number():
    with pytest.raises(ValueError, match="exponent"):
        Value(2.0) ** Value(2.0)


@pytest.mark.parametrize(
    "base, exponent, why",
    [
        (0.0, 0.5, "d/dx x^0.5 = 0.5 x^-0.5 is infinite at 0 (before 2ef00ca: ZeroDivisionError)"),
        (-2.0, 0.5, "(-2)^0.5 is not real (before 2ef00ca: TypeError from a complex number)"),
        (10.0, 400, "10^400 overflows (before 2ef00ca: OverflowError)"),
        (1e-200, -1, "1/x = 1e200, but its local gradient -1/x^2 = -1e400 overflows (before 2ef00ca: OverflowError)"),
    ],
    ids=["zero_to_one_half", "negative_to_one_half", "result_overflows", "local_gradient_overflows"],
)
def test_bad_power_raises_value_error(base, exponent, why):
    """The contract: bad input raises ValueError with a message, never another exception type."""
    with pytest.raises(ValueError, match=r"(?i)power|exponent|overflow|real|finite|\*\*"):
        Value(base, "x") ** exponent


def test_backward_overflow_is_not_silent():
    """Forward values 1e-100 -> 1e100 -> 1e300 are all doubles, but df/dx = 1e200 * 1e200 = 1e400 is not.

    The core must raise, not leave x.grad = inf. (Regression: before 2ef00ca backward() returned with x.grad == inf.)
    """
    x = Value(1e-100, "x")
    f = (x * 1e200) * 1e200
    assert f.data == pytest.approx(1e300)
    try:
        f.backward()
    except ValueError as e:
        assert re.search(r"(?i)overflow|finite", str(e))
        return
    assert math.isfinite(x.grad)
