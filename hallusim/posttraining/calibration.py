"""Calibration metrics: expected calibration error (ECE) and reliability-diagram data.

Calibration in the sense of Dawid (1982): among the predictions made with probability ``q``,
the event happens a ``q`` fraction of the time. The paper's δ (Theorem 1) is the calibration gap
at a single threshold; ECE, which this module computes, integrates over all confidence levels
(Section 3.1: "δ, being defined at a single threshold, is weaker than notions such as ECE").
:func:`delta_z_curve` gives δ_z at every threshold z of a model (computed by :mod:`hallusim.iiv`).

Three variants share one binning routine:

* ``binary``: 1-D probabilities ``q_i`` that an event happens and 0/1 outcomes ``y_i``
  (e.g. a model's stated confidence that its answer is right and whether it was);
* ``top_label``: an (n, K) matrix of class probabilities and integer labels; each row
  contributes its largest probability (first maximum on ties) and whether that class is the label;
* ``all_choices``: the same matrix, every (row, class) pair contributes its probability and
  whether the class is the label (the GPT-4 technical report's Figure 8, reproduced as the
  paper's Figure 2, bins every answer choice A–D this way).

Binning, with ``B = n_bins``:

* ``equal_width``: edges ``k/B`` for ``k = 0..B`` (computed as that division in float64, so a
  confidence written as the decimal ``k/B``, such as 0.7 or 0.9 with ``B = 10``, equals its
  edge). A value on an edge belongs to one bin only, chosen by ``closed``:

  - ``closed="right"`` (the default): bin ``b`` holds ``b/B < q <= (b+1)/B``, and the first
    bin also holds ``q = 0``. This is the convention of Guo et al. (2017, "On Calibration of
    Modern Neural Networks", ``I_m = ((m−1)/M, m/M]``) and of scikit-learn's
    ``calibration_curve``, so ECE values are comparable with theirs; a model stating 0.9 is
    grouped with the confidences just below 0.9, not with 0.95.
  - ``closed="left"``: bin ``b`` holds ``b/B <= q < (b+1)/B``, and the last bin also holds
    ``q = 1`` (the convention of ``numpy.histogram``).

  Stated confidences often sit exactly on edges, so the two can differ noticeably: with
  ``q = (0.85, 0.9)``, outcomes ``(0, 1)`` and ``B = 10``, the right-closed ECE is 0.375 (one
  bin) and the left-closed ECE 0.475 (two bins);
* ``equal_mass``: predictions sorted by probability (stable sort, so ties keep their input
  order) and cut into ``B`` contiguous groups whose sizes differ by at most one, the first
  ``n mod B`` groups taking the extra item; a bin's edges are its smallest and largest
  probability. Ties may straddle two bins;
* ``helm``: the equal-mass bins of HELM's ``ece_10_bin`` (``get_equal_bins`` of the
  uncertainty-calibration package, Kumar et al. 2019, which HELM calls): the sorted
  probabilities are split into ``min(B, n)`` contiguous groups as ``numpy.array_split`` does
  (the first ``n mod B`` groups one larger), each cut is the midpoint between the last value of
  a group and the first of the next, ``1`` is the last edge, repeated cuts merge, and bin ``b``
  holds ``cut_{b−1} < q <= cut_b``. Ties never straddle two bins, so there may be fewer than
  ``B`` bins.

``ECE = Σ_b (n_b / n) · |acc_b − conf_b|`` over non-empty bins, with ``conf_b`` the mean
probability and ``acc_b`` the mean outcome in bin ``b``.

With ``weights`` ``w_i`` (equal-width bins only), every count becomes a total weight:
``W_b = Σ_{i in b} w_i``, ``conf_b`` and ``acc_b`` are weighted means and
``ECE = Σ_b (W_b / W) · |acc_b − conf_b|``. This is the exact reliability diagram of a
distribution over predictions, e.g. every answer a model may give weighted by its probability
(:func:`hallusim.posttraining.model_answers.answer_reliability`), in place of a sample drawn from it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hallusim._validation import (
    check_binary_outcomes,
    check_choice,
    check_int,
    check_unit_interval,
    fail,
)
from hallusim.iiv import ThresholdCurve, dense_threshold_curve, threshold_curve

__all__ = ["ReliabilityDiagram", "reliability_diagram", "expected_calibration_error", "top_label", "delta_z_curve"]

BINNINGS = ("equal_width", "equal_mass", "helm")
VARIANTS = ("binary", "top_label", "all_choices")
CLOSED = ("right", "left")


@dataclass(frozen=True)
class ReliabilityDiagram:
    """Per-bin calibration data and the calibration errors it implies.

    Attributes
    ----------
    variant : {"binary", "top_label", "all_choices"}
    binning : {"equal_width", "equal_mass", "helm"}
    bin_lower, bin_upper : ndarray of shape (n_bins,)
        Each bin's edges (equal width: ``k/B``; equal mass: the smallest and largest
        probability in the bin, NaN if empty).
    counts : ndarray of int, shape (n_bins,)
        Predictions in each bin.
    mean_confidence : ndarray
        Mean predicted probability per bin (NaN if empty).
    accuracy : ndarray
        Mean outcome per bin (NaN if empty).
    ece : float
        Expected calibration error ``Σ_b (n_b/n) |acc_b − conf_b|``.
    max_calibration_error : float
        ``max_b |acc_b − conf_b|`` over non-empty bins.
    n : int
        Number of predictions binned.
    closed : {"right", "left"} or None
        Which end of an equal-width bin holds a value on an edge (None for equal-mass bins).
    weight : ndarray or None
        With ``weights``: each bin's share ``W_b / W`` of the total weight (ECE's bin weights);
        None when every prediction counts once.
    """

    variant: str
    binning: str
    bin_lower: np.ndarray
    bin_upper: np.ndarray
    counts: np.ndarray
    mean_confidence: np.ndarray
    accuracy: np.ndarray
    ece: float
    max_calibration_error: float
    n: int
    closed: str | None = None
    weight: np.ndarray | None = None

    @property
    def gap(self) -> np.ndarray:
        """``accuracy − mean_confidence`` per bin (negative: over-confident)."""
        return self.accuracy - self.mean_confidence

    def rows(self) -> list[dict]:
        """One dict per bin (for a results table)."""
        return [
            {
                "bin": b,
                "lower": float(self.bin_lower[b]),
                "upper": float(self.bin_upper[b]),
                "count": int(self.counts[b]),
                "mean_confidence": float(self.mean_confidence[b]),
                "accuracy": float(self.accuracy[b]),
                **({} if self.weight is None else {"weight": float(self.weight[b])}),
            }
            for b in range(self.counts.size)
        ]


def top_label(probabilities, labels):
    """Top-label confidence and correctness from class probabilities.

    Parameters
    ----------
    probabilities : array of shape (n, K)
        Each row a probability vector over ``K`` classes (e.g. answer choices A–D).
    labels : int array of shape (n,)
        The correct class of each row.

    Returns
    -------
    confidence : ndarray of shape (n,)
        ``max_k probabilities[i, k]``.
    correct : bool ndarray of shape (n,)
        Whether the first class attaining the maximum is the label.
    """
    probs, labels = _check_matrix(probabilities, labels)
    choice = np.argmax(probs, axis=1)
    return probs[np.arange(probs.shape[0]), choice], choice == labels


def _check_matrix(probabilities, labels):
    probs = np.asarray(probabilities, dtype=np.float64)
    if probs.ndim != 2 or probs.shape[0] == 0 or probs.shape[1] < 2:
        fail("probabilities", "a 2-D array (n, K) with n >= 1 rows and K >= 2 classes", f"<an array of shape {probs.shape}>")
    check_unit_interval("probabilities", probs)
    if not np.allclose(probs.sum(axis=1), 1.0, rtol=0.0, atol=1e-6):
        fail("probabilities", "rows summing to 1", f"<row sums from {probs.sum(axis=1).min()!r} to {probs.sum(axis=1).max()!r}>")
    labels = np.asarray(labels)
    if labels.shape != (probs.shape[0],) or labels.dtype.kind not in "iu":
        fail("labels", f"an integer array of length {probs.shape[0]}", f"<an array of shape {labels.shape}, dtype {labels.dtype}>")
    if labels.size and (labels.min() < 0 or labels.max() >= probs.shape[1]):
        fail("labels", f"class indices in [0, {probs.shape[1] - 1}]", f"<labels from {labels.min()} to {labels.max()}>")
    return probs, labels.astype(np.int64)


def _bin_equal_width(q, n_bins, closed):
    edges = np.arange(n_bins + 1) / n_bins
    # closed="right": q on edge k/B goes to bin k − 1, i.e. ((k−1)/B, k/B]; "left": to bin k.
    side = "left" if closed == "right" else "right"
    index = np.clip(np.searchsorted(edges, q, side=side) - 1, 0, n_bins - 1)
    return index, edges[:-1], edges[1:]


def _bin_equal_mass(q, n_bins):
    order = np.argsort(q, kind="stable")
    sizes = np.full(n_bins, q.size // n_bins)
    sizes[: q.size % n_bins] += 1
    index = np.empty(q.size, dtype=np.int64)
    index[order] = np.repeat(np.arange(n_bins), sizes)
    lower = np.full(n_bins, np.nan)
    upper = np.full(n_bins, np.nan)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    full = sizes > 0
    lower[full] = q[order][starts[full]]
    upper[full] = q[order][starts[full] + sizes[full] - 1]
    return index, lower, upper


def _bin_helm(q, n_bins):
    ordered = np.sort(q)
    parts = np.array_split(ordered, min(n_bins, q.size))
    cuts = [(parts[i][-1] + parts[i + 1][0]) / 2.0 for i in range(len(parts) - 1)]
    edges = np.unique(np.array(cuts + [1.0]))
    index = np.searchsorted(edges, q, side="left")
    return index, np.concatenate(([0.0], edges[:-1])), edges


def reliability_diagram(
    probabilities, outcomes, *, n_bins: int = 10, binning: str = "equal_width", variant: str | None = None,
    closed: str = "right", weights=None,
) -> ReliabilityDiagram:
    """Reliability-diagram data (per-bin counts, mean confidence and accuracy) and ECE.

    See the module docstring for the three variants, the bin edges and the ECE formula.

    Parameters
    ----------
    probabilities : array
        1-D (``binary``) probabilities that the outcome is 1, or an (n, K) matrix of class
        probabilities (``top_label``, ``all_choices``).
    outcomes : array
        0/1 or bool outcomes (``binary``), or integer class labels (matrix variants).
    n_bins : int, optional
        Number of bins ``B`` (default 10).
    binning : {"equal_width", "equal_mass", "helm"}, optional
        Equal-width bins ``[k/B, (k+1)/B]``, equal-mass bins, or HELM's equal-mass bins cut at
        midpoints (default ``equal_width``).
    variant : {"binary", "top_label", "all_choices"} or None, optional
        None picks ``binary`` for 1-D input and ``top_label`` for a matrix.
    closed : {"right", "left"}, optional
        Equal-width bins only: a probability on an edge ``k/B`` falls in the bin that edge
        closes on the right (``"right"``, the default, as Guo et al. 2017 and scikit-learn) or
        opens on the left (``"left"``); see the module docstring.
    weights : 1-D array of non-negative float, optional
        ``binary`` variant and equal-width bins only: a weight per prediction (not all zero), so
        that bins hold total weights rather than counts (see the module docstring). Default:
        every prediction counts once.

    Returns
    -------
    ReliabilityDiagram
    """
    n_bins = check_int("n_bins", n_bins, minimum=1)
    check_choice("binning", binning, BINNINGS)
    check_choice("closed", closed, CLOSED)
    if variant is None:
        variant = "top_label" if np.ndim(probabilities) == 2 else "binary"
    check_choice("variant", variant, VARIANTS)
    if variant == "binary":
        q, y = check_binary_outcomes(probabilities, outcomes)
    elif variant == "top_label":
        q, correct = top_label(probabilities, outcomes)
        y = correct.astype(np.float64)
    else:
        probs, labels = _check_matrix(probabilities, outcomes)
        q = probs.ravel()
        y = (np.arange(probs.shape[1])[None, :] == labels[:, None]).astype(np.float64).ravel()
    w = None if weights is None else _check_weights(weights, q.size, variant, binning)
    if binning == "equal_width":
        index, lower, upper = _bin_equal_width(q, n_bins, closed)
    elif binning == "equal_mass":
        index, lower, upper = _bin_equal_mass(q, n_bins)
    else:
        index, lower, upper = _bin_helm(q, n_bins)
    size = lower.size
    counts = np.bincount(index, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(index, weights=q, minlength=size) / counts
        accuracy = np.bincount(index, weights=y, minlength=size) / counts
    share = None
    if w is not None:
        mass = np.bincount(index, weights=w, minlength=size)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_conf = np.bincount(index, weights=w * q, minlength=size) / mass
            accuracy = np.bincount(index, weights=w * y, minlength=size) / mass
        share = mass / mass.sum()
        full = mass > 0
        mean_conf[~full] = accuracy[~full] = np.nan
    else:
        full = counts > 0
    gaps = np.abs(accuracy[full] - mean_conf[full])
    bin_share = share[full] if share is not None else counts[full] / q.size
    return ReliabilityDiagram(
        variant=variant,
        binning=binning,
        bin_lower=lower,
        bin_upper=upper,
        counts=counts,
        mean_confidence=mean_conf,
        accuracy=accuracy,
        ece=float(np.sum(bin_share * gaps)),
        max_calibration_error=float(gaps.max()),
        n=int(q.size),
        closed=closed if binning == "equal_width" else None,
        weight=share,
    )


def _check_weights(weights, n, variant, binning):
    if variant != "binary" or binning != "equal_width":
        fail("weights", "None unless variant='binary' and binning='equal_width'",
             f"<weights with variant={variant!r}, binning={binning!r}>")
    try:
        w = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError):
        fail("weights", f"a 1-D array of {n} non-negative floats", "<a ragged or non-numeric sequence>")
    if w.shape != (n,):
        fail("weights", f"a 1-D array of {n} non-negative floats (one per prediction)", f"<an array of shape {w.shape}>")
    if not (np.isfinite(w).all() and (w >= 0).all() and w.sum() > 0):
        fail("weights", "finite non-negative floats, not all zero", f"<weights from {w.min()!r} to {w.max()!r}, sum {w.sum()!r}>")
    return w


def expected_calibration_error(
    probabilities, outcomes, *, n_bins: int = 10, binning: str = "equal_width", variant: str | None = None,
    closed: str = "right", weights=None,
) -> ReliabilityDiagram:
    """Expected calibration error, ``Σ_b (n_b/n)·|acc_b − conf_b|``, with its per-bin data.

    The same computation as :func:`reliability_diagram` (the returned object's ``ece`` field is
    the number; ``counts`` the per-bin counts); see the module docstring for the variants and
    the bin-edge rule.

    Parameters
    ----------
    probabilities, outcomes : array
        As for :func:`reliability_diagram`.
    n_bins : int, optional
        Number of bins ``B`` (default 10).
    binning : {"equal_width", "equal_mass", "helm"}, optional
        As for :func:`reliability_diagram`.
    variant : {"binary", "top_label", "all_choices"} or None, optional
        As for :func:`reliability_diagram`.
    closed : {"right", "left"}, optional
        As for :func:`reliability_diagram` (default ``"right"``).
    weights : 1-D array, optional
        As for :func:`reliability_diagram`.

    Returns
    -------
    ReliabilityDiagram
    """
    return reliability_diagram(probabilities, outcomes, n_bins=n_bins, binning=binning, variant=variant, closed=closed,
                               weights=weights)


def delta_z_curve(model, corpus=None, *, mu=None, p=None, valid=None, nonsense=None) -> ThresholdCurve:
    """``δ_z = |p̂(A_z) − p(A_z)|`` of a model at every threshold ``z``, exactly (Section 3.1 of the paper).

    ``A_z = {(c, r) : p̂(r | c) > z}``; Theorem 1's δ is δ_z at ``z = 1/min_c |E_c|``. Unlike
    ECE, which bins stated confidences, δ_z compares the model's mass above a threshold with the
    true mass there. This is a thin entry point to :func:`hallusim.iiv.threshold_curve`
    (compact models of an arbitrary-facts world) and :func:`hallusim.iiv.dense_threshold_curve`
    (dense arrays, e.g. multiple choice); nothing is recomputed here.

    Parameters
    ----------
    model : CompactModel, fitted learner, or array of shape (C, R)
        The base model ``p̂``: a compact model (or fitted learner) together with ``corpus``, or
        a dense array ``p̂(r | c)`` together with ``mu``, ``p`` and ``valid``.
    corpus : Corpus, optional
        The training corpus of a compact model (its world supplies ``μ`` and ``p``).
    mu, p, valid, nonsense : array_like, optional
        For a dense ``model``: prompt weights, the training distribution, the valid responses
        and (optionally) the nonsense responses, as for :func:`hallusim.iiv.dense_metrics`.

    Returns
    -------
    hallusim.iiv.ThresholdCurve
        Step functions of ``z``: ``.delta`` on each interval between consecutive distinct
        values of ``p̂`` (``.edges``), ``.delta_at(z)`` at given thresholds, and
        ``p̂(A_z)``, ``p(A_z)``, ``err_iiv(f̂_z)`` beside them.
    """
    dense = {"mu": mu, "p": p, "valid": valid, "nonsense": nonsense}
    if corpus is not None:
        given = [name for name, value in dense.items() if value is not None]
        if given:
            fail(given[0], "None when a corpus is given (a compact model's world supplies it)", "<an array>")
        return threshold_curve(model, corpus)
    for name in ("mu", "p", "valid"):
        if dense[name] is None:
            fail(name, "an array when `model` is a dense p_hat array (or pass a corpus with a compact model)", None)
    return dense_threshold_curve(mu, p, model, valid, nonsense)
