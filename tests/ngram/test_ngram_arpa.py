"""ARPA files: a hand-written file of known values, round trips, malformed files, and (when the
``kenlm`` module is installed) KenLM reading our files and scoring the same."""

import math
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hallusim.ngram import NgramModel, read_arpa
from tests._clients import need

DATA = Path(__file__).parents[1] / "data"
HANDWRITTEN = DATA / "ngram_handwritten.arpa"


def _zipf_corpus(seed=0, n_tokens=40_000, vocab=2000):
    rng = np.random.default_rng(seed)
    words = np.minimum(rng.zipf(1.2, n_tokens), vocab)
    return [[f"w{int(x)}" for x in words[i:i + 15]] for i in range(0, n_tokens, 15)]


# Expected log10 probabilities, derived by hand from the file with the ARPA rule
# p(w | h) = 10^lp(h w) if "h w" is listed, else 10^bow(h) · p(w | h minus its first word).
HAND_CASES = [
    (["<s>"], "a", -0.25),
    (["<s>"], "b", -0.5 - 0.75),
    (["<s>", "a"], "b", -0.0625),
    (["<s>", "a"], "</s>", -0.5 + (-0.25 - 0.5)),  # bow(<s> a) · bow(a) · p(</s>)
    (["<s>", "a"], "a", -0.5 - 1.5),  # bow(<s> a) · p(a | a)
    (["a", "b"], "</s>", -2.0),
    (["a", "b"], "a", -1.0 + (-0.125 - 0.5)),  # bow(a b) · bow(b) · p(a)
    (["b"], "zebra", -0.125 - 1.0),  # unknown word -> <unk>
    (["</s>"], "b", -0.75),  # </s> has no backoff weight: log 0
    (["zebra", "a"], "b", -0.5),  # context "<unk> a" not listed -> p(b | a)
    ([], "a", -0.5),
]


def test_handwritten_file_gives_the_values_by_hand():
    lm = read_arpa(HANDWRITTEN)
    assert lm.order == 3 and lm.smoothing == "arpa"
    for context, word, expected in HAND_CASES:
        assert math.log10(lm.score(word, context)) == pytest.approx(expected, abs=1e-12), (context, word)
    assert lm.score("<s>", ["a"]) == 0.0  # -99 stands for log10 0
    assert lm.logscore("<s>", ["a"]) == -math.inf


# "<s> a a" is listed but its suffix "a a" is not: the backoff rule still reads "<s> a a" (a
# scorer that stops at the first missing n-gram, as KenLM's does, would not)
_UNCLOSED = """\\data\\
ngram 1=4
ngram 2=1
ngram 3=1

\\1-grams:
-1\t<unk>
-99\t<s>\t-0.5
-0.5\ta\t-0.25
-0.75\t</s>

\\2-grams:
-0.25\t<s> a\t-0.125

\\3-grams:
-0.0625\t<s> a a

\\end\\
"""


def test_a_file_with_an_unlisted_suffix_is_scored_by_the_backoff_rule(tmp_path):
    path = tmp_path / "unclosed.arpa"
    path.write_text(_UNCLOSED)
    lm = read_arpa(path)
    assert not lm.tables_.suffix_closed and read_arpa(HANDWRITTEN).tables_.suffix_closed
    # <s> a a </s>: p(a | <s>) listed; p(a | <s> a) listed; p(</s> | a a) = bow(a) p(</s>), "a a" unlisted
    expected = (-0.25 - 0.0625 + (-0.25 - 0.75)) * math.log2(10)
    assert lm.logscore_sentences(["a a"])[0] == pytest.approx(expected, abs=1e-12)
    assert lm.logscore("a", ["<s>", "a"]) == pytest.approx(-0.0625 * math.log2(10), abs=1e-12)


