"""Bad input to the n-gram model: messages name `sentences`; huge ids and folders refused."""

from __future__ import annotations

import numpy as np
import pytest

from hallusim.ngram import NgramModel, count_ngrams, count_padded_ngrams, read_arpa


@pytest.mark.parametrize(
    "sentences, shown",
    [(np.ones((3, 3)), "float64 array"), ([["a", 1, "b"]], "1 in sentence 0"), ([["a", None, "b"]], "None in sentence 0")],
)
def test_fit_errors_name_sentences(sentences, shown):
    with pytest.raises(TypeError, match=r"^`sentences` must be") as info:
        NgramModel(2).fit(sentences)
    assert shown in str(info.value)


def test_an_id_implying_a_vocabulary_beyond_memory_is_refused():
    with pytest.raises(ValueError, match=r"^`sentences` must be a size whose arrays fit in memory .*needs about"):
        NgramModel(2).fit([[1, 10**12]])


def test_read_arpa_on_a_folder(tmp_path):
    with pytest.raises(ValueError, match=r": is a folder, not a file\.$"):
        read_arpa(tmp_path)


_TOKENS, _OFFSETS = np.array([3, 4, 5], dtype=np.int32), np.array([0, 2, 3])


@pytest.mark.parametrize("call, message", [
    (lambda: count_ngrams(_TOKENS, _OFFSETS, 3, 6, "both"), "`padding` must be one of 'sentence', 'nltk', 'none'"),
    (lambda: count_ngrams(_TOKENS, _OFFSETS, 0, 6, "sentence"), "`order` must be"),
    (lambda: count_ngrams(_TOKENS.astype(float), _OFFSETS, 3, 6, "sentence"), "`tokens` must be a 1-D int array"),
    (lambda: count_ngrams(_TOKENS, np.array([0, 2]), 3, 6, "sentence"), "`offsets` must be non-decreasing sentence starts"),
    (lambda: count_ngrams(_TOKENS, np.array([0, 3, 2, 3]), 3, 6, "sentence"), "`offsets` must be non-decreasing"),
    (lambda: count_ngrams(_TOKENS, _OFFSETS, 3, 5, "sentence"), r"`tokens` must be ids in 0 \.\. vocab_size - 1 = 4"),
    (lambda: count_ngrams(_TOKENS - 4, _OFFSETS, 3, 6, "sentence"), "`tokens` must be ids in 0"),
    (lambda: count_ngrams(_TOKENS, _OFFSETS, 3, 2, "sentence"), "`vocab_size` must be"),
    (lambda: count_padded_ngrams((_TOKENS, _OFFSETS), 3, 6, "sentence"), "`padded` must be a list"),
])
def test_counting_refuses_what_it_cannot_count(call, message):
    with pytest.raises(ValueError, match=message):
        call()
