"""The ``hallusim floor`` subcommand: Theorem 2's hallucination floor of a training set.

``hallusim floor FILE [--format auto|counts|table|pairs] [--text --context-order k]
[--total-examples N] [--forecast T,...] [--target-floor x] [--max-error 0.1] [--min-errors 364]
[--max-errors L] [--gamma 0.01] [--idk-token IDK] [--idk-examples K] [--no-check-keys]
[--confidence 1.96] [--json] [--plot PATH]``

All logic lives in :mod:`hallusim.floor`; this module parses arguments and prints. Bad input
raises ``ValueError`` (the ``hallusim`` command turns it into a one-line message and exit status
2); a plot that cannot be written gives an error starting with ``--plot PATH:``. Output is printed
only after the whole file has been read and the plot written.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from hallusim._inputs import check_count
from hallusim._validation import check_float, check_gamma, check_int
from hallusim.floor import (
    MAX_CONTEXT_ORDER,
    DEFAULT_MAX_ERROR,
    DEFAULT_MIN_ERRORS,
    FORMATS,
    floor_from_file,
    forecast_floor,
)

__all__ = ["add_parsers", "run"]


def add_parsers(subparsers) -> None:
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
    parser.add_argument("--text", action="store_true",
                        help="read FILE as running text: each (context of k tokens -> next token) pair is a fact "
                        "(a missing-mass estimate, not Theorem 2's floor on arbitrary facts)")
    parser.add_argument("--context-order", dest="context_order", type=int, default=None, metavar="K",
                        help="tokens of context for --text (default 1)")
    parser.add_argument("--total-examples", dest="total_examples", type=int, default=None, metavar="N",
                        help="answered examples of the whole training set, for a frequency table that omits its "
                        "most frequent items")
    parser.add_argument("--forecast", default=None, metavar="T,...",
                        help="forecast sr and the floor at t*N examples for each t (e.g. 0.5,2,5): exact "
                        "subsampling for t < 1, (smoothed) Good-Toulmin for t > 1, refused beyond the guarantee")
    parser.add_argument("--target-floor", dest="target_floor", type=float, default=None, metavar="X",
                        help="about how much data for a singleton rate (floor) of X, or out of the estimators' reach")
    parser.add_argument("--max-error", dest="max_error", type=float, default=DEFAULT_MAX_ERROR,
                        help="normalised RMS error the smoothed Good-Toulmin guarantee must keep; sets the "
                        "forecast's reach (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument("--plot", metavar="PATH",
                        help="write the log-log frequency-of-frequencies plot with the SGT line (PATH.png and PATH.pdf); "
                        "with --forecast or --target-floor also the forecast curve and its band (PATH_forecast.png, .pdf)")
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
    check_float("--max-error", args.max_error, low=0.0, high=1.0, low_open=True, high_open=True)
    if args.total_examples is not None:
        check_count("--total-examples", args.total_examples, minimum=1)
    if args.target_floor is not None:
        check_float("--target-floor", args.target_floor, low=0.0, high=1.0)
    if args.context_order is not None and not args.text:
        raise ValueError(f"--context-order must be given with --text; got --context-order {args.context_order} "
                         "without --text.")
    if args.text and args.format != "auto":
        raise ValueError(f"--format must be omitted with --text (running text has no columns); got {args.format}.")
    ts = _ratios(args.forecast)
    context = (1 if args.context_order is None else check_int("--context-order", args.context_order, minimum=0,
                                                              maximum=MAX_CONTEXT_ORDER)) \
        if args.text else None
    report = floor_from_file(
        args.file, format=args.format, idk_token=args.idk_token, check_keys=args.check_keys,
        idk_examples=args.idk_examples, total_examples=args.total_examples, context_order=context,
        min_errors=args.min_errors, max_errors=args.max_errors, gamma=args.gamma, confidence=args.confidence,
    )
    forecasts = None
    if ts or args.target_floor is not None:
        forecasts = forecast_floor(report.counts, ts, min_errors=args.min_errors, gamma=args.gamma,
                                   max_error=args.max_error, target_floor=args.target_floor)
    if args.plot:
        _plot(report, args.plot, str(args.file), forecasts)
    for warning in report.warnings:
        sys.stderr.write(f"hallusim floor: warning: {warning}\n")
    if args.json:
        payload = report.to_dict()
        if forecasts is not None:
            payload["forecast"] = forecasts.to_dict()
        text = json.dumps(payload, allow_nan=False)
    else:
        text = report.to_text() + ("\n" + forecasts.to_text() if forecasts is not None else "")
    sys.stdout.write(text + "\n")
    return 0


def _ratios(text):
    """The ``--forecast`` list ``"0.5,2,5"`` as floats (each > 0)."""
    if text is None:
        return []
    values = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            value = float("nan")
        if not (value > 0 and value < float("inf")):
            raise ValueError(f"--forecast must be a comma-separated list of ratios t > 0 (e.g. 0.5,2,5); got {text!r}.")
        values.append(value)
    return values


def _plot(report, path, title, forecasts=None) -> None:
    """Write the frequency-of-frequencies plot (and the forecast curve); errors start with ``--plot PATH:``."""
    # deferred: matplotlib only for --plot
    from hallusim.plotting.floors import plot_forecast, plot_frequency_of_frequencies

    sgt = report.sgt
    fit = {"r": report.counts.r, "n_r": report.counts.n_r}
    if sgt is not None:
        fit.update(z=sgt.z, intercept=sgt.intercept, slope=sgt.slope, switch_r=sgt.switch_r,
                   slope_valid=sgt.slope_valid)
    try:
        plot_frequency_of_frequencies(fit, path, title=title)
        if forecasts is not None:
            top = max([forecasts.t_max] + [row.t for row in forecasts.rows if not row.refused])
            grid = np.unique(np.concatenate([np.geomspace(0.05, 1.0, 60)[:-1],
                                             np.geomspace(1.0001, top, 60)]))
            curve = forecast_floor(report.counts, grid.tolist(), min_errors=report.min_errors, gamma=report.gamma,
                                   max_error=forecasts.max_error).rows
            plot_forecast(curve, f"{path}_forecast", points=forecasts.rows, title=title,
                          singleton_rate=report.singleton_rate, t_max=forecasts.t_max)
    except (OSError, ValueError, RuntimeError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise ValueError(f"--plot {path}: {reason}") from None
