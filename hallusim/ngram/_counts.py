"""Counting every n-gram of orders 1..n of a tokenised corpus, into a trie of int arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hallusim._validation import check_choice, check_int, fail
from hallusim.ngram import _kernels as kernels
from hallusim.ngram._vocabulary import BOS_ID, EOS_ID

__all__ = ["NgramCounts", "count_ngrams", "count_padded_ngrams", "pad_corpus", "n_padding", "index_dtype", "PADDINGS"]

PADDINGS = ("sentence", "nltk", "none")
_KEY_BITS = 63  # bits of a non-negative int64 key, payload packed in it included


@dataclass
class NgramCounts:
    """Counts of all n-grams of orders 1..``order`` as a trie.

    Order ``k`` (index ``k-1`` of each list) holds its n-grams sorted by (prefix id, last word).
    Unigram ``w`` is word id ``w`` (every vocabulary word is a unigram, perhaps with count 0).

    Attributes
    ----------
    order : int
    vocab_size : int
        Number of ids in the vocabulary.
    word : list of int arrays
        Last word of each n-gram. Every array of the counts is int32 below 2^31 padded tokens
        (and vocabulary words), int64 above (:func:`index_dtype`).
    prefix : list of int arrays
        Id (at order k-1) of the n-gram without its last word; empty for k = 1.
    suffix : list of int arrays
        Id (at order k-1) of the n-gram without its first word; empty for k = 1.
    count : list of int arrays
        Number of occurrences (for unigrams: occurrences at predicted positions).
    n_sentences : int
    n_tokens : int
        Tokens after padding.
    all_words, all_counts : int arrays
        ``word`` and ``count`` of all orders end to end (the lists are views of them), as the
        model's tables hold them: the tables share them rather than copy them.
    """

    order: int
    vocab_size: int
    word: list
    prefix: list
    suffix: list
    count: list
    n_sentences: int
    n_tokens: int
    all_words: np.ndarray
    all_counts: np.ndarray

    def sizes(self) -> list[int]:
        """Number of stored n-grams of each order."""
        return [int(w.size) for w in self.word]

    def first_words(self, k: int) -> np.ndarray:
        """The first word of every n-gram of order k, following the prefix links down to the
        unigrams (computed when asked: no order needs them all, so they are not stored).

        Parameters
        ----------
        k : int
            An order in ``1 .. order``.

        Returns
        -------
        int array
        """
        k = check_int("k", k, minimum=1, maximum=self.order)
        first = self.word[0]
        for j in range(1, k):
            first = first[self.prefix[j]]
        return first

    def children(self, k: int):
        """The children of every n-gram of order k.

        Parameters
        ----------
        k : int
            An order in ``1 .. order``.

        Returns
        -------
        lo, hi : int64 arrays
            N-gram ``i`` of order k has children ``lo[i] .. hi[i] - 1`` at order k+1 (none at
            the highest order).
        """
        k = check_int("k", k, minimum=1, maximum=self.order)
        n_parent = self.word[k - 1].size
        lo, hi = np.zeros(n_parent, dtype=np.int64), np.zeros(n_parent, dtype=np.int64)
        if k < self.order:
            kernels.child_ranges(self.prefix[k], 0, lo, hi)
        return lo, hi


def index_dtype(n: int):
    """The int dtype of positions, ids and counts that are all below ``n``: int32 below 2^31 - 1
    (half the memory to hold and to touch), int64 above.

    Parameters
    ----------
    n : int

    Returns
    -------
    numpy.dtype
    """
    return np.dtype(np.int32) if n < 2**31 - 1 else np.dtype(np.int64)


def n_padding(padding: str, order: int) -> int:
    """Start (and end) symbols per sentence: 1 for ``"sentence"``, ``order - 1`` for ``"nltk"``,
    0 for ``"none"``.

    Parameters
    ----------
    padding : {"sentence", "nltk", "none"}
    order : int

    Returns
    -------
    int
    """
    return {"sentence": 1, "nltk": order - 1, "none": 0}[padding]


def pad_corpus(tokens: np.ndarray, offsets: np.ndarray, order: int, padding: str):
    """Add sentence boundaries: ``sentence`` puts one ``<s>`` and one ``</s>`` around each sentence
    (SRILM, KenLM); ``nltk`` puts ``order - 1`` of each (``nltk.lm.preprocessing.pad_both_ends``);
    ``none`` leaves the sentences as they are.

    Parameters
    ----------
    tokens : int array
        Token ids of all sentences, concatenated.
    offsets : int64 array
        Sentence ``s`` is ``tokens[offsets[s]:offsets[s+1]]``.
    order : int
    padding : {"sentence", "nltk", "none"}

    Returns
    -------
    tokens, offsets : int arrays
        The padded sentences, in the same form; the tokens are int32 below 2^31 of them.
    """
    order = check_int("order", order, minimum=1)
    check_choice("padding", padding, PADDINGS)
    _check_int_vector("tokens", tokens)
    _check_int_vector("offsets", offsets)
    if offsets.size == 0 or offsets[0] != 0 or offsets[-1] != tokens.size or (np.diff(offsets) < 0).any():
        fail("offsets", f"non-decreasing sentence starts from 0 to the number of tokens ({tokens.size:,})",
             f"<an array from {offsets[0] if offsets.size else None} to {offsets[-1] if offsets.size else None}>")
    n_pad = n_padding(padding, order)
    n_sent = offsets.size - 1
    size = tokens.size + 2 * n_pad * n_sent
    out_tokens = np.empty(size, dtype=index_dtype(size))
    out_offsets = np.empty(n_sent + 1, dtype=np.int64)
    kernels.pad_sentences(tokens, offsets, n_pad, n_pad, BOS_ID, EOS_ID, out_tokens, out_offsets)
    return out_tokens, out_offsets


def count_ngrams(tokens: np.ndarray, offsets: np.ndarray, order: int, vocab_size: int, padding: str) -> NgramCounts:
    """Count every n-gram of orders 1..``order`` that lies inside one sentence.

    Order k's n-grams are keyed ``id of their (k-1)-gram prefix · V + last word`` and radix
    sorted, so the result is the trie of :class:`NgramCounts` without any hashing.

    Parameters
    ----------
    tokens : int array
        Token ids of all sentences, concatenated (before padding).
    offsets : int64 array
        Sentence ``s`` is ``tokens[offsets[s]:offsets[s+1]]``.
    order : int
    vocab_size : int
    padding : {"sentence", "nltk", "none"}
        See :func:`pad_corpus`. With ``"sentence"`` the leading ``<s>`` is a context only: it is
        not counted as a unigram event.

    Returns
    -------
    NgramCounts
    """
    return count_padded_ngrams(list(pad_corpus(tokens, offsets, order, padding)), order, vocab_size, padding)


def count_padded_ngrams(padded: list, order: int, vocab_size: int, padding: str) -> NgramCounts:
    """:func:`count_ngrams` of a corpus already padded, handing its ids over to the counting.

    Holding the only reference to the token ids, the counting lets them go once the last
    order's keys are made, so they are not held through its peak memory (4 bytes a token);
    ``hallusim ngram fit`` counts a text this way.

    Parameters
    ----------
    padded : list
        ``[tokens, offsets]`` as :func:`pad_corpus` returns them for this ``order`` and
        ``padding``; the list is emptied (keep no other reference to ``tokens`` for the memory
        to be freed).
    order : int
    vocab_size : int
    padding : {"sentence", "nltk", "none"}
        The padding ``padded`` was made with.

    Returns
    -------
    NgramCounts
    """
    if not (isinstance(padded, list) and len(padded) == 2):
        fail("padded", "a list [tokens, offsets] as pad_corpus returns them", f"<a {type(padded).__name__}>")
    order = check_int("order", order, minimum=1)
    vocab_size = check_int("vocab_size", vocab_size, minimum=EOS_ID + 1)  # the padding's ids at least
    check_choice("padding", padding, PADDINGS)
    tokens, offsets = padded
    _check_int_vector("tokens", tokens)
    if tokens.size and (tokens.min() < 0 or tokens.max() >= vocab_size):
        fail("tokens", f"ids in 0 .. vocab_size - 1 = {vocab_size - 1:,}", f"<ids from {tokens.min():,} to {tokens.max():,}>")
    padded.clear()
    n_tokens = tokens.size
    index = index_dtype(max(n_tokens, vocab_size))
    unigram = np.zeros(vocab_size, dtype=index)
    kernels.count_values(tokens, unigram)
    if padding == "sentence":
        unigram[BOS_ID] -= offsets.size - 1
    empty = np.empty(0, dtype=index)
    words = [np.arange(vocab_size, dtype=index)]
    prefixes, suffixes, counts = [empty], [empty], [unigram]
    prev_ids = tokens
    keys = np.empty(n_tokens, dtype=np.int64)
    starts = None  # the payloads, when they are not packed into the keys
    chunk_starts = np.empty(kernels._N_CHUNKS + 1, dtype=np.int64)
    spare_ids = None
    n_prev = vocab_size  # (k-1)-grams
    for k in range(2, order + 1):
        last = k == order
        # The payload (a start position, or at the last order a suffix id) rides in the low bits
        # of its key when both fit in 63 bits: the sort then moves 8 bytes a key, not 12, and
        # needs no payload arrays (at 10^7 tokens, 88 MB less at the counting's peak).
        payload_bits = max((n_prev if last else n_tokens) - 1, 1).bit_length()
        if max(n_prev * vocab_size - 1, 1).bit_length() + payload_bits > _KEY_BITS:
            payload_bits = 0
            if starts is None:
                starts = np.empty(n_tokens, dtype=index)
        payload = empty if payload_bits else starts
        m = kernels.ngram_keys(tokens, offsets, prev_ids, k, vocab_size, last, payload_bits, keys, payload)
        if last:  # the payload is the suffix ids: the tokens and the (k-1)-gram ids are not read again
            tokens = prev_ids = spare_ids = ids = None
        n_bits = int(max(int(keys[:m].max()) if m else 0, 1)).bit_length()
        # the sort's scratch arrays live only while it runs, so they never add to the counts' peak
        kernels.radix_sort_pairs(keys[:m], payload[:m], payload_bits, n_bits, np.empty(m, dtype=np.int64),
                                 np.empty(payload[:m].size, dtype=index))
        kernels.count_runs(keys[:m], payload_bits, chunk_starts)
        u = int(chunk_starts[-1])
        # every position a (k+1)-gram can start at gets its k-gram id; no other is ever read
        if last:
            ids = empty
        else:
            ids = spare_ids if spare_ids is not None else np.empty(n_tokens, dtype=index)
        first = np.empty(u + 1, dtype=index)
        if last and payload_bits:
            # The runs are compacted to the front of the keys and the rest given back (resize)
            # before the n-grams' arrays are made from them: this step is the counting's peak,
            # and at 10^7 tokens the tail is 29 MB.
            kernels.compact_runs(keys[:m], payload_bits, first)
            keys.resize(u)
            prefix, word, suffix = (np.empty(u, dtype=index) for _ in range(3))
            kernels.split_keys(keys, payload_bits, vocab_size, prefix, word, suffix)
        else:
            prefix, word, suffix = (np.empty(u, dtype=index) for _ in range(3))
            kernels.unique_ngrams(keys[:m], payload[:m], payload_bits, last, empty if last else prev_ids, vocab_size,
                                  chunk_starts, ids, prefix, word, suffix, first)
        first[u] = m
        if last:  # the keys are not read again: they go before the counts are taken from `first`
            keys = starts = payload = None
        prefixes.append(prefix)
        words.append(word)
        suffixes.append(suffix)
        counts.append(np.diff(first))
        spare_ids = prev_ids if k > 2 else None  # the (k-1)-gram ids are not needed any more
        prev_ids, n_prev = ids, u
    keys = starts = payload = first = None  # freed before the orders are joined, so the join adds no peak
    all_words, words = _end_to_end(words)
    all_counts, counts = _end_to_end(counts)
    return NgramCounts(order, vocab_size, words, prefixes, suffixes, counts, offsets.size - 1, n_tokens,
                       all_words, all_counts)


def _check_int_vector(name, value):
    """Refuse anything but a 1-D int array (without copying one: the counting's ids are large)."""
    if not isinstance(value, np.ndarray) or value.ndim != 1 or value.dtype.kind not in "iu":
        fail(name, "a 1-D int array", f"<{type(value).__name__} {getattr(value, 'dtype', '')} of shape {np.shape(value)}>")


def _end_to_end(parts):
    """One array holding ``parts`` end to end, and the parts again as views of it."""
    whole = np.concatenate(parts)
    return whole, np.split(whole, np.cumsum([p.size for p in parts])[:-1])
