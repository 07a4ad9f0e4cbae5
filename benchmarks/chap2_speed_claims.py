"""Ch.2's two speed claims, measured side by side: ``python benchmarks/chap2_speed_claims.py``.

2.1, the problem "Fully matrix-based approach to backpropagation over a mini-batch": "On my laptop,
for example, the speedup is about a factor of two when run on MNIST classification problems like
those we considered in the last chapter." Timed: one SGD step (update_mini_batch, η = 3.0) on a
mini-batch of 10 real MNIST training images, network.py's loop over the examples against the whole
mini-batch as one matrix, on chapter 1's nets (sigmoid, quadratic cost, N(0, 1) weights).
2.2, "In what sense is backpropagation a fast algorithm?": backprop costs "roughly the same as
making just two forward passes". Timed: backprop (its forward pass, then BP1–BP4) / the forward
pass alone, on the first training image (m = 1, as network.py calls backprop) and the first 10,
on chapter 1's nets and on [784, 1000, 10], near the "million weights" of the book's argument.

NumPy: repro/numpy_reference.py, the book's equations in float64 with column vectors, as network.py
(the matrix form is X = xs.T, a view; from network.py's list of (x, y) tuples an np.hstack would
add ~10 µs a mini-batch, measured).
torch: the project's Network in float32, its hand-written BP1–BP4 (Network.backprop), no autograd.
One thread each (torch.set_num_threads, threadpoolctl for NumPy's BLAS); the works of a row take
turns call by call, and each keeps its fastest call: the CI machine is shared and noisy.

Band: we read "about a factor of two" and "roughly … two" as a ratio whose nearest power of two,
on a log scale, is 2, i.e. [√2, 2√2] = [1.41, 2.83]: below, "about the same" (1) would be the
nearer phrase; above, "about four". The book gives one laptop's number and no tolerance.
"""

import argparse
import math
import platform
import time
from itertools import cycle
from dataclasses import replace
from datetime import date

import numpy as np
import torch
from threadpoolctl import threadpool_info, threadpool_limits

from experiments import chap1_network
from repro import numpy_reference as ref
from repro.data import load_mnist

BAND = (2 ** 0.5, 2 ** 1.5)  # ratios nearer 2 than 1 or 4, on a log scale
NETS = ((784, 30, 10), (784, 100, 10))  # chapter 1's two networks
MILLION = (784, 1000, 10)  # 795,010 weights and biases: the regime of 2.2's "a million weights"
WORDS = {"2.1": '"the speedup is about a factor of two"', "2.2": '"roughly the same as making just two forward passes"'}


def best_times(works, tries):
    """Return each work's fastest call over ``tries`` calls, the works taking turns call by call: on a shared
    machine a single call (8 µs to 3 ms here) is often left alone, a long block of calls rarely."""
    best = [math.inf] * len(works)
    for _ in range(tries):
        for i, work in enumerate(works):
            started = time.perf_counter()
            work()
            best[i] = min(best[i], time.perf_counter() - started)
    return best


def numpy_net(sizes, seed=0):
    """Return network.py's (weights, biases): N(0, 1), w (n_l, n_{l-1}), b (n_l, 1), float64."""
    rng = np.random.default_rng(seed)
    return ([rng.standard_normal((n_out, n_in)) for n_in, n_out in zip(sizes[:-1], sizes[1:])],
            [rng.standard_normal((n_out, 1)) for n_out in sizes[1:]])


def torch_update_mini_batch(network, x, y, eta, per_example):
    """One SGD step of the project's net: Σₓ of backprop over the rows one at a time (network.py's loop), or once."""
    parts = [(x[k:k + 1], y[k:k + 1]) for k in range(len(x))] if per_example else [(x, y)]
    grads = [[*nabla_w, *nabla_b] for nabla_w, nabla_b, _ in (network.backprop(xk, yk) for xk, yk in parts)]
    nablas = map(sum, zip(*grads)) if per_example else grads[0]  # the matrix form has nothing to add up
    for parameter, nabla in zip([*network.weights, *network.biases], nablas):
        parameter.sub_(nabla, alpha=eta / len(x))


def torch_forward(network, x):
    """Return aᴸ by the forward pass that Network.backprop runs before BP1 (the same layer code)."""
    a = x
    for layer in network.layers:
        a, _ = layer.feedforward(a)
    return network.cost_function.output(a)


