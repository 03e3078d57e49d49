"""Pure multiple choice and poor models (Section 3.3.2: Theorems 3–4, Corollary 2).

Every prompt ``c`` has ``C`` candidate responses of which exactly one is valid (``|V_c| = 1``),
and a base model gives them probabilities ``p̂(r | c)``; mass it puts anywhere else is nonsense
(Section 5), so ``err = p̂(N ∪ E) = 1 − Σ_c μ(c) p̂(r*_c | c)``.

* :func:`theorem4_check` computes ``err`` and the exact step function ``t ↦ err_iiv(f̂_t)``
  (``f̂_t = +`` iff ``p̂(r|c) > t``; via :func:`hallusim.iiv.dense_threshold_curve`), its minimum on
  ``[0, 1]``, a threshold attaining it — one whose existence Theorem 4 asserts — and checks
  ``err ≥ 2(1 − 1/C)·err_iiv(f̂_t)``.

The agnostic error ``opt(G)`` of the classifiers that n-gram models induce (Theorem 3, Corollary 2)
is :func:`hallusim.ngram.ngram_opt`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hallusim import bounds
from hallusim._validation import SUM_TOLERANCE, check_weights, fail
from hallusim.iiv import ThresholdCurve, dense_metrics, dense_threshold_curve

__all__ = ["Theorem4Check", "multiple_choice_arrays", "err_iiv_curve", "theorem4_check"]

TOLERANCE = 1e-12  # float rounding allowed when a bound is checked; the algebra is exact


def multiple_choice_arrays(p_hat, valid, mu=None):
    """The dense arrays of :func:`hallusim.iiv.dense_metrics` for a multiple-choice model.

    Parameters
    ----------
    p_hat : array_like, shape (n_prompts, C)
        ``p̂(r | c)`` of the ``C >= 2`` choices; each row sums to at most 1 (the rest is nonsense).
    valid : array_like of int, shape (n_prompts,)
        Index of the one valid choice of each prompt.
    mu : array_like, shape (n_prompts,), optional
        Prompt weights; uniform by default.

    Returns
    -------
    tuple
        ``(mu, p, p_hat, valid, nonsense)`` with one extra nonsense column holding ``1 − Σ_r p̂``.
    """
    p_hat = np.asarray(p_hat, dtype=np.float64)
    if p_hat.ndim != 2 or p_hat.shape[1] < 2 or p_hat.shape[0] < 1:
        fail("p_hat", "a 2-D array with one row per prompt and C >= 2 columns", f"<an array of shape {p_hat.shape}>")
    n, c = p_hat.shape
    if not (np.isfinite(p_hat).all() and (p_hat >= 0).all()):
        fail("p_hat", "finite, non-negative probabilities", "<a negative or non-finite entry>")
    rows = p_hat.sum(axis=1)
    if rows.max() > 1.0 + SUM_TOLERANCE:
        fail("p_hat", "rows summing to at most 1", f"<a row summing to {rows.max()!r}>")
    valid = np.asarray(valid)
    if valid.shape != (n,) or valid.dtype.kind not in "iu" or valid.min() < 0 or valid.max() >= c:
        fail("valid", f"an int array of {n} choice indices in [0, {c - 1}]", valid)
    mu = np.full(n, 1.0 / n) if mu is None else check_weights("mu", mu)
    if mu.shape != (n,):
        fail("mu", f"an array of {n} prompt weights", f"<an array of shape {mu.shape}>")
    onehot = np.zeros((n, c + 1), dtype=bool)
    onehot[np.arange(n), valid] = True
    dense_hat = np.hstack([p_hat, np.clip(1.0 - rows, 0.0, None)[:, None]])
    nonsense = np.zeros((n, c + 1), dtype=bool)
    nonsense[:, c] = True
    return mu, onehot.astype(np.float64), dense_hat, onehot, nonsense


def err_iiv_curve(p_hat, valid, mu=None) -> ThresholdCurve:
    """The exact step function ``t ↦ err_iiv(f̂_t)``, ``f̂_t = +`` iff ``p̂(r|c) > t`` (Eq. err_iiv).

    Parameters
    ----------
    p_hat, valid, mu
        As for :func:`multiple_choice_arrays`.

    Returns
    -------
    hallusim.iiv.ThresholdCurve
    """
    return dense_threshold_curve(*multiple_choice_arrays(p_hat, valid, mu))


def _unit_intervals(curve: ThresholdCurve):
    """(left, right, err_iiv) of the pieces of the curve that meet ``[0, 1]``.

    Piece ``i`` of the curve holds on ``[a_i, b_i)`` with ``a = (−∞, u_1, …, u_k)`` and
    ``b = (u_1, …, u_k, ∞)``; the piece containing ``t = 1`` is kept even when it meets
    ``[0, 1]`` in that point only.
    """
    a = np.r_[-np.inf, curve.edges]
    b = np.r_[curve.edges, np.inf]
    left = np.clip(a, 0.0, 1.0)
    right = np.clip(b, 0.0, 1.0)
    inside = (right > left) | ((a <= 1.0) & (b > 1.0))
    return left[inside], right[inside], curve.err_iiv[inside]


@dataclass(frozen=True)
class Theorem4Check:
    """Theorem 4 for one model: ``err ≥ 2(1 − 1/C)·err_iiv(f̂_t)`` at the best threshold ``t``.

    Attributes
    ----------
    err : float
        ``p̂(N ∪ E)``, the mass off the valid choice.
    n_choices : int
        ``C``.
    min_err_iiv : float
        ``min_{t ∈ [0,1]} err_iiv(f̂_t)``.
    threshold : float
        A threshold attaining the minimum (the left end of its interval).
    mean_err_iiv : float
        ``E_{t ~ U[0,1]} err_iiv(f̂_t)``; the proof shows it is at most ``(1/2)(1/(C−1) + 1)·err``.
    bound : float
        ``2(1 − 1/C)·min_err_iiv`` (:func:`hallusim.bounds.theorem4_lower`).
    holds : bool
        ``err ≥ bound`` (up to ``TOLERANCE`` for float rounding).
    curve : hallusim.iiv.ThresholdCurve
        The whole step function.
    """

    err: float
    n_choices: int
    min_err_iiv: float
    threshold: float
    mean_err_iiv: float
    bound: float
    holds: bool
    curve: ThresholdCurve = field(repr=False)


def theorem4_check(p_hat, valid, mu=None) -> Theorem4Check:
    """Exact ``err``, ``err_iiv(f̂_t)`` over all ``t``, and Theorem 4's inequality.

    Parameters
    ----------
    p_hat, valid, mu
        As for :func:`multiple_choice_arrays`.

    Returns
    -------
    Theorem4Check
    """
    arrays = multiple_choice_arrays(p_hat, valid, mu)
    n_choices = np.asarray(p_hat).shape[1]
    err = dense_metrics(*arrays).err
    curve = dense_threshold_curve(*arrays)
    lefts, rights, values = _unit_intervals(curve)
    best = int(np.argmin(values))
    minimum = float(values[best])
    bound = float(bounds.theorem4_lower(minimum, n_choices))
    mean = float(np.sum(values * (rights - lefts)))
    return Theorem4Check(err, n_choices, minimum, float(lefts[best]), mean, bound, bool(err >= bound - TOLERANCE), curve)
