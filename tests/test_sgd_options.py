"""Ch.3's options of the SGD loop: L1, momentum, dropout, early stopping and the halving schedule.

Each update against the book's formula in float64, the ``function`` backend's steps against the
``manual`` one's, torch.optim.SGD's momentum against the book's, and the schedule's runs against
what the rule says they do.
"""

import json
from dataclasses import asdict, replace

import pytest
import torch

from experiments import chap1_network, chap3_crossentropy
from repro.log import RunLog
from repro.sgd import step
from repro.train import SGDConfig, train_network
from repro.update import Rule, sgd, update
from tests.test_training import small_network, train

X = torch.rand(10, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
Y = torch.eye(3, dtype=torch.float64)[torch.arange(10) % 3]


def gradients(network, seed=1):
    g = torch.Generator().manual_seed(seed)
    return ([torch.randn(w.shape, generator=g, dtype=torch.float64) for w in network.weights],
            [torch.randn(b.shape, generator=g, dtype=torch.float64) for b in network.biases])


def test_l1_update_is_the_books_formula_with_sgn_0_equal_0():
    """Ch.3, Eq. 96: w ← w − (ηλ/n) sgn(w) − (η/m) Σ∇C_x; biases untouched by λ."""
    network = small_network()
    with torch.no_grad():
        network.weights[0][0, :3] = 0.0  # sgn(0) = 0: a zero weight moves by its gradient alone
    before = [p.detach().clone() for p in network.parameters()]
    nabla_w, nabla_b = gradients(network)
    eta, lmbda, n, m = 0.5, 5.0, 1000, 10
    with torch.no_grad():
        update(network, nabla_w, nabla_b, Rule(eta, eta * lmbda / n, l1=True), m)
    for w, w0, nabla in zip(network.weights, before[0::2], nabla_w):
        torch.testing.assert_close(w, w0 - eta * lmbda / n * torch.sign(w0) - (eta / m) * nabla, rtol=0, atol=1e-15)
    assert torch.equal(network.weights[0][0, :3], -(eta / m) * nabla_w[0][0, :3])
    for b, b0, nabla in zip(network.biases, before[1::2], nabla_b):
        torch.testing.assert_close(b, b0 - (eta / m) * nabla, rtol=0, atol=1e-15)


def test_momentum_update_is_v_mu_v_minus_eta_grad_then_w_plus_v():
    """Ch.3: v ← μv − η∇C, w ← w + v, with ∇C the mean gradient plus (λ/n)w; two steps from v = 0."""
    network, (nabla_w, nabla_b) = small_network(), gradients(small_network())
    eta, lmbda, n, m, mu = 0.5, 5.0, 1000, 10, 0.9
    params = [p.detach().clone() for p in network.weights + network.biases]
    velocity = [torch.zeros_like(p) for p in params]
    book_v = [torch.zeros_like(p) for p in params]
    for _ in range(2):
        for k, (p, g) in enumerate(zip(params, nabla_w + nabla_b)):
            grad = g / m + (lmbda / n * p if k < len(nabla_w) else 0)
            book_v[k] = mu * book_v[k] - eta * grad
            params[k] = p + book_v[k]
        with torch.no_grad():
            update(network, nabla_w, nabla_b, Rule(eta, eta * lmbda / n, momentum=mu), m, velocity)
    for ours, book in zip(network.weights + network.biases, params):
        torch.testing.assert_close(ours, book, rtol=0, atol=1e-14)
    for ours, book in zip(velocity, book_v):
        torch.testing.assert_close(ours, book, rtol=0, atol=1e-14)


@pytest.mark.parametrize("rule", [Rule(0.5, 0.0025), Rule(0.5, 0.0025, momentum=0.9), Rule(0.5, 0.0025, l1=True),
                                  Rule(0.5, 0.0025, l1=True, momentum=0.5)], ids=["l2", "momentum", "l1", "l1+momentum"])
def test_the_function_backend_steps_exactly_as_the_manual_one(rule):
    """One update for every backend: ``function``'s Σₓ∇Cₓ through the engine is ``manual``'s, bit for bit."""
    ours, theirs = small_network(), small_network()
    velocities = [[torch.zeros_like(p) for p in ours.weights + ours.biases] for _ in range(2)]
    for _ in range(3):
        step(ours, (X, Y, None), rule, velocities[0], "manual")
        step(theirs, (X, Y, None), rule, velocities[1], "function")
    for mine, reference in zip([*ours.parameters(), *velocities[0]], [*theirs.parameters(), *velocities[1]]):
        assert torch.equal(mine, reference)


def test_torch_sgd_momentum_is_the_books_with_v_minus_eta_b():
    """repro.sgd.sgd's map: torch's b ← μb + ∇C, w ← w − ηb is the book's v ← μv − η∇C, w ← w + v."""
    eta, lmbda, n, mu = 0.5, 5.0, 1000, 0.9
    ours, theirs = small_network(), small_network()
    velocity = [torch.zeros_like(p) for p in ours.weights + ours.biases]
    optimizer = sgd(theirs, eta, lmbda / n, mu)
    for _ in range(3):
        step(ours, (X, Y, None), Rule(eta, eta * lmbda / n, momentum=mu), velocity)
        optimizer.zero_grad()
        theirs.cost(X, Y).backward()
        optimizer.step()
    for mine, reference in zip(ours.parameters(), theirs.parameters()):
        torch.testing.assert_close(mine, reference, rtol=1e-12, atol=1e-13)


def history(*accuracies):
    return [{"accuracy/validation": a} for a in accuracies]


def test_the_no_improvement_in_n_rule():
    """Early stopping ends the run after n epochs without a new best; halving instead halves η, to η/halve_to."""
    stop = SGDConfig(eta=0.5, patience=2, evaluation="validation", epochs=100)
    assert stop.eta_after(history(90, 91, 91, 90.5)) is None  # best 91 at epoch 1, then two without better
    assert stop.eta_after(history(90, 91, 91, 92)) == 0.5  # a new best resets the count
    halve = replace(stop, halve_to=4)
    assert halve.eta_after(history(90, 91, 91, 90.5)) == 0.25  # first no-improvement: η/2, count again
    assert halve.eta_after(history(90, 91, 91, 90.5, 90, 90)) is None  # the second brings η to η/4: stop
    assert SGDConfig(eta=0.5, epochs=3).eta_after(history(1, 1, 1)) is None  # no rule: the epochs run out
    assert SGDConfig(eta=0.5, epochs=3).eta_after(history(1, 1)) == 0.5


def test_bad_option_values_are_refused():
    for bad in (dict(regularization="l3"), dict(p_dropout=1.0), dict(momentum=1.0), dict(momentum=-0.1),
                dict(patience=-1), dict(halve_to=3), dict(halve_to=0)):
        with pytest.raises(ValueError):
            SGDConfig(**bad)


SCHEDULED = replace(chap3_crossentropy.CONFIG, train_size=300, epochs=12, evaluation="validation", eta=3.0,
                    patience=1, halve_to=8, momentum=0.3)


def test_seeds_side_by_side_keep_their_own_schedules(mnist_small_evaluation, tmp_path):
    """Seeds whose η part ways (and stop at different epochs) train exactly as each would alone."""
    logs = [RunLog("chap3_crossentropy", "default", seed, asdict(SCHEDULED), run_dir=tmp_path / f"together{seed}")
            for seed in (0, 1, 2)]
    train_network(SCHEDULED, mnist_small_evaluation, logs)
    together = [log.close()["epochs"] for log in logs]
    alone = [train(SCHEDULED, mnist_small_evaluation, tmp_path, seed, f"alone{seed}")["epochs"] for seed in (0, 1, 2)]
    assert together == alone
    etas = [[row["eta"] for row in epochs] for epochs in alone]
    assert len({tuple(e) for e in etas}) > 1, etas  # the seeds' schedules did part ways: the test means something
    for epochs in alone:
        assert len(epochs) < SCHEDULED.epochs or epochs[-1]["eta"] > SCHEDULED.eta / SCHEDULED.halve_to


@pytest.mark.parametrize("backend", ["manual", "function"])
def test_a_momentum_run_resumes_with_its_velocity(backend, mnist, tmp_path):
    cfg = replace(chap1_network.CONFIG, epochs=3, train_size=500, momentum=0.5, lmbda=1.0, backend=backend)
    straight = train(cfg, mnist, tmp_path, name="straight")
    train(replace(cfg, epochs=2), mnist, tmp_path, name="stopped")
    resumed_log = RunLog.reopen(tmp_path / "stopped")
    train_network(cfg, mnist, [resumed_log])
    resumed = [row["cost/test"] for row in resumed_log.close()["epochs"]]
    assert resumed == [row["cost/test"] for row in straight["epochs"]]  # v saved and restored exactly
    assert json.loads((tmp_path / "stopped" / "results.json").read_text())["finished"]


def test_dropout_leaves_the_inputs_alone_and_drops_hidden_neurons(mnist_small_evaluation, tmp_path):
    """Ch.3 "Dropout": only hidden neurons are deleted; in evaluation their outgoing weights count (1 − p)."""
    cfg = replace(chap3_crossentropy.CONFIG, sizes=(784, 30, 20, 10), p_dropout=0.5)
    network = cfg.network(torch.Generator().manual_seed(0))
    assert [layer.p_dropout for layer in network.layers] == [0.0, 0.5, 0.5]
    x = mnist_small_evaluation.test.images[:5]
    hidden = torch.sigmoid(x @ network.weights[0].T + network.biases[0])
    evaluated = network.eval().layers[1](hidden)
    full = torch.sigmoid(0.5 * hidden @ network.weights[1].T + network.biases[1])
    torch.testing.assert_close(evaluated, full)
    short = replace(cfg, sizes=(784, 30, 10), epochs=3, train_size=1000)
    dropped = train(short, mnist_small_evaluation, tmp_path, name="dropout")["epochs"][-1]["accuracy/test"]
    kept = train(replace(short, p_dropout=0.0), mnist_small_evaluation, tmp_path)["epochs"][-1]["accuracy/test"]
    assert 40 < dropped != kept  # it learns (ours: 63.1, against 70.6 without dropout), and differently
