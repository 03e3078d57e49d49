"""Graded-results tables (CSV, TSV, JSON Lines) for :mod:`hallusim.evallogs`.

The text is parsed from memory (the bytes come from :func:`hallusim.evallogs._source.read_source`),
so pipes work. Column names are chosen by the caller (``id``, ``outcome``, ``confidence`` by
default); in JSON Lines a name with dots (``scores.match.value``) is a path into nested objects
when no key of that exact name exists.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import re
from collections import Counter

from hallusim.evallogs._items import GradedResults, Items, ResultsFileError, bad, quoted
from hallusim.evallogs._labels import (
    ABSTAIN,
    CORRECT,
    INCORRECT,
    UNSCORED,
    allowed_labels,
    is_bare_letter,
    outcome_label,
)

__all__ = ["read_table", "TABLE_COLUMNS", "text_outcome"]

TABLE_COLUMNS = {"id": "id", "outcome": "outcome", "confidence": "confidence"}
_FLAG_COLUMNS = {"is_correct": CORRECT, "is_incorrect": INCORRECT, "is_not_attempted": ABSTAIN}
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_NAN = {"nan", "null", "none", "na", "n/a"}


def _text(value) -> str | None:
    """A cell as stripped text; None for missing (absent, null, empty)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value).strip()
    return text or None


def text_outcome(source, where, name, value, labels):
    """The outcome a cell's label means; ``(UNSCORED, reason)`` for a missing or NaN value.

    Returns
    -------
    (str, str or None)
        The outcome and, for an unscored cell, why.
    """
    text = _text(value)
    if text is None:
        return UNSCORED, "a missing value"
    if text.lower() in _NAN:
        return UNSCORED, f"the value {text!r}"
    label = outcome_label(text, labels)
    if label is None and labels is None and is_bare_letter(text):
        bad(source, where, name, "read under an explicit letter vocabulary: --labels simpleqa (A correct, B incorrect, "
            "C not attempted) or --labels inspect (C correct, I incorrect, N no answer, P partial)", f"<the bare letter {text!r}>")
    if label is None:
        bad(source, where, name, allowed_labels(labels), quoted(text))
    return label, ("partial credit" if label == UNSCORED else None)


def _flag(source, where, name, value):
    text = _text(value)
    if text is not None and isinstance(value, float):
        text = "1" if value == 1 else "0" if value == 0 else text
    if text is not None and text.lower() in _TRUE:
        return True
    if text is not None and text.lower() in _FALSE:
        return False
    bad(source, where, name, "a boolean (true/false, 1/0, yes/no)", "<a missing value>" if text is None else quoted(text))


def _confidence(source, where, name, value):
    text = _text(value)
    if text is None:
        return None
    number = float(text) if _NUMBER.fullmatch(text) else math.nan
    if not (0.0 <= number <= 1.0):
        bad(source, where, name, "a number in [0, 1]", quoted(text))
    return number


class _Table:
    """Which columns a table uses, and the reading of one row."""

    def __init__(self, source, where, names, columns, group_by, labels, unscored, explicit):
        names = set(names)
        listed = ", ".join(sorted(names)) or "(none)"
        self.source, self.columns, self.group_by, self.labels = source, columns, group_by, labels
        if columns["id"] not in names:
            bad(source, where, columns["id"], "a column of the file (the item id; name another with --id)", f"<columns {listed}>")
        flags = [name for name in _FLAG_COLUMNS if name in names]
        self.flags = flags if len(flags) == len(_FLAG_COLUMNS) else []
        self.has_outcome = columns["outcome"] in names
        if not self.has_outcome and (not self.flags or "outcome" in explicit):
            bad(source, where, columns["outcome"], "a column of the file (name the outcome column with --outcome; or give "
                "all of is_correct, is_incorrect, is_not_attempted)", f"<columns {listed}>")
        if "confidence" in explicit and columns["confidence"] not in names:
            bad(source, where, columns["confidence"], "a column of the file (the --confidence column)", f"<columns {listed}>")
        if group_by is not None and group_by not in names:
            bad(source, where, group_by, "a column of the file (the grouping column)", f"<columns {listed}>")
        self.has_confidence = columns["confidence"] in names
        self.items = Items(source, unscored=unscored, has_confidence=self.has_confidence, has_groups=group_by is not None)

    def used(self):
        return {*self.columns.values(), *_FLAG_COLUMNS} | ({self.group_by} if self.group_by else set())

    def add(self, where, get):
        source, cols = self.source, self.columns
        item_id = _text(get(cols["id"]))
        if item_id is None:
            bad(source, where, cols["id"], "a non-empty identifier", "<a missing value>")
        outcome, reason = None, None
        if self.has_outcome and (not self.flags or _text(get(cols["outcome"])) is not None):
            outcome, reason = text_outcome(source, where, cols["outcome"], get(cols["outcome"]), self.labels)
        if self.flags:
            flags = {name: _flag(source, where, name, get(name)) for name in self.flags}
            if sum(flags.values()) != 1:
                bad(source, where, "is_correct/is_incorrect/is_not_attempted", "exactly one true", f"<{sum(flags.values())} true>")
            from_flags = next(_FLAG_COLUMNS[name] for name, flag in flags.items() if flag)
            if outcome is not None and outcome != from_flags:
                bad(source, where, cols["outcome"], f"consistent with the boolean columns ({from_flags})", f"<{outcome}>")
            outcome, reason = from_flags, None
        confidence = _confidence(source, where, cols["confidence"], get(cols["confidence"])) if self.has_confidence else None
        group = _text(get(self.group_by)) if self.group_by else None
        if self.group_by and group is None:
            bad(source, where, self.group_by, "a non-empty group label", "<a missing value>")
        self.items.add(where, item_id, outcome, field=cols["outcome"], confidence=confidence, group=group, reason=reason,
                       confidence_field=cols["confidence"])


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


