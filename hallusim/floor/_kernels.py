"""Streaming readers of count files for ``hallusim floor``: Numba scanners over raw bytes.

A file is read in chunks of bytes, in two passes per chunk, both into preallocated arrays:

1. a splitter (:func:`scan_csv` for CSV per RFC 4180 with quoted fields, :func:`scan_jsonl` for
   JSON Lines with flat objects) finds the byte span of every wanted field of every complete
   record, and the line where each record starts;
2. :func:`convert` turns the spans of each wanted field into ``int64`` values: a non-negative
   integer (``KIND_INT``), a 64-bit FNV-1a hash of the text (``KIND_HASH``), whether the text
   equals a token (``KIND_TOKEN``), or a boolean (``KIND_FLAG``); an optional JSON field absent
   from a record becomes -1.

No Python object is created per row. A kernel stops at the first bad record and describes it in
``err`` (:func:`convert` reports the smallest bad record over all fields); the reader turns that
into a message naming the file, the line and the field. :func:`merge_counts` merges sorted
``(key, count)`` tallies, so that aggregates stay proportional to the number of distinct keys.

Hashes: two different texts collide with probability about ``2^-64`` per pair, so among ``P``
distinct prompts a collision (which would merge two prompts) has probability ``≈ P²/2^65``
(3·10^-6 for 10^7 prompts). CSV fields are hashed after removing the quoting; JSON strings are
hashed as written, and those with escapes again by their decoded text by the reader (so
``"\\u00e9"`` and ``"é"`` are one key).
"""

from __future__ import annotations

import numpy as np

from hallusim._jit import jit
from hallusim._kernels.hashing import FNV_OFFSET, fnv1a_step

KIND_INT, KIND_HASH, KIND_TOKEN, KIND_FLAG = 0, 1, 2, 3

# Error codes written into err[0].
ERR_NONE = 0
ERR_INT = 1  # not a non-negative integer
ERR_NEGATIVE = 2
ERR_OVERFLOW = 3
ERR_FIELDS = 4  # wrong number of CSV fields (err[5] holds the count found)
ERR_FLAG = 5  # not a boolean
ERR_QUOTE = 6  # text after a closing quote, or an unterminated quote at the end of the file
ERR_JSON = 7  # not a flat JSON object
ERR_MISSING = 8  # a JSON record without a wanted field
ERR_NESTED = 9  # a wanted JSON field holding an object or array
ERR_DUPLICATE = 10  # a JSON record with two fields for one output row (err[5]: the second name's index)

CHUNK_BYTES = 1 << 22
_MAX_COUNT = 1 << 62

_NL, _CR, _QUOTE, _SPACE, _TAB = 10, 13, 34, 32, 9


@jit(inline="always")
def _fnv1a(buf, start, end, unescape_quotes):
    h = FNV_OFFSET
    i = start
    while i < end:
        c = buf[i]
        h = fnv1a_step(h, c)
        if unescape_quotes and c == _QUOTE and i + 1 < end and buf[i + 1] == _QUOTE:
            i += 1  # "" inside a quoted CSV field is one quote
        i += 1
    return h


@jit
def hash_bytes(text):
    """The 64-bit FNV-1a hash (as int64) of a uint8 array: what :func:`convert` gives a text."""
    return np.int64(_fnv1a(text, 0, text.size, False))


@jit(inline="always")
def _trim(buf, start, end):
    while start < end and (buf[start] == _SPACE or buf[start] == _TAB):
        start += 1
    while end > start and (buf[end - 1] == _SPACE or buf[end - 1] == _TAB):
        end -= 1
    return start, end


@jit(inline="always")
def _all_digits(buf, start, end):
    for i in range(start, end):
        if buf[i] < 48 or buf[i] > 57:
            return False
    return end > start


@jit(inline="always")
def _parse_int(buf, start, end):
    """(value, error code) of a non-negative decimal integer, surrounding blanks allowed."""
    start, end = _trim(buf, start, end)
    if 0 < end - start <= 19:  # fast path: at most 19 digits fit in uint64 without overflow
        value = np.uint64(0)
        digits = True
        for i in range(start, end):
            d = np.int64(buf[i]) - 48
            if d < 0 or d > 9:
                digits = False
                break
            value = value * np.uint64(10) + np.uint64(d)
        if digits:
            if value > np.uint64(_MAX_COUNT):
                return 0, ERR_OVERFLOW
            return np.int64(value), ERR_NONE
    if _all_digits(buf, start, end):
        return 0, ERR_OVERFLOW
    if end - start > 1 and buf[start] == 45 and _all_digits(buf, start + 1, end):
        return 0, ERR_NEGATIVE
    return 0, ERR_INT


