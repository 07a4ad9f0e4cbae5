"""nndl-repro: Nielsen's Neural Networks and Deep Learning, reproduced in PyTorch with backprop by hand."""
