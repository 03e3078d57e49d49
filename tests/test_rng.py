"""The RNG kernels: seeds, and the binomial and Poisson samplers against scipy.stats.

Each goodness-of-fit test uses a fixed seed and rejects at significance level ALPHA = 1e-4, so a
correct sampler fails a given test with probability 1e-4; a wrong one (bias, a wrong branch
constant) fails with probability close to one at these sample sizes.
"""

import numpy as np
import pytest
from scipy import stats

from hallusim import _rng
from tests._stats import chisquare_gof

ALPHA = 1e-4
N_DRAWS = 40_000


def _state(seed, purpose=7):
    return _rng.block_states(np.random.SeedSequence(seed), purpose, 1)[0].copy()


# (n, p) covering every branch: inversion (n·p < 30), BTPE with the recurrence (k <= 20) and with
# the squeeze/Stirling test (k > 20), p > 1/2 (flip), huge n, and the 30 boundary.
BINOMIAL_CASES = [
    (1, 0.5),
    (7, 0.1),
    (25, 0.7),
    (100, 0.01),
    (100, 0.3),
    (60, 0.5),
    (1000, 0.029),
    (1000, 0.031),
    (1000, 0.5),
    (10**6, 1e-5),
    (10**6, 0.3),
    (2**40, 0.4),
    (50, 0.99),
    (10**5, 0.9999),
]


@pytest.mark.parametrize("n,p", BINOMIAL_CASES)
def test_binomial_matches_scipy(n, p):
    out = np.empty(N_DRAWS, dtype=np.int64)
    _rng.fill_binomial(_state(n + int(p * 1e6)), n, p, out)
    assert out.min() >= 0 and out.max() <= n
    assert chisquare_gof(out, stats.binom(n, p)) > ALPHA


def test_binomial_degenerate_parameters():
    out = np.empty(100, dtype=np.int64)
    for n, p, want in [(0, 0.5, 0), (10, 0.0, 0), (10, 1.0, 10), (10, -0.1, 0), (10, 1.5, 10)]:
        _rng.fill_binomial(_state(1), n, p, out)
        assert (out == want).all()


@pytest.mark.parametrize("lam", [0.05, 1.0, 9.99, 10.0, 37.5, 1000.0, 1e7])
def test_poisson_matches_scipy(lam):
    out = np.empty(N_DRAWS, dtype=np.int64)
    _rng.fill_poisson(_state(int(lam * 100)), lam, out)
    assert chisquare_gof(out, stats.poisson(lam)) > ALPHA


def test_kernels_match_their_python_reference():
    # the jitted generator and its pure-Python version give the same stream
    a, b = _state(3), _state(3)
    jitted = [_rng.next_u64(a) for _ in range(5)]
    with np.errstate(over="ignore"):  # uint64 wrap-around is the algorithm, not an accident
        python = [_rng.next_u64.py_func(b) for _ in range(5)]
    assert jitted == python


@pytest.mark.parametrize("bound", [2, 3, 365, 1000])
def test_counter_uniform_int_is_uniform(bound):
    key = _rng.counter_key(np.random.SeedSequence(11), _rng.PURPOSE_ANSWERS)
    draws = np.array([_rng.counter_uniform_int(key, i, bound) for i in range(30_000)])
    assert draws.min() >= 0 and draws.max() < bound
    assert chisquare_gof(draws, stats.randint(0, bound)) > ALPHA


def test_counter_uniform_int_depends_on_key_and_index_only():
    key = _rng.counter_key(np.random.SeedSequence(5), _rng.PURPOSE_ANSWERS)
    first = [_rng.counter_uniform_int(key, i, 365) for i in range(50)]
    again = [_rng.counter_uniform_int(key, i, 365) for i in range(50)]
    other = [_rng.counter_uniform_int(_rng.counter_key(np.random.SeedSequence(6), 2), i, 365) for i in range(50)]
    assert first == again
    assert first != other


def test_seed_normalisation():
    assert isinstance(_rng.as_seed_sequence(None), np.random.SeedSequence)
    assert _rng.as_seed_sequence(5).entropy == 5
    seq = np.random.SeedSequence(9)
    assert _rng.as_seed_sequence(seq) is seq
    g1, g2 = np.random.default_rng(1), np.random.default_rng(1)
    assert _rng.as_seed_sequence(g1).entropy == _rng.as_seed_sequence(g2).entropy
    for bad in (-1, 1.5, "x", True):
        with pytest.raises(ValueError, match="`seed` must be"):
            _rng.as_seed_sequence(bad)


def test_block_states_do_not_depend_on_the_number_of_blocks():
    seq = np.random.SeedSequence(42)
    assert np.array_equal(_rng.block_states(seq, 1, 3), _rng.block_states(seq, 1, 10)[:3])
    assert not np.array_equal(_rng.block_states(seq, 1, 2), _rng.block_states(seq, 0, 2))
