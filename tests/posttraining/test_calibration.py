"""ECE and reliability-diagram data against hand-computed examples and a loop reference."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallusim.posttraining.calibration import (
    delta_z_curve,
    expected_calibration_error,
    reliability_diagram,
    top_label,
)


@pytest.mark.parametrize("closed, ece", [("right", 0.375), ("left", 0.475)])
def test_ece_edge_rule_changes_the_value(closed, ece):
    # B = 10, q = (0.85, 0.9), y = (0, 1). Right-closed (Guo et al.): both in (0.8, 0.9], conf
    # 0.875, acc 0.5: ECE 0.375. Left-closed: 0.85 alone in [0.8, 0.9) (gap 0.85), 0.9 alone in
    # [0.9, 1] (gap 0.1): ECE (0.85 + 0.1)/2 = 0.475.
    result = expected_calibration_error([0.85, 0.9], [0, 1], n_bins=10, closed=closed)
    assert result.ece == pytest.approx(ece, rel=1e-12)
    assert result.closed == closed


def test_default_edge_rule_is_right_closed():
    assert expected_calibration_error([0.85, 0.9], [0, 1]).ece == pytest.approx(0.375, rel=1e-12)
    assert expected_calibration_error([0.85, 0.9], [0, 1], binning="equal_mass", n_bins=2).closed is None


def test_ece_hand_computed_equal_width_right_closed():
    # Bins ((k−1)/10, k/10], the first also holding 0. 0.1 -> bin 0 (gap 0.1); 0.3 -> bin 2 (y 1,
    # gap 0.7); 0.35 -> bin 3 (y 0, gap 0.35); 0.9 -> bin 8 (y 1, gap 0.1); 0.95, 1.0 -> bin 9
    # (conf 0.975, acc 1/2, gap 0.475 each). ECE = (0.1 + 0.7 + 0.35 + 0.1 + 2·0.475)/6 = 2.2/6.
    q = [0.3, 0.35, 0.9, 0.95, 1.0, 0.1]
    y = [1, 0, 1, 1, 0, 0]
    result = expected_calibration_error(q, y, n_bins=10)
    assert result.ece == pytest.approx(2.2 / 6, rel=1e-12)
    assert result.counts.tolist() == [1, 0, 1, 1, 0, 0, 0, 0, 1, 2]
    assert result.mean_confidence[9] == pytest.approx(0.975)


def test_ece_hand_computed_equal_width():
    # 10 left-closed bins. 0.1 -> bin 1 (conf 0.1, acc 0); 0.3, 0.35 -> bin 3 (conf 0.325, acc 1/2);
    # 0.9, 0.95, 1.0 -> bin 9 (conf 0.95, acc 2/3). ECE = (1·0.1 + 2·0.175 + 3·(0.95 − 2/3))/6 = 1.3/6.
    q = [0.3, 0.35, 0.9, 0.95, 1.0, 0.1]
    y = [1, 0, 1, 1, 0, 0]
    result = expected_calibration_error(q, y, n_bins=10, closed="left")
    assert result.ece == pytest.approx(1.3 / 6, rel=1e-12)
    assert result.counts.tolist() == [0, 1, 0, 2, 0, 0, 0, 0, 0, 3]
    assert result.mean_confidence[3] == pytest.approx(0.325)
    assert result.accuracy[9] == pytest.approx(2 / 3)
    assert result.max_calibration_error == pytest.approx(0.95 - 2 / 3)
    assert np.isnan(result.accuracy[0])
    assert result.n == 6


def test_ece_hand_computed_equal_mass():
    # 7 predictions, 3 bins of sizes 3, 2, 2 by ascending probability:
    # {0.1, 0.2, 0.2} acc 1/3 conf 0.5/3; {0.6, 0.7} acc 1 conf 0.65; {0.8, 0.9} acc 1/2 conf 0.85.
    q = [0.9, 0.1, 0.6, 0.2, 0.8, 0.7, 0.2]
    y = [0, 0, 1, 1, 1, 1, 0]
    result = expected_calibration_error(q, y, n_bins=3, binning="equal_mass")
    assert result.counts.tolist() == [3, 2, 2]
    assert result.bin_lower.tolist() == [0.1, 0.6, 0.8]
    assert result.bin_upper.tolist() == [0.2, 0.7, 0.9]
    expected = (3 * abs(1 / 3 - 0.5 / 3) + 2 * abs(1 - 0.65) + 2 * abs(0.5 - 0.85)) / 7
    assert result.ece == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "closed, counts",
    [
        # Left-closed: a confidence equal to k/B opens bin k; 1 falls in the last bin.
        ("left", [1, 0, 1, 1, 0, 0, 0, 1, 0, 1]),
        # Right-closed: k/B closes bin k − 1; 0 falls in the first bin.
        ("right", [1, 0, 2, 0, 0, 0, 1, 0, 0, 1]),
    ],
)
def test_equal_width_edge_rule(closed, counts):
    result = reliability_diagram([0.0, 0.3, 0.7, 1.0, 0.29999], [1, 1, 1, 1, 1], n_bins=10, closed=closed)
    assert result.counts.tolist() == counts
    assert result.bin_lower[3] == 0.3 and result.bin_upper[9] == 1.0


def test_top_label_and_all_choices_by_hand():
    probs = np.array([[0.7, 0.1, 0.1, 0.1], [0.4, 0.6, 0.0, 0.0]])
    labels = np.array([0, 0])
    conf, correct = top_label(probs, labels)
    assert conf.tolist() == [0.7, 0.6] and correct.tolist() == [True, False]
    # Top-label: bins 7 (conf 0.7, acc 1) and 6 (conf 0.6, acc 0): ECE = (0.3 + 0.6)/2.
    assert reliability_diagram(probs, labels).ece == pytest.approx(0.45)
    # All choices: 8 (probability, is-label) pairs. Left-closed: bin 0 {0, 0} acc 0; bin 1
    # {0.1 x3} acc 0; bin 4 {0.4} acc 1; bin 6 {0.6} acc 0; bin 7 {0.7} acc 1.
    pooled = reliability_diagram(probs, labels, variant="all_choices", closed="left")
    assert pooled.counts.tolist() == [2, 3, 0, 0, 1, 0, 1, 1, 0, 0]
    assert pooled.ece == pytest.approx((3 * 0.1 + 0.6 + 0.6 + 0.3) / 8)
    # Right-closed: bin 0 {0, 0, 0.1 x3} conf 0.06 acc 0; bin 3 {0.4}; bin 5 {0.6}; bin 6 {0.7}.
    pooled = reliability_diagram(probs, labels, variant="all_choices")
    assert pooled.counts.tolist() == [5, 0, 0, 1, 0, 1, 1, 0, 0, 0]
    assert pooled.ece == pytest.approx((5 * 0.06 + 0.6 + 0.6 + 0.3) / 8)


def _loop_ece(q, y, n_bins, closed):
    """Plain-Python reference: equal-width bins [k/B, (k+1)/B) (the last closed) or ((k−1)/B, k/B]
    (the first closed)."""
    total = 0.0
    for k in range(n_bins):
        lo, hi = k / n_bins, (k + 1) / n_bins
        if closed == "left":
            members = [i for i in range(len(q)) if lo <= q[i] < hi or (k == n_bins - 1 and q[i] == 1.0)]
        else:
            members = [i for i in range(len(q)) if lo < q[i] <= hi or (k == 0 and q[i] == 0.0)]
        if members:
            conf = sum(q[i] for i in members) / len(members)
            acc = sum(y[i] for i in members) / len(members)
            total += len(members) / len(q) * abs(acc - conf)
    return total


@st.composite
def binned_data(draw):
    n_bins = draw(st.integers(1, 20))
    # Half the probabilities sit exactly on an edge k/B, where the two rules differ.
    on_edge = st.integers(0, n_bins).map(lambda k: k / n_bins)
    q = draw(st.lists(st.one_of(st.floats(0.0, 1.0), on_edge), min_size=1, max_size=60))
    y = draw(st.lists(st.integers(0, 1), min_size=len(q), max_size=len(q)))
    return q, y, n_bins


@pytest.mark.parametrize("closed", ["right", "left"])
@given(data=binned_data())
def test_ece_matches_loop_reference(closed, data):
    q, y, n_bins = data
    result = expected_calibration_error(q, y, n_bins=n_bins, closed=closed)
    assert result.ece == pytest.approx(_loop_ece(q, y, n_bins, closed), abs=1e-12)
    assert result.counts.sum() == len(q)


@given(
    data=st.lists(st.tuples(st.floats(0.0, 1.0), st.booleans()), min_size=1, max_size=60),
    n_bins=st.integers(1, 20),
)
def test_equal_mass_bins_sizes_and_order(data, n_bins):
    q = np.array([d[0] for d in data])
    y = np.array([d[1] for d in data])
    result = expected_calibration_error(q, y, n_bins=n_bins, binning="equal_mass")
    counts = result.counts
    assert counts.sum() == q.size and counts.max() - counts.min() <= 1
    assert np.all(np.diff(counts) <= 0)  # the extra items go to the first bins
    full = counts > 0
    assert np.all(result.bin_lower[full] <= result.bin_upper[full])
    assert np.all(np.diff(result.bin_upper[full]) >= 0)
    assert 0.0 <= result.ece <= 1.0


def test_calibration_error_is_not_a_hallucination_metric():
    # Section 4 of the paper: always wrong at confidence 0 is perfectly calibrated; never wrong at 0 is maximally not.
    assert expected_calibration_error(np.zeros(50), np.zeros(50)).ece == 0.0
    assert expected_calibration_error(np.zeros(50), np.ones(50)).ece == 1.0


def test_exactly_calibrated_bins_have_zero_ece():
    q = np.repeat([0.2, 0.7], 10)
    y = np.array([1] * 2 + [0] * 8 + [1] * 7 + [0] * 3)
    assert expected_calibration_error(q, y).ece == pytest.approx(0.0, abs=1e-15)


def test_rows_and_gap():
    result = reliability_diagram([0.25, 0.75], [True, True], n_bins=2)
    assert result.gap.tolist() == [0.75, 0.25]
    assert result.rows()[1] == {"bin": 1, "lower": 0.5, "upper": 1.0, "count": 1, "mean_confidence": 0.75, "accuracy": 1.0}


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        (([0.5, 1.2], [1, 0]), {}, "`probabilities` must be probabilities in \\[0, 1\\]; got 1.2 at flat index 1"),
        (([0.5, 0.2], [1, 2]), {}, "`outcomes` must be booleans or 0/1 values"),
        (([0.5], [1, 0]), {}, "`outcomes` must be an array of length 1"),
        (([0.5], [1]), {"n_bins": 0}, "`n_bins` must be an integer >= 1"),
        (([0.5], [1]), {"binning": "log"}, "`binning` must be one of 'equal_width', 'equal_mass'"),
        (([0.5], [1]), {"closed": "both"}, "`closed` must be one of 'right', 'left'"),
        ((["a"], [1]), {}, "`probabilities` must be a non-empty 1-D array of probabilities"),
        (([[0.5, 0.6]], [0]), {}, "`probabilities` must be rows summing to 1"),
        (([[0.5, 0.5]], [2]), {}, "`labels` must be class indices in \\[0, 1\\]"),
        (([[0.5, 0.5]], [0]), {"variant": "binary"}, "`probabilities` must be a non-empty 1-D array"),
    ],
)
def test_validation(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        reliability_diagram(*args, **kwargs)


# -- δ_z over all thresholds -------------------------------------------------------------------
def test_delta_z_curve_dense_against_brute_force():
    # δ_z = |Σ_c μ(c) Σ_r (p̂ − p)(r|c) 1[p̂(r|c) > z]| at every z, by a plain double loop.
    rng = np.random.default_rng(3)
    mu = rng.random(4)
    p_hat = rng.dirichlet(np.ones(5), size=4)
    p_hat[0, :2] = p_hat[1, 1:3] = 0.25  # ties across prompts
    p_hat /= p_hat.sum(axis=1, keepdims=True)
    valid = np.zeros((4, 5), dtype=bool)
    valid[:, 0] = valid[2, 3] = True
    p = np.where(valid, rng.random((4, 5)), 0.0)
    p /= p.sum(axis=1, keepdims=True)
    curve = delta_z_curve(p_hat, mu=mu, p=p, valid=valid)
    weights = mu / mu.sum()
    zs = np.concatenate([np.linspace(0, 1, 41), np.unique(p_hat), [-0.5]])
    for z in zs:
        brute = abs(sum(weights[c] * (p_hat[c, r] - p[c, r]) for c in range(4) for r in range(5) if p_hat[c, r] > z))
        assert curve.delta_at(z) == pytest.approx(brute, abs=1e-12)


def test_delta_z_curve_of_the_calibrated_learner_is_zero_everywhere():
    # Appendix B of the paper: the calibrated learner of Appendix B has δ_z = 0 at every threshold z; the
    # memorizing learner (IDK on unseen prompts) does not.
    from hallusim.facts import ArbitraryFacts
    from hallusim.learners import CalibratedLearner, MemorizingLearner

    world = ArbitraryFacts.zipf(300, 1.0, 12, 0.8)
    corpus = world.sample(300, seed=4)
    calibrated = delta_z_curve(CalibratedLearner().fit(corpus), corpus)
    assert np.max(calibrated.delta) <= 1e-12
    assert np.max(delta_z_curve(MemorizingLearner().fit(corpus), corpus).delta) > 0.01


def test_delta_z_curve_arguments():
    from hallusim.facts import ArbitraryFacts
    from hallusim.learners import CalibratedLearner

    corpus = ArbitraryFacts.uniform(5, 3, 1.0).sample(10, seed=0)
    model = CalibratedLearner().fit(corpus)
    with pytest.raises(ValueError, match="`mu` must be None when a corpus is given"):
        delta_z_curve(model, corpus, mu=[1.0] * 5)
    with pytest.raises(ValueError, match="`p` must be an array when `model` is a dense p_hat array"):
        delta_z_curve(np.eye(2), mu=[1, 1], valid=np.eye(2, dtype=bool))


# -- the calibration_histograms experiment (Figure 2 in simulation) ---------------------------
def test_figure2_simulation_claims():
    from hallusim.experiments.calibration_histograms import (
        _softmax,
        question_population,
        replicate,
    )

    n, temperature = 20_000, 0.4
    seed = np.random.SeedSequence(5)
    row = replicate({"post_temperature": temperature}, seed, n_questions=n, n_choices=4, logit_scale=6.0,
                    n_bins=10, binning="equal_width")
    logits, answers = question_population(n, 4, 6.0, seed)
    pre, post = _softmax(logits), _softmax(logits / temperature)
    # Sharpening keeps the argmax, so the 0-1-optimal answer's error is unchanged.
    assert row["pretrained_err_argmax"] == row["posttrained_err_argmax"]
    # Given the logits, p(A_z) - p̂(A_z) is a mean of n independent terms in [-1, 1] with mean
    # E[p(A)] - p̂(A). Hoeffding at alpha = 1e-6: |deviation| <= sqrt(2 ln(2/alpha) / n).
    eps = np.sqrt(2 * np.log(2 / 1e-6) / n)
    z = 1 / 3
    assert row["pretrained_delta"] <= eps  # calibrated: E[p(A)] = p̂(A)
    expected_gap = np.mean(np.sum((post - pre) * (post > z), axis=1))
    assert abs(row["posttrained_delta"] - abs(expected_gap)) <= eps
    assert abs(expected_gap) > 3 * eps  # measurably miscalibrated
    # err (sampling an answer) = 1 - mean p̂(a_i): for the calibrated model its mean is 1 - mean Σ p̂², same Hoeffding.
    assert abs(row["pretrained_err"] - (1 - np.mean(np.sum(pre**2, axis=1)))) <= eps
    # Top-label ECE of the calibrated model: given the logits each answer is correct with
    # probability equal to its confidence, independently. Hoeffding per bin with a union bound
    # over the 10 bins at alpha = 1e-6 bounds every bin's gap, hence the ECE.
    result = reliability_diagram(pre, answers, n_bins=10, variant="top_label")
    full = result.counts > 0
    bound = np.sum(result.counts[full] / n * np.sqrt(np.log(2 * 10 / 1e-6) / (2 * result.counts[full])))
    assert row["pretrained_ece_top_label"] == pytest.approx(result.ece)
    assert row["pretrained_ece_top_label"] <= bound
    assert row["posttrained_ece_top_label"] > bound
    # Theorem 4 holds for both models.
    assert row["pretrained_err"] >= row["pretrained_theorem4_lower"]
    assert row["posttrained_err"] >= row["posttrained_theorem4_lower"]


def test_calibration_histograms_run(tmp_path):
    from hallusim.experiments import load, load_config

    module = load("calibration_histograms")
    config = load_config("calibration_histograms", "quick", ["n_questions=2000", "replicates=1"])
    rows = module.run(config, tmp_path)
    assert len(rows) == 1
    for output in module.OUTPUTS:
        assert (tmp_path / output).is_file()


# -- the calibration_tradeoff experiment ----------------------------------------------------------
def _tradeoff_setup():
    from hallusim.facts import ArbitraryFacts

    world = ArbitraryFacts.zipf(3000, 1.0, 365, 0.9)
    return world, dict(world=world, n_examples=3000, mix_weight=0.5, seed_root=11)


def test_tradeoff_calibrated_family_closed_form():
    # Calibrated learner, α = 0.9, |R| = 365: on an unseen prompt IDK (0.1) is above 1/364 and
    # each answer (0.9/365) below, so p̂_s moves mass between them and
    # err(s) = MM·(364/365) / (1 + (s − 1)(1 − α)), exactly; δ = 0 at s = 1; Theorem 1 always holds.
    from hallusim.experiments.calibration_tradeoff import replicate

    world, kwargs = _tradeoff_setup()
    corpus = world.sample(3000, seed=np.random.SeedSequence([11, 0]))
    for scale in (1e-3, 0.3, 1.0, 7.0, 1e3):
        row = replicate({"world": 0, "family": "calibrated", "policy": "", "scale": scale}, None, **kwargs)
        expected = corpus.missing_mass * (364 / 365) / (1 + (scale - 1) * 0.1)
        assert row["err"] == pytest.approx(expected, rel=1e-9)
        assert row["err"] >= row["theorem1_lower"]
        if scale == 1.0:
            assert row["delta"] <= 1e-12


@pytest.mark.parametrize("family", ["calibrated", "memorizing_mix"])
@pytest.mark.parametrize("scale", [2.0, 30.0])
def test_tradeoff_delta_is_the_slope_of_the_loss(family, scale):
    # Where rescaling p̂_s moves the same responses as rescaling p̂ (s >= 1 here),
    # d/d ln s L(p̂_s) = dL_ds of p̂_s. Central difference with step 1e-4: error O(1e-8).
    from hallusim.experiments.calibration_tradeoff import replicate

    _, kwargs = _tradeoff_setup()
    step = 1e-4
    loss = [replicate({"world": 0, "family": family, "policy": "", "scale": scale * np.exp(k * step)}, None, **kwargs)["cross_entropy"]
            for k in (-1, 1)]
    row = replicate({"world": 0, "family": family, "policy": "", "scale": scale}, None, **kwargs)
    assert (loss[1] - loss[0]) / (2 * step) == pytest.approx(row["dL_ds"], abs=1e-6)
    assert row["delta"] == pytest.approx(abs(row["dL_ds"]), abs=1e-15)


def test_calibration_tradeoff_run(tmp_path):
    from hallusim.experiments import load, load_config

    module = load("calibration_tradeoff")
    # An even n_scales: log-spaced values miss s = 1, which the grid adds (the figure marks it).
    overrides = ["n_prompts=2000", "n_examples=2000", "n_scales=4", "replicates=1"]
    rows = module.run(load_config("calibration_tradeoff", "quick", overrides), tmp_path)
    for output in module.OUTPUTS:
        assert (tmp_path / output).is_file()
    for family in ("calibrated", "memorizing_mix"):
        assert sorted(r["scale"] for r in rows if r["family"] == family) == pytest.approx([1e-3, 0.1, 1.0, 10.0, 1e3], rel=1e-12)
        assert [r["scale"] for r in rows if r["family"] == family].count(1.0) == 1
    idk = [r for r in rows if r["family"] == "idk_heavy"]
    assert {r["policy"] for r in idk} == {"memorizing", "always IDK"}
    assert all(r["err"] == 0.0 and r["delta"] > 0 for r in idk)  # no hallucinations, not calibrated
    calibrated = sorted((r for r in rows if r["family"] == "calibrated"), key=lambda r: r["scale"])
    errs = [r["err"] for r in calibrated]
    assert errs == sorted(errs, reverse=True)


def test_tradeoff_marker_sits_at_s_equal_one_or_nowhere():
    from hallusim.experiments.calibration_tradeoff import scales
    from hallusim.plotting.posttraining import _index_of_unit_scale

    assert _index_of_unit_scale([1e-3, 0.1, 1.0, 10.0]) == 2
    assert _index_of_unit_scale([0.5, 2.0]) is None  # not the nearest s: no marker at all
    config = {"log10_scale_min": 1.0, "log10_scale_max": 3.0, "n_scales": 4}
    assert 1.0 not in scales(config).tolist()  # s = 1 outside the range is not added
    assert scales(dict(config, log10_scale_min=-1.0)).tolist().count(1.0) == 1


def test_tradeoff_families_checked():
    from hallusim.experiments import load, load_config

    config = dict(load_config("calibration_tradeoff", "quick"), families=[])
    with pytest.raises(ValueError, match="`families` must be a non-empty list"):
        load("calibration_tradeoff").run(config, "/nonexistent")
