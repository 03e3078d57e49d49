"""Good–Turing estimators, exact expectations and Simple Good–Turing.

The quantities of THEORY.md §3 as functions of counts:

* the frequency of frequencies ``(r, n_r)`` of per-item counts;
* the singleton fraction ``n_1 / N`` (Definition 2 when ``N`` counts IDK examples too) and the
  classical Good–Turing estimate of the missing mass, which is the same number;
* the adjusted counts ``r* = (r + 1) n_{r+1} / n_r`` (Good 1953);
* exact expectations and variances of the singleton count and of the missing mass when ``N``
  examples are drawn iid and item ``i`` is drawn with probability ``w_i`` (for the arbitrary-facts
  world of Definition 1 pass ``w = μ·α``: an answered example of prompt ``c`` has probability
  ``μ(c) α_c``, IDK examples are the remaining mass), implemented in the private module
  ``hallusim._gt_moments`` and exported from here;
* Simple Good–Turing (Gale & Sampson 1995), see :func:`simple_good_turing`.

Confidence intervals for the missing mass use :func:`hallusim.bounds.good_turing_deviation`
(Corollary 3) and :func:`hallusim.bounds.missing_mass_deviation` (Lemma 1).
"""

from __future__ import annotations

import operator
import warnings
from dataclasses import dataclass

import numpy as np

from hallusim import bounds
from hallusim._gt_moments import (
    EXACT_VARIANCE_MAX_ITEMS,
    expected_missing_mass,
    expected_singletons,
    missing_mass_variance,
    singleton_variance,
)
from hallusim._validation import (
    check_choice,
    check_float,
    check_gamma,
    check_int,
    check_int_array,
    fail,
)

__all__ = [
    "frequency_of_frequencies",
    "singleton_fraction",
    "good_turing_missing_mass",
    "adjusted_counts",
    "expected_singletons",
    "expected_missing_mass",
    "singleton_variance",
    "missing_mass_variance",
    "MissingMassInterval",
    "missing_mass_interval",
    "InvalidSlopeWarning",
    "SimpleGoodTuringResult",
    "simple_good_turing",
    "simple_good_turing_from_counts",
    "EXACT_VARIANCE_MAX_ITEMS",
]


# ----------------------------------------------------------------------------------------------
# Frequency of frequencies
# ----------------------------------------------------------------------------------------------


def _counts(name: str, counts) -> np.ndarray:
    arr = check_int_array(name, counts, minimum=0)
    if np.ndim(arr) == 0:
        fail(name, "a 1-D array of non-negative integer counts", counts)
    return arr


def frequency_of_frequencies(counts) -> tuple[np.ndarray, np.ndarray]:
    """Frequency of frequencies of per-item counts.

    Parameters
    ----------
    counts : array_like of int
        One non-negative count per item (prompt). Zeros (unseen items) are ignored.

    Returns
    -------
    r : ndarray of int64
        The distinct positive counts, ascending.
    n_r : ndarray of int64
        ``n_r[k]`` is the number of items seen exactly ``r[k]`` times (all >= 1).
    """
    arr = _counts("counts", counts)
    positive = arr[arr > 0]
    if positive.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    top = int(positive.max())
    if top <= 4 * positive.size + (1 << 20):  # dense tally: O(C + max r), no sort
        tally = np.bincount(positive, minlength=top + 1)
        r = np.flatnonzero(tally).astype(np.int64)
        return r, tally[r].astype(np.int64)
    r, n_r = np.unique(positive, return_counts=True)
    return r.astype(np.int64), n_r.astype(np.int64)


