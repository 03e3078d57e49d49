"""Exact calibration and behavioral-calibration audit of a model of an arbitrary-facts world.

A :class:`~hallusim.CompactModel` ``p̂`` answers prompt ``c`` (anything but IDK, nonsense
included) with probability ``A_c = 1 − p̂(IDK | c)``; given that it answers, it gives ``r`` with
probability ``π(r | c) = p̂(r | c) / A_c`` and is correct iff ``r = a_c``, the world's answer.
Sampling ``c ~ μ`` and an answer ``r ~ p̂(· | c)`` and keeping the answered draws is what an
empirical reliability diagram of a generative model does; here every such (c, r) pair is
enumerated with its exact probability instead:

* :func:`answer_pairs`: every answer the model may give, its confidence ``π(r | c)``, whether it
  is correct and its weight ``μ(c) p̂(r | c) / Σ_c' μ(c') A_c'`` (the probability of the pair
  among the answered draws);
* :func:`answer_reliability`: the reliability diagram and ECE of those pairs
  (:func:`hallusim.posttraining.calibration.reliability_diagram` with weights: the all-choices
  binning of the paper's Figure 2, every answer binned by its confidence, each weighted by how
  often it is the model's answer rather than counted once);
* :func:`model_behavioral_audit`: :func:`hallusim.posttraining.grading.behavioral_audit` of the
  model as a test taker who answers ``c`` with probability ``A_c`` and is then correct with
  probability ``q_c = p̂(a_c | c) / A_c``, weighted by ``μ`` (Section 4.2: behaviorally
  calibrated at target ``t`` iff it answers exactly the prompts with ``q_c > t``).
"""

from __future__ import annotations

import numpy as np

from hallusim._validation import fail
from hallusim.corpus import check_corpus
from hallusim.learners import NotFittedError
from hallusim.models import CompactModel
from hallusim.posttraining.calibration import ReliabilityDiagram, reliability_diagram
from hallusim.posttraining.grading import BehavioralAudit, behavioral_audit

__all__ = ["answer_pairs", "answer_reliability", "answer_statistics", "model_behavioral_audit"]


def _model_and_corpus(model, corpus):
    check_corpus(corpus)
    if not isinstance(model, CompactModel):
        fitted = getattr(model, "model_", None)
        if not isinstance(fitted, CompactModel):
            if hasattr(model, "fit"):
                raise NotFittedError(f"{type(model).__name__} is not fitted yet; call fit(corpus) first.")
            fail("model", "a CompactModel or a fitted learner", f"<{type(model).__name__}>", error=TypeError)
        model = fitted
    if model.n_prompts != corpus.world.n_prompts:
        fail("model", f"a model of the corpus's {corpus.world.n_prompts} prompts", f"<a model of {model.n_prompts} prompts>")
    return model, corpus


def _rows(model):
    """Per-prompt arrays of a compact model, broadcast: |R_c|, IDK mass, rest mass."""
    c = model.n_prompts
    return (np.broadcast_to(model.n_responses, (c,)), np.broadcast_to(model.idk, (c,)), np.broadcast_to(model.rest, (c,)))


