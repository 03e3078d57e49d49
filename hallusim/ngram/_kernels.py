"""Numba kernels of the n-gram models: padding, counting by radix sort, trie look-up, scoring and
sampling. Kernels never validate and write into preallocated ``out`` arrays; the public layer in
``_counts.py`` and ``_model.py`` checks arguments. Each kernel has a plain-Python reference in
``tests/test_ngram_kernels.py``.

The n-grams of one order are kept sorted by (id of their prefix, last word): the children of a
context are then one contiguous, word-sorted range of the next order, i.e. a trie as in KenLM,
searched by bisection. In the flat ("global") layout all orders are concatenated and the unigram
of word ``w`` has global id ``w``.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from hallusim._jit import jit
from hallusim._rng import next_double

_DIGIT_BITS = 11
_N_BUCKETS = 1 << _DIGIT_BITS


@jit
def pad_sentences(tokens, offsets, n_bos, n_eos, bos, eos, out_tokens, out_offsets):
    """Copy sentences into ``out_tokens`` with ``n_bos`` start and ``n_eos`` end symbols each."""
    n_sent = offsets.size - 1
    j = 0
    out_offsets[0] = 0
    for s in range(n_sent):
        for _ in range(n_bos):
            out_tokens[j] = bos
            j += 1
        for i in range(offsets[s], offsets[s + 1]):
            out_tokens[j] = tokens[i]
            j += 1
        for _ in range(n_eos):
            out_tokens[j] = eos
            j += 1
        out_offsets[s + 1] = j


@jit
def radix_argsort(keys, n_bits, work_keys, order, work_order):
    """Stable LSD radix sort of non-negative int64 ``keys`` (< 2**n_bits), in place.

    On return ``keys`` is sorted and ``order`` holds the original index of each sorted key.
    ``work_keys`` and ``work_order`` are scratch arrays of the same size.
    """
    n = keys.size
    for i in range(n):
        order[i] = i
    mask = np.int64(_N_BUCKETS - 1)
    shift = 0
    src_k, dst_k, src_o, dst_o = keys, work_keys, order, work_order
    passes = 0
    while shift < n_bits:
        count = np.zeros(_N_BUCKETS + 1, dtype=np.int64)
        for i in range(n):
            count[((src_k[i] >> shift) & mask) + 1] += 1
        for b in range(_N_BUCKETS):
            count[b + 1] += count[b]
        for i in range(n):
            d = (src_k[i] >> shift) & mask
            pos = count[d]
            count[d] = pos + 1
            dst_k[pos] = src_k[i]
            dst_o[pos] = src_o[i]
        src_k, dst_k = dst_k, src_k
        src_o, dst_o = dst_o, src_o
        shift += _DIGIT_BITS
        passes += 1
    if passes % 2 == 1:  # the sorted data sit in the work arrays
        for i in range(n):
            keys[i] = work_keys[i]
            order[i] = work_order[i]


@jit
def ngram_keys(tokens, offsets, prev_ids, k, vocab_size, out_keys, out_pos):
    """Keys ``prefix_id * V + last_word`` of every k-gram inside one sentence; returns how many.

    ``prev_ids[i]`` is the id of the (k-1)-gram starting at position ``i``.
    """
    m = 0
    for s in range(offsets.size - 1):
        for i in range(offsets[s], offsets[s + 1] - k + 1):
            out_keys[m] = prev_ids[i] * vocab_size + tokens[i + k - 1]
            out_pos[m] = i
            m += 1
    return m


@jit
def unique_ngrams(sorted_keys, order, positions, prev_ids, vocab_size, out_ids, out_prefix, out_word, out_suffix, out_count):
    """Run-length encode sorted keys into n-grams; returns their number.

    Writes, per n-gram, its prefix id, last word, suffix id (``prev_ids`` one position later) and
    count, and for each position the id of the n-gram starting there (``out_ids``).
    """
    n = sorted_keys.size
    u = -1
    last = np.int64(-1)
    for r in range(n):
        key = sorted_keys[r]
        pos = positions[order[r]]
        if key != last:
            u += 1
            last = key
            out_prefix[u] = key // vocab_size
            out_word[u] = key % vocab_size
            out_suffix[u] = prev_ids[pos + 1]
            out_count[u] = 0
        out_count[u] += 1
        out_ids[pos] = u
    return u + 1


@jit
def find_child(word_of, child_lo, child_hi, parent, word):
    """Global id of n-gram (parent, word), or -1: bisection in the parent's child range."""
    lo = child_lo[parent]
    hi = child_hi[parent]
    while lo < hi:
        mid = (lo + hi) >> 1
        wm = word_of[mid]
        if wm < word:
            lo = mid + 1
        elif wm > word:
            hi = mid
        else:
            return mid
    return -1


@jit
def find_context(word_of, child_lo, child_hi, ctx, start, stop):
    """Global id of the n-gram ``ctx[start:stop]`` (stop > start), or -1 if it is not stored."""
    g = ctx[start]
    for col in range(start + 1, stop):
        g = find_child(word_of, child_lo, child_hi, g, ctx[col])
        if g < 0:
            return -1
    return g


@jit(parallel=True)
def score_backoff(ctx, words, word_of, child_lo, child_hi, prob, bow, out):
    """Backoff-form probabilities ``p(w | ctx)`` of many queries.

    ``p(w | c_1..c_m) = P(c_1..c_m w)`` if that n-gram is stored, else
    ``bow(c_1..c_m) · p(w | c_2..c_m)``; a context that is not stored has ``bow = 1``. Row ``q`` of
    ``ctx`` holds the context right-aligned, -1 where there is no token.
    """
    n_q, m = ctx.shape
    for q in prange(n_q):
        w = words[q]
        p = prob[w]
        for length in range(1, m + 1):
            start = m - length
            if ctx[q, start] < 0:
                break
            g = find_context(word_of, child_lo, child_hi, ctx[q], start, m)
            if g < 0:
                continue
            h = find_child(word_of, child_lo, child_hi, g, w)
            if h >= 0:
                p = prob[h]
            else:
                p = bow[g] * p
        out[q] = p


