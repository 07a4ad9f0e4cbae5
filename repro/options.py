"""The command line's options: its own (``main_arguments``, ``--list``, ``--help``) and every config field's,
documented by its field comment.

``python -m repro.run NAME --help`` lists them with their defaults and the book's symbols,
read from the comments beside the fields of the config dataclass (``eta: float = 0.5  # η,
the learning rate``). Every error is one line: a misspelt option names the close ones, a
value of the wrong type or out of range says which, and nothing has been written yet.
"""

import argparse
import dataclasses
import difflib
import inspect
import math
import re

from repro.runs import UsageError, experiment_names, load_experiment

MAX_SEED = 2 ** 63  # torch.Generator.manual_seed takes seeds in [0, 2⁶³)
MAX_THREADS = 256


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are a UsageError (one line, exit 2), not usage text and SystemExit."""

    def error(self, message):
        raise UsageError(message)


class OneRunFolder(argparse.Action):
    """Store the RUN_DIR of --evaluate, refusing it given twice (argparse would keep the last in silence).

    ``--evaluate A B`` leaves B as the experiment's name: the CLI refuses that too (``ONE_RUN_FOLDER``).
    """

    def __call__(self, parser, namespace, values, option_string=None):
        if getattr(namespace, self.dest) is not None:
            parser.error(ONE_RUN_FOLDER)
        setattr(namespace, self.dest, values)


ONE_RUN_FOLDER = "--evaluate takes one run folder; evaluate the others one at a time"


def integers(text):
    """Return '20,40' as (20, 40), and '' as () (e.g. --fc-sizes '' for no fully connected layer)."""
    return tuple(int(v) for v in text.split(",") if v.strip())


def boolean(text):
    if text.lower() not in ("true", "false"):
        raise ValueError(text)  # argparse turns this into a one-line usage error
    return text.lower() == "true"


def number(text):
    """Return a finite float; 'inf' and 'nan' are refused here, before any config is built."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def seed(text):
    value = int(text)
    if not 0 <= value < MAX_SEED:
        raise argparse.ArgumentTypeError(f"seeds must be in [0, 2^63), got {text}")
    return value


def threads(text):
    value = int(text)
    if not 1 <= value <= MAX_THREADS:
        raise argparse.ArgumentTypeError(f"threads must be between 1 and {MAX_THREADS}, got {text}")
    return value


def field_comments(config_type):
    """Return {field: its source comment} for a config dataclass and the classes it extends."""
    comments = {}
    for klass in reversed(config_type.__mro__):
        try:
            source = inspect.getsource(klass)
        except (OSError, TypeError):
            continue
        comments |= dict(re.findall(r"^    (\w+): [^=\n]+=[^#\n]*#\s*(.*)$", source, re.M))
    return comments


def override_parser(config):
    """Return the parser of one experiment's config fields, each with its default and comment as help."""
    parser = OneLineParser(prog="python -m repro.run NAME", add_help=False)
    comments = field_comments(type(config))
    group = parser.add_argument_group("options of this experiment (its config fields)")
    for field in dataclasses.fields(config):
        convert = {tuple: integers, bool: boolean, float: number}.get(field.type, field.type)
        group.add_argument("--" + field.name.replace("_", "-"), type=convert, dest=field.name, metavar="",
                           help=f"{comments.get(field.name, '')} (default {getattr(config, field.name)})")
    return parser


def long_options(parser):
    """Return a parser's --options."""
    return [option for action in parser._actions for option in action.option_strings if option.startswith("--")]


def refuse_unknown(tokens, known, name="NAME"):
    """Raise UsageError for the first --option in tokens that is not known, naming the close ones
    (or experiment ``name``'s --help)."""
    for token in tokens:
        option = token.split("=", 1)[0]
        if option.startswith("--") and option not in known:
            close = difflib.get_close_matches(option, known, n=3, cutoff=0.6)
            hint = f"did you mean {', '.join(close)}?" if close else f"see python -m repro.run {name} --help"
            raise UsageError(f"unknown option {option}; {hint}")


