"""The ``hallusim score`` subcommand: score one or several evaluation logs under confidence targets.

``hallusim score FILE... [--format auto|table|inspect|lm-eval|helm|simple-evals]
[--labels simpleqa|inspect] [--unscored error|abstain|incorrect|drop] [--id COL] [--outcome COL]
[--confidence COL] [--scorer NAME] [--score-key KEY] [--epochs separate|majority] [--filter NAME]
[--metric NAME] [--targets 0,0.5,0.75,0.9] [--group-by COLUMN] [--bins N]
[--binning equal-width|equal-mass|helm] [--bin-closed right|left] [--names A,B]
[--bootstrap N] [--seed S] [--level L] [--plot PATH] [--json]``

All logic lives in :mod:`hallusim.evallogs`; this module only parses arguments and prints. Bad
input raises ``ValueError`` (the ``hallusim`` command turns it into a one-line message and exit
status 2). Output goes to standard output only after every file has been read and scored, so
nothing is half-written.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from hallusim._validation import fail
from hallusim.evallogs import (
    DEFAULT_TARGETS,
    FORMATS,
    LABELS,
    UNSCORED_POLICIES,
    check_bins,
    compare_results,
    read_results,
    risk_coverage_curve,
    score_results,
)

__all__ = ["add_parsers", "run", "parse_targets"]


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


def _count(text: str) -> int:
    """An ``int`` option parsed without argparse's int() (whose errors do not name big values well)."""
    text = text.strip()
    if not text.lstrip("+-").isdigit() or len(text) > 30:
        raise ValueError(text)
    return int(text)


def add_parsers(subparsers) -> None:
    """Register the ``score`` subcommand on an ``argparse`` subparsers object.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        The ``hallusim`` command's subparsers.
    """
    parser = subparsers.add_parser(
        "score",
        help="score evaluation logs under binary grading and confidence targets; compare models",
        description=(
            "Score graded evaluation results: a table (CSV/TSV/JSON Lines with id, outcome, optional "
            "confidence), an Inspect AI log (.eval/.json; needs inspect-ai), an lm-evaluation-harness "
            "samples_*.jsonl, a HELM per_instance_stats.json or a simple-evals _allresults.json; FILE may "
            "be '-' (standard input) and gzip-compressed. Reports, per confidence target t, the score "
            "under 'correct 1, wrong -t/(1-t), IDK 0', answer rate, accuracy among answered and error "
            "rate; SimpleQA's metrics; with confidences, risk-coverage, AURC and ECE. With several FILEs "
            "(one per model): scores and ranks per target on the common items, the exact targets t* "
            "where the ranking changes, and paired-bootstrap intervals."
        ),
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="results file(s), one per model; '-' reads standard input")
    parser.add_argument("--format", choices=FORMATS, default="auto", help="the tool that wrote FILE (default: %(default)s, recognised from the content)")
    parser.add_argument("--labels", choices=LABELS, help="meaning of bare letters in a table's outcome column: simpleqa "
                        "(A correct, B incorrect, C not attempted) or inspect (C correct, I incorrect, N no answer, P partial)")
    parser.add_argument("--unscored", choices=UNSCORED_POLICIES, default="error", help="items without a binary outcome "
                        "(missing, NaN, partial credit, simple-evals' 'not correct'): refuse, count as abstentions or as "
                        "wrong, or leave out; the number is reported (default: %(default)s)")
    parser.add_argument("--id", dest="id_column", metavar="COL", help="tables: the id column (default id; dotted path into JSON)")
    parser.add_argument("--outcome", dest="outcome_column", metavar="COL", help="tables: the outcome column (default outcome), e.g. grade_letter")
    parser.add_argument("--confidence", dest="confidence_column", metavar="COL", help="tables: the confidence column (default confidence)")
    parser.add_argument("--scorer", help="Inspect: the scorer whose value is the outcome (needed if the log has several)")
    parser.add_argument("--score-key", dest="score_key", metavar="KEY", help="Inspect: the part of a dict-valued score that is the outcome")
    parser.add_argument("--epochs", choices=("separate", "majority"), default="separate",
                        help="Inspect: each epoch an item (id@epoch), or one item per sample with its most frequent outcome (default: %(default)s)")
    parser.add_argument("--filter", dest="filter_name", metavar="NAME", help="lm-eval: the filter to read (default 'none', or the only one)")
    parser.add_argument("--metric", help="lm-eval: the 0/1 per-document metric (default: the first 0/1 metric)")
    parser.add_argument("--targets", default=",".join(f"{t:g}" for t in DEFAULT_TARGETS),
                        help="comma-separated confidence targets in [0, 1) (default: %(default)s)")
    parser.add_argument("--group-by", dest="group_by", metavar="COLUMN", help="also report per value of this column (one FILE)")
    parser.add_argument("--bins", default="10", help="bins of the ECE, at most max(10, number of items) (default: %(default)s)")
    parser.add_argument("--binning", choices=("equal-width", "equal-mass", "helm"), default="equal-width",
                        help="ECE bins of equal width, of equal numbers of items, or HELM's equal-mass bins cut at midpoints "
                        "(ties never split; as HELM's ece_10_bin) (default: %(default)s)")
    parser.add_argument("--bin-closed", dest="bin_closed", choices=("right", "left"), default="right",
                        help="equal-width bins: a confidence on an edge k/B (e.g. 0.9) joins the bin below it "
                        "((k-1)/B, k/B] as in Guo et al. 2017 and scikit-learn ('right', the default) or the bin "
                        "above it [k/B, (k+1)/B) ('left')")
    parser.add_argument("--names", help="several FILEs: comma-separated model names (default: the file names)")
    parser.add_argument("--bootstrap", default="1000", help="several FILEs: paired bootstrap resamples, 0 for none (default: %(default)s)")
    parser.add_argument("--seed", default="0", help="seed of the bootstrap (default: %(default)s)")
    parser.add_argument("--level", default="0.95", help="coverage of the bootstrap intervals (default: %(default)s)")
    parser.add_argument("--plot", metavar="PATH", help="write PATH.png and PATH.pdf: score against t per model (with "
                        "intervals and crossovers), and with confidences the reliability diagram and risk-coverage curve")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.set_defaults(func=run)


