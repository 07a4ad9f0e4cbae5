"""Ch.5 "What's causing the vanishing gradient problem?": a chain of one sigmoid neuron per layer.

Book, Ch.5 [BOOK.md 5.9]: in the chain x → b₁ → b₂ → b₃ → b₄ → C, backprop gives

    ∂C/∂b₁ = σ′(z₁) · w₂σ′(z₂) · w₃σ′(z₃) · w₄σ′(z₄) · ∂C/∂a₄,

a product of one factor wⱼσ′(zⱼ) per later layer. σ′ peaks at σ′(0) = 1/4, and N(0, 1) weights
"usually satisfy |wⱼ| < 1", so each factor is below 1/4 and ∂C/∂b₁ is "a factor of 16 (or more)
smaller than ∂C/∂b₃": the gradient vanishes. With w = 100 and biases that make every zⱼ = 0, each
factor is 100 · 1/4 = 25: it explodes. And |wσ′(wa + b)| ≥ 1 only on an input interval of width
(2/|w|) ln(|w|(1 + √(1 − 4/|w|))/2 − 1), "greatest at |w| ≈ 6.9, where it takes a value ≈ 0.45":
large weights make large factors only for a narrow band of inputs.

Here the gradients come from the hand-written backprop (``Network.backprop``, BP1–BP4) of
chains drawn side by side (repro/chains.py), one chain per "seed", in float64, and are checked
against the book's product; the figure draws |∂C/∂bₗ| layer by layer down a 30-neuron chain.

    python -m repro.run chap5_unstable_gradients
    python -m repro.run chap5_unstable_gradients --depth 30 --draws 100000
"""

import math
from dataclasses import dataclass

import torch

from repro.chains import bias_gradients, chains, gradients_figure
from repro.costs import Sigmoid

BOOK = ("σ′ ≤ 1/4: ∂C/∂b₁ ≥ 16× below ∂C/∂b₃; w = 100: each factor 25; "
        "widest |wσ′| ≥ 1 band 0.45 at |w| ≈ 6.9 (no accuracy)")


@dataclass(frozen=True)
class Config:
    """The chains: how long, and how many drawn with N(0, 1) weights and biases."""

    depth: int = 4  # neurons in the chain (the book's: 4)
    draws: int = 10_000  # chains drawn at random, for the typical size of each factor
    deep: int = 30  # the figure's longer chain

    def __post_init__(self):
        if not (2 <= self.depth <= self.deep <= 100 and 1 <= self.draws <= 1_000_000):
            raise ValueError(f"need 2 <= depth <= deep <= 100 and 1 <= draws <= 1,000,000; got {self}")


VARIANTS = {"default": Config()}
EXPECTED = {}


def book_product(weights, biases, x, y):
    """Return ∂C/∂bₗ = σ′(zₗ) · Πⱼ₌ₗ₊₁ wⱼσ′(zⱼ) · ∂C/∂a_L, written out as the book does, (chains, depth)."""
    a, sigma_primes = torch.full((len(weights),), x, dtype=torch.float64), []
    for l in range(weights.shape[1]):
        a = Sigmoid.fn(weights[:, l] * a + biases[:, l])  # aₗ = σ(wₗaₗ₋₁ + bₗ)
        sigma_primes.append(a * (1 - a))  # σ′(zₗ)
    gradient, gradients = a - y, []  # ∂C/∂a_L of the quadratic cost
    for l in reversed(range(weights.shape[1])):
        gradients.append(sigma_primes[l] * gradient)  # ∂C/∂bₗ
        gradient = gradients[-1] * weights[:, l]  # × wₗ: on to layer l − 1
    return torch.stack(gradients[::-1], dim=-1)


def exploding(depth, x=1.0):
    """Return the book's exploding chain: every w = 100, each bias making zⱼ = 0 (b₁ = −100x, then −100 · ½)."""
    weights = torch.full((1, depth), 100.0, dtype=torch.float64)
    biases = torch.full((1, depth), -100.0 * 0.5, dtype=torch.float64)
    biases[0, 0] = -100.0 * x
    return weights, biases


def width(w):
    """Return the book's width of the input interval where |wσ′(wa + b)| ≥ 1 (|w| ≥ 4; 0 below)."""
    w = abs(w)
    return 0.0 if w < 4 else (2 / w) * math.log(w * (1 + math.sqrt(1 - 4 / w)) / 2 - 1)


def measured_width(w, step=1e-5):
    """Return that width counted on a grid of inputs a, with b = 0 (b only moves the interval)."""
    a = torch.arange(-1, 1, step, dtype=torch.float64)
    s = Sigmoid.fn(w * a)
    return float(((w * s * (1 - s)).abs() >= 1).sum()) * step


def widest():
    """Return (|w|, width) where the width peaks, on a grid of |w| from 4 to 20 in steps of 10⁻⁴."""
    return max(((4 + k * 1e-4, width(4 + k * 1e-4)) for k in range(160_001)), key=lambda pair: pair[1])


def measure(cfg, logs):
    """Draw the chains, backprop through them, compare with the book's product; record and draw, once for all seeds."""
    for log in logs:
        generator = torch.Generator().manual_seed(log.seed)
        weights, biases = (torch.randn(cfg.draws, cfg.deep, generator=generator, dtype=torch.float64) for _ in range(2))
        x = float(torch.rand((), generator=generator, dtype=torch.float64))  # one input pixel in [0, 1)
        short = bias_gradients(chains(weights[:, :cfg.depth], biases[:, :cfg.depth]), x, 0.0)
        deep = bias_gradients(chains(weights, biases), x, 0.0)
        blown = bias_gradients(chains(*exploding(cfg.deep, x)), x, 0.0)
        shrink = (short[:, 1:].abs().log() - short[:, :-1].abs().log()).mean()  # mean log of |∂C/∂bₗ₊₁ / ∂C/∂bₗ|
        metrics = {
            "product_error": float(((short - book_product(weights[:, :cfg.depth], biases[:, :cfg.depth], x, 0.0)).abs()
                                    / short.abs()).max()),
            "shrink_per_layer": math.exp(float(shrink)),  # geometric mean over chains and layers
            "b3_over_b1_median": float((short[:, 2] / short[:, 0]).abs().median()) if cfg.depth >= 3 else None,
            "exploding_factor": float((blown[0, :-1] / blown[0, 1:]).mean()),  # ∂C/∂bₗ / ∂C/∂bₗ₊₁ = wₗ₊₁σ′(zₗ)
            "widest": dict(zip(("w", "width"), widest())),
        }
        print(f"chains of {cfg.depth}: BP1-BP4 against the book's product, worst relative error "
              f"{metrics['product_error']:.1e}; each layer shrinks ∂C/∂b by {metrics['shrink_per_layer']:.1f}× "
              f"(geometric mean of {cfg.draws} chains); w = 100: ×{metrics['exploding_factor']:.0f} a layer; "
              f"|wσ′| ≥ 1 at most on {metrics['widest']['width']:.4f} at |w| = {metrics['widest']['w']:.3f}")
        log.extra |= metrics
        log.measured({"speed/chain_first_layer": float(deep[:, 0].abs().median())})
        log.figure("unstable_gradients", gradients_figure(deep, blown, f"{cfg.deep} layers, {cfg.draws} chains"))
