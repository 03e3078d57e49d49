"""The ARPA reader's kernels against Python's own parsing: ``float()``, ``str.splitlines``,
``str.split``, dict look-ups (each kernel and its py_func)."""

import math
import struct

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallusim.ngram import NgramModel, read_arpa
from hallusim.ngram import _arpa_read_kernels as kernels


def _bytes(text):
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


def _same_float(a, b):
    return struct.pack("<d", a) == struct.pack("<d", b)


def _decimal(text):
    buf = _bytes(text)
    return kernels.parse_decimal(buf, 0, buf.size), kernels.parse_decimal.py_func(buf, 0, buf.size)


@given(st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(["r", ".3g", ".7g", ".9g", ".15g", ".17g", "e", ".4f"]))
def test_a_number_parsed_exactly_is_what_float_parses(x, style):
    text = repr(x) if style == "r" else format(x, style)
    for value, exact in _decimal(text):
        if exact:
            assert _same_float(value, float(text)), text


@given(st.integers(-10**15 + 1, 10**15 - 1), st.integers(-22, 22))
def test_lmplz_style_numbers_take_the_exact_path(mantissa, exponent):
    # lmplz prints float32 values (at most 9 significant digits): all are parsed by the kernel
    text = f"{mantissa}e{exponent}"
    for value, exact in _decimal(text):
        assert exact and _same_float(value, float(text)), text


@pytest.mark.parametrize("text", ["-0.30103", "-99", "0", "-0", "+1.5", "5.", ".5", "-1.25E-3", "1e+22", "-2e-22"])
def test_plain_numbers_are_exact(text):
    for value, exact in _decimal(text):
        assert exact and _same_float(value, float(text))


@pytest.mark.parametrize("text", ["", "-", "1e", "1e+", "nan", "inf", "-x", "1_0", "1.2.3", "0x10", "1e-400",
                                  "12345678901234567890", "1e23"])
def test_anything_else_is_left_to_float(text):
    for _, exact in _decimal(text):
        assert not exact


