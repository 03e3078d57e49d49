"""The ``hallusim ngram`` subcommand: fit an n-gram model to a text file and write it as ARPA.

``hallusim ngram fit TEXT --order N --arpa OUT [--smoothing modified_kneser_ney] [--min-count 1]
[--discounts D1,D2,D3]``

The work is :func:`hallusim.ngram.read_text`, :class:`hallusim.ngram.NgramModel` and
:func:`hallusim.ngram.write_arpa`; this module parses arguments and prints one summary line on
standard error. Bad input raises ``ValueError`` (one line, exit status 2); the ARPA file is
written atomically, so nothing half-written is left on disk.
"""

from __future__ import annotations

import ctypes
import sys
import time

from hallusim._inputs import check_output_file
from hallusim._validation import check_int
from hallusim.ngram import (BACKOFF_FORM, BOS, EOS, UNK, NgramModel, count_padded_ngrams, pad_corpus, read_text,
                            write_arpa)

__all__ = ["add_parsers"]

FITTED_BACKOFF = tuple(s for s in BACKOFF_FORM if s != "arpa")


def add_parsers(subparsers) -> None:
    """Register the ``ngram`` subcommand (with its ``fit`` action) on an argparse subparsers object."""
    parser = subparsers.add_parser(
        "ngram", help="n-gram language models: fit one to a text file, write it as ARPA",
        description="n-gram language models (Section 3.3.2 of the paper).",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    fit = actions.add_parser(
        "fit",
        help="fit a model to a text file and write it as an ARPA file (as KenLM's lmplz does)",
        description="Fit an n-gram model to TEXT (UTF-8, one sentence per line, tokens separated by "
        "whitespace; <s>, </s> and <unk> in the text are dropped, as lmplz drops them) and write it to "
        "OUT in ARPA format, readable by KenLM, SRILM and hallusim.ngram.read_arpa. "
        "`hallusim ngram fit corpus.txt --order 3 --arpa lm.arpa` is `lmplz -o 3 < corpus.txt > lm.arpa`.",
    )
    fit.add_argument("text", metavar="TEXT", help="the training text")
    fit.add_argument("--order", type=int, required=True, metavar="N", help="the n-gram order, e.g. 3")
    fit.add_argument("--arpa", required=True, metavar="OUT", help="the ARPA file to write")
    fit.add_argument("--smoothing", default="modified_kneser_ney", choices=FITTED_BACKOFF,
                     help="smoothing method (default: %(default)s, as lmplz)")
    fit.add_argument("--min-count", type=int, default=1, metavar="K",
                     help="words seen fewer than K times become <unk> (default: 1)")
    fit.add_argument("--discounts", metavar="D1,D2,D3", default=None,
                     help="fixed modified Kneser-Ney discounts for every order instead of estimating them, "
                     "for data too small to estimate them (KenLM's --discount_fallback uses 0.5,1,1.5)")
    fit.set_defaults(func=_fit)


def _discounts(text):
    if text is None:
        return None
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 3:
        raise ValueError(f"`--discounts` must be three comma-separated numbers D1,D2,D3, e.g. 0.5,1,1.5; got {text!r}.")
    return values


_M_MMAP_THRESHOLD = -3  # glibc's <malloc.h>


def _map_large_arrays() -> None:
    """Make glibc's malloc map every block of 1 MiB or more on its own, for this process.

    glibc raises its mmap threshold each time a mapped block is freed (up to 32 MiB); arrays
    below it then come from the heap, where freed memory is mostly kept rather than given back.
    The fit frees arrays of tens of MB as it goes (the text's ids, the sort's scratch, the
    counts' links), so with a fixed threshold its peak is lower (394 against 442 MiB at 10^7
    tokens). It lasts for the process; off Linux, or without glibc, this does nothing.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None).mallopt(_M_MMAP_THRESHOLD, 1 << 20)
    except (OSError, AttributeError):  # a C library without mallopt (musl)
        pass


def _fit(args) -> int:
    order = check_int("--order", args.order, minimum=1)
    min_count = check_int("--min-count", args.min_count, minimum=1)
    discounts = _discounts(args.discounts)
    if discounts is not None and args.smoothing != "modified_kneser_ney":
        raise ValueError(f"`--discounts` must be given with --smoothing modified_kneser_ney; got --smoothing {args.smoothing}.")
    check_output_file("--arpa", args.arpa)
    _map_large_arrays()
    clock = time.perf_counter()
    corpus = read_text(args.text, min_count=min_count)
    if corpus.n_special:
        print(f"hallusim: warning: {corpus.n_special:,} occurrences of <s>, </s> or <unk> in {args.text} were "
              "dropped (they are the model's own symbols)", file=sys.stderr)
    if len(corpus.vocabulary) <= len((UNK, BOS, EOS)) and corpus.tokens.size:  # only the model's own symbols
        raise ValueError(f"`--min-count` must be at most the count of the text's most frequent word; got {min_count:,}, "
                         "which makes every word <unk>.")
    model = NgramModel(order, args.smoothing, vocabulary=corpus.vocabulary, discounts=discounts)
    model._check_params()
    described = (f"order-{order} {args.smoothing} model of {corpus.tokens.size:,} tokens in {corpus.offsets.size - 1:,} "
                 f"sentences ({len(corpus.vocabulary):,} words; n-grams per order ")
    # Memory: the counting holds the only reference to the padded ids (4 bytes a token), so it
    # lets them go once the last order's keys are made; the counts' prefix and suffix links
    # (8 bytes an n-gram) go as soon as the smoothing has read them. Each lowers a peak.
    padded = list(pad_corpus(corpus.tokens, corpus.offsets, order, model.padding))
    vocabulary = corpus.vocabulary
    del corpus
    counts = count_padded_ngrams(padded, order, len(vocabulary), model.padding)
    summary = described + ", ".join(f"{n:,}" for n in counts.sizes()) + ")"
    model._fit_counts(counts, vocabulary, keep_counts=False)
    del counts
    write_arpa(model, args.arpa)
    print(f"hallusim: {args.arpa}: {summary} in {time.perf_counter() - clock:.1f} s", file=sys.stderr)
    return 0
