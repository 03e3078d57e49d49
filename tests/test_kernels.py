"""Every Numba kernel of the core against its own Python version (``kernel.py_func``) on small
inputs: the compiled code must do exactly what the source says, bit for bit."""

import numpy as np
import pytest

import hallusim as hs
from hallusim import _rng
from hallusim._kernels import facts as fk
from hallusim._kernels import iiv as ik

BLOCK = 8


@pytest.fixture(autouse=True)
def _wraparound():
    # uint64 wrap-around is part of the RNG algorithms; NumPy scalars warn about it in Python
    with np.errstate(over="ignore"):
        yield


def _world():
    return hs.ArbitraryFacts.zipf(n_prompts=30, exponent=1.0, n_responses=np.arange(2, 32), answer_prob=np.linspace(0.1, 1, 30))


def test_sampling_kernels_match_python():
    world = _world()
    alpha, stride = world.strided_answer_prob()
    n_blocks = 4
    states = _rng.block_states(np.random.SeedSequence(3), 1, n_blocks)
    masses = [np.empty(n_blocks), np.empty(n_blocks)]
    for kernel, out in zip((fk.block_masses, fk.block_masses.py_func), masses):
        kernel(world.weights, BLOCK, out)
    assert np.array_equal(*masses)
    totals = [np.empty(n_blocks, np.int64), np.empty(n_blocks, np.int64)]
    for kernel, out in zip((fk.block_totals, fk.block_totals.py_func), totals):
        kernel(masses[0], 500, _rng.block_states(np.random.SeedSequence(3), 0, 1)[0], out)
    assert np.array_equal(*totals) and totals[0].sum() == 500
    results = []
    for kernel in (fk.sample_exact, fk.sample_exact.py_func):
        answered, idk = np.zeros(30, np.int64), np.zeros(30, np.int64)
        kernel(world.weights, alpha, stride, BLOCK, totals[0], states, answered, idk)
        results.append(np.r_[answered, idk])
    assert np.array_equal(*results) and results[0].sum() == 500
    results = []
    for kernel in (fk.sample_poisson, fk.sample_poisson.py_func):
        answered, idk = np.zeros(30, np.int64), np.zeros(30, np.int64)
        kernel(world.weights, alpha, stride, 500.0, BLOCK, states, answered, idk)
        results.append(np.r_[answered, idk])
    assert np.array_equal(*results)


def test_counting_kernels_match_python():
    world = _world()
    alpha, stride = world.strided_answer_prob()
    counts = np.array([0, 1, 2, 1, 0, 5] * 5)
    for target in (0, 1):
        a, b = np.empty(4), np.empty(4)
        fk.masked_weight_sums(world.weights, alpha, stride, counts, target, BLOCK, a)
        fk.masked_weight_sums.py_func(world.weights, alpha, stride, counts, target, BLOCK, b)
        assert np.array_equal(a, b)
        a, b = np.empty(4, np.int64), np.empty(4, np.int64)
        fk.count_equal(counts, target, BLOCK, a)
        fk.count_equal.py_func(counts, target, BLOCK, b)
        assert np.array_equal(a, b) and a.sum() == (counts == target).sum()
    key = _rng.counter_key(np.random.SeedSequence(4), _rng.PURPOSE_ANSWERS)
    n_resp, nr_stride = world.strided_n_responses()
    a, b = np.empty(30, np.int64), np.empty(30, np.int64)
    fk.fill_answers(key, n_resp, nr_stride, 0, a)
    fk.fill_answers.py_func(key, n_resp, nr_stride, 0, b)
    assert np.array_equal(a, b) and (a < n_resp).all()
    tail = np.empty(12, np.int64)  # a block drawn alone, keyed by its global indices
    fk.fill_answers(key, n_resp[18 * nr_stride:] if nr_stride else n_resp, nr_stride, 18, tail)
    assert np.array_equal(tail, a[18:])
    raw = [np.empty(40), np.empty(40)]
    fk.zipf_weights(3, 1.1, raw[0])
    fk.zipf_weights.py_func(3, 1.1, raw[1])
    # the kernel's exp/log are LLVM's libm, the reference's NumPy's own loops (SIMD in NumPy >= 2.4):
    # they may differ in the last bit, so agreement is to 1 ulp (bit-identity of the kernel with
    # itself, in parts and whole, is what tests/test_streaming.py checks)
    np.testing.assert_array_max_ulp(raw[0], raw[1], maxulp=1)
    assert np.allclose(raw[0], np.arange(3, 43.0) ** -1.1, rtol=1e-14)
    assert fk.ordered_sum(raw[0]) == fk.ordered_sum.py_func(raw[0])


