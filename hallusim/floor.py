"""The hallucination floor of a training set, from its counts alone (``hallusim floor``).

Theorem 2 of Kalai et al. (2025) says that on arbitrary facts (Definition 1) a calibrated model
(δ = 0) trained on ``N`` examples errs with probability at least
``sr − 2/min_c |E_c| − 6 ln(3N/γ)/√N``, where ``sr`` is the singleton rate (Definition 2), and
that the calibrated learner of Appendix B errs at most ``sr − sr/(L + 1) + 5 sqrt(ln(5/γ)/N)``.
Both only need counts: how many answered examples each prompt has, and how many IDK examples
there are. This module reads them from a file (per-fact counts, a frequency-of-frequencies table
or raw (prompt, response) pairs), estimates the missing mass (Good–Turing, Simple Good–Turing)
with its confidence interval (Corollary 3, Lemma 1), and evaluates both bounds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hallusim import bounds
from hallusim._floor_read import FORMATS, FloorCounts, FloorFileError, read_floor_counts
from hallusim._validation import check_gamma, check_int, fail
from hallusim.goodturing import (
    MissingMassInterval,
    SimpleGoodTuringResult,
    _as_table,
    missing_mass_interval,
    simple_good_turing,
)

__all__ = [
    "FORMATS",
    "FloorFileError",
    "FloorCounts",
    "FloorReport",
    "read_floor_counts",
    "floor_report",
    "floor_from_file",
]

DEFAULT_MIN_ERRORS = 364  # birthdays: |R_c| = 365, |E_c| = 364


# ----------------------------------------------------------------------------------------------
# The report
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FloorReport:
    """What Theorem 2 says about a training set (see :func:`floor_report`).

    Attributes
    ----------
    counts : FloorCounts
        The statistics the report is computed from.
    singleton_rate : float
        ``sr = |S| / N`` (Definition 2).
    missing_mass : MissingMassInterval
        Good–Turing estimate ``sr`` of ``MM`` with the Lemma 1 interval (valid with IDK examples).
    good_turing : MissingMassInterval or None
        The same estimate with the tighter Corollary 3 interval, when there are no IDK examples.
    sgt : SimpleGoodTuringResult or None
        Simple Good–Turing fit of the answered counts (None with fewer than two distinct counts).
        Its ``p0`` is Gale & Sampson's ``n_1 / N_answered``, so ``p0·N_answered/N = sr``: SGT smooths
        the probabilities of seen prompts, not the missing mass.
    min_errors, max_errors : int
        ``min_c |E_c|`` and ``L = max_c |E_c|`` assumed for every prompt.
    gamma : float
        Each bound holds with probability at least ``1 − gamma``.
    lower_bound : float
        Theorem 2's lower bound on ``err`` of a calibrated model (δ = 0), may be negative.
    lower_slack : float
        ``2/min_c |E_c| + 6 ln(3N/γ)/√N``; the bound is vacuous when it is at least ``sr``.
    upper_bound : float
        Theorem 2's upper bound on ``err`` of the calibrated learner of Appendix B.
    n_informative : float or None
        The ``N`` at which the lower bound's slack would fall below the present ``sr`` (None if it
        never does, i.e. ``sr <= 2/min_c |E_c|``).
    reading : str
        One sentence saying what the numbers mean.
    """

    counts: FloorCounts
    singleton_rate: float
    missing_mass: MissingMassInterval
    good_turing: MissingMassInterval | None
    sgt: SimpleGoodTuringResult | None
    min_errors: int
    max_errors: int
    gamma: float
    lower_bound: float
    lower_slack: float
    upper_bound: float
    n_informative: float | None
    reading: str

    @property
    def vacuous(self) -> bool:
        """Whether the lower bound's slack is at least ``sr`` (no information at this ``N``)."""
        return self.lower_slack >= self.singleton_rate

    def to_dict(self) -> dict:
        """A JSON-ready dictionary of every figure in the report."""
        c = self.counts

        def interval(iv):
            if iv is None:
                return None
            return {"estimate": iv.estimate, "low": iv.low, "high": iv.high, "half_width": iv.half_width,
                    "gamma": iv.gamma, "bound": iv.bound}

        sgt = None
        if self.sgt is not None:
            s = self.sgt
            sgt = {"p0": s.p0, "missing_mass": s.p0 * c.n_answered / c.n_examples, "intercept": s.intercept,
                   "slope": s.slope, "slope_valid": s.slope_valid, "switch_r": s.switch_r,
                   "confidence": s.confidence}
        return {
            "source": c.source, "detected": c.detected, "n_examples": c.n_examples, "n_answered": c.n_answered,
            "n_idk": c.n_idk, "n_prompts": c.n_prompts, "n_prompts_without_examples": c.n_prompts_without_examples,
            "n_singletons": c.n_singletons,
            "singleton_rate": self.singleton_rate, "missing_mass": interval(self.missing_mass),
            "good_turing": interval(self.good_turing), "simple_good_turing": sgt,
            "min_errors": self.min_errors, "max_errors": self.max_errors, "gamma": self.gamma,
            "theorem2_lower": {"value": self.lower_bound, "slack": self.lower_slack, "delta": 0.0,
                               "gamma": self.gamma, "vacuous": self.vacuous, "n_informative": self.n_informative},
            "theorem2_upper": {"value": self.upper_bound, "gamma": self.gamma},
            "reading": self.reading,
        }

    def format_text(self) -> str:
        """The report as aligned ``label: value`` lines."""
        c, conf = self.counts, f"{1 - self.gamma:.4g}"
        lines = []
        if c.source:
            lines.append(f"file:                 {c.source}")
        lines += [
            f"read as:              {c.detected}",
            f"examples N:           {c.n_examples:,} ({c.n_answered:,} answered, {c.n_idk:,} IDK)",
            f"distinct prompts:     {c.n_prompts:,}"
            + (f" ({c.n_prompts_without_examples:,} listed without any example)" if c.n_prompts_without_examples else ""),
            f"singletons |S|:       {c.n_singletons:,}",
            f"singleton rate sr:    {self.singleton_rate:.6g}",
        ]
        mm = self.missing_mass
        lines.append(f"missing mass (GT):    {mm.estimate:.6g}  in [{mm.low:.4g}, {mm.high:.4g}] w.p. >= {conf} (Lemma 1)")
        if self.good_turing is not None:
            g = self.good_turing
            lines.append(f"                      in [{g.low:.4g}, {g.high:.4g}] w.p. >= {conf} (Corollary 3, no IDK examples)")
        if self.sgt is None:
            lines.append("missing mass (SGT):   not available (fewer than two distinct counts)")
        else:
            s = self.sgt
            validity = "" if s.slope_valid else "; slope not below -1: SGT not valid here"
            lines.append(
                f"missing mass (SGT):   {s.p0 * c.n_answered / c.n_examples:.6g}  (Gale & Sampson's P0 = n_1/N, "
                f"same interval); log-log slope {s.slope:.4g}, switch at r = {s.switch_r}{validity}"
            )
        lines += [
            f"min_c |E_c|:          {self.min_errors} (L = max_c |E_c| = {self.max_errors})",
            f"Theorem 2 lower:      err >= {self.lower_bound:.6g} for a calibrated model (delta = 0), w.p. >= {conf}"
            f"  [slack {self.lower_slack:.4g}{', vacuous at this N' if self.vacuous else ''}]",
            f"Theorem 2 upper:      err <= {self.upper_bound:.6g} for the calibrated learner, w.p. >= {conf}"
            + ("  [vacuous: above 1]" if self.upper_bound >= 1 else ""),
            f"reading:              {self.reading}",
        ]
        return "\n".join(lines)


