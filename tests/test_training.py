"""The update rule, backend parity, determinism and resuming (STYLE.md tiers a and b)."""

import json
from dataclasses import asdict, replace

import pytest
import torch

from experiments import chap1_network, chap3_crossentropy
from repro.costs import CrossEntropyCost, Sigmoid
from repro.log import RunLog
from repro.network import Network
from repro.train import SGDConfig, train_network
from repro.update import Rule, sgd, update


def small_network(seed=0):
    g = torch.Generator().manual_seed(seed)
    return Network.create((6, 5, 4, 3), CrossEntropyCost, Sigmoid, "default", g).to(torch.float64)


def test_update_is_network2s_formula():
    """w ← (1 − ηλ/n)w − (η/m)Σ∇C_x and b ← b − (η/m)Σ∇C_x (Ch.3, Eqs. 93 and 94)."""
    network = small_network()
    before_w, before_b = [w.detach().clone() for w in network.weights], [b.detach().clone() for b in network.biases]
    g = torch.Generator().manual_seed(1)
    nabla_w = [torch.randn(w.shape, generator=g, dtype=torch.float64) for w in network.weights]
    nabla_b = [torch.randn(b.shape, generator=g, dtype=torch.float64) for b in network.biases]
    eta, lmbda, n, m = 0.5, 5.0, 1000, 10
    with torch.no_grad():
        update(network, nabla_w, nabla_b, Rule(eta, eta * lmbda / n), m)
    for w, w0, nabla in zip(network.weights, before_w, nabla_w):
        torch.testing.assert_close(w, (1 - eta * lmbda / n) * w0 - (eta / m) * nabla, rtol=1e-14, atol=1e-15)
    for b, b0, nabla in zip(network.biases, before_b, nabla_b):
        torch.testing.assert_close(b, b0 - (eta / m) * nabla, rtol=1e-14, atol=1e-15)


