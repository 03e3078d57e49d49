"""Graders, Observation 1, the confidence-target rule, test-taker policies and the audit."""

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallusim.posttraining.grading import (
    Policy,
    behavioral_audit,
    binary_grader,
    expected_grader_scores,
    expected_outcome,
    midpoint_targets,
    observation1_holds,
    optimal_responses,
    payoff_grader,
    response_rates,
    sampled_outcome,
    simulate_test_takers,
    target_grader,
)

probabilities = st.floats(0.0, 1.0, allow_nan=False)
targets = st.floats(0.0, 1.0, allow_nan=False, exclude_max=True)


# -- penalties -------------------------------------------------------------------------------
@pytest.mark.parametrize("t, penalty", [(0.5, 1.0), (0.75, 3.0), (0.9, 9.0), (0.0, 0.0)])
def test_target_penalty_is_t_over_one_minus_t(t, penalty):
    # Paper §4.2. Its v1 text says "t = 0.75 (penalty 2)"; t/(1 - t) = 3 and the formula rules.
    grader = target_grader(t)
    assert grader.correct == 1.0 and grader.abstain == 0.0
    assert -grader.wrong == pytest.approx(penalty, rel=1e-12, abs=0.0)


def test_target_zero_is_binary_grading():
    zero, binary = target_grader(0.0), binary_grader()
    assert (zero.correct, zero.wrong + 0.0, zero.abstain) == (binary.correct, binary.wrong, binary.abstain)
    assert zero.break_even == binary.break_even == 0.0


# -- the target rule -------------------------------------------------------------------------
@given(p=probabilities, t=targets)
def test_answering_beats_idk_iff_confidence_exceeds_target(p, t):
    grader = target_grader(t)
    assert bool(grader.prefers_answer(p)) == (p > t)
    # The advantage is the textbook expectation p*1 + (1-p)*(-t/(1-t)) - 0, rewritten.
    direct = p * grader.correct + (1 - p) * grader.wrong - grader.abstain
    assert grader.answer_advantage(p) == pytest.approx(direct, rel=1e-9, abs=1e-9 * (1 + abs(grader.wrong)))
    # Its sign is exact: (p - t)/(1 - t).
    assert math.copysign(1, grader.answer_advantage(p)) == math.copysign(1, p - t) or p == t


def _floats_around(x, k=4):
    """``x`` and the ``k`` floats on either side of it that lie in [0, 1]."""
    out, low, high = [x], x, x
    for _ in range(k):
        low, high = np.nextafter(low, -np.inf), np.nextafter(high, np.inf)
        out += [float(low), float(high)]
    return sorted(p for p in out if 0.0 <= p <= 1.0)


def _exact_advantage(p, grader):
    """Answering minus abstaining in exact rational arithmetic on the stored float payoffs."""
    p = Fraction(p)
    return p * Fraction(grader.correct) + (1 - p) * Fraction(grader.wrong) - Fraction(grader.abstain)


BOUNDARY_TARGETS = [0.0, 0.1, 0.3, 0.5, 0.7, 0.75, 0.9, 0.99, 1 / 3, 2 / 3, 0.123456789, 1 - 2**-40]


@pytest.mark.parametrize("t", BOUNDARY_TARGETS)
def test_target_rule_at_the_boundary_in_exact_arithmetic(t):
    # The paper's rule with the penalty t/(1 − t) taken exactly (from the float t): answering
    # beats IDK iff p − (1 − p)·t/(1 − t) > 0, i.e. iff p > t. Checked on the floats next to t.
    grader = target_grader(t)
    exact_t = Fraction(t)
    ps = _floats_around(t)
    expected = [Fraction(p) - (1 - Fraction(p)) * exact_t / (1 - exact_t) > 0 for p in ps]
    assert [grader.prefers_answer(p) for p in ps] == expected
    assert grader.prefers_answer(np.array(ps)).tolist() == expected
    assert not grader.prefers_answer(t)  # a tie at p = t is not a reason to answer
    assert grader.expected_answer_score(t) == grader.abstain