def _n_informative(sr, min_errors, gamma):
    """Smallest ``N`` at which Theorem 2's lower bound (δ = 0) at this ``sr`` is positive, or None.

    The slack ``2/min_c |E_c| + 6 ln(3N/γ)/√N`` decreases in ``N`` (for ``3N/γ > e²``) towards
    ``2/min_c |E_c|``, so the bound becomes positive for large ``N`` iff ``sr > 2/min_c |E_c|``.
    """
    if sr <= 2.0 / min_errors:
        return None

    def positive(n):
        return bounds.theorem2_lower(sr, min_errors, n, delta=0.0, gamma=gamma) > 0

    hi = 8
    while not positive(hi):
        hi *= 2
        if hi > 2**200:
            return None
    lo = max(1, hi // 2)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if positive(mid):
            hi = mid
        else:
            lo = mid
    return float(hi)


def _reading(n, sr, lower, slack, upper, gamma, n_needed, mm: MissingMassInterval):
    level = f"{100 * (1 - gamma):.4g}%"
    if slack < sr:
        upper_text = f", and the calibrated learner of Appendix B at most {upper:.2%}" if upper < 1 else ""
        return (f"With probability at least {level}, every calibrated model (delta = 0) trained on these {n:,} "
                f"examples generates an erroneous answer with probability at least {lower:.2%} on a prompt "
                f"drawn like them (Theorem 2){upper_text}.")
    if n_needed is None:
        future = "; it stays vacuous at every N because sr <= 2/min_c |E_c|"
    else:
        future = f"; at this singleton rate it would need about N >= {n_needed:.2g} examples"
    return (f"The Theorem 2 lower bound is vacuous at this N (its slack {slack:.3g} exceeds sr = {sr:.3g}){future}; "
            f"the missing mass, which a calibrated model's error approaches for large N, is estimated at "
            f"{mm.estimate:.2%} (in [{mm.low:.2%}, {mm.high:.2%}] with probability at least {level}).")


def floor_report(counts, *, n_examples=None, n_prompts=None, min_errors: int = DEFAULT_MIN_ERRORS,
                 max_errors: int | None = None, gamma: float = 0.01, confidence: float = 1.96) -> FloorReport:
    """Theorem 2's floor for a training set given by its counts.

    Parameters
    ----------
    counts : FloorCounts, array_like of int, or tuple (r, n_r)
        Answered examples per prompt (or their frequency of frequencies), or a :class:`FloorCounts`
        from :func:`read_floor_counts`.
    n_examples : int, optional
        ``N`` including IDK examples (arrays only; default: the answered examples).
    n_prompts : int, optional
        Distinct prompts (arrays only; default: the prompts with a positive count).
    min_errors : int
        ``min_c |E_c|`` (default 364, birthdays).
    max_errors : int, optional
        ``L = max_c |E_c|`` for the upper bound (default ``min_errors``: every prompt alike).
    gamma : float in (0, 1]
        Failure probability of each bound and interval (default 0.01).
    confidence : float
        Simple Good–Turing's switch multiplier (default 1.96).

    Returns
    -------
    FloorReport
    """
    min_errors = check_int("min_errors", min_errors, minimum=1)
    max_errors = min_errors if max_errors is None else check_int("max_errors", max_errors, minimum=min_errors)
    gamma = check_gamma("gamma", gamma)
    if not isinstance(counts, FloorCounts):
        r, n_r = _as_table(counts)
        answered = int(np.dot(r, n_r)) if r.size else 0
        n = answered if n_examples is None else check_int("n_examples", n_examples, minimum=answered)
        if n < 1:
            fail("counts", "counts of at least one example", "<no examples>")
        seen = int(n_r.sum())
        prompts = seen if n_prompts is None else check_int("n_prompts", n_prompts, minimum=seen)
        counts = FloorCounts(r, n_r, n, n - answered, prompts, None, "counts given as arrays")
    n = counts.n_examples
    table = (counts.r, counts.n_r)
    sr = counts.n_singletons / n
    mm = missing_mass_interval(table, n_examples=n, gamma=gamma, bound="lemma1")
    gt = missing_mass_interval(table, n_examples=n, gamma=gamma, bound="corollary3") if counts.n_idk == 0 else None
    sgt = None
    if counts.r.size >= 2:
        sgt = simple_good_turing(counts.r, counts.n_r, confidence, on_invalid_slope="ignore")
    lower = bounds.theorem2_lower(sr, min_errors, n, delta=0.0, gamma=gamma)
    upper = bounds.theorem2_upper(sr, max_errors, n, gamma=gamma)
    slack = sr - lower
    n_needed = _n_informative(sr, min_errors, gamma)
    return FloorReport(
        counts=counts, singleton_rate=sr, missing_mass=mm, good_turing=gt, sgt=sgt,
        min_errors=min_errors, max_errors=max_errors, gamma=gamma, lower_bound=lower, lower_slack=slack,
        upper_bound=upper, n_informative=n_needed,
        reading=_reading(n, sr, lower, slack, upper, gamma, n_needed, mm),
    )


def floor_from_file(path, *, format: str = "auto", idk_token: str = "IDK", check_keys: bool = False,
                    min_errors: int = DEFAULT_MIN_ERRORS, max_errors: int | None = None, gamma: float = 0.01,
                    confidence: float = 1.96) -> FloorReport:
    """:func:`read_floor_counts` then :func:`floor_report` (what ``hallusim floor FILE`` prints).

    Parameters
    ----------
    path, format, idk_token, check_keys
        As in :func:`read_floor_counts`.
    min_errors, max_errors, gamma, confidence
        As in :func:`floor_report`.

    Returns
    -------
    FloorReport
    """
    counts = read_floor_counts(path, format=format, idk_token=idk_token, check_keys=check_keys)
    return floor_report(counts, min_errors=min_errors, max_errors=max_errors, gamma=gamma, confidence=confidence)
