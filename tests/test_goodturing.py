"""Tests of hallusim.goodturing: Good–Turing identities, exact moments, Simple Good–Turing."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallusim import goodturing as gt

# ----------------------------------------------------------------------------------------------
# Frequency of frequencies and the classical estimates, on hand-made tables
# ----------------------------------------------------------------------------------------------


def test_frequency_of_frequencies_by_hand():
    r, n_r = gt.frequency_of_frequencies([0, 1, 1, 3, 5, 1, 3, 0])
    assert r.tolist() == [1, 3, 5]
    assert n_r.tolist() == [3, 2, 1]
    assert r.dtype == np.int64 and n_r.dtype == np.int64


def test_frequency_of_frequencies_sparse_path_matches_dense():
    counts = np.array([1, 1, 2, 10**9, 10**9, 7])  # a huge count forces the sorting path
    r, n_r = gt.frequency_of_frequencies(counts)
    assert r.tolist() == [1, 2, 7, 10**9]
    assert n_r.tolist() == [2, 1, 1, 2]


def test_frequency_of_frequencies_empty_and_all_zero():
    for counts in ([], [0, 0]):
        r, n_r = gt.frequency_of_frequencies(np.asarray(counts, np.int64))
        assert r.size == 0 and n_r.size == 0


@given(st.lists(st.integers(0, 40), max_size=60))
def test_frequency_of_frequencies_conserves_items_and_examples(counts):
    r, n_r = gt.frequency_of_frequencies(np.asarray(counts, np.int64))
    positive = [c for c in counts if c > 0]
    assert int(n_r.sum()) == len(positive)
    assert int(np.dot(r, n_r)) == sum(positive)
    assert np.all(np.diff(r) > 0)


def test_singleton_fraction_counts_and_table_agree():
    counts = [1, 1, 2, 4, 0, 1]  # N = 9, n_1 = 3
    assert gt.singleton_fraction(counts) == pytest.approx(3 / 9, rel=1e-15)
    assert gt.singleton_fraction((np.array([1, 2, 4]), np.array([3, 1, 1]))) == pytest.approx(3 / 9, rel=1e-15)
    # Definition 2: the denominator counts IDK examples too.
    assert gt.singleton_fraction(counts, n_examples=12) == pytest.approx(3 / 12, rel=1e-15)
    assert gt.good_turing_missing_mass(counts, n_examples=12) == gt.singleton_fraction(counts, n_examples=12)
    assert gt.singleton_fraction([2, 3]) == 0.0
    assert gt.singleton_fraction([]) == 0.0


def test_singleton_fraction_rejects_small_denominator_and_bad_counts():
    with pytest.raises(ValueError, match="`n_examples` must be an integer >= 9"):
        gt.singleton_fraction([1, 1, 2, 4, 1], n_examples=8)
    with pytest.raises(ValueError, match="`counts` must be"):
        gt.singleton_fraction([1, -2])
    with pytest.raises(ValueError, match="`counts` must be"):
        gt.singleton_fraction([1.5, 2])
    with pytest.raises(ValueError, match="`r` must be strictly increasing"):
        gt.singleton_fraction((np.array([2, 1]), np.array([1, 1])))
    with pytest.raises(ValueError, match="`n_r` must be an array of the same length"):
        gt.singleton_fraction((np.array([1, 2]), np.array([1])))


def test_totals_do_not_wrap_past_int64():
    # N = 1·1 + 2^62·2 = 2^63 + 1 does not fit in int64 (it would wrap to a negative N).
    table = (np.array([1, 2**62]), np.array([1, 2]))
    assert gt.singleton_fraction(table) == 1 / (2**63 + 1)
    assert gt.missing_mass_interval(table, gamma=0.5).n == 2**63 + 1
    assert gt.simple_good_turing(*table, on_invalid_slope="ignore").n == 2**63 + 1
    assert gt._exact_total(np.array([3, 5]), np.array([7, 11])) == 76  # the int64 path


def test_adjusted_counts_by_hand():
    # r* = (r+1) n_{r+1} / n_r; n_{r+1} = 0 at a gap.
    r_star = gt.adjusted_counts([1, 2, 3, 5], [10, 4, 2, 1])
    np.testing.assert_allclose(r_star, [2 * 4 / 10, 3 * 2 / 4, 0.0, 0.0], rtol=1e-15)


def test_adjusted_counts_preserve_mass_on_gapless_table():
    # Σ_r n_r r* = Σ_r (r+1) n_{r+1} = Σ_{r>=2} r n_r = N − n_1 on a table without gaps.
    r = np.arange(1, 8)
    n_r = np.array([50, 20, 11, 6, 4, 2, 1])
    total = np.dot(n_r, gt.adjusted_counts(r, n_r))
    assert total == pytest.approx(np.dot(r, n_r) - n_r[0], rel=1e-14)


# ----------------------------------------------------------------------------------------------
# Exact moments against brute-force enumeration of all draw sequences
# ----------------------------------------------------------------------------------------------


def _enumerate_moments(w, n):
    """E and Var of the singleton count and the missing mass by summing over all sequences."""
    probs = list(w) + [1.0 - sum(w)]
    k = len(w)
    e_s = e_s2 = e_m = e_m2 = 0.0
    for seq in itertools.product(range(k + 1), repeat=n):
        p = math.prod(probs[i] for i in seq)
        cnt = np.bincount(np.asarray(seq, np.int64), minlength=k + 1)[:k]
        s = float(np.sum(cnt == 1))
        m = float(sum(w[i] for i in range(k) if cnt[i] == 0))
        e_s += p * s
        e_s2 += p * s * s
        e_m += p * m
        e_m2 += p * m * m
    return e_s, e_s2 - e_s**2, e_m, e_m2 - e_m**2


@pytest.mark.parametrize(
    "w", [[0.5, 0.3, 0.1], [0.2, 0.2], [0.5, 0.5], [0.7, 0.3], [1.0], [0.6, 0.1, 0.05, 0.05], [0.0, 0.25]]
)
@pytest.mark.parametrize("n", [0, 1, 2, 3, 5])
def test_exact_moments_match_enumeration(w, n):
    e_s, v_s, e_m, v_m = _enumerate_moments(w, n)
    assert gt.expected_singletons(w, n) == pytest.approx(e_s, rel=1e-12, abs=1e-15)
    assert gt.singleton_variance(w, n) == pytest.approx(v_s, rel=1e-10, abs=1e-14)
    assert gt.expected_missing_mass(w, n) == pytest.approx(e_m, rel=1e-12, abs=1e-15)
    assert gt.missing_mass_variance(w, n) == pytest.approx(v_m, rel=1e-10, abs=1e-14)


def test_exact_expectations_at_scale_match_closed_form():
    # 10^7 equal weights, N = 10^9: E[S] = N·C·w(1−w)^(N−1) with (1−w)^N ≈ e^{-100} (no underflow).
    c, n = 10**7, 10**9
    w = np.full(c, 1.0 / c)
    log_q = n * math.log1p(-1.0 / c)
    assert gt.expected_missing_mass(w, n) == pytest.approx(math.exp(log_q), rel=1e-9)
    expected = n * math.exp((n - 1) * math.log1p(-1.0 / c))
    assert gt.expected_singletons(w, n) == pytest.approx(expected, rel=1e-9)


def test_exact_expectations_with_tiny_weights_keep_relative_precision():
    # Σ w (1−w)^N with w = 1e-12: naive (1 − w) loses 4 digits; log1p keeps them.
    w = np.full(1000, 1e-12)
    n = 10**12
    assert gt.expected_missing_mass(w, n) == pytest.approx(1e-9 * math.exp(n * math.log1p(-1e-12)), rel=1e-12)


def test_exact_variance_size_guard():
    with pytest.raises(ValueError, match="`weights` must be at most `max_items` = 3"):
        gt.missing_mass_variance(np.full(4, 0.1), 10, max_items=3)
    assert gt.missing_mass_variance(np.full(4, 0.1), 10, max_items=4) > 0


def test_weights_validation():
    with pytest.raises(ValueError, match="`weights` must be per-item probabilities summing to at most 1"):
        gt.expected_singletons([0.7, 0.7], 3)
    with pytest.raises(ValueError, match="`weights` must be"):
        gt.expected_missing_mass([0.5, -0.1], 3)
    with pytest.raises(ValueError, match="`n` must be an integer >= 0"):
        gt.expected_missing_mass([0.5], -1)


# ----------------------------------------------------------------------------------------------
# Simple Good–Turing against cited reference values (tests/data/sgt_reference.json)
# ----------------------------------------------------------------------------------------------

REFERENCE = json.loads((Path(__file__).parent / "data" / "sgt_reference.json").read_text())["datasets"]


def _rel_tol(dataset):
    """Tolerance implied by the published precision (half a unit in the last printed digit)."""
    if "significant_digits" in dataset:
        return {"rel": 0.5 * 10.0 ** (1 - dataset["significant_digits"])}
    return {"abs": 0.5 * 10.0 ** (-dataset["decimal_places"])}


@pytest.mark.parametrize("dataset", REFERENCE, ids=[d["name"] for d in REFERENCE])
def test_simple_good_turing_reproduces_reference(dataset):
    assert dataset["source"]["repository"].startswith("https://")
    res = gt.simple_good_turing(dataset["r"], dataset["n_r"], dataset["confidence"])
    tol = _rel_tol(dataset)
    assert res.p0 == pytest.approx(dataset["p0"], **tol)
    for key in ("intercept", "slope"):
        if key in dataset:
            assert getattr(res, key) == pytest.approx(dataset[key], **tol)
    if "normalised_r_star" in dataset:
        np.testing.assert_allclose(res.normalised_r_star, dataset["normalised_r_star"], rtol=tol["rel"])
    if "r_star" in dataset:
        np.testing.assert_allclose(res.r_star, dataset["r_star"], rtol=tol["rel"])
    if "p_r" in dataset:
        if "rel" in tol:
            np.testing.assert_allclose(res.p_r, dataset["p_r"], rtol=tol["rel"])
        else:
            np.testing.assert_allclose(res.p_r, dataset["p_r"], rtol=0, atol=tol["abs"])


def test_chinese_plurals_switch_point_depends_on_confidence():
    chinese = next(d for d in REFERENCE if d["name"] == "chinese_plurals")
    # By hand at r = 2: Turing x = 3·70/112 = 1.875; smoothed y = 2·1.5^(b+1) ≈ 1.3526;
    # sd = sqrt(9·70/112²·(1 + 70/112)) ≈ 0.28568, so |x − y| ≈ 0.522 lies between 1.65·sd and 1.96·sd.
    assert gt.simple_good_turing(chinese["r"], chinese["n_r"], 1.65).switch_r == 3
    assert gt.simple_good_turing(chinese["r"], chinese["n_r"], 1.96).switch_r == 2


def test_simple_good_turing_two_row_table_by_hand():
    # Z_1 = 2·4/2 = 4, Z_2 = 2·1/(3 − 1) = 1: slope −2, intercept log 4. Turing x_1 = 2·1/4 = 0.5
    # equals y_1 = 1·2^(−1) = 0.5, so the smoothed estimate is used from r = 1: r* = (0.5, 4/3),
    # N' = 4·0.5 + 4/3 = 10/3, p_r = (1/3)·r*/N' = (0.05, 2/15), P0 = 4/6.
    res = gt.simple_good_turing([1, 2], [4, 1])
    assert res.slope == pytest.approx(-2.0, rel=1e-14)
    assert res.intercept == pytest.approx(math.log(4.0), rel=1e-14)
    assert res.switch_r == 1 and res.switch_index == 0
    np.testing.assert_allclose(res.r_star, [0.5, 4.0 / 3.0], rtol=1e-14)
    np.testing.assert_allclose(res.p_r, [0.05, 2.0 / 15.0], rtol=1e-14)
    assert res.p0 == pytest.approx(2.0 / 3.0, rel=1e-15)


@given(
    st.lists(st.tuples(st.integers(1, 200), st.integers(1, 500)), min_size=2, max_size=30, unique_by=lambda t: t[0]),
    st.floats(0.0, 4.0),
)
def test_simple_good_turing_probabilities_sum_to_one(rows, confidence):
    rows.sort()
    r = np.array([a for a, _ in rows])
    n_r = np.array([b for _, b in rows])
    res = gt.simple_good_turing(r, n_r, confidence, on_invalid_slope="ignore")
    assert res.p0 + float(np.dot(n_r, res.p_r)) == pytest.approx(1.0, rel=1e-12)
    assert res.p0 == pytest.approx(gt.good_turing_missing_mass((r, n_r)), rel=1e-15)
    assert np.all(res.p_r > 0)
    # Rows before the switch use Turing's estimate, rows from it on the smoothed one.
    turing = gt.adjusted_counts(r, n_r)
    np.testing.assert_allclose(res.r_star[: res.switch_index], turing[: res.switch_index], rtol=1e-15)
    np.testing.assert_allclose(
        res.r_star[res.switch_index :],
        r[res.switch_index :] * (1 + 1 / r[res.switch_index :]) ** (res.slope + 1),
        rtol=1e-12,
    )
    assert res.slope_valid == (res.slope < -1)


def test_simple_good_turing_from_counts_matches_table():
    counts = np.repeat(np.arange(1, 9), [40, 15, 9, 5, 3, 2, 1, 1])
    a = gt.simple_good_turing_from_counts(counts)
    b = gt.simple_good_turing(*gt.frequency_of_frequencies(counts))
    np.testing.assert_array_equal(a.p_r, b.p_r)
    assert a.n == int(counts.sum())


def test_invalid_slope_warns_raises_or_is_recorded():
    r, n_r = [1, 2, 3], [2, 3, 4]  # n_r increasing: slope > −1
    with pytest.warns(gt.InvalidSlopeWarning, match="not below -1"):
        res = gt.simple_good_turing(r, n_r)
    assert not res.slope_valid
    with pytest.raises(ValueError, match="`n_r` must be a table whose log-log slope is below -1"):
        gt.simple_good_turing(r, n_r, on_invalid_slope="raise")
    assert not gt.simple_good_turing(r, n_r, on_invalid_slope="ignore").slope_valid


def test_simple_good_turing_validation():
    with pytest.raises(ValueError, match="`r` must be a table with at least two distinct frequencies"):
        gt.simple_good_turing([1], [5])
    with pytest.raises(ValueError, match="`confidence` must be a finite float >= 0.0"):
        gt.simple_good_turing([1, 2], [4, 1], confidence=-1)
    with pytest.raises(ValueError, match="`on_invalid_slope` must be one of"):
        gt.simple_good_turing([1, 2], [4, 1], on_invalid_slope="maybe")
    with pytest.raises(ValueError, match="`n_r` must be an integer or integer array >= 1"):
        gt.simple_good_turing([1, 2], [4, 0])


# ----------------------------------------------------------------------------------------------
# Missing-mass intervals: hand checks and coverage in simulation
# ----------------------------------------------------------------------------------------------


def test_missing_mass_interval_by_hand():
    counts = [1, 1, 2, 4, 0, 1]  # n_1 = 3, N = 9
    iv = gt.missing_mass_interval(counts, gamma=0.05)
    half = 1 / 9 + 2.42 * math.sqrt(math.log(4 / 0.05) / 9)
    assert iv.estimate == pytest.approx(3 / 9, rel=1e-15)
    assert iv.half_width == pytest.approx(half, rel=1e-14)
    assert (iv.low, iv.high) == (0.0, 1.0)  # clipped
    iv = gt.missing_mass_interval(counts, n_examples=10**6, gamma=0.01, bound="lemma1")
    assert iv.estimate == pytest.approx(3e-6, rel=1e-15)
    assert iv.half_width == pytest.approx(4.42 * math.sqrt(math.log(5 / 0.01) / 1e6), rel=1e-14)
    assert iv.low == 0.0 and iv.high == pytest.approx(3e-6 + iv.half_width, rel=1e-14)
    with pytest.raises(ValueError, match="`bound` must be one of"):
        gt.missing_mass_interval(counts, bound="hoeffding")
    with pytest.raises(ValueError, match="`gamma` must be"):
        gt.missing_mass_interval(counts, gamma=0.0)


def _zipf_weights(n_items, exponent, answer_prob):
    w = np.arange(1, n_items + 1, dtype=np.float64) ** -exponent
    return answer_prob * w / w.sum()


# Coverage trials: a failure count F ~ Binomial(T, q) with q <= γ if the bound holds. The test
# fails when F exceeds the (1 − α) quantile of Binomial(T, γ), α = 1e-3: a correct bound fails
# with probability at most α; the power check below shows an interval 10× too narrow is caught.
COVERAGE_TRIALS = 2000
COVERAGE_ALPHA = 1e-3
COVERAGE_GAMMA = 0.05


def _coverage_failures(weights, n, gamma, bound, *, shrink=1.0, seed=0):
    rng = np.random.default_rng(seed)
    probs = np.append(weights, max(0.0, 1.0 - weights.sum()))  # last category: IDK examples
    failures = 0
    for _ in range(COVERAGE_TRIALS):
        counts = rng.multinomial(n, probs)[:-1]
        iv = gt.missing_mass_interval(counts, n_examples=n, gamma=gamma, bound=bound)
        missing = float(weights[counts == 0].sum())
        failures += abs(missing - iv.estimate) > shrink * iv.half_width
    return failures


@pytest.mark.parametrize(
    ("bound", "answer_prob", "n"),
    [("corollary3", 1.0, 200), ("corollary3", 1.0, 5000), ("lemma1", 0.6, 200), ("lemma1", 0.6, 5000)],
)
def test_missing_mass_interval_coverage(bound, answer_prob, n):
    from scipy.stats import binom

    gamma = COVERAGE_GAMMA
    weights = _zipf_weights(2000, 1.1, answer_prob)
    failures = _coverage_failures(weights, n, gamma, bound)
    assert failures <= binom.ppf(1 - COVERAGE_ALPHA, COVERAGE_TRIALS, gamma)


def test_coverage_check_has_power():
    # The same check rejects an interval whose half-width is divided by 10.
    from scipy.stats import binom

    weights = _zipf_weights(2000, 1.1, 1.0)
    failures = _coverage_failures(weights, 5000, COVERAGE_GAMMA, "corollary3", shrink=0.1)
    assert failures > binom.ppf(1 - COVERAGE_ALPHA, COVERAGE_TRIALS, COVERAGE_GAMMA)


def test_exact_moments_match_simulation_within_variance():
    # Mean of T simulated singleton counts / missing masses vs the exact expectation; the
    # tolerance is z_{1-α/2}·sqrt(Var/T) from the exact variance, α = 1e-4 per quantity.
    from scipy.stats import norm

    rng = np.random.default_rng(1)
    weights = _zipf_weights(300, 1.3, 0.8)
    n, trials = 400, 4000
    counts = rng.multinomial(n, np.append(weights, 1 - weights.sum()), size=trials)[:, :-1]
    singletons = (counts == 1).sum(axis=1)
    missing = ((counts == 0) * weights).sum(axis=1)
    z = norm.ppf(1 - 1e-4 / 2)
    tol_s = z * math.sqrt(gt.singleton_variance(weights, n) / trials)
    tol_m = z * math.sqrt(gt.missing_mass_variance(weights, n) / trials)
    assert abs(singletons.mean() - gt.expected_singletons(weights, n)) <= tol_s
    assert abs(missing.mean() - gt.expected_missing_mass(weights, n)) <= tol_m
    # The sample variances agree with the exact ones (chi-square-like check, loose: ±10%).
    assert singletons.var() == pytest.approx(gt.singleton_variance(weights, n), rel=0.1)
    assert missing.var() == pytest.approx(gt.missing_mass_variance(weights, n), rel=0.1)
