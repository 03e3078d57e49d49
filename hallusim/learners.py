"""Learners that turn a :class:`~hallusim.Corpus` into a base model ``p̂``.

The scikit-learn estimator contract: ``__init__`` stores parameters, ``fit(corpus)`` returns
``self``, fitted state ends in ``_`` (``model_`` is a :class:`~hallusim.models.CompactModel`),
and using an unfitted learner raises :class:`NotFittedError`.
"""

from __future__ import annotations

import numpy as np

from hallusim._validation import NotFittedError, check_float, check_weights, fail
from hallusim.corpus import check_corpus
from hallusim.models import CompactModel, rescale_masses

__all__ = [
    "Learner",
    "NotFittedError",
    "CalibratedLearner",
    "EmpiricalCalibratedLearner",
    "MemorizingLearner",
    "AbstainingLearner",
    "UniformLearner",
    "RescaledLearner",
    "MixtureLearner",
]


class Learner:
    """The learner contract's shared behaviour: ``fit(corpus)`` returns the learner, whose ``model``
    is the fitted ``CompactModel``; this base gives the parameter repr and the not-fitted check."""

    #: How ``fit`` reads the corpus, for :func:`hallusim.streaming.stream_evaluate`: ``"prompt"``
    #: (each prompt's model from that prompt's counts alone), ``"pooled"`` (also the corpus-wide
    #: ``n_examples`` and ``n_answered``), or ``None`` (anything else, e.g. a trained network:
    #: it cannot be fitted one part of the prompts at a time).
    separability = None

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.endswith("_"))
        return f"{type(self).__name__}({params})"

    @property
    def model(self) -> CompactModel:
        """The fitted model ``p̂`` (same as ``model_``)."""
        if not hasattr(self, "model_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet; call fit(corpus) first.")
        return self.model_


def _one_answer_model(corpus, seen_prob, idk, unseen_rest):
    """A model whose only explicit response is ``a_c`` on seen prompts (probability ``seen_prob``),
    with ``unseen_rest`` spread uniformly over ``R_c`` on unseen prompts."""
    seen = corpus.seen
    responses = np.where(seen, corpus.answers.astype(np.int32, copy=False), np.int32(-1))[:, None]
    probs = np.where(seen, seen_prob, 0.0)[:, None]
    rest = np.where(seen, 0.0, unseen_rest) if np.any(unseen_rest) else 0.0
    return CompactModel(corpus.world.n_responses, responses, probs, idk, rest)


class CalibratedLearner(Learner):
    """The efficient calibrated learner of Appendix B (knows ``α_c``).

    ``p̂(IDK|c) = 1 − α_c``; on a prompt answered in training ``p̂(a_c|c) = α_c``; on an unseen
    prompt ``p̂(r|c) = α_c/|R_c|`` for every ``r ∈ R_c``. Its error is
    ``Σ_{c ∈ U} μ(c) α_c (|R_c| − 1)/|R_c|`` and ``δ_z = 0`` at every threshold ``z``.
    """

    separability = "prompt"

    def fit(self, corpus):
        """Fit to ``corpus``.

        Parameters
        ----------
        corpus : Corpus

        Returns
        -------
        self
        """
        corpus = check_corpus(corpus)
        alpha = np.asarray(corpus.world.answer_prob, dtype=np.float64)
        self.model_ = _one_answer_model(corpus, alpha, 1.0 - alpha, alpha)
        return self


class EmpiricalCalibratedLearner(Learner):
    """Appendix B's learner with ``α_c`` estimated from the corpus instead of known.

    Parameters
    ----------
    prior_strength : float, optional
        Strength ``k`` of the Beta prior centred on the pooled answer rate
        ``ᾱ = (answered examples)/N``: ``α̂_c = (a_c + k ᾱ)/(n_c + k)`` with ``a_c`` answered and
        ``n_c`` all examples of prompt ``c``. ``inf`` (the default) uses ``ᾱ`` for every prompt,
        which is consistent when ``α`` is constant.
    """

    separability = "pooled"

    def __init__(self, prior_strength=np.inf):
        self.prior_strength = prior_strength

    def fit(self, corpus):
        """Fit to ``corpus``; sets ``alpha_`` (the estimates) and ``model_``.

        Parameters
        ----------
        corpus : Corpus

        Returns
        -------
        self
        """
        corpus = check_corpus(corpus)
        infinite = isinstance(self.prior_strength, (int, float, np.number)) and self.prior_strength == np.inf
        k = np.inf if infinite else check_float("prior_strength", self.prior_strength, low=0.0, low_open=True)
        pooled = corpus.n_answered / corpus.n_examples
        if np.isinf(k):
            alpha = np.float64(pooled)
        else:
            answered = corpus.answered_counts.astype(np.float64)
            alpha = (answered + k * pooled) / (answered + corpus.idk_counts + k)
        self.alpha_ = alpha
        self.model_ = _one_answer_model(corpus, alpha, 1.0 - alpha, alpha)
        return self


