"""Sentences into int ids: a training text file (:func:`read_text`, one sentence a line, tokens
separated by whitespace), str sentences (:func:`encode_sentences`) and token lists or id arrays
(:func:`as_corpus`).

The file's bytes are split into words and looked up in a hash table by a Numba kernel, so no
Python code runs per token and the memory held is the file's bytes, the ids (int32 below 2^31)
and one entry per distinct word. Words are split where ``str.split()`` splits them (every Unicode whitespace
character, found in the UTF-8 bytes) and sentences end at ``\\n`` only, so the result is that of
``[line.split() for line in open(path, encoding="utf-8", newline="\\n")]``; the UTF-8 check is
C-level decoding of the file a block at a time.
"""

from __future__ import annotations

import numbers
from itertools import chain
from typing import NamedTuple

import numpy as np

from hallusim._inputs import check_allocation
from hallusim._jit import jit
from hallusim._kernels.hashing import FNV_OFFSET, fnv1a_step
from hallusim._validation import check_int, fail
from hallusim.ngram._counts import index_dtype
from hallusim.ngram._vocabulary import BOS, EOS, UNK, UNK_ID, Vocabulary

__all__ = ["TextCorpus", "as_corpus", "encode_sentences", "read_text"]

_CHECK_BYTES = 1 << 24  # the UTF-8 check decodes (and drops) about 16 MB at a time
_SPECIALS = frozenset((UNK, BOS, EOS))
_NO_WORD = -1  # the id of a special symbol in the text, dropped
#: Bytes per word of a vocabulary of int ids (its name, the index entry, the count tables).
BYTES_PER_WORD = 200


def _is_int_sequence(seq) -> bool:
    """Whether one sentence is given as int ids (a non-empty sequence of ints, or an int array)."""
    if isinstance(seq, np.ndarray):
        return seq.dtype.kind in "iu"
    return len(seq) > 0 and all(isinstance(t, numbers.Integral) and not isinstance(t, bool) for t in seq)


def as_corpus(sentences, offsets, vocabulary, min_count):
    """(tokens, offsets, vocabulary) of a training corpus given in any accepted form."""
    if offsets is not None:
        tokens = np.asarray(sentences)
        offsets = np.asarray(offsets)
        if tokens.ndim != 1 or tokens.dtype.kind not in "iu":
            fail("sentences", "a 1-D int array of token ids when `offsets` is given", f"<{tokens.dtype} array of shape {tokens.shape}>")
        if offsets.ndim != 1 or offsets.dtype.kind not in "iu" or offsets.size < 2 or offsets[0] != 0 \
                or offsets[-1] != tokens.size or np.any(np.diff(offsets) < 0):
            fail("offsets", f"a non-decreasing int array from 0 to len(sentences) = {tokens.size}", offsets)
        if tokens.dtype != np.int32:  # int32 ids (as read_text gives them) are kept: half the memory
            tokens = tokens.astype(np.int64, copy=False)
        offsets = offsets.astype(np.int64, copy=False)
    elif isinstance(sentences, np.ndarray) and sentences.ndim == 2 and sentences.dtype.kind in "iu":
        n, length = sentences.shape
        tokens = sentences.astype(np.int64).ravel()
        offsets = np.arange(n + 1, dtype=np.int64) * length
    else:
        if isinstance(sentences, (str, bytes)) or not hasattr(sentences, "__iter__"):
            fail("sentences", "a list of token lists, a 2-D int array, or a flat int array with `offsets`", sentences, error=TypeError)
        if isinstance(sentences, np.ndarray) and sentences.dtype.kind not in "iuUO":
            fail("sentences", "token lists of str or int ids (an int array, not "
                 f"{sentences.dtype})", f"<a {sentences.dtype} array of shape {sentences.shape}>", error=TypeError)
        sentences = [s for s in sentences]
        for s in sentences:
            if isinstance(s, (str, bytes)) or not hasattr(s, "__len__"):
                fail("sentences", "a list of token sequences (lists of str or of int ids)", s, error=TypeError)
        as_ints = all(_is_int_sequence(s) for s in sentences if len(s))
        if not as_ints:
            for number, s in enumerate(sentences):
                for token in s:
                    if not isinstance(token, str):
                        fail("sentences", "token lists all of str (or all of int ids)",
                             f"<{token!r} in sentence {number}>", error=TypeError)
        if vocabulary is None and not as_ints:
            vocabulary = Vocabulary.from_sentences(sentences, min_count=min_count)
        lengths = np.fromiter(map(len, sentences), dtype=np.int64, count=len(sentences))
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        if as_ints:
            parts = [np.asarray(s, dtype=np.int64) for s in sentences if len(s)]
            tokens = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
        else:  # one call over all tokens: no Python code per sentence or per token
            tokens = vocabulary.encode(list(chain.from_iterable(sentences)))
    if tokens.size == 0:
        fail("sentences", "a corpus with at least one token", "<an empty corpus>")
    if vocabulary is None:
        if tokens.min() < 0:
            fail("sentences", "token ids >= 0", f"<ids in [{tokens.min()}, {tokens.max()}]>")
        size = max(int(tokens.max()) + 1, 3)  # every id below the largest is a word of the vocabulary
        check_allocation("sentences", size * BYTES_PER_WORD)
        vocabulary = Vocabulary.of_size(size)
    if tokens.min() < 0 or tokens.max() >= len(vocabulary):
        fail("sentences", f"token ids in [0, {len(vocabulary) - 1}] (the vocabulary)", f"<ids in [{tokens.min()}, {tokens.max()}]>")
    return tokens, offsets, vocabulary


