"""The book's algorithm as network.py runs it: NumPy, float64, one example at a time, and Ch.2's matrix form.

Written for this project from the book's Ch.1–2 description (not copied from
network.py): it is the speed baseline of ``benchmarks/epoch_speed.py``, a second,
independent referee for ``Network.backprop`` (tests/test_backprop.py), and both sides of
the book's own speed comparison (``benchmarks/chap2_speed_claims.py``).
Column vectors as in the book: an activation is (n, 1), w is (n_l, n_{l-1}); in the matrix
form the columns of X = [x₁ … xₘ] are the mini-batch's examples, so aˡ is (n_l, m).
"""

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def feedforward(weights, biases, a):
    """Return the output aᴸ for the input columns a, as network.py's feedforward: aˡ = σ(wˡaˡ⁻¹ + bˡ)."""
    for w, b in zip(weights, biases):
        a = sigmoid(np.dot(w, a) + b)
    return a


def backprop(weights, biases, x, y, cost_delta):
    """Return (nabla_w, nabla_b) of Σₓ C_x for input columns x (784, m), targets y (10, m).

    m = 1 is network.py's backprop line for line. m > 1 is Ch.2's problem "Fully matrix-based
    approach to backpropagation over a mini-batch": the same lines with X for x; BP4's product
    sums over the examples by itself, BP3 needs an explicit sum over the columns. np.dot as
    network.py, not @: at m = 1 BP4 is an outer product, for which @ took 41 µs and np.dot 6
    ([784, 30, 10], NumPy 2.4.6, one thread; at m = 10 the two are about as fast).
    """
    activation, activations, zs = x, [x], []
    for w, b in zip(weights, biases):
        zs.append(np.dot(w, activation) + b)  # (n_l, m)
        activation = sigmoid(zs[-1])
        activations.append(activation)
    delta = cost_delta(zs[-1], activations[-1], y)  # (BP1) δᴸ
    nabla_w, nabla_b = [None] * len(weights), [None] * len(biases)
    for l in range(1, len(weights) + 1):  # l = 1 is the last layer, as network.py counts
        if l > 1:
            sp = sigmoid(zs[-l]) * (1 - sigmoid(zs[-l]))  # σ′(z) computed from z again, as network.py
            delta = np.dot(weights[-l + 1].T, delta) * sp  # (BP2)
        nabla_w[-l] = np.dot(delta, activations[-l - 1].T)  # (BP4), summed over the m columns by the product
        nabla_b[-l] = delta if delta.shape[1] == 1 else delta.sum(axis=1, keepdims=True)  # (BP3)
    return nabla_w, nabla_b


def quadratic_delta(z, a, y):
    return (a - y) * sigmoid(z) * (1 - sigmoid(z))


def descend(weights, biases, nabla_w, nabla_b, eta, m):
    """w ← w − (η/m) Σₓ ∇C_x, in place."""
    for w, b, nw, nb in zip(weights, biases, nabla_w, nabla_b):
        w -= (eta / m) * nw
        b -= (eta / m) * nb


def update_mini_batch(weights, biases, xs, ys, eta, cost_delta=quadratic_delta):
    """Apply one SGD step to the rows xs (m, 784), summing the per-example gradients in a loop, as network.py."""
    sum_w = [np.zeros_like(w) for w in weights]
    sum_b = [np.zeros_like(b) for b in biases]
    for x, y in zip(xs, ys):
        nabla_w, nabla_b = backprop(weights, biases, x.reshape(-1, 1), y.reshape(-1, 1), cost_delta)
        sum_w = [s + n for s, n in zip(sum_w, nabla_w)]
        sum_b = [s + n for s, n in zip(sum_b, nabla_b)]
    descend(weights, biases, sum_w, sum_b, eta, len(xs))


def update_mini_batch_matrix(weights, biases, xs, ys, eta, cost_delta=quadratic_delta):
    """Apply the same step with the whole mini-batch as one matrix X = xs.T (784, m): Ch.2's problem."""
    nabla_w, nabla_b = backprop(weights, biases, xs.T, ys.T, cost_delta)
    descend(weights, biases, nabla_w, nabla_b, eta, len(xs))
