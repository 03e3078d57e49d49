"""Several models' graded results on the same items: scores, ranks and crossovers per target (Section 4).

Under the target-``t`` grader (correct 1, wrong ``−p`` with ``p = t/(1 − t)``, IDK 0;
:func:`hallusim.posttraining.grading.target_grader`) a model's mean score is linear in the penalty,
``s(p) = c − p·w``, with ``c`` its fraction of correct answers and ``w`` of wrong ones. Two models
``m, k`` therefore swap order exactly once, at ``p* = (c_m − c_k)/(w_m − w_k)`` when that is
positive, i.e. at the target ``t* = p*/(1 + p*)``; the ranking of all models changes only at these
pairwise crossovers. The model with fewer correct answers wins above ``t*`` when it also makes
fewer errors.

Uncertainty: a paired bootstrap over items (the same resampled items for every model, so their
differences keep their correlation), seeded, percentile intervals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hallusim._rng import as_seed_sequence
from hallusim._validation import check_float, check_int, check_targets, fail
from hallusim.bounds import confidence_penalty
from hallusim.evallogs._items import GradedResults
from hallusim.posttraining.grading import response_rates, target_grader

__all__ = ["Comparison", "compare_results", "crossover_target"]

_CHUNK = 64  # bootstrap resamples drawn per block (memory n·_CHUNK); fixed, so the same seed gives the same draws


def _linear_score(correct, wrong, penalty):
    """``c − p·w``: :func:`hallusim.posttraining.grading.response_rates`' score in its linear form
    (vectorised over resamples and targets; the tests check the two agree)."""
    return correct - penalty * wrong


def crossover_target(correct_a, wrong_a, correct_b, wrong_b) -> float | None:
    """The target ``t*`` at which two models' target scores are equal, or None if they never cross in (0, 1).

    Parameters
    ----------
    correct_a, wrong_a, correct_b, wrong_b : float
        Fractions of all items answered correctly and wrongly by models a and b.

    Returns
    -------
    float or None
        ``t* = p*/(1 + p*)`` with ``p* = (c_a − c_b)/(w_a − w_b) > 0``.
    """
    dc, dw = correct_a - correct_b, wrong_a - wrong_b
    if dw == 0 or dc == 0 or (dc > 0) != (dw > 0):
        return None
    p = dc / dw
    return p / (1.0 + p)


@dataclass
class Comparison:
    """Models compared on their common items.

    Attributes
    ----------
    models : list of str
    n_items : int
        Items graded for every model (the ones scored).
    unmatched : dict of str to int
        Per model, its items missing from at least one other model (left out).
    correct, wrong : list of float
        Per model, fractions of the common items answered correctly / wrongly.
    targets : list of dict
        Per target: ``target``, ``penalty``, ``scores`` (per model), ``low``/``high`` (bootstrap
        interval per model), ``ranks`` (1 is best; ties share the best rank).
    crossovers : list of dict
        Per pair of models that swap order in (0, 1): ``models`` (a, b), ``target`` t*,
        ``leader_below`` and ``leader_above``.
    differences : list of dict
        Per pair and target: ``models``, ``target``, ``difference`` (score a − score b), ``low``, ``high``.
    n_resamples, seed, level : int, int, float
    notes : list of str
    """

    models: list
    n_items: int
    unmatched: dict
    correct: list
    wrong: list
    targets: list
    crossovers: list
    differences: list
    n_resamples: int
    seed: int
    level: float
    notes: list = field(default_factory=list)
    resampled: tuple | None = field(default=None, repr=False)

    def curve(self, targets) -> dict:
        """Each model's score at every target in ``targets``, with its bootstrap interval.

        Parameters
        ----------
        targets : 1-D array of float in [0, 1)

        Returns
        -------
        dict
            ``target`` (the array), and per model name a dict with ``score``, ``low``, ``high``
            (``low``/``high`` None without resamples).
        """
        t = check_targets("targets", targets)
        p = np.array([confidence_penalty(x) for x in t])
        out = {"target": t}
        alpha = (1.0 - self.level) / 2.0
        for i, name in enumerate(self.models):
            entry = {"score": _linear_score(self.correct[i], self.wrong[i], p), "low": None, "high": None}
            if self.resampled is not None:
                cb, wb = self.resampled
                draws = _linear_score(cb[:, i, None], wb[:, i, None], p[None, :])
                entry["low"], entry["high"] = np.quantile(draws, alpha, axis=0), np.quantile(draws, 1 - alpha, axis=0)
            out[name] = entry
        return out

    def to_dict(self) -> dict:
        """Plain JSON-ready dict."""
        return {
            "models": self.models, "n_items": self.n_items, "unmatched": self.unmatched,
            "correct": self.correct, "wrong": self.wrong, "targets": self.targets, "crossovers": self.crossovers,
            "differences": self.differences, "bootstrap": {"n_resamples": self.n_resamples, "seed": self.seed, "level": self.level},
            "notes": self.notes,
        }

    def to_text(self) -> str:
        """A human-readable table: per target each model's score, interval and rank; then the crossovers."""
        pct = f"{100 * self.level:g}%"
        lines = [f"{len(self.models)} models on {self.n_items} common items"
                 + (f" (paired bootstrap {pct} intervals, {self.n_resamples} resamples, seed {self.seed})" if self.n_resamples else "")]
        for name, n in self.unmatched.items():
            if n:
                lines.append(f"note: {n} item(s) of {name} are missing from another model and left out")
        lines += [f"note: {note}" for note in self.notes]
        for i, name in enumerate(self.models):
            lines.append(f"  [{i + 1}] {name}: correct {self.correct[i]:.3f}, wrong {self.wrong[i]:.3f}, abstain {1 - self.correct[i] - self.wrong[i]:.3f}")
        lines.append("score (rank) per confidence target (correct 1, wrong -t/(1-t), IDK 0):")
        for row in self.targets:
            cells = []
            for i in range(len(self.models)):
                interval = f" [{row['low'][i]:.3f}, {row['high'][i]:.3f}]" if self.n_resamples else ""
                cells.append(f"[{i + 1}] {row['scores'][i]:7.3f}{interval} ({row['ranks'][i]})")
            lines.append(f"  t={row['target']:4.2f}  " + "   ".join(cells))
        if self.crossovers:
            lines.append("ranking changes (exact crossover t* = p*/(1+p*), p* = (c_a - c_b)/(w_a - w_b)):")
            for c in self.crossovers:
                lines.append(f"  t* = {c['target']:.4f}: {c['leader_below']} leads below, {c['leader_above']} above")
        else:
            lines.append("the ranking is the same at every target in [0, 1)")
        if self.n_resamples:
            lines.append(f"pairwise differences (a - b) with {pct} intervals; an interval excluding 0 is a real difference:")
            for d in self.differences:
                a, b = d["models"]
                flag = "" if d["low"] <= 0 <= d["high"] else " *"
                lines.append(f"  t={d['target']:4.2f}  {a} - {b}: {d['difference']:7.3f} [{d['low']:.3f}, {d['high']:.3f}]{flag}")
        return "\n".join(lines)