def _read_delimited(source, text, delimiter, table_options) -> GradedResults:
    reader = csv.reader(_lines(text), delimiter=delimiter, strict=True)
    header = table = None
    previous_end = 0
    try:
        with _field_size_limit(len(text) + 1):
            for record in reader:
                line, previous_end = previous_end + 1, reader.line_num  # a record may span lines
                where = f"line {line}"
                if not record or all(not cell.strip() for cell in record):
                    continue
                if header is None:
                    header = [cell.strip() for cell in record]
                    table = _Table(source, where, header, **table_options)
                    used = table.used()
                    repeated = sorted(name for name, count in Counter(header).items() if count > 1 and name in used)
                    if repeated:
                        bad(source, where, repeated[0], "unique among the column names", f"<{header.count(repeated[0])} columns named {repeated[0]!r}>")
                    continue
                if len(record) > len(header):
                    bad(source, where, "row", f"at most {len(header)} fields (the header's)", f"<{len(record)} fields>")
                table.add(where, dict(zip(header, record)).get)
    except csv.Error as exc:
        raise ResultsFileError(f"{source}, line {reader.line_num}: not valid CSV ({exc}).") from None
    if header is None:
        raise ResultsFileError(f"{source}: the file is empty (no header, no rows).")
    return table.items.results()


class _Object(dict):
    """A JSON object that remembers which keys it held more than once (json keeps the last)."""

    __slots__ = ("repeated",)

    def __init__(self, pairs):
        super().__init__(pairs)
        self.repeated = Counter(key for key, _ in pairs) if len(self) != len(pairs) else None


_MISSING = object()


def _lookup(record, name):
    """``record[name]``, or the dotted path ``name`` into nested objects; ``_MISSING`` if absent."""
    if name in record:
        return record[name]
    value = record
    for part in name.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _read_jsonl(source, text, table_options) -> GradedResults:
    records, names = [], set()
    columns, group_by = table_options["columns"], table_options["group_by"]
    wanted = [*columns.values(), *_FLAG_COLUMNS] + ([group_by] if group_by else [])
    for line, raw in enumerate(_lines(text), start=1):
        if raw.isspace():
            continue
        try:
            # parse_int=str: an integer id of any length is text to us (int() refuses > 4300 digits).
            record = json.loads(raw, object_pairs_hook=_Object, parse_int=str)
        except RecursionError:
            raise ResultsFileError(f"{source}, line {line}: not valid JSON (nested too deeply to read).") from None
        except ValueError as exc:  # json.JSONDecodeError and any other conversion error
            raise ResultsFileError(f"{source}, line {line}: not valid JSON ({getattr(exc, 'msg', exc)}).") from None
        if not isinstance(record, dict):
            bad(source, f"line {line}", "row", "a JSON object", f"<a JSON {type(record).__name__}>")
        if record.repeated is not None:
            repeated = sorted(key for key, count in record.repeated.items() if count > 1 and key in wanted)
            if repeated:
                bad(source, f"line {line}", repeated[0], "a key given once per object", f"<{record.repeated[repeated[0]]} keys {repeated[0]!r}>")
        flat = {name: value for name in wanted if (value := _lookup(record, name)) is not _MISSING}
        names.update(flat)
        records.append((line, flat))
    if not records:
        raise ResultsFileError(f"{source}: no graded rows (the file is empty).")
    # Every row must carry the columns the file uses: report the first row lacking one.
    table = _Table(source, f"line {records[0][0]}", names, **table_options)
    needed = [columns["id"]] + (table.flags or [columns["outcome"]]) + ([group_by] if group_by else [])
    for line, record in records:
        for name in needed:
            if name not in record:
                bad(source, f"line {line}", name, "present in every row", "<a row without it>")
        table.add(f"line {line}", record.get)
    return table.items.results()


def _decode(source, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = exc.object.count(b"\n", 0, exc.start) + 1
        raise ResultsFileError(f"{source}, line {line}: not UTF-8 text (byte {exc.object[exc.start]:#04x}).") from None


def read_table(source, data: bytes, *, suffix: str, kind: str, columns=None, group_by=None, labels=None, unscored="error",
               explicit=()) -> GradedResults:
    """Read a CSV/TSV/JSON Lines table of graded items (see :func:`hallusim.evallogs.read_results`).

    Parameters
    ----------
    source : str
        The file's name, for messages.
    data : bytes
        Its content.
    suffix : str
        The file's lower-case suffix (``.csv``, ``.tsv``, ``.jsonl`` ...; ``""`` if none).
    kind : str
        What :func:`hallusim.evallogs._source.sniff` found.
    columns : dict, optional
        Column names for ``id``, ``outcome``, ``confidence``.
    group_by : str, optional
    labels : {"simpleqa", "inspect"} or None
    unscored : {"error", "abstain", "incorrect", "drop"}
    explicit : collection of str
        Which of the columns the caller named (those must exist).

    Returns
    -------
    GradedResults
    """
    options = {"columns": {**TABLE_COLUMNS, **(columns or {})}, "group_by": group_by, "labels": labels, "unscored": unscored,
               "explicit": set(explicit)}
    text = _decode(source, data)
    if suffix in (".jsonl", ".ndjson", ".json") or (suffix not in (".csv", ".tsv") and kind == "jsonl"):
        return _read_jsonl(source, text, options)
    return _read_delimited(source, text, "\t" if suffix == ".tsv" else ",", options)