def test_update_is_torch_sgd_with_weight_decay_lambda_over_n_on_weights_only():
    """STYLE.md principle 4: network2's rule = torch.optim.SGD(lr=η, weight_decay=λ/n) on weights, 0 on biases.

    The map stated in repro.sgd.sgd: torch's step on the mean cost's cost.backward() (through the
    hand-written Functions) against the suite's update (network2's formula on Σₓ∇Cₓ).
    """
    eta, lmbda, n = 0.5, 5.0, 1000
    ours, theirs = small_network(), small_network()
    x = torch.rand(10, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    y = torch.eye(3, dtype=torch.float64)[torch.arange(10) % 3]
    with torch.no_grad():
        nabla_w, nabla_b, _ = ours.backprop(x, y)
        update(ours, nabla_w, nabla_b, Rule(eta, eta * lmbda / n), len(x))
    optimizer = sgd(theirs, eta, lmbda / n)
    assert [group["weight_decay"] for group in optimizer.param_groups] == [lmbda / n, 0.0]
    theirs.cost(x, y).backward()  # mean cost: the (1/m) of the rule
    optimizer.step()
    for mine, reference in zip(ours.parameters(), theirs.parameters()):
        torch.testing.assert_close(mine, reference, rtol=1e-12, atol=1e-14)


def train(cfg, data, tmp_path, seed=0, name="run"):
    log = RunLog("chap1_network", "default", seed, asdict(cfg), run_dir=tmp_path / name)
    train_network(cfg, data, [log])
    return log.close()


def train_seeds(cfg, data, tmp_path, seeds):
    logs = [RunLog("chap1_network", "default", seed, asdict(cfg), run_dir=tmp_path / f"seed{seed}") for seed in seeds]
    train_network(cfg, data, logs)
    return [log.close()["epochs"] for log in logs]


@pytest.mark.parametrize("cfg", [chap1_network.CONFIG, replace(chap3_crossentropy.CONFIG, lmbda=2.0),
                                 replace(chap3_crossentropy.CONFIG, lmbda=5.0)],
                         ids=["chap1_network", "chap3_crossentropy, lambda 2", "chap3_crossentropy, lambda 5"])
def test_backends_agree_for_two_epochs(cfg, mnist, tmp_path):
    """Seeds 0-2, 2 epochs on 3,000 images: manual, function and autograd give the same test counts each epoch.

    All three feed one update (repro/sgd.py). ``function`` reaches the same equations through
    the engine, unscaled (the summed cost's δᴸ), so its runs are ``manual``'s bit for bit.
    ``autograd`` differentiates torch's own ops (σ′ as autograd composes it from 1/(1 + e⁻ᶻ),
    the cost's log1p): its gradients part in the last bits, here its costs by < 1e-5.
    """
    cfg = replace(cfg, epochs=2, train_size=3000)
    manual, function, autograd = (train_seeds(replace(cfg, backend=backend), mnist, tmp_path / backend, [0, 1, 2])
                                  for backend in ("manual", "function", "autograd"))
    assert function == manual
    for ours, reference in zip(sum(autograd, []), sum(manual, [])):
        assert ours["correct/test"] == reference["correct/test"]
        assert ours["correct/train"] == reference["correct/train"]
        assert abs(ours["cost/test"] - reference["cost/test"]) <= 1e-5
        assert abs(ours["cost/train"] - reference["cost/train"]) <= 1e-5


def test_same_seed_same_run_other_seed_other_run(mnist, tmp_path):
    cfg = replace(chap1_network.CONFIG, epochs=1, train_size=500)
    first, again = train(cfg, mnist, tmp_path, name="a"), train(cfg, mnist, tmp_path, name="b")
    other = train(cfg, mnist, tmp_path, seed=1, name="c")
    assert first["epochs"][0]["cost/test"] == again["epochs"][0]["cost/test"]
    assert first["epochs"][0]["cost/test"] != other["epochs"][0]["cost/test"]


@pytest.mark.parametrize("backend", ["manual", "function"])
def test_a_run_stopped_halfway_resumes_to_the_same_result(backend, mnist, tmp_path):
    """The checkpoint holds the network's state_dict and the shuffling generator's state."""
    cfg = replace(chap1_network.CONFIG, epochs=3, train_size=500, lmbda=1.0, backend=backend)
    straight = train(cfg, mnist, tmp_path, name="straight")
    train(replace(cfg, epochs=2), mnist, tmp_path, name="stopped")  # the run killed after epoch 1
    resumed_log = RunLog.reopen(tmp_path / "stopped")
    train_network(cfg, mnist, [resumed_log])
    resumed = resumed_log.close()
    assert [row["cost/test"] for row in resumed["epochs"]] == [row["cost/test"] for row in straight["epochs"]]
    assert json.loads((tmp_path / "stopped" / "results.json").read_text())["finished"]


def test_bad_hyper_parameters_are_refused_at_construction():
    for bad in (dict(eta=0), dict(epochs=0), dict(train_size=50_001), dict(mini_batch_size=0),
                dict(backend="numpy"), dict(lmbda=-1.0), dict(cost="hinge")):
        with pytest.raises(ValueError):
            SGDConfig(**bad)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (CI has none)")
def test_cuda_run_matches_the_cpu_run(mnist, tmp_path):
    """--device cuda: same initialisation and shuffles (drawn on the CPU), float32 arithmetic on the GPU."""
    cfg = replace(chap1_network.CONFIG, epochs=1, train_size=2000)
    on_cpu = train(cfg, mnist, tmp_path, name="cpu")["epochs"][0]
    on_gpu = train(replace(cfg, device="cuda"), mnist.to("cuda"), tmp_path, name="cuda")["epochs"][0]
    assert abs(on_cpu["correct/test"] - on_gpu["correct/test"]) <= 10
    assert abs(on_cpu["cost/test"] - on_gpu["cost/test"]) <= 1e-3
