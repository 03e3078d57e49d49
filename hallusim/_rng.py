"""Seeds and the random-number kernels that every simulator shares.

Reproducibility contract: work is split into fixed-size blocks whose
size never depends on the number of threads; each block draws from its own xoshiro256** stream,
seeded from a ``numpy.random.SeedSequence`` child keyed by (purpose, block index); inside a block
draws are sequential. The output is therefore bit-identical for any ``NUMBA_NUM_THREADS``.

Numba's ``np.random`` support has no seeded binomial or Poisson that is safe under ``prange``,
so this module carries its own samplers:

* binomial: inversion (sequential search) when ``n·min(p, 1-p) < 30``, otherwise BTPE
  (Kachitvichyanukul & Schmeiser, "Binomial random variate generation", CACM 31(2), 1988);
* Poisson: multiplication method for ``λ < 10``, otherwise PTRS (Hörmann, "The transformed
  rejection method for generating Poisson random variables", 1993).

Both are checked against ``scipy.stats`` across their parameter range in ``tests/test_rng.py``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from hallusim._jit import jit
from hallusim._validation import fail

__all__ = ["as_seed_sequence", "block_states", "counter_key", "derive", "BLOCK_SIZE"]

#: Prompts per block of the sampler and of every reduction. Fixed, so that results never depend
#: on the number of threads; changing it changes the random streams (and so the samples).
BLOCK_SIZE = 1 << 14

# Purposes keep the streams of one seed apart (domain separation).
PURPOSE_BLOCK_TOTALS = 0
PURPOSE_BLOCKS = 1
PURPOSE_ANSWERS = 2
PURPOSE_STREAM = 3
PURPOSE_WORLD = 4


def as_seed_sequence(seed, name: str = "seed") -> np.random.SeedSequence:
    """Normalise a public ``seed`` argument (SPEC 7) to a ``SeedSequence``.

    Parameters
    ----------
    seed : None, int, numpy.random.SeedSequence or numpy.random.Generator
        ``None`` draws fresh OS entropy; an int (>= 0) or ``SeedSequence`` is used as is; a
        ``Generator`` contributes 128 bits drawn from it (so it advances).
    name : str
        The parameter name used in error messages.
    """
    if seed is None or isinstance(seed, np.random.SeedSequence):
        return seed if seed is not None else np.random.SeedSequence()
    if isinstance(seed, np.random.Generator):
        return np.random.SeedSequence(seed.integers(0, 2**63, size=2, dtype=np.int64).tolist())
    if isinstance(seed, numbers.Integral) and not isinstance(seed, (bool, np.bool_)) and seed >= 0:
        return np.random.SeedSequence(int(seed))
    fail(name, "None, a non-negative int, a numpy SeedSequence or a numpy Generator", seed)


#: First word of every spawn key hallusim derives, so that its streams never coincide with the
#: children a user spawns from the same seed (``SeedSequence.spawn`` appends 0, 1, 2, …).
_DOMAIN = 0x68616C6C  # "hall"


def derive(seq: np.random.SeedSequence, *key: int) -> np.random.SeedSequence:
    """The ``SeedSequence`` of one hallusim stream below ``seq``, keyed by ``key`` (domain-separated)."""
    return np.random.SeedSequence(seq.entropy, spawn_key=tuple(seq.spawn_key) + (_DOMAIN,) + tuple(key))


def block_states(seq: np.random.SeedSequence, purpose: int, n_blocks: int) -> np.ndarray:
    """Initial xoshiro256** states, one row of 4 words per block, for one purpose.

    Row ``b`` depends only on (seed, purpose, b), never on how many blocks there are.
    """
    states = np.empty((n_blocks, 4), dtype=np.uint64)
    for b in range(n_blocks):
        states[b] = derive(seq, purpose, b).generate_state(4, dtype=np.uint64)
        if not states[b].any():  # the all-zero state is the one xoshiro cannot leave
            states[b, 0] = 1
    return states


def counter_key(seq: np.random.SeedSequence, purpose: int) -> np.ndarray:
    """Two 64-bit words that key a counter-based draw (e.g. the answer ``a_c`` of prompt c)."""
    return derive(seq, purpose).generate_state(2, dtype=np.uint64)


# ---------------------------------------------------------------------------------------------
# Kernels. Constants are typed uint64 so that Numba never promotes the arithmetic to float.
_U5 = np.uint64(5)
_U9 = np.uint64(9)
_S7 = np.uint64(7)
_S11 = np.uint64(11)
_S17 = np.uint64(17)
_S27 = np.uint64(27)
_S30 = np.uint64(30)
_S31 = np.uint64(31)
_S45 = np.uint64(45)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_TWO_M53 = 1.0 / 9007199254740992.0  # 2**-53


@jit
def _rotl(x, k):
    return (x << k) | (x >> (np.uint64(64) - k))


@jit
def next_u64(state):
    """xoshiro256** (Blackman & Vigna 2018): next 64-bit output; advances ``state`` in place."""
    s0 = state[0]
    s1 = state[1]
    s2 = state[2]
    s3 = state[3]
    result = _rotl(s1 * _U5, _S7) * _U9
    t = s1 << _S17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, _S45)
    state[0] = s0
    state[1] = s1
    state[2] = s2
    state[3] = s3
    return result


@jit
def next_double(state):
    """Uniform double on [0, 1) with 53 random bits."""
    return np.float64(next_u64(state) >> _S11) * _TWO_M53


@jit
def splitmix64(x):
    """SplitMix64 finaliser: a bijective 64-bit mix (Steele, Lea & Flood 2014)."""
    z = x + _GOLDEN
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@jit
def counter_uniform_int(key, index, bound):
    """Uniform integer on [0, bound) that depends only on (key, index): no state, no storage.

    Rejection on the top of the 64-bit range removes modulo bias exactly.
    """
    ubound = np.uint64(bound)
    limit = (np.uint64(0) - ubound) % ubound  # 2**64 mod bound
    x = splitmix64(key[0] ^ splitmix64(key[1] + np.uint64(index)))
    while x < limit:
        x = splitmix64(x ^ key[1])
    return np.int64(x % ubound)


@jit
def _binomial_inversion(state, n, p):
    # Sequential search from 0; p <= 1/2 and n*p < 30 here, so the search is short.
    q = 1.0 - p
    qn = math.exp(n * math.log1p(-p))
    np_ = n * p
    bound = min(float(n), np_ + 10.0 * math.sqrt(np_ * q + 1.0))
    ratio = p / q
    x = 0
    px = qn
    u = next_double(state)
    while u > px:
        x += 1
        if x > bound:
            x = 0
            px = qn
            u = next_double(state)
        else:
            u -= px
            px *= (n - x + 1) * ratio / x
    return x


@jit
def _stirling_tail(x):
    # Tail of Stirling's series for log x!: 1/(12x) - 1/(360x^3) + ... (coefficient 13860/166320
    # = 1/12; NumPy's C source has 13680 there, a long-standing typo we do not copy).
    x2 = x * x
    return (13860.0 - (462.0 - (132.0 - (99.0 - 140.0 / x2) / x2) / x2) / x2) / x / 166320.0


@jit
def _log_pmf_ratio(n, r, q, m, y):
    """``log f(y)/f(m)`` of Binomial(n, r) by Stirling's series (BTPE's final acceptance test).

    ``log m! + log(n−m)! − log y! − log(n−y)!`` plus the ``r, q`` terms: the series tails of the
    two factorials in the numerator enter with ``+``, those of the denominator with ``−``. (The
    1988 paper and NumPy add all four, which accepts slightly too many draws in the squeeze band.)
    """
    x1 = y + 1.0
    f1 = m + 1.0
    z = n + 1.0 - m
    w = n - y + 1.0
    return (
        (m + 0.5) * math.log(f1 / x1)
        + (n - m + 0.5) * math.log(z / w)
        + (y - m) * math.log(w * r / (x1 * q))
        + _stirling_tail(f1)
        + _stirling_tail(z)
        - _stirling_tail(x1)
        - _stirling_tail(w)
    )


@jit
def _binomial_btpe(state, n, p):
    # BTPE of Kachitvichyanukul & Schmeiser (1988); p <= 1/2 and n*p >= 30 here.
    r = p
    q = 1.0 - r
    fm = n * r + r
    m = math.floor(fm)
    nrq = n * r * q
    p1 = math.floor(2.195 * math.sqrt(nrq) - 4.6 * q) + 0.5
    xm = m + 0.5
    xl = xm - p1
    xr = xm + p1
    c = 0.134 + 20.5 / (15.3 + m)
    a = (fm - xl) / (fm - xl * r)
    laml = a * (1.0 + a / 2.0)
    a = (xr - fm) / (xr * q)
    lamr = a * (1.0 + a / 2.0)
    p2 = p1 * (1.0 + 2.0 * c)
    p3 = p2 + c / laml
    p4 = p3 + c / lamr
    while True:
        u = next_double(state) * p4
        v = next_double(state)
        if u <= p1:  # triangular region: accept at once
            return math.floor(xm - p1 * v + u)
        if u <= p2:  # parallelogram
            x = xl + (u - p1) / c
            v = v * c + 1.0 - abs(m - x + 0.5) / p1
            if v > 1.0:
                continue
            y = math.floor(x)
        elif u <= p3:  # left exponential tail
            if v == 0.0:
                continue
            y = math.floor(xl + math.log(v) / laml)
            if y < 0:
                continue
            v = v * (u - p2) * laml
        else:  # right exponential tail
            if v == 0.0:
                continue
            y = math.floor(xr - math.log(v) / lamr)
            if y > n:
                continue
            v = v * (u - p3) * lamr
        k = abs(y - m)
        if k <= 20 or k >= nrq / 2.0 - 1.0:
            # explicit evaluation of f(y)/f(m) by the recurrence
            s = r / q
            aa = s * (n + 1)
            f = 1.0
            if m < y:
                i = m + 1
                while i <= y:
                    f *= aa / i - s
                    i += 1
            elif m > y:
                i = y + 1
                while i <= m:
                    f /= aa / i - s
                    i += 1
            if v <= f:
                return y
            continue
        # squeeze on log f(y) using the normal approximation, then the exact Stirling test
        rho = (k / nrq) * ((k * (k / 3.0 + 0.625) + 0.16666666666666666) / nrq + 0.5)
        t = -k * k / (2.0 * nrq)
        big_a = math.log(v) if v > 0.0 else -math.inf
        if big_a < t - rho:
            return y
        if big_a > t + rho:
            continue
        if big_a <= _log_pmf_ratio(n, r, q, m, y):
            return y


@jit
def binomial(state, n, p):
    """One Binomial(n, p) draw (int64) from ``state``; ``n >= 0``, ``p`` clipped to [0, 1]."""
    if n <= 0 or p <= 0.0:
        return np.int64(0)
    if p >= 1.0:
        return np.int64(n)
    flip = p > 0.5
    pp = 1.0 - p if flip else p
    if n * pp < 30.0:
        y = np.int64(_binomial_inversion(state, n, pp))
    else:
        y = np.int64(_binomial_btpe(state, n, pp))
    return np.int64(n) - y if flip else y


@jit
def poisson(state, lam):
    """One Poisson(λ) draw (int64) from ``state``."""
    if lam <= 0.0:
        return np.int64(0)
    if lam < 10.0:
        limit = math.exp(-lam)
        k = 0
        prod = next_double(state)
        while prod > limit:
            k += 1
            prod *= next_double(state)
        return np.int64(k)
    slam = math.sqrt(lam)
    loglam = math.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    invalpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2.0)
    while True:
        u = next_double(state) - 0.5
        v = next_double(state)
        us = 0.5 - abs(u)
        k = math.floor((2.0 * a / us + b) * u + lam + 0.43)
        if us >= 0.07 and v <= vr:
            return np.int64(k)
        if k < 0 or (us < 0.013 and v > us):
            continue
        if v > 0.0 and (math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b)) <= (
            -lam + k * loglam - math.lgamma(k + 1.0)
        ):
            return np.int64(k)


@jit
def fill_binomial(state, n, p, out):
    """Fill ``out`` with Binomial(n, p) draws from one stream (used by the sampler tests)."""
    for i in range(out.shape[0]):
        out[i] = binomial(state, n, p)


@jit
def fill_poisson(state, lam, out):
    """Fill ``out`` with Poisson(λ) draws from one stream (used by the sampler tests)."""
    for i in range(out.shape[0]):
        out[i] = poisson(state, lam)
