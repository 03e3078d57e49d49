"""The ``hallusim`` command.

``hallusim list``
    The experiments, one per line, with the figure or table each produces.
``hallusim run NAME [--preset quick|paper] [--jobs N] [--scheduler ADDRESS] [--out DIR] [--set KEY=VALUE ...]``
    One experiment: figures into ``DIR/figures``, tables into ``DIR/results``.
``hallusim reproduce [--preset quick|paper] [--jobs N] [--out DIR]``
    Every experiment.
``hallusim score FILE ...``
    Score graded evaluation results (see :mod:`hallusim.evallogs`).
``hallusim floor ...``
    Theorem 2's error floor of a training set (see :mod:`hallusim.floor`).
``hallusim ngram fit TEXT --order N --arpa OUT``
    An n-gram model of a text file, written as ARPA (see :mod:`hallusim.ngram`).

Every sweep's rows are also appended, as they complete, to a JSON Lines file under
``DIR/results/sweeps/`` (one folder per experiment and configuration); running the same command
again resumes from it (``--fresh`` recomputes everything). Bad input ends with a one-line
``hallusim: error: ...`` on standard error and exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import re
import signal
import sys

from hallusim._inputs import os_error_message
from hallusim.cli._common import ENVIRONMENT_HELP, Parser, one_line
from hallusim.runs import Terminated, terminate_as_interrupt  # lazy: imports hallusim.runs._signals only

__all__ = ["main", "build_parser"]

# the module of hallusim.cli that registers each command, in the order of ``hallusim --help``
_MODULE_OF_COMMAND = {"list": "_experiments", "run": "_experiments", "reproduce": "_experiments", "score": "_score",
                      "floor": "_floor", "ngram": "_ngram"}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The ``hallusim`` argument parser.

    Parameters
    ----------
    command : str, optional
        A command name: only the module registering it is imported (``hallusim ngram fit`` then
        does not import the experiments and the evaluation-log readers). Default: every command.

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = Parser(
        prog="hallusim",
        description="Simulate and measure why language models hallucinate: run the experiments "
        "that regenerate the figures and tables of Kalai, Nachum, Vempala & Zhang (2025).",
        epilog=ENVIRONMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    names = [_MODULE_OF_COMMAND[command]] if command in _MODULE_OF_COMMAND else _MODULE_OF_COMMAND.values()
    for name in dict.fromkeys(names):
        importlib.import_module(f"hallusim.cli.{name}").add_parsers(commands)
    return parser


# --------------------------------------------------------------------------------------------
# Entry points


def _option_spelling(message: str, parser, args) -> str:
    """A message about parameter ```x_y``` names the option ``--x-y`` when the command has one, so
    that an error raised below the command line speaks of what the user typed."""
    match = re.match(r"`([a-z][a-z0-9_]*)`", message)
    if not match:
        return message
    option = "--" + match.group(1).replace("_", "-")
    func = getattr(args, "func", None)
    subparsers = [action.choices for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    while subparsers:  # the command's own parser (`ngram fit` is one level further down)
        for sub in subparsers.pop().values():
            if sub.get_default("func") is func and option in sub._option_string_actions:
                return f"`{option}`" + message[match.end():]
            subparsers += [a.choices for a in sub._actions if isinstance(a, argparse._SubParsersAction)]
    return message


def _dispatch(parser, argv) -> int:
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error already reported in one line
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    try:
        with terminate_as_interrupt():
            return int(args.func(args) or 0)
    except ValueError as exc:
        print(f"hallusim: error: {_option_spelling(one_line(exc), parser, args)}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader of standard output went away (`hallusim list | head -1`)
        sys.stderr.close()
        return 0
    except OSError as exc:
        print(f"hallusim: error: {one_line(os_error_message(exc))}", file=sys.stderr)
        return 2
    except MemoryError as exc:
        detail = f" ({one_line(exc)})" if str(exc) else ""
        print(f"hallusim: error: out of memory{detail}; choose smaller sizes", file=sys.stderr)
        return 2
    except RuntimeError as exc:
        experiments = sys.modules.get("hallusim.experiments")  # imported by whatever can raise ExperimentError
        if experiments is None or not isinstance(exc, experiments.ExperimentError):
            raise
        print(f"hallusim: error: {one_line(exc)}", file=sys.stderr)
        return 1
    except Terminated:
        print("hallusim: terminated (SIGTERM); run the same command again to resume", file=sys.stderr)
        return 128 + signal.SIGTERM
    except KeyboardInterrupt:
        print("hallusim: interrupted; run the same command again to resume", file=sys.stderr)
        return 130


def main(argv=None) -> int:
    """Entry point of the ``hallusim`` command.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 on success, 2 after a one-line error message (bad arguments, presets,
        files, sizes that do not fit in memory), 130 when interrupted (Ctrl-C), 143 when ended by
        SIGTERM (a scheduler); either way a sweep records "interrupted" and resumes when run again.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    return _dispatch(build_parser(argv[0] if argv else None), argv)
