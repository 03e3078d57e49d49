"""Benchmark: counting + fitting trigram models, and batch scoring, against nltk.lm and Counter.

Run:  python benchmarks/bench_ngram.py [--tokens 10000000] [--repeats 3] [--lmplz PATH] [--only text|kenlm]

* Fit: hallusim's ``NgramModel(3, ...).fit`` on a bounded Zipf(1.1) corpus of int token ids
  (``--tokens`` tokens, 20-token sentences, vocabulary 50,000), with all Numba threads and with one, against ``collections.Counter`` over the
  token tuples of orders 1–3 (the same sentences, ints) and ``nltk.lm``'s ``fit`` (strings,
  ``padded_everygram_pipeline``). nltk.lm is far too slow (and memory-hungry) for 10^7 tokens, so
  it is timed on a prefix and compared in tokens per second; the output says so.
* Scoring: 10^6 (context, word) pairs of held-out text with Witten–Bell (the same model in both:
  ``padding="nltk"``, ``uniform_base=False``), against nltk.lm's ``score`` on a prefix of the
  pairs, compared in pairs per second.

* Text file to ARPA file (what a user does): ``hallusim ngram fit TEXT --order 3 --arpa OUT``
  against KenLM's ``lmplz -o 3 < TEXT > OUT`` (with its default memory, and with ``-S 1G``),
  whole processes, alternating, median wall time
  and peak resident memory of each (``--text-tokens`` tokens of the same Zipf text, as words
  ``w<id>``); and the ARPA writer alone against the previous writer (one f-string per line,
  reproduced here), on the same fitted model. lmplz is taken from ``--lmplz`` or the PATH; when
  it is missing that comparison is skipped with a line saying so. To build it (Debian):
  ``apt-get install cmake g++ libboost-program-options-dev libboost-system-dev
  libboost-thread-dev libboost-test-dev libboost-iostreams-dev zlib1g-dev libbz2-dev
  liblzma-dev``, then in a clone of github.com/kpu/kenlm ``mkdir build && cd build && cmake ..
  -DCMAKE_BUILD_TYPE=Release && make -j2 lmplz`` (``bin/lmplz``; about two minutes).
* Sentence scoring against the ``kenlm`` Python module (``pip install kenlm``, compiled on
  install) when it is importable, else skipped with a line saying so: the same ARPA file (a
  trigram modified-KN model of ``--text-tokens`` tokens) read by both, ``kenlm.Model.score(s,
  bos=True, eos=True)`` over ``--score-sentences`` held-out sentences of 20 words against
  ``NgramModel.logscore_sentences`` from the same str sentences and from int ids, in tokens
  (words and ``</s>``) per second; kenlm's loop is one thread, hallusim's figures are given for
  all threads and for one. Before it, the time each takes to read that ARPA file (one run).

JIT compilation is done first and reported apart; every figure is the median of ``--repeats`` runs
(default 5). Counter and nltk.lm run in one thread; the output says how many hallusim uses.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numba
import numpy as np

from hallusim.ngram import NgramModel, read_text


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
    parser.add_argument("--text-tokens", type=int, default=10_000_000, help="tokens of the text-to-ARPA comparison")
    parser.add_argument("--lmplz", default=shutil.which("lmplz"), help="path of KenLM's lmplz (default: on the PATH)")
    parser.add_argument("--score-sentences", type=int, default=100_000, help="held-out sentences scored against kenlm")
    parser.add_argument("--only", choices=["text", "kenlm"], help="run only the text-to-ARPA or the kenlm comparison")
    args = parser.parse_args(argv)
    print(f"machine load (uptime): {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} "
          f"on {os.cpu_count()} cores")
    if args.only in (None, "text"):
        _text_to_arpa(args)
    if args.only in (None, "kenlm"):
        _kenlm_scoring(args)
    if args.only:
        return
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


def _run_process(argv, stdin=None, stdout=None):
    """Wall time (s) and peak resident memory (MB) of one whole process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=stdin, stdout=stdout or subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed with status {proc.returncode}")
    return wall, usage.ru_maxrss / 1024


