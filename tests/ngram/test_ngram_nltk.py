"""Parity with nltk.lm (a test-only reference) on a real English text, and the documented places
where nltk.lm's model differs or is wrong.

The text is CPython's own documentation of the language (``pydoc_data.topics``, shipped with every
CPython: no download). It is tokenised into lower-case words, numbers and punctuation, one
sentence per line. Probabilities must agree to 1e-9 wherever both libraries define the same model;
that needs ``padding="nltk"`` (n−1 ``<s>``/``</s>`` counted as tokens, ``padded_everygram_pipeline``)
and, for the interpolated models, ``uniform_base=False`` (nltk.lm ends the interpolation at the
unigram level).
"""

import math
import re

import numpy as np
import pytest

nltk_lm = pytest.importorskip("nltk.lm")
topics = pytest.importorskip("pydoc_data.topics")

from nltk.lm.preprocessing import pad_both_ends, padded_everygram_pipeline  # noqa: E402
from nltk.util import ngrams  # noqa: E402

from hallusim.ngram import NgramModel  # noqa: E402

TOLERANCE = 1e-9


def _sentences():
    text = "\n".join(topics.topics[key] for key in sorted(topics.topics))
    sents = []
    for line in text.split("\n"):
        tokens = re.findall(r"[a-z]+|\d+|[^\sa-z\d]", line.lower())
        if len(tokens) >= 3:
            sents.append(tokens)
    return sents


SENTS = _sentences()
TRAIN, TEST = SENTS[:1500], SENTS[1500:1560]


def _nltk(cls, order, *args, **kwargs):
    lm = cls(*args, order=order, **kwargs) if args else cls(order, **kwargs)
    text, vocab = padded_everygram_pipeline(order, TRAIN)
    lm.fit(text, vocab)
    return lm


def _queries(order, n_sent=len(TEST)):
    """Every (context, word) of the padded test sentences, plus shorter and unseen contexts."""
    pairs = []
    for sent in TEST[:n_sent]:
        padded = list(pad_both_ends(sent, n=order))
        for i in range(order - 1, len(padded)):
            context = tuple(padded[i - order + 1:i])
            pairs.append((context, padded[i]))
            pairs.append((context[1:], padded[i]))
    pairs.append((("zebra",) * (order - 1), "the"))
    pairs.append((("the",) * (order - 1), "zebra"))
    return pairs


CASES = {
    "mle": (lambda n: _nltk(nltk_lm.MLE, n), {}),
    "lidstone": (lambda n: _nltk(nltk_lm.Lidstone, n, 0.3), {"gamma": 0.3}),
    "laplace": (lambda n: _nltk(nltk_lm.Laplace, n), {}),
    "witten_bell": (lambda n: _nltk(nltk_lm.WittenBellInterpolated, n), {"uniform_base": False}),
    "absolute_discounting": (
        lambda n: _nltk(nltk_lm.AbsoluteDiscountingInterpolated, n, discount=0.75),
        {"uniform_base": False, "discount": 0.75},
    ),
}


@pytest.mark.parametrize("smoothing", list(CASES))
@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_probabilities_match_nltk(smoothing, order):
    make_nltk, kwargs = CASES[smoothing]
    ref = make_nltk(order)
    ours = NgramModel(order, smoothing, padding="nltk", **kwargs).fit(TRAIN)
    assert ours.n_events_ == len(ref.vocab)
    pairs = _queries(order)
    expected = np.array([ref.score(w, c) for c, w in pairs])
    got = ours.score_pairs([c for c, _ in pairs], [w for _, w in pairs])
    np.testing.assert_allclose(got, expected, rtol=TOLERANCE, atol=TOLERANCE * 1e-3)
    assert np.count_nonzero(expected) > len(pairs) // 4  # the comparison is not vacuous


