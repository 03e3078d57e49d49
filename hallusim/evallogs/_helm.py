"""HELM ``per_instance_stats.json`` and simple-evals ``*_allresults.json`` for :mod:`hallusim.evallogs`.

HELM (stanford-crfm/helm at 63754d0, ``src/helm/benchmark/metrics/metric.py::PerInstanceStats``,
``statistic.py::Stat``, ``metric_name.py::MetricName``; written by ``runner.py`` with
``asdict_without_nones``): a JSON array of ``{instance_id, perturbation?, train_trial_index,
stats: [{name: {name, split?, sub_split?, perturbation?}, count, sum, ..., mean}]}``. The outcome
is the stat ``exact_match`` (its mean is fractional when references tie) and the confidence the
stat ``max_prob``, as in HELM's ``basic_metrics.compute_calibration_metrics`` (which truncates a
fractional ``exact_match`` with ``int()``; here it is unscored). Instances under a perturbation
form their own group.

simple-evals (openai/simple-evals at ee3b031, ``simple_evals.py`` and ``common.aggregate_results``):
``/tmp/<eval>_<model>_<date>_allresults.json`` holds ``score``, ``metrics`` (aggregates only),
``htmls`` and ``convos`` (one per sample, in the order of the examples) and
``metadata.example_level_metadata``. Per sample only the HTML's ``<p>Score: True</p>`` survives,
which is SimpleQA's ``is_correct``: an incorrect answer and a not-attempted one both read
``False`` and cannot be told apart. If ``example_level_metadata`` holds ``grade_letter`` (a
one-line change to ``simpleqa_eval.py``, documented in the docs), the grade is read instead.
"""

from __future__ import annotations

import html
import math
import re

from hallusim.evallogs._items import GradedResults, Items, ResultsFileError, bad
from hallusim.evallogs._labels import CORRECT, INCORRECT, UNSCORED, outcome_label

__all__ = ["read_helm", "read_simple_evals"]

_SCORE = re.compile(r"<p>Score:\s*([^<]*)</p>")


def _stat(stats, name):
    found = [s for s in stats if isinstance(s, dict) and isinstance(s.get("name"), dict) and s["name"].get("name") == name]
    return found


def read_helm(source, doc, *, unscored="error") -> GradedResults:
    """Read HELM's per-instance stats as graded items (see the module docstring).

    Parameters
    ----------
    source : str
    doc : list
        The parsed JSON array.
    unscored : {"error", "abstain", "incorrect", "drop"}

    Returns
    -------
    GradedResults
        Ids ``instance_id`` (``#trial`` appended past trial 0), grouped by perturbation name
        (``original`` for unperturbed instances) when any instance is perturbed.
    """
    if not doc:
        raise ResultsFileError(f"{source}: no instances (an empty JSON array).")
    perturbed = any(isinstance(r, dict) and r.get("perturbation") for r in doc)
    has_conf = all(isinstance(r, dict) and isinstance(r.get("stats"), list) and _stat(r["stats"], "max_prob") for r in doc)
    items = Items(source, unscored=unscored, has_confidence=has_conf, has_groups=perturbed)
    for index, r in enumerate(doc):
        where = f"instance {index}"
        if not isinstance(r, dict):
            bad(source, where, "instance", "a JSON object", f"<a JSON {type(r).__name__}>")
        for key in ("instance_id", "stats"):
            if key not in r:
                bad(source, where, key, "present in every per-instance record", "<a record without it>")
        if not isinstance(r["stats"], list):
            bad(source, where, "stats", "a list of stats", f"<a {type(r['stats']).__name__}>")
        if not isinstance(r["instance_id"], (str, int)) or isinstance(r["instance_id"], bool):
            bad(source, where, "instance_id", "a string", f"<a {type(r['instance_id']).__name__}>")
        where = f"instance {r['instance_id']!r}"
        matches = _stat(r["stats"], "exact_match")
        if not matches:
            bad(source, where, "stats.exact_match", "present in every instance's stats", "<no such stat>")
        value = matches[0].get("mean")
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            bad(source, where, "stats.exact_match.mean", "a number", f"<a {type(value).__name__}>")
        if value is None or (isinstance(value, float) and math.isnan(value)):
            outcome, reason = UNSCORED, "no mean"
        elif value in (0, 1):
            outcome, reason = (CORRECT if value == 1 else INCORRECT), None
        else:
            outcome, reason = UNSCORED, f"a fractional exact_match {value!r} (tied references)"
        conf = _stat(r["stats"], "max_prob")[0].get("mean") if has_conf else None
        pert = r.get("perturbation")
        group = (pert.get("name") if isinstance(pert, dict) else None) or "original"
        trial = r.get("train_trial_index", 0)
        if not isinstance(trial, int) or isinstance(trial, bool):
            bad(source, where, "train_trial_index", "an integer", f"<a {type(trial).__name__}>")
        item_id = f"{r['instance_id']}" + (f"#{trial}" if trial else "") + (f"|{group}" if pert else "")
        items.add(where, item_id, outcome, field="stats.exact_match.mean", confidence=conf, group=group, reason=reason,
                  confidence_field="stats.max_prob.mean")
    items.notes.append("HELM per-instance stats: outcome exact_match" + (", confidence max_prob" if has_conf else ", no max_prob (no confidences)"))
    return items.results()


