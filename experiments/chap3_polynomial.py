"""Ch.3 "Why does regularization help?": ten points, the 9th-order polynomial through them, and the line y = 2x.

Book, Ch.3 [BOOK.md 3.16]: the book plots ten points (its js/simple_data.js), a polynomial of
degree 9 that passes through every one of them exactly (its js/polynomial_model.js: x⁹
coefficient 2.20539187e-01 … constant −4.50983951e+02) and the line y = 2x (js/linear_model.js),
which misses them all a little. It then asks which model to believe for a new x: the polynomial
fits the data perfectly and the line does not, yet the simpler model is the one the book argues
will generalise, the small deviations from the line being noise. Here the polynomial is solved
for exactly (a 10 × 10 Vandermonde system in float64, no training), its coefficients set beside
the book's, and both models asked about x beyond the data. No MNIST, no random numbers.

    python -m repro.run chap3_polynomial
"""

from dataclasses import dataclass

import torch

from repro.plots import plt

BOOK = "the degree-9 polynomial passes through all 10 points (x⁹ coefficient 0.220539187, constant −450.983951); y = 2x"
POINTS = torch.tensor([(0.7, 1.8), (1.3, 2.2), (1.9, 4.0), (2.6, 5.0), (2.9, 6.1), (3.6, 7.0), (3.8, 7.4),
                       (3.95, 8.0), (4.4, 9.1), (4.9, 10.0)], dtype=torch.float64)  # BOOK.md 3.16 (simple_data.js)
BOOK_COEFFICIENTS = {9: 2.20539187e-01, 0: -4.50983951e+02}  # polynomial_model.js, the two BOOK.md gives


@dataclass(frozen=True)
class Config:
    """The two models of the section; the defaults are the book's."""

    degree: int = 9  # the polynomial's degree: 9 passes through the 10 points exactly
    slope: float = 2.0  # the linear model y = slope · x
    new_x: tuple = (5.0, 5.5, 6.0)  # x beyond the data (ours): what each model predicts there

    def __post_init__(self):
        if not (1 <= self.degree <= len(POINTS) - 1 and all(x > 0 for x in self.new_x)):
            raise ValueError(f"need 1 <= degree <= {len(POINTS) - 1} and positive new-x; got {self}")


VARIANTS = {"default": Config()}
EXPECTED = {}


def polynomial_fit(x, y, degree):
    """Return the coefficients c₀ … c_degree of the least-squares polynomial (exact through the points at degree
    len(x) − 1): the Vandermonde system solved in float64."""
    vandermonde = x[:, None] ** torch.arange(degree + 1, dtype=x.dtype)  # (n, degree + 1)
    return torch.linalg.lstsq(vandermonde, y[:, None]).solution[:, 0]


def evaluate(coefficients, x):
    """Return the polynomial Σₖ cₖ xᵏ at x."""
    return (x[:, None] ** torch.arange(len(coefficients), dtype=x.dtype)) @ coefficients


def figure(cfg, coefficients):
    """Return the section's picture: the points, the polynomial through them and the line."""
    drawing, ax = plt.subplots(figsize=(6.4, 4.4))
    x = torch.linspace(0.5, 5.1, 400, dtype=torch.float64)
    ax.plot(x, evaluate(coefficients, x), label=f"degree-{cfg.degree} polynomial")
    ax.plot(x, cfg.slope * x, label=f"y = {cfg.slope:g}x")
    ax.scatter(*POINTS.T, color="k", zorder=3, label="the book's ten points")
    ax.set(xlabel="x", ylabel="y", title="Ch.3: a perfect fit and a simple one", ylim=(0, 12))
    ax.legend()
    return drawing


def measure(cfg, logs):
    """Fit the polynomial, score both models on the points and beyond them; record and draw for each seed."""
    x, y = POINTS.T
    coefficients = polynomial_fit(x, y, cfg.degree)
    new_x = torch.tensor(cfg.new_x, dtype=torch.float64)
    numbers = {
        "coefficients": coefficients.tolist(),
        "book_coefficients": {str(k): value for k, value in BOOK_COEFFICIENTS.items()},
        "polynomial_max_residual": float((evaluate(coefficients, x) - y).abs().max()),
        "line_max_residual": float((cfg.slope * x - y).abs().max()),
        "line_mean_residual": float((cfg.slope * x - y).abs().mean()),
        "new_x": {f"{v:g}": {"polynomial": p, "line": cfg.slope * v}
                  for v, p in zip(cfg.new_x, evaluate(coefficients, new_x).tolist())},
    }
    for log in logs:
        print(f"degree {cfg.degree}: through the points within {numbers['polynomial_max_residual']:.1e} "
              f"(x⁹ coefficient {coefficients[-1]:.9f}, book 0.220539187; constant {coefficients[0]:.6f}, book "
              f"−450.983951); y = {cfg.slope:g}x misses by {numbers['line_mean_residual']:.2f} on average; at x = "
              + ", ".join(f"{v}: polynomial {row['polynomial']:.1f}, line {row['line']:.1f}"
                          for v, row in numbers["new_x"].items()))
        log.extra |= numbers
        log.measured({})
        log.figure("polynomial", figure(cfg, coefficients))
