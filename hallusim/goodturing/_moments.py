"""Exact expectations and variances of Good–Turing quantities under iid sampling.

Private module of :mod:`hallusim.goodturing`, which re-exports every public name. When ``N``
examples are drawn iid and item ``i`` is drawn with probability ``w_i`` (for the arbitrary-facts
world of Definition 1, ``w = μ·α``), these give ``E`` and ``Var`` of the number of singletons and
of the missing mass (Section 3.3.1 of the paper), in log space so that ``(1 − w)^N`` neither underflows nor
cancels.
"""

from __future__ import annotations

import numpy as np

from hallusim._validation import SUM_TOLERANCE, check_int, check_probability, fail

__all__ = [
    "EXACT_VARIANCE_MAX_ITEMS",
    "expected_singletons",
    "expected_missing_mass",
    "singleton_variance",
    "missing_mass_variance",
]

# Largest number of positive-probability items the exact O(C^2) variances accept by default.
EXACT_VARIANCE_MAX_ITEMS = 5000
# Rows of the pair matrix processed at once by the exact variances (bounds temporary memory).
_PAIR_BLOCK = 256


def _weights(weights) -> np.ndarray:
    w = check_probability("weights", weights)
    w = np.atleast_1d(np.asarray(w, np.float64))
    if w.ndim != 1:
        fail("weights", "a 1-D array of probabilities", f"<an array of shape {w.shape}>")
    total = float(np.sum(w))
    if total > 1.0 + SUM_TOLERANCE:
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
    """Exact ``E[#singletons] = N Σ_i w_i (1 − w_i)^(N−1)`` (Section 3.3.1 of the paper).

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
