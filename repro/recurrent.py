"""Recurrent layers as ``torch.nn.Module``s, whose ``forward`` applies the BPTT Functions of repro/bptt.py.

    RNN, LSTM            a recurrent layer over sequences (T, m, n_in) → hidden states (T, m, H)
    SequenceClassifier   such a layer reading an MNIST image row by row, a softmax layer on h_T
    hidden_gradients     the total ∂C/∂h_t of every step, by the Functions' own ``bptt`` loop
"""

import math

import torch
from torch import nn

from repro.backprop import CostFunction
from repro.bptt import LSTMFunction, RNNFunction, bptt, lstm_delta, lstm_forward, rnn_delta, rnn_forward
from repro.costs import LogLikelihoodCost
from repro.layers import Softmax


class Recurrent(nn.Module):
    """A recurrent layer of H units over sequences (T, m, n_in) → hidden states (T, m, H). New: all zeros."""

    gates = 1

    def __init__(self, n_in, hidden):
        super().__init__()
        self.weight_ih = nn.Parameter(torch.zeros(self.gates * hidden, n_in))  # W_x
        self.weight_hh = nn.Parameter(torch.zeros(self.gates * hidden, hidden))  # W_h
        self.bias = nn.Parameter(torch.zeros(self.gates * hidden))  # b

    def extra_repr(self):
        return f"{self.weight_ih.shape[1]}→{self.weight_hh.shape[1]}"

    @torch.no_grad()
    def initialise(self, init, generator, forget_bias=1.0):
        """Return self with the weights drawn: "default", the book's N(0, 1/n_in) (Ch.3), or "torch", torch.nn.RNN/LSTM's U(±1/√H).

        "default": a unit's inputs are x_t and h_{t−1}, so n_in = n_x + H and every weight
        is N(0, 1/(n_x + H)); biases 0. DEVIATION(book): network2 draws biases N(0, 1);
        zero keeps the forget gate's bias at the value chosen below. "torch": every weight
        and bias U(−1/√H, 1/√H); torch adds two such biases, we draw one. (forget_bias: the LSTM's.)
        """
        n_in = sum(self.weight_hh.shape[1:]) + self.weight_ih.shape[1]
        for parameter in (self.weight_ih, self.weight_hh, self.bias):
            if init == "torch":
                parameter.uniform_(-1, 1, generator=generator).mul_(1 / math.sqrt(self.weight_hh.shape[1]))
            else:
                parameter.normal_(generator=generator).mul_(1 / math.sqrt(n_in) if parameter.dim() == 2 else 0)
        return self


class RNN(Recurrent):
    """h_t = tanh(W_x x_t + W_h h_{t−1} + b): the vanilla recurrent layer."""

    def forward(self, x):
        return RNNFunction.apply(x, self.weight_ih, self.weight_hh, self.bias)


class LSTM(Recurrent):
    """The LSTM layer; "default" initialisation sets the forget gate's bias b_f, 1 unless told.

    b_f = 1 (Gers, Schmidhuber & Cummins 2000; Jozefowicz et al. 2015): f_t ≈ σ(1) ≈ 0.73,
    so the cell starts out keeping most of c_{t−1}; with b_f = 0, f_t ≈ 0.5 and ∂C/∂c
    halves at every step back; with b_f = 3, f_t ≈ 0.95.
    """

    gates = 4

    def forward(self, x):
        return LSTMFunction.apply(x, self.weight_ih, self.weight_hh, self.bias)[0]

    def initialise(self, init, generator, forget_bias=1.0):
        super().initialise(init, generator)
        if init == "default":
            with torch.no_grad():
                self.bias.view(4, -1)[1] = forget_bias  # b_f: the second quarter, as torch.nn.LSTM's (i, f, g, o)
        return self


CELLS = {"rnn": RNN, "lstm": LSTM}
STEP_DELTAS = {RNN: rnn_delta, LSTM: lstm_delta}


@torch.no_grad()
def hidden_gradients(layer, x, grad_last):
    """Return the total ∂C/∂h_t (T, m, H) of a cost that reads h_T alone, ∂C/∂h_T = grad_last (m, H).

    The same ``bptt`` as the layer's backward, so it measures what training uses.
    """
    w_x, w_h, b = layer.weight_ih, layer.weight_hh, layer.bias
    if isinstance(layer, LSTM):
        hs, gates, cs = lstm_forward(x, w_x, w_h, b)
        saved = (gates, cs)
    else:
        hs = rnn_forward(x, w_x, w_h, b)
        saved = (hs,)
    grad_out = torch.zeros_like(hs)
    grad_out[-1] = grad_last  # the classifier reads the last state only
    return bptt(grad_out, w_h, STEP_DELTAS[type(layer)], saved)[1]


class SequenceClassifier(nn.Module):
    """A recurrent layer reading an image row by row, and a softmax layer on its last hidden state."""

    def __init__(self, cell, hidden):
        super().__init__()
        self.layer, self.output = CELLS[cell](28, hidden), Softmax(hidden, 10)

    def initialise(self, init, generator, forget_bias):
        """Return self with the layer drawn by ``init``; the output weights N(0, 1/H) either way (Ch.3), biases 0."""
        self.layer.initialise(init, generator, forget_bias)
        with torch.no_grad():  # network3 starts its softmax at zero: then ∂C/∂h_t = 0 and nothing would learn
            self.output.weight.normal_(generator=generator).div_(math.sqrt(self.output.weight.shape[1]))
        return self

    @staticmethod
    def rows(images):
        return images.view(-1, 28, 28).transpose(0, 1)  # (28, m, 28): step t reads row t

    def forward(self, images):
        return self.output(self.layer(self.rows(images))[-1])  # zᴸ from h_28   (m, 10)

    def predict(self, images):
        return self(images).argmax(-1)

    @property
    def weights(self):  # the histograms' layer 1 is the recurrent layer's [W_x W_h], layer 2 the softmax
        return [torch.cat([self.layer.weight_ih, self.layer.weight_hh], 1), self.output.weight]

    @property
    def biases(self):
        return [self.layer.bias, self.output.bias]


def speeds(network, images, labels):
    """Return ‖∂C_x/∂h_t‖ for t = 1 … 28, averaged over the images: how fast each step's state learns.

    The mean of per-image norms, not the norm of the mean (Ch.5 averages δ, a bias's
    gradient): different digits push h_t different ways, and we ask how much reaches it.
    """
    sequence = network.rows(images)
    with torch.enable_grad():
        h_last = network.layer(sequence)[-1].detach().requires_grad_()
        cost = CostFunction.apply(network.output(h_last), nn.functional.one_hot(labels, 10).to(h_last), LogLikelihoodCost)
        (grad_last,) = torch.autograd.grad(cost, h_last)
    grad_hs = hidden_gradients(network.layer, sequence, grad_last) * len(images)  # ∂C_x/∂h_t   (28, n, H)
    return grad_hs.norm(dim=-1).mean(-1).tolist()