def test_kneser_ney_matches_nltk_away_from_the_sentence_start():
    # nltk's KneserNey scans every stored n-gram for each query: keep the query set small.
    ref = _nltk(nltk_lm.KneserNeyInterpolated, 3, discount=0.1)
    ours = NgramModel(3, "kneser_ney", padding="nltk", discount=0.1, uniform_base=False).fit(TRAIN)
    pairs = [(c, w) for c, w in _queries(3, 12) if "<s>" not in c]
    assert len(pairs) > 100
    expected = np.array([ref.score(w, c) for c, w in pairs])
    got = ours.score_pairs([c for c, _ in pairs], [w for _, w in pairs])
    np.testing.assert_allclose(got, expected, rtol=TOLERANCE, atol=TOLERANCE * 1e-3)


def test_nltk_kneser_ney_does_not_normalise_at_the_sentence_start():
    """nltk.lm's KneserNey computes γ(h) from the number of word types seen after ``h`` in the raw
    counts, but α from continuation counts. After ``(<s>,)`` the n-gram ``(<s>, <s>)`` has a raw
    count yet no left context, so γ counts a type whose α is 0: its probabilities after sentence
    starts sum to more than 1. Ours counts types by the same adjusted counts as α and sums to 1."""
    train = TRAIN[:150]
    ref = nltk_lm.KneserNeyInterpolated(3, discount=0.1)
    text, vocab = padded_everygram_pipeline(3, train)
    ref.fit(text, vocab)
    ours = NgramModel(3, "kneser_ney", padding="nltk", discount=0.1, uniform_base=False).fit(train)
    words = list(ref.vocab)
    for context in [("<s>", "<s>"), ("<s>",)]:
        nltk_total = math.fsum(ref.score(w, context) for w in words)
        assert nltk_total > 1.0 + 1e-5
        assert ours.distribution(list(context)).sum() == pytest.approx(1.0, abs=1e-12)
    for context in [("of", "the"), ("the",)]:  # elsewhere both are distributions
        assert math.fsum(ref.score(w, context) for w in words) == pytest.approx(1.0, abs=1e-12)


def test_nltk_mle_and_lidstone_do_not_truncate_long_contexts():
    """nltk.lm's interpolated models use the last n−1 context words, but MLE and Lidstone look up
    the whole context in the counts of its own length: a longer context is never found (MLE gives
    0, Lidstone 1/|V|). Ours always uses the last n−1 words, as an n-gram model means."""
    ref = _nltk(nltk_lm.MLE, 2)
    ours = NgramModel(2, "mle", padding="nltk").fit(TRAIN)
    long_context, short_context = ("in", "the"), ("the",)
    assert ref.score("following", short_context) > 0
    assert ref.score("following", long_context) == 0.0
    assert ours.score("following", long_context) == ours.score("following", short_context)
    assert ours.score("following", short_context) == pytest.approx(ref.score("following", short_context), rel=1e-12)


def test_nltk_gives_unseen_words_zero_and_the_uniform_base_does_not():
    """nltk.lm's Witten–Bell and Kneser–Ney end at the unigram level, so a word never seen in
    training has probability 0 (infinite perplexity on any test text containing one). With the
    default ``uniform_base=True`` ours interpolates with the uniform distribution, as Chen &
    Goodman and KenLM do."""
    ref = _nltk(nltk_lm.WittenBellInterpolated, 2)
    ours = NgramModel(2, "witten_bell", padding="nltk").fit(TRAIN)
    assert ref.score("zyzzyva", ("the",)) == 0.0
    assert ours.score("zyzzyva", ["the"]) > 0.0
    assert ours.distribution(["the"]).sum() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("smoothing", ["laplace", "witten_bell"])
def test_perplexity_matches_nltk(smoothing):
    make_nltk, kwargs = CASES[smoothing]
    ref = make_nltk(3)
    ours = NgramModel(3, smoothing, padding="nltk", **kwargs).fit(TRAIN)
    test = [s for s in TEST if all(w in ref.vocab for w in s)][:20]
    test_ngrams = [g for s in test for g in ngrams(pad_both_ends(s, n=3), 3)]
    assert ours.perplexity(test) == pytest.approx(ref.perplexity(test_ngrams), rel=TOLERANCE)