@jit(inline="always")
def _equals(buf, start, end, token):
    if end - start != token.size:
        return False
    for i in range(token.size):
        if buf[start + i] != token[i]:
            return False
    return True


@jit(inline="always")
def _parse_flag(buf, start, end):
    """(0/1, error code) of true/false, 1/0, yes/no in any case."""
    start, end = _trim(buf, start, end)
    n = end - start
    word = 0
    for i in range(min(n, 8)):
        c = np.int64(buf[start + i])
        if 65 <= c <= 90:
            c += 32  # lower case
        word = word * 256 + c
    if n == 1 and word == 49:  # "1"
        return 1, ERR_NONE
    if n == 1 and word == 48:  # "0"
        return 0, ERR_NONE
    if n == 4 and word == 0x74727565:  # "true"
        return 1, ERR_NONE
    if n == 5 and word == 0x66616C7365:  # "false"
        return 0, ERR_NONE
    if n == 3 and word == 0x796573:  # "yes"
        return 1, ERR_NONE
    if n == 2 and word == 0x6E6F:  # "no"
        return 0, ERR_NONE
    return 0, ERR_FLAG


# Span kinds written by the splitters: a bare field, a quoted CSV field ("" stands for one quote),
# a JSON string (hashed as written), or an optional JSON field absent from the record.
SPAN_BARE, SPAN_CSV_QUOTED, SPAN_JSON_STRING, SPAN_ABSENT = 0, 1, 2, 3


@jit
def convert(buf, kinds, token, starts, ends, span_kinds, n_records, out, err):
    """Convert the field spans of ``n_records`` records into ``out``.

    On bad values, the error describes the first bad record (smallest index over all fields;
    within it, the first bad output row), and ``out`` holds every value of the records before it.

    Parameters
    ----------
    buf : uint8 array
    kinds : int64 array (n_slots,)
        ``KIND_*`` of each output row.
    token : uint8 array
        The token compared by ``KIND_TOKEN``.
    starts, ends : int64 arrays (n_slots, capacity)
        Byte spans of each field's text.
    span_kinds : uint8 array (n_slots, capacity)
        ``SPAN_*`` of each span.
    n_records : int
    out : int64 array (n_slots, capacity)
    err : int64 array (6,)
        On a bad value: (code, slot, record index, byte start, byte end, 0).
    """
    limit = n_records  # records from `limit` on need no conversion: an earlier one is bad
    for slot in range(kinds.size):
        kind = kinds[slot]
        for k in range(limit):
            start, end = starts[slot, k], ends[slot, k]
            if span_kinds[slot, k] == SPAN_ABSENT:
                out[slot, k] = -1
                continue
            if kind == KIND_INT:
                value, code = _parse_int(buf, start, end)
            elif kind == KIND_HASH:
                value = np.int64(_fnv1a(buf, start, end, span_kinds[slot, k] == SPAN_CSV_QUOTED))
                code = ERR_NONE
            elif kind == KIND_TOKEN:
                s, e = _trim(buf, start, end)
                value = np.int64(1) if _equals(buf, s, e, token) else np.int64(0)
                code = ERR_NONE
            else:
                value, code = _parse_flag(buf, start, end)
            if code != ERR_NONE:
                _set_error(err, code, slot, k, start, end, 0)
                limit = k
                break
            out[slot, k] = value


@jit(inline="always")
def _set_error(err, code, slot, line, start, end, extra):
    err[0] = code
    err[1] = slot
    err[2] = line
    err[3] = start
    err[4] = end
    err[5] = extra


