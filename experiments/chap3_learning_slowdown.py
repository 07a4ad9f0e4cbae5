"""Ch.3 "The cross-entropy cost function": one neuron learns slowly when it is badly wrong, then quickly.

Book, Ch.3 (the section's widgets): one sigmoid neuron, input x = 1, desired output y = 0,
300 steps of gradient descent on that one example. With the quadratic cost and η = 0.15, from
w = 0.6, b = 0.9 (output 0.82) it learns to "an output from the neuron of about 0.09" [BOOK.md
3.1]; from w = b = 2.0 (output 0.98) "for the first 150 or so learning epochs, the weights and
biases don't change much at all" [3.2]: ∂C/∂w = (a − y)σ′(z)x, and σ′(z) is tiny where the
neuron saturates. With the cross-entropy (η = 0.005) "the neuron learns perfectly well" from
both starts [3.3, 3.4]: its δ = a − y has no σ′ (Eq. 66).

DEVIATION(book), made a choice: the widgets update the cross-entropy neuron with d = 1/(1 − a) =
∂C/∂a, not the book's ∂C/∂z = a − y (BOOK.md 3A). ``rule="widget"`` reproduces the book's curves;
the true gradient at η = 0.005 barely moves the neuron, so the ``*_gradient`` variants use η = 0.15,
the quadratic runs' η, for the comparison the section makes.

    python -m repro.run chap3_learning_slowdown --variant quadratic_saturated
"""

from dataclasses import dataclass, replace

import torch

from repro.backprop import CostFunction
from repro.costs import COSTS
from repro.layers import FullyConnected
from repro.plots import plot_curves


@dataclass(frozen=True)
class Config:
    """The widgets' neuron: its cost, starting weight and bias, η, steps, and the update rule."""

    cost: str = "quadratic"  # C: "quadratic" or "cross_entropy"
    w: float = 0.6  # the starting weight
    b: float = 0.9  # the starting bias
    eta: float = 0.15  # η
    epochs: int = 300  # gradient steps on the one example: the book's and the widgets' "epochs"
    rule: str = "gradient"  # "gradient": ∂C/∂w = δx, ∂C/∂b = δ (BP1-BP4); "widget": the widgets' d = 1/(1 − a)

    def __post_init__(self):
        checks = [(self.cost in COSTS, f"cost must be one of {sorted(COSTS)}, got {self.cost!r}"),
                  (self.rule in ("gradient", "widget"), f"rule must be gradient or widget, got {self.rule!r}"),
                  (self.eta > 0 and self.epochs >= 1, f"eta must be > 0 and epochs >= 1, got {self.eta}, {self.epochs}")]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)


QUADRATIC = Config()
VARIANTS = {
    "quadratic": QUADRATIC,  # 3.1
    "quadratic_saturated": replace(QUADRATIC, w=2.0, b=2.0),  # 3.2
    "cross_entropy": replace(QUADRATIC, cost="cross_entropy", eta=0.005, rule="widget"),  # 3.3
    "cross_entropy_saturated": replace(QUADRATIC, cost="cross_entropy", eta=0.005, rule="widget", w=2.0, b=2.0),  # 3.4
    "cross_entropy_gradient": replace(QUADRATIC, cost="cross_entropy"),
    "cross_entropy_gradient_saturated": replace(QUADRATIC, cost="cross_entropy", w=2.0, b=2.0),
}

# The book's numbers are the neuron's outputs, not accuracies: tests/test_chap3_chap5.py holds them
# (0.82 → 0.09; 0.98 → 0.2028 with the plateau; 0.0404 and 0.0479 by the widgets' rule), all exact
# to the widgets' own arithmetic (BOOK.md 3A). No seed changes anything here.
EXPECTED = {}
BOOK = "outputs, quadratic 0.82 → 0.09, 0.98 → flat for ~150 epochs; cross-entropy learns from both"


def neuron(cfg):
    """Return the neuron as a layer of one: z = wx + b, with σ in the cost (float64, as the widgets' JavaScript)."""
    layer = FullyConnected(1, 1).double()
    with torch.no_grad():
        layer.weight.fill_(cfg.w)
        layer.bias.fill_(cfg.b)
    return layer


def step(layer, x, y, cfg):
    """Take one gradient step on the one example; return the neuron's output a and cost C after it."""
    cost = COSTS[cfg.cost]
    z = layer(x)  # zᴸ = wx + b
    loss = CostFunction.apply(z, y, cost)  # its backward is BP1
    layer.zero_grad()
    if cfg.rule == "gradient":
        loss.backward()  # BP1, then BP3 and BP4 through the layer's Function
        gradients = (layer.weight.grad, layer.bias.grad)
    else:  # the widgets: d = ∂C/∂a = 1/(1 − a) for y = 0, taken for both w and b (x = 1)
        d = (1 / (1 - cost.output(z))).detach()
        gradients = (d * x, d.squeeze(0))
    with torch.no_grad():
        layer.weight -= cfg.eta * gradients[0]
        layer.bias -= cfg.eta * gradients[1]
    return output_and_cost(layer, x, y, cfg)


def output_and_cost(layer, x, y, cfg):
    with torch.no_grad():
        z = layer(x)
        return COSTS[cfg.cost].output(z).item(), COSTS[cfg.cost].fn(z, y).item()


def measure(cfg, logs):
    """Train the neuron for cfg.epochs steps, recording its output and cost after each; draw cost against epoch."""
    x, y = torch.ones(1, 1, dtype=torch.float64), torch.zeros(1, 1, dtype=torch.float64)
    for log in logs:  # no randomness: every seed is the same run
        layer = neuron(cfg)
        log.extra["initial_output"] = output_and_cost(layer, x, y, cfg)[0]
        for epoch in range(cfg.epochs):
            output, cost = step(layer, x, y, cfg)
            log.epoch(epoch, {"output": output, "cost/train": cost}, network=None, save=epoch == cfg.epochs - 1)
        log.extra["final_output"] = log.history[-1]["output"]
        print(f"{cfg.cost}, w = {cfg.w}, b = {cfg.b}: output {log.extra['initial_output']:.2f} → "
              f"{log.extra['final_output']:.4f} after {cfg.epochs} epochs")
        log.figure("cost", plot_curves({"cost": [row["cost/train"] for row in log.history]}, "Epoch", "Cost",
                                       f"{cfg.cost} cost, w₀ = {cfg.w}, b₀ = {cfg.b}, η = {cfg.eta}"))
