"""Benchmark: counting + fitting trigram models, and batch scoring, against nltk.lm and Counter.

Run:  python benchmarks/bench_ngram.py [--tokens 10000000] [--repeats 3]

* Fit: hallusim's ``NgramModel(3, ...).fit`` on a bounded Zipf(1.1) corpus of int token ids
  (``--tokens`` tokens, 20-token sentences, vocabulary 50,000), with all Numba threads and with one, against ``collections.Counter`` over the
  token tuples of orders 1–3 (the same sentences, ints) and ``nltk.lm``'s ``fit`` (strings,
  ``padded_everygram_pipeline``). nltk.lm is far too slow (and memory-hungry) for 10^7 tokens, so
  it is timed on a prefix and compared in tokens per second; the output says so.
* Scoring: 10^6 (context, word) pairs of held-out text with Witten–Bell (the same model in both:
  ``padding="nltk"``, ``uniform_base=False``), against nltk.lm's ``score`` on a prefix of the
  pairs, compared in pairs per second.

JIT compilation is done first and reported apart; every figure is the median of ``--repeats`` runs
(default 5). Counter and nltk.lm run in one thread; the output says how many hallusim uses.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections import Counter

import numba
import numpy as np

from hallusim.ngram import NgramModel


def _median_time(func, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _corpus(n_tokens, seed=0, vocab=50_000, length=20):
    """Bounded Zipf(1.1) over the ``vocab - 3`` ordinary ids (``p ∝ 1/k^1.1``, k = 1..vocab-3), so
    no id collects the clipped tail (clipping an unbounded Zipf put 31.8% of tokens on one id)."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, vocab - 2, dtype=np.float64) ** 1.1
    tokens = rng.choice(np.arange(3, vocab, dtype=np.int64), size=n_tokens, p=weights / weights.sum())
    offsets = np.arange(0, n_tokens + 1, length, dtype=np.int64)
    if offsets[-1] != n_tokens:
        offsets = np.r_[offsets, n_tokens]
    return tokens, offsets


def _counter_fit(tokens, offsets):
    counts = Counter()
    for s in range(offsets.size - 1):
        sent = tokens[offsets[s]:offsets[s + 1]].tolist()
        counts.update(zip(sent))
        counts.update(zip(sent, sent[1:]))
        counts.update(zip(sent, sent[1:], sent[2:]))
    return counts


