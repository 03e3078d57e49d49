"""The n-gram kernels against plain-Python references (py_func and dict-based counting)."""

import math
from collections import Counter

import numpy as np
import pytest

from hallusim.ngram import _arpa_kernels as arpa_kernels
from hallusim.ngram import _kernels as kernels
from hallusim.ngram import _trie_kernels as trie_kernels
from hallusim.ngram import count_ngrams
from hallusim.ngram._counts import index_dtype, pad_corpus
from hallusim.ngram._smoothing import build_tables, child_index


def _random_corpus(rng, n_sent, vocab_size, max_len):
    lengths = rng.integers(0, max_len + 1, n_sent)
    lengths[0] = max(lengths[0], 1)
    tokens = rng.integers(3, vocab_size, int(lengths.sum())).astype(np.int64)
    offsets = np.r_[0, np.cumsum(lengths)].astype(np.int64)
    return tokens, offsets


def test_radix_sort_matches_a_stable_argsort_and_its_py_func():
    rng = np.random.default_rng(1)
    for bits, size in ((1, 3000), (11, 3000), (12, 5), (13, 3000), (23, 3001), (40, 3000), (62, 3000), (5, 0)):
        keys = rng.integers(0, 2**bits, size, dtype=np.int64)
        keys[: size // 3] = keys[0] if size else 0  # ties
        expected = np.argsort(keys, kind="stable")
        for kernel in (kernels.radix_sort_pairs, kernels.radix_sort_pairs.py_func):
            k = keys.copy()
            payload = np.arange(k.size, dtype=np.int64)
            kernel(k, payload, 0, bits, np.empty_like(k), np.empty_like(k))
            np.testing.assert_array_equal(payload, expected)
            np.testing.assert_array_equal(k, keys[expected])
            # keys alone, sorted by their bits from lo_bit on (the low bits ride along, stably)
            lo_bit = bits // 2
            k = keys.copy()
            none = np.empty(0, dtype=np.int64)
            kernel(k, none, lo_bit, bits, np.empty_like(k), none)
            np.testing.assert_array_equal(k, keys[np.argsort(keys >> lo_bit, kind="stable")])


def _dict_counts(tokens, offsets, order):
    counts = Counter()
    for s in range(offsets.size - 1):
        sent = tuple(tokens[offsets[s]:offsets[s + 1]].tolist())
        for k in range(1, order + 1):
            for i in range(len(sent) - k + 1):
                counts[sent[i:i + k]] += 1
    return counts


def _trie_counts(counts):
    """Reconstruct {ngram tuple: count} from the trie (via prefixes) and check suffix links."""
    out = {}
    tuples = [[(w,) for w in counts.word[0]]]
    for w, c in zip(counts.word[0], counts.count[0]):
        if c:
            out[(int(w),)] = int(c)
    for k in range(2, counts.order + 1):
        level = []
        for p, w, s, c in zip(counts.prefix[k - 1], counts.word[k - 1], counts.suffix[k - 1], counts.count[k - 1]):
            t = tuples[-1][p] + (int(w),)
            assert tuples[-1][s] == t[1:], "suffix link"
            level.append(t)
            out[t] = int(c)
        keys = [(p, w) for p, w in zip(counts.prefix[k - 1], counts.word[k - 1])]
        assert keys == sorted(keys), "n-grams sorted by (prefix, word)"
        tuples.append(level)
    return out


@pytest.mark.parametrize("padding", ["none", "nltk", "sentence"])
def test_counting_matches_a_dict_of_everygrams(padding):
    rng = np.random.default_rng(2)
    tokens, offsets = _random_corpus(rng, 60, 9, 7)
    order = 5
    counts = count_ngrams(tokens, offsets, order, 9, padding)
    padded, poffsets = pad_corpus(tokens, offsets, order, padding)
    expected = _dict_counts(padded, poffsets, order)
    if padding == "sentence":  # the leading <s> is a context, not a unigram event
        expected[(1,)] -= offsets.size - 1
        if expected[(1,)] == 0:
            del expected[(1,)]
    assert _trie_counts(counts) == dict(expected)


def test_counting_a_padded_corpus_lets_its_ids_go_before_the_last_order(monkeypatch):
    import weakref

    from hallusim.ngram import _counts

    rng = np.random.default_rng(5)
    tokens, offsets = _random_corpus(rng, 50, 9, 7)
    padded = list(pad_corpus(tokens, offsets, 3, "sentence"))
    ids = weakref.ref(padded[0])
    alive = []
    real = _counts.kernels.radix_sort_pairs

    def recording(*args):
        alive.append(ids() is not None)
        return real(*args)

    monkeypatch.setattr(_counts.kernels, "radix_sort_pairs", recording)
    counts = _counts.count_padded_ngrams(padded, 3, 9, "sentence")
    assert padded == [] and alive == [True, False]  # held for the bigrams, gone before the trigrams' sort
    assert _trie_counts(counts) == _trie_counts(count_ngrams(tokens, offsets, 3, 9, "sentence"))


@pytest.mark.parametrize("smoothing", ["kneser_ney", "witten_bell"])
def test_tables_built_letting_the_links_go_are_the_same(smoothing):
    rng = np.random.default_rng(8)
    tokens, offsets = _random_corpus(rng, 300, 300, 9)
    kept, released = (count_ngrams(tokens, offsets, 3, 300, "sentence") for _ in range(2))
    a, _ = build_tables(kept, smoothing, discount=0.7)
    b, _ = build_tables(released, smoothing, discount=0.7, release=True)
    for name in ("offsets", "word_of", "child_lo", "child_hi", "prob", "bow", "count"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert released.prefix is None and released.suffix[1:] == [None, None]
    assert kept.prefix[2].size and kept.suffix[2].size


def test_counting_with_payloads_apart_gives_the_counts_of_packed_payloads(monkeypatch):
    from hallusim.ngram import _counts

    rng = np.random.default_rng(9)
    tokens, offsets = _random_corpus(rng, 80, 11, 9)
    packed = count_ngrams(tokens, offsets, 4, 11, "sentence")
    monkeypatch.setattr(_counts, "_KEY_BITS", 0)  # no key holds its payload: the sort carries them apart
    apart = count_ngrams(tokens, offsets, 4, 11, "sentence")
    assert _trie_counts(apart) == _trie_counts(packed)
    for name in ("word", "prefix", "suffix", "count"):
        for a, b in zip(getattr(apart, name), getattr(packed, name)):
            np.testing.assert_array_equal(a, b)


def test_first_words_and_children_follow_the_trie():
    rng = np.random.default_rng(10)
    tokens, offsets = _random_corpus(rng, 40, 6, 7)
    counts = count_ngrams(tokens, offsets, 3, 6, "none")
    grams = [[(int(w),) for w in counts.word[0]]]
    for k in (2, 3):  # each n-gram is its prefix (k-1)-gram and its last word
        grams.append([grams[-1][p] + (int(w),) for p, w in zip(counts.prefix[k - 1], counts.word[k - 1])])
    for k in (1, 2, 3):
        assert counts.first_words(k).tolist() == [g[0] for g in grams[k - 1]]
        lo, hi = counts.children(k)
        for i, g in enumerate(grams[k - 1]):
            below = [j for j, c in enumerate(grams[k]) if c[:-1] == g] if k < 3 else []
            assert list(range(lo[i], hi[i])) == below
    for bad in (0, 4, 1.5):
        for method in (counts.first_words, counts.children):
            with pytest.raises((ValueError, TypeError), match="`k` must be"):
                method(bad)


def test_pad_sentences_py_func_agrees():
    tokens = np.array([5, 6, 7, 8], dtype=np.int64)
    offsets = np.array([0, 1, 1, 4], dtype=np.int64)
    results = []
    for kernel in (kernels.pad_sentences, kernels.pad_sentences.py_func):
        out = np.empty(4 + 3 * 4, dtype=np.int64)
        out_off = np.empty(4, dtype=np.int64)
        kernel(tokens, offsets, 2, 2, 1, 2, out, out_off)
        results.append((out.tolist(), out_off.tolist()))
    assert results[0] == results[1]
    assert results[0][0] == [1, 1, 5, 2, 2, 1, 1, 2, 2, 1, 1, 6, 7, 8, 2, 2]


def _tables_for(smoothing, seed=3):
    rng = np.random.default_rng(seed)
    tokens, offsets = _random_corpus(rng, 80, 8, 6)
    counts = count_ngrams(tokens, offsets, 3, 8, "sentence")
    tables, _ = build_tables(counts, smoothing, gamma=0.5, discount=0.7)
    return tables


@pytest.mark.parametrize("min_children", [0, 2, 5])
def test_child_index_finds_every_child_bisection_finds_and_no_other(min_children):
    t = _tables_for("kneser_ney")
    index, bits, _ = child_index(t, min_children)
    reference = np.full(index.size, -1, dtype=index.dtype)
    with np.errstate(over="ignore"):
        trie_kernels.build_child_index.py_func(t.word_of, t.child_lo, t.child_hi, min_children, bits, reference)
    np.testing.assert_array_equal(index, reference)
    n_children = t.child_hi - t.child_lo
    assert (index >= 0).sum() == n_children[n_children > min_children].sum() <= index.size // 2
    for parent in range(t.child_lo.size):
        for word in range(-1, 10):  # every word of the vocabulary (8) and two that are not in it
            expected = trie_kernels.find_child(t.word_of, t.child_lo, t.child_hi, parent, word)
            args = (index, bits, min_children, t.word_of, t.child_lo, t.child_hi, parent, word)
            assert trie_kernels.find_child_indexed(*args) == expected
            with np.errstate(over="ignore"):
                assert trie_kernels.find_child_indexed.py_func(*args) == expected


def test_sentence_kernel_matches_its_py_func_and_stops_at_a_miss_only_when_that_is_exact():
    rng = np.random.default_rng(6)
    tokens, offsets = _random_corpus(rng, 60, 8, 7)
    t = _tables_for("kneser_ney")
    index, bits, _ = child_index(t, 3)
    results = []
    for suffix_closed in (True, False):  # a fitted model is suffix-closed: stopping changes nothing
        for kernel in (kernels.logscore_sentences_backoff, kernels.logscore_sentences_backoff.py_func):
            out = np.empty(offsets.size - 1)
            with np.errstate(over="ignore"):
                kernel(tokens, offsets, 1, 1, 1, 2, 2, suffix_closed, index, bits, 3, t.word_of, t.child_lo, t.child_hi,
                       t.prob, t.bow, out)
            results.append(out)
    for out in results[1:]:
        np.testing.assert_array_equal(out, results[0])


def test_scoring_kernels_match_their_py_func():
    rng = np.random.default_rng(4)
    ctx = rng.integers(-1, 8, (400, 2)).astype(np.int64)
    ctx[ctx[:, 1] < 0, 0] = -1  # right-aligned: no hole after a token
    ctx[:, 1] = np.where(ctx[:, 1] < 0, 3, ctx[:, 1])
    words = rng.integers(0, 8, 400).astype(np.int64)
    t = _tables_for("kneser_ney")
    a, b = np.empty(400), np.empty(400)
    for min_children in (0, 3, 10**9):  # every context, some, or none looked up by hash
        index, bits, _ = child_index(t, min_children)
        args = (ctx, words, index, bits, min_children, t.word_of, t.child_lo, t.child_hi, t.prob, t.bow)
        kernels.score_backoff(*args, a)
        with np.errstate(over="ignore"):  # the hash's uint64 products wrap, as in the kernel
            kernels.score_backoff.py_func(*args, b)
        np.testing.assert_array_equal(a, b)
        if min_children == 0:
            hashed = a.copy()
    np.testing.assert_array_equal(a, hashed)  # bisection everywhere finds the same n-grams
    t = _tables_for("lidstone")
    args = (t.word_of, t.child_lo, t.child_hi, t.count, t.total, t.root_total, 0.5, t.n_events, t.in_events)
    kernels.score_additive(ctx, words, *args, a)
    kernels.score_additive.py_func(ctx, words, *args, b)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("smoothing,gamma", [("kneser_ney", 0.0), ("lidstone", 0.5), ("mle", 0.0)])
def test_distribution_kernel_matches_its_py_func_and_the_scoring_kernels(smoothing, gamma):
    t = _tables_for(smoothing)
    backoff = smoothing == "kneser_ney"
    words = np.arange(8, dtype=np.int64)
    contexts = [[-1, -1], [-1, 3], [4, 5], [7, 7], [1, 3], [6, 0]]
    for row in contexts:
        ctx = np.array(row, dtype=np.int64)
        for shorten in (False, True):
            a, b = np.empty(8), np.empty(8)
            args = (ctx, backoff, shorten, t.word_of, t.child_lo, t.child_hi, t.prob, t.bow, t.count, t.total,
                    t.root_total, gamma, t.n_events, t.in_events)
            kernels.fill_distribution(*args, a)
            kernels.fill_distribution.py_func(*args, b)
            np.testing.assert_array_equal(a, b)
            scores = np.empty(8)
            if backoff:
                kernels.score_backoff(np.tile(ctx, (8, 1)), words, *t.child_index, t.word_of,
                                      t.child_lo, t.child_hi, t.prob, t.bow, scores)
            else:
                kernels.score_additive(np.tile(ctx, (8, 1)), words, t.word_of, t.child_lo, t.child_hi, t.count, t.total,
                                 t.root_total, gamma, t.n_events, t.in_events, scores)
            if not shorten or gamma > 0 or backoff or scores.sum() > 0:
                np.testing.assert_allclose(a, scores, rtol=1e-14, atol=0)  # only MLE after an unseen context shortens
            else:
                assert a.sum() == pytest.approx(1.0)


def test_generation_kernel_matches_py_func_and_thread_count():
    t = _tables_for("witten_bell")
    prompts = np.tile(np.array([[1, 3]], dtype=np.int64), (300, 1))
    states = np.arange(2 * 4, dtype=np.uint64).reshape(2, 4) + np.uint64(1)
    outs = []
    for kernel in (kernels.generate_tokens, kernels.generate_tokens.py_func):
        out = np.empty((300, 5), dtype=np.int64)
        kernel(prompts, 5, 256, states.copy(), True, t.word_of, t.child_lo, t.child_hi, t.prob, t.bow, t.count,
               t.total, t.root_total, 0.0, t.n_events, t.in_events, 8, out)
        outs.append(out)
    np.testing.assert_array_equal(outs[0], outs[1])


@pytest.mark.parametrize("last", [False, True])
def test_key_and_run_length_kernels_match_their_py_func_with_payloads_apart_and_packed(last):
    rng = np.random.default_rng(6)
    tokens, offsets = _random_corpus(rng, 50, 7, 6)
    outs = []
    kernel_sets = ((kernels.ngram_keys, kernels.count_runs, kernels.unique_ngrams),
                   (kernels.ngram_keys.py_func, kernels.count_runs.py_func, kernels.unique_ngrams.py_func))
    for (keys_k, runs_k, unique_k), payload_bits in [(ks, b) for ks in kernel_sets for b in (0, 9)]:
        keys = np.empty(tokens.size, dtype=np.int64)
        payload = np.empty(tokens.size if payload_bits == 0 else 0, dtype=np.int64)
        m = keys_k(tokens, offsets, tokens, 2, 7, last, payload_bits, keys, payload)
        order = np.argsort(keys[:m] >> payload_bits, kind="stable")
        keys, payload = keys[:m][order], payload[:m][order] if payload_bits == 0 else payload
        chunk_starts = np.empty(kernels._N_CHUNKS + 1, dtype=np.int64)
        runs_k(keys, payload_bits, chunk_starts)
        u = int(chunk_starts[-1])
        arrays = [np.full(0 if last else tokens.size, -1, dtype=np.int64)] + [np.empty(u + 1, dtype=np.int64) for _ in range(4)]
        unique_k(keys, payload, payload_bits, last, tokens, 7, chunk_starts, *arrays)
        outs.append([u] + [a.tolist() for a in arrays[:1]] + [a[:u].tolist() for a in arrays[1:]])
        if last and payload_bits:  # the last order's compacted runs give the same n-grams
            for compact, split in ((kernels.compact_runs, kernels.split_keys),
                                   (kernels.compact_runs.py_func, kernels.split_keys.py_func)):
                compacted, first = keys.copy(), np.empty(u + 1, dtype=np.int64)
                assert compact(compacted, payload_bits, first) == u
                split_out = [np.empty(u, dtype=np.int64) for _ in range(3)]
                split(compacted[:u], payload_bits, 7, *split_out)
                assert [a.tolist() for a in split_out] + [first[:u].tolist()] == outs[-1][2:]
    assert all(out == outs[0] for out in outs[1:])
    assert outs[0][0] == len({(a, b) for s in range(offsets.size - 1)
                              for a, b in zip(tokens[offsets[s]:offsets[s + 1] - 1], tokens[offsets[s] + 1:offsets[s + 1]])})


def test_window_and_interpolation_kernels_match_their_py_func():
    tokens = np.array([1, 5, 6, 7, 2, 1, 6, 2], dtype=np.int64)
    offsets = np.array([0, 5, 8], dtype=np.int64)
    starts = np.array([1, 6], dtype=np.int64)
    results = []
    for kernel in (kernels.prediction_windows, kernels.prediction_windows.py_func):
        ctx, word, owner = np.empty((6, 2), dtype=np.int64), np.empty(6, dtype=np.int64), np.empty(6, dtype=np.int64)
        q = kernel(tokens, offsets, starts, 2, ctx, word, owner)
        results.append((q, ctx.tolist(), word.tolist(), owner.tolist()))
    assert results[0] == results[1]
    assert results[0][0] == 6 and results[0][1][0] == [-1, 1] and results[0][1][4] == [-1, 1]
    assert results[0][2] == [5, 6, 7, 2, 6, 2] and results[0][3] == [0, 0, 0, 0, 1, 1]
    t = _tables_for("kneser_ney")  # fills every order through interpolate_level
    counts = count_ngrams(*_random_corpus(np.random.default_rng(3), 80, 8, 6), 3, 8, "sentence")
    lo, hi = counts.children(2)
    a = counts.count[2]
    lower = t.prob[t.offsets[1]:t.offsets[2]]
    outs = []
    for method in (kernels.WITTEN_BELL, kernels.DISCOUNTED, kernels.MODIFIED):
        for kernel in (kernels.interpolate_level, kernels.interpolate_level.py_func):
            prob, bow = np.empty(a.size), np.empty(lo.size)
            kernel(a, lo + 7, hi + 7, 7, counts.suffix[2], lower, method, 0.5, 1.0, 1.5, prob, bow)  # ids shifted by 7
            outs.append((prob, bow))
        np.testing.assert_array_equal(outs[-2][0], outs[-1][0])
        np.testing.assert_array_equal(outs[-2][1], outs[-1][1])


def test_index_dtype_holds_every_index_below_its_bound():
    for n in (0, 1, 2**31 - 2, 2**31 - 1, 2**40):
        dtype = index_dtype(n)
        assert np.iinfo(dtype).max >= n  # every id below n, and n itself (an end offset), fits
    assert index_dtype(2**31 - 2) == np.int32 and index_dtype(2**31 - 1) == np.int64


def test_arpa_line_kernels_match_their_py_func():
    from hallusim.ngram._float_text import _POW10, _POW_E, _POW_F, STRIDE

    t = _tables_for("kneser_ney")
    parents = []
    for kernel in (arpa_kernels.fill_parents, arpa_kernels.fill_parents.py_func):
        parent = np.full(t.offsets[-1], -1, dtype=t.word_of.dtype)
        kernel(t.child_lo, t.child_hi, 0, int(t.offsets[-2]), 0, parent)
        parents.append(parent)
        for lo in (int(t.offsets[1]) + 3, int(t.offsets[2]) + 2):  # windows of bigram and trigram ids
            window = np.full(5, -1, dtype=t.word_of.dtype)
            kernel(t.child_lo, t.child_hi, 0, int(t.offsets[-2]), lo, window)
            np.testing.assert_array_equal(window, parent[lo:lo + 5])
    np.testing.assert_array_equal(parents[0], parents[1])
    for g in range(int(t.offsets[-2])):  # every child names its context, and nothing else does
        assert np.all(parents[0][t.child_lo[g]:t.child_hi[g]] == g)
    assert np.all(parents[0][:t.offsets[1]] == -1)
    word_off = np.arange(0, 2 * 9, 2, dtype=np.int64)  # word w is the two bytes "a<w>"
    word_buf = np.array([c for w in range(8) for c in (97, 48 + w)], dtype=np.uint8)
    lo, k = int(t.offsets[1]), 2
    n = int(t.offsets[2]) - lo
    lines = []
    for lengths_kernel, lines_kernel in ((arpa_kernels.arpa_line_lengths, arpa_kernels.write_arpa_lines),
                                         (arpa_kernels.arpa_line_lengths.py_func, arpa_kernels.write_arpa_lines.py_func)):
        cols, text = np.empty((n, k), dtype=t.word_of.dtype), np.zeros(2 * STRIDE * n, dtype=np.uint8)
        prob_len, bow_len, starts = np.empty(n, np.int64), np.empty(n, np.int64), np.zeros(n + 1, np.int64)
        lengths_kernel(t.prob, t.bow, True, -99.0, True, t.word_of, t.child_lo, t.child_hi, parents[0], parents[0][lo:], lo,
                       word_off, _POW_F, _POW_E, _POW10, cols, text, prob_len, bow_len, starts[1:])
        np.cumsum(starts, out=starts)
        out = np.empty(starts[-1], dtype=np.uint8)
        lines_kernel(text, prob_len, bow_len, cols, word_buf, word_off, starts, out)
        lines.append(out.tobytes().decode("ascii").splitlines())
    assert lines[0] == lines[1] and len(lines[0]) == n
    # "<log10 p>\t<w1> <w2>[\t<log10 bow>]", read back as written. The kernels take log10 from the C
    # library, as math.log10 does; numpy's own (SIMD) log10 may differ from it in the last bit.
    for i, line in enumerate(lines[0]):
        g = lo + i
        fields = line.split("\t")
        assert float(fields[0]) == math.log10(t.prob[g])
        assert fields[1] == f"a{t.word_of[parents[0][g]]} a{t.word_of[g]}"
        has_children = t.child_hi[g] > t.child_lo[g]
        assert len(fields) == (3 if has_children else 2)
        if has_children:
            assert float(fields[2]) == math.log10(t.bow[g])


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_count_values_is_bincount_of_the_clipped_values(dtype):
    rng = np.random.default_rng(11)
    values = rng.integers(0, 40, 500).astype(dtype)
    for kernel in (kernels.count_values, kernels.count_values.py_func):
        full, clipped = np.zeros(40, dtype=np.int64), np.zeros(6, dtype=np.int32)
        kernel(values, full)
        kernel(values, clipped)
        np.testing.assert_array_equal(full, np.bincount(values, minlength=40))
        np.testing.assert_array_equal(clipped, np.bincount(np.minimum(values, 5), minlength=6))


def test_child_ranges_give_each_parent_its_run_of_the_sorted_prefixes():
    rng = np.random.default_rng(12)
    n_parent = 30
    prefix = np.sort(rng.integers(0, n_parent, 200)).astype(np.int32)  # some parents have no child
    for kernel in (kernels.child_ranges, kernels.child_ranges.py_func):
        lo, hi = np.empty(n_parent, dtype=np.int64), np.empty(n_parent, dtype=np.int64)
        kernel(prefix, 7, lo, hi)
        for p in range(n_parent):
            assert list(range(lo[p] - 7, hi[p] - 7)) == np.flatnonzero(prefix == p).tolist()