def read_simple_evals(source, doc, *, unscored="error") -> GradedResults:
    """Read simple-evals' ``_allresults.json`` as graded items (see the module docstring).

    Without ``grade_letter`` metadata, a sample scored False is incorrect *or* not attempted:
    it is unscored, and ``unscored`` decides (``abstain`` gives the best case, ``incorrect`` the
    worst; the default refuses).

    Parameters
    ----------
    source : str
    doc : dict
        The parsed JSON document.
    unscored : {"error", "abstain", "incorrect", "drop"}

    Returns
    -------
    GradedResults
        Ids: the sample's question (the first user message), ``#k`` appended to the k-th repeat.
    """
    htmls, convos = doc.get("htmls"), doc.get("convos")
    if not isinstance(htmls, list) or not isinstance(convos, list) or len(htmls) != len(convos):
        bad(source, "", "htmls/convos", "two lists of equal length (one entry per sample)", "<something else>")
    metadata = doc.get("metadata")
    metadata = (metadata.get("example_level_metadata") if isinstance(metadata, dict) else None) or [None] * len(htmls)
    if not isinstance(metadata, list) or len(metadata) != len(htmls):
        bad(source, "", "metadata.example_level_metadata", f"a list of {len(htmls)} entries (one per sample)", "<something else>")
    items = Items(source, unscored=unscored)
    seen = {}
    n_letters = 0
    for index, (page, convo, meta) in enumerate(zip(htmls, convos, metadata)):
        where = f"sample {index}"
        messages = convo if isinstance(convo, list) else []
        question = next((m.get("content") for m in messages if isinstance(m, dict) and m.get("role") == "user"), None)
        if not isinstance(question, str):
            bad(source, where, "convos", "a conversation with a user message", "<none>")
        seen[question] = seen.get(question, 0) + 1
        item_id = question if seen[question] == 1 else f"{question}#{seen[question]}"
        letter = meta.get("grade_letter") if isinstance(meta, dict) else None
        if letter is not None:
            outcome = outcome_label(str(letter), "simpleqa")
            if outcome is None:
                bad(source, where, "metadata.example_level_metadata.grade_letter", "A, B or C", f"<{letter!r}>")
            n_letters += 1
            items.add(where, item_id, outcome, field="grade_letter")
            continue
        found = _SCORE.findall(page) if isinstance(page, str) else []
        if len(found) != 1 or html.unescape(found[0]).strip() not in ("True", "False", "1", "0", "1.0", "0.0"):
            bad(source, where, "htmls", "an HTML page with one '<p>Score: True|False</p>'", f"<{len(found)} score lines>")
        correct = html.unescape(found[0]).strip() in ("True", "1", "1.0")
        items.add(where, item_id, CORRECT if correct else UNSCORED, field="Score",
                  reason="simple-evals keeps only is_correct: incorrect and not attempted read the same")
    if n_letters == len(htmls):
        items.notes.append("simple-evals samples with their grade letters (A/B/C)")
    else:
        items.notes.append("simple-evals keeps only is_correct per sample: an incorrect answer and a not-attempted one "
                           "cannot be told apart (add grade_letter to example_level_metadata to keep them)")
    return items.results()
