"""Numba kernels of the ARPA writer: the trie's parent links, and each chunk's lines assembled as
bytes in two parallel passes (lengths and number texts, then the lines), the numbers printed by
Grisu2 (``_float_text``). Each kernel has a plain-Python reference in
``tests/ngram/test_ngram_kernels.py``."""

from __future__ import annotations

import numpy as np
from numba import prange

from hallusim._jit import jit
from hallusim.ngram._float_text import STRIDE, _write_one


@jit
def fill_parents(child_lo, child_hi, ctx_lo, ctx_hi, lo, out):
    """The trie's parent links (global ids) of the n-grams ``lo .. lo + out.size - 1``:
    ``out[h - lo] = g`` for each of their parents ``g`` among the contexts ``ctx_lo .. ctx_hi -
    1``; entries that are no such context's child are left as they are. Child ranges never
    decrease with the context's id (children of order k+1 follow those of order k), so the
    contexts that reach the window are found by bisection."""
    hi = lo + out.size
    a, b = ctx_lo, ctx_hi
    while a < b:  # the first context whose children end after lo
        mid = (a + b) >> 1
        if child_hi[mid] <= lo:
            a = mid + 1
        else:
            b = mid
    for g in range(a, ctx_hi):
        if child_lo[g] >= hi:
            break
        for h in range(max(child_lo[g], lo), min(child_hi[g], hi)):
            out[h - lo] = g


@jit
def _arpa_log10(x, take_log10, log_zero):
    """The log10 an ARPA line prints for ``x`` (a probability, or with ``take_log10`` false its
    log10 as read): ``log_zero`` stands for log10 0, and below it."""
    if take_log10:
        x = np.log10(x) if x > 0.0 else log_zero
    return x if x > log_zero else log_zero


@jit(parallel=True)
def arpa_line_lengths(prob, bow, take_log10, log_zero, with_bow, word_of, child_lo, child_hi, parent, chunk_parent, lo,
                      word_off, pow_f, pow_e, pow10, out_cols, out_text, out_prob_len, out_bow_len, out_lengths):
    """First pass of the ARPA lines ``<log p>\t<w1> ... <wk>[\t<log bow>]\n`` of the n-grams with
    global ids ``lo .. lo + n - 1`` (one order): their words into ``out_cols``, walking the parent
    links (``chunk_parent[i]`` is the parent of n-gram ``lo + i``, ``parent`` that of each
    context), the texts of log p and log bow into ``out_text`` (``2 * STRIDE`` bytes a line,
    Grisu2 as :func:`hallusim.ngram._float_text.format_floats`) and their lengths, and each
    line's length. A line has a backoff weight when ``with_bow`` and its n-gram has children."""
    n, k = out_cols.shape
    for i in prange(n):
        g = lo + i
        h = g
        length = k + 1  # a tab, k - 1 spaces, the newline
        for j in range(k - 1, -1, -1):
            w = word_of[h]
            out_cols[i, j] = w
            length += word_off[w + 1] - word_off[w]
            if j > 0:
                h = chunk_parent[i] if j == k - 1 else parent[h]
        at = 2 * i * STRIDE
        lp = _write_one(_arpa_log10(prob[g], take_log10, log_zero), out_text, at, pow_f, pow_e, pow10)
        out_prob_len[i] = lp
        length += lp
        lb = 0
        if with_bow and child_hi[g] > child_lo[g]:
            lb = _write_one(_arpa_log10(bow[g], take_log10, log_zero), out_text, at + STRIDE, pow_f, pow_e, pow10)
            length += lb + 1
        out_bow_len[i] = lb
        out_lengths[i] = length


@jit(parallel=True)
def write_arpa_lines(text, prob_len, bow_len, cols, word_buf, word_off, starts, out):
    """Second pass: the lines measured by :func:`arpa_line_lengths`, line ``i`` at
    ``out[starts[i]:starts[i + 1]]`` (``out`` uint8)."""
    n, k = cols.shape
    for i in prange(n):
        p = starts[i]
        at = 2 * i * STRIDE
        for b in range(at, at + prob_len[i]):
            out[p] = text[b]
            p += 1
        out[p] = 9  # tab
        p += 1
        for j in range(k):
            if j > 0:
                out[p] = 32  # space
                p += 1
            w = cols[i, j]
            for b in range(word_off[w], word_off[w + 1]):
                out[p] = word_buf[b]
                p += 1
        if bow_len[i] > 0:
            out[p] = 9
            p += 1
            for b in range(at + STRIDE, at + STRIDE + bow_len[i]):
                out[p] = text[b]
                p += 1
        out[p] = 10  # newline
