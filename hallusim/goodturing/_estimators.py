"""Good–Turing estimators from counts: the frequency of frequencies, the singleton fraction
(Definition 2), the Good–Turing missing mass, adjusted counts and the missing-mass intervals of
Corollary 3 and Lemma 1."""

from __future__ import annotations

import operator
from dataclasses import dataclass

import numpy as np

from hallusim import bounds
from hallusim._validation import (
    check_choice,
    check_gamma,
    check_int,
    check_int_array,
    fail,
)

__all__ = [
    "frequency_of_frequencies",
    "as_frequency_table",
    "total_count",
    "singleton_fraction",
    "good_turing_missing_mass",
    "adjusted_counts",
    "MissingMassInterval",
    "missing_mass_interval",
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


def total_count(r, n_r) -> int:
    """``N = Σ_r r·n_r`` of a frequency-of-frequencies table, as an exact Python int.

    Parameters
    ----------
    r, n_r : ndarray of int64
        Non-negative counts and how many items have each (int64 arithmetic would wrap past
        2^63, so the sum is exact: the int64 dot product when a float64 estimate shows it stays
        below 2^62, Python ints otherwise).

    Returns
    -------
    int
    """
    if r.size == 0:
        return 0
    if float(np.dot(r.astype(np.float64), n_r.astype(np.float64))) < 2.0**62:
        return int(np.dot(r, n_r))
    return sum(map(operator.mul, r.tolist(), n_r.tolist()))


def as_frequency_table(counts_or_table) -> tuple[np.ndarray, np.ndarray]:
    """The frequency-of-frequencies table ``(r, n_r)`` of per-item counts or of a table.

    Parameters
    ----------
    counts_or_table : array_like of int, or tuple (r, n_r)
        Per-item counts, or a table given as a *tuple* of two arrays (checked, not recounted).

    Returns
    -------
    r, n_r : ndarray of int64
    """
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
    r, n_r = as_frequency_table(counts_or_table)
    seen = total_count(r, n_r)
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
    r, n_r = as_frequency_table(counts_or_table)
    seen = total_count(r, n_r)
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
