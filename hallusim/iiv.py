"""The Is-It-Valid reduction, computed exactly (Section 3.1–3.2, Theorem 1).

:func:`evaluate` scores a model of an arbitrary-facts world against its corpus; :func:`dense_metrics`
scores dense arrays ``μ, p, p̂`` for any small finite ``X`` (with the nonsense extension of
Section 5). Both return exact sums, not Monte Carlo estimates, and both go through the one
accumulator :func:`hallusim._kernels.iiv.add_class`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from hallusim import _rng, bounds
from hallusim._kernels import iiv as kernels
from hallusim._validation import (
    SUM_TOLERANCE,
    NotFittedError,
    check_float,
    check_gamma,
    check_weights,
    fail,
)
from hallusim.corpus import check_corpus
from hallusim.models import CompactModel, rescale_masses

__all__ = [
    "IIVMetrics",
    "Evaluation",
    "ThresholdCurve",
    "evaluate",
    "dense_metrics",
    "threshold_curve",
    "dense_threshold_curve",
    "rescale_dense",
]


@dataclass(frozen=True)
class IIVMetrics:
    """Exact metrics of a base model under the IIV reduction.

    Attributes
    ----------
    err : float
        Generative error ``p̂(E)`` (``p̂(N ∪ E)`` with nonsense).
    err_iiv : float
        Error of the induced classifier ``f̂`` (``+`` iff ``p̂(r|c) > 1/min_c |E_c|``) under ``D``.
    delta : float
        Calibration gap ``δ = |p̂(A) − p(A)|`` at that threshold.
    dL_ds : float
        ``d/ds L(p̂_s)`` at ``s = 1`` for the rescaled family; equals ``p̂(A) − p(A)``, so
        ``δ = |dL/ds|`` (Section 3.1 of the paper).
    p_hat_above, p_above : float
        ``p̂(A)`` and ``p(A)``.
    cross_entropy : float
        ``L(p̂) = Σ −μ(c) p(r|c) log p̂(r|c)`` (nats; ``inf`` if ``p̂`` misses support of ``p``).
    threshold : float
        ``1/min_c |E_c|``.
    min_errors, max_valid : int
        ``min_c |E_c|`` and ``max_c |V_c|`` over prompts with ``μ(c) > 0``.
    theorem1_lower : float
        Theorem 1's lower bound ``2·err_iiv − max|V_c|/min|E_c| − δ`` on ``err``.
    thresholds, err_iiv_at, delta_at : ndarray
        ``err_iiv`` and ``δ_z`` of the classifiers ``f̂_z`` at the extra thresholds requested.
    curve : ThresholdCurve or None
        The exact ``δ_z`` and ``err_iiv(f̂_z)`` curves over all ``z``, when requested.
    """

    err: float
    err_iiv: float
    delta: float
    dL_ds: float
    p_hat_above: float
    p_above: float
    cross_entropy: float
    threshold: float
    min_errors: int
    max_valid: int
    theorem1_lower: float
    thresholds: np.ndarray = field(repr=False)
    err_iiv_at: np.ndarray = field(repr=False)
    delta_at: np.ndarray = field(repr=False)
    curve: "ThresholdCurve | None" = field(default=None, repr=False)

    def to_dict(self) -> dict:
        """The scalar metrics as a flat dict (arrays left out), for results rows."""
        return {k: v for k, v in asdict(self).items() if k != "curve" and np.ndim(v) == 0}


@dataclass(frozen=True)
class Evaluation(IIVMetrics):
    """Exact metrics of a model of an arbitrary-facts world, with the corpus statistics and
    the bounds of Theorems 1–2 side by side.

    Attributes
    ----------
    singleton_rate : float
        ``sr``, Definition 2.
    missing_mass : float
        ``MM``, the exact missing mass with abstentions.
    n_examples : int
        ``N``.
    max_errors : int
        ``L = max_c |E_c|``.
    gamma : float or None
        The failure probability ``γ`` of the Theorem 2 fields, or ``None`` for the paper's stated
        99% form (the default of :func:`evaluate`).
    theorem2_lower : float
        Theorem 2's lower bound with this model's δ: with ``gamma=None`` the paper's 99% form
        ``sr − 2/min|E_c| − (35 + 6 ln N)/√N − δ``; with a ``γ``, the γ form
        ``sr − 2/min|E_c| − 6 ln(3N/γ)/√N − δ`` (holds w.p. ≥ 1 − γ). See
        :func:`hallusim.bounds.theorem2_lower`.
    theorem2_upper : float
        What the calibrated learner of Appendix B achieves: ``sr − sr/(L + 1) + 13/√N`` w.p. ≥ 99%
        (``gamma=None``), or ``+ 5·sqrt(ln(5/γ)/N)`` w.p. ≥ 1 − γ (a reference line for other
        models, not a bound on them). See :func:`hallusim.bounds.theorem2_upper`.
    """

    singleton_rate: float = 0.0
    missing_mass: float = 0.0
    n_examples: int = 0
    max_errors: int = 0
    gamma: float | None = None
    theorem2_lower: float = 0.0
    theorem2_upper: float = 0.0


@dataclass(frozen=True)
class ThresholdCurve:
    """``err_iiv(f̂_z)``, ``p̂(A_z)``, ``p(A_z)`` and ``δ_z`` as exact step functions of ``z``.

    With ``edges = u_1 < … < u_k`` the distinct values of ``p̂``, entry ``i`` of each array
    holds on ``[u_i, u_{i+1})`` (entry 0 on ``z < u_1``, entry ``k`` on ``z ≥ u_k``), because
    ``A_z = {(c, r): p̂(r|c) > z}`` changes only when ``z`` crosses a value of ``p̂``.

    Attributes
    ----------
    edges : ndarray
        The distinct values of ``p̂``, ascending.
    err_iiv : ndarray
        ``err_iiv(f̂_z)`` on each interval (length ``len(edges) + 1``).
    p_hat_above, p_above : ndarray
        ``p̂(A_z)`` and ``p(A_z)`` on each interval.
    """

    edges: np.ndarray
    err_iiv: np.ndarray
    p_hat_above: np.ndarray
    p_above: np.ndarray

    @property
    def delta(self) -> np.ndarray:
        """``δ_z = |p̂(A_z) − p(A_z)|`` on each interval."""
        return np.abs(self.p_hat_above - self.p_above)

    def index(self, z) -> np.ndarray:
        """Index of the interval holding each threshold ``z``.

        Parameters
        ----------
        z : float or array_like
            Thresholds.

        Returns
        -------
        ndarray
        """
        return np.searchsorted(self.edges, np.asarray(z, dtype=np.float64), side="right")

    def err_iiv_at(self, z):
        """``err_iiv(f̂_z)`` at thresholds ``z``.

        Parameters
        ----------
        z : float or array_like
            Thresholds.

        Returns
        -------
        ndarray
        """
        return self.err_iiv[self.index(z)]

    def delta_at(self, z):
        """``δ_z`` at thresholds ``z``.

        Parameters
        ----------
        z : float or array_like
            Thresholds.

        Returns
        -------
        ndarray
        """
        return self.delta[self.index(z)]


def _thresholds(threshold, extra):
    if extra is None:
        return np.array([threshold])
    try:
        extra = np.atleast_1d(np.asarray(extra, dtype=np.float64))
    except (TypeError, ValueError):
        fail("thresholds", "a 1-D array of finite floats", extra)
    if extra.ndim != 1 or not np.isfinite(extra).all():
        fail("thresholds", "a 1-D array of finite floats", extra)
    return np.concatenate([[threshold], extra])


def _metrics_from_sums(sums, thresholds, min_errors, max_valid):
    err, cross_entropy = sums[0], sums[1]
    per_z = sums[kernels.N_FIXED :].reshape(-1, kernels.N_PER_THRESHOLD)
    err_iiv, p_hat_above, p_above = per_z[:, 0], per_z[:, 1], per_z[:, 2]
    delta = np.abs(p_hat_above - p_above)
    return dict(
        err=float(err),
        err_iiv=float(err_iiv[0]),
        delta=float(delta[0]),
        dL_ds=float(p_hat_above[0] - p_above[0]),
        p_hat_above=float(p_hat_above[0]),
        p_above=float(p_above[0]),
        cross_entropy=float(cross_entropy),
        threshold=float(thresholds[0]),
        min_errors=int(min_errors),
        max_valid=int(max_valid),
        theorem1_lower=bounds.theorem1_lower(min(err_iiv[0], 1.0), max_valid, min_errors, min(delta[0], 1.0)),
        thresholds=thresholds[1:],
        err_iiv_at=err_iiv[1:],
        delta_at=delta[1:],
    )


def _as_model(model) -> CompactModel:
    if isinstance(model, CompactModel):
        return model
    fitted = getattr(model, "model_", None)
    if isinstance(fitted, CompactModel):
        return fitted
    if hasattr(model, "fit") and fitted is None:
        raise NotFittedError(f"{type(model).__name__} is not fitted yet; call fit(corpus) first.")
    fail("model", "a CompactModel or a fitted learner", f"<{type(model).__name__}>", error=TypeError)


def _compact_args(model, corpus):
    check_corpus(corpus)
    model = _as_model(model)
    world = corpus.world
    if model.n_prompts != world.n_prompts:
        fail("model", f"a model of the corpus's {world.n_prompts} prompts", f"<a model of {model.n_prompts} prompts>")
    n_resp, nr_stride = world.strided_n_responses()
    if not np.array_equal(np.broadcast_to(model.n_responses, (world.n_prompts,)), np.broadcast_to(n_resp, (world.n_prompts,))):
        fail("model", "a model with the world's response-set sizes |R_c|", "<different n_responses>")
    alpha, al_stride = world.strided_answer_prob()
    _, idk_stride, rest_stride = model.strides()
    return (world.weights, n_resp, nr_stride, alpha, al_stride, model.responses, model.probs, model.idk,
            idk_stride, model.rest, rest_stride, model.nonsense, corpus.answer_key, world.first_prompt)


def evaluate(model, corpus, *, thresholds=None, curve=False, gamma=None) -> Evaluation:
    """Exact err, err_iiv, δ, cross-entropy and the bounds of Theorems 1–2 for a model.

    Parameters
    ----------
    model : CompactModel or fitted learner
        The base model ``p̂`` (a learner's ``model_`` is used).
    corpus : Corpus
        The training corpus; its world supplies ``μ`` and ``α``, its realisation the answers.
    thresholds : array_like of float, optional
        Extra thresholds ``z`` at which to report ``err_iiv(f̂_z)`` and ``δ_z`` (the exact curve
        over all ``z`` is :func:`threshold_curve`).
    curve : bool, optional
        Also compute the exact curves over all thresholds (:func:`threshold_curve`; it sorts
        every class of every prompt, so it costs more than the rest).
    gamma : float in (0, 1] or None, optional
        Failure probability ``γ`` of the Theorem 2 fields (the γ form of the theorem); ``None``
        (default) gives the paper's stated 99% form, ``(35 + 6 ln N)/√N`` and ``13/√N``.

    Returns
    -------
    Evaluation
    """
    if gamma is not None:
        gamma = check_gamma("gamma", gamma)
    zs = evaluation_thresholds(corpus.world, thresholds)
    return evaluation_from_sums(
        evaluation_block_sums(model, corpus, zs), zs, corpus.world,
        singleton_rate=corpus.singleton_rate, missing_mass=corpus.missing_mass, n_examples=corpus.n_examples,
        gamma=gamma, curve=threshold_curve(model, corpus) if curve else None,
    )


def evaluation_thresholds(world, thresholds=None) -> np.ndarray:
    """The thresholds :func:`evaluate` reports: ``1/min_c |E_c|`` (Section 3.1) then ``thresholds``.

    Parameters
    ----------
    world : ArbitraryFacts
    thresholds : array_like of float, optional

    Returns
    -------
    ndarray of float64
    """
    return _thresholds(1.0 / world.min_errors, thresholds)


def evaluation_block_sums(model, corpus, zs) -> np.ndarray:
    """The exact sums behind :func:`evaluate`, one row per block of :data:`hallusim._rng.BLOCK_SIZE`
    prompts: the μ-weighted err and cross-entropy terms, and per threshold ``z`` the
    ``err_iiv``, ``p̂(A)`` and ``p(A)`` terms (Eq. (2), Section 3.1).

    Rows of the blocks of a world evaluated one part at a time, stacked in order, are the rows
    of the whole world's evaluation, bit for bit (:mod:`hallusim.streaming` relies on it).

    Parameters
    ----------
    model : CompactModel or fitted learner
    corpus : Corpus
    zs : ndarray of float64
        From :func:`evaluation_thresholds`.

    Returns
    -------
    ndarray of float64, shape (blocks, sums)
    """
    args = _compact_args(model, corpus)
    n_blocks = -(-corpus.world.n_prompts // _rng.BLOCK_SIZE)
    block_sums = np.zeros((n_blocks, kernels.N_FIXED + kernels.N_PER_THRESHOLD * zs.shape[0]))
    kernels.compact_sums(*args, zs, _rng.BLOCK_SIZE, block_sums)
    return block_sums


def evaluation_from_sums(block_sums, zs, world, *, singleton_rate, missing_mass, n_examples, gamma=None,
                         curve=None) -> Evaluation:
    """The :class:`Evaluation` of :func:`evaluation_block_sums`' rows (of one world, in order), with
    the corpus statistics ``sr`` (Definition 2), ``MM`` and ``N`` and the bounds of Theorems 1–2.

    Parameters
    ----------
    block_sums : ndarray, shape (blocks, sums)
    zs : ndarray of float64
        The thresholds the rows were computed at.
    world : ArbitraryFacts
        Supplies ``min_c |E_c|``, ``L = max_c |E_c|`` and ``max_c |V_c|``.
    singleton_rate, missing_mass : float
    n_examples : int
    gamma : float in (0, 1] or None, optional
        As for :func:`evaluate` (already checked).
    curve : ThresholdCurve or None, optional

    Returns
    -------
    Evaluation
    """
    min_errors = world.min_errors
    metrics = _metrics_from_sums(block_sums.sum(axis=0), zs, min_errors, world.max_valid)
    delta = min(metrics["delta"], 1.0)
    return Evaluation(
        **metrics,
        singleton_rate=singleton_rate,
        missing_mass=missing_mass,
        n_examples=n_examples,
        max_errors=world.max_errors,
        gamma=gamma,
        theorem2_lower=bounds.theorem2_lower(singleton_rate, min_errors, n_examples, delta=delta, gamma=gamma),
        theorem2_upper=bounds.theorem2_upper(singleton_rate, world.max_errors, n_examples, gamma=gamma),
        curve=curve,
    )


def _curve_from_records(records):
    """Build a :class:`ThresholdCurve` from class records ``(v, w_hat, w_p, w_err, w_valid)``."""
    values = records[:, 0]
    order = np.argsort(values, kind="stable")
    values = values[order]
    weights = records[order, 1:]
    starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
    grouped = np.add.reduceat(weights, starts, axis=0) if values.size else np.zeros((0, 4))
    edges = values[starts]
    # above[i] sums the groups >= i (the classes with v > z for z in [u_{i-1}, u_i)).
    above = np.vstack([np.cumsum(grouped[::-1], axis=0)[::-1], np.zeros((1, 4))])
    below_valid = np.r_[0.0, np.cumsum(grouped[:, 3])]
    return ThresholdCurve(
        edges=edges,
        err_iiv=below_valid + above[:, 2],
        p_hat_above=above[:, 0],
        p_above=above[:, 1],
    )


def threshold_curve(model, corpus) -> ThresholdCurve:
    """The exact ``δ_z`` and ``err_iiv(f̂_z)`` curves of a compact model over all thresholds ``z``.

    Parameters
    ----------
    model : CompactModel or fitted learner
    corpus : Corpus

    Returns
    -------
    ThresholdCurve
    """
    args = _compact_args(model, corpus)
    width = args[5].shape[1] + 2 + args[11].shape[1]
    records = np.zeros((corpus.world.n_prompts, width, 5))
    counts = np.zeros(corpus.world.n_prompts, dtype=np.int64)
    kernels.compact_class_records(*args, _rng.BLOCK_SIZE, records, counts)
    used = np.arange(width)[None, :] < counts[:, None]
    return _curve_from_records(records[used])


# -- dense arrays ------------------------------------------------------------------------------
def _float_2d(name, value):
    try:
        return np.ascontiguousarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        fail(name, "a 2-D float array of shape (C, R)", "<a ragged or non-numeric sequence>")


def _dense_inputs(mu, p, p_hat, valid, nonsense):
    mu = check_weights("mu", mu)
    n_prompts = mu.shape[0]
    p = _float_2d("p", p)
    if p.ndim != 2 or p.shape[0] != n_prompts:
        fail("p", f"a 2-D array with {n_prompts} rows (one per prompt)", f"<an array of shape {p.shape}>")
    shape = p.shape
    p_hat = _float_2d("p_hat", p_hat)
    if p_hat.shape != shape:
        fail("p_hat", f"an array of shape {shape} like `p`", f"<an array of shape {p_hat.shape}>")
    valid = np.asarray(valid)
    if valid.shape != shape or valid.dtype != np.bool_:
        fail("valid", f"a boolean array of shape {shape}", f"<{valid.dtype} array of shape {valid.shape}>")
    nonsense = np.zeros(shape, dtype=bool) if nonsense is None else np.asarray(nonsense)
    if nonsense.shape != shape or nonsense.dtype != np.bool_:
        fail("nonsense", f"a boolean array of shape {shape}", f"<{nonsense.dtype} array of shape {nonsense.shape}>")
    if (valid & nonsense).any():
        fail("nonsense", "disjoint from `valid`", "<a response marked both valid and nonsense>")
    support = mu > 0
    for name, arr in (("p", p), ("p_hat", p_hat)):
        if not (np.isfinite(arr).all() and (arr >= 0).all()):
            fail(name, "finite, non-negative probabilities", "<a negative or non-finite entry>")
        rows = arr[support].sum(axis=1)
        if rows.size and np.abs(rows - 1.0).max() > SUM_TOLERANCE:
            fail(name, "rows summing to 1 on prompts with mu > 0", f"<a row summing to {rows[np.abs(rows - 1).argmax()]!r}>")
    if (p[~valid] > 0).any():
        fail("p", "zero outside the valid responses (p(V) = 1, noiseless data)", "<mass on an invalid response>")
    n_valid = valid[support].sum(axis=1)
    n_errors = (~valid & ~nonsense)[support].sum(axis=1)
    if (n_errors == 0).any() or (n_valid == 0).any():
        fail("valid", "at least one valid and one error response for every prompt with mu > 0", "<a prompt without one>")
    return mu, p, p_hat, valid, nonsense, int(n_errors.min()), int(n_valid.max())


def dense_metrics(mu, p, p_hat, valid, nonsense=None, *, thresholds=None, curve=False) -> IIVMetrics:
    """Exact err, err_iiv, δ, cross-entropy and Theorem 1 for dense arrays (small finite ``X``).

    Parameters
    ----------
    mu : array_like, shape (C,)
        Prompt weights (normalised to ``μ``).
    p : array_like, shape (C, R)
        Training distribution ``p(r | c)``; zero outside ``valid`` (``p(V) = 1``).
    p_hat : array_like, shape (C, R)
        Base model ``p̂(r | c)``; rows sum to one.
    valid : array_like of bool, shape (C, R)
        ``V_c``; ``E_c`` is every response that is neither valid nor nonsense.
    nonsense : array_like of bool, shape (C, R), optional
        ``N_c`` of Section 5: ``D(N) = 0`` and ``err = p̂(N ∪ E)``.
    thresholds : array_like of float, optional
        Extra thresholds ``z`` for ``err_iiv(f̂_z)`` and ``δ_z``.
    curve : bool, optional
        Also compute the exact curves over all thresholds (:func:`dense_threshold_curve`).

    Returns
    -------
    IIVMetrics
    """
    mu, p, p_hat, valid, nonsense, min_errors, max_valid = _dense_inputs(mu, p, p_hat, valid, nonsense)
    zs = _thresholds(1.0 / min_errors, thresholds)
    sums = np.zeros(kernels.N_FIXED + kernels.N_PER_THRESHOLD * zs.shape[0])
    kernels.dense_sums(mu, p, p_hat, valid, nonsense, zs, sums)
    curves = _dense_curve(mu, p, p_hat, valid, nonsense) if curve else None
    return IIVMetrics(**_metrics_from_sums(sums, zs, min_errors, max_valid), curve=curves)


def dense_threshold_curve(mu, p, p_hat, valid, nonsense=None) -> ThresholdCurve:
    """The exact ``δ_z`` and ``err_iiv(f̂_z)`` curves for dense arrays over all ``z``.

    Parameters
    ----------
    mu, p, p_hat, valid, nonsense
        As for :func:`dense_metrics`.

    Returns
    -------
    ThresholdCurve
    """
    mu, p, p_hat, valid, nonsense, _, _ = _dense_inputs(mu, p, p_hat, valid, nonsense)
    return _dense_curve(mu, p, p_hat, valid, nonsense)


def _dense_curve(mu, p, p_hat, valid, nonsense):
    errors = ~valid & ~nonsense
    inv_errors = 1.0 / np.maximum(errors.sum(axis=1), 1)
    w = mu[:, None]
    valid_mass = np.where(valid, p, 0.0)
    records = np.stack(
        [p_hat, w * p_hat, w * valid_mass, 0.5 * w * errors * inv_errors[:, None], 0.5 * w * valid_mass], axis=-1
    )
    return _curve_from_records(records[mu > 0].reshape(-1, 5))


def rescale_dense(p_hat, threshold, scale) -> np.ndarray:
    """The rescaled model ``p̂_s`` of Section 3.1 of the paper for dense ``p̂`` (rows are prompts).

    Parameters
    ----------
    p_hat : array_like, shape (C, R)
    threshold : float
        Usually ``1/min_c |E_c|``.
    scale : float
        ``s > 0``.

    Returns
    -------
    ndarray, shape (C, R)
    """
    scale = check_float("scale", scale, low=0.0, low_open=True)
    threshold = check_float("threshold", threshold)
    p_hat = np.asarray(p_hat, dtype=np.float64)
    above = p_hat > threshold
    above_mass = np.where(above, p_hat, 0.0).sum(axis=1, keepdims=True)
    below_mass = np.where(above, 0.0, p_hat).sum(axis=1, keepdims=True)
    return rescale_masses(p_hat, above, above_mass, below_mass, scale)