@given(t=st.floats(0.0, 1.0, exclude_max=True, allow_subnormal=False))
def test_payoff_grader_at_its_break_even_in_exact_arithmetic(t):
    # payoff_grader(1, −t/(1−t), 0) carries the rounded penalty and no target: its break-even
    # is that of the float payoffs, b = −w/(1 − w) exactly, which may differ from t. On the
    # floats around b, prefers_answer must follow the exact sign of p + (1 − p)·w.
    grader = payoff_grader(1.0, -t / (1 - t), 0.0)
    w = Fraction(grader.wrong)
    b = -w / (1 - w)
    ps = _floats_around(float(b))
    expected = [_exact_advantage(p, grader) > 0 for p in ps]
    assert [grader.prefers_answer(p) for p in ps] == expected
    assert grader.prefers_answer(np.array(ps)).tolist() == expected
    assert grader.break_even == float(b)  # correctly rounded


@given(
    correct=st.floats(-5, 5), gap=st.floats(1e-6, 5), abstain=st.floats(-5, 5),
    p=st.floats(0.0, 1.0, allow_subnormal=False),
)
def test_payoff_prefers_answer_is_exact_everywhere(correct, gap, abstain, p):
    grader = payoff_grader(correct, correct - gap, abstain)
    for q in [p, *_floats_around(grader.break_even, k=1)] if 0 <= grader.break_even <= 1 else [p]:
        assert grader.prefers_answer(q) == (_exact_advantage(q, grader) > 0)


def test_binary_grader_answer_score_is_probability_of_correct():
    p = np.linspace(0, 1, 11)
    assert np.array_equal(binary_grader().expected_answer_score(p), p)


@given(correct=st.floats(-5, 5), gap=st.floats(0.01, 5), abstain=st.floats(-5, 5), p=probabilities)
def test_payoff_grader_break_even(correct, gap, abstain, p):
    grader = payoff_grader(correct, correct - gap, abstain)
    expected = p * grader.correct + (1 - p) * grader.wrong
    assert grader.expected_answer_score(p) == pytest.approx(expected, abs=1e-9)
    if abs(p - grader.break_even) > 1e-9:
        assert bool(grader.prefers_answer(p)) == (expected > abstain)


def test_grader_scores_realised_responses():
    grader = target_grader(0.75)
    scores = grader.score([True, True, False, False], [True, False, True, False])
    assert scores.tolist() == [1.0, -3.0, 0.0, 0.0]


def test_grader_validation():
    with pytest.raises(ValueError, match="`t` must be a finite float in \\[0.0, 1.0\\)"):
        target_grader(1.0)
    with pytest.raises(ValueError, match="`correct` must be greater than `wrong`"):
        payoff_grader(0.0, 1.0, 0.0)
    grader = target_grader(0.5)
    for method in (grader.answer_advantage, grader.expected_answer_score, grader.prefers_answer):
        with pytest.raises(ValueError, match="`p_correct` must be a float or array in \\[0, 1\\]; got 1.5"):
            method(1.5)
        with pytest.raises(ValueError, match="`p_correct` must be a float or array in \\[0, 1\\]; got nan at index 1"):
            method([0.5, math.nan])
    with pytest.raises(ValueError, match="`correct` must be an array of shape \\(3,\\) like `answered`; got an array of shape \\(2,\\)"):
        grader.score([True, True, False], [True, False])
    with pytest.raises(ValueError, match="`answered` must be booleans or 0/1 values"):
        grader.score([2, 0], [1, 0])


def test_response_rates_by_hand():
    # 10 items, 7 answered, 4 correct; target 0.75 (penalty 3): score (4 − 3·3)/10.
    rates = response_rates(10, 7, 4, target_grader(0.75))
    assert rates == pytest.approx({"answer_rate": 0.7, "accuracy_answered": 4 / 7, "error_rate": 0.3, "score": -0.5})
    # A payoff grader with IDK credit 0.25: (4·2 + 3·(−1) + 3·0.25)/10.
    assert response_rates(10, 7, 4, payoff_grader(2, -1, 0.25))["score"] == pytest.approx(0.575)
    assert math.isnan(response_rates(3, 0, 0, binary_grader())["accuracy_answered"])
    with pytest.raises(ValueError, match="`n_correct` must be a finite float in \\[0.0, 2.0\\]"):
        response_rates(3, 2, 3, binary_grader())


