"""Scoring real evaluation results under binary grading and explicit confidence targets.

Input: one graded item per row, from a CSV/TSV or JSON Lines file (:func:`read_results`) or from
arrays (:func:`score_results`). Columns (names are case-sensitive; other columns are ignored):

``id`` (required)
    A non-empty identifier, unique in the file.
``outcome``
    ``correct`` / ``incorrect`` / ``abstain`` (case-insensitive; ``idk`` is an abstention), or
    SimpleQA's grades: the letters ``A`` / ``B`` / ``C`` or the names ``CORRECT`` /
    ``INCORRECT`` / ``NOT_ATTEMPTED``.
``is_correct``, ``is_incorrect``, ``is_not_attempted``
    SimpleQA's booleans (``true``/``false``, ``1``/``0``, ``yes``/``no``; JSON booleans or 0/1),
    exactly one true per row. Needed when there is no ``outcome`` column; when both are given,
    the booleans rule, ``outcome`` may be left empty, and where it is filled in it must agree.
``confidence`` (optional)
    The model's stated probability in [0, 1] that its answer is correct. If the column exists,
    every answered row needs a value; abstentions may leave it empty.
a grouping column (optional, named by ``group_by``)
    E.g. ``subject``: every metric is also reported per group.

Output (:class:`ScoreReport`): for each confidence target ``t`` the score under the grader
"correct 1, wrong −t/(1 − t), IDK 0" (:func:`hallusim.grading.target_grader`; ``t = 0`` is
accuracy), the answer rate, the accuracy among answered items and the error rate (wrong answers
over all items, the hallucination rate); SimpleQA's metrics (correct, incorrect, not attempted,
accuracy given attempted, F1 = harmonic mean of correct and accuracy given attempted); and with
confidences, the risk–coverage table (what each target's grader would have given had the model
answered only when its confidence exceeded ``t``) and the expected calibration error of the
answered items (:func:`hallusim.calibration.expected_calibration_error`, binary variant).

A bad row raises :class:`ResultsFileError` (a ``ValueError``) naming the file, the line and the
field.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hallusim._validation import check_float, check_int, fail
from hallusim.bounds import confidence_penalty
from hallusim.calibration import ReliabilityDiagram, expected_calibration_error
from hallusim.grading import target_grader

__all__ = [
    "DEFAULT_TARGETS",
    "ResultsFileError",
    "GradedResults",
    "read_results",
    "parse_outcomes",
    "score_results",
    "risk_coverage_curve",
    "ScoreReport",
]

DEFAULT_TARGETS = (0.0, 0.5, 0.75, 0.9)

CORRECT, INCORRECT, ABSTAIN = "correct", "incorrect", "abstain"
_OUTCOME_WORDS = {
    "correct": CORRECT,
    "a": CORRECT,
    "incorrect": INCORRECT,
    "b": INCORRECT,
    "abstain": ABSTAIN,
    "idk": ABSTAIN,
    "c": ABSTAIN,
    "not_attempted": ABSTAIN,
}
_OUTCOME_ALLOWED = "one of correct, incorrect, abstain (or idk), A, B, C, CORRECT, INCORRECT, NOT_ATTEMPTED"
_FLAG_COLUMNS = {"is_correct": CORRECT, "is_incorrect": INCORRECT, "is_not_attempted": ABSTAIN}
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


class ResultsFileError(ValueError):
    """A results file that cannot be scored; the message names the file, line and field."""


def _where(path, line):
    return f"{path}, line {line}: "


def _bad(path, line, name, allowed, given):
    try:
        fail(name, allowed, given)
    except ValueError as exc:
        raise ResultsFileError(_where(path, line) + str(exc)) from None


@dataclass(frozen=True)
class GradedResults:
    """Graded items read from a file or given as arrays.

    Attributes
    ----------
    ids : list of str
    answered, correct : bool ndarray
        Whether each item was answered, and answered correctly.
    confidence : float ndarray or None
        Stated confidence (NaN where an abstention gave none); None without a confidence column.
    groups : ndarray of str or None
    source : str
        The file path, or ``"<arrays>"``.
    """

    ids: list
    answered: np.ndarray
    correct: np.ndarray
    confidence: np.ndarray | None
    groups: np.ndarray | None
    source: str = "<arrays>"

    def __len__(self) -> int:
        return self.answered.size

    def subset(self, mask) -> GradedResults:
        """The items where ``mask`` is True.

        Parameters
        ----------
        mask : bool array

        Returns
        -------
        GradedResults
        """
        mask = np.asarray(mask, dtype=bool)
        return GradedResults(
            ids=[i for i, keep in zip(self.ids, mask) if keep],
            answered=self.answered[mask],
            correct=self.correct[mask],
            confidence=None if self.confidence is None else self.confidence[mask],
            groups=None if self.groups is None else self.groups[mask],
            source=self.source,
        )


def _text(value) -> str | None:
    """A cell as stripped text; None for missing (absent, null, empty)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value).strip()
    return text or None


