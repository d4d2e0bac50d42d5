"""A dense network in the notes' row-vector convention: h_k = a_{k-1} W_k + b_k, a_k = f(h_k)."""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import validation
from .activations import ACTIVATIONS
from .losses import LOSSES
from .network_steps import build_steps
from .softmax import exp_normalise, jacobian_of, log_softmax
from .step import Step, readonly

HIDDEN = ("relu", "sigmoid", "tanh", "identity")
OUTPUTS = ("identity", "sigmoid", "softmax")


@dataclass(frozen=True)
class Trace:
    """Everything one forward and backward pass computed. Arrays are read-only; a[0] is x, a[-1] is y."""

    x: np.ndarray                 # (batch, n_in)
    label: np.ndarray             # (batch, n_out)
    h: tuple[np.ndarray, ...]     # pre-activations h_1 .. h_N
    a: tuple[np.ndarray, ...]     # activations a_0 = x, a_1 .. a_N = y
    loss: float
    dy: np.ndarray                # dL/dy
    dz: tuple[np.ndarray, ...]    # dL/dh_k
    da: tuple[np.ndarray, ...]    # dL/da_k for k = 0 .. N-1 (da[0] = dL/dx)
    dW: tuple[np.ndarray, ...]
    db: tuple[np.ndarray, ...] | None
    steps: tuple[Step, ...]
    lr: float | None = None
    updated: "Network | None" = None   # the network after w* = w - lr g
    loss_after: float | None = None

    @property
    def y(self) -> np.ndarray:
        return self.a[-1]


