"""Learners: the estimator contract and the properties each learner promises."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    # Calibrated learner: on seen prompts all mass (a_c and IDK) is above the threshold, so they
    # do not change; on unseen prompts IDK (0.2) is above and the guesses (α/|R_c| = 0.016) are
    # below 1/49, so s > 1 moves mass from the guesses to IDK and err falls by the factor 1/Z.
    base = hs.evaluate(CalibratedLearner().fit(corpus), corpus)
    for s in (0.5, 2.0, 10.0):
        ev = hs.evaluate(RescaledLearner(CalibratedLearner(), s).fit(corpus), corpus)
        assert ev.err == pytest.approx(base.err / (1 + (s - 1) * 0.2), rel=1e-12)
        assert ev.delta > 0


def test_rescaled_model_equals_rescale_dense(corpus):
    learner = RescaledLearner(MixtureLearner([CalibratedLearner(), MemorizingLearner()], [0.6, 0.4]), 3.0).fit(corpus)
    base_dense, _, _ = learner.base_model_.to_dense(corpus.answers)
    ours, _, _ = learner.model.to_dense(corpus.answers)
    assert np.allclose(ours, hs.iiv.rescale_dense(base_dense, learner.threshold_, 3.0), rtol=0, atol=1e-15)


def test_empirical_learner_estimates_alpha(corpus):
    answered, idk = corpus.answered_counts.astype(float), corpus.idk_counts.astype(float)
    pooled = answered.sum() / (answered.sum() + idk.sum())
    learner = EmpiricalCalibratedLearner().fit(corpus)
    assert learner.alpha_ == pytest.approx(pooled, rel=1e-12)
    k = 2.0
    per_prompt = EmpiricalCalibratedLearner(prior_strength=k).fit(corpus)
    alpha = (answered + k * pooled) / (answered + idk + k)
    assert np.allclose(per_prompt.alpha_, alpha, rtol=1e-12)
    seen = np.flatnonzero(corpus.answered_counts)[0]
    unseen = np.flatnonzero(corpus.answered_counts == 0)[0]
    model = per_prompt.model
    assert model.probability(seen, -1) == pytest.approx(1 - alpha[seen])
    assert model.probability(seen, corpus.answers[seen]) == pytest.approx(alpha[seen])
    assert model.probability(seen, (corpus.answers[seen] + 1) % 50) == 0.0
    assert model.probability(unseen, 7) == pytest.approx(alpha[unseen] / 50)


def test_mixture_equals_the_weighted_sum_of_dense_components(corpus):
    parts = [CalibratedLearner(), MemorizingLearner(), UniformLearner()]
    weights = [0.5, 0.3, 0.2]
    mixed = MixtureLearner(parts, weights).fit(corpus).model.to_dense(corpus.answers)[0]
    dense = [p.fit(corpus).model.to_dense(corpus.answers)[0] for p in parts]
    assert np.allclose(mixed, sum(w * d for w, d in zip(weights, dense)), rtol=0, atol=1e-15)


def test_calibrated_learner_puts_exactly_zero_on_wrong_answers_of_seen_prompts():
    # α = 0.3: 1 − (1 − α) − α is 1.4e-17 in floating point; a stored zero must stay zero
    world = hs.ArbitraryFacts.uniform(n_prompts=200, n_responses=5, answer_prob=0.3)
    corpus = world.sample(20_000, seed=1)
    learner = CalibratedLearner().fit(corpus)
    seen = np.flatnonzero(corpus.answered_counts)[0]
    assert learner.model.probability(seen, (corpus.answers[seen] + 1) % 5) == 0.0
    # at z = 0 every response with p̂ > 0 is +: on seen prompts exactly the valid ones; on unseen
    # prompts all four errors too (α/5 > 0), each weighing ½·μ(c)/|E_c|: err_iiv(f̂_0) = ½ μ(U)
    unseen = corpus.answered_counts == 0
    expected = 0.5 * np.sum(world.weights[unseen])
    ev = hs.evaluate(learner, corpus, thresholds=[0.0], curve=True)
    assert ev.err_iiv_at[0] == pytest.approx(expected, abs=1e-15)
    assert ev.curve.edges[0] == 0.0


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


# The rescaled family must stay a distribution for every s: a prompt whose whole mass sits above
# (or below) the threshold keeps it exactly, and no value leaves [0, 1] by a rounding step.
_SCALES = st.floats(-4.0, 4.0).map(lambda e: 10.0**e)
_ALPHAS = st.sampled_from(["zero", "one", "mixed"])
_BASES = st.sampled_from(["calibrated", "memorizing", "mix_alpha0"])


def _rescale_world(alpha_kind, seed):
    n = 30
    alpha = {"zero": 0.0, "one": 1.0, "mixed": np.random.default_rng(seed).choice([0.0, 1.0, 0.7], size=n)}[alpha_kind]
    return hs.ArbitraryFacts.uniform(n, 365, alpha)


def _base(kind):
    return {
        "calibrated": CalibratedLearner(),
        "memorizing": MemorizingLearner(),
        "mix_alpha0": MixtureLearner([MemorizingLearner(), CalibratedLearner()], [0.5, 0.5]),
    }[kind]


@settings(deadline=None, max_examples=60)
@given(_SCALES, _ALPHAS, _BASES, st.integers(0, 2**16))
def test_rescaled_model_is_a_distribution_for_every_scale(scale, alpha_kind, base, seed):
    corpus = _rescale_world(alpha_kind, seed).sample(60, seed=seed)
    base_model = _base(base).fit(corpus).model
    model = RescaledLearner(_base(base), scale).fit(corpus).model  # raised for ~1/5 of s on alpha = 1
    for values in (model.probs, model.idk, model.rest):
        assert ((values >= 0.0) & (values <= 1.0)).all()
    rows = model.probs.sum(axis=1) + np.broadcast_to(model.idk, (30,)) + np.broadcast_to(model.rest, (30,))
    assert np.abs(rows - 1.0).max() <= 4 * np.finfo(float).eps
    # a prompt whose whole mass is one response keeps it exactly
    whole = base_model.probs[:, 0] == 1.0
    assert (model.probs[whole, 0] == 1.0).all()
