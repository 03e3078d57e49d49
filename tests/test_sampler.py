"""The arbitrary-facts sampler: exactness, statistics against exact expectations, reproducibility.

Statistical tests compare a mean over replicates with its exact expectation using the exact
variance (hallusim.goodturing), or a sample with its exact law by a chi-square test, and reject
each comparison at significance level ALPHA = 1e-4 (|z| > 3.89). A test that makes k comparisons
has family-wise level at most k·ALPHA (Bonferroni), stated in its docstring.
"""

import hashlib
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats

import hallusim as hs
from hallusim import _rng, goodturing
from tests._stats import chisquare_gof, z_score

ALPHA = 1e-4
Z_CRIT = stats.norm.isf(ALPHA / 2)


@pytest.fixture(params=[32, _rng.BLOCK_SIZE], ids=["small-blocks", "default-blocks"])
def block_size(request, monkeypatch):
    """Run a test with many tiny blocks too, so that block totals and boundaries are exercised."""
    monkeypatch.setattr(_rng, "BLOCK_SIZE", request.param)
    return request.param


def _replicates(world, n, reps, **kw):
    return [world.sample(n, seed=np.random.SeedSequence(1234, spawn_key=(r,)), **kw) for r in range(reps)]


def test_counts_sum_to_n_exactly(block_size):
    world = hs.ArbitraryFacts.zipf(n_prompts=1000, exponent=1.3, answer_prob=0.8)
    for corpus in _replicates(world, 777, 20):
        assert corpus.n_examples == 777
        assert corpus.answered_counts.min() >= 0 and corpus.idk_counts.min() >= 0


@pytest.mark.parametrize("alpha", [1.0, 0.6])
def test_singletons_and_missing_mass_match_exact_expectations(block_size, alpha):
    """Two comparisons: family-wise level 2e-4."""
    world = hs.ArbitraryFacts.zipf(n_prompts=800, exponent=1.05, answer_prob=alpha)
    n, reps = 600, 400
    corpora = _replicates(world, n, reps)
    w = world.answered_weights
    singles = np.array([c.singleton_count for c in corpora], dtype=float)
    z = z_score(singles.mean(), goodturing.expected_singletons(w, n), goodturing.singleton_variance(w, n), reps)
    assert abs(z) < Z_CRIT
    mm = np.array([c.missing_mass for c in corpora])
    z = z_score(mm.mean(), world.expected_missing_mass(n), goodturing.missing_mass_variance(w, n), reps)
    assert abs(z) < Z_CRIT
    assert world.expected_singleton_rate(n) == pytest.approx(goodturing.expected_singletons(w, n) / n, rel=1e-12)


def test_per_prompt_marginals_are_binomial(block_size):
    """Up to eight comparisons: family-wise level 8e-4."""
    # cell (c, answered) has Binomial(N, μ_c α_c) counts under the exact multinomial
    world = hs.ArbitraryFacts.zipf(n_prompts=100, exponent=1.0, answer_prob=0.7)
    n, reps = 300, 3000
    corpora = _replicates(world, n, reps)
    for c in (0, 3, 40, 99):
        answered = np.array([k.answered_counts[c] for k in corpora])
        idk = np.array([k.idk_counts[c] for k in corpora])
        mu = world.weights[c]
        assert chisquare_gof(answered, stats.binom(n, mu * 0.7)) > ALPHA
        if n * mu * 0.3 > 1:
            assert chisquare_gof(idk, stats.binom(n, mu * 0.3)) > ALPHA


def test_poissonised_sample_has_poisson_totals():
    world = hs.ArbitraryFacts.uniform(n_prompts=500, answer_prob=0.9)
    n, reps = 2000, 400
    totals = np.array([c.n_examples for c in _replicates(world, n, reps, poissonize=True)], dtype=float)
    assert abs(z_score(totals.mean(), n, n, reps)) < Z_CRIT
    assert totals.std() > 0


