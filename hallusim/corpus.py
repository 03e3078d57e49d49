"""A training corpus drawn from an arbitrary-facts world, held as sufficient statistics."""

from __future__ import annotations

from functools import cached_property

import numpy as np

from hallusim import _rng
from hallusim._kernels import facts as kernels
from hallusim._validation import fail
from hallusim.goodturing import frequency_of_frequencies

__all__ = ["Corpus", "check_corpus"]

_WORLD_INTERFACE = ("n_prompts", "weights", "strided_answer_prob", "answers", "first_prompt")


class Corpus:
    """``N`` training examples of an :class:`~hallusim.ArbitraryFacts` world.

    The corpus stores, per prompt, how many examples answered it (``(c, a_c)``) and how many
    abstained (``(c, IDK)``); every statistic of the paper is a function of these counts.
    Usually made by :meth:`ArbitraryFacts.sample`.

    Parameters
    ----------
    world : ArbitraryFacts
        The world the examples came from.
    answered_counts, idk_counts : array_like of int, shape (C,)
        Per-prompt counts of answered and of IDK examples.
    seed : None, int or SeedSequence, optional
        The sample's seed (recorded for provenance and for :meth:`examples`).
    answer_seed : None, int or SeedSequence, optional
        The seed of the realised answers ``a_c``; defaults to ``seed``, or to 0 when both are None.
    poissonized : bool, optional
        Whether the counts were drawn as independent Poissons.

    Attributes
    ----------
    world, answered_counts, idk_counts, poissonized
    """

    def __init__(self, world, answered_counts, idk_counts, *, seed=None, answer_seed=None, poissonized=False):
        # A world is anything with the interface of ArbitraryFacts (which builds its corpora, and
        # so sits above this module): prompt weights, answer probabilities and realised answers.
        if not all(hasattr(world, name) for name in _WORLD_INTERFACE):
            fail("world", "an ArbitraryFacts world", f"<{type(world).__name__}>", error=TypeError)
        self.world = world
        self.answered_counts = self._counts("answered_counts", answered_counts, world.n_prompts)
        self.idk_counts = self._counts("idk_counts", idk_counts, world.n_prompts)
        if self.n_examples < 1:
            fail("answered_counts", "counts with at least one example in all", "<an empty corpus>")
        self.seed = None if seed is None else _rng.as_seed_sequence(seed)
        if answer_seed is None:
            answer_seed = self.seed if self.seed is not None else 0
        self.answer_seed = _rng.as_seed_sequence(answer_seed, "answer_seed")
        self.answer_key = _rng.counter_key(self.answer_seed, _rng.PURPOSE_ANSWERS)
        self.poissonized = bool(poissonized)

    @staticmethod
    def _counts(name, value, size):
        arr = np.asarray(value)
        if arr.shape != (size,) or arr.dtype.kind not in "iu":
            fail(name, f"a 1-D integer array of length {size} (one count per prompt)", f"<{arr.dtype} array of shape {arr.shape}>")
        if arr.size and arr.min() < 0:
            fail(name, "non-negative counts", int(arr.min()))
        return arr

    # -- sizes ----------------------------------------------------------------------------------
    @cached_property
    def n_examples(self) -> int:
        """``N``: all training examples, IDK examples included (Definition 2)."""
        return int(self.answered_counts.sum(dtype=np.int64)) + int(self.idk_counts.sum(dtype=np.int64))

    @cached_property
    def n_answered(self) -> int:
        """Number of non-IDK training examples."""
        return int(self.answered_counts.sum(dtype=np.int64))

    def _n_blocks(self):
        return _rng.BLOCK_SIZE, -(-self.world.n_prompts // _rng.BLOCK_SIZE)

    # -- Good–Turing statistics -------------------------------------------------------------------
    @cached_property
    def singleton_count(self) -> int:
        """``|S|``: prompts answered exactly once in training (Definition 2)."""
        block, n_blocks = self._n_blocks()
        out = np.empty(n_blocks, dtype=np.int64)
        kernels.count_equal(self.answered_counts, 1, block, out)
        return int(out.sum())

    @property
    def singleton_rate(self) -> float:
        """``sr = |S| / N``, Definition 2 (``N`` counts IDK examples too)."""
        return self.singleton_count / self.n_examples

    @cached_property
    def missing_mass(self) -> float:
        """``MM = Σ_{c ∈ U} μ(c)·α_c``, the exact missing mass with abstentions, where ``U`` is
        the set of prompts never answered in training (Section 3.3.1 of the paper)."""
        block, n_blocks = self._n_blocks()
        alpha, stride = self.world.strided_answer_prob()
        out = np.empty(n_blocks)
        kernels.masked_weight_sums(self.world.weights, alpha, stride, self.answered_counts, 0, block, out)
        return float(np.sum(out))

    def frequency_of_frequencies(self):
        """``(r, n_r)``: how many prompts were answered exactly ``r`` times, for ``r >= 1``."""
        return frequency_of_frequencies(self.answered_counts)

    # -- the realisation -------------------------------------------------------------------------
    @cached_property
    def answers(self) -> np.ndarray:
        """The realised correct answers ``a_c`` (int64, in ``[0, |R_c|)``)."""
        return self.world.answers(self.answer_seed)

    @property
    def seen(self) -> np.ndarray:
        """Boolean mask of prompts answered at least once (the complement of ``U``)."""
        return self.answered_counts > 0

    def examples(self, seed=None):
        """The explicit example stream ``(c_i, r_i)``, ``i = 1..N``, in random order.

        Parameters
        ----------
        seed : None, int, SeedSequence or Generator, optional
            Seed of the order; by default derived from the corpus's seed, so that the stream is
            reproducible.

        Returns
        -------
        prompts : ndarray of int64, shape (N,)
        responses : ndarray of int64, shape (N,)
            ``a_c`` for an answered example, ``-1`` for IDK.

        Notes
        -----
        Needs ``16·N`` bytes; the counts are the sufficient statistics and suffice for every
        learner in :mod:`hallusim.learners`.
        """
        if seed is None:
            base = self.seed if self.seed is not None else self.answer_seed
            seed = _rng.derive(base, _rng.PURPOSE_STREAM)
        rng = np.random.default_rng(_rng.as_seed_sequence(seed))
        prompt_ids = np.arange(self.world.n_prompts, dtype=np.int64)
        prompts = np.concatenate([np.repeat(prompt_ids, self.answered_counts), np.repeat(prompt_ids, self.idk_counts)])
        responses = np.concatenate([self.answers[prompts[: self.n_answered]], np.full(self.n_examples - self.n_answered, -1)])
        order = rng.permutation(self.n_examples)
        return prompts[order], responses[order]

    def __repr__(self) -> str:
        return f"Corpus(n_examples={self.n_examples}, n_prompts={self.world.n_prompts}, singleton_rate={self.singleton_rate:.6g})"


def check_corpus(corpus, name: str = "corpus") -> Corpus:
    """Refuse anything but a :class:`Corpus` (``TypeError`` naming the parameter).

    Parameters
    ----------
    corpus : object
    name : str, optional
        The parameter's name in the message.

    Returns
    -------
    Corpus
    """
    if not isinstance(corpus, Corpus):
        fail(name, "a Corpus", f"<{type(corpus).__name__}>", error=TypeError)
    return corpus
