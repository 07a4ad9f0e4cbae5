"""Time of network3's max-pool backward against torch's: ``python benchmarks/pool_ties.py``.

network3 (Theano's DownsampleFactorMaxGrad) gives δ to every position of a 2×2 window equal
to its maximum (repro/conv.py, ``max_pool_delta``); torch's max_pool2d gives it to one, the
stored index, a scatter. Ours must find the ties, a comparison over the whole pool input,
so it costs more: this table says how much, on chapter 6's two pool inputs (mini-batch of
10, one net and three side by side). On the 2-core CPU, with training busy on both cores:
1.3-1.5× the scatter for one net, 2.5× for three side by side; the ``relu`` net's training
step, three seeds side by side, went from 10.7 to 14.9 ms (issue 22): the price of the book's
semantics.
"""

import time

import torch
import torch.nn.functional as F

from repro.conv import max_pool_delta

SHAPES = {"layer 1 (20 maps of 24×24)": (10, 20, 24, 24), "layer 2 (40 maps of 8×8)": (10, 40, 8, 8),
          "layer 1, 3 nets side by side": (3, 10, 20, 24, 24)}


def best_time(fn, repeats=200, tries=5):
    """Return the best over ``tries`` of the mean time of ``repeats`` calls, in microseconds."""
    def once():
        started = time.perf_counter()
        for _ in range(repeats):
            fn()
        return (time.perf_counter() - started) / repeats * 1e6
    return min(once() for _ in range(tries))


def torch_rule(delta, c):
    """torch's backward of max_pool2d: δ to the one stored maximum of each window (4-d: the seeds' axis folded)."""
    c = c.flatten(0, -4).requires_grad_()
    pooled = F.max_pool2d(c, 2)
    return torch.autograd.grad(pooled, c, delta.flatten(0, -4))[0]


def main():
    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(0)
    print(f"torch {torch.__version__}, one thread; best of 5 tries of 200 calls \n")
    print("| what | torch's rule (one max) µs | network3's rule (every tie) µs | ratio |\n|---|---|---|---|")
    for name, shape in SHAPES.items():
        c = torch.randn(shape, generator=generator).relu()  # ReLU-like: many exact zeros, so ties
        delta = torch.randn(*shape[:-2], shape[-2] // 2, shape[-1] // 2, generator=generator)
        ours, theirs = best_time(lambda: max_pool_delta(delta, c)), best_time(lambda: torch_rule(delta, c))
        print(f"| {name}: pool backward | {theirs:.0f} | {ours:.0f} | {ours / theirs:.2f}× |")


if __name__ == "__main__":
    main()
