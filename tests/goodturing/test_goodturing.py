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
    assert gt.total_count(np.array([3, 5]), np.array([7, 11])) == 76  # the int64 path


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

REFERENCE = json.loads((Path(__file__).parents[1] / "data" / "sgt_reference.json").read_text())["datasets"]


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
    # The published values switch at r = 3. By hand (b = −1.964591): at r = 2 Turing's
    # x = 3·70/112 = 1.875, the smoothed y = 2·1.5^(b+1) = 1.35261, sd = sqrt(9·70/112²·(1 + 70/112))
    # = 0.285679, |x − y|/sd = 1.8286; at r = 3, x = 4·41/70 = 2.342857, y = 3·(4/3)^(b+1) = 2.273037,
    # sd = 0.460751, |x − y|/sd = 0.1515. So any confidence in [0.16, 1.82] reproduces them, and
    # SGT.c's hard-coded 1.96 switches at r = 2.
    chinese = next(d for d in REFERENCE if d["name"] == "chinese_plurals")
    rtol = _rel_tol(chinese)["rel"]
    for confidence in (0.16, 1.0, 1.65, 1.82):
        res = gt.simple_good_turing(chinese["r"], chinese["n_r"], confidence)
        assert res.switch_r == 3, confidence
        np.testing.assert_allclose(res.normalised_r_star, chinese["normalised_r_star"], rtol=rtol)
    assert gt.simple_good_turing(chinese["r"], chinese["n_r"], 0.15).switch_r > 3
    for confidence in (1.83, 1.96):
        res = gt.simple_good_turing(chinese["r"], chinese["n_r"], confidence)
        assert res.switch_r == 2
        assert abs(res.normalised_r_star[1] / chinese["normalised_r_star"][1] - 1) > 100 * rtol


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


def _sgt_reference(r, n_r, confidence):
    """Simple Good–Turing in scalar loops, transcribed from the steps of Sampson's SGT.c
    (analyseInput and findBestFit), independently of the vectorised implementation."""
    rows = len(r)
    big_n = sum(a * b for a, b in zip(r, n_r))
    p_zero = n_r[0] / big_n if r[0] == 1 else 0.0
    log_r, log_z = [], []
    for j in range(rows):
        i = 0 if j == 0 else r[j - 1]
        k = 2 * r[j] - i if j == rows - 1 else r[j + 1]
        log_r.append(math.log(r[j]))
        log_z.append(math.log(2 * n_r[j] / (k - i)))
    mean_x, mean_y = sum(log_r) / rows, sum(log_z) / rows
    xys = sum((x - mean_x) * (y - mean_y) for x, y in zip(log_r, log_z))
    xsquares = sum((x - mean_x) ** 2 for x in log_r)
    slope = xys / xsquares
    intercept = mean_y - slope * mean_x

    def smoothed(i):
        return math.exp(intercept + slope * math.log(i))

    row = {value: j for j, value in enumerate(r)}
    r_star, switch, indifferent = [], rows, False
    for j in range(rows):
        y = (r[j] + 1) * smoothed(r[j] + 1) / smoothed(r[j])
        if r[j] + 1 not in row:
            indifferent = True
        if not indifferent:
            next_n = n_r[row[r[j] + 1]]
            x = (r[j] + 1) * next_n / n_r[j]
            if abs(x - y) <= confidence * math.sqrt((r[j] + 1.0) ** 2 * next_n / n_r[j] ** 2 * (1 + next_n / n_r[j])):
                indifferent = True
            else:
                r_star.append(x)
        if indifferent:
            switch = min(switch, j)
            r_star.append(y)
    big_n_prime = sum(a * b for a, b in zip(n_r, r_star))
    p = [(1 - p_zero) * rs / big_n_prime for rs in r_star]
    return {"p0": p_zero, "slope": slope, "intercept": intercept, "r_star": r_star, "p_r": p, "switch_index": switch}


