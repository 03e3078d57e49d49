"""An arbitrary-facts corpus as token sequences (private)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hallusim._rng import as_seed_sequence
from hallusim._validation import check_int, fail


@dataclass(frozen=True, eq=False)
class TokenLayout:
    """The vocabulary and the prompt names of a world.

    Token ids: ``0 … R−1`` the answer tokens (``R = max_c |R_c|``; prompt ``c``'s responses are
    ``0 … |R_c|−1``), ``R`` IDK, ``R+1`` the separator, then ``n_subwords`` name sub-words. Each
    prompt's name is ``name_length`` sub-words, distinct across prompts, drawn at random so the
    model has to learn each association rather than read a prompt id.

    Attributes
    ----------
    n_responses : ndarray of int, shape (C,)
        ``|R_c|``.
    names : ndarray of int, shape (C, name_length)
        Token ids of each prompt's name.
    n_subwords : int
    """

    n_responses: np.ndarray
    names: np.ndarray
    n_subwords: int

    @classmethod
    def for_world(cls, world, *, name_length=3, n_subwords=None, seed=0):
        """Draw the names of ``world``'s prompts.

        Parameters
        ----------
        world : ArbitraryFacts
        name_length : int, optional
            Sub-words per name (>= 1).
        n_subwords : int, optional
            Size of the sub-word vocabulary; default the smallest ``n >= 8`` with
            ``n^name_length >= 4 C``.
        seed : int or SeedSequence, optional
            Seed of the names.

        Returns
        -------
        TokenLayout
        """
        length = check_int("name_length", name_length, minimum=1)
        n_prompts = world.n_prompts
        if n_subwords is None:
            n_subwords = max(8, math.ceil((4 * n_prompts) ** (1.0 / length) - 1e-9))
            while n_subwords**length < 4 * n_prompts:
                n_subwords += 1
        n_subwords = check_int("n_subwords", n_subwords, minimum=2)
        if n_subwords**length < n_prompts:
            fail("n_subwords", f"at least {math.ceil(n_prompts ** (1 / length))} (C^(1/name_length)) so names are unique",
                 n_subwords)
        rng = np.random.default_rng(as_seed_sequence(seed))
        codes = rng.choice(n_subwords**length, size=n_prompts, replace=False)
        digits = (codes[:, None] // n_subwords ** np.arange(length)[None, :]) % n_subwords
        n_resp = np.broadcast_to(np.asarray(world.n_responses, dtype=np.int64), (n_prompts,)).copy()
        offset = int(n_resp.max()) + 2
        return cls(n_resp, (digits + offset).astype(np.int32), n_subwords)

    @property
    def width(self) -> int:
        """``R = max_c |R_c|``, the number of answer tokens."""
        return int(self.n_responses.max())

    @property
    def idk(self) -> int:
        """Token id of IDK."""
        return self.width

    @property
    def separator(self) -> int:
        """Token id of the separator."""
        return self.width + 1

    @property
    def vocab_size(self) -> int:
        """Number of tokens."""
        return self.width + 2 + self.n_subwords

    @property
    def seq_len(self) -> int:
        """Tokens per example: the name, the separator and the answer."""
        return self.names.shape[1] + 2

    def prefixes(self) -> np.ndarray:
        """Every prompt's name and separator, shape (C, seq_len − 1): the answer is predicted at the last position."""
        sep = np.full((self.names.shape[0], 1), self.separator, dtype=np.int32)
        return np.hstack([self.names, sep])


def render_corpus(corpus, layout, *, seed=None):
    """The corpus's ``N`` examples as token sequences, in the corpus's example order.

    Parameters
    ----------
    corpus : Corpus
    layout : TokenLayout
        Of the corpus's world.
    seed : optional
        Order of the examples (see :meth:`hallusim.Corpus.examples`).

    Returns
    -------
    tokens : ndarray of int32, shape (N, seq_len)
        Name, separator, then ``a_c`` or IDK.
    prompts : ndarray of int64, shape (N,)
    """
    if layout.names.shape[0] != corpus.world.n_prompts:
        fail("layout", f"a layout of the corpus's {corpus.world.n_prompts} prompts", f"<{layout.names.shape[0]} prompts>")
    prompts, responses = corpus.examples(seed)
    answer = np.where(responses >= 0, responses, layout.idk).astype(np.int32)
    return np.hstack([layout.prefixes()[prompts], answer[:, None]]), prompts
