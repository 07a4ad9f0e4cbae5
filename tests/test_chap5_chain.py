"""Ch.5's chain of one sigmoid neuron per layer: backprop is the book's product, vanishing and exploding."""

import pytest
import torch

from experiments.chap5_unstable_gradients import book_product, exploding, measured_width, widest, width
from repro.chains import bias_gradients, chains


@pytest.mark.parametrize("depth", [4, 10])
def test_backprop_through_a_chain_is_the_books_product(depth):
    """∂C/∂bₗ = σ′(zₗ) Π wⱼσ′(zⱼ) ∂C/∂a_L, from BP1-BP4, to 1e-12 (float64), for 1,000 random chains."""
    generator = torch.Generator().manual_seed(1)
    weights, biases = (torch.randn(1000, depth, generator=generator, dtype=torch.float64) for _ in range(2))
    ours = bias_gradients(chains(weights, biases), 0.3, 0.0)
    torch.testing.assert_close(ours, book_product(weights, biases, 0.3, 0.0), rtol=1e-12, atol=0)


def test_random_chains_vanish_by_more_than_4_a_layer():
    """σ′ ≤ 1/4 and |w| mostly < 1: ∂C/∂b shrinks ≥ 4× a layer (geometric mean; ours 10.5×), and ∂C/∂b₁ is
    "a factor of 16 (or more) smaller than ∂C/∂b₃" for the median chain (ours: 88×)."""
    generator = torch.Generator().manual_seed(0)
    weights, biases = (torch.randn(10_000, 4, generator=generator, dtype=torch.float64) for _ in range(2))
    gradients = bias_gradients(chains(weights, biases), 0.5, 0.0).abs()
    assert (gradients[:, 1:].log() - gradients[:, :-1].log()).mean().exp() >= 4
    assert (gradients[:, 2] / gradients[:, 0]).median() >= 16


def test_w_100_with_every_z_0_multiplies_the_gradient_by_25_a_layer():
    gradients = bias_gradients(chains(*exploding(6, x=0.7)), 0.7, 0.0)[0]
    assert torch.equal(gradients[:-1] / gradients[1:], torch.full((5,), 25.0, dtype=torch.float64))


def test_the_widest_band_of_large_factors_is_045_at_w_69():
    """Ch.5 problem: the width of |wσ′(wa + b)| ≥ 1 peaks "at |w| ≈ 6.9, where it takes a value ≈ 0.45"."""
    w, peak = widest()
    assert abs(w - 6.894) < 1e-3 and abs(peak - 0.4477) < 1e-4
    for w in (4.5, 6.894, 10.0, 50.0):  # the formula is the interval counted on a grid of inputs
        assert abs(measured_width(w) - width(w)) < 1e-4
    assert width(3.9) == 0.0 == measured_width(3.9)  # below |w| = 4, |wσ′| < 1 everywhere
