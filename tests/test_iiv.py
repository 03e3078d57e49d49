"""The IIV reduction: hand-computed cases and property tests of Theorem 1, the δ identity,
the calibrated learner and Theorem 4's averaging argument.

The bounds are theorems: a violation found by hypothesis is a bug in hallusim.
"""

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import hallusim as hs
from hallusim import bounds
from hallusim.iiv import dense_metrics, dense_threshold_curve, rescale_dense

EXACT = 1e-12  # the algebra is exact; only rounding separates the two sides


def test_hand_computed_single_prompt():
    valid = np.array([[True, False, False]])
    p = np.array([[1.0, 0.0, 0.0]])
    m = dense_metrics([1.0], p, [[0.6, 0.3, 0.1]], valid)
    # threshold 1/2: only response 0 is classified +, correctly; A = {0}
    assert m.threshold == 0.5 and m.min_errors == 2 and m.max_valid == 1
    assert m.err == pytest.approx(0.4, abs=EXACT)
    assert m.err_iiv == pytest.approx(0.0, abs=EXACT)
    assert m.delta == pytest.approx(0.4, abs=EXACT)
    m = dense_metrics([1.0], p, [[0.2, 0.7, 0.1]], valid)
    # valid response classified − (½·1), one of two errors classified + (½·½)
    assert m.err_iiv == pytest.approx(0.75, abs=EXACT)
    assert m.delta == pytest.approx(0.7, abs=EXACT) and m.dL_ds == pytest.approx(0.7, abs=EXACT)
    assert m.theorem1_lower == pytest.approx(2 * 0.75 - 0.5 - 0.7, abs=EXACT)
    assert m.cross_entropy == pytest.approx(-math.log(0.2), abs=EXACT)


def test_hand_computed_two_prompts_with_nonsense():
    mu = [0.25, 0.75]
    valid = np.array([[True, True, False, False], [True, False, False, False]])
    nonsense = np.array([[False, False, False, True], [False, False, False, False]])
    p = np.array([[0.5, 0.5, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]])
    p_hat = np.array([[0.1, 0.1, 0.2, 0.6], [0.5, 0.5, 0.0, 0.0]])
    m = dense_metrics(mu, p, p_hat, valid, nonsense)
    # |E_1| = 1, |E_2| = 3 -> threshold 1; nothing is above 1, so f̂ = − everywhere
    assert m.threshold == 1.0
    assert m.err == pytest.approx(0.25 * 0.8 + 0.75 * 0.5, abs=EXACT)  # nonsense counts as error
    assert m.err_iiv == pytest.approx(0.5, abs=EXACT)  # every valid example misclassified
    assert m.delta == pytest.approx(0.0, abs=EXACT)
    m = dense_metrics(mu, p, p_hat, valid, nonsense, thresholds=[0.3])
    # at z = 0.3: A = {(1, nonsense), (2, 0), (2, 1)}
    assert m.delta_at[0] == pytest.approx(abs(0.25 * 0.6 + 0.75 * 1.0 - 0.75 * 1.0), abs=EXACT)
    assert m.err_iiv_at[0] == pytest.approx(0.5 * 0.25 + 0.5 * 0.75 * (1 / 3), abs=EXACT)


