"""Good–Turing estimators, exact expectations and Simple Good–Turing.

The quantities of THEORY.md §3 as functions of counts:

* the frequency of frequencies ``(r, n_r)`` of per-item counts;
* the singleton fraction ``n_1 / N`` (Definition 2 when ``N`` counts IDK examples too) and the
  classical Good–Turing estimate of the missing mass, which is the same number;
* the adjusted counts ``r* = (r + 1) n_{r+1} / n_r`` (Good 1953);
* exact expectations and variances of the singleton count and of the missing mass when ``N``
  examples are drawn iid and item ``i`` is drawn with probability ``w_i`` (for the arbitrary-facts
  world of Definition 1 pass ``w = μ·α``: an answered example of prompt ``c`` has probability
  ``μ(c) α_c``, IDK examples are the remaining mass);
* Simple Good–Turing (Gale & Sampson 1995), see :func:`simple_good_turing`.

Confidence intervals for the missing mass use :func:`hallusim.bounds.good_turing_deviation`
(Corollary 3) and :func:`hallusim.bounds.missing_mass_deviation` (Lemma 1).
"""

from __future__ import annotations

import numpy as np

from hallusim._validation import check_int, check_int_array, check_probability, fail

__all__ = [
    "frequency_of_frequencies",
    "singleton_fraction",
    "good_turing_missing_mass",
    "adjusted_counts",
    "expected_singletons",
    "expected_missing_mass",
    "singleton_variance",
    "missing_mass_variance",
]

# Largest number of positive-probability items the exact O(C^2) variances accept by default.
EXACT_VARIANCE_MAX_ITEMS = 5000
# Rows of the pair matrix processed at once by the exact variances (bounds temporary memory).
_PAIR_BLOCK = 256


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
    seen = int(np.dot(r, n_r)) if r.size else 0
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
# Exact expectations and variances under iid sampling
# ----------------------------------------------------------------------------------------------


def _weights(weights) -> np.ndarray:
    w = check_probability("weights", weights)
    w = np.atleast_1d(np.asarray(w, np.float64))
    if w.ndim != 1:
        fail("weights", "a 1-D array of probabilities", f"<an array of shape {w.shape}>")
    total = float(np.sum(w))
    if total > 1.0 + 1e-9:
        fail("weights", "per-item probabilities summing to at most 1", f"<weights summing to {total!r}>")
    return w


def _log1m(w: np.ndarray) -> np.ndarray:
    """``log(1 − w)`` via ``log1p``, with ``log 0 = −inf`` silently."""
    with np.errstate(divide="ignore"):
        return np.log1p(-w)


def _pow_log(k: float, log_base: np.ndarray) -> np.ndarray:
    """``exp(k·log_base)`` with ``0·(-inf) = 0`` (so ``0**0 = 1``)."""
    with np.errstate(invalid="ignore"):
        exponent = k * log_base
    return np.exp(np.where(k == 0, 0.0, exponent))


def expected_singletons(weights, n) -> float:
    """Exact ``E[#singletons] = N Σ_i w_i (1 − w_i)^(N−1)`` (THEORY.md §3).

    Parameters
    ----------
    weights : array_like of float in [0, 1]
        Per-item probabilities ``w_i`` of one draw, summing to at most 1 (the rest is mass on
        items not counted, e.g. IDK). For Definition 1 worlds, ``w = μ·α``.
    n : int
        Number of iid draws ``N`` (>= 0).

    Returns
    -------
    float
        Computed as ``exp((N − 1)·log1p(−w))`` per item and a pairwise sum: exact to rounding for
        ``N`` up to 10^12 and 10^8 items, without underflow of ``(1 − w)^N`` to a wrong zero.
    """
    w = _weights(weights)
    n = check_int("n", n, minimum=0)
    if n == 0:
        return 0.0
    return float(n * np.sum(w * _pow_log(n - 1, _log1m(w))))


def expected_missing_mass(weights, n) -> float:
    """Exact ``E[M] = Σ_i w_i (1 − w_i)^N``: the expected missing mass (``E[MM]`` for ``w = μ·α``).

    Parameters
    ----------
    weights : array_like of float in [0, 1]
        As in :func:`expected_singletons`.
    n : int
        Number of iid draws ``N`` (>= 0).

    Returns
    -------
    float
    """
    w = _weights(weights)
    n = check_int("n", n, minimum=0)
    return float(np.sum(w * _pow_log(n, _log1m(w))))


def _positive_for_variance(weights, max_items) -> np.ndarray:
    w = _weights(weights)
    w = w[w > 0]
    max_items = check_int("max_items", max_items, minimum=1)
    if w.size > max_items:
        fail(
            "weights",
            f"at most `max_items` = {max_items} positive entries for the exact O(C^2) variance "
            "(raise `max_items` to accept the cost)",
            f"<{w.size} positive entries>",
        )
    return w