def _old_write_arpa(model, path):
    """The ARPA writer before issue 17: one Python f-string per n-gram line (the baseline)."""
    t = model.tables_
    words = model.vocabulary_.words
    order = t.offsets.size - 1

    def log_text(values):
        with np.errstate(divide="ignore"):
            logs = np.log10(values)
        return [repr(float(x)) if x > -99.0 else "-99" for x in logs]

    parent = np.empty(t.offsets[-1], dtype=np.int64)
    for j in range(1, t.offsets.size - 1):
        for g in range(t.offsets[j - 1], t.offsets[j]):
            parent[t.child_lo[g]:t.child_hi[g]] = g
    lines = ["", "\\data\\"] + [f"ngram {k}={t.offsets[k] - t.offsets[k - 1]}" for k in range(1, order + 1)]
    for k in range(1, order + 1):
        lo, hi = int(t.offsets[k - 1]), int(t.offsets[k])
        lines += ["", f"\\{k}-grams:"]
        ids = np.arange(lo, hi)
        cols, cur = [t.word_of[ids]], ids
        for _ in range(k - 1):
            cur = parent[cur]
            cols.append(t.word_of[cur])
        cols.reverse()
        texts = [" ".join(words[w] for w in row) for row in zip(*cols)]
        probs = log_text(t.prob[lo:hi])
        if k < order:  # the tables hold backoff weights and children for the contexts only
            bows, is_context = log_text(t.bow[lo:hi]), t.child_hi[lo:hi] > t.child_lo[lo:hi]
        for i in range(hi - lo):
            entry = f"{probs[i]}\t{texts[i]}"
            lines.append(entry + f"\t{bows[i]}" if k < order and is_context[i] else entry)
    lines += ["", "\\end\\", ""]
    Path(path).write_text("\n".join(lines), encoding="utf-8")


def _text_to_arpa(args):
    print("== text file -> ARPA file (trigram modified Kneser-Ney) ==")
    tokens, offsets = _corpus(args.text_tokens, seed=5)
    with tempfile.TemporaryDirectory() as tmp:
        text = Path(tmp) / "corpus.txt"
        with open(text, "w", encoding="utf-8") as fh:
            for s in range(offsets.size - 1):
                fh.write(" ".join(f"w{t}" for t in tokens[offsets[s]:offsets[s + 1]].tolist()) + "\n")
        print(f"text: {tokens.size:,} tokens in {offsets.size - 1:,} lines, {text.stat().st_size / 1e6:.0f} MB")
        ours_cmd = [sys.executable, "-m", "hallusim.cli", "ngram", "fit", str(text), "--order", "3", "--arpa",
                    str(Path(tmp) / "ours.arpa")]
        _run_process(ours_cmd)  # warm the JIT cache in a process of its own
        runs = {"hallusim ngram fit": []}
        # lmplz with its default memory (-S 80% of RAM, which it touches: slower on a large machine)
        # and with -S 1G (the fastest setting measured here); the ratio is to the faster one
        lmplz_runs = {"lmplz -o 3": [], "lmplz -o 3 -S 1G": []} if args.lmplz else {}
        if not args.lmplz:
            print("lmplz: not found (pass --lmplz PATH; see this script's docstring to build it): comparison skipped")
        runs.update(lmplz_runs)
        for _ in range(args.repeats):
            # each run starts without its output file: deleting the last run's 0.3 GB file (inside
            # the timed process for hallusim's atomic replace) is not part of the work compared
            (Path(tmp) / "ours.arpa").unlink(missing_ok=True)
            runs["hallusim ngram fit"].append(_run_process(ours_cmd))
            for name in lmplz_runs:
                (Path(tmp) / "lmplz.arpa").unlink(missing_ok=True)
                with open(text, "rb") as fin, open(Path(tmp) / "lmplz.arpa", "wb") as fout:
                    runs[name].append(_run_process([args.lmplz, *name.split()[1:], "-T", tmp], stdin=fin, stdout=fout))
        medians = {}
        for name, values in runs.items():
            wall = statistics.median(v[0] for v in values)
            peak = statistics.median(v[1] for v in values)
            medians[name] = (wall, peak)
            walls = [v[0] for v in values]
            print(f"{name:20s}: median {wall:.2f} s (runs {min(walls):.2f}-{max(walls):.2f} s), peak RSS {peak:,.0f} MB "
                  f"(whole process, {len(values)} runs)")
        if args.lmplz:
            wo, po = medians["hallusim ngram fit"]
            wl, pl = min(medians[name] for name in lmplz_runs)
            print(f"ratio: hallusim is {wl / wo:.2f}x the faster lmplz's speed, at {po / pl:.2f}x its peak memory")
        # the writer alone, new against old, on the same fitted model
        corpus = read_text(text)
        model = NgramModel(3, "modified_kneser_ney", vocabulary=corpus.vocabulary).fit(corpus.tokens, offsets=corpus.offsets)
        n_grams = sum(model.counts_.sizes())
        t_new = _median_time(lambda: model.to_arpa(Path(tmp) / "new.arpa"), args.repeats)
        t_old = _median_time(lambda: _old_write_arpa(model, Path(tmp) / "old.arpa"), 1)
        same = (Path(tmp) / "new.arpa").read_text() == (Path(tmp) / "old.arpa").read_text()
        print(f"ARPA writer on {n_grams:,} n-grams: new {t_new:.2f} s, previous writer {t_old:.2f} s (1 run): "
              f"{t_old / t_new:.1f}x; files byte-identical: {same} (numbers may be printed differently, same values)")
        strings = [[f"w{t}" for t in tokens[offsets[s]:offsets[s + 1]].tolist()] for s in range(offsets.size - 1)]
        t_fit = _median_time(lambda: NgramModel(3, "modified_kneser_ney").fit(strings), 1)
        print(f"fit from {tokens.size:,} tokens as lists of str (encoding included): {t_fit:.2f} s = "
              f"{tokens.size / t_fit:,.0f} tokens/s\n")


