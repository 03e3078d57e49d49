"""Weighted reliability diagrams and the exact calibration and audit of a compact model."""

import numpy as np
import pytest

import hallusim as hs
from hallusim.learners import CalibratedLearner
from hallusim.posttraining.calibration import reliability_diagram
from hallusim.posttraining.grading import Policy, behavioral_audit
from hallusim.posttraining.model_answers import (
    answer_pairs,
    answer_reliability,
    answer_statistics,
    model_behavioral_audit,
)


def test_integer_weights_equal_repeated_predictions():
    rng = np.random.default_rng(0)
    q = rng.random(40)
    y = rng.random(40) < q
    w = rng.integers(0, 4, size=40)
    w[0] = 1
    weighted = reliability_diagram(q, y, n_bins=7, weights=w)
    repeated = reliability_diagram(np.repeat(q, w), np.repeat(y, w), n_bins=7)
    assert weighted.ece == pytest.approx(repeated.ece, abs=1e-12)
    full = repeated.counts > 0
    assert np.allclose(weighted.mean_confidence[full], repeated.mean_confidence[full])
    assert np.allclose(weighted.accuracy[full], repeated.accuracy[full])
    assert np.allclose(weighted.weight, repeated.counts / repeated.counts.sum())


@pytest.mark.parametrize("kwargs", [{"variant": "top_label"}, {"binning": "equal_mass"}])
def test_weights_only_with_binary_equal_width(kwargs):
    probs = np.array([[0.7, 0.3], [0.4, 0.6]])
    with pytest.raises(ValueError, match="weights"):
        reliability_diagram(probs if "variant" in kwargs else probs[:, 0], np.array([0, 1]), weights=[1, 1], **kwargs)


@pytest.mark.parametrize("weights", [[1.0], [-1.0, 2.0], [0.0, 0.0], [np.nan, 1.0]])
def test_bad_weights_name_the_parameter(weights):
    with pytest.raises(ValueError, match="weights"):
        reliability_diagram([0.2, 0.8], [0, 1], weights=weights)


def _hand_model():
    """Four prompts, |R_c| = 4: explicit responses, a uniform rest, nonsense, one always-IDK prompt."""
    world = hs.ArbitraryFacts(np.array([0.4, 0.3, 0.2, 0.1]), 4, 0.9)
    corpus = world.sample(10, seed=0)
    a = corpus.answers
    other = (a + 1) % 4
    responses = np.array([[a[0], other[0]], [other[1], -1], [a[2], -1], [-1, -1]])
    probs = np.array([[0.5, 0.2], [0.3, 0.0], [0.6, 0.0], [0.0, 0.0]])
    idk = np.array([0.1, 0.1, 0.2, 1.0])
    nonsense = np.array([[0.2], [0.0], [0.2], [0.0]])
    rest = 1.0 - idk - probs.sum(axis=1) - nonsense[:, 0]
    return hs.CompactModel(4, responses, probs, idk, rest, nonsense), corpus


def _dense(model, corpus):
    """p̂(r | c) over R_c ∪ {nonsense} by expanding the compact model, prompt by prompt."""
    rows = []
    for c in range(model.n_prompts):
        p = np.zeros(4 + model.nonsense.shape[1])
        explicit = [r for r in model.responses[c] if r >= 0]
        for r, v in zip(model.responses[c], model.probs[c]):
            if r >= 0:
                p[r] = v
        free = [r for r in range(4) if r not in explicit]
        for r in free:
            p[r] = model.rest[c] / len(free)
        p[4:] = model.nonsense[c]
        rows.append(p)
    return np.array(rows)


def test_answer_pairs_are_the_dense_answer_distribution():
    model, corpus = _hand_model()
    mu, a = corpus.world.weights, corpus.answers
    dense = _dense(model, corpus)
    answer = dense.sum(axis=1)  # = 1 − p̂(IDK | c)
    conf, correct, weight = (x.reshape(4, -1) for x in answer_pairs(model, corpus))  # prompt-major
    assert weight.sum() == pytest.approx(1.0, abs=1e-12)
    # per prompt and confidence, the pairs carry the dense distribution's mass
    total = mu @ answer
    for c in range(4):
        for value in np.unique(dense[c][dense[c] > 0]):
            mass = mu[c] * dense[c][np.isclose(dense[c], value)].sum() / total
            good = mu[c] * dense[c][np.isclose(dense[c], value) & (np.arange(dense.shape[1]) == a[c])].sum() / total
            hit = np.isclose(conf[c], value / answer[c]) & (weight[c] > 0)
            assert weight[c][hit].sum() == pytest.approx(mass, abs=1e-12)
            assert weight[c][hit & correct[c]].sum() == pytest.approx(good, abs=1e-12)
    assert weight[3].sum() == 0.0  # the always-IDK prompt gives no answer
    q_answer, q_correct = answer_statistics(model, corpus)
    assert np.allclose(q_answer, answer)
    expected_q = np.where(answer > 0, dense[np.arange(4), a] / np.where(answer > 0, answer, 1), 0.0)
    assert np.allclose(q_correct, expected_q)