# -- Observation 1 ---------------------------------------------------------------------------
@st.composite
def binary_grader_beliefs(draw):
    n_graders = draw(st.integers(1, 5))
    n_responses = draw(st.integers(2, 7))
    n_abstain = draw(st.integers(1, n_responses - 1))
    abstentions = draw(st.permutations(range(n_responses)))[:n_abstain]
    answers = [r for r in range(n_responses) if r not in abstentions]
    values = np.zeros((n_graders, n_responses))
    for k in range(n_graders):
        # A binary grader: {0, 1}-valued, 0 on abstentions, 1 on at least one response.
        ones = draw(st.lists(st.sampled_from(answers), min_size=1, max_size=len(answers), unique=True))
        values[k, ones] = 1.0
    raw = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=n_graders, max_size=n_graders)))
    if raw.sum() == 0:
        raw[draw(st.integers(0, n_graders - 1))] = 1.0
    return values, raw / raw.sum(), abstentions


@given(binary_grader_beliefs())
def test_observation1_no_abstention_is_optimal(case):
    values, belief, abstentions = case
    assert observation1_holds(values, belief, abstentions)
    # Independent check with plain loops: abstentions score 0, and some answer scores > 0.
    expected = [sum(belief[k] * values[k, r] for k in range(len(belief))) for r in range(values.shape[1])]
    assert all(expected[r] == 0.0 for r in abstentions)
    assert max(expected) > 0.0
    best = optimal_responses(values, belief)
    assert not set(best.tolist()) & set(abstentions)


def test_observation1_fails_without_binary_grading():
    # With IDK credit (not a binary grader) abstaining can be optimal: the check refuses such input,
    # and the expected scores show why.
    values = np.array([[1.0, 0.0, 0.6], [0.0, 1.0, 0.6]])  # two answers, IDK (column 2) gets 0.6
    belief = [0.5, 0.5]
    assert optimal_responses(values, belief).tolist() == [2]
    with pytest.raises(ValueError, match="`grader_values` must be binary"):
        observation1_holds(values, belief, [2])


