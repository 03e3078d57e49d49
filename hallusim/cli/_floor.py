"""The ``hallusim floor`` subcommand: Theorem 2's hallucination floor of a training set.

``hallusim floor FILE [--format auto|counts|table|pairs] [--min-errors 364] [--max-errors L]
[--gamma 0.01] [--idk-token IDK] [--idk-examples K] [--no-check-keys] [--confidence 1.96] [--json]
[--plot PATH]``

All logic lives in :mod:`hallusim.floor`; this module parses arguments and prints. Bad input
raises ``ValueError`` (the ``hallusim`` command turns it into a one-line message and exit status
2); a plot that cannot be written gives an error starting with ``--plot PATH:``. Output is printed
only after the whole file has been read and the plot written.
"""

from __future__ import annotations

import argparse
import json
import sys

from hallusim._inputs import check_count
from hallusim._validation import check_float, check_gamma
from hallusim.floor import DEFAULT_MIN_ERRORS, FORMATS, floor_from_file

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> None:
    """Register the ``floor`` subcommand on an ``argparse`` subparsers object."""
    parser = subparsers.add_parser(
        "floor",
        help="Theorem 2's hallucination floor of a training set, from its counts",
        description=(
            "Estimate, from a training set's counts alone, the error on arbitrary facts that "
            "Theorem 2 forces on a calibrated model trained on it: singleton rate, Good-Turing and "
            "Simple Good-Turing missing mass with confidence intervals, and Theorem 2's lower "
            "bound (delta = 0) and the calibrated learner's upper bound. FILE (CSV, TSV or JSON "
            "Lines, optionally gzip-compressed) holds per-fact counts (key, count[, idk]; keys are "
            "checked to be distinct unless --no-check-keys), a frequency-of-frequencies table (r, "
            "n_r), or training pairs (prompt, response[, count]; IDK responses marked by "
            "--idk-token or a boolean idk column). The 'read as' line says which columns were used."
        ),
    )
    parser.add_argument("file", metavar="FILE", help="counts, table or pairs file; - for standard input")
    parser.add_argument("--format", default="auto", choices=FORMATS,
                        help="kind of file (default: detect it from the columns and say what was detected)")
    parser.add_argument("--min-errors", dest="min_errors", type=int, default=DEFAULT_MIN_ERRORS, metavar="M",
                        help="min_c |E_c|, the wrong answers per prompt (default: %(default)s, as for birthdays)")
    parser.add_argument("--max-errors", dest="max_errors", type=int, default=None, metavar="L",
                        help="L = max_c |E_c| for the upper bound (default: --min-errors)")
    parser.add_argument("--gamma", type=float, default=0.01,
                        help="failure probability of each bound and interval (default: %(default)s)")
    parser.add_argument("--idk-token", dest="idk_token", default="IDK",
                        help="response text that marks an IDK example in pairs files (default: %(default)s)")
    parser.add_argument("--idk-examples", dest="idk_examples", type=int, default=None, metavar="K",
                        help="the training set's IDK examples, for files that cannot list them (a table, counts "
                        "without an IDK column); without it the report says 'IDK: not given' and which figures "
                        "assume there were none")
    parser.add_argument("--check-keys", dest="check_keys", action=argparse.BooleanOptionalAction, default=True,
                        help="counts files: check that no key repeats, since a repeated key changes the singleton "
                        "count (default: on; costs about 20 bytes of memory per row; --no-check-keys skips it)")
    parser.add_argument("--confidence", type=float, default=1.96,
                        help="Simple Good-Turing switch multiplier (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument("--plot", metavar="PATH",
                        help="write the log-log frequency-of-frequencies plot with the SGT line (PATH.png and PATH.pdf)")
    parser.set_defaults(func=run)


def run(args) -> int:
    """Compute the floor report of ``args.file``, print it, optionally plot; return 0.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options of the ``floor`` subcommand.

    Returns
    -------
    int
        0 (errors are raised as ``ValueError``).
    """
    # The options are checked before the (possibly long) read of the file.
    check_count("--min-errors", args.min_errors, minimum=1)
    if args.max_errors is not None:
        check_count("--max-errors", args.max_errors, minimum=args.min_errors)
    if args.idk_examples is not None:
        check_count("--idk-examples", args.idk_examples, minimum=0)
    check_gamma("--gamma", args.gamma)
    check_float("--confidence", args.confidence, low=0.0)
    report = floor_from_file(
        args.file, format=args.format, idk_token=args.idk_token, check_keys=args.check_keys,
        idk_examples=args.idk_examples, min_errors=args.min_errors, max_errors=args.max_errors, gamma=args.gamma,
        confidence=args.confidence,
    )
    if args.plot:
        _plot(report, args.plot, str(args.file))
    if args.json:
        text = json.dumps(report.to_dict(), allow_nan=False)
    else:
        text = report.to_text()
    sys.stdout.write(text + "\n")
    return 0


def _plot(report, path, title) -> None:
    """Write the frequency-of-frequencies plot; its errors start with ``--plot PATH:``."""
    # deferred: matplotlib only for --plot
    from hallusim.plotting.floors import plot_frequency_of_frequencies

    sgt = report.sgt
    fit = {"r": report.counts.r, "n_r": report.counts.n_r}
    if sgt is not None:
        fit.update(z=sgt.z, intercept=sgt.intercept, slope=sgt.slope, switch_r=sgt.switch_r,
                   slope_valid=sgt.slope_valid)
    try:
        plot_frequency_of_frequencies(fit, path, title=title)
    except (OSError, ValueError, RuntimeError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise ValueError(f"--plot {path}: {reason}") from None