@jit
def scan_csv(buf, final, delimiter, n_fields, slot_of_field, starts, ends, span_kinds, lines, err):
    """Find the wanted fields' spans in the complete CSV records of ``buf``.

    Parameters
    ----------
    buf : uint8 array
        Bytes starting at a record boundary.
    final : bool
        True at the end of the file (the last record may lack its newline).
    delimiter : int
        Field separator byte.
    n_fields : int
        Fields per record (the header's).
    slot_of_field : int64 array (n_fields,)
        Output row of each field, -1 to skip it.
    starts, ends : int64 arrays (n_slots, capacity)
        Filled with the byte span of each wanted field's text (quotes excluded).
    span_kinds : uint8 array (n_slots, capacity)
        ``SPAN_BARE`` or ``SPAN_CSV_QUOTED``.
    lines : int64 array (capacity,)
        The (relative, 0-based) line on which each record starts.
    err : int64 array (6,)
        Error description (code, slot, relative line, byte start, byte end, extra); code 0 if none.

    Returns
    -------
    (consumed bytes, records, newlines consumed)
    """
    n = buf.size
    pos = 0
    rec = 0
    line = 0
    while pos < n:
        rec_start = pos
        rec_line = line
        c = buf[pos]
        if c == _NL:
            pos += 1
            line += 1
            continue
        if c == _CR and pos + 1 < n and buf[pos + 1] == _NL:
            pos += 2
            line += 1
            continue
        field = 0
        incomplete = False
        while True:
            quoted = pos < n and buf[pos] == _QUOTE
            if quoted:
                pos += 1
                start = pos
                closed = False
                while pos < n:
                    c = buf[pos]
                    if c == _QUOTE:
                        if pos + 1 < n and buf[pos + 1] == _QUOTE:
                            pos += 2
                            continue
                        if pos + 1 >= n and not final:
                            break  # cannot tell "" from a closing quote yet
                        closed = True
                        break
                    if c == _NL:
                        line += 1
                    pos += 1
                if not closed:
                    if final:
                        _set_error(err, ERR_QUOTE, -1, rec_line, start - 1, n, 0)
                        return rec_start, rec, rec_line
                    incomplete = True
                    break
                end = pos
                pos += 1
                while pos < n and (buf[pos] == _SPACE or buf[pos] == _TAB) and buf[pos] != delimiter:
                    pos += 1
                if pos < n and buf[pos] != delimiter and buf[pos] != _NL and buf[pos] != _CR:
                    _set_error(err, ERR_QUOTE, -1, rec_line, start - 1, pos + 1, 0)
                    return rec_start, rec, rec_line
            else:
                start = pos
                while pos < n and buf[pos] != delimiter and buf[pos] != _NL:
                    pos += 1
                end = pos
                if end > start and buf[end - 1] == _CR:
                    end -= 1
            if pos >= n and not final:
                incomplete = True
                break
            if field < n_fields:
                slot = slot_of_field[field]
                if slot >= 0:
                    starts[slot, rec] = start
                    ends[slot, rec] = end
                    span_kinds[slot, rec] = SPAN_CSV_QUOTED if quoted else SPAN_BARE
            field += 1
            if pos < n and buf[pos] == delimiter:
                pos += 1
                if pos >= n and not final:
                    incomplete = True
                    break
                continue
            if pos < n and buf[pos] == _CR:
                pos += 1
            if pos < n and buf[pos] == _NL:
                pos += 1
                line += 1
            break
        if incomplete:
            return rec_start, rec, rec_line
        if field != n_fields:
            _set_error(err, ERR_FIELDS, -1, rec_line, rec_start, pos, field)
            return rec_start, rec, rec_line
        lines[rec] = rec_line
        rec += 1
    return pos, rec, line


@jit(inline="always")
def _skip_blank(buf, pos, end):
    while pos < end and (buf[pos] == _SPACE or buf[pos] == _TAB or buf[pos] == _CR):
        pos += 1
    return pos


@jit(inline="always")
def _skip_string(buf, pos, end):
    """``pos`` at an opening quote; return the position of the closing quote or -1."""
    pos += 1
    while pos < end:
        c = buf[pos]
        if c == 92:  # backslash: skip the escaped character
            pos += 2
            continue
        if c == _QUOTE:
            return pos
        pos += 1
    return -1


@jit
def _skip_nested(buf, pos, end):
    """``pos`` at '{' or '['; return the position after the matching bracket or -1."""
    depth = 0
    while pos < end:
        c = buf[pos]
        if c == _QUOTE:
            pos = _skip_string(buf, pos, end)
            if pos < 0:
                return -1
        elif c == 123 or c == 91:
            depth += 1
        elif c == 125 or c == 93:
            depth -= 1
            if depth == 0:
                return pos + 1
        pos += 1
    return -1


@jit(inline="always")
def _json_error(err, code, slot, line, start, end):
    _set_error(err, code, slot, line, start, end, 0)
    return code


