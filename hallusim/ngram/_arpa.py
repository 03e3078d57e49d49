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
from hallusim.ngram._counts import index_dtype
from hallusim.ngram._float_text import _POW10, _POW_E, _POW_F, STRIDE
from hallusim.ngram._smoothing import BACKOFF_FORM, Tables
from hallusim.ngram._vocabulary import BOS, BOS_ID, EOS, UNK, Vocabulary

__all__ = ["write_arpa", "read_arpa_tables", "LOG_ZERO"]

LOG_ZERO = -99.0
_NGRAM_LINE = re.compile(r"^ngram\s+(\d+)\s*=\s*(\d+)$")
_SECTION = re.compile(r"^\\(\d+)-grams:$")


_CHUNK = 1 << 18  # n-grams formatted at a time: bounds the writer's memory (about 40 MB)


def write_arpa(model, path) -> None:
    """Write a fitted backoff-form ``NgramModel`` to ``path`` in ARPA format (atomically).

    Lines are assembled as bytes by Numba kernels, 2^18 n-grams at a time, so the memory used
    beyond the model is bounded (about 55 MB at 10^7 n-grams, a fifth of it the contexts' parent
    links);
    each log10 value is printed with digits that read back as the same float64 (Grisu2, see
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


class _Reader:
    def __init__(self, path):
        self.path = str(path)
        try:
            with open(path, encoding="utf-8") as fh:
                self.lines = fh.read().splitlines()
        except FileNotFoundError:
            raise ValueError(f"{self.path}: no such ARPA file.") from None
        except OSError as exc:  # a folder, no permission
            raise ValueError(os_error_message(exc, self.path)) from None
        except UnicodeDecodeError as exc:
            raise ValueError(f"{self.path}: not a UTF-8 text file ({exc.reason} at byte {exc.start}).") from None
        self.i = 0

    def error(self, message, lineno=None):
        lineno = self.i + 1 if lineno is None else lineno
        raise ValueError(f"{self.path}, line {lineno}: {message}")

    def next_nonblank(self, what):
        while self.i < len(self.lines) and not self.lines[self.i].strip():
            self.i += 1
        if self.i >= len(self.lines):
            self.error(f"unexpected end of file; expected {what}", len(self.lines))
        line = self.lines[self.i].strip()
        self.i += 1
        return line


def read_arpa_tables(path):
    """Parse an ARPA file into its vocabulary and backoff tables.

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
        For a malformed file, naming the file and the line.
    """
    r = _Reader(path)
    while r.i < len(r.lines) and r.lines[r.i].strip() != "\\data\\":
        r.i += 1
    if r.i == len(r.lines):
        r.error("no '\\data\\' header: not an ARPA file", 1)
    r.i += 1
    declared = []
    line = r.next_nonblank("'ngram 1=<count>'")
    while not line.startswith("\\"):
        match = _NGRAM_LINE.match(line)
        if not match:
            r.error(f"expected 'ngram <order>=<count>'; got {line!r}", r.i)
        if int(match.group(1)) != len(declared) + 1:
            r.error(f"expected 'ngram {len(declared) + 1}=<count>'; got {line!r}", r.i)
        declared.append(int(match.group(2)))
        line = r.next_nonblank("an n-gram section")
    if not declared:
        r.error("no 'ngram <order>=<count>' lines after '\\data\\'", r.i)
    order = len(declared)
    r.i -= 1
    entries = []  # per order: list of (word tuple, log10 p, log10 bow)
    for k in range(1, order + 1):
        header = r.next_nonblank(f"'\\{k}-grams:'")
        match = _SECTION.match(header)
        if not match or int(match.group(1)) != k:
            r.error(f"expected '\\{k}-grams:'; got {header!r}", r.i)
        rows = []
        for _ in range(declared[k - 1]):
            line = r.next_nonblank(f"{declared[k - 1]} {k}-grams (header line {r.i})")
            fields = line.split()
            if line.startswith("\\") or len(fields) not in (k + 1, k + 2):
                r.error(f"expected '<log10 p> <{k} words> [<log10 backoff>]' (the header declares {declared[k - 1]} "
                        f"{k}-grams); got {line!r}", r.i)
            try:
                logp = float(fields[0])
                logb = float(fields[k + 1]) if len(fields) == k + 2 else 0.0
            except ValueError:
                r.error(f"a probability or backoff weight is not a number in {line!r}", r.i)
            if not (np.isfinite(logp) and np.isfinite(logb)) or logp > 0:
                r.error(f"log10 probability must be finite and <= 0, backoff finite; got {line!r}", r.i)
            if len(fields) == k + 2 and k == order:
                r.error(f"a backoff weight on a {k}-gram of the highest order; got {line!r}", r.i)
            rows.append((tuple(fields[1:k + 1]), logp, logb, r.i))
        entries.append(rows)
    tail = r.next_nonblank("'\\end\\'")
    if tail != "\\end\\":
        r.error(f"expected '\\end\\' after {declared[-1]} {order}-grams as declared; got {tail!r}", r.i)
    return (order, *_build(r, entries, order))


def _build(r: _Reader, entries, order):
    unigram_words = [row[0][0] for row in entries[0]]
    vocab = Vocabulary(w for w in unigram_words if w not in (UNK, BOS, EOS))
    v = len(vocab)
    prob_parts, bow_parts, word_parts, prefix_parts, log_prob_parts, log_bow_parts = [], [], [], [], [], []
    uni_prob = np.zeros(v)
    uni_bow = np.ones(v)
    uni_log_prob = np.full(v, LOG_ZERO)
    uni_log_bow = np.zeros(v)
    seen = set()
    for words, logp, logb, lineno in entries[0]:
        w = vocab.id(words[0])
        if w in seen:
            r.error(f"duplicate 1-gram {words[0]!r}", lineno)
        seen.add(w)
        uni_prob[w] = 0.0 if logp <= LOG_ZERO or w == BOS_ID else 10.0 ** logp
        uni_bow[w] = 0.0 if logb <= LOG_ZERO else 10.0 ** logb
        uni_log_prob[w], uni_log_bow[w] = logp, logb
    prob_parts.append(uni_prob)
    bow_parts.append(uni_bow)
    log_prob_parts.append(uni_log_prob)
    log_bow_parts.append(uni_log_bow)
    word_parts.append(np.arange(v, dtype=np.int64))
    prefix_parts.append(np.empty(0, dtype=np.int64))
    word_index = {w: i for i, w in enumerate(vocab.words)}
    prev = {(i,): i for i in range(v)}
    suffix_closed = True  # until an n-gram whose suffix is not listed (Tables.suffix_closed)
    for k in range(2, order + 1):
        keys, probs, bows, logs = [], [], [], []
        current = set()
        for words, logp, logb, lineno in entries[k - 1]:
            try:
                ids = tuple(word_index[w] for w in words)
            except KeyError as exc:
                r.error(f"word {exc.args[0]!r} of this {k}-gram is not listed among the 1-grams", lineno)
            if ids in current:
                r.error(f"duplicate {k}-gram {' '.join(words)!r}", lineno)
            current.add(ids)
            parent = prev.get(ids[:-1])
            if parent is None:
                r.error(f"the context {' '.join(words[:-1])!r} of this {k}-gram is not listed as a {k - 1}-gram", lineno)
            if suffix_closed and k > 2 and ids[1:] not in prev:  # a bigram's suffix is a listed unigram
                suffix_closed = False
            keys.append((parent, ids[-1], ids))
            probs.append(0.0 if logp <= LOG_ZERO or ids[-1] == BOS_ID else 10.0 ** logp)
            bows.append(0.0 if logb <= LOG_ZERO else 10.0 ** logb)
            logs.append((logp, logb))
        order_idx = sorted(range(len(keys)), key=lambda i: keys[i][:2])
        prefix_parts.append(np.array([keys[i][0] for i in order_idx], dtype=np.int64))
        word_parts.append(np.array([keys[i][1] for i in order_idx], dtype=np.int64))
        prob_parts.append(np.array([probs[i] for i in order_idx]))
        bow_parts.append(np.array([bows[i] for i in order_idx]))
        log_prob_parts.append(np.array([logs[i][0] for i in order_idx]))
        log_bow_parts.append(np.array([logs[i][1] for i in order_idx]))
        prev = {keys[i][2]: j for j, i in enumerate(order_idx)}
    sizes = [p.size for p in prob_parts]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    index = index_dtype(int(offsets[-1]))
    n_contexts = int(offsets[-2])  # the highest order has no children and no backoff weights (Tables)
    child_lo = np.zeros(n_contexts, dtype=index)
    child_hi = np.zeros(n_contexts, dtype=index)
    for k in range(1, order):
        n_parent = sizes[k - 1]
        prefix = prefix_parts[k]
        child_lo[offsets[k - 1]:offsets[k]] = np.searchsorted(prefix, np.arange(n_parent), "left") + offsets[k]
        child_hi[offsets[k - 1]:offsets[k]] = np.searchsorted(prefix, np.arange(n_parent), "right") + offsets[k]
    prob = np.concatenate(prob_parts)
    in_events = prob[:v] > 0
    tables = Tables(offsets, np.concatenate(word_parts).astype(index), child_lo, child_hi, prob,
                    np.concatenate(bow_parts)[:n_contexts], np.zeros(offsets[-1], dtype=index), np.zeros(n_contexts), 0.0,
                    in_events, int(in_events.sum()), log_prob=np.concatenate(log_prob_parts),
                    log_bow=np.concatenate(log_bow_parts)[:n_contexts], suffix_closed=suffix_closed)
    return vocab, tables
