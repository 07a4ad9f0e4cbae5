"""How a run stops and loses nothing: Ctrl-C or SIGTERM (said once), a closed stdout, a file that cannot be written.

Each ends in one line that says what is intact and how to resume (README, "Run records you can trust").
"""

import os
import signal
import threading
from pathlib import Path

from tensorboard.summary.writer.event_file_writer import _AsyncWriterThread

from repro.records import Unwritable


def interrupt(signum, frame):
    """The handler of Ctrl-C and SIGTERM (``kill``) while a run trains: stop it as Ctrl-C does, checkpoint kept."""
    raise_once()
    raise KeyboardInterrupt


def raise_once():
    """Ignore Ctrl-C and SIGTERM from now on: a second one, while the first one's message and records are
    written, would leave them half-written or end in a traceback. They stay ignored until the process ends."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)


class Printing:
    """sys.stdout while a run trains: once its reader has gone (``| head -1``), nothing more is printed."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text):
        self.quietly(self.stream.write, text)
        return len(text)

    def flush(self):
        self.quietly(self.stream.flush)

    def quietly(self, method, *args):
        try:
            method(*args)
        except BrokenPipeError:  # what is still buffered, and all that follows, goes to /dev/null
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.stream.fileno())
            os.close(devnull)

    def __getattr__(self, name):  # isatty, fileno, encoding: the stream's own
        return getattr(self.stream, name)


def unwritable(error, logs):
    """Return the line for a file of these runs that could not be written: which, why, and what to resume from
    where it is; None for an OSError about another file."""
    name = error.path if isinstance(error, Unwritable) else error.filename and os.fsdecode(error.filename)
    if name and not any(Path(name).absolute().is_relative_to(log.run_dir.absolute()) for log in logs):
        return None
    reason = error.reason if isinstance(error, Unwritable) else error.strerror or error
    line = f"cannot write {name or 'under ' + ' '.join(str(log.run_dir) for log in logs)}: {reason}"  # a full disk names no file
    if gone := [str(log.run_dir) for log in logs if not log.run_dir.is_dir()]:
        line += f"; {' and '.join(gone)} {'was' if len(gone) == 1 else 'were'} deleted"
    if running := [str(log.run_dir) for log in logs if log.status == "running" and log.run_dir.is_dir()]:
        return (line + "; the last checkpoints are intact: once it can be written (space, permissions, nothing in "
                f"the way), python -m repro.run --resume {' '.join(running)}")
    return line + "; nothing is left to resume: run it again"


def quiet_writer_threads():
    """Set threading.excepthook to leave out TensorBoard's writer threads' OSErrors (once; other threads as before).

    Such a thread keeps its exception and raises it again in the run at its next write, where it is
    said in one line (repro/run.py); printed here too, it would be a traceback beside that line.
    """
    hook = threading.excepthook
    if getattr(hook, "quiet_writer_threads", False):
        return

    def excepthook(args):
        if not (isinstance(args.thread, _AsyncWriterThread) and issubclass(args.exc_type, OSError)):
            hook(args)
    excepthook.quiet_writer_threads = True
    threading.excepthook = excepthook