@pytest.mark.parametrize(
    "smoothing,kwargs",
    [
        ("witten_bell", {}),
        ("absolute_discounting", {"discount": 0.8}),
        ("kneser_ney", {"uniform_base": False}),
        ("modified_kneser_ney", {}),
    ],
)
def test_round_trip_gives_the_same_scores(tmp_path, smoothing, kwargs):
    sents = _zipf_corpus()
    lm = NgramModel(3, smoothing, **kwargs).fit(sents)
    path = tmp_path / "model.arpa"
    lm.to_arpa(path)
    back = NgramModel.from_arpa(path)
    rng = np.random.default_rng(1)
    words = lm.vocabulary_.words + ["never-seen"]
    contexts = [[str(rng.choice(words)) for _ in range(2)] for _ in range(500)] + [s[:2] for s in sents[:300]]
    targets = [str(rng.choice(words)) for _ in range(len(contexts) - 300)] + [s[2] for s in sents[:300]]
    np.testing.assert_allclose(back.score_pairs(contexts, targets), lm.score_pairs(contexts, targets), rtol=1e-12, atol=0)
    for context in (["<s>"], ["w1", "w2"], ["nope"]):
        np.testing.assert_allclose(back.distribution(context), lm.distribution(context), rtol=1e-12, atol=1e-300)
    assert back.perplexity(sents[:50]) == pytest.approx(lm.perplexity(sents[:50]), rel=1e-12)
    again = tmp_path / "again.arpa"
    back.to_arpa(again)
    assert again.read_text() == path.read_text()  # reading and writing is lossless


@pytest.mark.parametrize("order", [1, 2, 4])
def test_round_trip_of_other_orders(tmp_path, order):
    sents = _zipf_corpus(n_tokens=8000, vocab=300)
    lm = NgramModel(order, "witten_bell").fit(sents)
    path = tmp_path / "model.arpa"
    lm.to_arpa(path)
    back = read_arpa(path)
    t = back.tables_
    assert t.bow.size == t.log_bow.size == t.child_lo.size == t.offsets[-2]  # one per context (Tables)
    contexts, targets = [s[:3] for s in sents[:200]], [s[3] for s in sents[:200]]
    np.testing.assert_allclose(back.score_pairs(contexts, targets), lm.score_pairs(contexts, targets), rtol=1e-12, atol=0)
    again = tmp_path / "again.arpa"
    back.to_arpa(again)
    assert again.read_text() == path.read_text()


@pytest.mark.parametrize("padding", ["sentence", "nltk", "none"])
def test_round_trip_keeps_the_padding(tmp_path, padding):
    sents = _zipf_corpus(n_tokens=6000, vocab=300)
    lm = NgramModel(3, "kneser_ney", padding=padding).fit(sents)
    path = tmp_path / "model.arpa"
    lm.to_arpa(path)
    back = read_arpa(path, padding=padding)
    assert back.padding == padding == NgramModel.from_arpa(path, padding=padding).padding
    prompts = [s[:3] for s in sents[:40]]
    # the start padding enters here: "nltk" pads with two <s>, "sentence" with one, "none" with none
    np.testing.assert_array_equal(back.prompt_contexts(prompts), lm.prompt_contexts(prompts))
    responses = [s[3:5] for s in sents[:40]]
    np.testing.assert_allclose(back.score_responses(prompts, responses), lm.score_responses(prompts, responses), rtol=1e-12)
    assert back.perplexity(sents[:30]) == pytest.approx(lm.perplexity(sents[:30]), rel=1e-12)
    with pytest.raises(ValueError, match="`padding` must be one of 'sentence', 'nltk', 'none'; got 'both'"):
        read_arpa(path, padding="both")


@pytest.mark.parametrize("word", ["new york", "", "tab\there", "nbsp\u00a0x", "line\nbreak"])
def test_words_that_arpa_cannot_hold_are_rejected(tmp_path, word):
    lm = NgramModel(2, "witten_bell").fit([["a", word, "b"], ["a", "b"]])
    with pytest.raises(ValueError, match="`model` must be a model whose words are non-empty and contain no whitespace"):
        lm.to_arpa(tmp_path / "x.arpa")
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_a_write_that_fails_midway_keeps_the_old_file_and_nothing_else(tmp_path, monkeypatch):
    from hallusim.ngram import _arpa

    lm = NgramModel(3, "witten_bell").fit([["a", "b", "c"], ["b", "c", "a"]])
    path = tmp_path / "x.arpa"
    path.write_text("the old file")
    calls = []

    def fail_at_the_second_chunk(*args):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(*args)

    real = _arpa._section_bytes
    monkeypatch.setattr(_arpa, "_section_bytes", fail_at_the_second_chunk)
    with pytest.raises(OSError, match="No space left"):
        lm.to_arpa(path)
    assert len(calls) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["x.arpa"] and path.read_text() == "the old file"