def _as_strings(tokens, offsets):
    return [[f"w{t}" for t in tokens[offsets[s]:offsets[s + 1]].tolist()] for s in range(offsets.size - 1)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=10_000_000)
    parser.add_argument("--nltk-tokens", type=int, default=100_000, help="prefix nltk.lm's fit is timed on")
    parser.add_argument("--counter-tokens", type=int, default=None, help="prefix for Counter (default: all)")
    parser.add_argument("--pairs", type=int, default=1_000_000)
    parser.add_argument("--nltk-pairs", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    import nltk
    from nltk.lm import KneserNeyInterpolated, WittenBellInterpolated
    from nltk.lm.preprocessing import pad_both_ends, padded_everygram_pipeline

    tokens, offsets = _corpus(args.tokens)
    print(f"corpus: {tokens.size:,} tokens in {offsets.size - 1:,} sentences (bounded Zipf(1.1) over 49,997 ids; most frequent id {np.bincount(tokens).max() / tokens.size:.1%} of tokens)")

    start = time.perf_counter()
    warm_t, warm_o = _corpus(2000, seed=1)
    for smoothing in ("mle", "kneser_ney", "witten_bell"):
        NgramModel(3, smoothing).fit(warm_t, offsets=warm_o).score_pairs(np.array([[3, 4]]), np.array([5]))
    print(f"JIT warm-up (compile or cache load): {time.perf_counter() - start:.2f} s\n")

    print("== counting + fitting a trigram model ==")
    threads = numba.get_num_threads()
    print(f"hallusim's fit uses {threads} Numba thread(s) (NUMBA_NUM_THREADS; the machine has {os.cpu_count()} "
          "cores); Counter and nltk.lm use one. Single-thread hallusim figures are given too.")
    ours = {}
    for smoothing in ("mle", "kneser_ney"):
        for n_threads in sorted({threads, 1}, reverse=True):
            numba.set_num_threads(n_threads)
            t = _median_time(lambda: NgramModel(3, smoothing).fit(tokens, offsets=offsets), args.repeats)
            ours[smoothing, n_threads] = t
            print(f"hallusim fit ({smoothing:10s}, {n_threads} thread{'s' if n_threads > 1 else ' '}) on {tokens.size:,} "
                  f"tokens: median {t:.3f} s = {tokens.size / t:,.0f} tokens/s")
    numba.set_num_threads(threads)
    n_counter = args.counter_tokens or tokens.size
    ct, co = tokens[:n_counter], offsets[offsets <= n_counter]
    t_counter = _median_time(lambda: _counter_fit(ct, co), args.repeats)
    counter_rate = co[-1] / t_counter
    print(f"Counter over token tuples (orders 1-3, 1 thread) on {co[-1]:,} tokens: median {t_counter:.2f} s "
          f"= {counter_rate:,.0f} tokens/s")
    nt, no = tokens[:args.nltk_tokens], offsets[offsets <= args.nltk_tokens]
    strings = _as_strings(nt, no)

    def nltk_fit():
        text, vocab = padded_everygram_pipeline(3, strings)
        KneserNeyInterpolated(3).fit(text, vocab)

    t_nltk = _median_time(nltk_fit, args.repeats)
    nltk_rate = no[-1] / t_nltk
    print(f"nltk.lm {nltk.__version__} fit (KneserNeyInterpolated, 1 thread) on a prefix of {no[-1]:,} tokens "
          f"(10^7 is too slow for it): median {t_nltk:.2f} s = {nltk_rate:,.0f} tokens/s")
    for (smoothing, n_threads), t in ours.items():
        rate = tokens.size / t
        print(f"ratio hallusim {smoothing} ({n_threads} thread(s)) / nltk.lm fit: {rate / nltk_rate:,.0f}x;  "
              f"/ Counter: {rate / counter_rate:,.1f}x")
    t_str = _median_time(lambda: NgramModel(3, "kneser_ney").fit(strings), args.repeats)
    print(f"hallusim fit (kneser_ney) from the same str sentences as nltk.lm (vocabulary and encoding "
          f"included): {t_str:.3f} s = {no[-1] / t_str:,.0f} tokens/s = {no[-1] / t_str / nltk_rate:,.0f}x nltk.lm")

    print("\n== batch scoring (Witten-Bell, the same model in both) ==")
    train_s = _as_strings(*_corpus(200_000, seed=2))
    test_t, test_o = _corpus(max(args.pairs, 1000) + 100_000, seed=3)
    ref = WittenBellInterpolated(3)
    text, vocab = padded_everygram_pipeline(3, train_s)
    ref.fit(text, vocab)
    lm = NgramModel(3, "witten_bell", padding="nltk", uniform_base=False).fit(train_s)
    test_s = _as_strings(test_t, test_o)
    pairs = []
    for sent in test_s:
        padded = list(pad_both_ends(sent, n=3))
        pairs += [(tuple(padded[i - 2:i]), padded[i]) for i in range(2, len(padded))]
        if len(pairs) >= args.pairs:
            break
    pairs = pairs[:args.pairs]
    contexts = [c for c, _ in pairs]
    words = [w for _, w in pairs]
    ctx_ids = lm._encode_contexts(contexts)
    word_ids = lm.vocabulary_.encode(words)
    t_ids = _median_time(lambda: lm.score_pairs(ctx_ids, word_ids), args.repeats)
    t_str = _median_time(lambda: lm.score_pairs(contexts, words), args.repeats)
    few = pairs[:args.nltk_pairs]
    t_ref = _median_time(lambda: [ref.score(w, c) for c, w in few], args.repeats)
    ref_rate = len(few) / t_ref
    got = lm.score_pairs(ctx_ids[:len(few)], word_ids[:len(few)])
    expected = np.array([ref.score(w, c) for c, w in few])
    print(f"max |difference| to nltk.lm on the compared pairs: {np.max(np.abs(got - expected)):.2e}")
    print(f"hallusim score_pairs ({threads} thread(s)), int ids, {len(pairs):,} pairs: {t_ids:.3f} s = {len(pairs) / t_ids:,.0f} pairs/s")
    print(f"hallusim score_pairs, str tokens (encoding included): {t_str:.3f} s = {len(pairs) / t_str:,.0f} pairs/s")
    print(f"nltk.lm score on a prefix of {len(few):,} pairs: {t_ref:.3f} s = {ref_rate:,.0f} pairs/s")
    print(f"ratio hallusim / nltk.lm scoring: {len(pairs) / t_ids / ref_rate:,.0f}x (ids), "
          f"{len(pairs) / t_str / ref_rate:,.0f}x (str)")


if __name__ == "__main__":
    main()
