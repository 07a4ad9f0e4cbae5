"""nndl-repro: Nielsen's Neural Networks and Deep Learning, reproduced in PyTorch with backprop by hand.

``repro.load_network(run_dir)`` returns the network a run trained, a ``torch.nn.Module``.
"""


def __getattr__(name):
    """Import repro.run only when asked: ``python -m repro.run`` must be the first to import it."""
    if name == "load_network":
        from repro.run import load_network
        return load_network
    raise AttributeError(f"module 'repro' has no attribute {name!r}")
