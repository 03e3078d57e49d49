"""Numba kernels that look n-grams up in the trie: by bisection in a context's word-sorted
child range (:func:`find_child`, :func:`find_context`), or, for contexts with many children,
through an open-addressing hash table of them (:func:`build_child_index`,
:func:`find_child_indexed`). Each kernel has a plain-Python reference in
``tests/ngram/test_ngram_kernels.py``."""

from __future__ import annotations

import numpy as np

from hallusim._jit import jit


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


_MIX = 0x9E3779B97F4A7C15  # 2^64 / golden ratio (Fibonacci hashing)


@jit
def child_slot(parent, word, bits):
    """Home slot of the n-gram (parent, word) in a child index of ``2^bits`` slots (bits >= 1):
    the top bits of a multiplicative hash of ``parent · 2^32 + word``."""
    key = (np.uint64(parent) << np.uint64(32)) | np.uint64(word)
    key = (key ^ (key >> np.uint64(31))) * np.uint64(_MIX)
    return np.int64(key >> np.uint64(64 - bits))


@jit
def build_child_index(word_of, child_lo, child_hi, min_children, bits, out):
    """Fill ``out`` (``2^bits`` slots, all -1) with the global ids of the children of every
    context that has more than ``min_children`` of them, by linear probing, in id order (so the
    table does not depend on anything but the tables)."""
    mask = (1 << bits) - 1
    for parent in range(child_lo.size):
        if child_hi[parent] - child_lo[parent] > min_children:
            for child in range(child_lo[parent], child_hi[parent]):
                slot = child_slot(parent, word_of[child], bits)
                while out[slot] >= 0:
                    slot = (slot + 1) & mask
                out[slot] = child


@jit
def find_child_indexed(index, bits, min_children, word_of, child_lo, child_hi, parent, word):
    """:func:`find_child` through a child index (:func:`build_child_index`): a context with more
    than ``min_children`` children is looked up by hash (one or two cache misses, where
    bisection of tens of thousands of children takes a dozen), any other by bisection. A slot
    holds the child's global id; it is the one sought when its word is ``word`` and it lies in
    the parent's child range."""
    lo = child_lo[parent]
    hi = child_hi[parent]
    if hi - lo <= min_children:
        return find_child(word_of, child_lo, child_hi, parent, word)
    mask = (1 << bits) - 1
    slot = child_slot(parent, word, bits)
    while True:
        child = index[slot]
        if child < 0:
            return -1
        if word_of[child] == word and lo <= child and child < hi:
            return child
        slot = (slot + 1) & mask