@st.composite
def dense_instances(draw, with_nonsense=False, pure_multiple_choice=False):
    n_prompts = draw(st.integers(1, 4))
    n_resp = draw(st.integers(2, 6))
    floats = st.floats(0.0, 1.0, allow_nan=False)
    valid = np.zeros((n_prompts, n_resp), dtype=bool)
    nonsense = np.zeros_like(valid)
    for c in range(n_prompts):
        order = draw(st.permutations(range(n_resp)))
        if pure_multiple_choice:
            n_valid = 1
        else:
            n_valid = draw(st.integers(1, n_resp - 1))
        valid[c, list(order[:n_valid])] = True
        if with_nonsense and n_resp - n_valid >= 2:
            n_nonsense = draw(st.integers(0, n_resp - n_valid - 1))
            nonsense[c, list(order[n_valid : n_valid + n_nonsense])] = True
    mu = draw(hnp.arrays(np.float64, n_prompts, elements=st.floats(0.0, 1.0)))
    assume(mu.sum() > 1e-3)
    raw_p = draw(hnp.arrays(np.float64, (n_prompts, n_resp), elements=floats)) * valid
    raw_p[valid & (raw_p.sum(axis=1, keepdims=True) == 0)] = 1.0
    p = raw_p / raw_p.sum(axis=1, keepdims=True)
    # p̂: random, with exact zeros and values at the threshold among the candidates
    min_errors = int((~valid & ~nonsense)[mu > 0].sum(axis=1).min()) if (mu > 0).any() else 1
    special = st.sampled_from([0.0, 1.0 / max(min_errors, 1), 0.5, 1.0])
    raw_q = draw(hnp.arrays(np.float64, (n_prompts, n_resp), elements=st.one_of(floats, special)))
    raw_q[raw_q.sum(axis=1) == 0] = 1.0
    p_hat = raw_q / raw_q.sum(axis=1, keepdims=True)
    return mu, p, p_hat, valid, (nonsense if with_nonsense else None)


@given(dense_instances())
def test_theorem1_holds(instance):
    m = dense_metrics(*instance)
    assert m.err >= m.theorem1_lower - EXACT


@given(dense_instances(with_nonsense=True))
def test_theorem1_holds_with_nonsense(instance):
    m = dense_metrics(*instance)
    assert m.err >= m.theorem1_lower - EXACT


def _cross_entropy_complex(mu, p, q):
    """Reference L(q) = Σ −μ p log q for complex q (complex-step differentiation)."""
    mu = np.asarray(mu) / np.sum(mu)
    safe = np.where(p > 0, q, 1.0)
    return np.sum(mu[:, None] * np.where(p > 0, -p * np.log(safe), 0.0))


@given(dense_instances())
def test_delta_is_the_derivative_of_cross_entropy_under_rescaling(instance):
    mu, p, p_hat, valid, _ = instance
    assume((p_hat[p > 0] > 1e-6).all())  # L finite
    m = dense_metrics(mu, p, p_hat, valid)
    # reference p̂_s written from the definition: multiply the above-threshold entries by s and
    # renormalise each prompt; differentiate L(p̂_s) at s = 1 by the complex step (exact).
    h = 1e-30
    s = 1.0 + 1j * h
    scaled = np.where(p_hat > m.threshold, s * p_hat, p_hat)
    p_hat_s = scaled / scaled.sum(axis=1, keepdims=True)
    derivative = np.imag(_cross_entropy_complex(mu, p, p_hat_s)) / h
    assert derivative == pytest.approx(m.dL_ds, abs=1e-10)
    assert abs(derivative) == pytest.approx(m.delta, abs=1e-10)


@given(dense_instances(), st.floats(0.05, 20.0))
def test_rescale_dense_matches_the_definition(instance, scale):
    mu, p, p_hat, valid, _ = instance
    threshold = dense_metrics(mu, p, p_hat, valid).threshold
    scaled = np.where(p_hat > threshold, scale * p_hat, p_hat)
    assert np.allclose(rescale_dense(p_hat, threshold, scale), scaled / scaled.sum(axis=1, keepdims=True), rtol=0, atol=1e-13)


@given(dense_instances(), st.lists(st.floats(0.0, 1.0), min_size=1, max_size=5))
def test_threshold_curve_agrees_with_pointwise_metrics(instance, zs):
    curve = dense_threshold_curve(*instance)
    m = dense_metrics(*instance, thresholds=zs, curve=True)
    assert np.array_equal(m.curve.edges, curve.edges)
    assert np.allclose(curve.err_iiv_at(zs), m.err_iiv_at, atol=EXACT)
    assert np.allclose(curve.delta_at(zs), m.delta_at, atol=EXACT)
    assert curve.err_iiv_at(m.threshold) == pytest.approx(m.err_iiv, abs=EXACT)


