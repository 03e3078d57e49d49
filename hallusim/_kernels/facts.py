"""Numba kernels of the arbitrary-facts sampler (private; no validation here).

Exact draw of the multinomial over (prompt, answered/IDK) cells, in three steps:

1. block masses: the prompts are cut into fixed-size blocks and each block's mass is summed;
2. block totals: conditional binomials over the blocks, sequentially, from one stream;
3. inside each block, in parallel and from the block's own stream: the block's multinomial by
   Poisson counts conditioned exactly on their total (see :func:`sample_exact`), then the
   answered/IDK split of each prompt's count by a binomial.

A multinomial over blocks followed by a multinomial within each block, and a binomial split of
each count, is the multinomial over the 2C cells exactly. Blocks never depend on the thread
count, so neither does the output.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from hallusim._jit import jit
from hallusim._rng import binomial, counter_uniform_int, next_double, poisson


@jit(parallel=True)
def block_masses(mu, block_size, out):
    """Sum ``mu`` over consecutive blocks of ``block_size`` into ``out`` (one entry a block)."""
    n_blocks = out.shape[0]
    for b in prange(n_blocks):
        start = b * block_size
        stop = min(start + block_size, mu.shape[0])
        total = 0.0
        for i in range(start, stop):
            total += mu[i]
        out[b] = total


@jit
def ordered_sum(values):
    """``Σ values`` added left to right: the total of block sums that every path reproduces exactly."""
    total = 0.0
    for v in values:
        total += v
    return total


@jit(parallel=True)
def zipf_weights(first_rank, exponent, out):
    """Unnormalised Zipf weights ``r^(−s)`` for ranks ``first_rank, first_rank + 1, …``.

    Elementwise and position-independent, so a block of prompts computed alone has the bits of
    the same prompts computed with the whole world.
    """
    for i in prange(out.shape[0]):
        out[i] = np.exp(-exponent * np.log(np.float64(first_rank + i)))


@jit
def block_totals(masses, n, state, out):
    """Multinomial(n, masses / sum) over the blocks by sequential conditional binomials."""
    n_blocks = masses.shape[0]
    suffix = np.empty(n_blocks + 1)
    suffix[n_blocks] = 0.0
    for b in range(n_blocks - 1, -1, -1):
        suffix[b] = suffix[b + 1] + masses[b]
    left = n
    for b in range(n_blocks):
        if left == 0 or masses[b] <= 0.0:
            out[b] = 0
            continue
        p = masses[b] / suffix[b]
        k = left if p >= 1.0 else binomial(state, left, p)
        out[b] = k
        left -= k


@jit
def _categorical(state, prefix, start, stop):
    """Index i in [start, stop) drawn with probability μ_i / (prefix[stop] − prefix[start]),
    by bisection on the block's prefix sums (``prefix`` is indexed from the block start)."""
    total = prefix[stop - start]
    while True:
        x = next_double(state) * total
        lo = 0
        hi = stop - start  # invariant: prefix[lo] <= x < prefix[hi]
        while hi - lo > 1:
            mid = (lo + hi) >> 1
            if prefix[mid] <= x:
                lo = mid
            else:
                hi = mid
        if x < total:  # rounding can put x on the top edge; draw again then
            return start + lo


@jit
def _split_answered(state, count, alpha):
    """Answered part of ``count`` examples, Binomial(count, α); Bernoulli trials for small counts."""
    if count <= 16:
        answered = 0
        for _ in range(count):
            if next_double(state) < alpha:
                answered += 1
        return answered
    return binomial(state, count, alpha)


_STRIPES = 16


@jit
def interleaved_block(j, n_blocks):
    """The ``j``-th block of the order 0, 16, 32, …, 1, 17, 33, …: a bijection of ``[0, n_blocks)``.

    ``prange`` hands each thread a contiguous range of ``j``; in this order every range holds
    blocks from the whole prompt range, so the head (a Zipf world's first block can hold 80% of
    the examples) and the long tail are shared among the threads. Each block draws from its own
    stream, so the order changes nothing but the balance.
    """
    j = np.int64(j)
    q = np.int64(n_blocks) // _STRIPES
    m = np.int64(n_blocks) % _STRIPES  # stripes r < m hold q + 1 blocks, the others q
    if j < m * (q + 1):
        stripe = j // (q + 1)
        i = j % (q + 1)
    else:
        stripe = m + (j - m * (q + 1)) // q
        i = (j - m * (q + 1)) % q
    return stripe + i * _STRIPES