def _parse_outcome(path, line, name, value):
    text = _text(value)
    if text is None or text.lower() not in _OUTCOME_WORDS:
        _bad(path, line, name, _OUTCOME_ALLOWED, "<a missing value>" if text is None else f"<{text!r}>")
    return _OUTCOME_WORDS[text.lower()]


def _parse_flag(path, line, name, value):
    text = _text(value)
    if text is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
        text = "1" if value == 1 else "0" if value == 0 else text
    if text is not None and text.lower() in _TRUE:
        return True
    if text is not None and text.lower() in _FALSE:
        return False
    _bad(path, line, name, "a boolean (true/false, 1/0, yes/no)", "<a missing value>" if text is None else f"<{text!r}>")


def _parse_confidence(path, line, value):
    text = _text(value)
    if text is None:
        return math.nan
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not (0.0 <= number <= 1.0):
        _bad(path, line, "confidence", "a number in [0, 1]", f"<{text!r}>")
    return number


class _Rows:
    """Accumulates parsed rows and checks each as it arrives."""

    def __init__(self, path, has_outcome, flag_columns, has_confidence, group_by):
        self.path = path
        self.has_outcome = has_outcome
        self.flag_columns = flag_columns
        self.has_confidence = has_confidence
        self.group_by = group_by
        self.ids, self.outcomes, self.confidence, self.groups = [], [], [], []
        self.first_line = {}

    def add(self, line, get):
        path = self.path
        item_id = _text(get("id"))
        if item_id is None:
            _bad(path, line, "id", "a non-empty identifier", "<a missing value>")
        if item_id in self.first_line:
            _bad(path, line, "id", f"unique (already used on line {self.first_line[item_id]})", f"<{item_id!r}>")
        self.first_line[item_id] = line
        outcome = None
        if self.has_outcome and (not self.flag_columns or _text(get("outcome")) is not None):
            outcome = _parse_outcome(path, line, "outcome", get("outcome"))
        if self.flag_columns:
            flags = {name: _parse_flag(path, line, name, get(name)) for name in self.flag_columns}
            if sum(flags.values()) != 1:
                _bad(path, line, "is_correct/is_incorrect/is_not_attempted", "exactly one true", f"<{sum(flags.values())} true>")
            from_flags = next(_FLAG_COLUMNS[name] for name, flag in flags.items() if flag)
            if outcome is not None and outcome != from_flags:
                _bad(path, line, "outcome", f"consistent with the boolean columns ({from_flags})", f"<{outcome}>")
            outcome = from_flags
        if self.has_confidence:
            conf = _parse_confidence(path, line, get("confidence"))
            if math.isnan(conf) and outcome != ABSTAIN:
                _bad(path, line, "confidence", "a number in [0, 1] on every answered row", "<a missing value>")
            self.confidence.append(conf)
        if self.group_by is not None:
            group = _text(get(self.group_by))
            if group is None:
                _bad(path, line, self.group_by, "a non-empty group label", "<a missing value>")
            self.groups.append(group)
        self.ids.append(item_id)
        self.outcomes.append(outcome)

    def results(self) -> GradedResults:
        if not self.ids:
            raise ResultsFileError(f"{self.path}: no graded rows (the file holds a header at most).")
        outcomes = np.array(self.outcomes)
        return GradedResults(
            ids=self.ids,
            answered=outcomes != ABSTAIN,
            correct=outcomes == CORRECT,
            confidence=np.array(self.confidence) if self.has_confidence else None,
            groups=np.array(self.groups) if self.group_by is not None else None,
            source=str(self.path),
        )


