"""Simple Good–Turing (Gale & Sampson 1995): smoothed adjusted counts and the unseen mass."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from hallusim._validation import check_choice, check_float, fail
from hallusim.goodturing._estimators import (
    _next_n,
    _table,
    frequency_of_frequencies,
    total_count,
)

__all__ = ["InvalidSlopeWarning", "SimpleGoodTuringResult", "simple_good_turing", "simple_good_turing_from_counts"]

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
    n = total_count(r, n_r)
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
