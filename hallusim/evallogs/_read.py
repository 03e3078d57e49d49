"""Reading graded results files (CSV, TSV, JSON Lines) for :mod:`hallusim.evallogs`, which
re-exports the public names. The file format is described in :mod:`hallusim.evallogs`.

The whole file is read into memory once (as bytes, then decoded to text) and parsed from there:
no seeking, so pipes and process substitutions (``hallusim score <(...)``) work, and the format
can be sniffed from the text itself. A results file of a few hundred MB is fine; the parsed rows
keep only the columns that are scored.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hallusim._validation import fail

__all__ = ["ResultsFileError", "GradedResults", "read_results", "parse_outcomes"]

CORRECT, INCORRECT, ABSTAIN = "correct", "incorrect", "abstain"
# Keys after lower-casing and turning runs of spaces, hyphens and underscores into "_": SimpleQA's
# grader answers NOT_ATTEMPTED (its prompt also writes "NOT ATTEMPTED"), or the letters A/B/C.
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
_OUTCOME_ALLOWED = (
    "one of correct, incorrect, abstain (or idk), A, B, C, CORRECT, INCORRECT, NOT_ATTEMPTED "
    "(also 'not attempted', 'not-attempted')"
)
_SEPARATORS = re.compile(r"[\s_-]+")
_FLAG_COLUMNS = {"is_correct": CORRECT, "is_incorrect": INCORRECT, "is_not_attempted": ABSTAIN}
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_SHOWN = 60  # characters of an offending value quoted in a message


class ResultsFileError(ValueError):
    """A results file that cannot be scored; the message names the file, line and field."""


def _bad(path, line, name, allowed, given):
    try:
        fail(name, allowed, given)
    except ValueError as exc:
        raise ResultsFileError(f"{path}, line {line}: {exc}") from None


def _quoted(text: str) -> str:
    """``<'text'>`` for a message, cut to a readable length."""
    shown = repr(text) if len(text) <= _SHOWN else repr(text[:_SHOWN]) + f"... ({len(text)} characters)"
    return f"<{shown}>"


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
            One flag per item.

        Returns
        -------
        GradedResults
        """
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != self.answered.shape:
            fail("mask", f"a bool array of length {self.answered.size} (one per item)", f"<an array of shape {mask.shape}>")
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


def _outcome_label(value) -> str | None:
    text = _text(value)
    return None if text is None else _OUTCOME_WORDS.get(_SEPARATORS.sub("_", text.lower()))


def _parse_outcome(path, line, name, value):
    label = _outcome_label(value)
    if label is None:
        text = _text(value)
        _bad(path, line, name, _OUTCOME_ALLOWED, "<a missing value>" if text is None else _quoted(text))
    return label


def _parse_flag(path, line, name, value):
    text = _text(value)
    if text is not None and isinstance(value, float):
        text = "1" if value == 1 else "0" if value == 0 else text
    if text is not None and text.lower() in _TRUE:
        return True
    if text is not None and text.lower() in _FALSE:
        return False
    _bad(path, line, name, "a boolean (true/false, 1/0, yes/no)", "<a missing value>" if text is None else _quoted(text))


def _parse_confidence(path, line, value):
    text = _text(value)
    if text is None:
        return math.nan
    number = float(text) if _NUMBER.fullmatch(text) else math.nan
    if not (0.0 <= number <= 1.0):
        _bad(path, line, "confidence", "a number in [0, 1]", _quoted(text))
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
            _bad(path, line, "id", f"unique (already used on line {self.first_line[item_id]})", _quoted(item_id))
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


def _used_columns(group_by) -> set:
    return {"id", "outcome", "confidence", *_FLAG_COLUMNS} | ({group_by} if group_by is not None else set())


def _columns(path, line, names, group_by) -> _Rows:
    names = set(names)
    listed = ", ".join(sorted(names)) or "(none)"
    if "id" not in names:
        _bad(path, line, "id", "a column of the file", f"<columns {listed}>")
    flags = [name for name in _FLAG_COLUMNS if name in names]
    if "outcome" not in names and len(flags) < len(_FLAG_COLUMNS):
        _bad(path, line, "outcome", "a column of the file (or all of is_correct, is_incorrect, is_not_attempted)", f"<columns {listed}>")
    if group_by is not None and group_by not in names:
        _bad(path, line, group_by, "a column of the file (the grouping column)", f"<columns {listed}>")
    return _Rows(path, "outcome" in names, flags if len(flags) == len(_FLAG_COLUMNS) else [], "confidence" in names, group_by)


def _lines(text: str):
    """The lines of ``text`` split at ``\\n`` only, each with its line ending (no copy of the whole)."""
    start, end = 0, len(text)
    while start < end:
        stop = text.find("\n", start)
        stop = end if stop < 0 else stop + 1
        yield text[start:stop]
        start = stop


