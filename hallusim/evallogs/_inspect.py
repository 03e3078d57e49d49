"""Inspect AI logs (``.eval`` and ``.json``) for :mod:`hallusim.evallogs`, read by inspect-ai itself.

Facts relied on (inspect-ai 0.3.285, ``inspect_ai/scorer/_metric.py`` and ``inspect_ai/log/_log.py``):
an ``.eval`` log is a zip archive (``header.json``, ``summaries.json``, ``samples/<id>_epoch_<k>.json``)
whose members are zstd-compressed, so only inspect-ai's reader can open it; a ``.json`` log is one
JSON document with ``samples``. A sample's scores are ``samples[].scores.<scorer>.value``:
``"C"`` correct, ``"I"`` incorrect, ``"P"`` partial, ``"N"`` no answer, a bool or a number, or a
dict for scorers with several parts (inspect_evals' SimpleQA, ``scorer=original``, writes
``{correct, incorrect, not_attempted}``); a sample that failed has ``error`` set and may have no
scores. Each sample has an ``epoch`` (1, 2, ...).
"""

from __future__ import annotations

import io
import math

from hallusim.evallogs._items import GradedResults, Items, ResultsFileError, bad
from hallusim.evallogs._labels import (
    ABSTAIN,
    CORRECT,
    INCORRECT,
    UNSCORED,
    allowed_labels,
    outcome_label,
)

__all__ = ["read_inspect", "EPOCHS", "INSTALL_HINT"]

EPOCHS = ("separate", "majority")
INSTALL_HINT = "pip install 'hallusim[evallogs-clients]' (or pip install inspect-ai)"
_TRIPLE = {"correct": CORRECT, "incorrect": INCORRECT, "not_attempted": ABSTAIN}


def _scalar(source, where, name, value):
    """A scalar score value as ``(outcome, reason)``."""
    if isinstance(value, bool):
        return (CORRECT if value else INCORRECT), None
    if isinstance(value, (int, float)):
        if math.isnan(value):
            return UNSCORED, "NaN: the sample was not scored"
        if value in (0, 1):
            return (CORRECT if value == 1 else INCORRECT), None
        return UNSCORED, f"partial credit {value!r}"
    if isinstance(value, str):
        label = outcome_label(value, "inspect")
        if label is None:
            bad(source, where, name, allowed_labels("inspect"), f"<{value!r}>")
        return label, ("partial credit (P)" if label == UNSCORED else None)
    bad(source, where, name, "a letter, a bool, a number or a dict of them", f"<a {type(value).__name__}>")


def _outcome(source, where, name, value, score_key):
    if not isinstance(value, dict):
        return _scalar(source, where, name, value)
    if score_key is not None:
        if score_key not in value:
            bad(source, where, f"{name}.{score_key}", f"a key of the score dict (keys: {', '.join(map(str, value))})", "<no such key>")
        return _scalar(source, where, f"{name}.{score_key}", value[score_key])
    if set(_TRIPLE) <= set(value):
        parts = {key: value[key] for key in _TRIPLE}
        if any(isinstance(v, float) and math.isnan(v) for v in parts.values()):
            return UNSCORED, "NaN: the sample was not scored"
        on = [key for key, v in parts.items() if v in (1, True)]
        if len(on) != 1 or any(v not in (0, 1) for v in parts.values()):
            bad(source, where, name, "exactly one of correct/incorrect/not_attempted equal to 1, the others 0", f"<{parts}>")
        return _TRIPLE[on[0]], None
    bad(source, where, name, "a score with correct/incorrect/not_attempted parts, or one part chosen with --score-key",
        f"<a dict with keys {', '.join(map(str, value))}>")


