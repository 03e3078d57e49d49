"""Scoring real evaluation results under binary grading and explicit confidence targets.

Input: graded items from any file :func:`read_results` reads (tables, Inspect, lm-eval, HELM,
simple-evals logs) or from arrays (:func:`score_results`). A table's columns (names are
case-sensitive and may be renamed with ``columns``; other columns are ignored; a column that is
read may appear only once):

``id`` (required)
    A non-empty identifier, unique in the file.
``outcome``
    ``correct`` / ``incorrect`` / ``abstain`` (case-insensitive; ``idk``, ``not_attempted``,
    ``not attempted`` are abstentions), or bare letters under an explicit ``labels``: SimpleQA's
    ``A`` / ``B`` / ``C`` or Inspect's ``C`` / ``I`` / ``N`` / ``P``. A missing, NaN or partial
    outcome is unscored and follows the ``unscored`` policy of :func:`read_results`.
``is_correct``, ``is_incorrect``, ``is_not_attempted``
    SimpleQA's booleans (``true``/``false``, ``1``/``0``, ``yes``/``no``; JSON booleans or 0/1),
    exactly one true per row. Needed when there is no ``outcome`` column; when both are given,
    the booleans rule, ``outcome`` may be left empty, and where it is filled in it must agree.
``confidence`` (optional)
    The model's stated probability in [0, 1] that its answer is correct (a plain decimal
    number). If the column exists, every answered row needs a value; abstentions may leave it
    empty.
a grouping column (optional, named by ``group_by``)
    E.g. ``subject``: every metric is also reported per group.

Output (:class:`ScoreReport`): for each confidence target ``t`` the score under the grader
"correct 1, wrong −t/(1 − t), IDK 0" (:func:`hallusim.posttraining.grading.target_grader`; ``t = 0`` is
accuracy), the answer rate, the accuracy among answered items and the error rate (wrong answers
over all items, the hallucination rate), all from :func:`hallusim.posttraining.grading.response_rates`;
SimpleQA's metrics (correct, incorrect, not attempted, accuracy given attempted, F1 = harmonic
mean of correct and accuracy given attempted; as in OpenAI's simple-evals, accuracy given
attempted is 0, not undefined, when nothing is attempted, and F1 is 0 when both are 0); and with
confidences, the risk–coverage table (what each target's grader would have given had the model
answered only when its confidence exceeded ``t``), the area under the risk–coverage curve of the
answered items (:func:`risk_coverage_curve`) and their expected calibration error
(:func:`hallusim.posttraining.calibration.expected_calibration_error`, binary variant, equal-width bins closed
on the right by default).

A bad row raises :class:`ResultsFileError` (a ``ValueError``) naming the file, the line and the
field. Files are read whole into memory (see :func:`read_results`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hallusim._validation import (
    check_binary_outcomes,
    check_choice,
    check_int,
    check_targets,
    fail,
)
from hallusim.bounds import confidence_penalty
from hallusim.evallogs._items import GradedResults
from hallusim.evallogs._read import parse_outcomes, read_results
from hallusim.posttraining.calibration import (
    BINNINGS,
    CLOSED,
    ReliabilityDiagram,
    expected_calibration_error,
)
from hallusim.posttraining.grading import response_rates, target_grader

__all__ = ["DEFAULT_TARGETS", "score_results", "RiskCoverageCurve", "risk_coverage_curve", "ScoreReport"]

DEFAULT_TARGETS = (0.0, 0.5, 0.75, 0.9)


def _from_arrays(outcomes, confidence, groups, labels) -> GradedResults:
    answered, correct = parse_outcomes(outcomes, labels)
    conf = None
    if confidence is not None:
        try:
            conf = np.asarray(confidence, dtype=np.float64)
        except (TypeError, ValueError):
            fail("confidence", f"an array of {answered.size} numbers in [0, 1]", "<a ragged or non-numeric sequence>")
        if conf.shape != answered.shape:
            fail("confidence", f"an array of length {answered.size} (one per outcome)", f"<an array of shape {conf.shape}>")
        ok = np.where(answered, (conf >= 0) & (conf <= 1), np.isnan(conf) | ((conf >= 0) & (conf <= 1)))
        if not ok.all():
            index = int(np.flatnonzero(~ok)[0])
            fail("confidence", "in [0, 1] (NaN allowed only on abstentions)", f"<{float(conf[index])!r} at index {index}>")
    if groups is not None:
        if isinstance(groups, (str, bytes)):
            fail("groups", f"a sequence of {answered.size} group labels", groups)
        groups = np.asarray([str(g) for g in groups])
        if groups.shape != answered.shape:
            fail("groups", f"an array of length {answered.size} (one per outcome)", f"<an array of shape {groups.shape}>")
    return GradedResults([str(i) for i in range(answered.size)], answered, correct, conf, groups)


@dataclass(frozen=True)
class RiskCoverageCurve:
    """Selective prediction: answer only the items whose confidence exceeds ``t``, for every ``t``.

    Attributes
    ----------
    thresholds : ndarray
        Descending. Operating point ``k`` answers the items with confidence ``> thresholds[k]``;
        ``thresholds[k]`` is the next lower distinct confidence, and ``−inf`` for the last
        point (every item answered). Any ``t`` between ``thresholds[k]`` and the lowest
        confidence kept at point ``k`` selects the same items.
    coverage : ndarray
        Fraction of the items answered at each point (increasing, ending at 1).
    risk : ndarray
        Error rate among the items answered at each point.
    aurc : float
        Area under the risk–coverage curve, ``Σ_k risk_k·(coverage_k − coverage_{k−1})``
        (``coverage_{−1} = 0``): the risk averaged over coverage levels, lower is better. With
        distinct confidences it is the AURC of Geifman et al. (2019), ``(1/n) Σ_i risk of the
        i most confident items``; tied confidences enter together, so it does not depend on
        the order of ties.
    """

    thresholds: np.ndarray
    coverage: np.ndarray
    risk: np.ndarray
    aurc: float


def risk_coverage_curve(confidence, correct) -> RiskCoverageCurve:
    """The risk–coverage curve of answered items under "answer iff confidence > t".

    The same rule as every target in this module and in :mod:`hallusim.posttraining.grading` (strictly
    greater than ``t``).

    Parameters
    ----------
    confidence : non-empty 1-D float array in [0, 1]
        Stated confidence of each *answered* item.
    correct : 1-D bool (or 0/1) array of the same length
        Whether each answer was correct.

    Returns
    -------
    RiskCoverageCurve
    """
    conf, right = check_binary_outcomes(confidence, correct, names=("confidence", "correct"))
    order = np.argsort(-conf, kind="stable")
    conf, wrong = conf[order], 1.0 - right[order]
    last = np.flatnonzero(np.append(conf[1:] != conf[:-1], True))  # last index of each tie group
    kept = last + 1
    coverage = kept / conf.size
    risk = np.cumsum(wrong)[last] / kept
    thresholds = np.append(conf[last[1:]], -np.inf)  # next lower distinct confidence
    aurc = float(np.sum(risk * np.diff(coverage, prepend=0.0)))
    return RiskCoverageCurve(thresholds=thresholds, coverage=coverage, risk=risk, aurc=aurc)


@dataclass
class ScoreReport:
    """Scores of one set of graded items (and of each group, if grouped).

    Attributes
    ----------
    source : str
    n, n_correct, n_incorrect, n_abstain : int
    targets : list of dict
        Per target ``t``: ``target``, ``penalty`` (``t/(1 − t)``), ``score``, ``answer_rate``,
        ``accuracy_answered``, ``error_rate`` of the responses as submitted.
    simpleqa : dict
        ``correct``, ``incorrect``, ``not_attempted`` (fractions of all items),
        ``accuracy_given_attempted`` (0 when nothing is attempted, as in simple-evals) and
        ``f1`` (0 when ``correct`` and ``accuracy_given_attempted`` are both 0).
    risk_coverage : list of dict or None
        With confidences: per target ``t``, the same fields as ``targets`` had the model
        answered only the items it answered with confidence > ``t``.
    calibration : ReliabilityDiagram or None
        ECE and bins of the answered items' confidence (None without confidences or answers).
    aurc : float or None
        Area under the risk–coverage curve of the answered items (:func:`risk_coverage_curve`;
        None without confidences or answers).
    groups : dict of str to ScoreReport
    notes : tuple of str
        What the reader chose or could not read (see :class:`GradedResults`).
    """

    source: str
    n: int
    n_correct: int
    n_incorrect: int
    n_abstain: int
    targets: list
    simpleqa: dict
    risk_coverage: list | None
    calibration: ReliabilityDiagram | None
    aurc: float | None = None
    groups: dict = field(default_factory=dict)
    notes: tuple = ()

    def to_dict(self) -> dict:
        """Plain JSON-ready dict (NaN becomes None)."""
        out = {
            "source": self.source,
            "n": self.n,
            "counts": {"correct": self.n_correct, "incorrect": self.n_incorrect, "abstain": self.n_abstain},
            "targets": self.targets,
            "simpleqa": self.simpleqa,
            "risk_coverage": self.risk_coverage,
            "aurc": self.aurc,
            "calibration": None,
            "notes": list(self.notes),
        }
        if self.calibration is not None:
            cal = self.calibration
            out["calibration"] = {
                "ece": cal.ece,
                "max_calibration_error": cal.max_calibration_error,
                "n_answered_with_confidence": cal.n,
                "n_bins": int(cal.counts.size),
                "binning": cal.binning,
                "closed": cal.closed,
                "bins": cal.rows(),
            }
        if self.groups:
            out["groups"] = {name: report.to_dict() for name, report in self.groups.items()}
        return _json_ready(out)

    def to_text(self) -> str:
        """A human-readable summary."""
        lines = [f"{self.source}: {self.n} items, {self.n_correct} correct, {self.n_incorrect} incorrect, {self.n_abstain} abstained"]
        lines += [f"note: {note}" for note in self.notes]
        lines += _text_block(self)
        for name, report in self.groups.items():
            lines += ["", f"group {name}: {report.n} items"] + ["  " + line for line in _text_block(report)]
        return "\n".join(lines)


def _fmt(x) -> str:
    return "   n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:6.3f}"


def _table(rows) -> list:
    lines = ["     t  penalty   score  answered  acc|answered  error rate"]
    for r in rows:
        lines.append(
            f"  {r['target']:4.2f}  {r['penalty']:7.3g}  {_fmt(r['score'])}    {_fmt(r['answer_rate'])}        "
            f"{_fmt(r['accuracy_answered'])}      {_fmt(r['error_rate'])}"
        )
    return lines


def _text_block(report) -> list:
    s = report.simpleqa
    lines = ["score per confidence target (correct 1, wrong -t/(1-t), IDK 0):"] + _table(report.targets)
    lines.append(
        f"SimpleQA: correct {_fmt(s['correct'])}, incorrect {_fmt(s['incorrect'])}, not attempted "
        f"{_fmt(s['not_attempted'])}, accuracy given attempted {_fmt(s['accuracy_given_attempted'])}, F1 {_fmt(s['f1'])}"
    )
    if report.risk_coverage is not None:
        lines += ["answering only when confidence > t (risk-coverage):"] + _table(report.risk_coverage)
    if report.aurc is not None:
        lines.append(f"area under the risk-coverage curve (AURC) of the answered items {_fmt(report.aurc)}")
    if report.calibration is not None:
        c = report.calibration
        closed = f", closed on the {c.closed}" if c.closed is not None else ""
        lines.append(f"ECE {_fmt(c.ece)} ({c.counts.size} {c.binning.replace('_', '-')} bins{closed}, {c.n} answered items)")
    return lines


def _json_ready(value):
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def _target_row(t, answered, correct) -> dict:
    rates = response_rates(answered.size, int(answered.sum()), int((answered & correct).sum()), target_grader(t))
    return {
        "target": t,
        "penalty": confidence_penalty(t),
        "score": rates["score"],
        "answer_rate": rates["answer_rate"],
        "accuracy_answered": rates["accuracy_answered"],
        "error_rate": rates["error_rate"],
    }


def _simpleqa(answered, correct) -> dict:
    # OpenAI simple-evals (simpleqa_eval.py): 0 rather than undefined when nothing is attempted.
    n = answered.size
    c = float((answered & correct).sum()) / n
    i = float((answered & ~correct).sum()) / n
    given = c / (c + i) if c + i > 0 else 0.0
    f1 = 2.0 * given * c / (given + c) if given + c > 0 else 0.0
    return {"correct": c, "incorrect": i, "not_attempted": float((~answered).sum()) / n, "accuracy_given_attempted": given, "f1": f1}


def _report(results: GradedResults, targets, ece_options) -> ScoreReport:
    answered, correct = results.answered, results.correct
    risk_coverage = calibration = aurc = None
    if results.confidence is not None:
        conf = results.confidence
        risk_coverage = [_target_row(t, answered & (conf > t), correct) for t in targets]
        if answered.any():
            calibration = expected_calibration_error(conf[answered], correct[answered], variant="binary", **ece_options)
            aurc = risk_coverage_curve(conf[answered], correct[answered]).aurc
    return ScoreReport(
        source=results.source,
        n=len(results),
        n_correct=int((answered & correct).sum()),
        n_incorrect=int((answered & ~correct).sum()),
        n_abstain=int((~answered).sum()),
        targets=[_target_row(t, answered, correct) for t in targets],
        simpleqa=_simpleqa(answered, correct),
        risk_coverage=risk_coverage,
        calibration=calibration,
        aurc=aurc,
        notes=results.notes,
    )


def check_bins(name: str, n_bins: int, n_items: int) -> int:
    """Refuse more ECE bins than ``max(10, n_items)`` (bins beyond the items are empty; memory is bounded by the input).

    Parameters
    ----------
    name : str
        The option's name for the message (``n_bins`` or ``--bins``).
    n_bins, n_items : int

    Returns
    -------
    int
    """
    limit = max(10, n_items)
    n_bins = check_int(name, n_bins, minimum=1)
    if n_bins > limit:
        fail(name, f"an integer from 1 to {limit} (at most max(10, the number of items, {n_items}))", n_bins)
    return n_bins


def _refuse(name, value, allowed):
    if value is not None:
        fail(name, allowed, value if isinstance(value, str) else f"<a {type(value).__name__}>")


def score_results(
    data, *, confidence=None, groups=None, group_by: str | None = None, targets=DEFAULT_TARGETS,
    n_bins: int = 10, binning: str = "equal_width", closed: str = "right", labels: str | None = None,
    read_options=None,
) -> ScoreReport:
    """Score graded evaluation results under binary grading and explicit confidence targets.

    Parameters
    ----------
    data : str, Path, GradedResults or sequence of str
        A results file (see :func:`read_results`), already-read results, or outcome labels.
    confidence : array, optional
        Only with outcome labels: stated confidence per item (NaN allowed on abstentions).
    groups : sequence, optional
        Only with outcome labels: a group label per item.
    group_by : str, optional
        Only with a file: the name of its grouping column.
    targets : non-empty sequence of float in [0, 1), optional
        Confidence targets ``t`` (default 0, 0.5, 0.75, 0.9).
    n_bins : int, optional
        Bins of the ECE (default 10); at most ``max(10, number of items)`` (more bins than
        items can hold nothing more, and would only cost memory).
    binning : {"equal_width", "equal_mass", "helm"}, optional
        Bins of the ECE (default equal width; ``helm``: HELM's ``ece_10_bin`` binning, see
        :mod:`hallusim.posttraining.calibration`).
    closed : {"right", "left"}, optional
        Equal-width bins: which bin holds a confidence on an edge ``k/B`` (default ``"right"``,
        as Guo et al. 2017; see :mod:`hallusim.posttraining.calibration`).
    labels : {"simpleqa", "inspect"}, optional
        The meaning of bare letters in outcome labels or a table's outcome column.
    read_options : dict, optional
        Only with a file: further keywords of :func:`read_results` (``format``, ``unscored``,
        ``columns``, ``scorer``, ``score_key``, ``epochs``, ``filter_name``, ``metric``).

    Returns
    -------
    ScoreReport
    """
    targets = check_targets("targets", targets).tolist()
    ece_options = {
        "n_bins": check_int("n_bins", n_bins, minimum=1),
        "binning": check_choice("binning", binning, BINNINGS),
        "closed": check_choice("closed", closed, CLOSED),
    }
    if isinstance(data, (str, Path)):
        _refuse("confidence", confidence, "None when scoring a file (the file holds the confidences)")
        _refuse("groups", groups, "None when scoring a file (name its grouping column with `group_by`)")
        results = read_results(data, group_by=group_by, labels=labels, **(read_options or {}))
    elif isinstance(data, GradedResults):
        _refuse("confidence", confidence, "None when scoring GradedResults (they hold the confidences)")
        _refuse("groups", groups, "None when scoring GradedResults (they hold the groups)")
        _refuse("group_by", group_by, "None when scoring GradedResults (they hold the groups)")
        _refuse("read_options", read_options, "None unless scoring a file")
        results = data
    else:
        _refuse("group_by", group_by, "None when scoring outcome labels (give the labels as `groups`)")
        _refuse("read_options", read_options, "None unless scoring a file")
        results = _from_arrays(data, confidence, groups, labels)
    check_bins("n_bins", ece_options["n_bins"], len(results))
    report = _report(results, targets, ece_options)
    if results.groups is not None:
        for name in sorted(set(results.groups.tolist())):
            report.groups[name] = _report(results.subset(results.groups == name), targets, ece_options)
    return report
