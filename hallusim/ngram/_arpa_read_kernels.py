"""Numba kernels of the ARPA reader: lines found in the file's bytes as ``str.splitlines`` finds
them, fields split as ``str.split`` splits them, decimal numbers parsed, words looked up in a
hash table of the 1-grams' words, and n-grams looked up in the trie built so far. Each kernel
has a plain-Python reference in ``tests/ngram/test_arpa_read_kernels.py``."""

from __future__ import annotations

import numpy as np
from numba import prange

from hallusim._jit import jit
from hallusim._kernels.hashing import FNV_OFFSET, fnv1a_step
from hallusim.ngram._trie_kernels import find_context
from hallusim.ngram._text import _is_ascii_space, _space_width

#: What :func:`parse_ngram_lines` stopped at.
LINES_DONE, LINES_AT_BACKSLASH, LINES_BAD_FIELDS, LINES_AT_END = 0, 1, 2, 3
_MAX_MANTISSA = 2**53  # Clinger's fast path: an exact mantissa, and a power of ten below 10^23


@jit
def line_break_width(buf, i, n):
    """Bytes of the line break starting at ``buf[i]`` (0 if none): the boundaries of
    ``str.splitlines`` (``\\n``, ``\\r``, ``\\r\\n``, ``\\v``, ``\\f``, ``\\x1c``-``\\x1e``, U+0085,
    U+2028, U+2029) in UTF-8."""
    b = buf[i]
    if b == 10 or b == 11 or b == 12 or (b >= 28 and b <= 30):
        return 1
    if b == 13:
        return 2 if i + 1 < n and buf[i + 1] == 10 else 1
    if b == 0xC2:
        return 2 if i + 1 < n and buf[i + 1] == 0x85 else 0
    if b == 0xE2:
        return 3 if i + 2 < n and buf[i + 1] == 0x80 and (buf[i + 2] == 0xA8 or buf[i + 2] == 0xA9) else 0
    return 0


@jit
def next_line(buf, i):
    """``(end, next_start)``: the line starting at byte ``i`` ends at ``end`` (its break
    excluded); the next starts at ``next_start`` (``buf.size`` at the end of the file)."""
    n = buf.size
    j = i
    while j < n:
        if _printable(buf[j]) or _space_or_tab(buf[j]):  # not a break: no call (it costs a reference count)
            j += 1
            continue
        w = line_break_width(buf, j, n)
        if w:
            return j, j + w
        j += 1
    return n, n


@jit
def count_lines(buf, stop):
    """``(breaks, after)``: the line breaks in ``buf[:stop]`` and where the line after the last
    of them starts (0 if none). The line starting at byte ``stop`` is line ``breaks + 1``."""
    n = buf.size
    count = 0
    after = 0
    j = 0
    while j < stop:
        if _printable(buf[j]):
            j += 1
            continue
        w = line_break_width(buf, j, n)
        if w:
            count += 1
            j += w
            after = j
        else:
            j += 1
    return count, after


@jit
def _space_or_tab(b):
    """Whether byte ``b`` is a space or a tab, the whitespace of ARPA lines: the loops test it
    without a call, as :func:`_printable`."""
    return b == 32 or b == 9


@jit
def _printable(b):
    """Whether byte ``b`` is printable ASCII other than the space: no line break or whitespace
    starts with it, so the loops skip it without calling :func:`line_break_width` or
    :func:`_space_at` (a call passing the array costs a reference count per byte)."""
    return b > 32 and b < 127


@jit
def _space_at(buf, i, n):
    """Bytes of the whitespace character (``str.isspace``) at ``buf[i]``, 0 if none."""
    if buf[i] < 0x80:
        return 1 if _is_ascii_space(buf[i]) else 0
    return _space_width(buf, i, n)


