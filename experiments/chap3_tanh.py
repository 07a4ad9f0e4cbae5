"""Ch.3 "Other models of artificial neuron": tanh hidden neurons against sigmoid ones.

Book, Ch.3 [BOOK.md 3F]: tanh(z) = 2σ(2z) − 1 is a rescaled sigmoid whose output runs from
−1 to 1, so a hidden neuron's outgoing weights can move in different directions; but "for many
tasks the tanh is found empirically to provide only a small or no improvement in performance
over sigmoid neurons." No run, no number. Ours: the [784, 30, 10] net with λ = 5.0 and η = 0.5
(network2's defaults: cross-entropy on sigmoid outputs, N(0, 1/√n_in) weights) with tanh
hidden neurons; the same net with sigmoid ones trains beside it, in a sub-folder.

    python -m repro.run chap3_tanh --seed 0 1 2
"""

from dataclasses import replace

from repro.plots import plot_curves
from repro.report import Expected
from repro.train import SGDConfig, train_alongside, train_network

CONFIG = SGDConfig(sizes=(784, 30, 10), cost="cross_entropy", activation="tanh", init="default", eta=0.5, lmbda=5.0,
                   mini_batch_size=10, epochs=30, evaluation="validation")
VARIANTS = {"default": CONFIG}

EXPECTED = {}


def run(cfg, data, logs):
    """Train the tanh net and, beside it, the sigmoid one; draw both validation-accuracy curves."""
    sigmoid = train_alongside({"sigmoid": replace(cfg, activation="sigmoid")}, data, logs)
    histories = train_network(cfg, data, logs)
    for log, sibling, history in zip(logs, sigmoid, histories):
        curves = {f"{cfg.activation} hidden neurons": [row["accuracy/validation"] for row in history],
                  "sigmoid hidden neurons": [row["accuracy/validation"] for row in sibling["sigmoid"]]}
        log.figure("tanh", plot_curves(curves, "Epoch", "validation accuracy (%)",
                                       f"tanh against sigmoid, {cfg.sizes}, seed {log.seed}"))
    return histories