def test_poissonised_cells_are_independent_poissons():
    """Two marginal comparisons and one of the total: family-wise level 3e-4."""
    world = hs.ArbitraryFacts(np.array([0.6, 0.4]), n_responses=3, answer_prob=0.5)
    n, reps = 30, 6000
    cells = np.array([np.r_[c.answered_counts, c.idk_counts] for c in _replicates(world, n, reps, poissonize=True)])
    assert chisquare_gof(cells[:, 0], stats.poisson(n * 0.3)) > ALPHA
    assert chisquare_gof(cells[:, 3], stats.poisson(n * 0.2)) > ALPHA
    # independent cells: the total is Poisson(n), not fixed
    assert chisquare_gof(cells.sum(axis=1), stats.poisson(n)) > ALPHA


def test_prompts_and_blocks_without_mass_get_no_examples(monkeypatch):
    monkeypatch.setattr(_rng, "BLOCK_SIZE", 4)
    weights = np.r_[np.zeros(8), np.ones(3), 0.0, np.zeros(4), 2.0]  # blocks 0, 1 and 3 are empty
    world = hs.ArbitraryFacts(weights, answer_prob=0.0)
    for poissonize in (False, True):
        corpus = world.sample(500, seed=1, poissonize=poissonize)
        assert corpus.answered_counts.sum() == 0  # α = 0: every example abstains
        assert (corpus.idk_counts[weights == 0] == 0).all()
        assert corpus.idk_counts[weights > 0].min() > 0
    assert world.sample(500, seed=1).n_examples == 500


def test_same_seed_same_corpus_and_different_seed_different_corpus():
    world = hs.ArbitraryFacts.zipf(n_prompts=50_000, exponent=1.1, answer_prob=0.9)
    a, b, c = world.sample(200_000, seed=7), world.sample(200_000, seed=7), world.sample(200_000, seed=8)
    assert np.array_equal(a.answered_counts, b.answered_counts) and np.array_equal(a.idk_counts, b.idk_counts)
    assert np.array_equal(a.answers, b.answers)
    assert not np.array_equal(a.answered_counts, c.answered_counts)
    same_answers = world.sample(1000, seed=8, answer_seed=7)
    assert np.array_equal(same_answers.answers, a.answers)


_THREADS_SCRIPT = textwrap.dedent(
    """
    import hashlib, numpy as np, hallusim as hs
    world = hs.ArbitraryFacts.zipf(n_prompts=200_000, exponent=1.1, answer_prob=0.9)
    h = hashlib.sha256()
    for poissonize in (False, True):
        corpus = world.sample(3_000_000, seed=2024, poissonize=poissonize)
        h.update(corpus.answered_counts.tobytes()); h.update(corpus.idk_counts.tobytes())
        h.update(corpus.answers.tobytes())
        ev = hs.evaluate(hs.learners.CalibratedLearner().fit(corpus), corpus)
        h.update(np.array([ev.err, ev.err_iiv, ev.delta, ev.cross_entropy, corpus.missing_mass]).tobytes())
    print(h.hexdigest())
    """
)


def test_output_is_bit_identical_for_one_and_two_threads():
    digests = []
    for threads in ("1", "2"):
        env = dict(os.environ, NUMBA_NUM_THREADS=threads)
        out = subprocess.run([sys.executable, "-c", _THREADS_SCRIPT], env=env, capture_output=True, text=True, check=True)
        digests.append(out.stdout.strip())
    assert digests[0] == digests[1]


def test_example_stream_matches_counts():
    world = hs.ArbitraryFacts.zipf(n_prompts=300, exponent=1.0, answer_prob=0.7)
    corpus = world.sample(2000, seed=3)
    prompts, responses = corpus.examples()
    assert prompts.shape == responses.shape == (2000,)
    answered = responses >= 0
    assert np.array_equal(np.bincount(prompts[answered], minlength=300), corpus.answered_counts)
    assert np.array_equal(np.bincount(prompts[~answered], minlength=300), corpus.idk_counts)
    assert np.array_equal(responses[answered], corpus.answers[prompts[answered]])
    again = corpus.examples()
    assert np.array_equal(again[0], prompts)
    assert hashlib.sha256(prompts.tobytes()).digest() != hashlib.sha256(np.sort(prompts).tobytes()).digest()