class MemorizingLearner(Learner):
    """Regurgitates seen answers: ``p̂(a_c|c) = 1`` if ``c`` was answered in training, else
    ``p̂(IDK|c) = 1``. It never errs (``err = 0``) and is far from calibrated."""

    separability = "prompt"

    def fit(self, corpus):
        """Fit to ``corpus``.

        Parameters
        ----------
        corpus : Corpus

        Returns
        -------
        self
        """
        corpus = check_corpus(corpus)
        self.model_ = _one_answer_model(corpus, 1.0, np.where(corpus.seen, 0.0, 1.0), 0.0)
        return self


class AbstainingLearner(Learner):
    """Always says IDK: ``p̂(IDK|c) = 1``."""

    separability = "prompt"

    def fit(self, corpus):
        """Fit to ``corpus``.

        Parameters
        ----------
        corpus : Corpus

        Returns
        -------
        self
        """
        corpus = check_corpus(corpus)
        n = corpus.world.n_prompts
        self.model_ = CompactModel(corpus.world.n_responses, np.full((n, 1), -1), np.zeros((n, 1)), 1.0, 0.0)
        return self


class UniformLearner(Learner):
    """Uniform over the plausible responses: ``p̂(r|c) = 1/(|R_c| + 1)`` on ``R_c ∪ {IDK}``
    (or ``1/|R_c|`` on ``R_c`` with ``include_idk=False``). Its δ is 0 (Section 3.1 of the paper).

    Parameters
    ----------
    include_idk : bool, optional
        Whether IDK gets its uniform share.
    """

    separability = "prompt"

    def __init__(self, include_idk=True):
        self.include_idk = include_idk

    def fit(self, corpus):
        """Fit to ``corpus``.

        Parameters
        ----------
        corpus : Corpus

        Returns
        -------
        self
        """
        corpus = check_corpus(corpus)
        n = corpus.world.n_prompts
        n_resp = np.asarray(corpus.world.n_responses, dtype=np.float64)
        idk = 1.0 / (n_resp + 1.0) if self.include_idk else 0.0
        rest = n_resp / (n_resp + 1.0) if self.include_idk else 1.0
        self.model_ = CompactModel(corpus.world.n_responses, np.full((n, 1), -1), np.zeros((n, 1)), idk, rest)
        return self


def _side_masses(model, threshold):
    """Per prompt, ``p̂(A_c | c)`` and ``p̂(Ā_c | c)``: the masses above and at-or-below ``threshold``.

    Also returns, per class (explicit slots, IDK, the uniform remainder, explicit nonsense), whether it
    is above.
    """
    idk = np.broadcast_to(model.idk, (model.n_prompts,))
    rest = np.broadcast_to(model.rest, (model.n_prompts,))
    flags = (model.probs > threshold, idk > threshold, model.remainder_value() > threshold, model.nonsense > threshold)
    masses = (model.probs, idk, rest, model.nonsense)
    above = sum(np.where(f, m, 0.0).reshape(model.n_prompts, -1).sum(axis=1) for f, m in zip(flags, masses))
    below = sum(np.where(f, 0.0, m).reshape(model.n_prompts, -1).sum(axis=1) for f, m in zip(flags, masses))
    return above, below, flags


