"""``hallusim ngram fit`` and :func:`hallusim.ngram.read_text`: a text file in, an ARPA file out."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hallusim.cli import main
from hallusim.ngram import NgramModel, Vocabulary, read_arpa, read_text
from hallusim.ngram import _text

# every character str.split() splits at, some that it does not (the BOM, NUL, NEL's neighbours),
# multi-byte letters, and the special symbols that are dropped
_PIECES = [chr(c) for c in range(0x110000) if chr(c).isspace()] + [
    "a", "b", "ab", "é", "中", "😀", "\ufeff", "\x00", "\x84", "\u2027", "\u200b", "<s>", "</s>", "<unk>", "<s", "s>"]


def _reference(path):
    """What read_text must give: the lines (``\\n`` only) split by str.split, specials dropped."""
    with open(path, encoding="utf-8", newline="\n") as fh:
        lines = [line.split() for line in fh]
    specials = {"<s>", "</s>", "<unk>"}
    sentences = [[w for w in line if w not in specials] for line in lines]
    return sentences, sum(w in specials for line in lines for w in line)


def _sentences(seed=0, n_sent=400):
    rng = np.random.default_rng(seed)
    return [[f"w{int(x)}" for x in np.minimum(rng.zipf(1.3, rng.integers(0, 12)), 300)] for _ in range(n_sent)]


def _write(path, sentences):
    path.write_text("".join(" ".join(s) + "\n" for s in sentences), encoding="utf-8")
    return path


def test_read_text_gives_the_ids_of_the_sentences(tmp_path):
    sents = _sentences()
    corpus = read_text(_write(tmp_path / "t.txt", sents))
    vocab = Vocabulary.from_sentences(sents)
    assert corpus.vocabulary == vocab and corpus.n_special == 0
    assert np.diff(corpus.offsets).tolist() == [len(s) for s in sents]  # empty lines are empty sentences
    np.testing.assert_array_equal(corpus.tokens, vocab.encode([w for s in sents for w in s]))
    assert corpus.tokens.dtype == np.int32  # half the memory of int64 ids (below 2^31 tokens)


def test_read_text_min_count_as_the_vocabulary(tmp_path):
    sents = _sentences(1)
    corpus = read_text(_write(tmp_path / "t.txt", sents), min_count=3)
    vocab = Vocabulary.from_sentences(sents, min_count=3)
    assert corpus.vocabulary == vocab
    np.testing.assert_array_equal(corpus.tokens, vocab.encode([w for s in sents for w in s]))


def test_read_text_drops_and_counts_the_special_symbols(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("a <s> b\n</s>\n<unk> a\n", encoding="utf-8")
    corpus = read_text(path)
    assert corpus.n_special == 3
    assert np.diff(corpus.offsets).tolist() == [2, 0, 1]
    assert corpus.vocabulary.decode(corpus.tokens) == ["a", "b", "a"]


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(st.sampled_from(_PIECES), min_size=1, max_size=40), check_bytes=st.sampled_from([1, 2, 3, 7, 1 << 24]))
def test_read_text_splits_as_str_split(tmp_path_factory, pieces, check_bytes):
    """The byte-level kernel splits words where str.split does and lines at \\n only, with the UTF-8
    check done in blocks of any size (blocks end on character boundaries)."""
    path = tmp_path_factory.mktemp("t") / "t.txt"
    path.write_text("".join(pieces), encoding="utf-8", newline="")
    sentences, n_special = _reference(path)
    if not any(sentences):
        with pytest.raises(ValueError, match="at least one token"):
            read_text(path)
        return
    original, _text._CHECK_BYTES = _text._CHECK_BYTES, check_bytes
    try:
        corpus = read_text(path)
    finally:
        _text._CHECK_BYTES = original
    vocab = Vocabulary.from_sentences(sentences)
    assert corpus.vocabulary == vocab and corpus.n_special == n_special
    assert np.diff(corpus.offsets).tolist() == [len(s) for s in sentences]
    np.testing.assert_array_equal(corpus.tokens, vocab.encode([w for s in sentences for w in s]))


def test_read_text_many_distinct_words(tmp_path):
    """More distinct words than the hash table's first size (2^15) and the word store's first 1 MB."""
    rng = np.random.default_rng(7)
    words = [f"{'x' * int(k % 40)}{k}" for k in range(100_000)]
    sents = [[words[i] for i in rng.integers(0, len(words), rng.integers(0, 30))] for _ in range(20_000)]
    corpus = read_text(_write(tmp_path / "t.txt", sents))
    vocab = Vocabulary.from_sentences(sents)
    assert corpus.vocabulary == vocab
    np.testing.assert_array_equal(corpus.tokens, vocab.encode([w for s in sents for w in s]))


@pytest.mark.parametrize("widen", [False, True])
def test_read_text_of_one_letter_words_grows_its_ids(tmp_path, monkeypatch, widen):
    """A word every 2 bytes: the ids outgrow their first room (a word every 4 bytes), and with
    ``widen`` they turn int64 as they grow (as they would past 2^31 ids)."""
    rng = np.random.default_rng(8)
    sents = [[str(w) for w in rng.integers(0, 10, rng.integers(1, 40))] for _ in range(300)]
    path = _write(tmp_path / "t.txt", sents)
    first_room = path.stat().st_size // 4 + 16
    seen = []

    def index_dtype(n):
        seen.append(n)
        return np.dtype(np.int64 if widen and n > first_room + 3 else np.int32)

    monkeypatch.setattr(_text, "index_dtype", index_dtype)
    corpus = read_text(path)
    vocab = Vocabulary.from_sentences(sents)
    assert corpus.vocabulary == vocab and np.diff(corpus.offsets).tolist() == [len(s) for s in sents]
    np.testing.assert_array_equal(corpus.tokens, vocab.encode([w for s in sents for w in s]))
    assert seen[0] == first_room + 3 and len(seen) > 1  # grown at least once
    assert corpus.tokens.dtype == (np.int64 if widen else np.int32)


@pytest.mark.parametrize("block", [1, 3, 1 << 24])
def test_read_text_names_the_first_bad_byte(tmp_path, block, monkeypatch):
    path = tmp_path / "t.txt"
    path.write_bytes("aé 中\n".encode() + b"b \xe4\xb8 c\n")  # a truncated 3-byte character at byte 10
    monkeypatch.setattr(_text, "_CHECK_BYTES", block)
    with pytest.raises(ValueError, match="not a UTF-8 text file .* at byte 10\\)"):
        read_text(path)


@pytest.mark.parametrize("smoothing", ["modified_kneser_ney", "witten_bell"])
def test_fit_writes_the_model_of_the_same_sentences(tmp_path, capsys, smoothing):
    sents = _sentences(2, n_sent=600)
    out = tmp_path / "lm.arpa"
    assert main(["ngram", "fit", str(_write(tmp_path / "t.txt", sents)), "--order", "3", "--arpa", str(out),
                 "--smoothing", smoothing]) == 0
    expected = tmp_path / "expected.arpa"
    NgramModel(3, smoothing).fit(sents).to_arpa(expected)
    assert out.read_bytes() == expected.read_bytes()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"order-3 {smoothing} model of {sum(map(len, sents)):,} tokens" in err
    assert read_arpa(out).order == 3


def test_fit_warns_once_about_special_symbols(tmp_path, capsys):
    path = tmp_path / "t.txt"
    path.write_text("a b <s> a\nb a\n", encoding="utf-8")
    assert main(["ngram", "fit", str(path), "--order", "2", "--arpa", str(tmp_path / "o.arpa"),
                 "--smoothing", "witten_bell"]) == 0
    assert "warning: 1 occurrences of <s>, </s> or <unk>" in capsys.readouterr().err


@pytest.mark.parametrize(
    "setup,extra,needle",
    [
        (None, [], "no such text file"),
        ("dir", [], "a folder, not a text file"),
        (b"a b\n\xff\xfe c\n", [], "not a UTF-8 text file"),
        (b"\n\n<s>\n", [], "a text with at least one token"),
        (b"a b\n", ["--order", "0"], "`--order` must be an integer >= 1; got 0."),
        (b"a b\n", ["--min-count", "0"], "`--min-count` must be an integer >= 1; got 0."),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys, setup, extra, needle):
    path = tmp_path / "t.txt"
    if setup == "dir":
        path.mkdir()
    elif setup is not None:
        path.write_bytes(setup)
    out = tmp_path / "lm.arpa"
    argv = ["ngram", "fit", str(path), "--order", "2", "--arpa", str(out), "--smoothing", "witten_bell"]
    assert main(argv + extra) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err, err
    assert not out.exists() and not (tmp_path / "lm.arpa.tmp").exists()