@jit
def _json_record(buf, pos, end, names, name_starts, name_slots, optional, starts, ends, span_kinds, rec, found, err,
                 line):
    """Find the wanted fields' spans of the flat JSON object in ``buf[pos:end]``; return an error code."""
    pos = _skip_blank(buf, pos, end)
    if pos >= end or buf[pos] != 123:  # '{'
        return _json_error(err, ERR_JSON, -1, line, pos, end)
    found[:] = 0
    pos = _skip_blank(buf, pos + 1, end)
    if pos < end and buf[pos] == 125:  # '{}'
        pos += 1
    else:
        while True:
            if pos >= end or buf[pos] != _QUOTE:
                return _json_error(err, ERR_JSON, -1, line, pos, end)
            key_end = _skip_string(buf, pos, end)
            if key_end < 0:
                return _json_error(err, ERR_JSON, -1, line, pos, end)
            slot = -1
            name = -1
            for m in range(name_slots.size):
                if _equals(buf, pos + 1, key_end, names[name_starts[m] : name_starts[m + 1]]):
                    slot = name_slots[m]
                    name = m
                    break
            if slot >= 0 and found[slot]:
                _set_error(err, ERR_DUPLICATE, slot, line, pos + 1, key_end, name)
                return ERR_DUPLICATE
            pos = _skip_blank(buf, key_end + 1, end)
            if pos >= end or buf[pos] != 58:  # ':'
                return _json_error(err, ERR_JSON, -1, line, pos, end)
            pos = _skip_blank(buf, pos + 1, end)
            if pos >= end:
                return _json_error(err, ERR_JSON, -1, line, pos, end)
            c = buf[pos]
            kind = SPAN_BARE
            if c == _QUOTE:
                close = _skip_string(buf, pos, end)
                if close < 0:
                    return _json_error(err, ERR_JSON, -1, line, pos, end)
                start, stop, pos = pos + 1, close, close + 1
                kind = SPAN_JSON_STRING
            elif c == 123 or c == 91:  # '{' or '['
                after = _skip_nested(buf, pos, end)
                if after < 0:
                    return _json_error(err, ERR_JSON, -1, line, pos, end)
                if slot >= 0:
                    return _json_error(err, ERR_NESTED, slot, line, pos, after)
                start, stop, pos = pos, after, after
            else:  # number, true, false or null
                start = pos
                while pos < end and buf[pos] != 44 and buf[pos] != 125 and buf[pos] != _SPACE and buf[pos] != _TAB:
                    pos += 1
                stop = pos
                if stop == start:
                    return _json_error(err, ERR_JSON, -1, line, start, end)
            if slot >= 0:
                starts[slot, rec] = start
                ends[slot, rec] = stop
                span_kinds[slot, rec] = kind
                found[slot] = 1
            pos = _skip_blank(buf, pos, end)
            if pos < end and buf[pos] == 44:  # ','
                pos = _skip_blank(buf, pos + 1, end)
                continue
            if pos < end and buf[pos] == 125:  # '}'
                pos += 1
                break
            return _json_error(err, ERR_JSON, -1, line, pos, end)
    if _skip_blank(buf, pos, end) != end:
        return _json_error(err, ERR_JSON, -1, line, pos, end)
    for s in range(found.size):
        if not found[s]:
            if not optional[s]:
                return _json_error(err, ERR_MISSING, s, line, 0, 0)
            span_kinds[s, rec] = SPAN_ABSENT
    return ERR_NONE


@jit
def scan_jsonl(buf, final, names, name_starts, name_slots, optional, starts, ends, span_kinds, lines, err):
    """Find the wanted fields' spans in the complete JSON Lines records of ``buf`` (see
    :func:`scan_csv`; spans are ``SPAN_BARE``, ``SPAN_JSON_STRING`` or ``SPAN_ABSENT``).

    ``names[name_starts[m]:name_starts[m + 1]]`` is the UTF-8 name of a field that goes to output
    row ``name_slots[m]`` (several names may share a row; a record holding two of them is an
    error). A record without any name of output row ``s`` is an error unless ``optional[s]``; then
    its span is ``SPAN_ABSENT``.
    """
    n = buf.size
    pos = 0
    rec = 0
    line = 0
    found = np.zeros(optional.size, np.int64)
    while pos < n:
        stop = pos
        while stop < n and buf[stop] != _NL:
            stop += 1
        if stop >= n and not final:
            return pos, rec, line
        if _skip_blank(buf, pos, stop) < stop:
            if _json_record(buf, pos, stop, names, name_starts, name_slots, optional, starts, ends, span_kinds, rec,
                            found, err, line):
                return pos, rec, line
            lines[rec] = line
            rec += 1
        pos = stop + 1
        line += 1
    return n, rec, line


@jit
def merge_counts(keys_a, counts_a, keys_b, counts_b, out_keys, out_counts):
    """Merge two tallies with strictly increasing keys into ``out`` (sizes >= the sum); return
    the number of distinct keys written. Counts of a key present in both are added (the caller
    keeps totals below 2^63)."""
    i = 0
    j = 0
    n = 0
    while i < keys_a.size or j < keys_b.size:
        if j >= keys_b.size or (i < keys_a.size and keys_a[i] < keys_b[j]):
            out_keys[n] = keys_a[i]
            out_counts[n] = counts_a[i]
            i += 1
        elif i >= keys_a.size or keys_b[j] < keys_a[i]:
            out_keys[n] = keys_b[j]
            out_counts[n] = counts_b[j]
            j += 1
        else:
            out_keys[n] = keys_a[i]
            out_counts[n] = counts_a[i] + counts_b[j]
            i += 1
            j += 1
        n += 1
    return n