@given(
    st.lists(st.tuples(st.integers(1, 200), st.integers(1, 500)), min_size=2, max_size=30, unique_by=lambda t: t[0]),
    st.floats(0.0, 4.0),
)
def test_simple_good_turing_matches_scalar_reference(rows, confidence):
    rows.sort()
    r = [a for a, _ in rows]
    n_r = [b for _, b in rows]
    res = gt.simple_good_turing(r, n_r, confidence, on_invalid_slope="ignore")
    ref = _sgt_reference(r, n_r, confidence)
    # The switch rule compares |x − y| with confidence·sd: a tie within rounding may fall either
    # way, so compare only where the reference is not within 1e-9 of the threshold.
    assert res.switch_index == ref["switch_index"] or _near_tie(r, n_r, confidence, ref)
    if res.switch_index == ref["switch_index"]:
        np.testing.assert_allclose(res.r_star, ref["r_star"], rtol=1e-11)
        np.testing.assert_allclose(res.p_r, ref["p_r"], rtol=1e-11)
    assert res.slope == pytest.approx(ref["slope"], rel=1e-11, abs=1e-12)
    assert res.intercept == pytest.approx(ref["intercept"], rel=1e-11, abs=1e-12)
    assert res.p0 == ref["p0"]
    assert res.slope_valid == (ref["slope"] < -1)
    # Probabilities: positive, and the seen items share 1 − P0.
    assert np.all(res.p_r > 0)
    assert math.fsum([res.p0] + [a * b for a, b in zip(n_r, res.p_r.tolist())]) == pytest.approx(1.0, rel=1e-12)


def _near_tie(r, n_r, confidence, ref):
    """Whether some row's |x − y| is within 1e-9 (relative) of the switch threshold."""
    slope, row = ref["slope"], {value: j for j, value in enumerate(r)}
    for j, value in enumerate(r):
        if value + 1 not in row:
            return False
        next_n = n_r[row[value + 1]]
        x = (value + 1) * next_n / n_r[j]
        y = value * (1 + 1 / value) ** (slope + 1)
        threshold = confidence * math.sqrt((value + 1.0) ** 2 * next_n / n_r[j] ** 2 * (1 + next_n / n_r[j]))
        if abs(abs(x - y) - threshold) <= 1e-9 * max(threshold, 1e-300):
            return True
    return False


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


def _uniform_weights(n_items, answer_prob):
    return np.full(n_items, answer_prob / n_items)


# Coverage trials: a failure count F ~ Binomial(T, q) with q <= γ if the bound holds. The test
# fails when F exceeds the (1 − α) quantile of Binomial(T, γ), α = 1e-3 (131 of 2000 at γ = 0.05):
# a correct bound fails with probability at most α.
#
# Power, honestly: both bounds are distribution-free and loose. Measured in simulation (4000
# trials), the 95% quantile of |MM − sr| / half-width is about 0.29 for Corollary 3 and 0.13 for
# Lemma 1 in the hardest world tried (uniform, C = N prompts: the deviations are largest when
# most prompts are seen about once), and 0.16-0.22 / 0.07-0.11 in the Zipf world. So the coverage
# check only catches an interval about 4x (Corollary 3) or 8x (Lemma 1) too narrow; the power
# tests below show it catching 5x and 10x at the uniform world. The constants themselves (2.42,
# 4.42, ln(4/γ), ln(5/γ), 1/N) are pinned by test_missing_mass_interval_by_hand.
COVERAGE_TRIALS = 2000
COVERAGE_ALPHA = 1e-3
COVERAGE_GAMMA = 0.05
WORLDS = {"zipf": lambda n, answer_prob: _zipf_weights(2000, 1.1, answer_prob),
          "uniform C=N": lambda n, answer_prob: _uniform_weights(n, answer_prob)}


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


def _coverage_limit():
    from scipy.stats import binom

    return binom.ppf(1 - COVERAGE_ALPHA, COVERAGE_TRIALS, COVERAGE_GAMMA)


@pytest.mark.parametrize("world", sorted(WORLDS))
@pytest.mark.parametrize(
    ("bound", "answer_prob", "n"),
    [("corollary3", 1.0, 200), ("corollary3", 1.0, 5000), ("lemma1", 0.6, 200), ("lemma1", 0.6, 5000)],
)
def test_missing_mass_interval_coverage(world, bound, answer_prob, n):
    weights = WORLDS[world](n, answer_prob)
    assert _coverage_failures(weights, n, COVERAGE_GAMMA, bound) <= _coverage_limit()


@pytest.mark.parametrize(("bound", "answer_prob", "shrink"), [("corollary3", 1.0, 0.2), ("lemma1", 0.6, 0.1)])
def test_coverage_check_has_power(bound, answer_prob, shrink):
    # The same check rejects an interval 5x (Corollary 3) or 10x (Lemma 1) too narrow; about 18%
    # and 14% of the trials fail then, against the limit of 6.6%.
    weights = _uniform_weights(200, answer_prob)
    assert _coverage_failures(weights, 200, COVERAGE_GAMMA, bound, shrink=shrink) > _coverage_limit()


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
