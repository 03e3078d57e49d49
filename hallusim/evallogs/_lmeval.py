"""lm-evaluation-harness sample logs (``samples_<task>_<date>.jsonl``) for :mod:`hallusim.evallogs`.

Facts relied on (lm-eval 0.4.13, ``lm_eval/evaluator.py`` where ``log_samples`` builds each record,
and ``lm_eval/loggers/evaluation_tracker.py::save_results_samples`` which writes them): one JSON
object per line and per (document, filter) with ``doc_id``, ``doc``, ``target``, ``resps``,
``filtered_resps``, ``filter`` (``"none"`` without filters), ``metrics`` (the names of the
per-document metrics) and each metric's value as a top-level key (``acc``, ``exact_match``).
Responses pass through ``sanitize_list``, so every leaf is a *string*: a multiple-choice
document's ``filtered_resps`` is ``[["-1.25", "False"], ...]``, one (log-likelihood, is-greedy)
pair per choice. Every document is answered (the harness has no abstention).
"""

from __future__ import annotations

import json
import math

import numpy as np

from hallusim.evallogs._items import GradedResults, Items, ResultsFileError, bad
from hallusim.evallogs._labels import CORRECT, INCORRECT, UNSCORED

__all__ = ["read_lmeval", "choice_confidence"]


def choice_confidence(loglikelihoods) -> float:
    """The softmax maximum over the choices' log-likelihoods (the model's probability of its pick).

    Parameters
    ----------
    loglikelihoods : sequence of float

    Returns
    -------
    float
    """
    ll = np.asarray(loglikelihoods, dtype=np.float64)
    return float(1.0 / np.sum(np.exp(ll - ll.max())))


def _loglikelihoods(resps):
    """The log-likelihoods of a multiple-choice ``filtered_resps``, or None if it is not one."""
    if not isinstance(resps, list) or len(resps) < 2:
        return None
    out = []
    for pair in resps:
        if not (isinstance(pair, list) and len(pair) == 2):
            return None
        try:
            value = float(pair[0])
        except (TypeError, ValueError):
            return None
        if not math.isfinite(value):
            return None
        out.append(value)
    return out


def read_lmeval(source, text: str, *, filter_name=None, metric=None, unscored="error") -> GradedResults:
    """Read an lm-eval ``samples_*.jsonl`` log as graded items, one per document.

    Parameters
    ----------
    source : str
        The file's name, for messages.
    text : str
        Its content.
    filter_name : str, optional
        The filter whose records are read; default ``"none"`` if present, else the only one.
    metric : str, optional
        The per-document metric that is the outcome (values 0/1); default the first 0/1-valued
        name of the records' ``metrics``. A fractional value (e.g. ``truthfulqa_mc2``'s ``acc``)
        is unscored.
    unscored : {"error", "abstain", "incorrect", "drop"}

    Returns
    -------
    GradedResults
        With confidences (softmax maximum over choices) when every record is multiple choice.
    """
    records = []
    for line, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except ValueError as exc:
            raise ResultsFileError(f"{source}, line {line}: not valid JSON ({getattr(exc, 'msg', exc)}).") from None
        if not isinstance(record, dict):
            bad(source, f"line {line}", "row", "a JSON object", f"<a JSON {type(record).__name__}>")
        for key in ("doc_id", "filter", "metrics"):
            if key not in record:
                bad(source, f"line {line}", key, "present in every lm-eval sample record", "<a record without it>")
        if not isinstance(record["metrics"], list) or not all(isinstance(m, str) for m in record["metrics"]):
            bad(source, f"line {line}", "metrics", "a list of metric names", f"<a {type(record['metrics']).__name__}>")
        if not isinstance(record["filter"], str):
            bad(source, f"line {line}", "filter", "a filter name", f"<a {type(record['filter']).__name__}>")
        records.append((line, record))
    if not records:
        raise ResultsFileError(f"{source}: no sample records (the file is empty).")
    filters = list(dict.fromkeys(str(r["filter"]) for _, r in records))
    if filter_name is None:
        if "none" not in filters and len(filters) > 1:
            bad(source, "", "filter", f"chosen with --filter (the file's filters: {', '.join(filters)})", "<no filter chosen>")
        filter_name = "none" if "none" in filters else filters[0]
    elif filter_name not in filters:
        bad(source, "", "filter", f"one of the file's filters ({', '.join(filters)})", f"<{filter_name!r}>")
    records = [(line, r) for line, r in records if str(r["filter"]) == filter_name]
    names = list(dict.fromkeys(name for _, r in records for name in r["metrics"]))
    if metric is None:
        binary = [n for n in names if all(r.get(n) in (0, 1) for _, r in records if n in r)]
        if not binary:
            bad(source, "", "metric", f"chosen with --metric (no metric of {', '.join(names)} is 0/1 on every document)", "<none chosen>")
        metric = binary[0]
    elif metric not in names:
        bad(source, "", "metric", f"one of the file's per-document metrics ({', '.join(names)})", f"<{metric!r}>")
    lls = [_loglikelihoods(r.get("filtered_resps")) for _, r in records]
    has_confidence = all(ll is not None for ll in lls)
    items = Items(source, unscored=unscored, has_confidence=has_confidence)
    for (line, r), ll in zip(records, lls):
        where = f"line {line}"
        if metric not in r:
            bad(source, where, metric, "present in every record of the filter", "<a record without it>")
        value = r[metric]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            bad(source, where, metric, "a number (0 or 1)", f"<{value!r}>")
        if math.isnan(value):
            outcome, reason = UNSCORED, "NaN"
        elif value in (0, 1):
            outcome, reason = (CORRECT if value == 1 else INCORRECT), None
        else:
            outcome, reason = UNSCORED, f"the fractional value {value!r} (no binary outcome; a metric like truthfulqa_mc2's acc)"
        items.add(f"{where} (doc_id {r['doc_id']})", r["doc_id"], outcome, field=metric,
                  confidence=choice_confidence(ll) if has_confidence else None, reason=reason)
    conf_note = "confidence = softmax maximum over the choices' log-likelihoods" if has_confidence else "no confidences (not multiple choice)"
    if has_confidence and metric != "acc":
        conf_note += f" (the choice acc picks; {metric!r} may pick by another rule, e.g. length-normalised)"
    others = [f for f in filters if f != filter_name]
    items.notes.append(f"lm-eval samples: filter {filter_name!r}" + (f" (also in the file: {', '.join(others)}; --filter)" if others else "")
                       + f", metric {metric!r}, {conf_note}")
    return items.results()
