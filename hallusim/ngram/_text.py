"""Reading a training text (one sentence a line, tokens separated by whitespace) into int ids.

The file is read a block of lines at a time and each block is turned into ids with C-level
passes (``str.split``, ``map`` over a dict), so the memory held is the int64 ids plus one block of
strings, and no Python code runs per token.
"""

from __future__ import annotations

from itertools import chain
from typing import NamedTuple

import numpy as np

from hallusim._validation import check_int, fail
from hallusim.ngram._vocabulary import BOS, EOS, UNK, UNK_ID, Vocabulary

__all__ = ["TextCorpus", "read_text"]

_BLOCK_BYTES = 1 << 24  # about 16 MB of text per block


class TextCorpus(NamedTuple):
    """A training text as int ids: sentence ``s`` is ``tokens[offsets[s]:offsets[s+1]]``."""

    tokens: np.ndarray
    offsets: np.ndarray
    vocabulary: Vocabulary
    n_special: int  # occurrences of <s>, </s> and <unk> in the text, dropped (as KenLM's lmplz does)


def read_text(path, *, min_count: int = 1) -> TextCorpus:
    """Read a tokenised training text: one sentence per line, tokens separated by whitespace.

    Parameters
    ----------
    path : str or Path
        A UTF-8 text file. Empty lines are empty sentences; ``<s>``, ``</s>`` and ``<unk>`` in
        the text are dropped and counted (KenLM's ``lmplz`` treats them as whitespace).
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
    index = {UNK: -1, BOS: -1, EOS: -1}  # the specials are dropped
    words: list[str] = []
    id_parts, length_parts = [], []
    try:
        with open(path, encoding="utf-8", newline="\n") as fh:
            while True:
                lines = fh.readlines(_BLOCK_BYTES)
                if not lines:
                    break
                per_line = list(map(str.split, lines))
                flat = list(chain.from_iterable(per_line))
                for word in dict.fromkeys(flat):  # the block's distinct words, in order of first occurrence
                    if word not in index:
                        index[word] = len(words) + 3
                        words.append(word)
                id_parts.append(np.fromiter(map(index.__getitem__, flat), dtype=np.int64, count=len(flat)))
                length_parts.append(np.fromiter(map(len, per_line), dtype=np.int64, count=len(per_line)))
    except FileNotFoundError:
        raise ValueError(f"{path}: no such text file.") from None
    except IsADirectoryError:
        raise ValueError(f"{path}: a folder, not a text file.") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not a UTF-8 text file ({exc.reason} at byte {exc.start} of a block).") from None
    tokens = np.concatenate(id_parts) if id_parts else np.empty(0, dtype=np.int64)
    lengths = np.concatenate(length_parts) if length_parts else np.empty(0, dtype=np.int64)
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
        new_id = np.full(len(words) + 3, UNK_ID, dtype=np.int64)
        new_id[kept + 3] = np.arange(3, kept.size + 3)
        tokens = new_id[tokens]
        words = [words[i] for i in kept.tolist()]
    return TextCorpus(tokens, offsets, Vocabulary(words), n_special)
