"""The book's algorithm as network.py runs it: NumPy, one example at a time.

Written for this project from the book's Ch.1–2 description (not copied from
network.py): it is the speed baseline of ``benchmarks/epoch_speed.py`` and a second,
independent referee for ``Network.backprop`` (tests/test_backprop.py).
Column vectors as in the book: an activation is (n, 1), w is (n_l, n_{l-1}).
"""

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def backprop_one_example(weights, biases, x, y, cost_delta):
    """Return (nabla_w, nabla_b) of C_x for one example x (784, 1), as network.py's backprop."""
    activation, activations, zs = x, [x], []
    for w, b in zip(weights, biases):
        zs.append(w @ activation + b)
        activation = sigmoid(zs[-1])
        activations.append(activation)
    delta = cost_delta(zs[-1], activations[-1], y)  # (BP1)
    nabla_w, nabla_b = [None] * len(weights), [None] * len(biases)
    nabla_w[-1], nabla_b[-1] = delta @ activations[-2].T, delta  # (BP4), (BP3)
    for l in range(2, len(weights) + 1):
        sp = sigmoid(zs[-l]) * (1 - sigmoid(zs[-l]))
        delta = (weights[-l + 1].T @ delta) * sp  # (BP2)
        nabla_w[-l], nabla_b[-l] = delta @ activations[-l - 1].T, delta  # (BP4), (BP3)
    return nabla_w, nabla_b


def quadratic_delta(z, a, y):
    return (a - y) * sigmoid(z) * (1 - sigmoid(z))


def update_mini_batch(weights, biases, xs, ys, eta, cost_delta=quadratic_delta):
    """Apply one SGD step, w ← w − (η/m) Σₓ ∇C_x, summing the per-example gradients in a loop."""
    sum_w = [np.zeros_like(w) for w in weights]
    sum_b = [np.zeros_like(b) for b in biases]
    for x, y in zip(xs, ys):
        nabla_w, nabla_b = backprop_one_example(weights, biases, x.reshape(-1, 1), y.reshape(-1, 1), cost_delta)
        sum_w = [s + n for s, n in zip(sum_w, nabla_w)]
        sum_b = [s + n for s, n in zip(sum_b, nabla_b)]
    for w, b, nw, nb in zip(weights, biases, sum_w, sum_b):
        w -= (eta / len(xs)) * nw
        b -= (eta / len(xs)) * nb