class Network:
    """Dense layers W_k of shape (n_in, n_out): w_kji sits at row i, column j of W_k, as in the notes.

    output_grad_as_one reproduces the notes' simplification "treat the output activation's derivative
    as 1" (dz_N = dL/dy); it is off by default because it is wrong except where stated in the lessons.
    """

    def __init__(
        self,
        weights: Sequence,
        biases: Sequence | None = None,
        hidden: str = "relu",
        output: str = "softmax",
        loss: str = "half_sse",
        output_grad_as_one: bool = False,
    ):
        if isinstance(weights, np.ndarray) or not isinstance(weights, Sequence) or len(weights) == 0:
            raise ValueError(f"weights must be a non-empty list of matrices; got {type(weights).__name__}")
        self.weights = tuple(
            readonly(validation.finite_array(f"weights[{k}] (W{k + 1})", W, ndim=(2,))) for k, W in enumerate(weights)
        )
        for k in range(1, len(self.weights)):
            prev, W = self.weights[k - 1], self.weights[k]
            if W.shape[0] != prev.shape[1]:
                raise ValueError(
                    f"W{k + 1} must have {prev.shape[1]} rows (the width of layer {k}); got shape {W.shape}"
                )
        if biases is None:
            self.biases = None
        else:
            if isinstance(biases, np.ndarray) or not isinstance(biases, Sequence):
                raise ValueError("biases must be a list of vectors, one per layer, or None; "
                                 f"got {type(biases).__name__}")
            if len(biases) != len(self.weights):
                raise ValueError(f"biases must have one vector per layer ({len(self.weights)}); got {len(biases)}")
            self.biases = tuple(
                readonly(validation.finite_array(f"biases[{k}] (b{k + 1})", b, ndim=(1,)))
                for k, b in enumerate(biases)
            )
            for k, (W, b) in enumerate(zip(self.weights, self.biases)):
                if b.shape != (W.shape[1],):
                    raise ValueError(f"b{k + 1} must have shape ({W.shape[1]},); got {b.shape}")
        self.hidden = validation.choice("hidden activation", hidden, HIDDEN)
        self.output = validation.choice("output activation", output, OUTPUTS)
        self.loss = validation.choice("loss", loss, tuple(LOSSES))
        self.output_grad_as_one = bool(output_grad_as_one)
        self._frozen = True

    def __setattr__(self, name: str, value) -> None:
        if getattr(self, "_frozen", False):
            raise AttributeError(f"a Network is immutable; use net.replace({name}=...) for a changed copy")
        super().__setattr__(name, value)

    # -- structure -------------------------------------------------------------------------------
    @property
    def widths(self) -> tuple[int, ...]:
        """(n_in, n_1, ..., n_N)."""
        return (self.weights[0].shape[0],) + tuple(W.shape[1] for W in self.weights)

    @property
    def depth(self) -> int:
        return len(self.weights)

    @property
    def is_chain(self) -> bool:
        """One node per layer: the notes' single-node chain."""
        return all(n == 1 for n in self.widths)

    def replace(self, weights=None, biases=None, **options) -> "Network":
        """A copy with some parameters or options changed."""
        return Network(
            weights=self.weights if weights is None else weights,
            biases=self.biases if biases is None else biases,
            hidden=options.get("hidden", self.hidden),
            output=options.get("output", self.output),
            loss=options.get("loss", self.loss),
            output_grad_as_one=options.get("output_grad_as_one", self.output_grad_as_one),
        )

    def stepped(self, lr: float, dW, db) -> "Network":
        """The network after w* = w - lr g: the same structure, so only finiteness needs checking (this runs
        once per update in training, where the full checks of the constructor would dominate)."""
        new = object.__new__(Network)
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused just below, in words
            weights = tuple(readonly(validation.finite_result(f"W{k + 1}*", W - lr * g))
                            for k, (W, g) in enumerate(zip(self.weights, dW)))
            biases = None if self.biases is None else tuple(
                readonly(validation.finite_result(f"b{k + 1}*", b - lr * g))
                for k, (b, g) in enumerate(zip(self.biases, db)))
        for name, value in vars(self).items():
            object.__setattr__(new, name, value)
        object.__setattr__(new, "weights", weights)
        object.__setattr__(new, "biases", biases)
        return new

    # -- forward ---------------------------------------------------------------------------------
    def forward(self, x) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Pre-activations h_1..h_N and activations a_0..a_N for a batch x."""
        a = [validation.batch("x", x, self.widths[0])]
        h: list[np.ndarray] = []
        f = ACTIVATIONS[self.hidden].f
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused in words, where it happens
            for k, W in enumerate(self.weights):
                bias = 0.0 if self.biases is None else self.biases[k]
                h_k = validation.finite_result(f"h{k + 1}", a[-1] @ W + bias)
                h.append(h_k)
                last = k == self.depth - 1
                a.append(self._output(h_k) if last else f(h_k))
        return h, a

    def _output(self, h: np.ndarray) -> np.ndarray:
        return exp_normalise(h) if self.output == "softmax" else ACTIVATIONS[self.output].f(h)

    def loss_value(self, x, label) -> float:
        """The loss alone (used by finite differences and after an update)."""
        h, a = self.forward(x)
        return self._loss(h[-1], a[-1], self.label_batch(label, a[-1].shape[0]))

    def _loss(self, h_out: np.ndarray, y: np.ndarray, label: np.ndarray) -> float:
        if self.loss == "cross_entropy":
            # -sum label log y, with log y taken from h where it can be: exact even where y underflows to 0
            if self.output == "softmax":
                log_y = log_softmax(h_out)
            elif self.output == "sigmoid":
                log_y = -np.logaddexp(0.0, -h_out)
            else:
                if np.any(y <= 0):
                    raise ValueError(
                        "cross_entropy needs outputs in (0, 1] to take their log; the identity output gave "
                        f"{y.min():.4g}: use a softmax or sigmoid output"
                    )
                log_y = np.log(y)
            terms = np.where(label != 0, label * log_y, 0.0)  # 0 log 0 = 0
            loss = float(-terms.sum(axis=1).mean())
        else:
            with np.errstate(over="ignore", invalid="ignore"):  # refused just below, in words
                loss = LOSSES[self.loss].value(y, label)
        if not np.isfinite(loss):
            raise ValueError("the loss overflowed to a non-finite value; use smaller inputs or weights")
        return loss

    def label_batch(self, label, batch: int) -> np.ndarray:
        """The label as a checked (batch, n_out) matrix, for a batch of `batch` samples."""
        t = validation.batch("label y", label, self.widths[-1])
        if t.shape[0] != batch:
            raise ValueError(f"label y must have {batch} rows, one per sample of x; got shape {t.shape}")
        if self.loss == "cross_entropy":  # -label log y: a label outside [0, 1] makes the loss negative or overflow
            validation.probabilities("labels y for cross_entropy", t)
        return t

    # -- backward --------------------------------------------------------------------------------
    def backprop(self, x, y, lr: float | None = None, steps: bool = True) -> Trace:
        """Forward pass, loss, and every gradient by the chain rule, from the output back to W_1.

        With lr, also the update w* = w - lr g and the loss after it. steps=False skips building the
        Step records (training uses that).
        """
        h, a = self.forward(x)
        label = self.label_batch(y, a[0].shape[0])
        loss = self._loss(h[-1], a[-1], label)

        finite = validation.finite_result
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused in words, where it happens
            dy = finite("dL/dy", LOSSES[self.loss].grad(a[-1], label))
            dz = [None] * self.depth
            da = [None] * self.depth
            dz[-1] = finite(f"dz{self.depth}", self._output_dz(h[-1], a[-1], label, dy))
            df = ACTIVATIONS[self.hidden].df
            for k in range(self.depth - 1, -1, -1):
                # dL/da_{k} = dz_{k+1} W_{k+1}^T ; dz_k = dL/da_k * f'(h_k)   (k counted from 0 here)
                da[k] = finite("dL/dx" if k == 0 else f"dL/da{k}", dz[k] @ self.weights[k].T)
                if k > 0:
                    dz[k - 1] = finite(f"dz{k}", da[k] * df(h[k - 1]))
            dW = [finite(f"dW{k + 1}", a[k].T @ dz[k]) for k in range(self.depth)]
            db = None if self.biases is None else [finite(f"db{k + 1}", dz_k.sum(axis=0)) for k, dz_k in enumerate(dz)]

        updated = loss_after = None
        if lr is not None:
            lr = float(validation.finite_array("learning rate", lr, ndim=(0,)))
            updated = self.stepped(lr, dW, db)
            loss_after = updated.loss_value(a[0], label)

        trace = Trace(
            x=readonly(a[0]),
            label=readonly(label),
            h=tuple(map(readonly, h)),
            a=tuple(map(readonly, a)),
            loss=loss,
            dy=readonly(dy),
            dz=tuple(map(readonly, dz)),
            da=tuple(map(readonly, da)),
            dW=tuple(map(readonly, dW)),
            db=None if db is None else tuple(map(readonly, db)),
            steps=(),
            lr=lr,
            updated=updated,
            loss_after=loss_after,
        )
        # The Step records are written from the finished trace.
        return dataclasses.replace(trace, steps=build_steps(self, trace)) if steps else trace

    def _output_dz(self, h: np.ndarray, y: np.ndarray, label: np.ndarray, dy: np.ndarray) -> np.ndarray:
        """dz_N = dL/dh_N: dL/dy through the output activation (or not, with the notes' simplification)."""
        if self.output_grad_as_one:
            return dy
        batch = y.shape[0]
        if self.loss == "cross_entropy" and self.output == "softmax":
            # The Jacobian chain collapses to (y sum(label) - label) / batch, which is (y - label) / batch
            # for labels that sum to 1: exact and stable.
            return (y * label.sum(axis=1, keepdims=True) - label) / batch
        if self.loss == "cross_entropy" and self.output == "sigmoid":
            # -label / y times y (1 - y): stable where y underflows
            return -label * (1.0 - y) / batch
        if self.output == "softmax":
            # Row vector times Jacobian, per sample: dz_k = sum_j dL/dy_j dy_j/dh_k.
            return np.einsum("bj,bjk->bk", dy, jacobian_of(y))
        return dy * ACTIVATIONS[self.output].df(h)

    def __repr__(self) -> str:
        return (
            f"Network(widths={self.widths}, hidden={self.hidden!r}, output={self.output!r}, "
            f"loss={self.loss!r}, biases={self.biases is not None}, output_grad_as_one={self.output_grad_as_one})"
        )
