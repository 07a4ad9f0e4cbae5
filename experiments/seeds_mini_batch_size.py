"""The companion videos' network trained with mini-batches of 1, 10, 100 and 1,000: accuracy and time.

Ch.3, "Mini-batch size": online learning (m = 1) takes a step per image; a mini-batch of m
takes one step per m images, each from the mean of m gradients, which a matrix library
computes in far less than m times the time of one. "Suppose, however, that in the mini-batch
case we increase the learning rate by a factor 100 [...]: that's a lot like doing 100 separate
instances of online learning, but with a learning rate of η" — so the book scales η with m
(variant ``default``: η = 0.05·m, the videos' η = 0.5 at m = 10); variant ``fixed_eta`` keeps
η = 0.5 for every m. Each m trains for the same number of epochs in a sub-folder of each
seed's run (one chart in TensorBoard); the run records each m's accuracy and seconds per epoch.

    python -m repro.run seeds_mini_batch_size --seed 0 1 2
    python -m repro.run seeds_mini_batch_size --variant fixed_eta --seed 0 1 2
"""

from dataclasses import dataclass, replace

from experiments.seeds_what_it_learned import CONFIG as VIDEOS
from repro.plots import plot_curves
from repro.train import SGDConfig, train_alongside


@dataclass(frozen=True)
class Config(SGDConfig):
    mini_batch_sizes: tuple = (1, 10, 100, 1000)  # the mini-batch sizes m compared, each a run of its own (a sub-folder)
    eta_per_example: float = 0.05  # η = eta_per_example · m (Ch.3's argument); 0: η = cfg.eta for every m

    def checks(self):
        return super().checks() + [  # mini_batch_sizes (): one m, a sub-folder's run
            (min(self.mini_batch_sizes, default=1) >= 1 and self.eta_per_example >= 0,
             f"mini-batch-sizes must be >= 1 and eta-per-example >= 0; got {self.mini_batch_sizes} and "
             f"{self.eta_per_example}")]


CONFIG = Config(**{**VIDEOS.as_dict(), "epochs": 5})
VARIANTS = {"default": CONFIG, "fixed_eta": replace(CONFIG, eta_per_example=0.0)}

# Ours, seeds 0-2 side by side (python -m repro.run seeds_mini_batch_size [--variant fixed_eta] --seed 0 1 2), test
# accuracy after 5 epochs. η = 0.05·m: m = 1 92.99-93.59, m = 10 92.56-93.16, m = 100 (η = 5) 91.80-93.24, m = 1,000
# (η = 50) 10.10-10.32, stuck on one answer from the first epoch: the book's rule holds to m = 100 and breaks at 1,000.
# η = 0.5: m = 1 67.07-70.34 (too large a step for one image), m = 10 as above, m = 100 92.94-93.26, m = 1,000
# 69.75-73.64 (250 steps in all). Seconds per epoch, 3 seeds side by side on a shared 2-core machine, evaluation of
# 60,000 images included: m = 1 9.3-21, m = 10 2.9-3.7, m = 100 1.6-1.8, m = 1,000 1.5-1.6.
BOOK = "Ch.3: m images with η scaled up by m are \"a lot like\" m online steps, in less time (no run, no number)"
EXPECTED = {}


def eta_for(cfg, m):
    return cfg.eta_per_example * m if cfg.eta_per_example else cfg.eta


def run(cfg, data, logs):
    """Train the network once per mini-batch size m; record each m's accuracy and seconds per epoch."""
    configs = {f"m{m}": replace(cfg, mini_batch_size=m, eta=eta_for(cfg, m), mini_batch_sizes=())
               for m in cfg.mini_batch_sizes if m <= cfg.train_size}  # a mini-batch is at most the training set
    histories = train_alongside(configs, data, logs)
    split = f"accuracy/{cfg.evaluation}"
    for log, runs in zip(logs, histories):
        log.extra["by_mini_batch_size"] = {
            name: {"eta": configs[name].eta, "final_accuracy": rows[-1][split] if rows else None,
                   "seconds_per_epoch": log.extra[name]["wall_time_s"] / max(len(rows), 1)}
            for name, rows in runs.items()}
        if not log.history:  # the run itself trains nothing: one row, so that it is a finished run
            log.epoch(0, {}, network=None)
        curves = {f"m = {name[1:]}, η = {configs[name].eta:g}": [row[split] for row in rows] for name, rows in runs.items()}
        log.figure("mini_batch_size", plot_curves(curves, "Epoch", f"{cfg.evaluation} accuracy (%)",
                                                  f"{cfg.sizes} by mini-batch size, seed {log.seed}"))
    return histories
