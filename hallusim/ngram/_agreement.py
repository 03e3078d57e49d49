"""The pronoun-agreement world of Corollary 2 ("She/He … was completely out of her/his mind")."""

from __future__ import annotations

import numpy as np

from hallusim._rng import as_seed_sequence
from hallusim._validation import check_int

__all__ = ["AgreementWorld", "FILLER_WORDS"]

FILLER_WORDS = ("lost", "it", "and", "was", "completely", "then", "really", "just", "so", "quite",
                "suddenly", "simply", "almost", "still", "very", "truly")


class AgreementWorld:
    """Sentences ``pronoun f_1 … f_d completion mind`` in which the completion agrees with the
    pronoun (``she → her``, ``he → his``), Corollary 2's example with a tunable distance.

    The ``distance`` ``d`` tokens between the pronoun and the completion are ``d − 2`` filler words
    drawn uniformly (with replacement) from the first ``filler_vocab_size`` of
    :data:`FILLER_WORDS`, then ``out of``; pronouns are equally likely. An n-gram model sees the
    pronoun when it predicts the completion only if ``n − 1 ≥ d + 1``; with a shorter window the
    two prompts of a pair are indistinguishable, so ``opt(G) = 1/2`` and ``err ≥ 1/2``
    (Theorem 3 with ``C = 2``). A longer window must see each of the ``filler_vocab_size^(d−2)``
    filler sequences in training: the data needed grows exponentially with the distance.

    Parameters
    ----------
    distance : int
        ``d >= 2``; the paper's sentence has ``d = 7`` ("lost it and was completely out of").
    filler_vocab_size : int
        Number of distinct filler words, in [1, 16].

    Attributes
    ----------
    pronouns, completions : tuple of str
        ``("she", "he")`` and ``("her", "his")``.
    """

    pronouns = ("she", "he")
    completions = ("her", "his")

    def __init__(self, distance: int = 7, filler_vocab_size: int = 4):
        self.distance = check_int("distance", distance, minimum=2)
        self.filler_vocab_size = check_int("filler_vocab_size", filler_vocab_size, minimum=1, maximum=len(FILLER_WORDS))

    def __repr__(self) -> str:
        return f"AgreementWorld(distance={self.distance}, filler_vocab_size={self.filler_vocab_size})"

    @property
    def responses(self) -> list[list[str]]:
        """The two candidate responses ``r1 = her mind`` and ``r2 = his mind`` (C = 2)."""
        return [[c, "mind"] for c in self.completions]

    def _fillers(self, rng, n: int) -> list[list[str]]:
        words = np.array(FILLER_WORDS[: self.filler_vocab_size])
        draws = rng.integers(0, self.filler_vocab_size, size=(n, self.distance - 2))
        return [list(words[row]) + ["out", "of"] for row in draws]

    def sample(self, n_sentences: int, seed=None) -> list[list[str]]:
        """A training corpus of ``n_sentences`` sentences.

        Parameters
        ----------
        n_sentences : int
        seed : None, int, SeedSequence or Generator

        Returns
        -------
        list of list of str
        """
        n_sentences = check_int("n_sentences", n_sentences, minimum=1)
        rng = np.random.default_rng(as_seed_sequence(seed))
        which = rng.integers(0, 2, size=n_sentences)
        fillers = self._fillers(rng, n_sentences)
        return [[self.pronouns[w]] + f + [self.completions[w], "mind"] for w, f in zip(which, fillers)]

    def prompt_pairs(self, n_pairs: int, seed=None):
        """A balanced test set: ``n_pairs`` filler sequences, each with both pronouns.

        Every window that hides the pronoun then holds as much ``she`` as ``he`` mass, so the
        Corollary 2 floor ``err ≥ 1/2`` holds exactly on this set, not only in expectation.

        Parameters
        ----------
        n_pairs : int
        seed : None, int, SeedSequence or Generator

        Returns
        -------
        prompts : list of list of str
            ``2·n_pairs`` prompts (pronoun and fillers, ending in ``out of``).
        valid : numpy.ndarray of int
            Index of the valid response in :attr:`responses` (0 for ``she``, 1 for ``he``).
        """
        n_pairs = check_int("n_pairs", n_pairs, minimum=1)
        rng = np.random.default_rng(as_seed_sequence(seed))
        prompts, valid = [], []
        for fillers in self._fillers(rng, n_pairs):
            for w in (0, 1):
                prompts.append([self.pronouns[w]] + fillers)
                valid.append(w)
        return prompts, np.array(valid, dtype=np.int64)