@contextlib.contextmanager
def _field_size_limit(size: int):
    # The csv module refuses fields over 128 KiB (a guard against unterminated quotes on a
    # stream). The text is already in memory, so no field can exceed its length: lift the
    # limit to that for the parse (long model responses in ignored columns are common).
    previous = csv.field_size_limit()
    csv.field_size_limit(max(previous, size))
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _read_delimited(path, text, delimiter, group_by) -> GradedResults:
    reader = csv.reader(_lines(text), delimiter=delimiter, strict=True)
    header = rows = None
    previous_end = 0
    used = _used_columns(group_by)
    try:
        with _field_size_limit(len(text) + 1):
            for record in reader:
                line, previous_end = previous_end + 1, reader.line_num  # a record may span lines
                if not record or all(not cell.strip() for cell in record):
                    continue
                if header is None:
                    header = [cell.strip() for cell in record]
                    repeated = sorted(name for name, count in Counter(header).items() if count > 1 and name in used)
                    if repeated:
                        _bad(path, line, repeated[0], "unique among the column names", f"<{header.count(repeated[0])} columns named {repeated[0]!r}>")
                    rows = _columns(path, line, header, group_by)
                    continue
                if len(record) > len(header):
                    _bad(path, line, "row", f"at most {len(header)} fields (the header's)", f"<{len(record)} fields>")
                values = dict(zip(header, record))
                rows.add(line, values.get)
    except csv.Error as exc:
        raise ResultsFileError(f"{path}, line {reader.line_num}: not valid CSV ({exc}).") from None
    if header is None:
        raise ResultsFileError(f"{path}: the file is empty (no header, no rows).")
    return rows.results()


class _Object(dict):
    """A JSON object that remembers which keys it held more than once (json keeps the last)."""

    __slots__ = ("repeated",)

    def __init__(self, pairs):
        super().__init__(pairs)
        self.repeated = Counter(key for key, _ in pairs) if len(self) != len(pairs) else None


def _read_jsonl(path, text, group_by) -> GradedResults:
    used = _used_columns(group_by)
    records, names = [], set()
    for line, raw in enumerate(_lines(text), start=1):
        if raw.isspace():
            continue
        try:
            # parse_int=str: an integer id of any length is text to us (int() refuses > 4300 digits).
            record = json.loads(raw, object_pairs_hook=_Object, parse_int=str)
        except RecursionError:
            raise ResultsFileError(f"{path}, line {line}: not valid JSON (nested too deeply to read).") from None
        except ValueError as exc:  # json.JSONDecodeError and any other conversion error
            raise ResultsFileError(f"{path}, line {line}: not valid JSON ({getattr(exc, 'msg', exc)}).") from None
        if not isinstance(record, dict):
            _bad(path, line, "row", "a JSON object", f"<a JSON {type(record).__name__}>")
        if record.repeated is not None:
            repeated = sorted(key for key, count in record.repeated.items() if count > 1 and key in used)
            if repeated:
                _bad(path, line, repeated[0], "a key given once per object", f"<{record.repeated[repeated[0]]} keys {repeated[0]!r}>")
        names.update(record)
        records.append((line, {key: value for key, value in record.items() if key in used}))
    if not records:
        raise ResultsFileError(f"{path}: no graded rows (the file is empty).")
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


def _decode(path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = exc.object.count(b"\n", 0, exc.start) + 1
        raise ResultsFileError(f"{path}, line {line}: not UTF-8 text (byte {exc.object[exc.start]:#04x}).") from None


def read_results(path, *, group_by: str | None = None) -> GradedResults:
    """Read graded items from a CSV, TSV or JSON Lines file (format from the suffix, else sniffed).

    The file is read once, whole, into memory and parsed from there (no seeking), so a pipe or
    a process substitution works as ``path``. A file of a few hundred MB is fine: the text is
    held once while it is parsed, and only the scored columns of each row are kept.

    Parameters
    ----------
    path : str or Path
        ``.csv`` (comma), ``.tsv`` (tab), ``.jsonl`` / ``.ndjson`` / ``.json`` (one JSON object
        per line); any other suffix (or none, e.g. ``/dev/fd/63``): JSON Lines if the first
        non-blank character is ``{``, else CSV. CSV quoting is strict: a quoted field must be
        closed, and its closing quote followed by the delimiter or the end of the line (else
        the file is refused rather than read as some other data); fields may be of any length.
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
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise ResultsFileError(f"{path}: cannot be read ({exc.strerror or exc}).") from None
    text = _decode(path, data)
    del data
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return _read_jsonl(path, text, group_by)
    if suffix in (".csv", ".tsv"):
        return _read_delimited(path, text, "\t" if suffix == ".tsv" else ",", group_by)
    first = re.search(r"\S", text)
    if first is not None and first.group() == "{":
        return _read_jsonl(path, text, group_by)
    return _read_delimited(path, text, ",", group_by)


def parse_outcomes(outcomes):
    """Outcome labels (the file vocabulary, case-insensitive) to ``(answered, correct)`` bool arrays.

    Parameters
    ----------
    outcomes : sequence of str
        ``correct`` / ``incorrect`` / ``abstain`` / ``idk``, ``A`` / ``B`` / ``C`` or
        ``CORRECT`` / ``INCORRECT`` / ``NOT_ATTEMPTED`` (also ``not attempted``,
        ``not-attempted``).

    Returns
    -------
    answered, correct : bool ndarray
    """
    if isinstance(outcomes, (str, bytes)):
        fail("outcomes", "a sequence of outcome labels (not one string)", outcomes)
    labels = []
    for index, value in enumerate(outcomes):
        label = _outcome_label(value)
        if label is None:
            fail("outcomes", _OUTCOME_ALLOWED, f"<{value!r} at index {index}>")
        labels.append(label)
    if not labels:
        fail("outcomes", "a non-empty sequence of outcome labels", "<an empty sequence>")
    labels = np.array(labels, dtype=object)
    return labels != ABSTAIN, labels == CORRECT