def parse_overrides(config, argv, main_options, name="NAME"):
    """Return config (experiment ``name``'s) with the fields given on the command line (--mini-batch-size 20) replaced."""
    parser = override_parser(config)
    refuse_unknown(argv, long_options(parser) + main_options, name)
    overrides = {key: value for key, value in vars(parser.parse_args(argv)).items() if value is not None}
    try:
        return dataclasses.replace(config, **overrides)
    except ValueError as error:
        raise UsageError(str(error)) from None


NEUTRAL = ("--data", "--download")  # where the book's split is read from, not what it is


def list_experiments():
    for name in experiment_names():
        experiment = load_experiment(name)
        summary = (experiment.__doc__ or "").strip().splitlines()[0]
        book = ", ".join(f"{variant} {expected.book_text()}" for variant, expected in experiment.EXPECTED.items()) \
            or getattr(experiment, "BOOK", "no accuracy")  # an experiment whose book numbers are no accuracies
        print(f"{name:28} {summary}\n{'':28} book: {book}; variants: {', '.join(experiment.VARIANTS)}")


def main_arguments():
    parser = OneLineParser(prog="python -m repro.run", description="Train one of the book's experiments: ``python -m repro.run NAME [options]``.", add_help=False,
                           epilog="python -m repro.run NAME --help lists the options of experiment NAME.")
    parser.add_argument("name", nargs="?", help="experiment, e.g. chap1_network (see --list)")
    parser.add_argument("-h", "--help", action="store_true", help="show this help (with NAME: its options too)")
    parser.add_argument("--list", action="store_true", help="list experiments with the book's numbers")
    parser.add_argument("--variant", help="default: the experiment's first variant")
    parser.add_argument("--seed", type=seed, nargs="+",
                        help="one run per seed (default 0), trained side by side: a seed's numbers are the same "
                             "either way, one thread (repro/seeds.py)")
    parser.add_argument("--batch-seeds", choices=("on", "off"), default="on",
                        help="off: train the seeds one after another instead (default on)")
    parser.add_argument("--logdir", help="where run folders go (default logs)")
    parser.add_argument("--data", help="mnist.pkl.gz, or a folder holding torchvision's MNIST")
    parser.add_argument("--download", action="store_true", help="let torchvision download MNIST")
    parser.add_argument("--resume", metavar="RUN_DIR", nargs="+",
                        help="continue interrupted runs of one configuration from their checkpoints, side by side")
    parser.add_argument("--evaluate", metavar="RUN_DIR", action=OneRunFolder,
                        help="print a trained run's validation and test accuracy")
    parser.add_argument("--threads", type=threads,
                        help="CPU threads for torch (default 1: a mini-batch of 10 is too little work to share, "
                             "and spare threads busy-wait, which on a loaded machine slows a run ~20×); "
                             "the numbers depend on it, so it is recorded and --resume restores it")
    return parser


def print_help(parser, name):
    """Print the CLI's help, and with an experiment name the options of its config with their defaults."""
    parser.print_help()
    if name:
        experiment = load_experiment(name)
        print(f"\n{name}: {(experiment.__doc__ or '').strip().splitlines()[0]}\n"
              f"variants: {', '.join(experiment.VARIANTS)} (defaults below are the first's)")
        print(override_parser(next(iter(experiment.VARIANTS.values()))).format_help().split("\n", 1)[1])


def given_options(argv):
    """Return what argv gives besides --resume/--evaluate RUN_DIR and the data source (nothing else is allowed)."""
    given, taking_values = [], False
    for token in argv:
        option = token.split("=", 1)[0]
        if option in ("--resume", "--evaluate", "--data"):
            taking_values = "=" not in token  # its value(s) follow (a second folder of --evaluate is refused apart)
        elif option == "--download":
            taking_values = False
        elif not (taking_values and not token.startswith("-")):
            given.append(token)
            taking_values = False
    return given
