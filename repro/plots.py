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
    panels = [("cost/train", "Cost on the training data"), (f"accuracy/{evaluation}", f"Accuracy (%) on the {evaluation} data"),
              (f"cost/{evaluation}", f"Cost on the {evaluation} data"), ("accuracy/train", "Accuracy (%) on the training data")]
    for ax, (tag, label) in zip(axes.flat, panels):
        rows = history[first_epoch:]
        ax.plot([row["epoch"] for row in rows], [row[tag] for row in rows])
        ax.set(xlabel="Epoch", title=label)
        ax.grid(alpha=0.3)
    figure.suptitle(title)
    figure.tight_layout()
    return figure