def _integral_over_unit_interval(curve, values):
    """∫_0^1 of a ThresholdCurve step function."""
    points = np.r_[0.0, np.clip(curve.edges, 0.0, 1.0), 1.0]
    lengths = np.diff(points)
    return float(np.sum(lengths * values))


@given(dense_instances(pure_multiple_choice=True))
def test_theorem4_averaging_argument(instance):
    mu, p, p_hat, valid, _ = instance
    n_choices = p.shape[1]
    m = dense_metrics(mu, p, p_hat, valid)
    curve = dense_threshold_curve(mu, p, p_hat, valid)
    # E_t[err_iiv(f̂_t)] over t ~ U[0, 1] equals ½(1/(C−1) + 1)·err in pure multiple choice
    mean = _integral_over_unit_interval(curve, curve.err_iiv)
    assert mean == pytest.approx(0.5 * (1.0 / (n_choices - 1) + 1.0) * m.err, abs=EXACT)
    # hence some threshold t in [0, 1] has err >= 2(1 − 1/C)·err_iiv(f̂_t)
    # entry 0 holds for t < edges[0], entry i >= 1 for t in [edges[i-1], edges[i])
    reachable = np.r_[curve.edges[0] > 0.0, curve.edges <= 1.0]
    best = curve.err_iiv[reachable].min()
    assert m.err >= bounds.theorem4_lower(best, n_choices) - EXACT


def test_calibrated_learner_has_zero_delta_at_every_threshold_and_closed_form_error():
    world = hs.ArbitraryFacts.zipf(n_prompts=3000, exponent=1.1, n_responses=np.r_[np.full(1500, 5), np.full(1500, 365)],
                                   answer_prob=np.linspace(0.2, 1.0, 3000))
    corpus = world.sample(4000, seed=9)
    learner = hs.learners.CalibratedLearner().fit(corpus)
    ev = hs.evaluate(learner, corpus, curve=True)
    curve = ev.curve
    assert curve.edges.size >= 3
    assert np.abs(curve.p_hat_above - curve.p_above).max() < EXACT
    unseen = corpus.answered_counts == 0
    n_resp = world.n_responses
    closed_form = np.sum(world.weights[unseen] * world.answer_prob[unseen] * (n_resp[unseen] - 1) / n_resp[unseen])
    assert ev.err == pytest.approx(closed_form, rel=1e-12)
    assert ev.err <= ev.missing_mass * world.max_errors / (world.max_errors + 1) + EXACT


@given(st.integers(0, 2**32 - 1), st.sampled_from(["calibrated", "memorizing", "uniform", "rescaled", "mixture", "empirical"]))
def test_compact_evaluation_equals_dense_metrics(seed, kind):
    world = hs.ArbitraryFacts.zipf(n_prompts=40, exponent=1.0, n_responses=np.r_[np.full(20, 3), np.full(20, 6)], answer_prob=0.75)
    corpus = world.sample(60, seed=seed)
    L = hs.learners
    learner = {
        "calibrated": L.CalibratedLearner(),
        "memorizing": L.MemorizingLearner(),
        "uniform": L.UniformLearner(),
        "rescaled": L.RescaledLearner(L.CalibratedLearner(), 3.0),
        "mixture": L.MixtureLearner([L.CalibratedLearner(), L.MemorizingLearner()], [0.3, 0.7]),
        "empirical": L.EmpiricalCalibratedLearner(prior_strength=2.0),
    }[kind].fit(corpus)
    ev = hs.evaluate(learner, corpus, thresholds=[0.1, 0.5])
    p_hat, valid, padding = learner.model.to_dense(corpus.answers)
    p = np.zeros_like(p_hat)
    p[np.arange(40), corpus.answers] = 0.75
    p[:, -1] = 0.25
    d = dense_metrics(world.weights, p, p_hat, valid, padding, thresholds=[0.1, 0.5])
    for name in ("err", "err_iiv", "delta", "dL_ds", "theorem1_lower"):
        assert getattr(ev, name) == pytest.approx(getattr(d, name), abs=1e-12), name
    assert np.allclose(ev.delta_at, d.delta_at, atol=1e-12)
    assert ev.err >= ev.theorem1_lower - EXACT


