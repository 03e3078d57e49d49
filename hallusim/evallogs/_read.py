"""Reading graded results of any supported format for :mod:`hallusim.evallogs` (which re-exports them).

:func:`read_results` opens the input once (:func:`hallusim.evallogs._source.read_source`: a path,
``-`` for standard input, gzip recognised on the same stream), names what the bytes hold
(:func:`hallusim.evallogs._source.sniff`), and hands them to the reader of the format.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from hallusim._validation import check_choice, fail
from hallusim.evallogs._helm import read_helm, read_simple_evals
from hallusim.evallogs._inspect import read_inspect
from hallusim.evallogs._items import GradedResults, ResultsFileError
from hallusim.evallogs._labels import (
    ABSTAIN,
    CORRECT,
    LABELS,
    UNSCORED,
    allowed_labels,
    outcome_label,
)
from hallusim.evallogs._lmeval import read_lmeval
from hallusim.evallogs._source import read_source, sniff
from hallusim.evallogs._tables import read_table

__all__ = ["ResultsFileError", "GradedResults", "read_results", "parse_outcomes", "FORMATS"]

FORMATS = ("auto", "table", "inspect", "lm-eval", "helm", "simple-evals")
_TABLE_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson")
_NAMES = {"inspect": "an Inspect log", "lm-eval": "an lm-evaluation-harness samples file", "helm": "a HELM per_instance_stats.json",
          "simple-evals": "a simple-evals _allresults.json"}


def _json(source, data):
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ResultsFileError(f"{source}: not UTF-8 text (byte {exc.object[exc.start]:#04x}).") from None
    except RecursionError:
        raise ResultsFileError(f"{source}: not valid JSON (nested too deeply to read).") from None
    except ValueError as exc:
        raise ResultsFileError(f"{source}: not valid JSON ({getattr(exc, 'msg', exc)}, line {getattr(exc, 'lineno', '?')}).") from None


def _first_record(data):
    line = data.lstrip(b"\xef\xbb\xbf \t\r\n").split(b"\n", 1)[0]
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def _detect(source, data, kind, suffix):
    """The format of ``data`` (and its parsed JSON document, if one was parsed)."""
    if kind == "zip":
        return "inspect", None
    if kind in ("json-document", "json-array"):
        doc = _json(source, data)
        if isinstance(doc, dict) and "eval" in doc and ("samples" in doc or "results" in doc):
            return "inspect", doc
        if isinstance(doc, dict) and "htmls" in doc and "convos" in doc:
            return "simple-evals", doc
        if isinstance(doc, list) and doc and all(isinstance(r, dict) and "instance_id" in r and "stats" in r for r in doc[:50]):
            return "helm", doc
        if suffix in _TABLE_SUFFIXES:
            return "table", None
        if isinstance(doc, dict) and len(doc) > 1 and kind == "json-document":
            what = "a JSON document (one object over several lines), not JSON Lines"
        else:
            what = "a JSON array" if isinstance(doc, list) else "a JSON document"
        raise ResultsFileError(f"{source}: {what} of no known evaluation tool; pass --format "
                               "inspect|lm-eval|helm|simple-evals, or write one JSON object per item per line.")
    record = _first_record(data) if kind == "jsonl" else None
    if record is not None and {"doc_id", "filter", "metrics"} <= set(record):
        return "lm-eval", None
    return "table", None


def read_results(path, *, format: str = "auto", group_by: str | None = None, labels: str | None = None,
                 unscored: str = "error", columns=None, scorer=None, score_key=None, epochs: str = "separate",
                 filter_name=None, metric=None) -> GradedResults:
    """Read graded items from a file of any supported format.

    Parameters
    ----------
    path : str or Path
        A file, a pipe, or ``-`` (standard input); gzip-compressed content is recognised.
    format : {"auto", "table", "inspect", "lm-eval", "helm", "simple-evals"}
        ``table``: CSV (``.csv``), TSV (``.tsv``) or JSON Lines (``.jsonl``, ``.ndjson``,
        ``.json``; other suffixes: JSON Lines if the first line is an object, else CSV) with
        columns ``id``, ``outcome`` (or SimpleQA's ``is_correct``/``is_incorrect``/
        ``is_not_attempted``), optional ``confidence`` in [0, 1], see :mod:`hallusim.evallogs`;
        ``inspect``: an Inspect AI ``.eval`` or ``.json`` log (needs inspect-ai); ``lm-eval``:
        ``samples_<task>_<date>.jsonl``; ``helm``: ``per_instance_stats.json``;
        ``simple-evals``: ``<eval>_<model>_<date>_allresults.json``. ``auto`` recognises each.
    group_by : str, optional
        A grouping column (tables) or metadata key (Inspect).
    labels : {"simpleqa", "inspect"}, optional
        Tables: the meaning of bare letters in the outcome column (refused without it).
    unscored : {"error", "abstain", "incorrect", "drop"}
        What becomes of items without a binary outcome (missing, NaN, partial credit).
    columns : dict, optional
        Tables: column names for ``id``, ``outcome``, ``confidence`` (dotted paths into nested
        JSON objects allowed).
    scorer, score_key, epochs : optional
        Inspect: the scorer, the part of a dict score, and ``separate`` or ``majority`` epochs.
    filter_name, metric : str, optional
        lm-eval: the filter and the per-document metric.

    Returns
    -------
    GradedResults

    Raises
    ------
    ResultsFileError
        Naming the file, the item or line, and the field.
    """
    check_choice("format", format, FORMATS)
    if labels is not None:
        check_choice("labels", labels, LABELS)
    src = read_source(path, error=ResultsFileError)
    source, data = src.name, src.data
    kind = sniff(data)
    doc = None
    suffix = "" if source == "<stdin>" else Path(source).suffix.lower()
    if format == "auto":
        format, doc = _detect(source, data, kind, suffix)
    elif format == "table" and kind in ("zip", "json-document", "json-array"):
        try:
            found, _ = _detect(source, data, kind, "")
        except ResultsFileError:
            found = None
        if kind == "zip" or found is not None:
            what = _NAMES.get(found or "inspect", "a zip archive")
            raise ResultsFileError(f"{source}: this is {what}, not a table; use --format {found or 'inspect'}.")
    elif format in ("helm", "simple-evals") or (format == "inspect" and kind != "zip"):
        if kind == "zip":
            raise ResultsFileError(f"{source}: this is a zip archive (an Inspect .eval log); use --format inspect.")
    if format == "table":
        explicit = [] if not columns else list(columns)
        return read_table(source, data, suffix=suffix, kind=kind, columns=columns, group_by=group_by, labels=labels,
                          unscored=unscored, explicit=explicit)
    if format == "inspect":
        return read_inspect(source, data, kind=kind, scorer=scorer, score_key=score_key, epochs=epochs,
                            unscored=unscored, group_by=group_by)
    if format == "lm-eval":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ResultsFileError(f"{source}: not UTF-8 text (byte {exc.object[exc.start]:#04x}).") from None
        return read_lmeval(source, text, filter_name=filter_name, metric=metric, unscored=unscored)
    doc = _json(source, data) if doc is None else doc
    if format == "helm":
        if not isinstance(doc, list):
            raise ResultsFileError(f"{source}: a HELM per_instance_stats.json is a JSON array; this is a JSON {type(doc).__name__}.")
        return read_helm(source, doc, unscored=unscored)
    if not isinstance(doc, dict):
        raise ResultsFileError(f"{source}: a simple-evals _allresults.json is a JSON object; this is a JSON {type(doc).__name__}.")
    return read_simple_evals(source, doc, unscored=unscored)


def parse_outcomes(outcomes, labels: str | None = None):
    """Outcome labels to ``(answered, correct)`` bool arrays.

    Parameters
    ----------
    outcomes : sequence of str
        Words (``correct``, ``incorrect``, ``abstain``/``idk``/``not_attempted`` ...), or
        letters under ``labels`` (see :mod:`hallusim.evallogs._labels`). Partial credit is refused.
    labels : {"simpleqa", "inspect"}, optional
        The letter vocabulary; needed for bare letters.

    Returns
    -------
    answered, correct : bool ndarray
    """
    if isinstance(outcomes, (str, bytes)):
        fail("outcomes", "a sequence of outcome labels (not one string)", outcomes)
    if labels is not None:
        check_choice("labels", labels, LABELS)
    found = []
    for index, value in enumerate(outcomes):
        label = outcome_label(str(value), labels) if value is not None else None
        if label is None or label == UNSCORED:
            fail("outcomes", allowed_labels(labels) + ("; partial credit has no binary outcome" if label == UNSCORED else ""),
                 f"<{value!r} at index {index}>")
        found.append(label)
    if not found:
        fail("outcomes", "a non-empty sequence of outcome labels", "<an empty sequence>")
    found = np.array(found, dtype=object)
    return found != ABSTAIN, found == CORRECT
