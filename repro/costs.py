"""The book's neurons and costs: σ and σ′ of each activation, C and BP1's δᴸ of each cost.

``Network`` and the layers take them as plain classes (``activation.fn``/``.prime``,
``cost.fn``/``.delta``/``.output``), as network2.py passes ``cost=CrossEntropyCost``. BP1,
δᴸ = ∇ₐC ⊙ σ′(zᴸ), is written per cost, because where σ′ cancels (cross-entropy, softmax with
log-likelihood) the book computes it directly; BP2–BP4 are repro/backprop.py's.
"""

import torch

# --- activations: σ and σ′ --------------------------------------------------------------

class Sigmoid:
    """σ(z) = 1 / (1 + e⁻ᶻ), the book's neuron (Ch.1, "Sigmoid neurons")."""

    name = "sigmoid"

    @staticmethod
    def fn(z):
        # network.py's own formula, 1/(1 + e⁻ᶻ). Not torch.sigmoid: its vectorised loop and its
        # scalar tail round differently, so an element's last bit would depend on where it sits
        # in the tensor, and a seed's numbers on the seeds trained beside it (repro/seeds.py).
        return torch.reciprocal(1 + torch.exp(-z))

    @staticmethod
    def prime(z, a):
        return a * (1 - a)  # σ′(z) = σ(z)(1 − σ(z)), with a = σ(z) from the forward pass


class ReLU:
    """max(0, z), the rectified linear unit (Ch.3 "Other models of artificial neuron"; Ch.6)."""

    name = "relu"

    @staticmethod
    def fn(z):
        return torch.relu(z)

    @staticmethod
    def prime(z, a):
        return (z > 0).to(z.dtype)  # 1 where z > 0, else 0 (the kink at 0 gets 0, as Theano's)


class Tanh:
    """tanh(z) = 2σ(2z) − 1 (Ch.3 "Other models of artificial neuron")."""

    name = "tanh"

    @staticmethod
    def fn(z):
        return torch.tanh(z)

    @staticmethod
    def prime(z, a):
        return 1 - a ** 2  # tanh′(z) = 1 − tanh²(z), with a = tanh(z)


# --- costs: C and δᴸ (network2.py's QuadraticCost and CrossEntropyCost, network3's LogLikelihoodCost) ---

class QuadraticCost:
    """C_x = ½‖y − a‖² (Ch.1, Eq. 6), the cost of network.py."""

    name = "quadratic"
    output = staticmethod(Sigmoid.fn)  # aᴸ = σ(zᴸ): network.py's output layer

    @staticmethod
    def fn(z, y):
        """Return the cost of each example, (m,), from the output layer's weighted input z."""
        return 0.5 * ((Sigmoid.fn(z) - y) ** 2).sum(-1)

    @staticmethod
    def delta(z, a, y):
        return (a - y) * Sigmoid.prime(z, a)  # (BP1) δᴸ = ∇ₐC ⊙ σ′(zᴸ), ∇ₐC = a − y


class CrossEntropyCost:
    """C_x = −Σⱼ [yⱼ ln aⱼ + (1 − yⱼ) ln(1 − aⱼ)] (Ch.3, Eq. 63), network2.py's default."""

    name = "cross_entropy"
    output = staticmethod(Sigmoid.fn)  # aᴸ = σ(zᴸ): network2.py's output layer

    @staticmethod
    def fn(z, y):
        """Return the cost of each example, (m,).

        DEVIATION(book): network2 evaluates the formula on a = σ(z) with ``nan_to_num``;
        in float32 σ(z) rounds to 1 already at z ≈ 17, where ln(1 − a) = −∞. Since
        −ln σ(z) = ln(1 + e⁻ᶻ) and −ln(1 − σ(z)) = ln(1 + eᶻ), the same cost is
        ln(1 + eᶻ) − y z, finite for every z, with ln(1 + eᶻ) = max(z, 0) + ln(1 + e^−|z|)
        so that e^z never overflows (unlike ``F.softplus`` there is no linear cut-off, so
        the derivative is exactly σ(z); unlike ``torch.logaddexp`` every element is rounded
        alike wherever it sits in the tensor, as ``Sigmoid.fn``).
        """
        softplus = torch.relu(z) + torch.log1p(torch.exp(-z.abs()))  # ln(1 + eᶻ)
        return (softplus - y * z).sum(-1)

    @staticmethod
    def delta(z, a, y):
        # (BP1) with ∇ₐC = (a − y) / (a(1 − a)) and σ′(z) = a(1 − a): the σ′ cancels
        # (Ch.3, Eq. 66). Computed directly, never as a quotient that divides by ~0
        # when a neuron saturates.
        return a - y


class LogLikelihoodCost:
    """C_x = −ln aᴸ_y with aᴸ = softmax(zᴸ) (Ch.3, "Softmax", Eq. 80): network3's SoftmaxLayer cost.

    Fits CostFunction like the other costs: y is one-hot, so −ln a_y = −Σⱼ yⱼ ln aⱼ.
    """

    name = "log_likelihood"

    @staticmethod
    def output(z):
        return torch.softmax(z, -1)  # aᴸⱼ = e^{zᴸⱼ} / Σₖ e^{zᴸₖ} (Ch.3, Eq. 78)

    @staticmethod
    def fn(z, y):
        """Return the cost of each example, (m,); log_softmax keeps ln a finite where a rounds to 0."""
        return -(y * torch.log_softmax(z, -1)).sum(-1)

    @staticmethod
    def delta(z, a, y):
        return a - y  # (BP1) ∂C/∂zᴸ = aᴸ − y for softmax + log-likelihood (Ch.3, Eq. 84), directly


def penalty(network, lmbda_over_n, regularization="l2"):
    """Return each seed's regularisation term of the cost: (λ/2n)Σw² (L2, Eq. 85) or (λ/n)Σ|w| (L1, Eq. 95)."""
    if regularization == "l1":
        return lmbda_over_n * sum(w.abs().flatten(1).sum(1) for w in network.weights)
    return 0.5 * lmbda_over_n * sum((w ** 2).flatten(1).sum(1) for w in network.weights)


COSTS = {cost.name: cost for cost in (QuadraticCost, CrossEntropyCost, LogLikelihoodCost)}
ACTIVATIONS = {activation.name: activation for activation in (Sigmoid, ReLU, Tanh)}
