"""The one update rule of every run, whatever its backend: network2's Eq. 93 and Ch.3's variants, network3's.

``update`` applies it in place; ``sgd`` is the same step as ``torch.optim.SGD``, for a PyTorch
user training the suite's modules the usual way (README, "Use it from PyTorch").
"""

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Rule:
    """The constants of one update: η, the decay ηλ/n (network3: η·λ·m/n), L1 instead of L2, momentum μ."""

    eta: float
    decay: float = 0.0
    l1: bool = False
    momentum: float = 0.0


def update(network, nabla_w, nabla_b, rule, m, velocity=None):
    """Apply one step of gradient descent in place: Eq. 93, or Ch.3's L1 or momentum variant of it.

    nabla is Σₓ over the mini-batch of m, and ``rule.decay`` is ηλ/n. Biases are never
    regularised (Eq. 94).

        L2 (Eq. 93)    w ← (1 − ηλ/n) w − (η/m) Σₓ ∂Cₓ/∂w
        L1 (Eq. 96)    w ← w − (ηλ/n) sgn(w) − (η/m) Σₓ ∂Cₓ/∂w         (sgn(0) = 0, torch.sign's too)
        momentum       v ← μv − η∇C,  w ← w + v  (Ch.3, "Momentum-based gradient descent"), with
                       ∇C = (1/m) Σₓ ∇Cₓ + the regulariser's (λ/n)w or (λ/n)sgn(w)

    torch's ``_foreach`` ops apply one op to every parameter in a single call (as torch.optim
    does), rounding each element exactly as the op on each tensor would.
    """
    weights, parameters = network.weights, network.weights + network.biases
    steps = torch._foreach_mul(nabla_w + nabla_b, rule.eta / m)  # (η/m) Σₓ ∇Cₓ
    if rule.decay and (rule.l1 or rule.momentum):  # the regulariser's η(λ/n)sgn(w) or η(λ/n)w joins the gradient's
        regularizer = torch._foreach_sign(weights) if rule.l1 else weights
        torch._foreach_add_(steps[:len(weights)], torch._foreach_mul(regularizer, rule.decay))
    elif rule.decay:  # Eq. 93 as network2 writes it; w·1 is w: no pass over the weights without L2
        torch._foreach_mul_(weights, 1 - rule.decay)
    if rule.momentum:
        torch._foreach_mul_(velocity, rule.momentum)
        torch._foreach_sub_(velocity, steps)  # v ← μv − η∇C
        torch._foreach_add_(parameters, velocity)  # w ← w + v
    else:
        torch._foreach_sub_(parameters, steps)


def sgd(network, eta, weight_decay, momentum=0.0):
    """Return ``torch.optim.SGD`` set to take the book's step, for training the suite's modules the PyTorch way.

    torch's step is w ← w − η(∇C̄ + weight_decay·w) = (1 − η·weight_decay)w − η(1/m)Σₓ∇Cₓ:
    network2's Eq. 93 with weight_decay = λ/n, network3's with λ·m/n; biases are not
    decayed (Eq. 94). With momentum torch keeps b ← μb + ∇C and steps w ← w − ηb: the book's
    v is −ηb. The suite's own runs use ``update``; tests/test_training.py proves the two equal.
    """
    return torch.optim.SGD([{"params": network.weights, "weight_decay": weight_decay},
                            {"params": network.biases, "weight_decay": 0.0}], lr=eta, momentum=momentum)
