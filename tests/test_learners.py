"""Learners: the estimator contract and the properties each learner promises."""

import numpy as np
import pytest

import hallusim as hs
from hallusim.learners import (
    AbstainingLearner,
    CalibratedLearner,
    EmpiricalCalibratedLearner,
    MemorizingLearner,
    MixtureLearner,
    NotFittedError,
    RescaledLearner,
    UniformLearner,
)

EXACT = 1e-12


@pytest.fixture(scope="module")
def corpus():
    world = hs.ArbitraryFacts.zipf(n_prompts=5000, exponent=1.2, n_responses=50, answer_prob=0.8)
    return world.sample(8000, seed=21)


def test_not_fitted_error():
    with pytest.raises(NotFittedError, match="not fitted"):
        CalibratedLearner().model
    world = hs.ArbitraryFacts.uniform(n_prompts=3)
    with pytest.raises(NotFittedError):
        hs.evaluate(CalibratedLearner(), world.sample(5, seed=0))


def test_fit_returns_self_and_sets_model(corpus):
    learner = MemorizingLearner()
    assert learner.fit(corpus) is learner
    assert isinstance(learner.model_, hs.CompactModel)


def test_memorizing_learner_never_errs_and_regurgitates(corpus):
    learner = MemorizingLearner().fit(corpus)
    ev = hs.evaluate(learner, corpus)
    assert ev.err == 0.0
    seen = np.flatnonzero(corpus.answered_counts)[:5]
    for c in seen:
        assert learner.model.probability(c, corpus.answers[c]) == 1.0
    unseen = np.flatnonzero(corpus.answered_counts == 0)[0]
    assert learner.model.probability(unseen, -1) == 1.0


def test_abstaining_learner(corpus):
    ev = hs.evaluate(AbstainingLearner().fit(corpus), corpus)
    assert ev.err == 0.0
    # every valid answer is classified −, every error −: err_iiv = ½·α
    assert ev.err_iiv == pytest.approx(0.5 * 0.8, abs=EXACT)


def test_uniform_learner_has_zero_delta(corpus):
    ev = hs.evaluate(UniformLearner().fit(corpus), corpus)
    assert ev.delta == 0.0
    assert ev.err == pytest.approx(49 / 51, abs=EXACT)
    ev = hs.evaluate(UniformLearner(include_idk=False).fit(corpus), corpus)
    assert ev.err == pytest.approx(49 / 50, abs=EXACT)


def test_rescaled_learner_at_scale_one_is_the_base(corpus):
    base = hs.evaluate(CalibratedLearner().fit(corpus), corpus)
    same = hs.evaluate(RescaledLearner(CalibratedLearner(), 1.0).fit(corpus), corpus)
    assert same.err == pytest.approx(base.err, abs=EXACT) and same.delta == pytest.approx(base.delta, abs=EXACT)


def test_rescaling_moves_mass_across_the_threshold(corpus):
    # for the calibrated learner, A holds the seen answers and IDK; s > 1 takes mass from unseen
    # prompts' guesses only if they are above the threshold — they are not (α/|R_c| < 1/|E_c|),
    # so err falls on no prompt but rows keep summing to one, and δ grows from 0.
    base = hs.evaluate(CalibratedLearner().fit(corpus), corpus)
    for s in (0.5, 2.0, 10.0):
        ev = hs.evaluate(RescaledLearner(CalibratedLearner(), s).fit(corpus), corpus)
        assert ev.delta > 0
        assert (ev.err < base.err) == (s > 1)
        assert np.allclose(RescaledLearner(CalibratedLearner(), s).fit(corpus).model.rest_mass >= -1e-12, True)


def test_empirical_learner_estimates_alpha(corpus):
    learner = EmpiricalCalibratedLearner().fit(corpus)
    assert learner.alpha_ == pytest.approx(corpus.n_answered / corpus.n_examples)
    per_prompt = EmpiricalCalibratedLearner(prior_strength=1.0).fit(corpus)
    assert per_prompt.alpha_.shape == (5000,)
    assert (per_prompt.alpha_ >= 0).all() and (per_prompt.alpha_ <= 1).all()


def test_mixture_of_memorizing_and_calibrated(corpus):
    w = 0.25
    ev_mix = hs.evaluate(MixtureLearner([MemorizingLearner(), CalibratedLearner()], [w, 1 - w]).fit(corpus), corpus)
    ev_cal = hs.evaluate(CalibratedLearner().fit(corpus), corpus)
    # err is linear in p̂ and the memorizing learner never errs
    assert ev_mix.err == pytest.approx((1 - w) * ev_cal.err, rel=1e-12)


def test_bad_learner_arguments(corpus):
    with pytest.raises(ValueError, match="`scale` must be"):
        RescaledLearner(CalibratedLearner(), 0.0).fit(corpus)
    with pytest.raises(ValueError, match="`prior_strength` must be"):
        EmpiricalCalibratedLearner(prior_strength=-1.0).fit(corpus)
    with pytest.raises(TypeError, match="`corpus` must be"):
        CalibratedLearner().fit("not a corpus")
    with pytest.raises(ValueError, match="`weights` must be"):
        MixtureLearner([CalibratedLearner()], [-1.0]).fit(corpus)
