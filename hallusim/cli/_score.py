"""The ``hallusim score`` subcommand: score a file of graded evaluation results.

``hallusim score FILE [--targets 0,0.5,0.75,0.9] [--group-by COLUMN] [--bins N]
[--binning equal-width|equal-mass] [--bin-closed right|left] [--json]``

All logic lives in :mod:`hallusim.evallogs`; this module only parses arguments and prints. Bad
input raises ``ValueError`` (the ``hallusim`` command turns it into a one-line message and exit
status 2). Output goes to standard output only after the whole file has been read and scored,
so nothing is half-written.
"""

from __future__ import annotations

import json
import sys

from hallusim._validation import fail
from hallusim.evallogs import DEFAULT_TARGETS, score_results

__all__ = ["add_parser", "run", "parse_targets"]


def parse_targets(text: str) -> list[float]:
    """Parse ``--targets``: comma-separated floats in [0, 1), e.g. ``0,0.5,0.75,0.9``.

    Parameters
    ----------
    text : str
        The option's value.

    Returns
    -------
    list of float
    """
    allowed = "comma-separated numbers in [0, 1), e.g. 0,0.5,0.75,0.9"
    targets = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            fail("--targets", allowed, text)
        if not 0.0 <= value < 1.0:
            fail("--targets", allowed, text)
        targets.append(value)
    return targets


def add_parser(subparsers) -> None:
    """Register the ``score`` subcommand on an ``argparse`` subparsers object.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        The ``hallusim`` command's subparsers.
    """
    parser = subparsers.add_parser(
        "score",
        help="score graded evaluation results under binary grading and confidence targets",
        description=(
            "Score a CSV or JSON Lines file with one graded item per row (columns: id; outcome "
            "correct/incorrect/abstain or SimpleQA's A/B/C, or is_correct/is_incorrect/"
            "is_not_attempted; optional confidence in [0, 1]). Reports, per confidence target t, "
            "the score under 'correct 1, wrong -t/(1-t), IDK 0', the answer rate, accuracy among "
            "answered and error rate; SimpleQA's metrics; and, with confidences, risk-coverage, AURC and ECE."
        ),
    )
    parser.add_argument("file", metavar="FILE", help="results file (.csv, .tsv, .jsonl)")
    parser.add_argument(
        "--targets",
        default=",".join(f"{t:g}" for t in DEFAULT_TARGETS),
        help="comma-separated confidence targets in [0, 1) (default: %(default)s)",
    )
    parser.add_argument("--group-by", dest="group_by", metavar="COLUMN", help="also report per value of this column")
    parser.add_argument("--bins", type=int, default=10, help="bins of the ECE (default: %(default)s)")
    parser.add_argument(
        "--binning",
        choices=("equal-width", "equal-mass"),
        default="equal-width",
        help="ECE bins of equal width [k/B, (k+1)/B] or of equal numbers of items (default: %(default)s)",
    )
    parser.add_argument(
        "--bin-closed",
        dest="bin_closed",
        choices=("right", "left"),
        default="right",
        help="equal-width bins: a confidence on an edge k/B (e.g. 0.9) joins the bin below it "
        "((k-1)/B, k/B] as in Guo et al. 2017 and scikit-learn ('right', the default) or the bin "
        "above it [k/B, (k+1)/B) ('left')",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.set_defaults(func=run)


def run(args) -> int:
    """Score ``args.file`` and print the report; return the exit status (0).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed ``score`` options.

    Returns
    -------
    int
    """
    if args.bins < 1:
        fail("--bins", "an integer >= 1", args.bins)
    report = score_results(
        args.file,
        group_by=args.group_by,
        targets=parse_targets(args.targets),
        n_bins=args.bins,
        binning=args.binning.replace("-", "_"),
        closed=args.bin_closed,
    )
    if args.json:
        text = json.dumps(report.to_dict(), allow_nan=False)
    else:
        text = report.to_text()
    sys.stdout.write(text + "\n")
    return 0
