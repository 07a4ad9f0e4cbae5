"""A fixed edge detector beside the 5×5 filters that chap6_conv's first layer learns.

The companion videos hope that the first layer of a digit network finds little edges, and the
textbook picture of an edge detector is the Sobel kernel, [[−1, 0, 1], [−2, 0, 2], [−1, 0, 1]]:
a difference across the image (horizontal change) smoothed along it. Here the two Sobel kernels
(vertical edges, horizontal edges) are applied to test digits as a convolution, beside chap6_conv's
``conv1`` network (20 maps of 5×5 → 2×2 max-pool → FC 100 → softmax, Ch.6) trained for a few
epochs in this run: its 20 kernels, drawn as the book draws them, and their maps of the same
digits. How edge-like a kernel is gets a number: the largest |cosine| between the Sobel kernel
(either direction, either diagonal) and any 3×3 window of the kernel, both made zero-mean, for
the trained kernels against the same network's random initial ones.

    python -m repro.run seeds_sobel_filters --seed 0 1 2
"""

from dataclasses import replace

import torch
import torch.nn.functional as F

from experiments.chap6_conv import CONV1
from repro.expected import Expected
from repro.plots import plt
from repro.train3 import train_network3

CONFIG = replace(CONV1, epochs=5)
VARIANTS = {"default": CONFIG}

# Ours, seeds 0-2 side by side (python -m repro.run seeds_sobel_filters --seed 0 1 2: 4.6 min), test accuracy at the
# best validation epoch 97.83, 97.84, 97.75; median edge-likeness 0.71, 0.72, 0.74 at initialisation and 0.94, 0.95,
# 0.94 trained, the most edge-like kernels 0.97-0.99. After 1 epoch on 5,000 images (seeds 0-5): 57.68, 62.90, 56.35,
# 65.47, 49.47, 62.75%, edge-likeness up by 0.13, 0.12, 0.11, 0.12, 0.06, 0.10. The quick band is set from seeds 1-5
# alone (CI runs seed 0), measured again with network3's max-pool gradient (every tie): 62.86, 56.33, 65.49, 49.59,
# 62.77 -> [min - 1, max + 1]. (Random 9-weight windows already
# reach 0.7: the measure's floor; what training adds is smooth ramps, which is what a Sobel kernel is.)
EXPECTED = {
    "default": Expected(
        book=None, source="chap6_conv's conv1 for 5 epochs: no book number (issue #13)", within=0.0,
        seed_band=(96.7, 98.9), why="no book number: every seed within our seeds 0-2's 97.75-97.84 ± 1 pp",
        quick=dict(epochs=1, train_size=5000), quick_band=(48.6, 66.5),
    ),
}
EDGE_GAIN = 0.03  # after 1 epoch on 5,000 images the median edge-likeness rises ≥ this (ours: 0.06-0.13, six seeds)
DIGITS = 4  # test digits drawn in the figure
SOBEL_X = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])  # horizontal change: vertical edges
SOBELS = torch.stack([SOBEL_X, SOBEL_X.T, torch.tensor([[0.0, 1, 2], [-1, 0, 1], [-2, -1, 0]]),
                      torch.tensor([[-2.0, -1, 0], [-1, 0, 1], [0, 1, 2]])])  # x, y and both diagonals


def sobel_maps(images):
    """Return the x and y Sobel responses of (n, 784) images, (n, 2, 26, 26): conv2d, no padding, no learning."""
    return F.conv2d(images.view(-1, 1, 28, 28), SOBELS[:2, None])


def edge_likeness(kernels):
    """Return, per (5×5) kernel, the largest |cos| between a zero-mean 3×3 window of it and a Sobel kernel."""
    windows = F.unfold(kernels, 3).transpose(1, 2)  # (maps, 9 windows, 9 weights)
    windows = windows - windows.mean(-1, keepdim=True)
    sobels = (SOBELS - SOBELS.mean((1, 2), keepdim=True)).flatten(1).to(kernels)  # (4, 9)
    cosines = F.normalize(windows, dim=-1) @ F.normalize(sobels, dim=-1).T  # (maps, 9, 4)
    return cosines.abs().flatten(1).max(1).values


def figure(images, kernels, title):
    """Return the kernels on top (the digit's column blank), then per digit: it, its Sobel maps, its maps through
    the six most edge-like learned kernels (red negative, blue positive, white 0)."""
    order = edge_likeness(kernels).argsort(descending=True)[:6]
    learned = F.conv2d(images.view(-1, 1, 28, 28), kernels[order])  # (n, 6, 24, 24)
    sobel = sobel_maps(images)
    panels, axes = plt.subplots(len(images) + 1, 9, figsize=(13, 1.6 * (len(images) + 1)))
    names = ["Sobel x", "Sobel y"] + [f"learned {int(k)}" for k in order]
    rows = [[None, SOBEL_X, SOBEL_X.T] + [kernels[k, 0] for k in order]]
    rows += [[image.view(28, 28), sobel[n, 0], sobel[n, 1]] + list(learned[n]) for n, image in enumerate(images)]
    for row, (axes_row, columns) in enumerate(zip(axes, rows)):
        for column, (ax, values) in enumerate(zip(axes_row, columns)):
            ax.set(xticks=[], yticks=[], title=(["digit"] + names)[column] if row == 0 else None)
            if values is None:
                ax.axis("off")
            elif row and not column:
                ax.imshow(values.numpy(), cmap="gray")
            else:
                limit = float(values.abs().max())
                ax.imshow(values.detach().numpy(), cmap="RdBu", vmin=-limit, vmax=limit)
    panels.suptitle(title)
    return panels


def run(cfg, data, logs):
    """Train chap6_conv's conv1 network, then set its first-layer kernels beside the Sobel kernels."""
    initial = {log.seed: cfg.network(torch.Generator().manual_seed(log.seed)).layers[0].weight.detach()
               for log in logs}  # the init train_network3 draws first from the seed's generator
    networks = train_network3(cfg, data, logs)
    images = data.test.images[:DIGITS].cpu()
    for log, network in zip(logs, networks):
        kernels = network.layers[0].weight.detach().cpu()  # (20, 1, 5, 5)
        before, after = edge_likeness(initial[log.seed]), edge_likeness(kernels)
        log.extra["edge_likeness"] = {"initial": before.tolist(), "trained": after.tolist(),
                                      "initial_median": float(before.median()), "trained_median": float(after.median())}
        print(f"seed {log.seed}: median edge-likeness of the 20 kernels {float(before.median()):.2f} at "
              f"initialisation, {float(after.median()):.2f} trained (1: a Sobel kernel inside the 5×5)")
        log.figure("sobel_and_learned", figure(images, kernels, f"Sobel kernels and chap6_conv's learned 5×5 "
                                                                f"kernels (top row), seed {log.seed}"))
    return [log.history for log in logs]