def _kenlm_scoring(args):
    print("== sentence scoring against the kenlm module (the same ARPA file) ==")
    try:
        import kenlm
    except ImportError:
        print("kenlm: not importable (pip install kenlm): comparison skipped\n")
        return
    train_t, train_o = _corpus(args.text_tokens, seed=5)
    test_t, test_o = _corpus(20 * args.score_sentences, seed=9)
    train = [" ".join(f"w{t}" for t in train_t[train_o[s]:train_o[s + 1]].tolist()) for s in range(train_o.size - 1)]
    text = [" ".join(f"w{t}" for t in test_t[test_o[s]:test_o[s + 1]].tolist()) for s in range(test_o.size - 1)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "lm.arpa"
        model = NgramModel(3, "modified_kneser_ney").fit([s.split() for s in train])
        model.to_arpa(path)
        warm = Path(tmp) / "warm.arpa"  # the reader's kernels loaded (or compiled) before the timing
        NgramModel(3, "witten_bell").fit([s.split() for s in train[:200]]).to_arpa(warm)
        NgramModel.from_arpa(warm)
        del model
        start = time.perf_counter()
        ours = NgramModel.from_arpa(path)
        t_read = time.perf_counter() - start
        start = time.perf_counter()
        theirs = kenlm.Model(str(path))
        t_load = time.perf_counter() - start
        print(f"reading the ARPA file ({path.stat().st_size / 1e6:,.0f} MB, 1 run each): hallusim from_arpa {t_read:.2f} s, "
              f"kenlm.Model {t_load:.2f} s (its probing hash tables)")
    ids, offsets = ours.vocabulary_.encode(" ".join(text).split()), test_o
    n_tokens = ids.size + len(text)  # every word and each sentence's </s>
    ours.logscore_sentences(text[:10])  # compile or load the kernel
    t_kenlm = _median_time(lambda: [theirs.score(s, bos=True, eos=True) for s in text], args.repeats)
    threads = numba.get_num_threads()
    rates = {}
    for n_threads in sorted({threads, 1}, reverse=True):
        numba.set_num_threads(n_threads)
        rates["str", n_threads] = n_tokens / _median_time(lambda: ours.logscore_sentences(text), args.repeats)
        rates["ids", n_threads] = n_tokens / _median_time(lambda: ours.logscore_sentences(ids, offsets=offsets),
                                                           args.repeats)
    numba.set_num_threads(threads)
    kenlm_rate = n_tokens / t_kenlm
    gap = np.max(np.abs(ours.logscore_sentences(text) / np.log2(10) - [theirs.score(s) for s in text]))
    print(f"{len(text):,} sentences, {n_tokens:,} tokens scored; max |log10 p(sentence)| difference {gap:.1e} "
          "(KenLM stores float32)")
    print(f"kenlm Model.score (1 thread): {kenlm_rate:,.0f} tokens/s")
    for (kind, n_threads), rate in rates.items():
        print(f"hallusim logscore_sentences from {kind:3s} ({n_threads} thread{'s' if n_threads > 1 else ' '}): "
              f"{rate:,.0f} tokens/s = {rate / kenlm_rate:.2f}x kenlm")
    print()


if __name__ == "__main__":
    main()
