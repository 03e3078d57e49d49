"""Forecasts of the floor at t·N examples (hallusim.floor._forecast), truncated tables, no-singleton warnings.

Statistical tests state their significance level; tolerances come from the variances.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from hallusim.facts import ArbitraryFacts
from hallusim.floor import (
    FloorCounts,
    floor_report,
    forecast_floor,
    read_floor_counts,
    smoothing_reach,
)

DATA = Path(__file__).parent.parent / "data" / "floor"
SHAKESPEARE = DATA / "shakespeare_efron_thisted.csv"
SHAKESPEARE_WORDS = 884_647  # Efron & Thisted (1976): words in the complete works
SHAKESPEARE_TYPES = 31_534  # ... and distinct word types
ET_NEW_WORDS, ET_NEW_WORDS_SE = 11_430, 178  # their estimate of new types in a second 884,647 words, and its s.e.


def _counts(r, n_r, n=None):
    r, n_r = np.asarray(r, np.int64), np.asarray(n_r, np.int64)
    total = int((r * n_r).sum())
    return FloorCounts(r, n_r, total if n is None else n, None, int(n_r.sum()), None, "test")


def test_subsample_matches_hand_computed_hypergeometric():
    # Two prompts seen once, one seen twice: N = 4. Half the data (m = 2 of 4 without replacement):
    # a singleton survives alone with P = 2/4 = 1/2 each; the doubleton keeps exactly one copy with
    # P = 2·2/C(4,2) = 4/6. E|S| = 2·1/2 + 4/6 = 5/3, E[sr] = 5/6.
    counts = _counts([1, 2], [2, 1])
    row = forecast_floor(counts, [0.5]).rows[0]
    assert row.method == "subsample" and row.n_examples == 2
    assert row.singleton_rate == pytest.approx(5 / 6)
    # E[MM] at m = 2 is E|S| at 3 over 3: a singleton is drawn alone with P = 3/4; the doubleton
    # once with P = 2·C(2,2)/C(4,3) = 2/4. E|S|(3) = 2·3/4 + 1/2 = 2, so E[MM] = 2/3.
    assert row.missing_mass == pytest.approx(2 / 3)


def test_good_toulmin_new_prompts_by_hand():
    # n_1 = 10, n_2 = 4, n_3 = 2 at t = 1.5 (s = 0.5): U = 10·0.5 − 4·0.25 + 2·0.125 = 4.25.
    row = forecast_floor(_counts([1, 2, 3], [10, 4, 2]), [1.5]).rows[0]
    assert row.method == "good-toulmin"
    assert row.new_prompts == pytest.approx(4.25)


def test_shakespeare_good_toulmin_against_efron_thisted():
    # The published table is truncated at r = 100: read as-is its sr is n_1/Σ r n_r = 14376/194667.
    table = read_floor_counts(SHAKESPEARE)
    assert floor_report(table).singleton_rate == pytest.approx(14376 / 194667)
    report = floor_report(table, total_examples=SHAKESPEARE_WORDS)
    assert report.singleton_rate == pytest.approx(14376 / SHAKESPEARE_WORDS)  # 0.01625
    assert report.counts.n_prompts == 30_688 and report.sgt is None
    row = forecast_floor(report.counts, [2.0]).rows[0]
    # Good–Toulmin's new words in a second corpus of the same size, against Efron & Thisted's
    # published 11,430 (s.e. 178): agreement within 2 of their standard errors (about 95%).
    assert abs(row.new_prompts - ET_NEW_WORDS) <= 2 * ET_NEW_WORDS_SE


def test_total_examples_refused_below_the_table():
    table = read_floor_counts(SHAKESPEARE)
    with pytest.raises(ValueError, match="total_examples"):
        floor_report(table, total_examples=1000)


def test_no_singletons_warns():
    report = floor_report(([2, 5], [3, 1]))
    assert report.singleton_rate == 0
    assert any("no singletons" in w for w in report.warnings)
    assert "warning:" in report.to_text()


def test_refuses_beyond_reach():
    counts = _counts([1, 2, 3], [500, 100, 30])
    t_max = smoothing_reach(counts.n_examples)
    rows = forecast_floor(counts, [t_max * 1.01]).rows
    assert rows[0].refused and "reach" in rows[0].refused
    # the reach formula: N^(-log3(1 + 2/s)) = 0.1² at s = t_max − 1
    s = t_max - 1
    assert counts.n_examples ** (-math.log(1 + 2 / s, 3)) == pytest.approx(0.01)


def test_target_floor_out_of_reach_and_within():
    counts = _counts([1, 2, 3, 10], [500, 100, 30, 50])
    far = forecast_floor(counts, [], target_floor=1e-6)
    assert far.target_t is None and "out of reach" in far.target_text
    sr = 500 / counts.n_examples
    near = forecast_floor(counts, [], target_floor=sr * 1.2)
    assert near.target_t is not None and near.target_t < 1  # a higher floor needs less data


@pytest.mark.parametrize("world", ["zipf", "pareto"])
def test_forecast_tracks_exact_expectations(world):
    # Known worlds: the forecast from one sample of N examples against the exact E[sr] at t·N.
    # Each check allows 4 standard errors (normal: two-sided level 6e-5) plus, for extrapolation,
    # the smoothing's bias, which the paper bounds only up to a constant: we allow 10% of E[sr].
    if world == "zipf":
        facts = ArbitraryFacts.zipf(50_000, 1.1, 365, 0.9)
    else:
        facts = ArbitraryFacts.pareto_repetition(30_000, 1.2, 365, 0.9, seed=5)
    n = 10_000
    corpus = facts.sample(n, seed=11)
    counts = floor_report(corpus.answered_counts, n_examples=corpus.n_examples).counts
    for row in forecast_floor(counts, [0.2, 0.5, 1.5, 2.0, 3.0]).rows:
        exact = facts.expected_singleton_rate(row.n_examples)
        bias = 0.0 if row.t < 1 else 0.1 * exact
        assert abs(row.singleton_rate - exact) <= 4 * row.singleton_rate_se + bias, (row.t, row.singleton_rate, exact)
        if row.t < 1:
            assert abs(row.missing_mass - facts.expected_missing_mass(row.n_examples)) <= 4 * row.singleton_rate_se


def test_subsample_unbiased_over_replicates():
    # The hypergeometric forecast is unbiased for E[sr] at m: over 40 replicates its mean is
    # within 4 standard errors of the mean (level about 6e-5).
    facts = ArbitraryFacts.zipf(5_000, 1.0, 365, 1.0)
    values = []
    for seed in range(40):
        c = facts.sample(2_000, seed=seed)
        values.append(forecast_floor(floor_report(c.answered_counts, n_examples=c.n_examples).counts,
                                     [0.3]).rows[0].singleton_rate)
    values = np.asarray(values)
    exact = facts.expected_singleton_rate(600)
    assert abs(values.mean() - exact) <= 4 * values.std(ddof=1) / math.sqrt(values.size)


def test_floor_forecast_experiment_small(tmp_path):
    from hallusim.experiments import load, load_config

    module = load("floor_forecast")
    config = load_config("floor_forecast", "quick", ["ts=[0.5, 2.0]", "replicates=1", "fractions=[0.5]",
                                                    "n_examples=2000", "n_prompts=5000"])
    rows = module.run(config, tmp_path)
    assert len(rows) == 4 and all(row["method"] in ("subsample", "good-toulmin") for row in rows)
    for name in module.OUTPUTS:
        if "real" in name and module.en_spelling_counts() is None:
            continue
        assert (tmp_path / name).stat().st_size > 0
