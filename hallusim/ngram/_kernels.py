"""Numba kernels of the n-gram models: padding, counting by radix sort, trie look-up, scoring,
sampling and smoothing (the ARPA writer's are in ``_arpa_kernels.py``). Kernels never validate
and write into preallocated ``out`` arrays; the public layer in ``_counts.py`` and ``_model.py``
checks arguments. Each kernel has a plain-Python reference in
``tests/ngram/test_ngram_kernels.py``.

The n-grams of one order are kept sorted by (id of their prefix, last word): the children of a
context are then one contiguous, word-sorted range of the next order, i.e. a trie as in KenLM,
searched by bisection (``_trie_kernels``); when scoring, the children of contexts with many of
them (the frequent words have tens of thousands) are found through a hash table instead
(``find_child_indexed``). In the flat ("global") layout all orders are concatenated and the
unigram of word ``w`` has global id ``w``.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from hallusim._jit import jit
from hallusim._rng import next_double
from hallusim.ngram._trie_kernels import find_child, find_child_indexed, find_context

_DIGIT_BITS = 12
_N_BUCKETS = 1 << _DIGIT_BITS
_N_CHUNKS = 16  # fixed: the sort is stable, so its output never depends on the thread count


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


@jit(parallel=True)
def radix_sort_pairs(keys, payload, lo_bit, n_bits, work_keys, work_payload):
    """Stable LSD radix sort of non-negative int64 ``keys`` (< 2**n_bits) by their bits
    ``lo_bit .. n_bits - 1``, with their ``payload``, in place; ``work_*`` are scratch arrays of
    the same sizes. An empty ``payload`` (and ``work_payload``) sorts the keys alone, as when
    the payload is packed into the low ``lo_bit`` bits of each key.

    Each 12-bit digit costs a parallel histogram pass and a parallel scatter pass over a fixed
    number of chunks, chunk ``c`` writing after chunks ``< c`` in every bucket (so the sort stays
    stable and its output does not depend on the number of threads).
    """
    n = keys.size
    n_pass = (n_bits - lo_bit + _DIGIT_BITS - 1) // _DIGIT_BITS
    with_payload = payload.size > 0
    if n == 0:
        return
    mask = np.int64(_N_BUCKETS - 1)
    size = (n + _N_CHUNKS - 1) // _N_CHUNKS
    hist = np.zeros((_N_CHUNKS, _N_BUCKETS), dtype=np.int64)
    src_k, dst_k, src_p, dst_p = keys, work_keys, payload, work_payload
    in_work = False
    for d in range(n_pass):
        shift = lo_bit + d * _DIGIT_BITS
        for c in prange(_N_CHUNKS):
            for b in range(_N_BUCKETS):
                hist[c, b] = 0
            for i in range(c * size, min(n, (c + 1) * size)):
                hist[c, (src_k[i] >> shift) & mask] += 1
        acc = 0
        skip = False
        for b in range(_N_BUCKETS):
            bucket_total = 0
            for c in range(_N_CHUNKS):
                count = hist[c, b]
                hist[c, b] = acc + bucket_total  # now the chunk's first slot in the bucket
                bucket_total += count
            if bucket_total == n:
                skip = True  # every key has this digit: the pass would not move anything
            acc += bucket_total
        if skip:
            continue
        for c in prange(_N_CHUNKS):
            for i in range(c * size, min(n, (c + 1) * size)):
                key = src_k[i]
                b = (key >> shift) & mask
                pos = hist[c, b]
                hist[c, b] = pos + 1
                dst_k[pos] = key
                if with_payload:
                    dst_p[pos] = src_p[i]
        src_k, dst_k = dst_k, src_k
        src_p, dst_p = dst_p, src_p
        in_work = not in_work
    if in_work:  # the sorted data sit in the work arrays
        for i in prange(n):
            keys[i] = src_k[i]
            if with_payload:
                payload[i] = src_p[i]


@jit(parallel=True)
def ngram_keys(tokens, offsets, prev_ids, k, vocab_size, suffix_payload, payload_bits, out_keys, out_payload):
    """Keys ``prefix_id * V + last_word`` of every k-gram inside one sentence; returns how many.

    ``prev_ids[i]`` is the id of the (k-1)-gram starting at ``i``. The payload of each key is
    where the k-gram starts, or with ``suffix_payload`` the id of its suffix (``prev_ids[i+1]``):
    into ``out_payload``, or with ``payload_bits > 0`` into the low bits of the key itself
    (``key << payload_bits | payload``; ``out_payload`` is then not written). Fixed chunks of
    sentences write after the keys of the chunks before them, so the keys come in the order of
    the text whatever the number of threads.
    """
    n_sent = offsets.size - 1
    size = (n_sent + _N_CHUNKS - 1) // _N_CHUNKS
    chunk_start = np.zeros(_N_CHUNKS + 1, dtype=np.int64)
    for c in prange(_N_CHUNKS):
        n_keys = 0
        for s in range(c * size, min(n_sent, (c + 1) * size)):
            n_keys += max(offsets[s + 1] - offsets[s] - k + 1, 0)
        chunk_start[c + 1] = n_keys
    for c in range(_N_CHUNKS):
        chunk_start[c + 1] += chunk_start[c]
    for c in prange(_N_CHUNKS):
        m = chunk_start[c]
        for s in range(c * size, min(n_sent, (c + 1) * size)):
            for i in range(offsets[s], offsets[s + 1] - k + 1):
                key = np.int64(prev_ids[i]) * vocab_size + tokens[i + k - 1]
                payload = np.int64(prev_ids[i + 1]) if suffix_payload else np.int64(i)
                if payload_bits > 0:
                    out_keys[m] = (key << payload_bits) | payload
                else:
                    out_keys[m] = key
                    out_payload[m] = payload
                m += 1
    return chunk_start[_N_CHUNKS]


@jit(parallel=True)
def count_runs(sorted_keys, payload_bits, out_chunk_starts):
    """Number of distinct keys (runs) before each fixed chunk of ``sorted_keys``, into
    ``out_chunk_starts`` (length ``_N_CHUNKS + 1``; the last entry is the total). The low
    ``payload_bits`` bits of each key are a payload, not part of it."""
    n = sorted_keys.size
    size = (n + _N_CHUNKS - 1) // _N_CHUNKS
    out_chunk_starts[:] = 0
    for c in prange(_N_CHUNKS):
        for r in range(c * size, min(n, (c + 1) * size)):
            if r == 0 or (sorted_keys[r] >> payload_bits) != (sorted_keys[r - 1] >> payload_bits):
                out_chunk_starts[c + 1] += 1
    for c in range(_N_CHUNKS):
        out_chunk_starts[c + 1] += out_chunk_starts[c]


@jit(parallel=True)
def unique_ngrams(sorted_keys, payload, payload_bits, suffix_payload, prev_ids, vocab_size, chunk_starts, out_ids,
                  out_prefix, out_word, out_suffix, out_first):
    """Run-length encode sorted keys into n-grams (``chunk_starts`` from :func:`count_runs`).

    Writes, per n-gram, its prefix id, last word, suffix id and the index of its first key
    (counts are the differences of ``out_first``). The payloads (``payload``, or with
    ``payload_bits > 0`` the low bits of the keys) are start positions — then the suffix is
    ``prev_ids[pos + 1]`` and, unless ``out_ids`` is empty, ``out_ids[pos]`` gets the n-gram's id
    — or, with ``suffix_payload``, the suffix ids themselves. Fixed chunks keep the result
    independent of the thread count.
    """
    n = sorted_keys.size
    write_ids = out_ids.size > 0
    size = (n + _N_CHUNKS - 1) // _N_CHUNKS
    low = (np.int64(1) << payload_bits) - 1
    for c in prange(_N_CHUNKS):
        u = chunk_starts[c] - 1
        for r in range(c * size, min(n, (c + 1) * size)):
            key = sorted_keys[r] >> payload_bits
            pos = sorted_keys[r] & low if payload_bits > 0 else np.int64(payload[r])
            if r == 0 or key != (sorted_keys[r - 1] >> payload_bits):
                u += 1
                out_prefix[u] = key // vocab_size
                out_word[u] = key % vocab_size
                out_suffix[u] = pos if suffix_payload else prev_ids[pos + 1]
                out_first[u] = r
            if write_ids:
                out_ids[pos] = u


@jit
def compact_runs(sorted_keys, payload_bits, out_first):
    """Move the first key of each run of equal keys (the low ``payload_bits`` bits are a payload,
    the same within a run) to the front of ``sorted_keys``, in place, and its index into
    ``out_first``: :func:`unique_ngrams` of the last order, whose payloads are the suffix ids,
    without its output arrays beside the keys. In order, a key is only ever written to a place
    at or before its own, so every key is read before it is overwritten."""
    u = -1
    previous = np.int64(-1)
    for r in range(sorted_keys.size):
        key = sorted_keys[r] >> payload_bits
        if r == 0 or key != previous:
            u += 1
            sorted_keys[u] = sorted_keys[r]
            out_first[u] = r
            previous = key
    return u + 1


@jit(parallel=True)
def split_keys(keys, payload_bits, vocab_size, out_prefix, out_word, out_suffix):
    """Prefix id, last word and suffix id (the payload) of each key ``(prefix · V + word) <<
    payload_bits | suffix``."""
    low = (np.int64(1) << payload_bits) - 1
    for i in prange(keys.size):
        key = keys[i] >> payload_bits
        out_prefix[i] = key // vocab_size
        out_word[i] = key % vocab_size
        out_suffix[i] = keys[i] & low


@jit
def count_values(values, out):
    """Histogram of non-negative ints into ``out`` (zeroed by the caller): ``out[min(v, out.size -
    1)] += 1`` for each value ``v``. This is ``np.bincount`` of the clipped values without the
    int64 copy it makes of int32 ``values`` (a fresh array to fault in, 4x this loop's time)."""
    top = out.size - 1
    for i in range(values.size):
        out[min(values[i], top)] += 1


@jit
def child_ranges(prefix, shift, out_lo, out_hi):
    """The children of every n-gram of one order, from the next order's ``prefix`` ids (sorted):
    parent ``p`` has children ``out_lo[p] .. out_hi[p] - 1``, numbered from ``shift`` (0 for ids
    within the next order, its offset for global ids)."""
    j = 0
    for p in range(out_lo.size):
        out_lo[p] = j + shift
        while j < prefix.size and prefix[j] == p:
            j += 1
        out_hi[p] = j + shift


@jit(parallel=True)
def score_backoff(ctx, words, index, bits, min_children, word_of, child_lo, child_hi, prob, bow, out):
    """Backoff-form probabilities ``p(w | ctx)`` of many queries.

    ``p(w | c_1..c_m) = P(c_1..c_m w)`` if that n-gram is stored, else
    ``bow(c_1..c_m) · p(w | c_2..c_m)``; a context that is not stored has ``bow = 1``. Row ``q`` of
    ``ctx`` holds the context right-aligned, -1 where there is no token. Children are found
    through the child index ``index`` (:func:`find_child_indexed`).
    """
    n_q, m = ctx.shape
    for q in prange(n_q):
        w = words[q]
        p = prob[w]
        for length in range(1, m + 1):
            start = m - length
            if ctx[q, start] < 0:
                break
            g = ctx[q, start]
            for col in range(start + 1, m):
                g = find_child_indexed(index, bits, min_children, word_of, child_lo, child_hi, g, ctx[q, col])
                if g < 0:
                    break
            if g < 0:
                continue
            h = find_child_indexed(index, bits, min_children, word_of, child_lo, child_hi, g, w)
            if h >= 0:
                p = prob[h]
            else:
                p = bow[g] * p
        out[q] = p


@jit(parallel=True)
def logscore_sentences_backoff(tokens, offsets, n_bos, n_eos, bos, eos, m, suffix_closed, index, bits, min_children,
                               word_of, child_lo, child_hi, prob, bow, out):
    """``log2 p(sentence)`` of each sentence, every word scored as in :func:`score_backoff`.

    Sentence ``s`` is ``tokens[offsets[s]:offsets[s+1]]``, read after ``n_bos`` start symbols (not
    predicted) and followed by ``n_eos`` end symbols (predicted). Walking a sentence keeps the
    trie node of each context length (KenLM's state): after word ``w``, the length-``L``
    context is the child ``w`` of the length-``L - 1`` context before it, which scoring ``w``
    looked up anyway; so a word costs at most ``m`` look-ups and no context is searched from
    the root. With ``suffix_closed`` (every stored n-gram's suffix is stored, as in any fitted
    model), once ``c_2..c_m w`` is not stored neither is ``c_1..c_m w``: the longer contexts
    only contribute their backoff weights and are not searched (KenLM stops there too).
    """
    n_sent = offsets.size - 1
    for s in prange(n_sent):
        nodes = np.full(m + 1, -1, dtype=np.int64)  # nodes[L]: the last L tokens' n-gram, -1 if not stored
        children = np.empty(m + 1, dtype=np.int64)
        lo, hi = offsets[s], offsets[s + 1]
        total = 0.0
        for j in range(lo - n_bos, hi + n_eos):
            w = bos if j < lo else (tokens[j] if j < hi else eos)
            p = prob[w]
            searching = True
            for length in range(1, m + 1):
                g = nodes[length]
                child = -1
                if g >= 0:
                    if searching:
                        child = find_child_indexed(index, bits, min_children, word_of, child_lo, child_hi, g, w)
                    if child >= 0:
                        p = prob[child]
                    else:
                        p = bow[g] * p
                        searching = not suffix_closed
                children[length] = child
            if j >= lo:
                total += np.log2(p)
            for length in range(m, 1, -1):
                nodes[length] = children[length - 1]
            if m:
                nodes[1] = w
        out[s] = total


@jit
def _context_start(ctx_row):
    """First column of the context in a right-aligned row (``ctx_row.size`` when it is empty)."""
    start = ctx_row.size
    while start > 0 and ctx_row[start - 1] >= 0:
        start -= 1
    return start


@jit
def _context_id(ctx_row, start, word_of, child_lo, child_hi):
    """Global id of the context ``ctx_row[start:]`` (-2 when empty, -1 if not stored)."""
    if start == ctx_row.size:
        return -2
    return find_context(word_of, child_lo, child_hi, ctx_row, start, ctx_row.size)


@jit
def _additive(c, t, gamma, n_events):
    """Lidstone's ``(c + γ) / (t + γ|V|)`` (MLE for ``γ = 0``), 0 when the denominator is 0."""
    denom = t + gamma * n_events
    return (c + gamma) / denom if denom > 0 else 0.0


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
        g = _context_id(ctx[q], _context_start(ctx[q]), word_of, child_lo, child_hi)
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
        out[q] = _additive(c, t, gamma, n_events)


@jit
def fill_distribution(ctx_row, backoff, shorten, word_of, child_lo, child_hi, prob, bow, count, total, root_total, gamma, n_events, in_events, out):
    """The model's whole next-word distribution given one right-aligned context, into ``out``.

    For additive models (``backoff`` false) the result matches ``score_additive``, except that
    with ``shorten`` an MLE model (``gamma = 0``), whose distribution after an unseen context is
    all zero, shortens that context until it is seen, as nltk.lm's ``generate`` does. Lidstone
    (``gamma > 0``) always has a distribution (uniform after an unseen context) and keeps it.
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
    start = _context_start(ctx_row)
    g = _context_id(ctx_row, start, word_of, child_lo, child_hi)
    all_zero_if_unseen = gamma * n_events <= 0.0  # MLE: no mass without counts
    while shorten and all_zero_if_unseen and start < m and (g == -1 or (g >= 0 and total[g] == 0)):
        start += 1
        g = _context_id(ctx_row, start, word_of, child_lo, child_hi)
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
    for w in range(v):
        out[w] = _additive(out[w], t, gamma, n_events) if in_events[w] else 0.0


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


WITTEN_BELL, DISCOUNTED, MODIFIED = 0, 1, 2


@jit
def _discount(x, method, d1, d2, d3):
    if x <= 0:
        return 0.0
    if method == MODIFIED:
        return d1 if x == 1 else (d2 if x == 2 else d3)
    return min(d1, x)


@jit(parallel=True)
def interpolate_level(a, child_lo, child_hi, shift, suffix, prob_lower, method, d1, d2, d3, out_prob, out_bow):
    """One order of an interpolated model in backoff form (Chen & Goodman's recursion).

    For every context ``g`` (children ``[child_lo[g] - shift, child_hi[g] - shift)`` of this
    order, ``shift`` turning global ids into this order's; counts ``a`` as used by the method):
    ``P(g w) = α(g w) + γ(g)·P(suffix)`` into ``out_prob`` and ``bow(g) = γ(g)`` into ``out_bow`` (1 for a context without children or with zero counts).
    Witten–Bell: ``α = a/(Σa + T)``, ``γ = T/(Σa + T)`` with ``T`` the number of seen words;
    discounting: ``α = (a − D(a))/Σa``, ``γ = Σ D(a)/Σa``.
    """
    for g in prange(child_lo.size):
        lo = child_lo[g] - shift
        hi = child_hi[g] - shift
        if lo == hi:
            out_bow[g] = 1.0
            continue
        denom = 0.0
        types = 0.0
        gamma_num = 0.0
        for h in range(lo, hi):
            x = a[h]
            denom += x
            if x > 0:
                types += 1.0
                gamma_num += _discount(x, method, d1, d2, d3)
        if method == WITTEN_BELL:
            norm = denom + types
            gamma_num = types
        else:
            norm = denom
        if norm <= 0.0:
            for h in range(lo, hi):
                out_prob[h] = prob_lower[suffix[h]]
            out_bow[g] = 1.0
            continue
        gamma = gamma_num / norm
        for h in range(lo, hi):
            x = a[h]
            kept = x if method == WITTEN_BELL else x - _discount(x, method, d1, d2, d3)
            out_prob[h] = kept / norm + gamma * prob_lower[suffix[h]]
        out_bow[g] = gamma