class RescaledLearner(Learner):
    """The rescaled family ``p̂_s`` of Section 3.1 of the paper around a base learner.

    On each prompt the probabilities above the threshold are multiplied by ``s`` and the prompt
    is renormalised. ``s = 1`` is the base model; ``d/ds L(p̂_s)`` at ``s = 1`` is ``±δ``, so a
    cross-entropy minimum has ``δ = 0``. With ``s > 1`` this is Miao & Kearns-style upweighting
    of confident (e.g. memorised) facts.

    Parameters
    ----------
    base : learner
        An unfitted learner; it is fitted on the same corpus.
    scale : float
        ``s > 0``.
    threshold : float, optional
        Default ``1/min_c |E_c|`` of the corpus's world.
    """

    def __init__(self, base, scale, threshold=None):
        self.base = base
        self.scale = scale
        self.threshold = threshold

    @property
    def separability(self):
        """The base learner's (the rescaling is per prompt)."""
        return getattr(self.base, "separability", None)

    def fit(self, corpus):
        """Fit the base learner on ``corpus`` and rescale it.

        Parameters
        ----------
        corpus : Corpus

        Returns
        -------
        self
        """
        corpus = check_corpus(corpus)
        scale = check_float("scale", self.scale, low=0.0, low_open=True)
        threshold = 1.0 / corpus.world.min_errors if self.threshold is None else check_float("threshold", self.threshold)
        if not hasattr(self.base, "fit"):
            fail("base", "a learner with a fit(corpus) method", f"<{type(self.base).__name__}>", error=TypeError)
        base = self.base.fit(corpus).model
        above, below, (probs_up, idk_up, rest_up, nonsense_up) = _side_masses(base, threshold)
        idk = np.broadcast_to(base.idk, above.shape)
        rest = np.broadcast_to(base.rest, above.shape)
        new_probs = rescale_masses(base.probs, probs_up, above[:, None], below[:, None], scale)
        new_idk = rescale_masses(idk, idk_up, above, below, scale)
        # every response of the remainder has the same value, so the class scales as one
        new_rest = rescale_masses(rest, rest_up, above, below, scale)
        new_nonsense = rescale_masses(base.nonsense, nonsense_up, above[:, None], below[:, None], scale)
        self.threshold_ = threshold
        self.base_model_ = base
        self.model_ = CompactModel(base.n_responses, base.responses, new_probs, new_idk, new_rest, new_nonsense)
        return self


class MixtureLearner(Learner):
    """The mixture ``Σ_i w_i p̂_i`` of single-answer learners (at most one explicit response per
    prompt, as every learner here), e.g. the memorizing learner mixed with the calibrated one.

    Parameters
    ----------
    learners : sequence of learners
    weights : sequence of float
        Non-negative, normalised to sum to one.
    """

    def __init__(self, learners, weights):
        self.learners = learners
        self.weights = weights

    @property
    def separability(self):
        """``"pooled"`` if any component pools, ``"prompt"`` if all are per prompt, else ``None``."""
        kinds = {getattr(learner, "separability", None) for learner in self.learners}
        if None in kinds or not kinds:
            return None
        return "pooled" if "pooled" in kinds else "prompt"

    def fit(self, corpus):
        """Fit every component on ``corpus`` and mix them.

        Parameters
        ----------
        corpus : Corpus

        Returns
        -------
        self
        """
        corpus = check_corpus(corpus)
        weights = check_weights("weights", self.weights)
        if len(self.learners) != weights.shape[0]:
            fail("learners", f"a sequence of {weights.shape[0]} learners (one per weight)", len(self.learners))
        models = [learner.fit(corpus).model for learner in self.learners]
        if any(m.responses.shape[1] != 1 or m.nonsense.shape[1] for m in models):
            fail("learners", "single-answer learners (one explicit response slot)", "<a model with more slots>")
        responses = np.full(corpus.world.n_prompts, -1, dtype=np.int64)
        for m in models:
            slot = m.responses[:, 0]
            if ((slot >= 0) & (responses >= 0) & (slot != responses)).any():
                fail("learners", "learners whose explicit responses agree", "<different explicit responses>")
            responses = np.where(responses >= 0, responses, slot)
        probs = np.zeros(corpus.world.n_prompts)
        idk = np.zeros(corpus.world.n_prompts)
        rest = np.zeros(corpus.world.n_prompts)
        for w, m in zip(weights, models):
            # the mixture's explicit response is explicit in m, or one of m's remainder responses
            # (which then gives it one remainder share)
            from_remainder = (responses >= 0) & (m.responses[:, 0] < 0)
            share = np.where(from_remainder, m.remainder_value(), 0.0)
            probs += w * np.where(m.responses[:, 0] >= 0, m.probs[:, 0], share)
            idk += w * np.broadcast_to(m.idk, idk.shape)
            rest += w * (np.broadcast_to(m.rest, rest.shape) - share)
        self.model_ = CompactModel(models[0].n_responses, responses[:, None], probs[:, None], idk, rest)
        return self
