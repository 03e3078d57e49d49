"""Tests of hallusim.goodturing: Good–Turing identities, exact moments, Simple Good–Turing."""

from __future__ import annotations

import itertools
import math

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