def _columns(path, line, names, group_by) -> _Rows:
    names = set(names)
    if "id" not in names:
        _bad(path, line, "id", "a column of the file", f"<columns {', '.join(sorted(names)) or '(none)'}>")
    flags = [name for name in _FLAG_COLUMNS if name in names]
    if "outcome" not in names and len(flags) < len(_FLAG_COLUMNS):
        _bad(
            path, line, "outcome",
            "a column of the file (or all of is_correct, is_incorrect, is_not_attempted)",
            f"<columns {', '.join(sorted(names))}>",
        )
    if group_by is not None and group_by not in names:
        _bad(path, line, group_by, "a column of the file (the grouping column)", f"<columns {', '.join(sorted(names))}>")
    return _Rows(path, "outcome" in names, flags if len(flags) == len(_FLAG_COLUMNS) else [], "confidence" in names, group_by)


def _read_delimited(path, handle, delimiter, group_by) -> GradedResults:
    reader = csv.reader(handle, delimiter=delimiter)
    header = None
    for record in reader:
        if not record or all(not cell.strip() for cell in record):
            continue
        if header is None:
            header = [cell.strip() for cell in record]
            rows = _columns(path, reader.line_num, header, group_by)
            continue
        line = reader.line_num
        if len(record) > len(header):
            _bad(path, line, "row", f"at most {len(header)} fields (the header's)", f"<{len(record)} fields>")
        values = dict(zip(header, record))
        rows.add(line, values.get)
    if header is None:
        raise ResultsFileError(f"{path}: the file is empty (no header, no rows).")
    return rows.results()