class TextCorpus(NamedTuple):
    """A training text as int ids: sentence ``s`` is ``tokens[offsets[s]:offsets[s+1]]``
    (``tokens`` int32 below 2^31 tokens, int64 above; ``offsets`` int64)."""

    tokens: np.ndarray
    offsets: np.ndarray
    vocabulary: Vocabulary
    n_special: int  # occurrences of <s>, </s> and <unk> in the text, dropped (as KenLM's lmplz does)


@jit
def _space_width(buf, i, n):
    """Bytes taken by the whitespace character (``str.isspace``) starting at ``buf[i]``; 0 if none.

    Kernels call it only for bytes from 0x80 on, testing ASCII whitespace themselves
    (:func:`_is_ascii_space`): passing the array costs a reference count per call.
    """
    b = buf[i]
    if b < 0xC2 or b > 0xE3:
        return 0
    if b == 0xC2:  # U+0085, U+00A0
        return 2 if i + 1 < n and (buf[i + 1] == 0x85 or buf[i + 1] == 0xA0) else 0
    if i + 2 >= n:
        return 0
    b1, b2 = buf[i + 1], buf[i + 2]
    if b == 0xE1:  # U+1680
        return 3 if b1 == 0x9A and b2 == 0x80 else 0
    if b == 0xE2:  # U+2000..U+200A, U+2028, U+2029, U+202F; U+205F
        if b1 == 0x80 and (0x80 <= b2 <= 0x8A or b2 == 0xA8 or b2 == 0xA9 or b2 == 0xAF):
            return 3
        return 3 if b1 == 0x81 and b2 == 0x9F else 0
    if b == 0xE3:  # U+3000
        return 3 if b1 == 0x80 and b2 == 0x80 else 0
    return 0


@jit
def _is_ascii_space(b):
    return b == 32 or (b >= 9 and b <= 13) or (b >= 28 and b <= 31)


_DONE, _TABLE_FULL, _STORE_FULL, _IDS_FULL = 0, 1, 2, 3


@jit
def _split_until_full(buf, state, slots, starts, hashes, store, out_ids, out_lengths):
    """Split and number words from ``state = [byte, token, line, words on the line, distinct words]``
    on, until the text ends or the hash table, the word store or the ids are full (the returned
    code).

    Words are hashed with 64-bit FNV-1a into ``slots`` (open addressing, linear probing); a
    candidate is compared with the copy of its bytes in ``store`` (compact, so it stays in
    cache), not with its first occurrence in the text. The arrays are never reassigned here: a
    growing array in the loop costs Numba a reference count on every access (2.4x the time).
    """
    i, t, line, line_words, n_distinct = state[0], state[1], state[2], state[3], state[4]
    cap = slots.size
    n = buf.size
    code = _DONE
    while i < n:
        b = buf[i]
        w = (1 if _is_ascii_space(b) else 0) if b < 0x80 else _space_width(buf, i, n)
        if w != 0:
            if b == 10:
                out_lengths[line] = line_words
                line += 1
                line_words = 0
            i += w
            continue
        if t == out_ids.size:  # come back to this word with room for more ids
            code = _IDS_FULL
            break
        lo = i
        h = FNV_OFFSET
        while True:
            h = fnv1a_step(h, b)
            i += 1
            if i == n:
                break
            b = buf[i]
            if ((1 if _is_ascii_space(b) else 0) if b < 0x80 else _space_width(buf, i, n)) != 0:
                break
        size = i - lo
        s = np.int64(h & np.uint64(cap - 1))
        while True:
            d = slots[s]
            if d == -1:
                break
            if hashes[d] == h and starts[d + 1] - starts[d] == size:
                same = True
                at = starts[d]
                for k in range(size):
                    if store[at + k] != buf[lo + k]:
                        same = False
                        break
                if same:
                    break
            s = (s + 1) & (cap - 1)
        if d == -1:
            at = starts[n_distinct]
            if at + size > store.size:  # come back to this word with a larger store
                i = lo
                code = _STORE_FULL
                break
            d = n_distinct
            slots[s] = d
            hashes[d] = h
            store[at:at + size] = buf[lo:i]
            starts[d + 1] = at + size
            n_distinct += 1
        out_ids[t] = d
        t += 1
        line_words += 1
        if 2 * n_distinct == cap:  # loaded to one half
            code = _TABLE_FULL
            break
    if code == _DONE and line < out_lengths.size:  # a last line without a newline
        out_lengths[line] = line_words
    state[0], state[1], state[2], state[3], state[4] = i, t, line, line_words, n_distinct
    return code


