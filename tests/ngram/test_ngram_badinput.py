"""Bad input to the n-gram model: messages name `sentences`; huge ids and folders refused."""

from __future__ import annotations

import numpy as np
import pytest

from hallusim.ngram import NgramModel, read_arpa


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