def _table(r, n_r, *, allow_empty: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Validate a frequency-of-frequencies table: ``r`` strictly increasing >= 1, ``n_r`` >= 1."""
    r = check_int_array("r", r, minimum=1)
    n_r = check_int_array("n_r", n_r, minimum=1)
    if np.ndim(r) == 0 or np.ndim(n_r) == 0:
        fail("r", "a 1-D integer array paired with a 1-D array `n_r`", r)
    if r.shape != n_r.shape:
        fail("n_r", f"an array of the same length as `r` ({r.size})", f"<an array of length {n_r.size}>")
    if r.size == 0 and not allow_empty:
        fail("r", "a non-empty frequency-of-frequencies table", "<an empty table>")
    if r.size > 1 and not np.all(np.diff(r) > 0):
        bad = int(np.flatnonzero(np.diff(r) <= 0)[0]) + 1
        fail("r", "strictly increasing", f"<{r[bad]} after {r[bad - 1]} at index {bad}>")
    return r, n_r


def _exact_total(r: np.ndarray, n_r: np.ndarray) -> int:
    """``Σ_k r[k]·n_r[k]`` as an exact Python int (int64 arithmetic would wrap past 2^63).

    Non-negative int64 inputs. The int64 dot product is used when a float64 estimate of the sum
    shows that it stays below 2^62 (float64's relative error is far below the factor 2 of margin);
    otherwise the products are summed as Python ints.
    """
    if r.size == 0:
        return 0
    if float(np.dot(r.astype(np.float64), n_r.astype(np.float64))) < 2.0**62:
        return int(np.dot(r, n_r))
    return sum(map(operator.mul, r.tolist(), n_r.tolist()))


def _as_table(counts_or_table) -> tuple[np.ndarray, np.ndarray]:
    """A ``(r, n_r)`` tuple is a table; anything else is per-item counts."""
    if isinstance(counts_or_table, tuple):
        if len(counts_or_table) != 2:
            fail("counts_or_table", "per-item counts or an (r, n_r) tuple", counts_or_table)
        return _table(*counts_or_table, allow_empty=True)
    return frequency_of_frequencies(counts_or_table)


def singleton_fraction(counts_or_table, n_examples=None) -> float:
    """Fraction of the ``N`` examples whose item occurs exactly once: ``n_1 / N``.

    With ``n_examples`` counting the IDK examples as well, this is the singleton rate ``sr`` of
    Definition 2; by default ``N = Σ_r r·n_r`` (the fraction ``GT`` of Corollary 3).

    Parameters
    ----------
    counts_or_table : array_like of int, or tuple (r, n_r)
        Per-item counts (zeros ignored), or a frequency-of-frequencies table given as a
        *tuple* of two arrays (a list is read as counts).
    n_examples : int, optional
        The denominator ``N``; must be at least ``Σ_r r·n_r``.

    Returns
    -------
    float
        ``n_1 / N``; 0 when ``N = 0``.
    """
    r, n_r = _as_table(counts_or_table)
    seen = _exact_total(r, n_r)
    if n_examples is None:
        n = seen
    else:
        n = check_int("n_examples", n_examples, minimum=seen)
    if n == 0:
        return 0.0
    n1 = int(n_r[0]) if r.size and r[0] == 1 else 0
    return n1 / n


def good_turing_missing_mass(counts_or_table, n_examples=None) -> float:
    """Classical Good–Turing estimate of the missing mass: ``n_1 / N`` (Good 1953).

    The probability that the next example's item was never seen. Corollary 3 bounds its
    deviation from the true missing mass (:func:`hallusim.bounds.good_turing_deviation`); with
    ``n_examples`` including IDK examples it is ``sr``, the estimate of ``MM`` in Lemma 1.

    Parameters
    ----------
    counts_or_table : array_like of int, or tuple (r, n_r)
        As in :func:`singleton_fraction`.
    n_examples : int, optional
        As in :func:`singleton_fraction`.

    Returns
    -------
    float
    """
    return singleton_fraction(counts_or_table, n_examples)


def adjusted_counts(r, n_r) -> np.ndarray:
    """Turing's adjusted counts ``r* = (r + 1) n_{r+1} / n_r`` (Good 1953, Eq. (13)).

    ``n_{r+1}`` is 0 where ``r + 1`` is not in the table, so ``r*`` is 0 there: the raw estimate
    is unusable at the gaps, which is what Simple Good–Turing smooths.

    Parameters
    ----------
    r : array_like of int
        Distinct counts, strictly increasing, >= 1.
    n_r : array_like of int
        Number of items with each count, >= 1.

    Returns
    -------
    ndarray of float64, aligned with ``r``.
    """
    r, n_r = _table(r, n_r, allow_empty=True)
    return (r + 1) * _next_n(r, n_r) / n_r


def _next_n(r: np.ndarray, n_r: np.ndarray) -> np.ndarray:
    """``n_{r+1}`` aligned with ``r`` (0 where ``r + 1`` is absent)."""
    out = np.zeros(r.size, np.float64)
    if r.size > 1:
        consecutive = r[1:] == r[:-1] + 1
        out[:-1][consecutive] = n_r[1:][consecutive]
    return out


# ----------------------------------------------------------------------------------------------
# Confidence intervals for the missing mass (Corollary 3, Lemma 1)
# ----------------------------------------------------------------------------------------------

_INTERVAL_BOUNDS = ("corollary3", "lemma1")


@dataclass(frozen=True)
class MissingMassInterval:
    """A confidence interval for the missing mass around the singleton fraction.

    Attributes
    ----------
    estimate : float
        ``n_1 / N`` (``GT`` of Corollary 3, ``sr`` of Lemma 1).
    low, high : float
        ``estimate ∓ half_width``, clipped to [0, 1] (clipping cannot lower the coverage, since
        the missing mass lies in [0, 1]).
    half_width : float
        The unclipped half-width of the bound.
    gamma : float
        The interval holds with probability at least ``1 − gamma`` over the sample.
    bound : str
        ``"corollary3"`` (``1/N + 2.42·sqrt(ln(4/γ)/N)``, McAllester & Ortiz 2003: the missing mass
        of all examples) or ``"lemma1"`` (``4.42·sqrt(ln(5/γ)/N)``: ``MM`` of answered examples
        when ``N`` also counts IDK examples).
    n : int
        The sample size ``N``.
    """

    estimate: float
    low: float
    high: float
    half_width: float
    gamma: float
    bound: str
    n: int


def missing_mass_interval(counts_or_table, *, n_examples=None, gamma=0.01, bound="corollary3"):
    """Confidence interval for the missing mass from counts alone.

    Parameters
    ----------
    counts_or_table : array_like of int, or tuple (r, n_r)
        Per-item counts (answered examples per prompt) or a frequency-of-frequencies table.
    n_examples : int, optional
        ``N``, including IDK examples (Definition 2); default ``Σ_r r·n_r``.
    gamma : float in (0, 1], optional
        Failure probability (default 0.01).
    bound : {"corollary3", "lemma1"}
        Corollary 3 (:func:`hallusim.bounds.good_turing_deviation`) is valid when every example
        counts as an item (no IDK examples); Lemma 1
        (:func:`hallusim.bounds.missing_mass_deviation`) covers ``MM`` with abstentions.

    Returns
    -------
    MissingMassInterval
    """
    check_choice("bound", bound, _INTERVAL_BOUNDS)
    gamma = check_gamma("gamma", gamma)
    r, n_r = _as_table(counts_or_table)
    seen = _exact_total(r, n_r)
    n = seen if n_examples is None else check_int("n_examples", n_examples, minimum=seen)
    if n < 1:
        fail("counts_or_table", "counts of at least one example", "<no examples>")
    estimate = singleton_fraction((r, n_r), n)
    if bound == "corollary3":
        half = bounds.good_turing_deviation(n, gamma)
    else:
        half = bounds.missing_mass_deviation(n, gamma)
    return MissingMassInterval(
        estimate=estimate,
        low=max(0.0, estimate - half),
        high=min(1.0, estimate + half),
        half_width=float(half),
        gamma=gamma,
        bound=bound,
        n=n,
    )


# ----------------------------------------------------------------------------------------------
# Simple Good–Turing (Gale & Sampson 1995)
# ----------------------------------------------------------------------------------------------

_SLOPE_ACTIONS = ("warn", "raise", "ignore")


class InvalidSlopeWarning(UserWarning):
    """The log–log slope of Simple Good–Turing is not below −1, so the smoothed ``r*`` exceed ``r``
    and the estimates are not valid (Gale & Sampson 1995, §6). Turn it into an error with
    ``on_invalid_slope="raise"`` or ``warnings.simplefilter("error", InvalidSlopeWarning)``."""


@dataclass(frozen=True)
class SimpleGoodTuringResult:
    """Simple Good–Turing estimates (Gale & Sampson 1995), arrays aligned with ``r``.

    Attributes
    ----------
    r, n_r : ndarray of int64
        The frequency-of-frequencies table that was smoothed.
    n : int
        ``N = Σ_r r·n_r``.
    z : ndarray
        ``Z_r = 2 n_r / (t − q)``: ``n_r`` averaged over the gap between the neighbouring observed
        frequencies ``q < r < t`` (``q = 0`` before the first row, ``t = 2r − q`` after the last).
    intercept, slope : float
        The least-squares line ``log Z_r = intercept + slope·log r`` (``a`` and ``b`` of the paper).
    r_star : ndarray
        Adjusted counts before renormalisation: Turing's ``(r + 1) n_{r+1} / n_r`` below the
        switch point, the smoothed ``r (1 + 1/r)^(b + 1)`` from it on.
    p_r : ndarray
        Per-item probability of an item seen ``r`` times:
        ``(1 − p0)·r*_r / Σ_r n_r r*_r``, so that ``p0 + Σ_r n_r p_r = 1``.
    p0 : float
        Total probability of all unseen items, ``n_1 / N`` (0 when no item was seen once).
    switch_index : int
        First row that uses the smoothed estimate (rows before it use Turing's).
    switch_r : int
        ``r[switch_index]``.
    confidence : float
        Multiplier of the Turing estimate's standard deviation used by the switch rule.
    slope_valid : bool
        ``slope < −1``, the condition for the method to be valid.
    """

    r: np.ndarray
    n_r: np.ndarray
    n: int
    z: np.ndarray
    intercept: float
    slope: float
    r_star: np.ndarray
    p_r: np.ndarray
    p0: float
    switch_index: int
    switch_r: int
    confidence: float
    slope_valid: bool

    def smoothed_n_r(self, r) -> np.ndarray:
        """The fitted line ``S(r) = exp(intercept + slope·log r)``, the smoothed ``n_r``.

        Parameters
        ----------
        r : float or array_like
            Counts (> 0) at which to evaluate the line.

        Returns
        -------
        ndarray
        """
        return np.exp(self.intercept + self.slope * np.log(np.asarray(r, np.float64)))

    @property
    def normalised_r_star(self) -> np.ndarray:
        """``N·p_r``: the adjusted counts after renormalisation."""
        return self.n * self.p_r


def simple_good_turing(r, n_r, confidence=1.96, *, on_invalid_slope="warn") -> SimpleGoodTuringResult:
    """Simple Good–Turing frequency estimation (Gale & Sampson 1995, "Good–Turing frequency
    estimation without tears", J. Quantitative Linguistics 2:217–37), as in Sampson's SGT.c.

    Steps: ``P0 = n_1/N``; ``Z_r = 2 n_r / (t − q)`` averages ``n_r`` over gaps; least squares
    ``log Z = a + b log r``; for increasing ``r`` use Turing's ``x = (r+1) n_{r+1}/n_r`` while it
    differs from the smoothed ``y = r (1 + 1/r)^(b+1)`` by more than ``confidence`` standard
    deviations ``sqrt((r+1)² n_{r+1}/n_r² (1 + n_{r+1}/n_r))``, and ``y`` from the first ``r``
    where it does not (or where ``r + 1`` was not observed) onwards; renormalise so the seen items
    share ``1 − P0``.

    Parameters
    ----------
    r : array_like of int
        Distinct observed frequencies, strictly increasing, >= 1 (at least two).
    n_r : array_like of int
        Number of items observed exactly ``r`` times, >= 1.
    confidence : float, optional
        The switch rule's multiplier (default 1.96, as in the paper).
    on_invalid_slope : {"warn", "raise", "ignore"}, optional
        What to do when the fitted slope is not below −1 (the method's validity condition):
        warn with :class:`InvalidSlopeWarning` (default; the estimates are still returned, with
        ``slope_valid=False``), raise ``ValueError``, or only record ``slope_valid=False``.

    Returns
    -------
    SimpleGoodTuringResult
    """
    r, n_r = _table(r, n_r)
    if r.size < 2:
        fail("r", "a table with at least two distinct frequencies (to fit the log-log line)", r)
    confidence = check_float("confidence", confidence, low=0.0)
    check_choice("on_invalid_slope", on_invalid_slope, _SLOPE_ACTIONS)
    rf = r.astype(np.float64)
    nf = n_r.astype(np.float64)
    n = _exact_total(r, n_r)
    p0 = float(n_r[0]) / n if r[0] == 1 else 0.0

    left = np.concatenate(([0.0], rf[:-1]))
    right = np.concatenate((rf[1:], [2.0 * rf[-1] - left[-1]]))
    z = 2.0 * nf / (right - left)
    log_r, log_z = np.log(rf), np.log(z)
    centred = log_r - log_r.mean()
    slope = float(np.dot(centred, log_z - log_z.mean()) / np.dot(centred, centred))
    intercept = float(log_z.mean() - slope * log_r.mean())
    slope_valid = slope < -1.0
    if not slope_valid:
        message = (
            f"Simple Good-Turing: the log-log slope is {slope:.4g}, not below -1, so the smoothed "
            "estimates exceed the raw counts and are not valid (Gale & Sampson 1995)"
        )
        if on_invalid_slope == "raise":
            fail("n_r", "a table whose log-log slope is below -1 for Simple Good-Turing", f"<slope {slope:.4g}>")
        if on_invalid_slope == "warn":
            warnings.warn(message, InvalidSlopeWarning, stacklevel=2)

    smoothed = rf * np.exp((slope + 1.0) * np.log1p(1.0 / rf))
    next_n = _next_n(r, n_r)
    turing = (rf + 1.0) * next_n / nf
    spread = confidence * np.sqrt((rf + 1.0) ** 2 * next_n / nf**2 * (1.0 + next_n / nf))
    keep_turing = (next_n > 0) & (np.abs(turing - smoothed) > spread)
    switch_index = int(np.argmin(keep_turing))  # first False; the last row is always False
    r_star = np.where(np.arange(r.size) < switch_index, turing, smoothed)
    p_r = (1.0 - p0) * r_star / np.dot(nf, r_star)
    return SimpleGoodTuringResult(
        r=r,
        n_r=n_r,
        n=n,
        z=z,
        intercept=intercept,
        slope=slope,
        r_star=r_star,
        p_r=p_r,
        p0=p0,
        switch_index=switch_index,
        switch_r=int(r[switch_index]),
        confidence=confidence,
        slope_valid=slope_valid,
    )


def simple_good_turing_from_counts(counts, confidence=1.96, *, on_invalid_slope="warn") -> SimpleGoodTuringResult:
    """:func:`simple_good_turing` on the frequency of frequencies of per-item counts.

    Parameters
    ----------
    counts : array_like of int
        One non-negative count per item (zeros ignored).
    confidence : float, optional
        As in :func:`simple_good_turing`.
    on_invalid_slope : {"warn", "raise", "ignore"}, optional
        As in :func:`simple_good_turing`.

    Returns
    -------
    SimpleGoodTuringResult
    """
    r, n_r = frequency_of_frequencies(counts)
    return simple_good_turing(r, n_r, confidence, on_invalid_slope=on_invalid_slope)