@jit
def parse_decimal(buf, a, b):
    """``(value, exact)``: the decimal number ``buf[a:b]`` (``[+-]digits[.digits][(e|E)[+-]digits]``)
    when its mantissa is at most 2^53 and its power of ten at most 22 in size, so that one
    correctly rounded product or quotient of exact float64 values gives it as ``float()``
    would (Clinger's fast path); otherwise ``exact`` is False and the caller parses it."""
    i = a
    negative = False
    if i < b and (buf[i] == 45 or buf[i] == 43):  # - +
        negative = buf[i] == 45
        i += 1
    mantissa = 0
    exp10 = 0
    n_digits = 0
    while i < b and 48 <= buf[i] <= 57:
        if mantissa > _MAX_MANTISSA:
            return 0.0, False
        mantissa = mantissa * 10 + (np.int64(buf[i]) - 48)
        n_digits += 1
        i += 1
    if i < b and buf[i] == 46:  # .
        i += 1
        while i < b and 48 <= buf[i] <= 57:
            if mantissa > _MAX_MANTISSA:
                return 0.0, False
            mantissa = mantissa * 10 + (np.int64(buf[i]) - 48)
            exp10 -= 1
            n_digits += 1
            i += 1
    if n_digits == 0:
        return 0.0, False
    if i < b and (buf[i] == 101 or buf[i] == 69):  # e E
        i += 1
        exp_negative = False
        if i < b and (buf[i] == 45 or buf[i] == 43):
            exp_negative = buf[i] == 45
            i += 1
        if i == b:
            return 0.0, False
        e = 0
        while i < b and 48 <= buf[i] <= 57 and e < 10000:
            e = e * 10 + (np.int64(buf[i]) - 48)
            i += 1
        exp10 += -e if exp_negative else e
    if i != b or mantissa > _MAX_MANTISSA:
        return 0.0, False
    value = float(mantissa)
    if mantissa != 0:
        if exp10 < -22 or exp10 > 22:
            return 0.0, False
        power = 1.0
        for _ in range(abs(exp10)):
            power *= 10.0  # exact up to 10^22
        value = value * power if exp10 >= 0 else value / power
    return -value if negative else value, True


@jit
def word_table_slot(buf, a, b, slots, store, store_starts):
    """The slot of the word ``buf[a:b]`` in an open-addressing table of the words
    ``store[store_starts[i]:store_starts[i + 1]]`` (``slots`` holds their ids, -1 if empty):
    the word's own slot, or the empty slot where it would go."""
    h = FNV_OFFSET
    for j in range(a, b):
        h = fnv1a_step(h, buf[j])
    mask = slots.size - 1
    s = np.int64(h & np.uint64(mask))
    while slots[s] >= 0:
        w = slots[s]
        lo, hi = store_starts[w], store_starts[w + 1]
        if hi - lo == b - a:
            same = True
            for j in range(b - a):
                if store[lo + j] != buf[a + j]:
                    same = False
                    break
            if same:
                return s
        s = (s + 1) & mask
    return s


@jit
def build_word_table(store, store_starts, slots):
    """Put every stored word (see :func:`word_table_slot`) in ``slots`` (a power of two in size,
    more than twice the words, all -1); a word stored twice keeps its first id."""
    for w in range(store_starts.size - 1):
        s = word_table_slot(store, store_starts[w], store_starts[w + 1], slots, store, store_starts)
        if slots[s] < 0:
            slots[s] = w


