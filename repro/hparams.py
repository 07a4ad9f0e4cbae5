"""The HParams dashboard: one schema for every run, so that runs of different experiments sit side by side.

Its columns are every config field of every experiment (repro/hparam_schema.json, so that a run
imports only its own experiment) and the nine ``hparams/`` metrics RunLog charts each epoch.
"""

import dataclasses
import json
import math
from pathlib import Path

from torch.utils.tensorboard.summary import hparams

SPLITS = ("train", "validation", "test")
HPARAM_METRICS = [f"hparams/{kind}/{split}" for kind in ("peak_accuracy", "final_accuracy", "final_cost")
                  for split in SPLITS]  # the HParams dashboard's columns, the same for every run


def hparam_metrics(rows):
    """Return the HParams columns of a run's rows so far: peak and final accuracy of each split, final cost."""
    values = {}
    for split in SPLITS:
        if measured := [row[f"accuracy/{split}"] for row in rows if f"accuracy/{split}" in row]:
            values[f"hparams/peak_accuracy/{split}"] = max(measured)
            values[f"hparams/final_accuracy/{split}"] = measured[-1]
        if f"cost/{split}" in rows[-1]:
            values[f"hparams/final_cost/{split}"] = rows[-1][f"cost/{split}"]
    return {tag: value for tag, value in values.items() if value is not None and math.isfinite(value)}


def chart_hparam_metrics(writer, rows, step):
    """Chart the HParams columns of a run's rows so far at ``step``: the dashboard shows their latest values."""
    for tag, value in hparam_metrics(rows).items():
        writer.add_scalar(tag, value, step)


def flatten(config):
    """Return config with tuples as text: the HParams dashboard takes numbers, text and booleans."""
    return {key: str(tuple(value)) if isinstance(value, (list, tuple)) else value for key, value in config.items()}


HPARAM_SCHEMA = Path(__file__).with_name("hparam_schema.json")  # written by write_hparam_schema(), tested equal


def hparam_schema():
    """Return every config field of every experiment, with a value of its type: one HParams schema for all runs.

    Read from repro/hparam_schema.json, so that a run imports only its own experiment;
    tests/test_logging.py holds the file equal to ``every_config_field()``.
    """
    return json.loads(HPARAM_SCHEMA.read_text())


def every_config_field():
    """Return the schema as the experiments define it (importing all of them: seconds of scikit-learn, matplotlib)."""
    from repro.runs import experiment_names, load_experiment  # experiments import this module

    schema = {"experiment": "", "variant": "", "seed": 0}
    for name in experiment_names():
        for config in load_experiment(name).VARIANTS.values():
            schema |= {key: value for key, value in flatten(dataclasses.asdict(config)).items() if key not in schema}
    return schema


def write_hparam_schema():
    """Write repro/hparam_schema.json anew, after a config field is added or removed anywhere."""
    HPARAM_SCHEMA.write_text(json.dumps(every_config_field(), indent=1) + "\n")


def write_hparams(writer, config):
    """Write a run's hyper-parameters (its config, experiment, variant and seed) to the HParams dashboard and as text."""
    flat, metrics = flatten(config), dict.fromkeys(HPARAM_METRICS, 0.0)
    schema, _, _ = hparams(hparam_schema(), metrics)  # every run writes the same columns
    _, start, end = hparams(flat, metrics)
    for summary in (schema, start, end):
        writer.file_writer.add_summary(summary)
    writer.add_text("config", "| hyper-parameter | value |\n|---|---|\n" + "".join(f"| {k} | {v} |\n"
                                                                                   for k, v in flat.items()))
