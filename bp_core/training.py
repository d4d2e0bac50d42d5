"""Training: the update w* = w - lr g of notes 000/001, repeated over mini-batches of a data set.

    from bp_core import datasets, training
    X, Y = datasets.make("xor", 200, seed=0)
    net = training.initial_network(depth=2, width=4, hidden="tanh", seed=0)
    run = training.train(net, X, Y, lr=0.5, batch=20, epochs=500, seed=0)
    run.losses          # loss on all points before training and after each epoch
    run.diverged        # True if the learning rate blew the loss up (then run.diverged_epoch says when)

One update is the matrix lesson's backward pass on one mini-batch, Network.backprop without its Step
records, followed by W_k* = W_k - lr dW_k (and b_k* = b_k - lr db_k). An epoch shuffles the points and
visits every mini-batch once. The shuffle depends only on (seed, epoch), so `first_updates` replays the
first updates of a run exactly, with everything a learner may want to see at each.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from . import validation
from .network import Network
from .step import readonly

HIDDEN = ("relu", "tanh", "sigmoid", "identity")
LOSSES = ("cross_entropy", "half_sse")
# A run has diverged when its loss passes the smaller of these: 100 times the loss it started from, or 1e6.
GROWTH = 100.0
CEILING = 1e6
FLOOR = 1e-2   # a start loss below this counts as this, so a near-perfect start does not cry wolf


def initial_network(depth: int = 2, width: int = 2, hidden: str = "relu", biases: bool = True,
                    loss: str = "cross_entropy", seed: int = 0) -> Network:
    """2 inputs, `depth` hidden layers of `width` units, 2 softmax outputs, weights drawn from `seed`.

    Each W_k is drawn from N(0, gain / n_in), n_in its number of rows (He's scale with gain 2 for ReLU,
    LeCun's with gain 1 otherwise), so signals neither vanish nor explode at the start; biases start at 0.
    The weights come from a seed rather than the matrix lesson's hand-picked preset: the preset exists
    only for the 2-2-2-2 shape, and a seed gives any shape and lets a learner try other starting points.
    """
    depth, width = int(depth), int(width)
    if not 1 <= depth <= 8 or not 1 <= width <= 64:
        raise ValueError(f"depth must be 1..8 and width 1..64; got depth {depth}, width {width}")
    validation.choice("hidden activation", hidden, HIDDEN)
    rng = np.random.default_rng(int(seed))
    sizes = (2,) + (width,) * depth + (2,)
    gain = 2.0 if hidden == "relu" else 1.0
    weights = [rng.normal(0.0, np.sqrt(gain / n_in), size=(n_in, n_out)) for n_in, n_out in zip(sizes, sizes[1:])]
    return Network(weights, [np.zeros(n) for n in sizes[1:]] if biases else None,
                   hidden=hidden, output="softmax", loss=loss)


def batches(n: int, batch: int, seed: int, epoch: int) -> tuple[np.ndarray, ...]:
    """The point indices of each mini-batch of epoch `epoch` (1-based): 0..n-1 shuffled by (seed, epoch)
    and cut into pieces of `batch` (the last one may be smaller; batch >= n is full-batch descent)."""
    order = np.random.default_rng((int(seed), int(epoch))).permutation(n)
    return tuple(order[s:s + batch] for s in range(0, n, batch))


def gradient_step(net: Network, x, y, lr: float):
    """One gradient-descent update on the batch (x, y): (the network after it, the backprop trace).

    Raises ValueError (from the core) when a value overflows.
    """
    trace = net.backprop(x, y, steps=False)
    return net.stepped(lr, trace.dW, trace.db), trace


@dataclass(frozen=True)
class Run:
    """A training run so far. losses[0] is the loss on all points before training and losses[e] after
    epoch e; batch_losses[u] is update u's mini-batch loss before it. Every recorded loss is finite.

    When the loss blows up (non-finite or overflowing values, or a loss past `limit`), training stops:
    diverged is True, diverged_epoch the epoch it happened in, reason "overflow" or "growth", and net is
    the network after the last complete epoch.
    """

    net: Network
    losses: np.ndarray
    batch_losses: np.ndarray
    batches_per_epoch: int
    limit: float
    diverged: bool = False
    diverged_epoch: int | None = None
    reason: str | None = None

    @property
    def epochs(self) -> int:
        """Complete epochs so far."""
        return len(self.losses) - 1

    @property
    def updates(self) -> int:
        return len(self.batch_losses)


def start(net: Network, X, Y, batch: int) -> Run:
    """A run at epoch 0: the initial network and its loss, which sets the divergence limit."""
    X, Y = _data(X, Y)
    batch = _batch_size(batch)
    loss = net.loss_value(X, Y)
    limit = min(CEILING, GROWTH * max(loss, FLOOR))
    return Run(net, readonly([loss]), readonly(np.empty(0)), -(-len(X) // batch), limit)


def train(net: Network | Run, X, Y, *, lr: float, batch: int, epochs: int, seed: int) -> Run:
    """`epochs` epochs of mini-batch gradient descent from a network, or `epochs` more after a Run.

    Continuing a run gives exactly what one longer run gives (the shuffles depend on the epoch only).
    """
    X, Y = _data(X, Y)
    lr, batch, epochs = _rate(lr), _batch_size(batch), int(epochs)
    run = net if isinstance(net, Run) else start(net, X, Y, batch)
    if run.diverged or epochs <= 0:
        return run
    done, losses, batch_losses = run.net, list(run.losses), list(run.batch_losses)
    first = run.epochs + 1
    for epoch in range(first, first + epochs):
        current = done
        try:
            with np.errstate(all="ignore"):   # the core refuses what overflows; no warnings on the way
                for idx in batches(len(X), batch, seed, epoch):
                    current, trace = gradient_step(current, X[idx], Y[idx], lr)
                    batch_losses.append(trace.loss)
                    if trace.loss > run.limit:
                        return _stopped(run, done, losses, batch_losses, epoch, "growth")
                loss = current.loss_value(X, Y)
        except ValueError:
            return _stopped(run, done, losses, batch_losses, epoch, "overflow")
        if loss > run.limit:
            return _stopped(run, done, losses, batch_losses, epoch, "growth")
        done = current
        losses.append(loss)
    return Run(done, readonly(losses), readonly(batch_losses), run.batches_per_epoch, run.limit)


def _stopped(run: Run, done: Network, losses: list, batch_losses: list, epoch: int, reason: str) -> Run:
    """The run up to the last complete epoch (whose network is `done`), marked as diverged in `epoch`."""
    return Run(done, readonly(losses), readonly(batch_losses), run.batches_per_epoch, run.limit,
               diverged=True, diverged_epoch=epoch, reason=reason)


@dataclass(frozen=True)
class Update:
    """One update of a run, as step mode shows it.

    number counts updates from 1; epoch and batch (both 1-based) say where it falls; indices are the
    mini-batch's points. loss and loss_after are on the mini-batch, loss_all and loss_all_after on every
    point. When the update overflows or blows the loss past the run's limit, diverged says why
    ("overflow" or "growth"), and what could not be computed is None.
    """

    number: int
    epoch: int
    batch: int
    indices: np.ndarray
    before: Network
    after: Network | None
    dW: tuple[np.ndarray, ...] | None
    db: tuple[np.ndarray, ...] | None
    loss: float | None
    loss_after: float | None
    loss_all: float
    loss_all_after: float | None
    diverged: str | None = None


def first_updates(net: Network, X, Y, *, lr: float, batch: int, seed: int, count: int) -> tuple[Update, ...]:
    """The first `count` updates of train(net, X, Y, lr=lr, batch=batch, ..., seed=seed), replayed, with
    the networks before and after each; they stop at an update that diverges (which is the last)."""
    X, Y = _data(X, Y)
    lr, batch = _rate(lr), _batch_size(batch)
    limit = start(net, X, Y, batch).limit
    out: list[Update] = []
    current, loss_all = net, net.loss_value(X, Y)
    for number, (epoch, b, idx) in zip(range(1, int(count) + 1), _schedule(len(X), batch, seed)):
        x, y = X[idx], Y[idx]
        partial = dict(number=number, epoch=epoch, batch=b, indices=_frozen(idx), before=current,
                       loss_all=loss_all)
        try:
            with np.errstate(all="ignore"):
                trace = current.backprop(x, y, steps=False)
        except ValueError:
            out.append(Update(**partial, after=None, dW=None, db=None, loss=None, loss_after=None,
                              loss_all_after=None, diverged="overflow"))
            break
        grads = dict(dW=trace.dW, db=trace.db, loss=trace.loss)
        try:
            with np.errstate(all="ignore"):
                after, _ = gradient_step(current, x, y, lr)
                loss_after, loss_all_after = after.loss_value(x, y), after.loss_value(X, Y)
        except ValueError:
            out.append(Update(**partial, **grads, after=None, loss_after=None, loss_all_after=None,
                              diverged="overflow"))
            break
        grew = max(trace.loss, loss_after, loss_all_after) > limit
        out.append(Update(**partial, **grads, after=after, loss_after=loss_after, loss_all_after=loss_all_after,
                          diverged="growth" if grew else None))
        if grew:
            break
        current, loss_all = after, loss_all_after
    return tuple(out)


def _schedule(n: int, batch: int, seed: int) -> Iterator[tuple[int, int, np.ndarray]]:
    """(epoch, mini-batch number, indices) of every update, in the order train() makes them."""
    epoch = 1
    while True:
        for b, idx in enumerate(batches(n, batch, seed, epoch), start=1):
            yield epoch, b, idx
        epoch += 1


def accuracy(net: Network, X, Y) -> float:
    """The fraction of points whose larger output is their class."""
    X, Y = _data(X, Y)
    with np.errstate(all="ignore"):
        _, a = net.forward(X)
    return float(np.mean(np.argmax(a[-1], axis=1) == np.argmax(Y, axis=1)))


@dataclass(frozen=True)
class Grid:
    """y_1, the network's probability of class 1, over a grid: p1[r, c] is at (xs[c], ys[r])."""

    xs: np.ndarray
    ys: np.ndarray
    p1: np.ndarray


def grid(net: Network, X, n: int = 81, margin: float = 0.3) -> Grid | None:
    """The probability of class 1 on an n x n grid over the data's bounding box widened by `margin`;
    None if the network overflows there."""
    X = validation.finite_array("points X", X, ndim=(2,))
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    xs, ys = np.linspace(lo[0], hi[0], n), np.linspace(lo[1], hi[1], n)
    points = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    try:
        with np.errstate(all="ignore"):
            _, a = net.forward(points)
    except ValueError:
        return None
    return Grid(readonly(xs), readonly(ys), readonly(a[-1][:, 0].reshape(n, n)))


def _frozen(idx: np.ndarray) -> np.ndarray:
    out = np.array(idx, dtype=np.intp)
    out.setflags(write=False)
    return out


def _data(X, Y) -> tuple[np.ndarray, np.ndarray]:
    X = validation.finite_array("points X", X, ndim=(2,))
    Y = validation.finite_array("labels Y", Y, ndim=(2,))
    if X.shape[1] != 2 or Y.shape != (len(X), 2):
        raise ValueError(f"X must be (n, 2) and Y (n, 2) one-hot; got {X.shape} and {Y.shape}")
    return X, Y


def _rate(lr) -> float:
    lr = float(validation.finite_array("learning rate", lr, ndim=(0,)))
    if lr <= 0:
        raise ValueError(f"learning rate must be > 0; got {lr}")
    return lr


def _batch_size(batch) -> int:
    batch = int(batch)
    if batch < 1:
        raise ValueError(f"batch size must be >= 1; got {batch}")
    return batch