def test_models_without_backoff_form_cannot_be_written(tmp_path):
    lm = NgramModel(2, "mle").fit([["a", "b"]])
    with pytest.raises(ValueError, match="`smoothing` must be a backoff-form model .*; got 'mle'"):
        lm.to_arpa(tmp_path / "x.arpa")
    assert not (tmp_path / "x.arpa").exists()


GOOD_HEAD = "\\data\\\nngram 1=3\nngram 2=1\n\n\\1-grams:\n-1 <unk>\n-99 <s> -0.5\n-0.5 a -0.1\n\n\\2-grams:\n"


@pytest.mark.parametrize(
    "text,line,fragment",
    [
        ("hello\nworld\n", 1, "no '\\\\data\\\\' header"),
        ("\\data\\\nngram 1=2\nngram two=3\n", 3, "expected 'ngram <order>=<count>'"),
        ("\\data\\\nngram 2=1\n", 2, "expected 'ngram 1=<count>'"),
        ("\\data\\\nngram 1=1\n\n\\2-grams:\n-1 a\n", 4, "expected '\\\\1-grams:'"),
        ("\\data\\\nngram 1=3\n\n\\1-grams:\n-1 <unk>\n-1 a\n\n\\end\\\n", 8, "the header declares 3 1-grams"),
        ("\\data\\\nngram 1=1\n\n\\1-grams:\n-x a\n\\end\\\n", 5, "not a number"),
        ("\\data\\\nngram 1=1\n\n\\1-grams:\n0.5 a\n\\end\\\n", 5, "must be finite and <= 0"),
        ("\\data\\\nngram 1=1\n\n\\1-grams:\n-1 a b c\n\\end\\\n", 5, "expected '<log10 p> <1 words>"),
        ("\\data\\\nngram 1=1\n\n\\1-grams:\n-1 a -0.5\n\\end\\\n", 5, "backoff weight on a 1-gram of the highest order"),
        ("\\data\\\nngram 1=1\n\n\\1-grams:\n-1 a\n", 5, "unexpected end of file; expected '\\\\end\\\\'"),
        ("\\data\\\nngram 1=1\n\n\\1-grams:\n-1 a\nfoo\n", 6, "expected '\\\\end\\\\'"),
        ("\\data\\\nngram 1=2\n\n\\1-grams:\n-1 a\n-1 a\n\\end\\\n", 6, "duplicate 1-gram 'a'"),
        (GOOD_HEAD + "-0.2 a zebra\n\n\\end\\\n", 11, "word 'zebra' of this 2-gram is not listed among the 1-grams"),
        # a NUL byte, which NumPy's bytes would strip, and numbers beyond float64 (NumPy warns of them)
        ("\\data\\\nngram 1=1\n\n\\1-grams:\n-1\x00 a\n\\end\\\n", 5, "not a number"),
        ("\\data\\\nngram 1=1\n\n\\1-grams:\n-1e400 a\n\\end\\\n", 5, "must be finite"),
        ("\\data\\\nngram 1=1\n\n\\1-grams:\n-6414072483206809840651429E+308 a\n\\end\\\n", 5, "must be finite"),
        # a count the file cannot hold is not allocated; the file ends in a section
        ("\\data\\\nngram 1=100000000000000\n\n\\1-grams:\n-1 a\n\\end\\\n", 6, "the header declares 100000000000000"),
        ("\\data\\\nngram 1=3\n\n\\1-grams:\n-1 a\n", 5, "unexpected end of file; expected 3 1-grams"),
        (GOOD_HEAD.replace("-0.5 a -0.1", "-0.5 a 400") + "-0.2 a a\n\\end\\\n", 8, "backoff weight is beyond float64"),
        (GOOD_HEAD.replace("ngram 2=1", "ngram 2=1\nngram 3=1") + "-0.2 <s> a\n\n\\3-grams:\n-0.1 a a a\n\\end\\\n",
         15, "the context 'a a' of this 3-gram is not listed as a 2-gram"),
    ],
)
def test_malformed_files_name_the_line(tmp_path, text, line, fragment):
    path = tmp_path / "bad.arpa"
    path.write_text(text)
    with pytest.raises(ValueError, match=rf"bad\.arpa, line {line}: .*{fragment}"):
        read_arpa(path)


