"""The floor report: what Theorem 2 says about a training set, from its counts alone."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from hallusim import bounds
from hallusim._validation import check_gamma, check_int, fail
from hallusim.floor._counts import _MAX_EXAMPLES, FloorCounts
from hallusim.floor._read import read_floor_counts
from hallusim.floor._text import read_text_counts
from hallusim.goodturing import (
    MissingMassInterval,
    SimpleGoodTuringResult,
    as_frequency_table,
    missing_mass_interval,
    simple_good_turing,
    total_count,
)

__all__ = ["DEFAULT_MIN_ERRORS", "FloorReport", "floor_report", "floor_from_file"]

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
        The statistics the report is computed from. When ``counts.n_idk`` is None (IDK examples
        not given), ``N`` is the number of answered examples and every figure that needs ``N``
        assumes the training set has no IDK examples.
    singleton_rate : float
        ``sr = |S| / N`` (Definition 2).
    missing_mass : MissingMassInterval
        Good–Turing estimate ``sr`` of ``MM`` with the Lemma 1 interval (valid with IDK examples,
        provided ``N`` counts them).
    good_turing : MissingMassInterval or None
        The Corollary 3 interval around ``n_1 / N_answered``: with no IDK examples it covers
        ``MM``; with IDK examples not given it covers the missing mass of the answered examples,
        ``MM / (1 − p(IDK)) >= MM``, whatever the IDK examples. None when the input has IDK
        examples.
    sgt : SimpleGoodTuringResult or None
        Simple Good–Turing fit of the answered counts (None with fewer than two distinct counts).
        Its ``p0`` is Gale & Sampson's ``n_1 / N_answered``, so ``p0·N_answered/N = sr``: SGT smooths
        the probabilities of seen prompts, not the missing mass.
    min_errors, max_errors : int
        ``min_c |E_c|`` and ``L = max_c |E_c|`` assumed for every prompt.
    gamma : float
        Each bound and interval holds with probability at least ``1 − gamma`` (separately; two of
        them hold together with probability at least ``1 − 2·gamma``).
    lower_bound : float
        Theorem 2's lower bound on ``err`` at ``δ = 0``: for any algorithm, with probability at least
        ``1 − gamma``, ``err >= lower_bound − δ``. May be negative.
    lower_slack : float
        ``2/min_c |E_c| + 6 ln(3N/γ)/√N``; the bound is vacuous when it is at least ``sr``.
    upper_bound : float
        Theorem 2's upper bound on ``err`` of the calibrated learner of Appendix B.
    n_informative : float or None
        The ``N`` at which the lower bound's slack would fall below the present ``sr`` (None if it
        never does, i.e. ``sr <= 2/min_c |E_c|``).
    reading : str
        What the numbers mean, in words.
    warnings : tuple of str
        Problems with the input that limit what the report can say (no singletons at all; a
        running-text input, read as (context → next token) facts).
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
    warnings: tuple = ()

    @property
    def vacuous(self) -> bool:
        """Whether the lower bound's slack is at least ``sr`` (no information at this ``N``)."""
        return self.lower_slack >= self.singleton_rate

    def to_dict(self) -> dict:
        """A JSON-ready dictionary of every figure in the report."""
        c = self.counts

        def interval(iv, covers):
            if iv is None:
                return None
            return {"estimate": iv.estimate, "low": iv.low, "high": iv.high, "half_width": iv.half_width,
                    "gamma": iv.gamma, "bound": iv.bound, "n": iv.n, "covers": covers}

        sgt = None
        if self.sgt is not None:
            s = self.sgt
            sgt = {"p0": s.p0, "missing_mass": s.p0 * c.n_answered / c.n_examples, "intercept": s.intercept,
                   "slope": s.slope, "slope_valid": s.slope_valid, "switch_r": s.switch_r,
                   "confidence": s.confidence}
        lemma1_covers = "MM" if c.idk_given else "MM, if there are no IDK examples"
        gt_covers = "MM (no IDK examples)" if c.idk_given else "the missing mass of the answered examples (>= MM)"
        return {
            "source": c.source, "detected": c.detected, "n_examples": c.n_examples, "n_answered": c.n_answered,
            "n_idk": c.n_idk, "idk_given": c.idk_given, "n_prompts": c.n_prompts,
            "n_prompts_without_examples": c.n_prompts_without_examples, "n_singletons": c.n_singletons,
            "singleton_rate": self.singleton_rate, "missing_mass": interval(self.missing_mass, lemma1_covers),
            "good_turing": interval(self.good_turing, gt_covers), "simple_good_turing": sgt,
            "min_errors": self.min_errors, "max_errors": self.max_errors, "gamma": self.gamma,
            "theorem2_lower": {"value": self.lower_bound, "slack": self.lower_slack, "delta": 0.0,
                               "gamma": self.gamma, "vacuous": self.vacuous, "n_informative": self.n_informative,
                               "assumes_no_idk": not c.idk_given},
            "theorem2_upper": {"value": self.upper_bound, "gamma": self.gamma, "assumes_no_idk": not c.idk_given},
            "reading": self.reading, "warnings": list(self.warnings),
            "omitted_examples": c.omitted_examples,
        }

    def to_text(self) -> str:
        """The report as aligned ``label: value`` lines."""
        c, conf = self.counts, f"{1 - self.gamma:.4g}"
        lines = []
        if c.source:
            lines.append(f"file:                 {c.source}")
        if c.idk_given:
            examples = f"{c.n_examples:,} ({c.n_answered:,} answered, {c.n_idk:,} IDK)"
        else:
            examples = (f"{c.n_examples:,} answered (IDK: not given; N below counts answered examples only, "
                        "as if there were no IDK examples: pass --idk-examples K if there were K)")
        lines += [
            f"read as:              {c.detected}",
            f"examples N:           {examples}",
            f"distinct prompts:     {c.n_prompts:,}"
            + (f" ({c.n_prompts_without_examples:,} listed without any example)" if c.n_prompts_without_examples else ""),
            f"singletons |S|:       {c.n_singletons:,}",
            f"singleton rate sr:    {self.singleton_rate:.6g}",
        ]
        mm = self.missing_mass
        lemma1 = "Lemma 1" if c.idk_given else "Lemma 1, if there are no IDK examples"
        lines.append(f"missing mass (GT):    {mm.estimate:.6g}  in [{mm.low:.4g}, {mm.high:.4g}] w.p. >= {conf} ({lemma1})")
        if self.good_turing is not None:
            g = self.good_turing
            covers = ("Corollary 3, no IDK examples" if c.idk_given else
                      "Corollary 3: the missing mass of the answered examples, MM/(1 - p(IDK)) >= MM, whatever the IDK examples")
            lines.append(f"                      in [{g.low:.4g}, {g.high:.4g}] w.p. >= {conf} ({covers})")
        if self.sgt is None:
            why = ("the table omits its most frequent items" if c.truncated else "fewer than two distinct counts")
            lines.append(f"missing mass (SGT):   not available ({why})")
        else:
            s = self.sgt
            validity = "" if s.slope_valid else "; slope not below -1: SGT not valid here"
            lines.append(
                f"missing mass (SGT):   {s.p0 * c.n_answered / c.n_examples:.6g}  (Gale & Sampson's P0 = n_1/N, "
                f"same interval); log-log slope {s.slope:.4g}, switch at r = {s.switch_r}{validity}"
            )
        assumption = "" if c.idk_given else "; assumes no IDK examples"
        lines += [
            f"min_c |E_c|:          {self.min_errors} (L = max_c |E_c| = {self.max_errors})",
            f"Theorem 2 lower:      for any algorithm, w.p. >= {conf}: err >= {self.lower_bound:.6g} - delta "
            f"(delta = 0 for a calibrated model)  [slack {self.lower_slack:.4g}"
            f"{', vacuous at this N' if self.vacuous else ''}{assumption}]",
            f"Theorem 2 upper:      err <= {self.upper_bound:.6g} for the calibrated learner of Appendix B, w.p. >= {conf}"
            + ("  [vacuous: above 1]" if self.upper_bound >= 1 else "") + (f"  [{assumption[2:]}]" if assumption else ""),
            f"reading:              {self.reading}",
        ]
        lines += [f"warning:              {text}" for text in self.warnings]
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