def test_iiv_kernels_match_python():
    world = _world()
    corpus = world.sample(60, seed=5)
    model = hs.learners.RescaledLearner(hs.learners.CalibratedLearner(), 2.5).fit(corpus).model
    args = hs.iiv._compact_args(model, corpus)
    zs = np.array([0.05, 0.3])
    sums = [np.zeros((4, ik.N_FIXED + ik.N_PER_THRESHOLD * 2)) for _ in range(2)]
    ik.compact_sums(*args, zs, BLOCK, sums[0])
    ik.compact_sums.py_func(*args, zs, BLOCK, sums[1])
    assert np.array_equal(*sums)
    records = [np.zeros((30, 3, 5)) for _ in range(2)]
    counts = [np.zeros(30, np.int64) for _ in range(2)]
    ik.compact_class_records(*args, BLOCK, records[0], counts[0])
    ik.compact_class_records.py_func(*args, BLOCK, records[1], counts[1])
    assert np.array_equal(*records) and np.array_equal(*counts)
    p_hat, valid, padding = model.to_dense(corpus.answers)
    p = np.where(valid, 0.0, 0.0)
    p[np.arange(30), corpus.answers] = world.answer_prob
    p[:, -1] = 1 - world.answer_prob
    dense = [np.zeros(ik.N_FIXED + ik.N_PER_THRESHOLD * 2) for _ in range(2)]
    ik.dense_sums(world.weights, p, p_hat, valid, padding, zs, dense[0])
    ik.dense_sums.py_func(world.weights, p, p_hat, valid, padding, zs, dense[1])
    assert np.allclose(dense[0], dense[1], rtol=1e-14, atol=0)
    # and the dense and compact kernels agree on the same model
    assert np.allclose(dense[0], sums[0].sum(axis=0), rtol=1e-12, atol=1e-15)


def test_model_validation_kernel_matches_python():
    from hallusim._kernels import models as mk

    n_resp = np.array([3, 3, 2, 4])
    responses = np.array([[0, -1], [1, 2], [1, 0], [3, -1]])
    probs = np.array([[0.5, 0.0], [0.2, 0.3], [0.5, 0.5], [0.1, 0.0]])
    idk = np.array([0.1, 0.5, 0.0, 0.2])
    rest = np.array([0.4, 0.0, 0.0, 0.7])
    cases = [
        (responses, probs, idk, rest),  # valid
        (responses, np.where(probs == 0.3, 0.6, probs), idk, rest),  # row 1 sums above one
        (np.array([[0, 0], [1, 2], [1, 0], [3, -1]]), probs, idk, rest),  # repeated id
        (responses, probs, np.array([0.1, 0.5, 0.0, 1.5]), rest),  # bad idk
        (responses, np.where(probs == 0.5, 0.4, probs), idk, rest),  # row 0 sums below one
        (responses, probs, idk, np.array([0.4, 0.0, 0.1, 0.7])),  # remainder on a fully explicit row
    ]
    none = np.zeros((4, 0))
    with_nonsense = np.array([[0.0], [0.0], [0.0], [0.1]])
    cases = [case + (none,) for case in cases] + [
        (responses, probs, idk, rest, with_nonsense),  # row 3 sums above one
        (responses, probs, idk, np.array([0.4, 0.0, 0.0, 0.6]), with_nonsense),  # valid, with nonsense
        (responses, probs, idk, rest, -with_nonsense),  # negative nonsense
    ]
    codes = []
    for r, p, q, z, n in cases:
        jitted = mk.first_violation(n_resp, 1, r, p, q, 1, z, 1, n, 1e-9)
        assert jitted == mk.first_violation.py_func(n_resp, 1, r, p, q, 1, z, 1, n, 1e-9)
        codes.append(jitted[0])
    assert codes == [mk.OK, mk.ROW_NOT_ONE, mk.REPEATED_RESPONSE, mk.BAD_IDK, mk.ROW_NOT_ONE, mk.BAD_REST,
                     mk.ROW_NOT_ONE, mk.OK, mk.BAD_NONSENSE]


def test_btpe_acceptance_bound_is_the_log_pmf_ratio():
    # BTPE's final test compares log v with log f(y)/f(m); Stirling's series must give it to ~1e-9
    from math import floor, lgamma, log

    for n, p, y in [(10**6, 1e-4, 75), (10**6, 1e-4, 130), (1000, 0.5, 470), (300, 0.2, 35), (10**9, 0.3, 3 * 10**8 + 90_000)]:
        q = 1 - p
        m = floor(n * p + p)

        def log_pmf(k):
            return lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1) + k * log(p) + (n - k) * log(q)

        exact = log_pmf(y) - log_pmf(m)
        # the lgamma reference itself cancels: its rounding error is ~eps·log n!
        tolerance = 1e-8 + 8 * 2.2e-16 * lgamma(n + 1)
        assert abs(_rng._log_pmf_ratio(n, p, q, float(m), float(y)) - exact) < tolerance


@pytest.mark.parametrize("n_blocks", [1, 2, 15, 16, 17, 31, 33, 611, 1000])
def test_interleaved_block_order_is_a_bijection_spreading_the_head(n_blocks):
    from hallusim._kernels.facts import interleaved_block

    order = [interleaved_block(j, n_blocks) for j in range(n_blocks)]
    assert sorted(order) == list(range(n_blocks))
    if n_blocks >= 32:  # each half of the order (one thread's share on 2) reaches both ends of the prompts
        first, second = order[:n_blocks // 2], order[n_blocks // 2:]
        assert min(first) == 0 and max(first) > n_blocks // 2 and min(second) < n_blocks // 2