def test_text_before_the_data_section_is_skipped(tmp_path):
    path = tmp_path / "with_header.arpa"
    path.write_text("Written by SRILM ngram-count\nanother line\n" + HANDWRITTEN.read_text())
    assert read_arpa(path).score("b", ["<s>", "a"]) == read_arpa(HANDWRITTEN).score("b", ["<s>", "a"])


def test_missing_file_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="no such ARPA file"):
        read_arpa(tmp_path / "absent.arpa")


# ---------------------------------------------------------------------------- KenLM
@pytest.mark.clients
def test_kenlm_scores_our_files_and_the_handwritten_one_as_we_do(tmp_path):
    kenlm = need("kenlm")
    sents = _zipf_corpus(seed=3)
    lm = NgramModel(3, "modified_kneser_ney").fit(sents)
    path = tmp_path / "ours.arpa"
    lm.to_arpa(path)
    cases = [(lm, kenlm.Model(str(path)), sents[:40] + [["w1", "never-seen", "w2"]])]
    hand = read_arpa(HANDWRITTEN)
    cases.append((hand, kenlm.Model(str(HANDWRITTEN)), [["a", "b"], ["a", "a", "b", "a"], ["b", "zebra", "a", "b"]]))
    for ours, theirs, test in cases:
        for sent in test:
            full = [p for p, _, _ in theirs.full_scores(" ".join(sent), bos=True, eos=True)]
            seq = ["<s>"] + sent + ["</s>"]
            mine = [math.log10(ours.score(seq[j], seq[max(0, j - 2):j])) for j in range(1, len(seq))]
            # KenLM stores probabilities as float32: agreement to its precision
            np.testing.assert_allclose(mine, full, rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------------------- lmplz's <s>
LMPLZ_STYLE = DATA / "ngram_lmplz_style.arpa"  # see ngram_lmplz_style.md: <s> has log10 p = 0
LMPLZ_CONTEXTS = [[], ["<s>"], ["a"], ["b"], ["</s>"], ["<s>", "a"], ["a", "b"], ["b", "a"], ["zebra"]]


def test_lmplz_style_file_never_predicts_bos_and_every_distribution_sums_to_one():
    lm = read_arpa(LMPLZ_STYLE)
    bos = lm.vocabulary_.id("<s>")
    for context in LMPLZ_CONTEXTS:
        dist = lm.distribution(context)
        assert dist[bos] == 0.0 and lm.score("<s>", context) == 0.0, context
        # each log10 value is rounded to 7 significant digits: relative error < 1.2e-6 per term
        assert dist.sum() == pytest.approx(1.0, abs=1e-5), context
    assert lm.n_events_ == 4  # <unk>, </s>, a, b


def test_lmplz_style_file_gives_the_values_by_hand():
    lm = read_arpa(LMPLZ_STYLE)
    cases = [
        (["<s>"], "a", 0.5),
        (["<s>"], "</s>", 0.625 * 0.3),
        (["<s>", "a"], "b", 0.8),
        (["<s>", "a"], "</s>", 0.4 * 0.3),  # bow(<s> a) · p(</s> | a)
        (["<s>", "a"], "a", 0.4 * 0.4 * 0.4),  # bow(<s> a) · bow(a) · p(a)
        (["a", "b"], "a", 0.25 * (4 / 7) * 0.4),
        (["b"], "zebra", (4 / 7) * 0.1),
        ([], "b", 0.2),
    ]
    for context, word, expected in cases:
        assert lm.score(word, context) == pytest.approx(expected, rel=1e-5), (context, word)


def test_sampling_from_an_lmplz_style_file_never_emits_bos():
    lm = read_arpa(LMPLZ_STYLE)
    draws = lm.sample_ids([["<s>"], ["a"], ["b"], []], num_words=5, n_samples=200, seed=0)
    assert not np.any(draws == lm.vocabulary_.id("<s>"))


def test_an_ngram_ending_in_bos_is_a_context_only(tmp_path):
    text = LMPLZ_STYLE.read_text().replace("ngram 2=5", "ngram 2=6").replace(
        "-0.2218487\tb </s>\t0", "-0.2218487\tb </s>\t0\n-1\ta <s>\t0")
    path = tmp_path / "bos.arpa"
    path.write_text(text)
    assert read_arpa(path).score("<s>", ["a"]) == 0.0  # not 10^-1
    assert read_arpa(path).score("b", ["a"]) == read_arpa(LMPLZ_STYLE).score("b", ["a"])


@pytest.mark.clients
def test_kenlm_scores_the_lmplz_style_file_as_we_do():
    kenlm = need("kenlm")
    ours, theirs = read_arpa(LMPLZ_STYLE), kenlm.Model(str(LMPLZ_STYLE))
    for sent in [["a", "b"], ["a", "a", "b", "a"], ["b", "zebra", "a", "b"], []]:
        full = [p for p, _, _ in theirs.full_scores(" ".join(sent), bos=True, eos=True)]
        seq = ["<s>"] + sent + ["</s>"]
        mine = [math.log10(ours.score(seq[j], seq[max(0, j - 2):j])) for j in range(1, len(seq))]
        np.testing.assert_allclose(mine, full, rtol=1e-5, atol=1e-5)


@pytest.mark.clients
def test_sentence_scores_are_kenlms(tmp_path):
    """logscore_sentences (in bits) against kenlm.Model.score (log10) on the same ARPA file, for
    the strings kenlm takes; KenLM stores float32, so agreement is to its precision per word."""
    kenlm = need("kenlm")
    sents = _zipf_corpus(seed=5)
    path = tmp_path / "ours.arpa"
    NgramModel(3, "modified_kneser_ney").fit(sents[:300]).to_arpa(path)
    ours, theirs = read_arpa(path), kenlm.Model(str(path))
    text = [" ".join(s) for s in sents[300:]] + ["", "never-seen w1", "w1 w1 w1 w1"]
    for bos, eos in [(True, True), (False, True), (True, False)]:
        expected = np.array([theirs.score(s, bos=bos, eos=eos) for s in text])
        got = ours.logscore_sentences(text, bos=bos, eos=eos) / math.log2(10)
        n_words = np.array([len(s.split()) + 1 for s in text])
        gap = np.abs(got - expected)
        assert np.all(gap <= 1e-6 * n_words), (bos, eos, gap.max())


def test_the_models_own_symbols_need_not_be_listed_as_1_grams(tmp_path):
    # the vocabulary always holds <unk>, <s> and </s>: a later order may use them unlisted
    path = tmp_path / "unlisted_bos.arpa"
    path.write_text("\\data\\\nngram 1=2\nngram 2=1\n\n\\1-grams:\n-1 a -0.5\n-0.5 </s>\n\n\\2-grams:\n-0.25 <s> a\n\n\\end\\\n")
    lm = read_arpa(path)
    assert lm.score("a", ["<s>"]) == 10 ** -0.25 and lm.score("a", []) == 10 ** -1


_PIECES = ["\n", "\r\n", " ", "\t", "\u00a0", "\x00", "\\", "-", ".", "e", "0", "1", "9", "a", "b", "<s>", "ngram",
           "\\data\\", "\\2-grams:", "\\end\\", "-99", "1e400", "nan", "=", "\u2028", "\udcff"]


@settings(max_examples=150)
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 3), st.sampled_from(_PIECES)), min_size=1, max_size=6))
def test_a_damaged_file_is_read_the_same_or_refused_naming_its_line(tmp_path_factory, edits):
    """Cut, insert and replace pieces of the hand-written file: the reader returns a model or a
    ValueError naming the file (and the line, or the byte that is not UTF-8), never another error."""
    text = HANDWRITTEN.read_text()
    for at, n_cut, piece in edits:
        at %= len(text) + 1
        text = text[:at] + piece + text[at + n_cut:]
    path = tmp_path_factory.mktemp("fuzz") / "damaged.arpa"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    try:
        lm = read_arpa(path)
    except ValueError as exc:
        assert re.match(rf"{re.escape(str(path))}(, line \d+: |: not a UTF-8 text file)", str(exc)), str(exc)
        assert len(str(exc).splitlines()) == 1
    else:  # listed values: probabilities in [0, 1], backoff weights finite and non-negative
        t = lm.tables_
        assert np.all((t.prob >= 0) & (t.prob <= 1)) and np.all(np.isfinite(t.bow) & (t.bow >= 0))