def test_sampled_reliability_converges_to_the_exact_one():
    """Draw c ~ μ and r ~ p̂(·|c), keep the answered draws: the sampled weight of each bin is
    within 4.5 binomial standard errors of the exact W_b (two-sided, about 1e-5 per bin)."""
    model, corpus = _hand_model()
    exact = answer_reliability(model, corpus, n_bins=5)
    dense = _dense(model, corpus)
    full = np.hstack([dense, np.array(model.idk)[:, None]])
    rng = np.random.default_rng(1)
    n = 200_000
    c = rng.choice(4, size=n, p=corpus.world.weights)
    u = rng.random(n)
    r = (np.cumsum(full[c], axis=1) < u[:, None]).sum(axis=1)
    keep = r < dense.shape[1]
    c, r = c[keep], r[keep]
    conf = dense[c, r] / dense[c].sum(axis=1)
    sampled = reliability_diagram(conf, r == corpus.answers[c], n_bins=5)
    share = sampled.counts / sampled.counts.sum()
    se = np.sqrt(exact.weight * (1 - exact.weight) / keep.sum())
    assert np.all(np.abs(share - exact.weight) <= 4.5 * se + 1e-12)


def test_calibrated_learner_has_zero_exact_ece():
    # seen prompts: its answers are a_c, confidence 1; unseen: uniform, confidence 1/|R_c| and
    # exactly one of the |R_c| answers right, so every bin's accuracy equals its confidence
    world = hs.ArbitraryFacts.zipf(80, 1.0, n_responses=np.r_[np.full(40, 3), np.full(40, 7)], answer_prob=0.7)
    corpus = world.sample(120, seed=2)
    assert (~corpus.seen).any() and corpus.seen.any()
    assert answer_reliability(CalibratedLearner().fit(corpus), corpus).ece < 1e-12


def test_weighted_audit_equals_repeated_questions():
    rng = np.random.default_rng(3)
    p = rng.random(30)
    w = rng.integers(1, 4, size=30)
    policy = Policy.miscalibrated("over", temperature=0.5)
    weighted = behavioral_audit(p, policy, [0.2, 0.5, 0.8], weights=w)
    repeated = behavioral_audit(np.repeat(p, w), policy, [0.2, 0.5, 0.8])
    for name in ("answer_rate", "accuracy_answered", "error_rate", "ideal_answer_rate", "deviation_per_target"):
        assert np.allclose(getattr(weighted, name), getattr(repeated, name)), name


def test_fixed_answer_probabilities_against_the_formula():
    p = np.array([0.9, 0.2, 0.6, 0.4])
    answered = np.array([1.0, 0.5, 0.0, 0.3])
    w = np.array([0.1, 0.2, 0.3, 0.4])
    audit = behavioral_audit(p, answered, [0.5], weights=w, name="m")
    assert audit.policy == "m"
    # decisions that differ from "answer iff p > 0.5": prompt 1 (0.5 of it), 2 (all of it), 3 (0.3)
    assert audit.deviation_per_target[0] == pytest.approx(0.2 * 0.3 * 0.5 + 0.3 * 0.1 * 1.0 + 0.4 * 0.1 * 0.3)
    assert audit.answer_rate[0] == pytest.approx(0.1 + 0.1 + 0.12)
    # a model answering exactly where p > t is behaviorally calibrated there
    assert behavioral_audit(p, (p > 0.5).astype(float), [0.5], weights=w).deviation_per_target[0] == 0.0


def test_model_audit_error_rate_is_err():
    model, corpus = _hand_model()
    audit = model_behavioral_audit(model, corpus, [0.0, 0.3, 0.7])
    assert np.allclose(audit.error_rate, hs.evaluate(model, corpus).err)


def test_audit_bad_input_names_the_parameter():
    with pytest.raises(ValueError, match="policy"):
        behavioral_audit([0.5, 0.6], [1.0, 0.5, 0.2])
    with pytest.raises(ValueError, match="policy"):
        behavioral_audit([0.5, 0.6], [1.0, 1.5])
    with pytest.raises(ValueError, match="weights"):
        behavioral_audit([0.5, 0.6], Policy.calibrated(), weights=[1.0])
    with pytest.raises(ValueError, match="weights"):
        behavioral_audit([0.5, 0.6], Policy.fixed_abstention(0.5), weights=[1.0, 2.0])
    with pytest.raises(TypeError, match="corpus"):
        answer_reliability(_hand_model()[0], "corpus")
