"""ARPA back-off language-model files: writing and reading.

Format (Doug Paul's ARPA format, as written by SRILM's ``ngram-count`` and KenLM's ``lmplz``)::

    \\data\\
    ngram 1=<count>
    ...
    \\1-grams:
    <log10 p>  <w>  [<log10 backoff>]
    ...
    \\end\\

A model in this form scores ``p(w | h) = 10^lp(h w)`` if ``h w`` is listed, else
``10^bow(h) · p(w | h')``, with ``bow = 0`` (log) for a context not listed. ``-99`` stands for
log10 0.

``<s>`` is never predicted, as in a fitted model: KenLM's ``lmplz`` writes its unigram with
log10 p = 0 on purpose (``lm/builder/initial_probabilities.cc``: "probability 1.0. This allows <s>
to be explicitly scored as part of the sentence without impacting probability"), so the reader
keeps only the backoff weights of ``<s>`` and of n-grams ending in it (such as the ``<s> <s>``
context of "nltk" padding) and gives them probability 0.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from hallusim._inputs import atomic_output, os_error_message
from hallusim._validation import fail
from hallusim.ngram import _arpa_kernels as kernels
from hallusim.ngram import _arpa_read_kernels as read_kernels
from hallusim.ngram import _kernels as ngram_kernels
from hallusim.ngram._counts import index_dtype
from hallusim.ngram._float_text import _POW10, _POW_E, _POW_F, STRIDE
from hallusim.ngram._smoothing import BACKOFF_FORM, Tables
from hallusim.ngram._text import check_utf8
from hallusim.ngram._vocabulary import BOS, BOS_ID, EOS, UNK, Vocabulary

__all__ = ["write_arpa", "read_arpa_tables", "LOG_ZERO"]

LOG_ZERO = -99.0
_NGRAM_LINE = re.compile(r"^ngram\s+(\d+)\s*=\s*(\d+)$")
_SECTION = re.compile(r"^\\(\d+)-grams:$")


_CHUNK = 1 << 16  # n-grams formatted at a time: bounds the writer's memory (about 10 MB a chunk)


def write_arpa(model, path) -> None:
    """Write a fitted backoff-form ``NgramModel`` to ``path`` in ARPA format (atomically).

    Lines are assembled as bytes by Numba kernels, 2^16 n-grams at a time, so the memory used
    beyond the model is bounded (about 30 MB at 10^7 n-grams, 12 of it the contexts' parent
    links); each log10 value is printed with digits that read back as the same float64 (Grisu2, see
    ``_float_text``), so reading the file back is lossless.

    Parameters
    ----------
    model : NgramModel
        Fitted, with smoothing Witten–Bell, absolute discounting, (modified) Kneser–Ney or ARPA.
    path : str or Path

    Raises
    ------
    ValueError
        For a model that is not in backoff form, or whose vocabulary has an empty word or a word
        with whitespace (the file could not be read back).
    """
    if model.smoothing not in BACKOFF_FORM:
        fail("smoothing", "a backoff-form model (" + ", ".join(BACKOFF_FORM) + ") to be written as ARPA: "
             "MLE and Lidstone do not back off", model.smoothing)
    t: Tables = model._fitted()
    words = model.vocabulary_.words
    for word in words:
        if word.split() != [word]:  # empty, or with whitespace (str.split splits where str.isspace)
            fail("model", "a model whose words are non-empty and contain no whitespace (ARPA fields are "
                 "separated by whitespace)", f"<a vocabulary with the word {word!r}>")
    encoded = [w.encode("utf-8") for w in words]
    word_buf = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    word_off = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(w) for w in encoded], out=word_off[1:])
    # no fsync: the file is atomic for its readers, and a power loss costs only writing it again
    with atomic_output(path, fsync=False) as fh, ThreadPoolExecutor(1) as writer:
        # each piece is written by the writer thread while the kernels (which release the GIL)
        # format the next one: the file's write calls take 10-40% of the formatting time
        in_flight = None
        for data in _arpa_pieces(t, word_buf, word_off):
            if in_flight is not None:
                in_flight.result()  # one piece at a time, in order; raises the write's error
            in_flight = writer.submit(fh.write, data)
        in_flight.result()


def _arpa_pieces(t: Tables, word_buf, word_off):
    """The ARPA file as a sequence of byte strings: the header, and each order's section
    title and lines, ``_CHUNK`` n-grams at a time."""
    order = t.offsets.size - 1
    context_parent = np.empty(int(t.offsets[-2]), dtype=t.word_of.dtype)
    for k in range(1, order):
        context_parent[t.offsets[k - 1]:t.offsets[k]] = _parents(t, int(t.offsets[k - 1]), int(t.offsets[k]), k)
    head = ["", "\\data\\"] + [f"ngram {k}={t.offsets[k] - t.offsets[k - 1]}" for k in range(1, order + 1)]
    yield ("\n".join(head) + "\n").encode("ascii")
    for k in range(1, order + 1):
        yield f"\n\\{k}-grams:\n".encode("ascii")
        for lo in range(int(t.offsets[k - 1]), int(t.offsets[k]), _CHUNK):
            hi = min(lo + _CHUNK, int(t.offsets[k]))
            yield _section_bytes(t, context_parent, _parents(t, lo, hi, k), k, order, lo, hi, word_buf, word_off)
    yield b"\n\\end\\\n"


def _parents(t: Tables, lo: int, hi: int, k: int) -> np.ndarray:
    """Global id of the parent in the trie (the context; -1 for unigrams) of the order-``k``
    n-grams ``lo .. hi - 1``, among the order-(k-1) contexts."""
    parent = np.full(hi - lo, -1, dtype=t.word_of.dtype)
    if k > 1:
        kernels.fill_parents(t.child_lo, t.child_hi, int(t.offsets[k - 2]), int(t.offsets[k - 1]), lo, parent)
    return parent


def _section_bytes(t: Tables, context_parent, chunk_parent, k, order, lo, hi, word_buf, word_off) -> memoryview:
    """The ARPA lines of the order-``k`` n-grams with global ids ``lo .. hi-1``, as bytes (their
    parents ``chunk_parent``, each context's ``context_parent``)."""
    n = hi - lo
    cols = np.empty((n, k), dtype=t.word_of.dtype)
    text = np.empty(2 * STRIDE * n, dtype=np.uint8)
    prob_len, bow_len = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    starts = np.zeros(n + 1, dtype=np.int64)
    read = t.log_prob is not None  # a model read from ARPA: its log10 values are printed as read
    kernels.arpa_line_lengths(t.log_prob if read else t.prob, t.log_bow if read else t.bow, not read, LOG_ZERO, k < order,
                              t.word_of, t.child_lo, t.child_hi, context_parent, chunk_parent, lo, word_off,
                              _POW_F, _POW_E, _POW10,
                              cols, text, prob_len, bow_len, starts[1:])
    np.cumsum(starts, out=starts)
    out = np.empty(starts[-1], dtype=np.uint8)
    kernels.write_arpa_lines(text, prob_len, bow_len, cols, word_buf, word_off, starts, out)
    return memoryview(out)


_NUMBER_WIDTH = 32  # bytes of a number field parsed by NumPy (float64 digits need at most 25)
_NUMBER_BLOCK = 1 << 20  # number fields parsed by NumPy at a time


class _Reader:
    """The bytes of an ARPA file and a position in them; errors name the file and the line."""

    def __init__(self, path):
        self.path = str(path)
        try:
            self.buf = np.fromfile(path, dtype=np.uint8)
        except FileNotFoundError:
            raise ValueError(f"{self.path}: no such ARPA file.") from None
        except OSError as exc:  # a folder, no permission
            raise ValueError(os_error_message(exc, self.path)) from None
        check_utf8(self.path, self.buf)
        self.pos = 0  # where the next line starts
        self.line_start = 0  # where the line last read starts

    def text(self, start):
        """The line starting at byte ``start``, stripped."""
        end, _ = read_kernels.next_line(self.buf, start)
        return str(self.buf[start:end], "utf-8").strip()

    def lineno(self, start):
        """The number of the line starting at byte ``start``."""
        return read_kernels.count_lines(self.buf, start)[0] + 1

    def n_lines(self):
        """Lines in the file, as ``str.splitlines`` counts them."""
        n_breaks, after_last = read_kernels.count_lines(self.buf, self.buf.size)
        return n_breaks + (after_last < self.buf.size)

    def error(self, message, lineno):
        raise ValueError(f"{self.path}, line {lineno}: {message}")

    def next_line(self):
        """The next line, stripped (None at the end of the file)."""
        if self.pos >= self.buf.size:
            return None
        self.line_start = self.pos
        _, self.pos = read_kernels.next_line(self.buf, self.pos)
        return self.text(self.line_start)

    def next_nonblank(self, what):
        """The next non-blank line, stripped; an error naming ``what`` at the end of the file."""
        while (line := self.next_line()) is not None:
            if line:
                return line
        self.error(f"unexpected end of file; expected {what}", self.n_lines())


def read_arpa_tables(path):
    """Parse an ARPA file into its vocabulary and backoff tables.

    The n-gram lines are split and their numbers parsed by Numba kernels (a number with more
    digits than Clinger's exact fast path allows is parsed by NumPy, as ``float()`` parses it),
    their words looked up in a hash table of the 1-grams, and each order sorted into the trie
    by radix sort: no Python code runs per line, and the memory held is the file's bytes and
    about 65 bytes an n-gram at the peak (a 387 MB file of 9.9 M n-grams: 8.4 s, 1.2 GB).

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    order : int
    vocabulary : Vocabulary
    tables : Tables

    Raises
    ------
    ValueError
        For a malformed file, naming the file and the line: the first line, in the file's
        order, that breaks the format; then the first n-gram, order by order, with a word that
        is not a 1-gram, a context that is not listed, or that is listed twice.
    """
    r = _Reader(path)
    while (line := r.next_line()) is not None and line != "\\data\\":
        pass
    if line is None:
        r.error("no '\\data\\' header: not an ARPA file", 1)
    declared = []
    line = r.next_nonblank("'ngram 1=<count>'")
    while not line.startswith("\\"):
        match = _NGRAM_LINE.match(line)
        if not match:
            r.error(f"expected 'ngram <order>=<count>'; got {line!r}", r.lineno(r.line_start))
        if int(match.group(1)) != len(declared) + 1:
            r.error(f"expected 'ngram {len(declared) + 1}=<count>'; got {line!r}", r.lineno(r.line_start))
        declared.append(int(match.group(2)))
        line = r.next_nonblank("an n-gram section")
    if not declared:
        r.error("no 'ngram <order>=<count>' lines after '\\data\\'", r.lineno(r.line_start))
    order = len(declared)
    sections, words = [], None
    for k in range(1, order + 1):
        header = line if k == 1 else r.next_nonblank(f"'\\{k}-grams:'")
        match = _SECTION.match(header)
        if not match or int(match.group(1)) != k:
            r.error(f"expected '\\{k}-grams:'; got {header!r}", r.lineno(r.line_start))
        sections.append(_parse_section(r, k, declared[k - 1], k == order, words))
        if k == 1:
            words = _Words(r, sections[0])
    tail = r.next_nonblank("'\\end\\'")
    if tail != "\\end\\":
        r.error(f"expected '\\end\\' after {declared[-1]} {order}-grams as declared; got {tail!r}", r.lineno(r.line_start))
    return (order, *_build(r, sections, words))


def _parse_section(r: _Reader, k: int, n: int, highest: bool, words) -> dict:
    """The ``n`` lines of the order-``k`` section after its title: where each starts, its
    numbers, and its words' bytes (1-grams: ``words`` is None) or ids in ``words`` (later
    orders, -1 for a word that is not a 1-gram). Raises at the first line that breaks the format."""
    declared = n
    # a line of k + 1 fields takes at least 2k + 1 bytes: a count the rest of the file cannot
    # hold is not allocated (the parsing then stops at what follows, and says so)
    n = min(n, (r.buf.size - r.pos) // (2 * k + 1) + 1)
    rows = dict(line=np.empty(n, dtype=np.int64), logp=np.empty(n), logb=np.empty(n),
                has_bow=np.empty(n, dtype=bool), inexact=np.empty(n, dtype=bool))
    no_ranges = np.empty((0, k), dtype=np.int64)
    if words is None:
        rows["word_start"], rows["word_end"] = np.empty((n, 1), dtype=np.int64), np.empty((n, 1), dtype=np.int64)
        table = (np.empty(0, dtype=np.int64), r.buf, np.zeros(1, dtype=np.int64), np.empty(0, dtype=np.int64))
        rows["ids"] = no_ranges
    else:
        rows["word_start"] = rows["word_end"] = no_ranges
        table = (words.slots, words.store, words.store_starts, words.table_ids)
        rows["ids"] = np.empty((n, k), dtype=index_dtype(len(words.vocabulary)))
    status, n_read, stop = read_kernels.parse_ngram_lines(
        r.buf, r.pos, k, n, *table, rows["line"], rows["word_start"], rows["word_end"], rows["ids"], rows["logp"],
        rows["logb"], rows["has_bow"], rows["inexact"])
    not_number = _exact_numbers(r, rows, n_read)
    logp, logb = rows["logp"][:n_read], rows["logb"][:n_read]
    bad = ~(np.isfinite(logp) & np.isfinite(logb)) | (logp > 0) | (rows["has_bow"][:n_read] & highest)
    if bad.any():  # the first such line, with the first of its faults the line-by-line reading meets
        first = int(np.argmax(bad))
        at = rows["line"][first]
        line = r.text(at)
        if first in not_number:
            r.error(f"a probability or backoff weight is not a number in {line!r}", r.lineno(at))
        if not (np.isfinite(logp[first]) and np.isfinite(logb[first])) or logp[first] > 0:
            r.error(f"log10 probability must be finite and <= 0, backoff finite; got {line!r}", r.lineno(at))
        r.error(f"a backoff weight on a {k}-gram of the highest order; got {line!r}", r.lineno(at))
    if status == read_kernels.LINES_AT_END:
        r.error(f"unexpected end of file; expected {declared} {k}-grams (after the section's title)", r.n_lines())
    if status != read_kernels.LINES_DONE or n_read < declared:
        r.error(f"expected '<log10 p> <{k} words> [<log10 backoff>]' (the header declares {declared} {k}-grams); "
                f"got {r.text(stop)!r}", r.lineno(stop))
    r.pos = stop
    return rows


def _exact_numbers(r: _Reader, rows: dict, n_read: int) -> set:
    """Parse with NumPy (as ``float()`` parses) the numbers that ``parse_decimal`` could not
    parse exactly, a block at a time. Returns the rows with a field that is not a number (their
    values NaN)."""
    not_number = set()
    inexact = np.flatnonzero(rows["inexact"][:n_read])
    for lo in range(0, inexact.size, _NUMBER_BLOCK):
        block = inexact[lo:lo + _NUMBER_BLOCK]
        fields = np.zeros((block.size, 2, _NUMBER_WIDTH), dtype=np.uint8)
        for_python = np.zeros(block.size, dtype=bool)
        read_kernels.number_fields(r.buf, rows["line"][block], rows["has_bow"][block], fields, for_python)
        fields[~rows["has_bow"][block], 1, 0] = ord("0")  # no backoff weight: log10 1
        try:
            if for_python.any():
                raise ValueError("a field that NumPy would not read as float() does")
            with np.errstate(over="ignore"):  # a number beyond float64 is inf, as float() has it
                values = fields.view(f"S{_NUMBER_WIDTH}").reshape(block.size, 2).astype(np.float64)
        except ValueError:  # float() of each row's fields, to find those that are not numbers
            values = np.full((block.size, 2), np.nan)
            for i, row in enumerate(block.tolist()):
                fields_of = r.text(rows["line"][row]).split()
                try:
                    values[i] = float(fields_of[0]), float(fields_of[-1]) if rows["has_bow"][row] else 0.0
                except ValueError:
                    not_number.add(row)
        rows["logp"][block] = values[:, 0]
        rows["logb"][block] = np.where(rows["has_bow"][block], values[:, 1], 0.0)
    return not_number


class _Words:
    """The 1-grams' words: the vocabulary, each row's word id, the first row that repeats a
    word (None if none), and a hash table of the words' bytes (and of ``<unk>``, ``<s>`` and
    ``</s>``) for the later orders' look-ups."""

    def __init__(self, r: _Reader, unigrams: dict):
        view = memoryview(r.buf)
        bounds = zip(unigrams["word_start"][:, 0].tolist(), unigrams["word_end"][:, 0].tolist())
        self.words = [str(view[a:b], "utf-8") for a, b in bounds]
        self.vocabulary = Vocabulary(w for w in self.words if w not in (UNK, BOS, EOS))
        # the table holds the vocabulary's own symbols too, listed as 1-grams or not (as the
        # vocabulary always does): the later orders may use them either way
        listed = set(self.words)
        table_words = self.words + [w for w in (UNK, BOS, EOS) if w not in listed]
        self.table_ids = np.array([self.vocabulary.id(w) for w in table_words], dtype=np.int64)
        self.ids = self.table_ids[:len(self.words)]
        by_id = np.argsort(self.ids, kind="stable")
        repeats = by_id[1:][self.ids[by_id[1:]] == self.ids[by_id[:-1]]]  # the later rows of equal words
        self.first_repeat = int(repeats.min()) if repeats.size else None
        encoded = [w.encode("utf-8") for w in table_words]
        self.store = np.frombuffer(b"".join(encoded), dtype=np.uint8)
        self.store_starts = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(w) for w in encoded], out=self.store_starts[1:])
        self.slots = np.full(1 << (2 * len(encoded)).bit_length(), -1, dtype=np.int64)
        read_kernels.build_word_table(self.store, self.store_starts, self.slots)