def _pair_sum(w: np.ndarray, pair_term) -> float:
    """``Σ_{i≠j} pair_term(w_i, w_j, log1p(-w_i), log1p(-w_j), d_ij)`` in row blocks, where
    ``d_ij = log1p(−w_i w_j / ((1 − w_i)(1 − w_j))) = log(1 − w_i − w_j) − log(1 − w_i) − log(1 − w_j)``."""
    log_q = _log1m(w)
    total = 0.0
    for start in range(0, w.size, _PAIR_BLOCK):
        rows = slice(start, min(start + _PAIR_BLOCK, w.size))
        wi, wj = w[rows, None], w[None, :]
        with np.errstate(divide="ignore"):
            d = np.log1p(-np.minimum((wi * wj) / ((1.0 - wi) * (1.0 - wj)), 1.0))
        block = pair_term(wi, wj, log_q[rows, None], log_q[None, :], d)
        idx = np.arange(rows.start, rows.stop)
        block[idx - rows.start, idx] = 0.0  # drop i == j
        total += float(np.sum(block))
    return total


def singleton_variance(weights, n, *, max_items: int = EXACT_VARIANCE_MAX_ITEMS) -> float:
    """Exact variance of the number of singletons among ``N`` iid draws (multinomial counts).

    ``Var S = Σ_i s_i (1 − s_i) + Σ_{i≠j} [N(N−1) w_i w_j (1 − w_i − w_j)^(N−2) − s_i s_j]`` with
    ``s_i = N w_i (1 − w_i)^(N−1)``. The covariance is evaluated as
    ``N w_i w_j e^b [(N − 1)·expm1(a − b) − 1]`` (``a``, ``b`` the two log-powers) so that it does
    not cancel. Cost O(C²) in the number ``C`` of positive weights, hence the size guard.

    Parameters
    ----------
    weights : array_like of float in [0, 1]
        As in :func:`expected_singletons`.
    n : int
        Number of draws ``N``.
    max_items : int, optional
        Refuse more than this many positive weights (default 5000).

    Returns
    -------
    float
        The variance of the singleton count (divide by ``N²`` for the singleton rate).
    """
    w = _positive_for_variance(weights, max_items)
    n = check_int("n", n, minimum=0)
    if n == 0 or w.size == 0:
        return 0.0
    s = n * w * _pow_log(n - 1, _log1m(w))
    diagonal = float(np.sum(s * (1.0 - s)))
    if w.size == 1:
        return diagonal
    if n == 1:  # at most one singleton item: Cov = -w_i w_j
        return diagonal - float(np.sum(w) ** 2 - np.sum(w * w))

    def covariance(wi, wj, lqi, lqj, d):
        b = (n - 1) * (lqi + lqj)
        with np.errstate(invalid="ignore"):
            a_minus_b = np.where(n == 2, 0.0, (n - 2) * d) - lqi - lqj
        return n * wi * wj * np.exp(b) * ((n - 1) * np.expm1(a_minus_b) - 1.0)

    return diagonal + _pair_sum(w, covariance)


def missing_mass_variance(weights, n, *, max_items: int = EXACT_VARIANCE_MAX_ITEMS) -> float:
    """Exact variance of the missing mass ``M = Σ_i w_i 1[item i unseen in N draws]``.

    ``Var M = Σ_i w_i² q_i (1 − q_i) + Σ_{i≠j} w_i w_j q_i q_j expm1(N d_ij)`` with
    ``q_i = (1 − w_i)^N`` and ``d_ij = log(1 − w_i − w_j) − log q_i/N − log q_j/N`` computed as a
    ``log1p``, so the covariance ``(1 − w_i − w_j)^N − q_i q_j`` does not cancel. For ``w = μ·α``
    this is ``Var MM`` of Definition 1 worlds. Cost O(C²) (size guard ``max_items``).

    Parameters
    ----------
    weights : array_like of float in [0, 1]
        As in :func:`expected_singletons`.
    n : int
        Number of draws ``N``.
    max_items : int, optional
        Refuse more than this many positive weights (default 5000).

    Returns
    -------
    float
    """
    w = _positive_for_variance(weights, max_items)
    n = check_int("n", n, minimum=0)
    if n == 0 or w.size == 0:
        return 0.0
    log_q = _log1m(w)
    q = _pow_log(n, log_q)
    diagonal = float(np.sum(w * w * q * (1.0 - q)))
    if w.size == 1:
        return diagonal

    def covariance(wi, wj, lqi, lqj, d):
        return wi * wj * np.exp(n * (lqi + lqj)) * np.expm1(n * d)

    return diagonal + _pair_sum(w, covariance)