def test_answers_are_uniform_on_response_sets():
    world = hs.ArbitraryFacts.uniform(n_prompts=40_000, n_responses=np.r_[np.full(20_000, 7), np.full(20_000, 365)])
    answers = world.answers(seed=1)
    assert chisquare_gof(answers[:20_000], stats.randint(0, 7)) > ALPHA
    assert chisquare_gof(answers[20_000:], stats.randint(0, 365)) > ALPHA


def test_constructors():
    z = hs.ArbitraryFacts.zipf(n_prompts=4, exponent=2.0)
    assert np.allclose(z.weights, np.array([1, 1 / 4, 1 / 9, 1 / 16]) / (1 + 1 / 4 + 1 / 9 + 1 / 16), rtol=1e-14)
    u = hs.ArbitraryFacts.uniform(n_prompts=5, n_responses=3, answer_prob=0.5)
    assert np.allclose(u.weights, 0.2) and u.min_errors == 2 and u.max_errors == 2
    p = hs.ArbitraryFacts.pareto_repetition(n_prompts=20_000, shape=1.5, seed=0)
    reps = p.weights / p.weights.min()
    assert np.allclose(reps, np.round(reps))  # proportional to integer repetition counts >= 1
    # P(floor(X) >= k) = k^(-shape) for a Pareto(1, shape) variable X
    frac = (np.round(reps) >= 3).mean()
    assert abs(frac - 3**-1.5) < Z_CRIT * np.sqrt(3**-1.5 * (1 - 3**-1.5) / 20_000)
    assert np.array_equal(p.weights, hs.ArbitraryFacts.pareto_repetition(n_prompts=20_000, shape=1.5, seed=0).weights)


@pytest.mark.parametrize("block", [1, _rng.BLOCK_SIZE], ids=["one-prompt-blocks", "one-block"])
@pytest.mark.parametrize("n,alpha", [(4, 0.5), (12, 1.0), (40, 1.0)])
def test_joint_law_is_exactly_multinomial(n, alpha, block, monkeypatch):
    # small n exercises the categorical top-up, larger n the conditioned Poisson counts; one
    # prompt per block tests the conditional binomials over blocks jointly
    monkeypatch.setattr(_rng, "BLOCK_SIZE", block)
    mu = np.array([0.5, 0.3, 0.2])
    world = hs.ArbitraryFacts(mu, n_responses=5, answer_prob=alpha)
    reps = 20_000
    cells = np.array([np.r_[c.answered_counts, c.idk_counts] for c in _replicates(world, n, reps)])
    probs = np.r_[mu * alpha, mu * (1 - alpha)]
    keep = probs > 0
    cells, probs = cells[:, keep], probs[keep]
    outcomes, observed = np.unique(cells, axis=0, return_counts=True)
    expected = stats.multinomial(n, probs).pmf(outcomes) * reps
    missing = reps - expected.sum()  # outcomes never observed, pooled into one bin
    big = expected >= 5
    obs = np.r_[observed[big], observed[~big].sum()]
    exp = np.r_[expected[big], expected[~big].sum() + missing]
    chi2 = np.sum((obs - exp) ** 2 / exp)
    assert stats.chi2.sf(chi2, df=obs.size - 1) > ALPHA


@given(
    hnp.arrays(np.float64, st.integers(1, 50), elements=st.floats(0.0, 1.0)),
    st.floats(0.0, 1.0),
    st.integers(1, 10**9),
)
def test_expected_singleton_rate_exceeds_expected_missing_mass_by_at_most_one_over_n(weights, alpha, n):
    # McAllester & Schapire (2000), Appendix B of the paper: E[GT] − E[M] ∈ [0, 1/N]
    assume(weights.sum() > 0)
    world = hs.ArbitraryFacts(weights, answer_prob=alpha)
    gap = world.expected_singleton_rate(n) - world.expected_missing_mass(n)
    assert -1e-15 <= gap <= 1.0 / n + 1e-15
