"""The command line's options: every config field is an option, documented by its field comment.

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

from repro.runs import UsageError

MAX_SEED = 2 ** 63  # torch.Generator.manual_seed takes seeds in [0, 2⁶³)
MAX_THREADS = 256


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are a UsageError (one line, exit 2), not usage text and SystemExit."""

    def error(self, message):
        raise UsageError(message)


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


def refuse_unknown(tokens, known):
    """Raise UsageError for the first --option in tokens that is not known, naming the close ones."""
    for token in tokens:
        option = token.split("=", 1)[0]
        if option.startswith("--") and option not in known:
            close = difflib.get_close_matches(option, known, n=3, cutoff=0.6)
            hint = f"did you mean {', '.join(close)}?" if close else "see python -m repro.run NAME --help"
            raise UsageError(f"unknown option {option}; {hint}")


def parse_overrides(config, argv, main_options):
    """Return config with the fields given on the command line (--mini-batch-size 20) replaced."""
    parser = override_parser(config)
    refuse_unknown(argv, long_options(parser) + main_options)
    overrides = {key: value for key, value in vars(parser.parse_args(argv)).items() if value is not None}
    try:
        return dataclasses.replace(config, **overrides)
    except ValueError as error:
        raise UsageError(str(error)) from None