@jit
def _rehash(hashes, n_distinct, cap):
    """The hash table of size ``cap`` holding words ``0 .. n_distinct - 1``."""
    slots = np.full(cap, -1, dtype=np.int64)
    for d in range(n_distinct):
        s = np.int64(hashes[d] & np.uint64(cap - 1))
        while slots[s] != -1:
            s = (s + 1) & (cap - 1)
        slots[s] = d
    return slots


def _split_words(buf, out_lengths):
    """The ids (words numbered 0, 1, ... in order of first occurrence), and words per line into
    ``out_lengths``.

    Returns the ids, the distinct words' bytes one after another, and where each starts (one
    more entry than words). The table starts at 2^16 slots and doubles when half full. The ids
    start with room for a word every 4 bytes (natural text has one every 5 to 6) and double
    when full, up to one every 2 bytes (a byte and a separator), which no text exceeds; they are
    int32 while that room is below 2^31 (:func:`index_dtype`, with room for :func:`read_text`'s
    ids 3 .. n + 2), int64 from then on.
    """
    most = (buf.size + 1) // 2
    room = min(most, buf.size // 4 + 16)
    ids = np.empty(room, dtype=index_dtype(room + 3))
    cap = 1 << 16
    slots = np.full(cap, -1, dtype=np.int64)
    starts = np.zeros(cap // 2 + 1, dtype=np.int64)
    hashes = np.empty(cap // 2, dtype=np.uint64)
    store = np.empty(1 << 20, dtype=np.uint8)
    state = np.zeros(5, dtype=np.int64)
    while True:
        code = _split_until_full(buf, state, slots, starts, hashes, store, ids, out_lengths)
        if code == _DONE:
            break
        if code == _TABLE_FULL:
            cap *= 2
            slots = _rehash(hashes, state[4], cap)
            starts = np.concatenate((starts, np.zeros(cap // 2 + 1 - starts.size, dtype=np.int64)))
            hashes = np.concatenate((hashes, np.empty(cap // 2 - hashes.size, dtype=np.uint64)))
        elif code == _STORE_FULL:  # the next word is longer than the store's free bytes: double it (again if need be)
            store = np.concatenate((store, np.empty(store.size, dtype=np.uint8)))
        else:
            room = min(most, 2 * room)
            grown = np.empty(room, dtype=index_dtype(room + 3))
            grown[:ids.size] = ids
            ids = grown
    n_distinct = state[4]
    return ids[:state[1]], store[:starts[n_distinct]].copy(), starts[:n_distinct + 1].copy()


def check_utf8(path, buf):
    """Raise the user's ValueError if the bytes are not UTF-8 (decoded a block at a time, dropped)."""
    lo = 0
    while lo < buf.size:
        hi = min(lo + _CHECK_BYTES, buf.size)
        for _ in range(3):  # end the block on a character boundary (at most 3 continuation bytes)
            if hi < buf.size and (buf[hi] & 0xC0) == 0x80:
                hi += 1
        try:
            buf[lo:hi].tobytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"{path}: not a UTF-8 text file ({exc.reason} at byte {lo + exc.start:,}).") from None
        lo = hi


def _split_bytes(buf):
    """(ids numbered in order of first occurrence, words per line, the distinct words) of UTF-8 text."""
    # lines end at \n, and a last line without one counts too
    n_lines = sum(int(np.count_nonzero(buf[lo:lo + _CHECK_BYTES] == 10)) for lo in range(0, buf.size, _CHECK_BYTES))
    lengths = np.empty(n_lines + int(buf.size > 0 and buf[-1] != 10), dtype=np.int64)
    raw, store, starts = _split_words(buf, lengths)
    view = memoryview(store)
    bounds = starts.tolist()
    return raw, lengths, [str(view[a:b], "utf-8") for a, b in zip(bounds[:-1], bounds[1:])]


def encode_sentences(vocabulary: Vocabulary, sentences) -> tuple[np.ndarray, np.ndarray]:
    """Ids of sentences given as str, tokens separated by whitespace (as ``str.split`` does).

    The sentences are joined into one UTF-8 text, one a line, and split by the kernels that
    read training texts; only the distinct words are looked up in Python.

    Parameters
    ----------
    vocabulary : Vocabulary
    sentences : list of str

    Returns
    -------
    tokens, offsets : numpy.ndarray of int64
        Sentence ``s`` is ``tokens[offsets[s]:offsets[s+1]]``; unknown words are ``<unk>``.
    """
    try:
        buf = np.frombuffer(("\n".join(sentences) + "\n").encode("utf-8"), dtype=np.uint8)
        raw, lengths, distinct = _split_bytes(buf)
        joined = lengths.size == len(sentences)  # not so if a sentence holds a \n
    except UnicodeEncodeError:  # a lone surrogate, which UTF-8 cannot hold
        joined = False
    if joined:
        tokens = vocabulary.encode(distinct)[raw] if distinct else raw
    else:  # split in Python instead
        split = list(map(str.split, sentences))
        lengths = np.fromiter(map(len, split), dtype=np.int64, count=len(split))
        tokens = vocabulary.encode(list(chain.from_iterable(split)))
    offsets = np.zeros(lengths.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return tokens, offsets


def read_text(path, *, min_count: int = 1) -> TextCorpus:
    """Read a tokenised training text: one sentence per line, tokens separated by whitespace.

    Parameters
    ----------
    path : str or Path
        A UTF-8 text file. Lines end at ``\\n``; tokens are separated as ``str.split()``
        separates them (any Unicode whitespace). Empty lines are empty sentences; ``<s>``,
        ``</s>`` and ``<unk>`` in the text are dropped and counted (KenLM's ``lmplz`` treats
        them as whitespace).
    min_count : int, optional
        Words seen fewer times become ``<unk>`` (default 1).

    Returns
    -------
    TextCorpus
        Ids numbered as :class:`Vocabulary` numbers them, words in order of first occurrence.

    Raises
    ------
    ValueError
        For a missing file, a folder, a file that is not UTF-8, or a text without any token.
    """
    min_count = check_int("min_count", min_count, minimum=1)
    try:
        buf = np.fromfile(path, dtype=np.uint8)
    except FileNotFoundError:
        raise ValueError(f"{path}: no such text file.") from None
    except IsADirectoryError:
        raise ValueError(f"{path}: a folder, not a text file.") from None
    check_utf8(path, buf)
    raw, lengths, distinct = _split_bytes(buf)
    del buf
    # ids: 3, 4, ... for the ordinary words in order of first occurrence; -1 for the specials (dropped)
    is_special = np.fromiter((w in _SPECIALS for w in distinct), dtype=bool, count=len(distinct))
    new_id = np.where(is_special, _NO_WORD, np.cumsum(~is_special) + 2).astype(raw.dtype)
    words = [w for w, special in zip(distinct, is_special.tolist()) if not special]
    tokens = new_id[raw]
    del raw
    special = tokens < 0
    n_special = int(special.sum())
    if n_special:
        sentence_of = np.repeat(np.arange(lengths.size), lengths)
        lengths = np.bincount(sentence_of[~special], minlength=lengths.size)
        tokens = tokens[~special]
    if tokens.size == 0:
        fail("path", "a text with at least one token (other than <s>, </s>, <unk>)", f"<{path}: no tokens>")
    offsets = np.zeros(lengths.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    if min_count > 1:
        counts = np.bincount(tokens, minlength=len(words) + 3)[3:]
        kept = np.flatnonzero(counts >= min_count)
        new_id = np.full(len(words) + 3, UNK_ID, dtype=tokens.dtype)
        new_id[kept + 3] = np.arange(3, kept.size + 3)
        tokens = new_id[tokens]
        words = [words[i] for i in kept.tolist()]
    return TextCorpus(tokens, offsets, Vocabulary(words), n_special)
