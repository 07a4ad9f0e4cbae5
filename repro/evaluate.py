"""``python -m repro.run --evaluate RUN_DIR``: a trained network's validation and test accuracy, as the book prints it."""

from repro.data import load_mnist
from repro.network import Network
from repro.runs import read_record, trained_network
from repro.train import evaluate
from repro.train3 import Network3Config, accuracy


def evaluate_run(args):
    """Print a trained network's validation and test accuracy, one line each, as the book prints them."""
    _, cfg = read_record(args.evaluate)
    network, data = trained_network(cfg, args.evaluate), load_mnist(args.data, args.download)
    if not isinstance(network, Network):  # a recurrent net (rnn_sequential_mnist): no side by side, no λ
        metrics = {f"correct/{split}": int((network.predict(getattr(data, split).images) == getattr(data, split).labels)
                                           .sum()) for split in ("validation", "test")}
    elif isinstance(cfg, Network3Config):  # the same evaluation as training's, for seeds side by side
        network = Network.side_by_side([network])
        metrics = accuracy(network, data.validation, "validation")[0] | accuracy(network, data.test, "test")[0]
    else:
        splits = {"validation": data.validation, "test": data.test}
        metrics = evaluate(Network.side_by_side([network]), splits, cfg.lmbda, cfg.regularization)[0]
    for split in ("validation", "test"):
        print(f"{split}: {metrics[f'correct/{split}']} / {len(getattr(data, split))}")