@pytest.mark.parametrize(
    "abstentions, given",
    [([5], "5"), ([-1], "-1"), ([], "\\[\\]"), ([1, 1], "1, 1"), ([0.5], "0.5"), ([True], "True")],
)
def test_observation1_abstention_indices_are_checked(abstentions, given):
    # Out-of-range indices used to raise IndexError, and -1 wrapped silently to the last column.
    values = np.array([[1.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match=f"`abstentions` must be a non-empty sequence of distinct column indices in \\[0, 2\\]; got .*{given}"):
        observation1_holds(values, [1.0], abstentions)


def test_expected_grader_scores_validation():
    with pytest.raises(ValueError, match="`belief` must be a probability vector summing to 1"):
        expected_grader_scores([[1.0, 0.0]], [0.5])


# -- policies --------------------------------------------------------------------------------
populations = st.lists(probabilities, min_size=1, max_size=40).map(np.array)


def _policies():
    return [
        Policy.always_guess(),
        Policy.calibrated(),
        Policy.miscalibrated("over", temperature=0.5),
        Policy.miscalibrated("under", temperature=2.0),
        Policy.miscalibrated("shift up", logit_shift=1.0),
        Policy.miscalibrated("shift down", logit_shift=-1.0),
        Policy.fixed_abstention(0.3),
    ]


@given(p=populations, t=targets)
def test_binary_grading_ranks_the_guesser_first(p, t):
    scores = [expected_outcome(p, policy, t).score_binary for policy in _policies()]
    assert scores[0] >= max(scores) - 1e-12


@given(p=populations, t=targets)
def test_target_grading_ranks_the_calibrated_policy_first(p, t):
    # Answering exactly when p > t maximises each question's expected score, so no policy beats it.
    scores = [expected_outcome(p, policy, t).score_target for policy in _policies()]
    assert scores[1] >= max(scores) - 1e-9 * (1 + t / (1 - t))


def test_expected_outcome_by_hand():
    p = np.array([0.9, 0.6, 0.2])
    out = expected_outcome(p, Policy.calibrated(), 0.5)  # answers questions 0 and 1
    assert out.answer_rate == pytest.approx(2 / 3)
    assert out.accuracy_answered == pytest.approx(1.5 / 2)
    assert out.error_rate == pytest.approx(0.5 / 3)
    assert out.score_binary == pytest.approx(1.5 / 3)
    assert out.score_target == pytest.approx((1.5 - 0.5) / 3)
    guess = expected_outcome(p, Policy.always_guess(), 0.75)
    assert guess.score_target == pytest.approx((1.7 - 3 * 1.3) / 3)
    assert guess.score_binary == pytest.approx(1.7 / 3)


def test_stated_confidence_distortions():
    p = np.array([0.0, 0.2, 0.5, 0.8, 1.0])
    over = Policy.miscalibrated("over", temperature=0.5).stated_confidence(p)
    assert over[0] == 0.0 and over[-1] == 1.0 and over[2] == 0.5
    assert over[3] == pytest.approx(0.8**2 / (0.8**2 + 0.2**2))  # sigmoid(2·logit 0.8)
    up = Policy.miscalibrated("up", logit_shift=math.log(4.0)).stated_confidence(p)
    assert up[2] == pytest.approx(0.8)  # odds 1 -> 4
    assert np.array_equal(Policy.calibrated().stated_confidence(p), p)


@given(p=populations, rate=st.floats(0.0, 1.0))
def test_fixed_abstention_rate_is_exact_and_least_confident(p, rate):
    policy = Policy.fixed_abstention(rate)
    answer = policy.answer_probability(p, 0.5)
    assert answer.sum() == pytest.approx(p.size * (1 - rate), abs=1e-9)
    # It never answers a less confident question with more probability than a more confident one.
    order = np.argsort(p, kind="stable")
    assert np.all(np.diff(answer[order]) >= 0)


def test_sampled_outcome_matches_expectation():
    # One realised test of n questions: the target score is a mean of n independent scores whose
    # exact variance follows from p; the tolerance is 4.5 standard errors (alpha ~ 7e-6 per check).
    p = np.random.default_rng(7).beta(2, 2, size=20_000)
    for policy, t in [(Policy.calibrated(), 0.75), (Policy.always_guess(), 0.5), (Policy.miscalibrated("o", temperature=0.5), 0.9)]:
        grader = target_grader(t)
        expected = expected_outcome(p, policy, t)
        answered = policy.answer_probability(p, t)
        second = answered * (p * grader.correct**2 + (1 - p) * grader.wrong**2)
        mean = answered * (p * grader.correct + (1 - p) * grader.wrong)
        se = math.sqrt(np.sum(second - mean**2)) / p.size
        sampled = sampled_outcome(p, policy, t, seed=11)
        assert abs(sampled.score_target - expected.score_target) <= 4.5 * se


def test_sampling_is_reproducible_and_seed_dependent():
    p = np.linspace(0.05, 0.95, 101)
    a = sampled_outcome(p, Policy.always_guess(), 0.5, seed=3)
    b = sampled_outcome(p, Policy.always_guess(), 0.5, seed=np.random.SeedSequence(3))
    c = sampled_outcome(p, Policy.always_guess(), 0.5, seed=4)
    assert a == b and a != c


def test_simulate_test_takers_uses_common_random_numbers():
    p = np.linspace(0.05, 0.95, 200)
    rows = simulate_test_takers(p, [Policy.always_guess(), Policy.calibrated()], [0.0, 0.6], n_draws=5, seed=1)
    assert len(rows) == 4
    by_key = {(r["policy"], r["target"]): r for r in rows}
    # At t = 0 both policies answer everything, so paired draws give identical scores.
    guess0, calib0 = by_key[("always guess (Model B)", 0.0)], by_key[("behaviorally calibrated (Model A)", 0.0)]
    for key in ("sampled_score_binary_mean", "sampled_score_target_mean", "sampled_error_rate_mean", "sampled_error_rate_sd"):
        assert guess0[key] == calib0[key]
    assert guess0["sampled_score_binary_sd"] > 0
    # Paired: the guesser's realised errors at t = 0.6 include the calibrated policy's, every draw.
    guess6, calib6 = by_key[("always guess (Model B)", 0.6)], by_key[("behaviorally calibrated (Model A)", 0.6)]
    assert guess6["sampled_error_rate_mean"] > calib6["sampled_error_rate_mean"]
    assert simulate_test_takers(p, [Policy.calibrated()], [0.6], n_draws=3, seed=1) == simulate_test_takers(
        p, [Policy.calibrated()], [0.6], n_draws=3, seed=1
    )


def test_population_validation():
    with pytest.raises(ValueError, match="`p_correct` must be a non-empty 1-D array of probabilities in \\[0, 1\\]; got 1.5 at index 1"):
        expected_outcome([0.5, 1.5], Policy.calibrated(), 0.5)
    with pytest.raises(ValueError, match="`kind` must be one of"):
        Policy("x", "sometimes")
    with pytest.raises(ValueError, match="`p_correct` must be a non-empty 1-D array"):
        Policy.calibrated().answer_probability([1.2], 0.5)
    with pytest.raises(ValueError, match="`t` must be a finite float in \\[0.0, 1.0\\)"):
        Policy.calibrated().answer_probability([0.2], 1.0)
    with pytest.raises(TypeError, match="`policy` must be a hallusim.posttraining.grading.Policy"):
        expected_outcome([0.5], "calibrated", 0.5)
    p = [0.2, 0.8]
    with pytest.raises(ValueError, match="`targets` must be a non-empty sequence of floats in \\[0, 1\\)"):
        behavioral_audit(p, Policy.calibrated(), [])  # used to warn and return NaN
    with pytest.raises(ValueError, match="`targets` must be a non-empty sequence"):
        simulate_test_takers(p, [Policy.calibrated()], [])
    with pytest.raises(ValueError, match="`policies` must be a non-empty list or tuple of Policy"):
        simulate_test_takers(p, [], [0.5])
    with pytest.raises(ValueError, match="`targets` must be a non-empty sequence"):
        behavioral_audit(p, Policy.calibrated(), [[0.5], [0.1, 0.2]])


# -- behavioral-calibration audit ------------------------------------------------------------
def test_calibrated_policy_passes_the_audit():
    p = np.random.default_rng(0).uniform(size=500)
    audit = behavioral_audit(p, Policy.calibrated())
    assert audit.deviation == 0.0
    assert np.all(audit.accuracy_shortfall == 0.0)
    assert np.array_equal(audit.answer_rate, audit.ideal_answer_rate)


@given(p=populations, t=targets)
def test_deviation_is_scaled_regret(p, t):
    for policy in _policies():
        audit = behavioral_audit(p, policy, [t])
        regret = expected_outcome(p, Policy.calibrated(), t).score_target - expected_outcome(p, policy, t).score_target
        assert audit.deviation_per_target[0] == pytest.approx((1 - t) * regret, abs=1e-9)


def test_integrated_deviation_is_half_mean_squared_confidence_error():
    # ∫_0^1 |p - t|·1[decisions differ] dt = (c - p)^2 / 2 per question. The midpoint rule with
    # step h is exact on linear pieces; the jump at t = c and the kink at t = p cost at most
    # h·|c - p| + 1.5 h^2 per question.
    p = np.random.default_rng(1).beta(2, 3, size=300)
    n = 2000
    h = 1.0 / n
    for policy in _policies()[2:6]:
        c = policy.stated_confidence(p)
        audit = behavioral_audit(p, policy, midpoint_targets(n))
        bound = h * np.mean(np.abs(c - p)) + 1.5 * h**2
        assert abs(audit.deviation - np.mean((c - p) ** 2) / 2) <= bound


def test_overconfident_policy_shows_accuracy_shortfall():
    p = np.random.default_rng(2).uniform(size=2000)
    audit = behavioral_audit(p, Policy.miscalibrated("up", logit_shift=2.0), [0.5, 0.75, 0.9])
    # At target t it answers p > c_t = sigmoid(logit t - 2) (~0.12, 0.29, 0.53).
    cut = 1 / (1 + np.exp(-(np.log(audit.targets / (1 - audit.targets)) - 2.0)))
    assert audit.accuracy_answered == pytest.approx([p[p > c].mean() for c in cut], rel=1e-9)
    # The shortfall is only a necessary condition: at t = 0.5 accuracy (~0.56) still exceeds t.
    assert audit.accuracy_shortfall[0] == 0.0 and np.all(audit.accuracy_shortfall[1:] > 0)
    assert np.all(audit.deviation_per_target > 0)
    assert np.all(audit.error_rate > audit.ideal_error_rate)
    assert len(audit.rows()) == 3


# -- the confidence_targets experiment ------------------------------------------------------------
def test_confidence_targets_run_ranks_policies(tmp_path):
    from hallusim.experiments import load, load_config
    from hallusim.experiments.confidence_targets import ranking_summary

    module = load("confidence_targets")
    overrides = ["n_questions=800", "replicates=2", "audit_targets=20", "targets=[0.0, 0.3, 0.6, 0.9]"]
    rows = module.run(load_config("confidence_targets", "quick", overrides), tmp_path)
    for output in module.OUTPUTS:
        assert (tmp_path / output).is_file()
    leaders = ranking_summary(rows)
    guess, calibrated = "always guess (Model B)", "behaviorally calibrated (Model A)"
    assert all(guess in names for names in leaders["expected_score_binary"].values())
    assert all(calibrated in names for names in leaders["expected_score_target"].values())
    assert leaders["expected_score_binary"][0.9] == [guess]
    assert leaders["expected_score_target"][0.9] == [calibrated]
    # Paired draws: in each replicate every policy sees the same answers. At t = 0 the calibrated
    # policy answers every question (p > 0), so its realised scores equal the guesser's.
    at_zero = {(r["policy"], r["replicate"]): r for r in rows if r["target"] == 0.0}
    for replicate in (0, 1):
        g, c = at_zero[(guess, replicate)], at_zero[(calibrated, replicate)]
        assert (g["sampled_score_binary"], g["sampled_error_rate"]) == (c["sampled_score_binary"], c["sampled_error_rate"])
    assert at_zero[(guess, 0)]["sampled_score_binary"] != at_zero[(guess, 1)]["sampled_score_binary"]
    # ... and at t = 0.9 the calibrated policy's realised wrong answers are a subset of the guesser's.
    at_high = {(r["policy"], r["replicate"]): r for r in rows if r["target"] == 0.9}
    assert all(at_high[(calibrated, k)]["sampled_error_rate"] <= at_high[(guess, k)]["sampled_error_rate"] for k in (0, 1))


@pytest.mark.parametrize(
    "key, value, message",
    [("targets", [], "`targets` must be a non-empty list"), ("targets", [0.5, 1.0], "`targets` must be a finite float in"),
     ("replicates", 0, "`replicates` must be an integer >= 1"), ("audit_targets", 0, "`audit_targets` must be an integer >= 1")],
)
def test_confidence_targets_checks_the_configuration_before_writing(tmp_path, key, value, message):
    # An empty target list used to fail with "min() arg is an empty sequence" after the CSV was written.
    from hallusim.experiments import load, load_config

    config = dict(load_config("confidence_targets", "quick", ["n_questions=100"]), **{key: value})
    with pytest.raises(ValueError, match=message):
        load("confidence_targets").run(config, tmp_path)
    assert list(tmp_path.iterdir()) == []
