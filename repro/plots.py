"""The book's figures, drawn with matplotlib without a display (the Agg backend)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)


def plot_curves(curves, xlabel, ylabel, title, log_y=False, first_epoch=0):
    """Return a figure with one line per entry of ``curves`` ({label: [value per epoch]})."""
    figure, axes = plt.subplots(figsize=(6.4, 4.0))
    for label, values in curves.items():
        epochs = range(first_epoch, len(values))
        axes.plot(epochs, values[first_epoch:], label=label)
    axes.set(xlabel=xlabel, ylabel=ylabel, title=title)
    if log_y:
        axes.set_yscale("log")
    if len(curves) > 1:
        axes.legend()
    axes.grid(alpha=0.3)
    return figure


def plot_monitoring(history, evaluation, title, first_epoch=0):
    """Return the four graphs of Ch.3 "Overfitting": cost and accuracy on training and evaluation data."""
    figure, axes = plt.subplots(2, 2, figsize=(11, 7))
    panels = [("cost/train", "Cost on the training data"),
              (f"accuracy/{evaluation}", f"Accuracy (%) on the {evaluation} data"),
              (f"cost/{evaluation}", f"Cost on the {evaluation} data"),
              ("accuracy/train", "Accuracy (%) on the training data")]
    for ax, (tag, label) in zip(axes.flat, panels):
        rows = history[first_epoch:]
        ax.plot([row["epoch"] for row in rows], [row[tag] for row in rows])
        ax.set(xlabel="Epoch", title=label)
        ax.grid(alpha=0.3)
    figure.suptitle(title)
    figure.tight_layout()
    return figure


def plot_against_size(history, curves, evaluation, title):
    """Return Ch.3's "More training data" figure: accuracy against training-set size n, on log and linear x.

    ``curves``: {name: (the tag of our rows, the book's {n: accuracy}, colour)}; the book's rows
    dashed, ours (history's rows, one per n) where they have the tag.
    """
    figure, panels = plt.subplots(1, 2, figsize=(11, 4))
    sizes = [row["train_size"] for row in history]
    for axes, scale in zip(panels, ("log", "linear")):
        for name, (tag, book, color) in curves.items():
            axes.plot(list(book), book.values(), "x--", color=color, alpha=0.5, lw=3, ms=10, label=f"{name}, book")
            if f"{tag}/{evaluation}" in history[0]:
                axes.plot(sizes, [row[f"{tag}/{evaluation}"] for row in history], "o-", color=color, ms=4,
                          label=f"{name}, ours")
        axes.set(xscale=scale, xlabel="Training set size", ylabel=f"{evaluation} accuracy (%)", title=title)
        axes.grid(alpha=0.3)
    panels[1].legend(loc="lower right")
    return figure


def plot_versions(images, n, names, title, examples=4):
    """Return a grid of digits: the first ``examples`` in rows, each version of them in a column.

    ``images`` holds the versions one after another, n images each (block k: version ``names[k]``).
    """
    figure, axes = plt.subplots(examples, len(names), figsize=(1.1 * len(names), 1.2 * examples), squeeze=False)
    for row in range(examples):
        for column, name in enumerate(names):
            ax = axes[row, column]
            ax.imshow(images[column * n + row].view(28, 28).cpu().numpy(), cmap="gray_r", vmin=0, vmax=1)
            ax.set(xticks=[], yticks=[], title=name if row == 0 else "")
    figure.suptitle(title)
    return figure
