"""Recurrent layers by hand: a vanilla RNN and an LSTM, backpropagated through time (BPTT).

The book stops at feedforward nets and names recurrent ones as a direction (Ch.6, "Other
approaches to deep neural nets"). Here a layer reads a sequence x_1 … x_T and keeps a
hidden state h_t, h_0 = 0:

    RNN    z_t = W_x x_t + W_h h_{t−1} + b,   h_t = tanh(z_t)
    LSTM   (i, f, g, o) = (σ, σ, tanh, σ)(W_x x_t + W_h h_{t−1} + b)   torch.nn.LSTM's gate order
           c_t = f ⊙ c_{t−1} + i ⊙ g,   h_t = o ⊙ tanh(c_t),   c_0 = 0

Shapes, stated once: time first, then rows are examples: a sequence is (T, m, n_in) and
its hidden states (T, m, H), as torch.nn.RNN with batch_first=False. Weights have the
book's w[j, k] shape and torch.nn.RNN/LSTM's names: weight_ih (G·H, n_in), weight_hh
(G·H, H), one bias (G·H,), G = 1 (RNN) or 4 (LSTM). ``forward`` applies one autograd
Function over the whole sequence; its backward is BPTT, the analogue of BP1–BP4:

    (BPTT1) ∂C/∂h_t = ∂C/∂h_t|out + W_hᵀ δ_{t+1}   the total gradient reaching h_t
    (BPTT2) δ_t = ∂C/∂z_t: RNN ∂C/∂h_t ⊙ tanh′(z_t); LSTM through c_t, (L1)–(L2) below
    (BPTT3) ∂C/∂b = Σ_t δ_t
    (BPTT4) ∂C/∂W_h = Σ_t δ_t h_{t−1}ᵀ,   ∂C/∂W_x = Σ_t δ_t x_tᵀ,   ∂C/∂x_t = W_xᵀ δ_t

``bptt`` is the one loop over t: the Functions' backward and ``hidden_gradients`` (the
measurement of ‖∂C/∂h_t‖, repro/recurrent.py) both call it. The layers are in repro/recurrent.py.
"""

import torch
from torch.autograd.function import once_differentiable


# --- the step equations ----------------------------------------------------------------

def rnn_delta(grad_h, _carry, t, saved):
    """Return (δ_t, nothing carried) of an RNN step from the total ∂C/∂h_t."""
    (hs,) = saved
    return grad_h * (1 - hs[t] ** 2), None  # (BPTT2) δ_t = ∂C/∂h_t ⊙ tanh′(z_t), tanh′ = 1 − h_t²


def lstm_delta(grad_h, grad_c_next, t, saved):
    """Return (δ_t of the four gates, ∂C/∂c_{t−1} through c_t) of an LSTM step from the total ∂C/∂h_t."""
    gates, cs = saved  # gates (T, m, 4H) after σ / tanh; cs (T + 1, m, H) with c_0 = 0
    i, f, g, o = gates[t].chunk(4, -1)  # (m, H) each
    tanh_c = torch.tanh(cs[t + 1])
    grad_c = grad_h * o * (1 - tanh_c ** 2)  # (L1) ∂C/∂c_t = ∂C/∂h_t ⊙ o_t ⊙ tanh′(c_t) + f_{t+1} ⊙ ∂C/∂c_{t+1}
    if grad_c_next is not None:
        grad_c = grad_c + grad_c_next
    delta = torch.cat([grad_c * g * i * (1 - i),  # (L2) δi = ∂C/∂c_t ⊙ g_t ⊙ σ′
                       grad_c * cs[t] * f * (1 - f),  # δf = ∂C/∂c_t ⊙ c_{t−1} ⊙ σ′
                       grad_c * i * (1 - g ** 2),  # δg = ∂C/∂c_t ⊙ i_t ⊙ tanh′
                       grad_h * tanh_c * o * (1 - o)], -1)  # δo = ∂C/∂h_t ⊙ tanh(c_t) ⊙ σ′   (m, 4H)
    return delta, grad_c * f  # the part of ∂C/∂c_{t−1} that flows through c_t = f_t ⊙ c_{t−1} + …


def bptt(grad_out, w_h, step_delta, saved):
    """Return (δ_t, the total ∂C/∂h_t), each stacked over t, from the gradient reaching each h_t from outside.

    grad_out: ∂C/∂h_t through the layer's output alone (T, m, H); the loop adds what
    reaches h_t through the later steps.
    """
    deltas, grad_hs = [None] * len(grad_out), [None] * len(grad_out)
    through_next, carry = torch.zeros_like(grad_out[0]), None  # nothing comes back from beyond step T
    for t in reversed(range(len(grad_out))):
        grad_hs[t] = grad_out[t] + through_next  # (BPTT1) ∂C/∂h_t = ∂C/∂h_t|out + W_hᵀ δ_{t+1}  (m, H)
        deltas[t], carry = step_delta(grad_hs[t], carry, t, saved)  # (BPTT2)  (m, G·H)
        through_next = deltas[t] @ w_h  # W_hᵀ δ_t, what step t sends back to h_{t−1}  (m, H)
    return torch.stack(deltas), torch.stack(grad_hs)


