"""Running text as (context → next token) facts, for ``hallusim floor --text FILE --context-order k``.

The paper's n-gram view (Section 3.3 and Appendix B's learner read as an n-gram model) treats
each context of ``k`` tokens followed by a token as one example of the fact "after this context
comes this token". The counts of these (k+1)-grams give their singleton rate, which is the
Good–Turing estimate of the probability that the next (context, token) pair is one never seen.
That is a *missing-mass estimate*: running text is not drawn iid from arbitrary facts
(Definition 1), so Theorem 2's floor does not apply as a theorem; the report says so.

Tokens are whitespace-separated (``str.split``), read line by line with the context carried
across line ends (running text); the (k+1)-grams are hashed to 64 bits (a false merge of two
distinct ones has probability about ``distinct² / 2^65``) and tallied chunk by chunk (memory
proportional to the distinct (k+1)-grams and the vocabulary).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hallusim._inputs import open_input
from hallusim._validation import check_int
from hallusim.floor._counts import FloorCounts, FloorFileError, _Tally

__all__ = ["read_text_counts", "TEXT_CAVEAT", "MAX_CONTEXT_ORDER"]

#: The longest context (in tokens) that running text is counted with.
MAX_CONTEXT_ORDER = 64

TEXT_CAVEAT = ("running text: the facts are (context -> next token) pairs, so sr is the Good-Turing missing-mass "
               "estimate of the next pair being unseen, not Theorem 2's floor on arbitrary facts (text is not "
               "drawn iid from arbitrary facts); read the floor as a missing-mass estimate.")

_LINES_PER_CHUNK = 200_000
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)


def _mix(h: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser (a bijection of 64-bit words), vectorised."""
    h = h ^ (h >> np.uint64(30))
    h = h * _MIX_1
    h = h ^ (h >> np.uint64(27))
    h = h * _MIX_2
    return h ^ (h >> np.uint64(31))


def _gram_hashes(ids: np.ndarray, order: int) -> np.ndarray:
    """64-bit hashes of every window of ``order + 1`` consecutive token ids."""
    n = ids.size - order
    h = np.zeros(n, np.uint64)
    with np.errstate(over="ignore"):
        for j in range(order + 1):
            h = _mix(h ^ ids[j : j + n].astype(np.uint64) + np.uint64(j + 1))
    return h.view(np.int64)


def read_text_counts(path, *, context_order: int = 1, lowercase: bool = False) -> FloorCounts:
    """Count the (context of ``k`` tokens → next token) pairs of a text file.

    Parameters
    ----------
    path : str or Path
        A UTF-8 text file (gzip-compressed or not).
    context_order : int
        ``k >= 0``, the tokens of context (``k = 0``: each token is a fact of its own, a unigram
        count; ``k = 2``: trigrams).
    lowercase : bool
        Whether to lowercase the text first.

    Returns
    -------
    FloorCounts
        Per-pair counts as a frequency-of-frequencies table; ``N`` is the number of pairs
        (tokens minus ``k``), ``n_prompts`` the distinct pairs, ``caveat`` says the figures are a
        missing-mass estimate (:data:`TEXT_CAVEAT`).
    """
    order = check_int("context_order", context_order, minimum=0, maximum=MAX_CONTEXT_ORDER)
    path = Path(path)
    vocab: dict[str, int] = {}
    tally = _Tally()
    carry = np.zeros(0, np.int64)
    n_tokens = 0
    line_number = 0
    compressed = False
    try:
        with open_input(path, error=FloorFileError) as source:
            compressed = source.compressed
            chunk: list[str] = []
            for raw in source.stream:
                line_number += 1
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise FloorFileError(f"{path}, line {line_number}: not UTF-8 text.") from None
                chunk.append(line.lower() if lowercase else line)
                if len(chunk) >= _LINES_PER_CHUNK:
                    carry, n_tokens = _add_chunk(chunk, vocab, carry, order, tally, n_tokens)
                    chunk = []
            carry, n_tokens = _add_chunk(chunk, vocab, carry, order, tally, n_tokens)
    except OSError as exc:
        raise FloorFileError(f"{path}: cannot be read ({exc.strerror or exc}).") from None
    if n_tokens <= order:
        raise FloorFileError(f"{path}: {n_tokens} tokens; a context order of {order} needs at least {order + 1}.")
    counts = tally.counts
    r, n_r = np.unique(counts, return_counts=True)
    n = n_tokens - order
    detected = (f"running text ({'gzip-compressed, ' if compressed else ''}{n_tokens:,} whitespace tokens, "
                f"vocabulary {len(vocab):,}; facts = (context of {order} token{'s' if order != 1 else ''} -> next "
                f"token) pairs{', lowercased' if lowercase else ''}; IDK: none)")
    return FloorCounts(r.astype(np.int64), n_r.astype(np.int64), n, 0, int(counts.size), str(path), detected,
                       caveat=TEXT_CAVEAT)


def _add_chunk(lines, vocab, carry, order, tally, n_tokens):
    tokens = " ".join(lines).split()
    if not tokens:
        return carry, n_tokens
    get = vocab.setdefault
    ids = np.fromiter((get(token, len(vocab)) for token in tokens), np.int64, len(tokens))
    ids = np.concatenate([carry, ids])
    if ids.size > order:
        tally.add(_gram_hashes(ids, order))
    return ids[ids.size - order :] if order else ids[:0], n_tokens + len(tokens)