def _load(source, data: bytes, kind: str):
    try:
        # deferred: inspect-ai is an optional extra (about 1 GB with its dependencies).
        from inspect_ai.log import read_eval_log
    except ImportError:
        raise ResultsFileError(f"{source}: reading an Inspect log needs inspect-ai, which is not installed: {INSTALL_HINT}.") from None
    try:
        return read_eval_log(io.BytesIO(data), format="eval" if kind == "zip" else "json")
    except Exception as exc:  # noqa: BLE001 -- any failure of inspect-ai's reader is a bad file here
        text = str(exc).strip().splitlines()
        detail = f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
        raise ResultsFileError(f"{source}: not a readable Inspect log ({detail}); is it truncated?") from None


def read_inspect(source, data: bytes, *, kind: str, scorer=None, score_key=None, epochs="separate", unscored="error",
                 group_by=None) -> GradedResults:
    """Read an Inspect AI log's samples as graded items (see the module docstring for the format).

    Parameters
    ----------
    source : str
        The file's name, for messages.
    data : bytes
        The log (``kind="zip"`` for ``.eval``, else ``.json``).
    kind : str
    scorer : str, optional
        The scorer whose value is the outcome; needed when the log has more than one.
    score_key : str, optional
        For dict-valued scores other than SimpleQA's triple: the part that is the outcome.
    epochs : {"separate", "majority"}
        With several epochs: each (sample, epoch) is an item ``id@epoch``, or each sample is one
        item with its most frequent outcome (a tie is unscored).
    unscored : {"error", "abstain", "incorrect", "drop"}
    group_by : str, optional
        A key of the samples' ``metadata``.

    Returns
    -------
    GradedResults
    """
    if epochs not in EPOCHS:
        bad(source, "", "epochs", "one of " + ", ".join(EPOCHS), f"<{epochs!r}>")
    log = _load(source, data, kind)
    samples = log.samples or []
    if not samples:
        raise ResultsFileError(f"{source}: the Inspect log holds no samples (was it written with --no-log-samples?).")
    names = list(dict.fromkeys(name for s in samples for name in (s.scores or {})))
    if scorer is None:
        if len(names) != 1:
            bad(source, "", "scorer", f"named with --scorer (the log's scorers: {', '.join(names) or 'none'})", "<no scorer chosen>")
        scorer = names[0]
    elif scorer not in names:
        bad(source, "", "scorer", f"one of the log's scorers ({', '.join(names) or 'none'})", f"<{scorer!r}>")
    n_epochs = max(s.epoch for s in samples)
    per_sample = {}
    for s in samples:
        where = f"sample {s.id!r} epoch {s.epoch}"
        field = f"scores.{scorer}.value"
        if s.scores is None or scorer not in s.scores:
            if s.error is None:
                bad(source, where, f"scores.{scorer}", "present in every sample", "<a sample without it>")
            outcome = (UNSCORED, "the sample failed with an error")
        else:
            outcome = _outcome(source, where, field, s.scores[scorer].value, score_key)
        group = (s.metadata or {}).get(group_by) if group_by else None
        per_sample.setdefault(str(s.id), []).append((where, s.epoch, outcome, group))
    items = Items(source, unscored=unscored, has_groups=group_by is not None)
    field = f"scores.{scorer}.value"
    for sample_id, rows in per_sample.items():
        if epochs == "separate" or n_epochs == 1:
            for where, epoch, (outcome, reason), group in rows:
                item_id = sample_id if n_epochs == 1 else f"{sample_id}@{epoch}"
                items.add(where, item_id, outcome, field=field, group=group, reason=reason)
        else:
            counts = {}
            for _, _, (outcome, _), _ in rows:
                counts[outcome] = counts.get(outcome, 0) + 1
            top = max(counts.values())
            winners = [o for o, c in counts.items() if c == top]
            outcome, reason = (winners[0], None) if len(winners) == 1 else (UNSCORED, f"a tie between {' and '.join(sorted(winners))} over epochs")
            items.add(f"sample {sample_id!r}", sample_id, outcome, field=field, group=rows[0][3], reason=reason)
    items.notes.append(f"Inspect log of task {log.eval.task!r}, model {log.eval.model!r}, scorer {scorer!r}"
                       + (f", {n_epochs} epochs ({epochs})" if n_epochs > 1 else ""))
    return items.results()
