"""Backprop Lab's core: every number and derivation the lessons show. NumPy at run time; no UI.

    from bp_core import Network, softmax, softmax_jacobian, cross_entropy, softmax_cross_entropy_grad
    from bp_core.graph import Value
"""
from .network import Network, Trace
from .softmax import cross_entropy, softmax, softmax_cross_entropy_grad, softmax_jacobian
from .step import Step

__all__ = [
    "Network",
    "Trace",
    "Step",
    "softmax",
    "softmax_jacobian",
    "cross_entropy",
    "softmax_cross_entropy_grad",
]