def weight_gradients(delta, x, h_prev, w_x):
    """Return (∂C/∂x, ∂C/∂W_x, ∂C/∂W_h, ∂C/∂b) from δ_t (T, m, G·H), summed over time and the mini-batch."""
    nabla_b = delta.sum((0, 1))  # (BPTT3) ∂C/∂b = Σ_t δ_t   (G·H,)
    nabla_w_h = delta.flatten(0, 1).T @ h_prev.flatten(0, 1)  # (BPTT4) Σ_t δ_t h_{t−1}ᵀ   (G·H, H)
    nabla_w_x = delta.flatten(0, 1).T @ x.flatten(0, 1)  # (BPTT4) Σ_t δ_t x_tᵀ   (G·H, n_in)
    return delta @ w_x, nabla_w_x, nabla_w_h, nabla_b  # ∂C/∂x_t = W_xᵀ δ_t   (T, m, n_in)


# --- the forward passes ------------------------------------------------------------------

def rnn_forward(x, w_x, w_h, b):
    """Return the hidden states h_1 … h_T (T, m, H) of an RNN; h_0 = 0."""
    zx = x @ w_x.T + b  # W_x x_t + b for every t at once   (T, m, H)
    h, hs = x.new_zeros(x.shape[1], w_h.shape[1]), []
    for t in range(len(x)):
        h = torch.tanh(zx[t] + h @ w_h.T)  # h_t = tanh(W_x x_t + W_h h_{t−1} + b)   (m, H)
        hs.append(h)
    return torch.stack(hs)


def lstm_forward(x, w_x, w_h, b):
    """Return (h_1 … h_T (T, m, H), the gates after σ / tanh (T, m, 4H), c_0 … c_T (T + 1, m, H))."""
    zx = x @ w_x.T + b  # (T, m, 4H)
    h = c = x.new_zeros(x.shape[1], w_h.shape[1])
    hs, gates, cs = [], [], [c]
    for t in range(len(x)):
        i, f, g, o = (zx[t] + h @ w_h.T).chunk(4, -1)  # (m, H) each, torch.nn.LSTM's order
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        c = f * c + i * g  # c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t
        h = o * torch.tanh(c)  # h_t = o_t ⊙ tanh(c_t)
        hs.append(h), gates.append(torch.cat([i, f, g, o], -1)), cs.append(c)
    return torch.stack(hs), torch.stack(gates), torch.stack(cs)


def previous(hs):
    """Return h_0 … h_{T−1} from h_1 … h_T: the state each step read."""
    return torch.cat([torch.zeros_like(hs[:1]), hs[:-1]])


class RNNFunction(torch.autograd.Function):
    """A whole RNN sequence in one node: (x, W_x, W_h, b) → h_1 … h_T; backward is BPTT."""

    @staticmethod
    def forward(x, w_x, w_h, b):
        return rnn_forward(x, w_x, w_h, b)

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, w_x, w_h, _ = inputs
        ctx.save_for_backward(x, w_x, w_h, output)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_hs):
        x, w_x, w_h, hs = ctx.saved_tensors
        delta, _ = bptt(grad_hs, w_h, rnn_delta, (hs,))  # (BPTT1), (BPTT2)
        return weight_gradients(delta, x, previous(hs), w_x)  # (BPTT3), (BPTT4)


class LSTMFunction(torch.autograd.Function):
    """A whole LSTM sequence in one node: (x, W_x, W_h, b) → (h_1 … h_T, gates, cells); only h is differentiable."""

    @staticmethod
    def forward(x, w_x, w_h, b):
        return lstm_forward(x, w_x, w_h, b)

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, w_x, w_h, _ = inputs
        hs, gates, cs = output
        ctx.save_for_backward(x, w_x, w_h, hs, gates, cs)
        ctx.mark_non_differentiable(gates, cs)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_hs, _grad_gates, _grad_cs):
        x, w_x, w_h, hs, gates, cs = ctx.saved_tensors
        delta, _ = bptt(grad_hs, w_h, lstm_delta, (gates, cs))  # (BPTT1), (L1), (L2)
        return weight_gradients(delta, x, previous(hs), w_x)  # (BPTT3), (BPTT4)