def _ranks(scores):
    scores = np.asarray(scores)
    return [int(1 + np.sum(scores > s)) for s in scores]


def compare_results(results, *, names=None, targets=(0.0, 0.5, 0.75, 0.9), n_resamples: int = 1000, seed=0,
                    level: float = 0.95) -> Comparison:
    """Compare models' graded results on the items they share: scores, ranks, crossovers, bootstrap intervals.

    Parameters
    ----------
    results : sequence of GradedResults
        One per model (one model: its scores and intervals only); items are matched by id.
    names : sequence of str, optional
        Model names (default: each result's ``source``).
    targets : sequence of float in [0, 1)
    n_resamples : int
        Paired bootstrap resamples (0: no intervals).
    seed : int or None
        Seed of the resampling.
    level : float in (0, 1)
        Coverage of the percentile intervals.

    Returns
    -------
    Comparison
    """
    results = list(results)
    if not results or not all(isinstance(r, GradedResults) for r in results):
        fail("results", "a non-empty sequence of GradedResults", f"<{len(results)} item(s)>")
    names = [r.source for r in results] if names is None else [str(n) for n in names]
    if len(names) != len(results) or len(set(names)) != len(names):
        fail("names", f"{len(results)} distinct names", names)
    targets = check_targets("targets", targets).tolist()
    n_resamples = check_int("n_resamples", n_resamples, minimum=0)
    level = check_float("level", level, low=0.0, high=1.0, low_open=True, high_open=True)
    seq = as_seed_sequence(seed)
    common = set(results[0].ids).intersection(*(r.ids for r in results[1:]))
    if not common:
        fail("results", "results sharing at least one item id", "<no id common to all models>")
    order = [i for i in results[0].ids if i in common]
    unmatched = {name: len(r.ids) - len(common) for name, r in zip(names, results)}
    right, wrong = [], []
    for r in results:
        position = {item: k for k, item in enumerate(r.ids)}
        index = np.array([position[i] for i in order])
        right.append(r.answered[index] & r.correct[index])
        wrong.append(r.answered[index] & ~r.correct[index])
    right, wrong = np.array(right, dtype=np.float64), np.array(wrong, dtype=np.float64)
    n = len(order)
    c, w = right.mean(axis=1), wrong.mean(axis=1)
    penalties = np.array([confidence_penalty(t) for t in targets])
    # One formula for the score: response_rates with the target grader (checked equal to c − p·w).
    scores = np.array([[response_rates(n, int(a + b), int(a), target_grader(t))["score"] for t in targets]
                       for a, b in zip(right.sum(axis=1).astype(int), wrong.sum(axis=1).astype(int))])
    boot = None
    if n_resamples:
        rng = np.random.default_rng(seq)
        cb, wb = np.empty((n_resamples, len(results))), np.empty((n_resamples, len(results)))
        for start in range(0, n_resamples, _CHUNK):
            size = min(_CHUNK, n_resamples - start)
            counts = rng.multinomial(n, np.full(n, 1.0 / n), size=size).astype(np.float64)  # (size, n)
            cb[start:start + size], wb[start:start + size] = counts @ right.T / n, counts @ wrong.T / n
        boot = _linear_score(cb[:, :, None], wb[:, :, None], penalties[None, None, :])  # (resamples, models, targets)
    alpha = (1.0 - level) / 2.0
    rows = []
    for j, t in enumerate(targets):
        row = {"target": t, "penalty": float(penalties[j]), "scores": scores[:, j].tolist(), "ranks": _ranks(scores[:, j])}
        if boot is not None:
            row["low"] = np.quantile(boot[:, :, j], alpha, axis=0).tolist()
            row["high"] = np.quantile(boot[:, :, j], 1 - alpha, axis=0).tolist()
        rows.append(row)
    crossovers, differences = [], []
    for a in range(len(results)):
        for b in range(a + 1, len(results)):
            t_star = crossover_target(c[a], w[a], c[b], w[b])
            if t_star is not None:
                lead_below = names[a] if c[a] > c[b] else names[b]
                crossovers.append({"models": [names[a], names[b]], "target": t_star, "leader_below": lead_below,
                                   "leader_above": names[b] if lead_below == names[a] else names[a]})
            for j, t in enumerate(targets):
                d = {"models": [names[a], names[b]], "target": t, "difference": float(scores[a, j] - scores[b, j])}
                if boot is not None:
                    diff = boot[:, a, j] - boot[:, b, j]
                    d["low"], d["high"] = float(np.quantile(diff, alpha)), float(np.quantile(diff, 1 - alpha))
                differences.append(d)
    crossovers.sort(key=lambda x: x["target"])
    return Comparison(models=names, n_items=n, unmatched=unmatched, correct=c.tolist(), wrong=w.tolist(), targets=rows,
                      crossovers=crossovers, differences=differences, n_resamples=n_resamples,
                      seed=seed if isinstance(seed, int) else None, level=level,
                      resampled=None if boot is None else (cb, wb))