def answer_statistics(model, corpus):
    """Per prompt: the probability of answering and of a correct answer given answering.

    Parameters
    ----------
    model : CompactModel or fitted learner
        ``p̂`` over the corpus's world.
    corpus : Corpus
        Supplies the true answers ``a_c``.

    Returns
    -------
    answer_prob : ndarray, shape (C,)
        ``A_c = 1 − p̂(IDK | c)`` (nonsense counts as answering).
    p_correct : ndarray, shape (C,)
        ``q_c = p̂(a_c | c) / A_c``, 0 where ``A_c = 0``.
    """
    model, corpus = _model_and_corpus(model, corpus)
    n_resp, idk, rest = _rows(model)
    a = corpus.answers
    explicit = model.responses == a[:, None]
    in_rest = ~explicit.any(axis=1)
    k = (model.responses >= 0).sum(axis=1)
    spread = np.where(n_resp > k, rest / np.maximum(n_resp - k, 1), 0.0)
    correct = (model.probs * explicit).sum(axis=1) + np.where(in_rest, spread, 0.0)
    answer_prob = np.clip(1.0 - idk, 0.0, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.where(answer_prob > 0, correct / answer_prob, 0.0)
    return answer_prob, np.clip(q, 0.0, 1.0)


def answer_pairs(model, corpus):
    """Every answer ``(c, r)`` the model may give: confidence, correctness and exact weight.

    The pairs are the explicit responses, the responses of ``R_c`` holding the uniform ``rest``
    mass (as two pairs per prompt: the correct one if ``a_c`` is among them, and the others
    together, which share one confidence) and the nonsense responses.

    Parameters
    ----------
    model : CompactModel or fitted learner
    corpus : Corpus

    Returns
    -------
    confidence : ndarray, shape (C·J,)
        Prompt-major (``J`` pairs per prompt, some of weight 0): ``π(r | c) = p̂(r | c) / A_c``, the model's probability of ``r`` given that it answers.
    correct : ndarray of bool
        ``r = a_c``.
    weight : ndarray
        ``μ(c) p̂(r | c) / Σ_c' μ(c') A_c'``: the pair's probability among the answered draws of
        ``c ~ μ``, ``r ~ p̂(· | c)`` (sums to one).
    """
    model, corpus = _model_and_corpus(model, corpus)
    mu = corpus.world.weights
    n_resp, idk, rest = _rows(model)
    answer_prob = np.clip(1.0 - idk, 0.0, 1.0)
    total = float(mu @ answer_prob)
    if not total > 0:
        fail("model", "a model that answers some prompt of positive weight (p̂(IDK | c) < 1)", "<a model that always abstains>")
    a = corpus.answers
    scale = np.where(answer_prob > 0, 1.0 / np.where(answer_prob > 0, answer_prob, 1.0), 0.0)
    k = (model.responses >= 0).sum(axis=1)
    n_rest = np.where(rest > 0, n_resp - k, 0)
    spread = np.where(n_rest > 0, rest / np.maximum(n_rest, 1), 0.0)
    rest_correct = ~(model.responses == a[:, None]).any(axis=1) & (n_rest > 0)
    used = model.responses >= 0
    probs = [np.where(used, model.probs, 0.0), spread[:, None], spread[:, None], model.nonsense]
    right = [model.responses == a[:, None], np.ones((mu.size, 1), bool), np.zeros((mu.size, 1), bool),
             np.zeros(model.nonsense.shape, bool)]
    counts = [used.astype(float), rest_correct[:, None].astype(float), (n_rest - rest_correct)[:, None].astype(float),
              np.ones(model.nonsense.shape)]
    confidence = np.hstack([p * scale[:, None] for p in probs])
    weight = np.hstack([p * n * mu[:, None] for p, n in zip(probs, counts)]) / total
    return np.clip(confidence, 0.0, 1.0).ravel(), np.hstack(right).ravel(), weight.ravel()


def answer_reliability(model, corpus, *, n_bins=10, closed="right") -> ReliabilityDiagram:
    """Exact reliability diagram and ECE of the model's answers (no sampling).

    Every pair of :func:`answer_pairs` in equal-width bins of its confidence ``π(r | c)``, each
    weighted by its probability among the answered draws; a bin's accuracy is its weighted
    fraction of correct answers and ``ECE = Σ_b W_b |acc_b − conf_b|``.

    Parameters
    ----------
    model : CompactModel or fitted learner
    corpus : Corpus
    n_bins : int, optional
    closed : {"right", "left"}, optional
        As for :func:`hallusim.posttraining.calibration.reliability_diagram`.

    Returns
    -------
    ReliabilityDiagram
        With ``weight`` the bins' shares ``W_b`` (``counts`` counts pairs, whatever their weight).
    """
    confidence, correct, weight = answer_pairs(model, corpus)
    return reliability_diagram(confidence, correct, n_bins=n_bins, variant="binary", closed=closed, weights=weight)


def model_behavioral_audit(model, corpus, targets=None, *, name="model") -> BehavioralAudit:
    """The behavioral-calibration audit of a model, exact and ``μ``-weighted (Section 4.2).

    The model is a test taker who does not see the target: it answers ``c`` with probability
    ``A_c`` and is then right with probability ``q_c`` (:func:`answer_statistics`); the ideal
    answers exactly the prompts with ``q_c > t``. The deviation at ``t`` is
    ``Σ_c μ(c) |q_c − t| · |A_c − 1[q_c > t]|``.

    Parameters
    ----------
    model : CompactModel or fitted learner
    corpus : Corpus
    targets : sequence of float in [0, 1), optional
        As for :func:`hallusim.posttraining.grading.behavioral_audit`.
    name : str, optional
        The audit's label.

    Returns
    -------
    BehavioralAudit
    """
    answer_prob, q = answer_statistics(model, corpus)
    return behavioral_audit(q, answer_prob, targets, weights=corpus.world.weights, name=name)