@jit
def _full_context(ctx_row, word_of, child_lo, child_hi):
    """Global id of the whole context (-2 for the empty context, -1 if not stored)."""
    m = ctx_row.size
    start = m
    while start > 0 and ctx_row[start - 1] >= 0:
        start -= 1
    if start == m:
        return -2
    return find_context(word_of, child_lo, child_hi, ctx_row, start, m)


@jit(parallel=True)
def score_additive(ctx, words, word_of, child_lo, child_hi, count, total, root_total, gamma, n_events, in_events, out):
    """MLE (``gamma = 0``) and Lidstone probabilities from counts, given the full context only.

    ``(c(ctx w) + γ) / (c(ctx ·) + γ|V|)``; with ``γ = 0`` an unseen context gives 0 (as nltk.lm).
    Words outside the event space get 0.
    """
    for q in prange(ctx.shape[0]):
        w = words[q]
        if not in_events[w]:
            out[q] = 0.0
            continue
        g = _full_context(ctx[q], word_of, child_lo, child_hi)
        if g == -2:
            c = count[w]
            t = root_total
        elif g == -1:
            c = 0
            t = 0
        else:
            h = find_child(word_of, child_lo, child_hi, g, w)
            c = count[h] if h >= 0 else 0
            t = total[g]
        denom = t + gamma * n_events
        out[q] = (c + gamma) / denom if denom > 0 else 0.0


@jit
def fill_distribution(ctx_row, backoff, shorten, word_of, child_lo, child_hi, prob, bow, count, total, root_total, gamma, n_events, in_events, out):
    """The model's whole next-word distribution given one right-aligned context, into ``out``.

    For additive models (``backoff`` false) with ``shorten``, an unseen context is shortened until
    it is seen, as nltk.lm's ``generate`` does; without it the result matches ``score_additive``.
    """
    v = out.size
    m = ctx_row.size
    if backoff:
        for w in range(v):
            out[w] = prob[w]
        for length in range(1, m + 1):
            start = m - length
            if ctx_row[start] < 0:
                break
            g = find_context(word_of, child_lo, child_hi, ctx_row, start, m)
            if g < 0 or child_hi[g] == child_lo[g]:
                continue
            b = bow[g]
            for w in range(v):
                out[w] *= b
            for h in range(child_lo[g], child_hi[g]):
                out[word_of[h]] = prob[h]
        return
    start = m
    while start > 0 and ctx_row[start - 1] >= 0:
        start -= 1
    g = -2 if start == m else find_context(word_of, child_lo, child_hi, ctx_row, start, m)
    while shorten and start < m and (g < 0 or total[g] == 0):
        start += 1
        g = -2 if start == m else find_context(word_of, child_lo, child_hi, ctx_row, start, m)
    for w in range(v):
        out[w] = 0.0
    if g == -2:
        t = root_total
        for w in range(v):
            out[w] = count[w]
    elif g == -1:
        t = 0.0
    else:
        t = total[g]
        for h in range(child_lo[g], child_hi[g]):
            out[word_of[h]] = count[h]
    denom = t + gamma * n_events
    for w in range(v):
        out[w] = (out[w] + gamma) / denom if (in_events[w] and denom > 0) else 0.0


@jit
def _sample_index(dist, u):
    total = 0.0
    for w in range(dist.size):
        total += dist[w]
    target = u * total
    acc = 0.0
    last = -1
    for w in range(dist.size):
        if dist[w] > 0.0:
            acc += dist[w]
            last = w
            if acc > target:
                return w
    return last


@jit(parallel=True)
def generate_tokens(prompts, n_words, block_size, states, backoff, word_of, child_lo, child_hi, prob, bow, count, total, root_total, gamma, n_events, in_events, vocab_size, out):
    """Sample ``n_words`` tokens after each right-aligned prompt row; row ``r`` uses the stream of
    block ``r // block_size`` (so the output never depends on the number of threads)."""
    n_rows, m = prompts.shape
    n_blocks = states.shape[0]
    for b in prange(n_blocks):
        state = states[b].copy()
        dist = np.empty(vocab_size, dtype=np.float64)
        window = np.empty(m, dtype=np.int64)
        for r in range(b * block_size, min((b + 1) * block_size, n_rows)):
            for j in range(m):
                window[j] = prompts[r, j]
            for t in range(n_words):
                fill_distribution(window, backoff, True, word_of, child_lo, child_hi, prob, bow, count, total, root_total, gamma, n_events, in_events, dist)
                w = _sample_index(dist, next_double(state))
                out[r, t] = w
                if m > 0:
                    for j in range(m - 1):
                        window[j] = window[j + 1]
                    window[m - 1] = w


@jit
def prediction_windows(tokens, offsets, predict_from, m, out_ctx, out_word, out_owner):
    """One (context, word) query per predicted token: token ``j >= predict_from[s]`` of sequence
    ``s`` with its ``m`` preceding tokens of the same sequence (right-aligned, -1 where none).
    Returns the number of queries written."""
    q = 0
    for s in range(offsets.size - 1):
        lo = offsets[s]
        for j in range(predict_from[s], offsets[s + 1]):
            for col in range(m):
                i = j - m + col
                out_ctx[q, col] = tokens[i] if i >= lo else -1
            out_word[q] = tokens[j]
            out_owner[q] = s
            q += 1
    return q
