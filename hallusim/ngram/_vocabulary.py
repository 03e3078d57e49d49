"""The vocabulary of an n-gram model: strings <-> integer ids, with the three special symbols."""

from __future__ import annotations

import numbers
from collections import Counter
from itertools import chain, repeat

import numpy as np

from hallusim._validation import check_int, fail

__all__ = ["Vocabulary", "UNK", "BOS", "EOS", "UNK_ID", "BOS_ID", "EOS_ID"]

UNK, BOS, EOS = "<unk>", "<s>", "</s>"
UNK_ID, BOS_ID, EOS_ID = 0, 1, 2  # KenLM's numbering


class Vocabulary:
    """A mapping between words and integer ids, as KenLM numbers them.

    Ids 0, 1 and 2 are always ``<unk>`` (out-of-vocabulary words), ``<s>`` (sentence start) and
    ``</s>`` (sentence end); ordinary words get ids 3, 4, ... in the order given.

    Parameters
    ----------
    words : iterable of str
        The ordinary words, in id order. Repeats and the three special symbols are skipped.

    Examples
    --------
    >>> vocab = Vocabulary(["the", "cat"])
    >>> vocab.encode(["the", "dog"]).tolist()
    [3, 0]
    >>> vocab.decode([1, 4, 2])
    ['<s>', 'cat', '</s>']
    """

    def __init__(self, words=()):
        self._words = [UNK, BOS, EOS]
        self._index = {UNK: UNK_ID, BOS: BOS_ID, EOS: EOS_ID}
        for word in words:
            if not isinstance(word, str):
                fail("words", "an iterable of str", word, error=TypeError)
            if word not in self._index:
                self._index[word] = len(self._words)
                self._words.append(word)

    @classmethod
    def from_sentences(cls, sentences, *, min_count: int = 1) -> "Vocabulary":
        """Build the vocabulary of a training text.

        Parameters
        ----------
        sentences : iterable of sequences of str
            Tokenised sentences.
        min_count : int, optional
            Words seen fewer times become ``<unk>`` (NLTK's ``unk_cutoff``). Default 1.

        Returns
        -------
        Vocabulary
            Words in order of first occurrence.
        """
        min_count = check_int("min_count", min_count, minimum=1)
        sentences = sentences if isinstance(sentences, (list, tuple)) else list(sentences)
        for sentence in sentences:
            if isinstance(sentence, str):
                fail("sentences", "an iterable of token sequences (not of strings)", sentence, error=TypeError)
        counts = Counter(chain.from_iterable(sentences))  # one C-level pass over the tokens
        if min_count == 1:
            return cls(counts)
        return cls(word for word, count in counts.items() if count >= min_count)

    @classmethod
    def of_size(cls, size: int) -> "Vocabulary":
        """A vocabulary for integer token ids ``0 .. size-1``: word ``k >= 3`` is named ``str(k)``.

        Parameters
        ----------
        size : int
            Number of ids, at least 3 (the special symbols).

        Returns
        -------
        Vocabulary
        """
        size = check_int("size", size, minimum=3)
        return cls(str(k) for k in range(3, size))

    def __len__(self) -> int:
        return len(self._words)

    def __contains__(self, word) -> bool:
        return word in self._index

    def __iter__(self):
        return iter(self._words)

    def __eq__(self, other) -> bool:
        return isinstance(other, Vocabulary) and self._words == other._words

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} symbols)"

    @property
    def words(self) -> list[str]:
        """All symbols in id order (the specials first)."""
        return list(self._words)

    def id(self, word) -> int:
        """Id of one token.

        Parameters
        ----------
        word : str or int
            A word (``<unk>``'s id if unknown) or an id (checked against the size).

        Returns
        -------
        int
        """
        if isinstance(word, str):
            return self._index.get(word, UNK_ID)
        if isinstance(word, numbers.Integral) and not isinstance(word, (bool, np.bool_)):
            if 0 <= word < len(self._words):
                return int(word)
            fail("word", f"a str or an int id in [0, {len(self._words) - 1}]", word)
        fail("word", "a str or an int id", word, error=TypeError)

    def encode(self, tokens) -> np.ndarray:
        """Ids of a sequence of tokens (str, or int ids checked against the vocabulary size).

        Parameters
        ----------
        tokens : sequence of str, or of int, or 1-D int array

        Returns
        -------
        numpy.ndarray of int64
        """
        if isinstance(tokens, str):
            fail("tokens", "a sequence of tokens (not a str)", tokens, error=TypeError)
        if isinstance(tokens, np.ndarray) and tokens.dtype.kind in "iu":
            ids = tokens.astype(np.int64, copy=False).ravel()
            if ids.size and (ids.min() < 0 or ids.max() >= len(self._words)):
                fail("tokens", f"ids in [0, {len(self._words) - 1}]", f"<ids in [{ids.min()}, {ids.max()}]>")
            return ids
        if set(map(type, tokens)) <= {str}:  # C-level passes: no Python code per token
            return np.fromiter(map(self._index.get, tokens, repeat(UNK_ID)), dtype=np.int64, count=len(tokens))
        return np.fromiter((self.id(t) for t in tokens), dtype=np.int64, count=len(tokens))

    def decode(self, ids) -> list[str]:
        """The words of a sequence of ids.

        Parameters
        ----------
        ids : sequence of int

        Returns
        -------
        list of str
        """
        words = self._words
        return [words[int(i)] for i in np.asarray(ids, dtype=np.int64).ravel()]