def _read_jsonl(path, handle, group_by) -> GradedResults:
    records = []
    for line, text in enumerate(handle, start=1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ResultsFileError(f"{path}, line {line}: not valid JSON ({exc.msg}).") from None
        if not isinstance(record, dict):
            _bad(path, line, "row", "a JSON object", f"<a JSON {type(record).__name__}>")
        records.append((line, record))
    if not records:
        raise ResultsFileError(f"{path}: no graded rows (the file is empty).")
    names = set().union(*(record.keys() for _, record in records))
    # Every row must carry the columns the file uses: report the first row lacking one.
    rows = _columns(path, records[0][0], names, group_by)
    needed = ["id"] + (rows.flag_columns or ["outcome"])
    needed += [group_by] if group_by is not None else []
    for line, record in records:
        for name in needed:
            if name not in record:
                _bad(path, line, name, "present in every row", "<a row without it>")
        rows.add(line, record.get)
    return rows.results()


def read_results(path, *, group_by: str | None = None) -> GradedResults:
    """Read graded items from a CSV, TSV or JSON Lines file (format from the suffix, else sniffed).

    Parameters
    ----------
    path : str or Path
        ``.csv`` (comma), ``.tsv`` (tab), ``.jsonl`` / ``.ndjson`` / ``.json`` (one JSON object
        per line); any other suffix: JSON Lines if the first non-blank character is ``{``.
    group_by : str, optional
        Name of a grouping column.

    Returns
    -------
    GradedResults

    Raises
    ------
    ResultsFileError
        Naming the file, line and field of the first bad row.
    """
    path = Path(path)
    try:
        handle = open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise ResultsFileError(f"{path}: cannot be read ({exc.strerror}).") from None
    with handle:
        try:
            suffix = path.suffix.lower()
            if suffix in (".jsonl", ".ndjson", ".json"):
                return _read_jsonl(path, handle, group_by)
            if suffix in (".csv", ".tsv"):
                return _read_delimited(path, handle, "\t" if suffix == ".tsv" else ",", group_by)
            head = handle.read(4096).lstrip()
            handle.seek(0)
            if head.startswith("{"):
                return _read_jsonl(path, handle, group_by)
            return _read_delimited(path, handle, ",", group_by)
        except UnicodeDecodeError:
            raise ResultsFileError(f"{path}: not UTF-8 text.") from None


def parse_outcomes(outcomes):
    """Outcome labels (the file vocabulary, case-insensitive) to ``(answered, correct)`` bool arrays.

    Parameters
    ----------
    outcomes : sequence of str
        ``correct`` / ``incorrect`` / ``abstain`` / ``idk``, ``A`` / ``B`` / ``C`` or
        ``CORRECT`` / ``INCORRECT`` / ``NOT_ATTEMPTED``.

    Returns
    -------
    answered, correct : bool ndarray
    """
    labels = []
    for index, value in enumerate(outcomes):
        text = _text(value)
        if text is None or text.lower() not in _OUTCOME_WORDS:
            fail("outcomes", _OUTCOME_ALLOWED, f"<{value!r} at index {index}>")
        labels.append(_OUTCOME_WORDS[text.lower()])
    labels = np.array(labels, dtype=object)
    if labels.size == 0:
        fail("outcomes", "a non-empty sequence of outcome labels", "<an empty sequence>")
    return labels != ABSTAIN, labels == CORRECT


def _from_arrays(outcomes, confidence, groups) -> GradedResults:
    answered, correct = parse_outcomes(outcomes)
    conf = None
    if confidence is not None:
        conf = np.asarray(confidence, dtype=np.float64)
        if conf.shape != answered.shape:
            fail("confidence", f"an array of length {answered.size} (one per outcome)", f"<an array of shape {conf.shape}>")
        ok = np.where(answered, (conf >= 0) & (conf <= 1), np.isnan(conf) | ((conf >= 0) & (conf <= 1)))
        if not ok.all():
            index = int(np.flatnonzero(~ok)[0])
            fail("confidence", "in [0, 1] (NaN allowed only on abstentions)", f"<{float(conf[index])!r} at index {index}>")
    if groups is not None:
        groups = np.asarray([str(g) for g in groups])
        if groups.shape != answered.shape:
            fail("groups", f"an array of length {answered.size} (one per outcome)", f"<an array of shape {groups.shape}>")
    return GradedResults([str(i) for i in range(answered.size)], answered, correct, conf, groups)


def risk_coverage_curve(confidence, correct):
    """Selective-prediction curve: answer only the items with confidence >= c, for every c.

    Parameters
    ----------
    confidence : 1-D float array in [0, 1]
        Stated confidence of each *answered* item.
    correct : 1-D bool array
        Whether each answer was correct.

    Returns
    -------
    thresholds, coverage, risk : ndarray
        For each distinct confidence ``c`` (descending): the fraction of items with confidence
        >= ``c`` and the error rate among them.
    """
    conf = np.asarray(confidence, dtype=np.float64)
    wrong = ~np.asarray(correct, dtype=bool)
    order = np.argsort(-conf, kind="stable")
    conf, wrong = conf[order], wrong[order]
    last = np.flatnonzero(np.append(conf[1:] != conf[:-1], True))  # last index of each tie group
    kept = last + 1
    return conf[last], kept / conf.size, np.cumsum(wrong)[last] / kept


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
        ``accuracy_given_attempted`` and ``f1``.
    risk_coverage : list of dict or None
        With confidences: per target ``t``, the same fields as ``targets`` had the model
        answered only the items it answered with confidence > ``t``.
    calibration : ReliabilityDiagram or None
        ECE and bins of the answered items' confidence (None without confidences or answers).
    groups : dict of str to ScoreReport
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
    groups: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Plain JSON-ready dict (NaN becomes None)."""
        out = {
            "source": self.source,
            "n": self.n,
            "counts": {"correct": self.n_correct, "incorrect": self.n_incorrect, "abstain": self.n_abstain},
            "targets": self.targets,
            "simpleqa": self.simpleqa,
            "risk_coverage": self.risk_coverage,
            "calibration": None,
        }
        if self.calibration is not None:
            cal = self.calibration
            out["calibration"] = {
                "ece": cal.ece,
                "max_calibration_error": cal.max_calibration_error,
                "n_answered_with_confidence": cal.n,
                "n_bins": int(cal.counts.size),
                "binning": cal.binning,
                "bins": cal.rows(),
            }
        if self.groups:
            out["groups"] = {name: report.to_dict() for name, report in self.groups.items()}
        return _json_ready(out)

    def to_text(self) -> str:
        """A human-readable summary."""
        lines = [f"{self.source}: {self.n} items, {self.n_correct} correct, {self.n_incorrect} incorrect, {self.n_abstain} abstained"]
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
    if report.calibration is not None:
        c = report.calibration
        lines.append(f"ECE {_fmt(c.ece)} ({c.counts.size} {c.binning.replace('_', '-')} bins, {c.n} answered items)")
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
    n = answered.size
    n_answered = int(answered.sum())
    n_correct = int((answered & correct).sum())
    n_wrong = n_answered - n_correct
    grader = target_grader(t)
    return {
        "target": t,
        "penalty": confidence_penalty(t),
        "score": float(grader.score(answered, correct).sum() / n),
        "answer_rate": n_answered / n,
        "accuracy_answered": n_correct / n_answered if n_answered else math.nan,
        "error_rate": n_wrong / n,
    }


def _simpleqa(answered, correct) -> dict:
    n = answered.size
    c = float((answered & correct).sum()) / n
    i = float((answered & ~correct).sum()) / n
    given = c / (c + i) if c + i > 0 else math.nan
    f1 = 0.0 if c == 0 else 2.0 * given * c / (given + c)
    return {"correct": c, "incorrect": i, "not_attempted": 1.0 - c - i, "accuracy_given_attempted": given, "f1": f1}


def _report(results: GradedResults, targets, n_bins) -> ScoreReport:
    answered, correct = results.answered, results.correct
    risk_coverage = calibration = None
    if results.confidence is not None:
        conf = results.confidence
        risk_coverage = [_target_row(t, answered & (conf > t), correct) for t in targets]
        if answered.any():
            calibration = expected_calibration_error(conf[answered], correct[answered], n_bins=n_bins, variant="binary")
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
    )


def score_results(data, *, confidence=None, groups=None, group_by: str | None = None, targets=DEFAULT_TARGETS, n_bins: int = 10) -> ScoreReport:
    """Score graded evaluation results under binary grading and explicit confidence targets.

    Parameters
    ----------
    data : str, Path, GradedResults or sequence of str
        A results file (see :func:`read_results`), already-read results, or outcome labels.
    confidence : array, optional
        With outcome labels: stated confidence per item (NaN allowed on abstentions).
    groups : sequence, optional
        With outcome labels: a group label per item.
    group_by : str, optional
        With a file: the name of its grouping column.
    targets : sequence of float in [0, 1), optional
        Confidence targets ``t`` (default 0, 0.5, 0.75, 0.9).
    n_bins : int, optional
        Equal-width bins of the ECE (default 10).

    Returns
    -------
    ScoreReport
    """
    targets = [check_float("targets", t, low=0.0, high=1.0, high_open=True) for t in targets]
    if not targets:
        fail("targets", "a non-empty sequence of floats in [0, 1)", "<an empty sequence>")
    n_bins = check_int("n_bins", n_bins, minimum=1)
    if isinstance(data, (str, Path)):
        if confidence is not None or groups is not None:
            fail("confidence", "None when scoring a file (the file holds the confidences)", "<an array>")
        results = read_results(data, group_by=group_by)
    elif isinstance(data, GradedResults):
        results = data
    else:
        results = _from_arrays(data, confidence, groups)
    report = _report(results, targets, n_bins)
    if results.groups is not None:
        for name in sorted(set(results.groups.tolist())):
            report.groups[name] = _report(results.subset(results.groups == name), targets, n_bins)
    return report