def _reading(report_counts: FloorCounts, sr, lower, slack, upper, gamma, min_errors, max_errors, n_needed,
             mm: MissingMassInterval, gt: MissingMassInterval | None) -> str:
    """The reading of a report, in words that claim no more than Theorem 2 and Lemma 1 say."""
    level, both = f"{1 - gamma:.4g}", f"{max(0.0, 1 - 2 * gamma):.4g}"
    n = report_counts.n_examples
    if slack < sr:
        upper_text = (f"; separately, also with probability at least {level}, the calibrated learner of Appendix B "
                      f"errs at most {upper:.2%} (both statements hold together with probability at least {both}, "
                      "by a union bound)") if upper < 1 else ""
        text = (f"For any training algorithm, with probability at least {level} over the facts and training sets "
                f"drawn like this one (N = {n:,}), the model it trains errs with probability at least {lower:.2%} minus its "
                f"calibration gap delta on prompts drawn like these (Theorem 2; at least {lower:.2%} if it is "
                f"calibrated, delta = 0){upper_text}.")
    else:
        if n_needed is None:
            future = "; it stays vacuous at every N because sr <= 2/min_c |E_c|"
        else:
            future = (f"; at this singleton rate it would become positive from about N >= {n_needed:.2g}, and tend to "
                      f"sr - 2/min_c |E_c| = {sr - 2 / min_errors:.2%} as N grows")
        # MM <= the interval's upper end with probability >= 1 - γ; Appendix B's learner errs
        # Σ_{c∈U} μ(c) α_c (|R_c| − 1)/|R_c| <= MM·L/(L + 1).
        cover = mm if report_counts.idk_given else gt
        source = "Lemma 1" if report_counts.idk_given else "Corollary 3, whatever the IDK examples"
        ratio = max_errors / (max_errors + 1)
        text = (f"The Theorem 2 lower bound is vacuous at this N (its slack {slack:.3g} is at least sr = {sr:.3g}){future}. "
                f"The missing mass MM is estimated at {mm.estimate:.2%}, and with probability at least {level} it is "
                f"at most {cover.high:.2%} ({source}), so that the calibrated learner of Appendix B, whose error is "
                f"at most MM·L/(L+1), errs at most {cover.high * ratio:.2%}.")
    if not report_counts.idk_given:
        text += (" IDK examples were not given: N counts answered examples only, so sr and the Theorem 2 bounds "
                 "assume there were none (K IDK examples would lower sr to n_1/(N + K); pass --idk-examples K).")
    return text


