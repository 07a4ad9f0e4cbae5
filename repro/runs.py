"""Run folders and the experiments that made them: find an experiment, read a run's recipe, load its network.

    repro.load_network("logs/chap1_network/default__seed0__20261127-051032.634-6d28")   # a trained nn.Module

A run folder (repro/log.py) holds ``config.json`` (experiment, variant, seed, config) and
``checkpoint.pt`` (the network's ``state_dict``). Errors are one line: a name or value
that is wrong is a ``UsageError``, a run folder that is damaged a ``RunFolderError``.
"""

import dataclasses
import difflib
import importlib
import json
import pkgutil
from pathlib import Path

import torch

import experiments
from repro.records import RunFolderError, load_checkpoint, network_state, read_json


class UsageError(Exception):
    """A bad name or value on the command line: one line to stderr, exit 2."""


def experiment_names():
    return sorted(module.name for module in pkgutil.iter_modules(experiments.__path__))


def overrides(config, variant_config):
    """Return {field: value} where a run's config (a dict, as config.json holds it) departs from its variant's.

    Backend, compile and device aside: they change how a run computes, not what the book specifies.
    """
    config, book = json.loads(json.dumps(config)), json.loads(json.dumps(dataclasses.asdict(variant_config)))
    return {key: config.get(key) for key, value in book.items()
            if key not in ("backend", "compile", "device") and config.get(key) != value}


def is_book_configuration(config, variant_config):
    """Return whether a run's config has every one of the variant's book values."""
    return not overrides(config, variant_config)


def load_experiment(name):
    """Return the module experiments.NAME, or raise UsageError naming the closest ones."""
    names = experiment_names()
    if name not in names:
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.4)
        hint = f"did you mean {', '.join(close)}?" if close else f"known: {', '.join(names)}"
        raise UsageError(f"unknown experiment {name!r}; {hint} (python -m repro.run --list)")
    return importlib.import_module(f"experiments.{name}")


def variant_config(experiment, name, variant):
    if variant not in experiment.VARIANTS:
        close = difflib.get_close_matches(variant, experiment.VARIANTS, n=3, cutoff=0.4) or list(experiment.VARIANTS)
        raise UsageError(f"unknown variant {variant!r} of {name}; did you mean {', '.join(close)}?")
    return experiment.VARIANTS[variant]


def read_record(run_dir):
    """Return (experiment module, config) of a run folder from its config.json.

    Raise UsageError for a folder that is no run, RunFolderError for a config.json that is damaged.
    """
    path = Path(run_dir) / "config.json"
    if not path.is_file():
        raise UsageError(f"{run_dir} is not a run folder (it has no config.json)")
    record = read_json(path)
    try:
        experiment = load_experiment(record["experiment"])
        config_type = type(next(iter(experiment.VARIANTS.values())))  # one config class per experiment
        return experiment, config_type(**{k: tuple(v) if isinstance(v, list) else v
                                          for k, v in record["config"].items()})
    except (KeyError, TypeError, ValueError, AttributeError, UsageError) as error:
        raise RunFolderError(f"{path} does not describe a run this suite can rebuild ({error}); "
                             "the run folder is damaged") from None


def load_network(run_dir, device="cpu"):
    """Return the network a run trained, as of its last checkpoint: a ``torch.nn.Module`` in eval mode.

    ``load_network(run_dir).predict(images)`` classifies images (m, 784).
    """
    return trained_network(read_record(run_dir)[1], run_dir).to(device)


def trained_network(cfg, run_dir):
    """Return the network of cfg's shapes holding run_dir's checkpoint, on the CPU, in eval mode."""
    if not hasattr(cfg, "network"):
        raise UsageError(f"{run_dir} is a baseline run: it learns no network to load")
    path = Path(run_dir) / "checkpoint.pt"
    try:
        network = dataclasses.replace(cfg, device="cpu").network(torch.Generator())  # the shapes; values come next
    except LookupError as error:  # a configuration of several networks (Ch.6's ensemble)
        raise UsageError(f"{run_dir} {error}") from None
    if not path.is_file():
        raise RunFolderError(f"{path} is missing: the run ended no epoch, so it has no trained network")
    try:
        network.load_state_dict(network_state(load_checkpoint(path)))
    except (KeyError, RuntimeError) as error:  # a checkpoint of another architecture, or of no network
        raise RunFolderError(f"{path} is not a checkpoint of this run's network ({type(error).__name__}); "
                             "train the run again") from None
    return network.eval()


def reads_mnist(experiment):
    """Return whether the experiment trains or scores on MNIST (``run``) rather than only measures (``measure``)."""
    return not hasattr(experiment, "measure")