def claim_2_1(sizes, data, args):
    """Return (NumPy, torch) seconds of one SGD step as (loop, matrix) pairs; each work walks the first 100
    mini-batches of the training set in turn, training its own copy of the net."""
    x, y = data.training.images[:1000], data.training.one_hot()[:1000]
    batches = [(x[k:k + 10], y[k:k + 10], x[k:k + 10].double().numpy(), y[k:k + 10].double().numpy())
               for k in range(0, len(x), 10)]
    loop_net, matrix_net = numpy_net(sizes), numpy_net(sizes)
    network = [replace(chap1_network.CONFIG, sizes=sizes).network(torch.Generator().manual_seed(0)) for _ in "ab"]
    steps = [lambda b: ref.update_mini_batch(*loop_net, b[2], b[3], 3.0),
             lambda b: ref.update_mini_batch_matrix(*matrix_net, b[2], b[3], 3.0),
             lambda b: torch_update_mini_batch(network[0], b[0], b[1], 3.0, per_example=True),
             lambda b: torch_update_mini_batch(network[1], b[0], b[1], 3.0, per_example=False)]
    works = [lambda step=step, walk=cycle(batches): step(next(walk)) for step in steps]
    seconds = best_times(works, args.tries)
    return seconds[0:2], seconds[2:4]


def claim_2_2(sizes, m, data, args):
    """Return (NumPy, torch) seconds as (backprop, forward) pairs on the first m training images."""
    x, y = data.training.images[:m], data.training.one_hot()[:m]
    columns, targets = x.double().numpy().T, y.double().numpy().T  # (784, m), (10, m): the book's columns
    weights, biases = numpy_net(sizes)
    network = replace(chap1_network.CONFIG, sizes=sizes).network(torch.Generator().manual_seed(0))
    works = [lambda: ref.backprop(weights, biases, columns, targets, ref.quadratic_delta),
             lambda: ref.feedforward(weights, biases, columns),
             lambda: network.backprop(x, y), lambda: torch_forward(network, x)]
    seconds = best_times(works, args.tries)
    return seconds[0:2], seconds[2:4]


def multiply_adds(sizes, m, backprop):
    """Return the multiply-adds of the products for m examples: forward Σ wˡaˡ⁻¹; backprop adds BP4's
    δˡ(aˡ⁻¹)ᵀ and BP2's (wˡ)ᵀδˡ (not for the first layer). The book's "two forward passes" is this count."""
    forward = m * sum(n_in * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    return forward * (3 if backprop else 1) - (m * sizes[0] * sizes[1] if backprop else 0)


def cell(pair):
    """Return 'ratio× (a / b µs)' and whether the ratio lies in BAND."""
    ratio = pair[0] / pair[1]
    return f"{ratio:.2f}× ({1e6 * pair[0]:.0f} / {1e6 * pair[1]:.0f} µs)", BAND[0] <= ratio <= BAND[1]


def row(claim, what, arithmetic, numpy_pair, torch_pair):
    (ours_numpy, numpy_in), (ours_torch, torch_in) = cell(numpy_pair), cell(torch_pair)
    verdict = "/".join("yes" if inside else "no" for inside in (numpy_in, torch_in))
    print(f"| {claim} | {WORDS[claim]} | {what} | {arithmetic:.2f}× | {ours_numpy} | {ours_torch} | {verdict} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=300, help="calls of each work, taking turns; each keeps its best")
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = load_mnist()
    with torch.no_grad(), threadpool_limits(1):  # BP1–BP4 by hand: no graph to record
        blas = ", ".join(f"{info['internal_api']} {info['version']}" for info in threadpool_info())
        print(f"{date.today()}, {platform.node()}, {platform.machine()}; NumPy {np.__version__} ({blas}), "
              f"torch {torch.__version__}; one thread each; real MNIST training images; fastest of {args.tries} "
              f"calls taking turns. Band [√2, 2√2] = [{BAND[0]:.3f}, {BAND[1]:.3f}]: nearer 2 than 1 or 4 (log scale)\n")
        print("| claim | book | net, what is timed (a / b) | multiply-adds a / b | ours NumPy float64 | ours torch "
              "float32 | in band (NumPy/torch) |\n|---|---|---|---|---|---|---|")
        for sizes in NETS:  # the loop and the matrix do the same products
            row("2.1", f"{list(sizes)}, SGD step, m = 10: loop over examples / one matrix", 1.0,
                *claim_2_1(sizes, data, args))
        for sizes in (*NETS, MILLION):
            for m in (1, 10):
                arithmetic = multiply_adds(sizes, m, True) / multiply_adds(sizes, m, False)
                row("2.2", f"{list(sizes)}, m = {m}: backprop / forward pass", arithmetic,
                    *claim_2_2(sizes, m, data, args))


if __name__ == "__main__":
    main()