def _with_idk(counts: FloorCounts, n_examples, idk_examples) -> FloorCounts:
    """``counts`` with the IDK examples given by ``n_examples`` or ``idk_examples`` (if any)."""
    if n_examples is None and idk_examples is None:
        return counts
    if n_examples is not None and idk_examples is not None:
        fail("idk_examples", "omitted when `n_examples` is given (N already counts the IDK examples)", idk_examples)
    name, value = ("idk_examples", idk_examples) if idk_examples is not None else ("n_examples", n_examples)
    if counts.idk_given:
        fail(name, f"omitted: the input gives its IDK examples itself ({counts.n_idk:,})", value)
    answered = counts.n_answered
    if idk_examples is not None:
        idk = check_int("idk_examples", idk_examples, minimum=0)
    else:
        idk = check_int("n_examples", n_examples, minimum=answered) - answered
    if answered + idk > _MAX_EXAMPLES:
        fail(name, "such that N = answered + IDK examples is at most 2**63 - 1", value)
    return replace(counts, n_examples=answered + idk, n_idk=idk)


def _with_total(counts: FloorCounts, total_examples) -> FloorCounts:
    """``counts`` of a truncated table completed by its total of answered examples."""
    if total_examples is None:
        return counts
    listed = counts.n_answered
    total = check_int("total_examples", total_examples, minimum=max(1, listed))
    if total > _MAX_EXAMPLES:
        fail("total_examples", "at most 2**63 - 1", total_examples)
    if counts.idk_given:
        fail("total_examples", "omitted for input that gives its IDK examples (it is not a truncated table)",
             total_examples)
    omitted = total - listed
    return replace(counts, n_examples=counts.n_examples + omitted, omitted_examples=counts.omitted_examples + omitted,
                   detected=counts.detected + (f"; truncated: {omitted:,} answered examples of items the table omits "
                                               f"(--total-examples {total:,})" if omitted else ""))


def _warnings(counts: FloorCounts) -> tuple:
    found = []
    if counts.n_singletons == 0:
        found.append(
            "no singletons (n_1 = 0): the singleton rate is 0, which gives no floor. A frequency list cut at a "
            "minimum count omits its rare items, and with them the singletons the floor is made of; use the full "
            "counts if you have them (the estimate is a silent 0 otherwise, not a measurement).")
    if counts.caveat:
        found.append(counts.caveat)
    return tuple(found)