_BREAKS = ["\n", "\r", "\r\n", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


@given(st.lists(st.one_of(st.sampled_from(_BREAKS + [" ", "\t", "\u00a0", "\u3000", "\x1f"]),
                          st.text(alphabet="ab\u00e9\u20ac", min_size=1, max_size=3)), max_size=30))
def test_lines_are_those_of_splitlines(pieces):
    text = "".join(pieces)
    buf = _bytes(text)
    for next_line, count_lines in ((kernels.next_line, kernels.count_lines),
                                   (kernels.next_line.py_func, kernels.count_lines.py_func)):
        lines, starts, pos = [], [], 0
        while pos < buf.size:
            end, after = next_line(buf, pos)
            starts.append(pos)
            lines.append(bytes(buf[pos:end]).decode("utf-8"))
            pos = after
        assert lines == text.splitlines()
        for number, start in enumerate(starts):
            assert count_lines(buf, start)[0] == number
        n_breaks, after_last = count_lines(buf, buf.size)
        assert n_breaks + (after_last < buf.size) == len(text.splitlines())


def _words_table(words):
    encoded = [w.encode("utf-8") for w in words]
    store = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    starts = np.zeros(len(words) + 1, dtype=np.int64)
    np.cumsum([len(w) for w in encoded], out=starts[1:])
    slots = np.full(1 << (2 * len(words)).bit_length(), -1, dtype=np.int64)
    return store, starts, slots


def test_every_word_is_found_with_its_first_row_and_no_other_word():
    # the reference is a dict (the py_funcs would hash with the jitted FNV-1a step, whose uint64
    # leaves it as a Python int)
    rng = np.random.default_rng(7)
    words = ["".join(rng.choice(list("abc\u00e9"), rng.integers(1, 5))) for _ in range(300)]
    store, starts, slots = _words_table(words)
    kernels.build_word_table(store, starts, slots)
    first = {}
    for i, w in enumerate(words):
        first.setdefault(w, i)
    assert np.count_nonzero(slots >= 0) == len(first)
    for w in set(words) | {"zz", "abcabc", ""}:
        buf = _bytes(w)
        assert slots[kernels.word_table_slot(buf, 0, buf.size, slots, store, starts)] == first.get(w, -1), w


_SPACES = [" ", "\t", "  ", "\u00a0", "\u2003", "\x1f"]


@given(st.lists(st.tuples(st.integers(0, 3), st.floats(-50, 0), st.booleans(), st.sampled_from(_SPACES)), max_size=25),
       st.integers(1, 3))
def test_ngram_lines_are_split_as_str_split_splits_them(specs, k):
    rng = np.random.default_rng(len(specs))
    vocab = ["a", "b", "\u00e9t\u00e9", "<s>"]
    lines = []
    for blank_before, logp, with_bow, space in specs:
        lines += [""] * blank_before
        fields = [repr(logp)] + [vocab[i] for i in rng.integers(0, 4, k)] + ([format(logp / 3, ".6g")] if with_bow else [])
        lines.append(space + space.join(fields) + space)
    text = "\n".join(lines) + "\n\\end\\\n"
    buf = _bytes(text)
    store, starts, slots = _words_table(vocab)
    kernels.build_word_table(store, starts, slots)
    word_id = np.arange(10, 14, dtype=np.int64)
    expected = [line.split() for line in lines if line.strip()]
    n = len(expected)
    for parse in (kernels.parse_ngram_lines, kernels.parse_ngram_lines.py_func):
        out = dict(line=np.empty(n, dtype=np.int64), ids=np.empty((n, k), dtype=np.int64), logp=np.empty(n),
                   logb=np.empty(n), has_bow=np.empty(n, dtype=bool), inexact=np.empty(n, dtype=bool))
        none = np.empty((0, k), dtype=np.int64)
        with np.errstate(over="ignore"):
            status, rows, stop = parse(buf, 0, k, n, slots, store, starts, word_id, out["line"], none, none, out["ids"],
                                       out["logp"], out["logb"], out["has_bow"], out["inexact"])
        assert (status, rows) == (kernels.LINES_DONE, n)
        assert bytes(buf[stop:]).decode().strip() == "\\end\\"  # the blank lines after the last row are left
        for r, fields in enumerate(expected):
            assert out["ids"][r].tolist() == [10 + vocab.index(w) for w in fields[1:k + 1]]
            assert out["has_bow"][r] == (len(fields) == k + 2)
            for got, field in ((out["logp"][r], fields[0]), (out["logb"][r], fields[-1] if out["has_bow"][r] else "0")):
                assert _same_float(got, float(field)) or (out["inexact"][r] and math.isnan(got))
        # the numbers left to NumPy: the first and (with a backoff) the last field
        inexact = np.flatnonzero(out["inexact"])
        fields = np.zeros((inexact.size, 2, 32), dtype=np.uint8)
        too_long = np.zeros(inexact.size, dtype=bool)
        (kernels.number_fields if parse is kernels.parse_ngram_lines else kernels.number_fields.py_func)(
            buf, out["line"][inexact], out["has_bow"][inexact], fields, too_long)
        texts = fields.view("S32").reshape(inexact.size, 2)
        for i, r in enumerate(inexact.tolist()):
            assert texts[i, 0].decode() == expected[r][0]
            assert texts[i, 1].decode() == (expected[r][-1] if out["has_bow"][r] else "")


@pytest.mark.parametrize("text,status,rows", [
    ("-1 a\n\\2-grams:\n", kernels.LINES_AT_BACKSLASH, 1),
    ("-1 a\n-1 a b c d\n", kernels.LINES_BAD_FIELDS, 1),
    ("-1\n", kernels.LINES_BAD_FIELDS, 0),
    ("-1 a\n\n  \n", kernels.LINES_AT_END, 1),
])
def test_ngram_lines_stop_where_the_format_breaks(text, status, rows):
    buf = _bytes(text)
    got = kernels.parse_ngram_lines(buf, 0, 1, 2, np.empty(0, dtype=np.int64), buf, np.zeros(1, dtype=np.int64),
                                    np.empty(0, dtype=np.int64), np.empty(2, dtype=np.int64), np.empty((2, 1), dtype=np.int64),
                                    np.empty((2, 1), dtype=np.int64), np.empty((0, 1), dtype=np.int64), np.empty(2), np.empty(2),
                                    np.empty(2, dtype=bool), np.empty(2, dtype=bool))
    assert got[:2] == (status, rows)


def test_probabilities_are_pythons_powers_of_ten():
    rng = np.random.default_rng(3)
    logs = np.r_[-rng.exponential(3, 2000), -99.0, -100.0, 0.0, -0.0]
    never = np.zeros(logs.size, dtype=bool)
    never[5] = True
    for kernel in (kernels.arpa_probabilities, kernels.arpa_probabilities.py_func):
        out = np.empty(logs.size)
        kernel(logs, never, -99.0, out)
        expected = [0.0 if x <= -99.0 or z else 10.0 ** x for x, z in zip(logs.tolist(), never.tolist())]
        assert out.tolist() == expected


def test_trie_lookups_match_the_models_own():
    rng = np.random.default_rng(2)
    lm = NgramModel(3, "kneser_ney").fit([[f"w{i}" for i in rng.integers(0, 6, 8)] for _ in range(60)])
    t = lm.tables_
    ngram_of = {g: (g,) for g in range(t.offsets[1])}  # the trie walked in Python: global id -> words
    for g in range(t.child_lo.size):
        for child in range(t.child_lo[g], t.child_hi[g]):
            ngram_of[child] = ngram_of[g] + (int(t.word_of[child]),)
    id_of = {words: g for g, words in ngram_of.items()}
    grams = rng.integers(-1, 9, (500, 3))
    for kernel in (kernels.find_ngrams, kernels.find_ngrams.py_func):
        for start, stop in ((0, 1), (0, 2), (1, 3), (0, 3)):
            out = np.empty(500, dtype=np.int64)
            kernel(t.word_of, t.child_lo, t.child_hi, grams, start, stop, out)
            for r in range(500):
                row = grams[r, start:stop]
                expected = id_of.get(tuple(row.tolist()), -1)
                assert out[r] == expected


@pytest.mark.parametrize("breaks", ["\r\n", "\r", "\u2028"])
def test_files_with_other_line_breaks_read_the_same(tmp_path, breaks):
    rng = np.random.default_rng(4)
    lm = NgramModel(3, "witten_bell").fit([[f"w{i}" for i in rng.integers(0, 30, 12)] for _ in range(200)])
    plain = tmp_path / "plain.arpa"
    lm.to_arpa(plain)
    other = tmp_path / "other.arpa"
    other.write_bytes(plain.read_text().replace("\n", breaks).encode("utf-8"))
    a, b = read_arpa(plain).tables_, read_arpa(other).tables_
    for name in ("word_of", "child_lo", "child_hi", "prob", "bow", "log_prob", "log_bow"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