@jit
def parse_ngram_lines(buf, pos, k, n_rows, slots, store, store_starts, word_id, out_line, out_word_start, out_word_end,
                      out_ids, out_logp, out_logb, out_has_bow, out_inexact):
    """Parse up to ``n_rows`` non-blank lines ``<log10 p> <k words> [<log10 backoff>]`` from byte
    ``pos`` (blank lines skipped), stopping early at a line that begins with ``\\``, has another
    number of fields, or at the end of the file. Returns ``(status, rows, pos)``: what it
    stopped at (``LINES_*``), the rows parsed, and where the stopping line starts (after the
    last row when done).

    Row ``r``'s line starts at ``out_line[r]``; its numbers go to ``out_logp``, ``out_logb``
    (0 without a backoff weight, ``out_has_bow[r]`` telling which; NaN where a number is not
    exact by :func:`parse_decimal`, and ``out_inexact[r]`` is then set). With an empty
    ``slots`` its words' bytes are ``buf[out_word_start[r, c]:out_word_end[r, c]]``; otherwise
    their ids go to ``out_ids[r, c]``: ``word_id[w]`` for the table's word ``w``, -1 for a word
    that is not in the table.
    """
    n = buf.size
    lookup = slots.size > 0
    for r in range(n_rows):
        while True:  # the next non-blank line
            if pos >= n:
                return LINES_AT_END, r, pos
            end, after = next_line(buf, pos)
            i = pos
            while i < end:
                w = 1 if _space_or_tab(buf[i]) else _space_at(buf, i, end)
                if w == 0:
                    break
                i += w
            if i < end:
                break
            pos = after
        if buf[i] == 92:  # \
            return LINES_AT_BACKSLASH, r, pos
        out_line[r] = pos
        out_inexact[r] = False
        n_fields = 0
        while i < end:  # the fields
            a = i
            while i < end and (_printable(buf[i]) or (not _space_or_tab(buf[i]) and _space_at(buf, i, end) == 0)):
                i += 1
            b = i
            if n_fields == 0 or n_fields == k + 1:
                value, exact = parse_decimal(buf, a, b)
                if not exact:
                    value = np.nan
                    out_inexact[r] = True
                if n_fields == 0:
                    out_logp[r] = value
                else:
                    out_logb[r] = value
            elif n_fields <= k:
                c = n_fields - 1
                if lookup:
                    w = slots[word_table_slot(buf, a, b, slots, store, store_starts)]
                    out_ids[r, c] = word_id[w] if w >= 0 else -1
                else:
                    out_word_start[r, c] = a
                    out_word_end[r, c] = b
            n_fields += 1
            if n_fields > k + 2:
                return LINES_BAD_FIELDS, r, pos
            while i < end:
                w = 1 if _space_or_tab(buf[i]) else _space_at(buf, i, end)
                if w == 0:
                    break
                i += w
        if n_fields < k + 1:
            return LINES_BAD_FIELDS, r, pos
        out_has_bow[r] = n_fields == k + 2
        if n_fields == k + 1:
            out_logb[r] = 0.0
        pos = after
    return LINES_DONE, n_rows, pos


@jit(parallel=True)
def find_ngrams(word_of, child_lo, child_hi, ids, start, stop, out):
    """``out[r]``: the global id of the n-gram ``ids[r, start:stop]`` in the trie, -1 if it is
    not stored or holds a word that is not (-1)."""
    for r in prange(ids.shape[0]):
        g = -1
        ok = True
        for c in range(start, stop):
            if ids[r, c] < 0:
                ok = False
        if ok:
            g = ids[r, start] if stop - start == 1 else find_context(word_of, child_lo, child_hi, ids[r], start, stop)
        out[r] = g


@jit(parallel=True)
def arpa_probabilities(log_values, zero_at, log_zero, out):
    """``out = 10^log_values``, 0 where a value is at most ``log_zero`` (ARPA's -99 for log10 0)
    or ``zero_at`` is set (``<s>``, never predicted); ``10.0 ** x`` as Python computes it."""
    for i in prange(log_values.size):
        x = log_values[i]
        out[i] = 0.0 if x <= log_zero or zero_at[i] else 10.0 ** x


@jit(parallel=True)
def number_fields(buf, line_starts, has_bow, out, out_for_python):
    """The bytes of the first field (log10 p) and, with ``has_bow``, the last (log10 backoff)
    of each line starting at ``line_starts[i]`` into ``out[i, 0]`` and ``out[i, 1]`` (zero
    padded); ``out_for_python[i]`` where one cannot go to NumPy as it is: longer than
    ``out.shape[2]``, or holding a NUL byte (which NumPy's bytes strip, and ``float()`` refuses)."""
    for i in prange(line_starts.size):
        end, _ = next_line(buf, line_starts[i])
        j = line_starts[i]
        first_a, first_b, last_a, last_b = -1, -1, -1, -1
        while j < end:
            w = 1 if _space_or_tab(buf[j]) else _space_at(buf, j, end)
            if w:
                j += w
                continue
            a = j
            while j < end and (_printable(buf[j]) or (not _space_or_tab(buf[j]) and _space_at(buf, j, end) == 0)):
                j += 1
            if first_a < 0:
                first_a, first_b = a, j
            last_a, last_b = a, j
        if not _copy_field(buf, first_a, first_b, out[i, 0]):
            out_for_python[i] = True
        if has_bow[i] and not _copy_field(buf, last_a, last_b, out[i, 1]):
            out_for_python[i] = True


@jit
def _copy_field(buf, a, b, out):
    """Copy ``buf[a:b]`` into ``out``; False if it does not fit or holds a NUL byte."""
    if b - a > out.size:
        return False
    for c in range(b - a):
        out[c] = buf[a + c]
        if buf[a + c] == 0:
            return False
    return True