def _int_option(name, text, minimum, maximum=None):
    try:
        value = _count(text)
    except ValueError:
        fail(name, "an integer" + (f" from {minimum} to {maximum}" if maximum else f" >= {minimum}"), f"<{text[:40]}{'...' if len(text) > 40 else ''}>")
    if value < minimum or (maximum is not None and value > maximum):
        fail(name, "an integer" + (f" from {minimum} to {maximum}" if maximum else f" >= {minimum}"), f"<{text[:40]}{'...' if len(text) > 40 else ''}>")
    return value


def _read_options(args) -> dict:
    columns = {key: value for key, value in (("id", args.id_column), ("outcome", args.outcome_column),
                                             ("confidence", args.confidence_column)) if value is not None}
    return {"format": args.format, "labels": args.labels, "unscored": args.unscored, "columns": columns or None,
            "scorer": args.scorer, "score_key": args.score_key, "epochs": args.epochs, "filter_name": args.filter_name,
            "metric": args.metric}


def _calibration_panels(reports, results, names):
    reliability, risk = {}, {}
    for name, report, res in zip(names, reports, results):
        if report.calibration is not None:
            reliability[name] = report.calibration
            keep = res.answered
            risk[name] = risk_coverage_curve(res.confidence[keep], res.correct[keep])
    return reliability, risk


def _plot(path, comparison, curve, reliability, risk, level) -> None:
    # deferred: matplotlib only for --plot
    from hallusim.plotting.evallogs import plot_score_comparison

    try:
        plot_score_comparison(curve, comparison.crossovers if comparison else [], path, reliability=reliability or None,
                              risk_coverage=risk or None, level=level)
    except (OSError, ValueError, RuntimeError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise ValueError(f"--plot {path}: {reason}") from None


def run(args) -> int:
    """Score ``args.files`` (compare them if several) and print the report; return the exit status (0).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed ``score`` options.

    Returns
    -------
    int
    """
    targets = parse_targets(args.targets)
    bins = _int_option("--bins", args.bins, 1)
    n_resamples = _int_option("--bootstrap", args.bootstrap, 0, 1_000_000)
    seed = _int_option("--seed", args.seed, 0)
    try:
        level = float(args.level)
    except ValueError:
        level = -1.0
    if not 0.0 < level < 1.0:
        fail("--level", "a number in (0, 1), e.g. 0.95", args.level)
    if args.files.count("-") > 1:
        fail("FILE", "'-' (standard input) at most once", "<'-' given more than once>")
    if len(args.files) > 1 and args.group_by is not None:
        fail("--group-by", "used with one FILE only", args.group_by)
    names = [Path(f).name if f != "-" else "<stdin>" for f in args.files] if args.names is None else args.names.split(",")
    if len(names) != len(args.files) or len(set(names)) != len(names) or not all(n.strip() for n in names):
        fail("--names", f"{len(args.files)} distinct, non-empty comma-separated names (one per FILE)",
             repr(args.names) if args.names is not None else ",".join(names))
    options = _read_options(args)
    results = [read_results(f, group_by=args.group_by, **options) for f in args.files]
    for res in results:
        check_bins("--bins", bins, len(res))
    ece = {"n_bins": bins, "binning": args.binning.replace("-", "_"), "closed": args.bin_closed}
    reports = [score_results(res, targets=targets, **ece) for res in results]
    comparison = None
    if len(results) > 1:
        comparison = compare_results(results, names=names, targets=targets, n_resamples=n_resamples, seed=seed, level=level)
    if args.plot:
        grid = np.linspace(0.0, 0.9, 91)
        alone = comparison or compare_results(results, names=names, targets=targets, n_resamples=n_resamples, seed=seed, level=level)
        curve = alone.curve(grid)
        reliability, risk = _calibration_panels(reports, results, names)
        _plot(args.plot, comparison, curve, reliability, risk, level)
    if args.json:
        if comparison is None:
            out = reports[0].to_dict()
        else:
            out = {"comparison": comparison.to_dict(), "reports": {n: r.to_dict() for n, r in zip(names, reports)}}
        text = json.dumps(out, allow_nan=False)
    elif comparison is None:
        text = reports[0].to_text()
    else:
        text = comparison.to_text() + "\n\n" + "\n\n".join(r.to_text() for r in reports)
    sys.stdout.write(text + "\n")
    return 0