@jit(parallel=True)
def sample_exact(mu, alpha, alpha_stride, block_size, totals, states, answered_out, idk_out):
    """Fill the per-prompt answered and IDK counts of an exact multinomial sample.

    Block ``b`` must hold exactly ``totals[b]`` examples, multinomially spread over its prompts
    in proportion to ``μ``. It is drawn as independent Poisson counts with mean ``λ μ_c`` where
    ``λ·m_b = n_b − 3√n_b`` (``m_b`` the block's mass); given their sum ``S``, such counts are
    Multinomial(S); a draw with ``S > n_b`` is rejected (this changes only the law of ``S``),
    and ``n_b − S`` further iid categorical draws top the block up to Multinomial(n_b) exactly.
    Each prompt's count is then split into answered and IDK by Binomial(count, α_c).
    """
    n_prompts = mu.shape[0]
    n_blocks = totals.shape[0]
    for j in prange(n_blocks):
        b = interleaved_block(j, n_blocks)
        state = states[b].copy()
        start = b * block_size
        stop = min(start + block_size, n_prompts)
        prefix = np.empty(stop - start + 1)
        prefix[0] = 0.0
        for i in range(start, stop):
            prefix[i - start + 1] = prefix[i - start] + mu[i]
        target = totals[b]
        if target > 0:
            rate = max(target - 3.0 * np.sqrt(target), 0.0) / prefix[stop - start]
            while True:
                drawn = 0
                for i in range(start, stop):
                    k = poisson(state, rate * mu[i])
                    answered_out[i] = k
                    drawn += k
                if drawn <= target:
                    break
            for _ in range(target - drawn):
                answered_out[_categorical(state, prefix, start, stop)] += 1
        for i in range(start, stop):
            count = answered_out[i] if target > 0 else 0
            answered = _split_answered(state, count, alpha[i * alpha_stride]) if count > 0 else 0
            answered_out[i] = answered
            idk_out[i] = count - answered


@jit(parallel=True)
def sample_poisson(mu, alpha, alpha_stride, n, block_size, states, answered_out, idk_out):
    """Poissonised sample: answered ~ Poisson(nμα), IDK ~ Poisson(nμ(1−α)), all independent."""
    n_prompts = mu.shape[0]
    n_blocks = states.shape[0]
    for j in prange(n_blocks):
        b = interleaved_block(j, n_blocks)
        state = states[b].copy()
        start = b * block_size
        stop = min(start + block_size, n_prompts)
        for i in range(start, stop):
            a = alpha[i * alpha_stride]
            answered_out[i] = poisson(state, n * mu[i] * a)
            idk_out[i] = poisson(state, n * mu[i] * (1.0 - a))


@jit(parallel=True)
def fill_answers(key, n_responses, n_stride, first_prompt, out):
    """The realised correct answer ``a_c`` of prompts ``first_prompt, first_prompt + 1, …``, uniform
    on ``R_c`` (Definition 1); the draw depends only on the key and the prompt's global index."""
    for i in prange(out.shape[0]):
        out[i] = counter_uniform_int(key, first_prompt + i, n_responses[i * n_stride])


@jit(parallel=True)
def masked_weight_sums(weights, alpha, alpha_stride, counts, target, block_size, out):
    """Per block: Σ μ_c α_c over prompts whose ``counts`` equal ``target`` (MM when target = 0)."""
    n = weights.shape[0]
    for b in prange(out.shape[0]):
        total = 0.0
        for i in range(b * block_size, min((b + 1) * block_size, n)):
            if counts[i] == target:
                total += weights[i] * alpha[i * alpha_stride]
        out[b] = total


@jit(parallel=True)
def count_equal(counts, target, block_size, out):
    """Per block: the number of entries of ``counts`` equal to ``target``."""
    n = counts.shape[0]
    for b in prange(out.shape[0]):
        k = 0
        for i in range(b * block_size, min((b + 1) * block_size, n)):
            if counts[i] == target:
                k += 1
        out[b] = k
