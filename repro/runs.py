"""Run folders and the experiments that made them: find an experiment, read a run's recipe, load its network.

    repro.load_network("logs/chap1_network/default__seed0__20261127-051032.634-6d28")   # a trained nn.Module

A run folder (repro/log.py) holds ``config.json`` (experiment, variant, seed, config) and
``checkpoint.pt`` (the network's ``state_dict``). Errors are one line: a name or value
that is wrong is a ``UsageError``, a run folder that is damaged a ``RunFolderError``.
"""

import argparse
import dataclasses
import difflib
import importlib
import json
import math
import pkgutil
from pathlib import Path

import torch

import experiments
from repro.readback import load_checkpoint, network_state, read_json, read_results
from repro.records import RunFolderError


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
    """Return (experiment module, config) of a run folder from its config.json, checked as the CLI checks options.

    config.json is trusted no more than the command line that wrote it (repro/options.py): each
    field's type is its dataclass field's, the config's own checks run on construction, and the
    seed and threads are held to the CLI's ranges. Raise UsageError for a folder that is no run,
    RunFolderError naming config.json for one that fails.
    """
    path = Path(run_dir) / "config.json"
    if not path.is_file():
        raise UsageError(f"{run_dir} is not a run folder (it has no config.json)")
    try:
        return checked_record(read_json(path))
    except (ValueError, UsageError) as error:  # a wrong entry; an experiment this suite does not have
        raise RunFolderError(f"{path} does not describe a run this suite can rebuild ({error}); the run folder "
                             "is left as it was: restore the file or train the run again") from None


def checked_record(record):
    """Return (experiment module, config) of config.json's contents, or raise ValueError naming the wrong entry."""
    from repro.options import seed, threads  # the CLI's own range checks (repro.options imports this module)
    recipe = checked("config.json", record, dict).get("recipe", {})  # none in runs older than the recipe
    for name, value, kind in (("experiment", record.get("experiment"), str), ("variant", record.get("variant"), str),
                              ("seed", record.get("seed"), int), ("config", record.get("config"), dict),
                              ("recipe", recipe, dict)):
        checked(name, value, kind)
    for convert, value in ((seed, record["seed"]), (threads, checked("threads", recipe.get("threads", 1), int))):
        try:
            convert(str(value))
        except argparse.ArgumentTypeError as error:
            raise ValueError(str(error)) from None
    experiment = load_experiment(record["experiment"])
    config_type = type(next(iter(experiment.VARIANTS.values())))  # one config class per experiment
    fields = {field.name: field_kind(experiment, field) for field in dataclasses.fields(config_type)}
    if unknown := sorted(set(record["config"]) - set(fields)):
        raise ValueError(f"{config_type.__module__}.{config_type.__name__} has no field {', '.join(unknown)}")
    return experiment, config_type(**{name: checked(name, value, fields[name])  # then its own checks: ValueError
                                      for name, value in record["config"].items()})


def field_kind(experiment, field):
    """Return the kind of a config field's value: its type, or "integers" for a tuple that holds only integers
    in every variant (layer sizes, train sizes), as the CLI's ``--sizes 784,30,10`` gives."""
    values = [v for cfg in experiment.VARIANTS.values() for v in getattr(cfg, field.name)] if field.type is tuple else []
    return "integers" if values and all(type(value) is int for value in values) else field.type


KINDS = {int: "an integer", float: "a finite number", str: "a string", bool: "true or false", dict: "an object",
         tuple: "a list of finite numbers", "integers": "a list of integers"}


def finite(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def checked(name, value, kind):
    """Return a value read back from JSON as the CLI hands it over (a tuple for a list, 3.0 for an η of 3), or
    raise ValueError unless it is of kind. A kind missing from KINDS is a bug of this suite: its KeyError shows."""
    integer = isinstance(value, int) and not isinstance(value, bool)
    ok = {int: integer, float: finite(value), str: isinstance(value, str), bool: isinstance(value, bool),
          dict: isinstance(value, dict), tuple: isinstance(value, list) and all(map(finite, value)),
          "integers": isinstance(value, list) and all(type(v) is int for v in value)}[kind]
    if not ok:
        raise ValueError(f"{name} must be {KINDS[kind]}, got {value!r}")
    return float(value) if kind is float else tuple(value) if kind in (tuple, "integers") else value


def check_run(run_dir):
    """Return (experiment module, config, results) of a run folder to resume, once everything it holds is checked.

    A SummaryWriter makes an events file as a RunLog opens a folder, so whatever ``--resume`` reads
    back is checked here first: config.json, results.json, and the checkpoint of the run and of
    each sub-run (a child, an ensemble's member) against the network of the config beside it.
    """
    experiment, cfg = read_record(run_dir)
    results = read_results(run_dir)
    for config_path in sorted(Path(run_dir).rglob("config.json")):
        if not (path := config_path.parent / "checkpoint.pt").exists():
            continue
        sub_cfg = cfg if config_path.parent == Path(run_dir) else read_record(config_path.parent)[1]
        try:
            network = blank_network(sub_cfg) if hasattr(sub_cfg, "network") else None  # a baseline learns none
        except LookupError:  # an ensemble: its members, each a sub-run, hold the networks
            network = None
        load_into(network, path) if network is not None else load_checkpoint(path)
    return experiment, cfg, results


def load_network(run_dir, device="cpu"):
    """Return the network a run trained, as of its last checkpoint: a ``torch.nn.Module`` in eval mode.

    ``load_network(run_dir).predict(images)`` classifies images (m, 784).
    """
    return trained_network(read_record(run_dir)[1], run_dir).to(device)


def blank_network(cfg):
    """Return a network of cfg's shapes on the CPU, its values to come from a checkpoint (LookupError: an ensemble)."""
    return dataclasses.replace(cfg, device="cpu").network(torch.Generator())


def load_into(network, path):
    """Return network holding the checkpoint at path, or raise RunFolderError unless its keys and shapes fit."""
    try:
        network.load_state_dict(network_state(load_checkpoint(path)))
    except (KeyError, RuntimeError) as error:  # a checkpoint of another architecture, or of no network
        raise RunFolderError(f"{path} is not a checkpoint of this run's network ({type(error).__name__}: its keys "
                             "or shapes are not config.json's); the run folder is left as it was: train the run "
                             "again") from None
    return network


def trained_network(cfg, run_dir):
    """Return the network of cfg's shapes holding run_dir's checkpoint, on the CPU, in eval mode."""
    if not hasattr(cfg, "network"):
        raise UsageError(f"{run_dir} is a baseline run: it learns no network to load")
    try:
        network = blank_network(cfg)
    except LookupError as error:  # a configuration of several networks (Ch.6's ensemble)
        raise UsageError(f"{run_dir} {error}") from None
    path = Path(run_dir) / "checkpoint.pt"
    if not path.is_file():
        raise RunFolderError(f"{path} is missing: the run ended no epoch, so it has no trained network")
    return load_into(network, path).eval()


def reads_mnist(experiment):
    """Return whether the experiment trains or scores on MNIST (``run``) rather than only measures (``measure``)."""
    return not hasattr(experiment, "measure")