def test_theorem2_holds_for_the_calibrated_learner_where_it_is_not_vacuous():
    # uniform world, N = C = 10^6: sr ≈ 0.9/e, slack (35 + 6 ln N)/√N ≈ 0.118; the bounds hold
    # with probability >= 0.99 each, so a failure on these fixed seeds would be a 1% event.
    world = hs.ArbitraryFacts.uniform(n_prompts=1_000_000, answer_prob=0.9)
    for seed in range(3):
        corpus = world.sample(1_000_000, seed=seed)
        ev = hs.evaluate(hs.learners.CalibratedLearner().fit(corpus), corpus)
        assert ev.theorem2_lower > 0.15  # informative
        assert ev.theorem2_lower <= ev.err <= ev.theorem2_upper
        assert abs(ev.missing_mass - ev.singleton_rate) <= bounds.missing_mass_deviation(ev.n_examples, 0.01)


@settings(deadline=None)
@given(
    st.floats(-4.0, 4.0).map(lambda e: 10.0**e),
    st.lists(st.sampled_from(["one", "mixed"]), min_size=1, max_size=6),
    st.integers(0, 2**16),
)
def test_rescale_dense_stays_a_distribution(scale, kinds, seed):
    """Rows whose whole mass is one response (above or below the threshold) keep it exactly; no
    value leaves [0, 1] and every row sums to one within a few ulps, for every s."""
    rng = np.random.default_rng(seed)
    width, threshold = 5, 0.3
    rows = []
    for kind in kinds:
        row = np.zeros(width)
        if kind == "one":
            row[rng.integers(width)] = 1.0
        else:
            row = rng.dirichlet(np.ones(width))
        rows.append(row)
    p_hat = np.array(rows)
    for t in (threshold, 1.0):  # t = 1: every mass is at or below the threshold (α = 0 side)
        out = rescale_dense(p_hat, t, scale)
        assert ((out >= 0.0) & (out <= 1.0)).all()
        assert np.abs(out.sum(axis=1) - 1.0).max() <= 4 * np.finfo(float).eps
        one = p_hat == 1.0
        assert (out[one] == 1.0).all()
    assert rescale_dense([[1.0, 0.0]], 0.5, 0.1)[0, 0] == 1.0


def test_evaluate_exposes_gamma_of_its_theorem2_fields():
    corpus = hs.ArbitraryFacts.zipf(500, 1.0, 20, 0.9).sample(2000, seed=3)
    learner = hs.learners.CalibratedLearner().fit(corpus)
    default, at = hs.evaluate(learner, corpus), hs.evaluate(learner, corpus, gamma=0.05)
    sr, n, m = corpus.singleton_rate, corpus.n_examples, corpus.world.min_errors
    assert default.gamma is None and at.gamma == 0.05
    assert default.theorem2_lower == bounds.theorem2_lower(sr, m, n, delta=min(default.delta, 1.0))
    assert at.theorem2_lower == bounds.theorem2_lower(sr, m, n, delta=min(at.delta, 1.0), gamma=0.05)
    assert at.theorem2_upper == bounds.theorem2_upper(sr, corpus.world.max_errors, n, gamma=0.05)
    with pytest.raises(ValueError, match="`gamma` must be"):
        hs.evaluate(learner, corpus, gamma=0.0)


