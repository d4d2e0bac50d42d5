"""The lessons' default examples, in one place.

Where a note gives numbers, they are the note's: the computational graph f = (x + y) z at x = -2, y = 5,
z = -4 and the sigmoid neuron at w = (2, -3, -3), x = (-1, -2) (note 002). Notes 000/001 give the
structure of the chain and of the 2x2x2 network but no numbers; the values below are chosen so that every
step is easy to follow by hand (and, in the 2x2x2 network, one ReLU is off, so its mask shows).
"""
from __future__ import annotations

from types import MappingProxyType

# Chain rule on a computational graph (note 002): node values by name.
GRAPHS = MappingProxyType({
    "sum_times": MappingProxyType({"x": -2.0, "y": 5.0, "z": -4.0}),
    "sigmoid_neuron": MappingProxyType({"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}),
    # one input on two paths: f = x y + x z, so df/dx = y + z collects two contributions
    "shared_input": MappingProxyType({"x": 2.0, "y": -3.0, "z": 5.0}),
})

# Single-node chain x -> w1 -> A -> w2 -> A -> w3 -> y (notes 000/001). The notes' update is w* = w - g,
# a learning rate of 1; 0.1 is the default here so that one step does not overshoot.
CHAIN = MappingProxyType({
    "x": 1.5, "w1": 0.8, "w2": -0.5, "w3": 1.2, "label": 1.0,
    "hidden": "identity", "output": "identity", "loss": "half_sse", "lr": 0.1,
})

# The 2x2x2 matrix network (notes 000/001): W_k[i-1][j-1] = w_kji, ReLU hidden layers, softmax output,
# dL/dy = y - label (half_sse).
MATRIX_NET = MappingProxyType({
    "x": (1.0, 2.0),
    "W1": ((0.5, -0.3), (0.2, 0.4)),
    "W2": ((0.3, -0.6), (0.8, 0.1)),
    "W3": ((0.6, -0.4), (0.2, 0.5)),
    "label": (1.0, 0.0),
    "hidden": "relu", "output": "softmax", "loss": "half_sse", "lr": 0.1,
})

# Softmax Jacobian (note 003): three logits, one-hot label.
SOFTMAX = MappingProxyType({"z": (2.0, 1.0, 0.1), "temperature": 1.0, "label": (1.0, 0.0, 0.0)})

# Deep networks (note 004) and training (notes 000/001).
DEEP = MappingProxyType({"depth": 3, "width": 3, "hidden": "sigmoid", "biases": True, "seed": 0})
# Training: the data set is made from `seed`, the initial weights and the mini-batch order from `init_seed`.
# Two hidden layers as in the notes, but 4 tanh units each, with biases, and cross-entropy: the notes' 2 ReLU
# units without biases stall on XOR from most starting points (a unit whose h stays <= 0 never learns, and
# without biases every boundary passes through the origin); 4 tanh units reach ~98% on all three data sets
# from most seeds, in 200 epochs (2,000 updates: the most the training page runs at once). Cross-entropy
# makes dz_3 = (y - label) / batch, the notes' own formula, and lets a too large learning rate show up as a
# loss that grows (with half_sse and softmax the loss cannot exceed 1).
TRAINING = MappingProxyType({
    "dataset": "xor", "points": 200, "noise": 0.1, "seed": 0, "init_seed": 0,
    "depth": 2, "width": 4, "hidden": "tanh", "biases": True, "loss": "cross_entropy",
    "lr": 0.5, "batch": 20, "epochs": 200,
})
