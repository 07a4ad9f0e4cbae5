"""nndl-repro: Nielsen's Neural Networks and Deep Learning, reproduced in PyTorch with backprop by hand."""

from repro.runs import load_network  # noqa: F401  (repro.load_network(run_dir): a trained nn.Module)