def test_compact_nonsense_hand_computed():
    # one prompt, |R_c| = 3, a_c = corpus answer; p̂: 0.3 on a_c, 0.1 IDK, 0.2 on the other two
    # of R_c, and 0.2 + 0.2 on two nonsense responses outside R_c ∪ {IDK}
    world = hs.ArbitraryFacts([1.0], n_responses=3, answer_prob=0.5)
    corpus = world.sample(4, seed=1)
    a = int(corpus.answers[0])
    model = hs.models.CompactModel(3, [[a]], [[0.3]], 0.1, 0.2, nonsense=[[0.2, 0.2]])
    ev = hs.evaluate(model, corpus, thresholds=[0.15])
    assert ev.err == pytest.approx(0.2 + 0.4, abs=EXACT)  # the two errors of R_c and the nonsense
    # threshold 1/|E_c| = 1/2: nothing above it
    assert ev.err_iiv == pytest.approx(0.5, abs=EXACT) and ev.delta == pytest.approx(0.0, abs=EXACT)
    # z = 0.15: A = {a_c, both nonsense}; the nonsense counts in p̂(A) but not in err_iiv
    assert ev.delta_at[0] == pytest.approx(abs(0.3 + 0.4 - 0.5), abs=EXACT)
    assert ev.err_iiv_at[0] == pytest.approx(0.5 * 0.5, abs=EXACT)  # only the IDK example is −
    assert ev.cross_entropy == pytest.approx(-0.5 * math.log(0.3) - 0.5 * math.log(0.1), abs=EXACT)


def test_compact_nonsense_rows_must_sum_to_one():
    with pytest.raises(ValueError, match="nonsense"):
        hs.models.CompactModel(3, [[0]], [[0.3]], 0.1, 0.2, nonsense=[[0.2, 0.3]])
    with pytest.raises(ValueError, match="nonsense"):
        hs.models.CompactModel(3, [[0]], [[0.3]], 0.1, 0.2, nonsense=[0.4])


@given(st.integers(0, 2**32 - 1), st.floats(0.0, 0.9))
def test_compact_evaluation_with_nonsense_equals_dense_metrics(seed, share):
    world = hs.ArbitraryFacts.zipf(n_prompts=40, exponent=1.0, n_responses=np.r_[np.full(20, 3), np.full(20, 6)], answer_prob=0.75)
    corpus = world.sample(60, seed=seed)
    base = hs.learners.RescaledLearner(hs.learners.CalibratedLearner(), 3.0).fit(corpus).model
    rng = np.random.default_rng(seed)
    split = rng.dirichlet(np.ones(3), size=40)  # three nonsense responses per prompt
    m = base
    model = hs.models.CompactModel(m.n_responses, m.responses, (1 - share) * m.probs, (1 - share) * m.idk,
                                   (1 - share) * m.rest, nonsense=share * split)
    ev = hs.evaluate(model, corpus, thresholds=[0.1, 0.2, 0.5], curve=True)
    p_hat, valid, padding = model.to_dense(corpus.answers)
    p = np.zeros_like(p_hat)
    p[np.arange(40), corpus.answers] = 0.75
    p[:, base.n_responses.max()] = 0.25
    d = dense_metrics(world.weights, p, p_hat, valid, padding, thresholds=[0.1, 0.2, 0.5], curve=True)
    for name in ("err", "err_iiv", "delta", "dL_ds", "cross_entropy"):
        assert getattr(ev, name) == pytest.approx(getattr(d, name), abs=1e-12), name
    assert np.allclose(ev.delta_at, d.delta_at, atol=1e-12)
    assert np.allclose(ev.curve.delta_at([0.05, 0.15, 0.3]), d.curve.delta_at([0.05, 0.15, 0.3]), atol=1e-12)
    # nonsense is error: err grows by exactly the nonsense mass over the rescaled base
    assert ev.err == pytest.approx((1 - share) * hs.evaluate(base, corpus).err + share, abs=1e-12)