def _build(r: _Reader, sections, words: _Words):
    """The vocabulary and the tables of the parsed sections; raises at the first n-gram, order by
    order in the file's order, with a word that is not a 1-gram, listed twice, or whose context
    is not listed."""
    unigrams, vocab = sections[0], words.vocabulary
    if words.first_repeat is not None:
        at = unigrams["line"][words.first_repeat]
        r.error(f"duplicate 1-gram {words.words[words.first_repeat]!r}", r.lineno(at))
    v = len(vocab)
    ids = words.ids
    prob, bow, log_prob, log_bow = np.zeros(v), np.ones(v), np.full(v, LOG_ZERO), np.zeros(v)
    prob[ids] = _probabilities(unigrams["logp"], ids == BOS_ID)
    bow[ids] = _backoff_weights(r, unigrams, np.arange(ids.size), 1)
    log_prob[ids], log_bow[ids] = unigrams["logp"], unigrams["logb"]
    prob_parts, bow_parts, log_prob_parts, log_bow_parts = [prob], [bow], [log_prob], [log_bow]
    order = len(sections)
    index = index_dtype(sum(rows["line"].size for rows in sections) + v)  # of global ids
    word_parts = [np.arange(v, dtype=index)]
    offsets = [0, v]
    child_lo, child_hi = np.empty(0, dtype=index), np.empty(0, dtype=index)
    word_of = word_parts[0]
    suffix_closed = True
    for k in range(2, order + 1):
        rows = sections[k - 1]
        sections[k - 1] = None  # each order's rows are let go once it is in the trie
        n = rows["line"].size
        grams = rows.pop("ids")
        found = np.empty(n, dtype=np.int64)  # the parents, then the suffixes
        read_kernels.find_ngrams(word_of, child_lo, child_hi, grams, 0, k - 1, found)
        unknown = (grams < 0).any(axis=1)
        no_context = ~unknown & (found < 0)
        sorted_rows = np.flatnonzero(~unknown & ~no_context)  # the rows to sort: all of them but in error
        keys = (found[sorted_rows] - offsets[k - 2]) * v + grams[sorted_rows, k - 1]
        n_bits = int(max(int(keys.max()) if keys.size else 0, 1)).bit_length()
        ngram_kernels.radix_sort_pairs(keys, sorted_rows, 0, n_bits, np.empty_like(keys), np.empty_like(sorted_rows))
        repeats = sorted_rows[1:][keys[1:] == keys[:-1]]  # stable: the later rows of equal n-grams
        faults = [np.flatnonzero(unknown)[:1], np.flatnonzero(no_context)[:1], repeats]
        first = min((int(f.min()) for f in faults if f.size), default=None)
        if first is not None:
            at = rows["line"][first]
            fields = r.text(at).split()[1:k + 1]
            if unknown[first]:
                unlisted = next(w for w in fields if w not in vocab)
                r.error(f"word {unlisted!r} of this {k}-gram is not listed among the 1-grams", r.lineno(at))
            if no_context[first]:
                r.error(f"the context {' '.join(fields[:-1])!r} of this {k}-gram is not listed as a {k - 1}-gram",
                        r.lineno(at))
            r.error(f"duplicate {k}-gram {' '.join(fields)!r}", r.lineno(at))
        del unknown, no_context, repeats
        if suffix_closed and k > 2:  # a bigram's suffix is a listed unigram
            read_kernels.find_ngrams(word_of, child_lo, child_hi, grams, 1, k, found)
            suffix_closed = bool((found >= 0).all())
        del found
        word = grams[sorted_rows, k - 1].astype(index)
        del grams
        lo, hi = np.empty(offsets[k - 1] - offsets[k - 2], dtype=index), np.empty(offsets[k - 1] - offsets[k - 2], dtype=index)
        keys //= v  # the parents, in the trie's order
        ngram_kernels.child_ranges(keys, offsets[k - 1], lo, hi)
        del keys
        child_lo, child_hi = np.concatenate((child_lo, lo)), np.concatenate((child_hi, hi))
        logp = rows["logp"][sorted_rows]
        prob_parts.append(_probabilities(logp, word == BOS_ID))
        log_prob_parts.append(logp)
        if k < order:  # the highest order has no backoff weights (Tables)
            logb = rows["logb"][sorted_rows]
            bow_parts.append(_backoff_weights(r, rows, sorted_rows, k))
            log_bow_parts.append(logb)
        del rows, sorted_rows
        word_parts.append(word)
        if k < order:  # the next order's look-ups walk the trie so far
            word_of = np.concatenate(word_parts)
        offsets.append(offsets[-1] + n)
    offsets = np.array(offsets, dtype=np.int64)
    word_of = np.concatenate(word_parts) if order > 1 else word_parts[0]
    del word_parts
    prob = np.concatenate(prob_parts)
    del prob_parts
    in_events = prob[:v] > 0
    n_contexts = int(offsets[-2])  # none in a 1-gram model, whose 1-grams are of the highest order
    tables = Tables(offsets, word_of, child_lo, child_hi, prob, np.concatenate(bow_parts)[:n_contexts],
                    np.zeros(offsets[-1], dtype=index), np.zeros(n_contexts), 0.0, in_events, int(in_events.sum()),
                    log_prob=np.concatenate(log_prob_parts), log_bow=np.concatenate(log_bow_parts)[:n_contexts],
                    suffix_closed=suffix_closed)
    return vocab, tables


def _backoff_weights(r: _Reader, rows: dict, sorted_rows, k: int):
    """``10^x`` of the rows' log10 backoff weights, in the order ``sorted_rows``; an error at
    the first row (in the file's order) whose weight is beyond float64."""
    weights = _probabilities(rows["logb"][sorted_rows], np.zeros(sorted_rows.size, dtype=bool))
    infinite = ~np.isfinite(weights)
    if infinite.any():
        at = rows["line"][int(sorted_rows[infinite].min())]
        r.error(f"a {k}-gram's backoff weight is beyond float64 (10^x overflows); got {r.text(at)!r}", r.lineno(at))
    return weights


def _probabilities(log10_values, never):
    """``10^x`` of each log10 value (0 for ARPA's -99, and where ``never``: ``<s>`` is never
    predicted, see the module's notes)."""
    out = np.empty(log10_values.size)
    read_kernels.arpa_probabilities(log10_values, never, LOG_ZERO, out)
    return out
