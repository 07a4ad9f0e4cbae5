"""Ch.1 "Perceptrons": a NAND gate from one perceptron, and an adder built from nothing else.

Book, Ch.1: a perceptron with two inputs, weights −2 and −2 and bias 3 computes NAND: 00 → 1,
01 → 1, 10 → 1, 11 → 0 ("(−2)∗0 + (−2)∗0 + 3 = 3 is positive") [BOOK.md 1.10]. NAND is universal,
so a network of such perceptrons adds two bits: the sum x₁ ⊕ x₂ and the carry x₁x₂ (the book's
figure, where two inputs from one perceptron become one weight of −4). Chained, the same gates add
numbers of any width. "Sigmoid neurons" with the same weights and bias are not gates: σ(3) = 0.95,
σ(1) = 0.73, σ(−1) = 0.27, and the errors grow through the circuit; with w and b scaled by c the
sigmoid neuron becomes the perceptron as c → ∞ (Ch.1, "Sigmoid neurons").

    python -m repro.run chap1_perceptrons                          # a 4-bit adder of NAND perceptrons, every input
    python -m repro.run chap1_perceptrons --variant sigmoid        # the same circuit of sigmoid neurons
"""

from dataclasses import dataclass

import torch

from repro.costs import Sigmoid
from repro.expected import Expected, Headline
from repro.plots import plt

W, B = torch.tensor([-2.0, -2.0], dtype=torch.float64), 3.0  # the book's NAND perceptron


@dataclass(frozen=True)
class Config:
    """The adder: its width, and the neurons its NAND gates are made of."""

    bits: int = 4  # width of the two numbers added; every one of the 2^(2·bits) pairs is checked
    neuron: str = "perceptron"  # "perceptron" (output 1 if w·x + b > 0, else 0) or "sigmoid" (σ(c(w·x + b)))
    scale: float = 1.0  # c: a sigmoid neuron's weights and bias times c; the perceptron as c → ∞

    def __post_init__(self):
        if not (1 <= self.bits <= 8 and self.neuron in ("perceptron", "sigmoid") and self.scale > 0):
            raise ValueError(f"need 1 <= bits <= 8, neuron perceptron or sigmoid, scale > 0; got {self}")

    headline = Headline("test")  # every input pair, standing for the test set


VARIANTS = {"perceptron": Config(), "sigmoid": Config(neuron="sigmoid"),
            "sigmoid_x10": Config(neuron="sigmoid", scale=10.0)}


def nand(cfg):
    """Return the book's NAND neuron as a function of two inputs (tensors of 0/1, or of real outputs)."""
    def gate(x1, x2):
        z = torch.stack([x1, x2], -1) @ W + B  # w·x + b
        return (z > 0).double() if cfg.neuron == "perceptron" else Sigmoid.fn(cfg.scale * z)
    return gate


def full_adder(gate, x1, x2, carry):
    """Return (sum, carry out) of three bits from nine NAND gates (two half adders and an OR)."""
    n1 = gate(x1, x2)
    half = gate(gate(x1, n1), gate(x2, n1))  # x1 ⊕ x2 from four NANDs, as the book's figure
    n2 = gate(half, carry)
    total = gate(gate(half, n2), gate(carry, n2))  # (x1 ⊕ x2) ⊕ carry
    return total, gate(n1, n2)  # carry out = x1x2 OR (x1 ⊕ x2)carry = NAND(NAND(x1, x2), NAND(half, carry))


def add(gate, a, b, bits):
    """Return the (bits + 1)-bit sum of a and b (tensors of bits, least significant first) through the gates."""
    carry, total = torch.zeros_like(a[0]), []
    for k in range(bits):
        digit, carry = full_adder(gate, a[k], b[k], carry)
        total.append(digit)
    return torch.stack(total + [carry])


def measure(cfg, logs):
    """Add every pair of cfg.bits-bit numbers through the circuit; score the pairs whose every output bit is right."""
    numbers = torch.arange(2 ** cfg.bits)
    a, b = (grid.flatten() for grid in torch.meshgrid(numbers, numbers, indexing="ij"))
    as_bits = lambda n, width: torch.stack([(n >> k) & 1 for k in range(width)]).double()  # noqa: E731
    outputs = add(nand(cfg), as_bits(a, cfg.bits), as_bits(b, cfg.bits), cfg.bits)
    right = ((outputs > 0.5).double() == as_bits(a + b, cfg.bits + 1)).all(0)
    truth_table = nand(cfg)(torch.tensor([0.0, 0, 1, 1], dtype=torch.float64), torch.tensor([0.0, 1, 0, 1]).double())
    for log in logs:  # the circuit has no randomness
        log.extra |= {"nand_truth_table": truth_table.tolist(),
                      "worst_output_error": float((outputs - as_bits(a + b, cfg.bits + 1)).abs().max())}
        print(f"NAND 00 01 10 11 -> {' '.join(f'{value:.2f}' for value in truth_table.tolist())}; "
              f"{int(right.sum())} of {len(right)} sums right")
        log.measured({"accuracy/test": 100 * right.double().mean().item(),  # every input stands for the test set
                      "correct/test": int(right.sum())})
        log.figure("output_bits", output_bits_figure(outputs, as_bits(a + b, cfg.bits + 1), cfg))


def output_bits_figure(outputs, expected, cfg):
    """Return each output bit's values over every input pair, the 1s and the 0s apart: a gate's are exactly 1 and 0."""
    figure, axes = plt.subplots(figsize=(6.4, 3.6))
    for bit in range(len(outputs)):
        for value, colour in ((1, "tab:blue"), (0, "tab:orange")):
            points = outputs[bit][expected[bit] == value]
            axes.scatter([bit] * len(points), points, s=8, alpha=0.3, color=colour,
                         label=f"should be {value}" if bit == 0 else None)
    axes.axhline(0.5, color="grey", linewidth=0.8)
    scale = f", c = {cfg.scale:g}" if cfg.neuron == "sigmoid" else ""
    axes.set(xlabel="output bit (0 = least significant; the last is the carry)", ylabel="output",
             xticks=range(len(outputs)), title=f"{cfg.bits}-bit adder of NAND {cfg.neuron}s{scale}")
    axes.legend()
    return figure


EXPECTED = {
    "perceptron": Expected(
        book=100.0, source='Ch.1: NAND "00 → 1, 01 → 1, 10 → 1, 11 → 0"; "we can use perceptrons to compute any '
        'logical function" (BOOK.md 1.10)', within=0.0, seed_band=(100.0, 100.0),
        why="exact: every one of the 256 pairs of 4-bit numbers is added right", quick=dict(), quick_band=(100.0, 100.0),
    ),
}