def floor_report(counts, *, n_examples=None, idk_examples=None, n_prompts=None, total_examples=None,
                 min_errors: int = DEFAULT_MIN_ERRORS,
                 max_errors: int | None = None, gamma: float = 0.01, confidence: float = 1.96) -> FloorReport:
    """Theorem 2's floor for a training set given by its counts.

    Parameters
    ----------
    counts : FloorCounts, array_like of int, or tuple (r, n_r)
        Answered examples per prompt (or their frequency of frequencies), or a :class:`FloorCounts`
        from :func:`read_floor_counts`.
    n_examples : int, optional
        ``N`` including IDK examples. Only where the input does not give its IDK examples (arrays,
        tables, counts without an IDK column); the same as ``idk_examples = N − answered``.
    idk_examples : int, optional
        The number of IDK examples, where the input does not give them. Without ``n_examples`` or
        ``idk_examples`` such input is reported with IDK examples *not given*: ``N`` counts the
        answered examples, and the report says which figures assume there were no IDK examples.
    n_prompts : int, optional
        Distinct prompts (arrays only; default: the prompts with a positive count).
    total_examples : int, optional
        For a frequency table that omits its most frequent items: the answered examples of the
        whole training set, listed or not (``N`` before IDK examples). The singleton count is in the
        table, so ``sr = n_1/N`` is right with it and wrong without it.
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

    Notes
    -----
    Which interval covers what: Lemma 1 (``4.42·sqrt(ln(5/γ)/N)`` around ``sr``) covers ``MM``
    when ``N`` counts the IDK examples; Corollary 3 (``1/N + 2.42·sqrt(ln(4/γ)/N)``) is reported
    when there are no IDK examples (then it covers ``MM``) or when they are not given (then, with
    ``N`` the answered examples, it covers the answered examples' missing mass
    ``MM/(1 − p(IDK))``, an upper bound on ``MM``, whatever the IDK examples: given their number,
    the answered examples are iid from ``μ(c)α_c / Σ μα``).
    """
    min_errors = check_int("min_errors", min_errors, minimum=1)
    max_errors = min_errors if max_errors is None else check_int("max_errors", max_errors, minimum=min_errors)
    gamma = check_gamma("gamma", gamma)
    if isinstance(counts, FloorCounts):
        if n_prompts is not None:
            fail("n_prompts", "omitted when `counts` is a FloorCounts (it counts its prompts)", n_prompts)
    else:
        r, n_r = as_frequency_table(counts)
        seen = total_count(np.ones_like(n_r), n_r)
        prompts = seen if n_prompts is None else check_int("n_prompts", n_prompts, minimum=seen)
        counts = FloorCounts(r, n_r, total_count(r, n_r), None, prompts, None, "counts given as arrays")
    counts = _with_idk(_with_total(counts, total_examples), n_examples, idk_examples)
    n = counts.n_examples
    if n < 1:
        where = f" (in {counts.source})" if counts.source else ""
        fail("counts", f"counts of at least one example{where}", "<no examples>")
    if n > _MAX_EXAMPLES:
        fail("counts", "counts of at most 2**63 - 1 examples", f"<N = {n}>")
    table = (counts.r, counts.n_r)
    sr = counts.n_singletons / n
    mm = missing_mass_interval(table, n_examples=n, gamma=gamma, bound="lemma1")
    gt = None
    if not counts.n_idk:
        gt = missing_mass_interval(table, n_examples=counts.n_answered, gamma=gamma, bound="corollary3")
    sgt = None
    if counts.r.size >= 2 and not counts.truncated:
        sgt = simple_good_turing(counts.r, counts.n_r, confidence, on_invalid_slope="ignore")
    lower = bounds.theorem2_lower(sr, min_errors, n, delta=0.0, gamma=gamma)
    upper = bounds.theorem2_upper(sr, max_errors, n, gamma=gamma)
    slack = sr - lower
    n_needed = _n_informative(sr, min_errors, gamma)
    return FloorReport(
        counts=counts, singleton_rate=sr, missing_mass=mm, good_turing=gt, sgt=sgt,
        min_errors=min_errors, max_errors=max_errors, gamma=gamma, lower_bound=lower, lower_slack=slack,
        upper_bound=upper, n_informative=n_needed,
        reading=_reading(counts, sr, lower, slack, upper, gamma, min_errors, max_errors, n_needed, mm, gt),
        warnings=_warnings(counts),
    )


def floor_from_file(path, *, format: str = "auto", idk_token: str = "IDK", check_keys: bool = True,
                    idk_examples: int | None = None, total_examples: int | None = None,
                    context_order: int | None = None, min_errors: int = DEFAULT_MIN_ERRORS,
                    max_errors: int | None = None, gamma: float = 0.01, confidence: float = 1.96) -> FloorReport:
    """:func:`read_floor_counts` (or :func:`read_text_counts`) then :func:`floor_report`.

    What ``hallusim floor FILE`` prints.

    Parameters
    ----------
    path, format, idk_token, check_keys
        As in :func:`read_floor_counts` (CSV, TSV, JSON Lines, Parquet or Arrow IPC).
    idk_examples, total_examples, min_errors, max_errors, gamma, confidence
        As in :func:`floor_report` (``idk_examples`` only for files that do not give their IDK
        examples, ``total_examples`` for a truncated frequency table).
    context_order : int, optional
        Read ``path`` as running text instead, each (context of ``context_order`` tokens → next
        token) pair a fact (:func:`read_text_counts`); the report then says it is a missing-mass
        estimate, not Theorem 2's floor on arbitrary facts.

    Returns
    -------
    FloorReport
    """
    if context_order is not None:
        counts = read_text_counts(path, context_order=context_order)
    else:
        counts = read_floor_counts(path, format=format, idk_token=idk_token, check_keys=check_keys)
    return floor_report(counts, idk_examples=idk_examples, total_examples=total_examples, min_errors=min_errors,
                        max_errors=max_errors, gamma=gamma, confidence=confidence)
