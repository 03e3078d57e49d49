"""The arbitrary-facts world of Definition 1 and its constructors.

A world fixes the prompt distribution ``μ(c)``, the response sets ``R_c`` (only their sizes
matter), and the answer probabilities ``α_c``; one correct answer ``a_c`` per prompt is drawn
uniformly from ``R_c`` with each realisation. Training examples are ``(c, a_c)`` with probability
``μ(c)·α_c`` and ``(c, IDK)`` with probability ``μ(c)·(1 − α_c)``.
"""

from __future__ import annotations

import numpy as np

from hallusim import _rng
from hallusim._inputs import MAX_COUNT, check_allocation, check_count
from hallusim._kernels import facts as kernels
from hallusim._validation import (
    check_float,
    check_int_array,
    check_probability,
    check_scaled_weights,
    fail,
)
from hallusim.corpus import Corpus
from hallusim.goodturing import expected_missing_mass, expected_singletons

__all__ = ["ArbitraryFacts"]


def _strided(value, dtype):
    """An array and a stride (0 for a broadcast scalar, 1 for a per-prompt array)."""
    arr = np.atleast_1d(np.asarray(value, dtype=dtype))
    return arr, (0 if arr.shape[0] == 1 and np.ndim(value) == 0 else 1)


#: Bytes per prompt of a world and one corpus sampled from it (weights and their temporaries,
#: the answered and IDK counts): what :func:`check_allocation` is asked for before allocating.
BYTES_PER_PROMPT = 64


def normalised_weights(scaled) -> np.ndarray:
    """``scaled / Σ scaled``, the sum taken over blocks of :data:`hallusim._rng.BLOCK_SIZE` prompts,
    each in order, then over the blocks in order.

    Its bits do not depend on how the prompts are held, so a world streamed block by block
    (:mod:`hallusim.streaming`) has the weights of the same world held in memory.

    Parameters
    ----------
    scaled : ndarray of float64
        Validated, non-negative weights, not all zero.

    Returns
    -------
    ndarray of float64
    """
    sums = np.empty(-(-scaled.shape[0] // _rng.BLOCK_SIZE))
    kernels.block_masses(scaled, _rng.BLOCK_SIZE, sums)
    return scaled / kernels.ordered_sum(sums)


def zipf_scaled_weights(first_rank, n_prompts, exponent) -> np.ndarray:
    """Zipf weights ``r^(−s)`` of ranks ``first_rank … first_rank + n_prompts − 1``, unnormalised
    (rank 1 has weight 1, the largest).

    Parameters
    ----------
    first_rank, n_prompts : int
    exponent : float

    Returns
    -------
    ndarray of float64
    """
    out = np.empty(n_prompts)
    kernels.zipf_weights(first_rank, float(exponent), out)
    return out


def _check_n_prompts(n_prompts) -> int:
    n_prompts = check_count("n_prompts", n_prompts, minimum=1)
    check_allocation("n_prompts", n_prompts * BYTES_PER_PROMPT)
    return n_prompts


class ArbitraryFacts:
    """A world of arbitrary facts (Definition 1).

    Parameters
    ----------
    weights : array_like, shape (C,)
        Non-negative prompt weights, normalised to the prompt distribution ``μ``.
    n_responses : int or array_like of int, shape (C,)
        ``|R_c|``, the number of plausible (non-IDK) responses of each prompt, at least 2
        (365 for birthdays). ``|E_c| = |R_c| − 1``.
    answer_prob : float or array_like, shape (C,)
        ``α_c``, the probability that a training example of prompt ``c`` gives its answer
        rather than IDK.

    Attributes
    ----------
    weights : ndarray
        ``μ``, summing to one.
    n_prompts : int
    n_responses : int or ndarray
    answer_prob : float or ndarray

    Examples
    --------
    >>> import hallusim as hs
    >>> world = hs.ArbitraryFacts.zipf(n_prompts=1000, exponent=1.1, answer_prob=0.9)
    >>> world.min_errors
    364
    """

    def __init__(self, weights, n_responses=365, answer_prob=1.0):
        self.weights = normalised_weights(check_scaled_weights("weights", weights))
        size = self.weights.shape[0]
        self.n_responses = check_int_array("n_responses", n_responses, minimum=2, maximum=MAX_COUNT, size=size)
        self.answer_prob = check_probability("answer_prob", answer_prob, size=size)

    # -- constructors ------------------------------------------------------------------------
    @classmethod
    def zipf(cls, n_prompts, exponent, n_responses=365, answer_prob=1.0):
        """Zipf prompts: ``μ(c) ∝ c^(−s)`` for ``c = 1..C``.

        Parameters
        ----------
        n_prompts : int
            ``C`` >= 1.
        exponent : float
            ``s`` >= 0 (0 is uniform).
        n_responses, answer_prob
            As for :class:`ArbitraryFacts`.
        """
        n_prompts = _check_n_prompts(n_prompts)
        exponent = check_float("exponent", exponent, low=0.0)
        return cls(zipf_scaled_weights(1, n_prompts, exponent), n_responses, answer_prob)

    @classmethod
    def uniform(cls, n_prompts, n_responses=365, answer_prob=1.0):
        """Uniform prompts: ``μ(c) = 1/C``."""
        n_prompts = _check_n_prompts(n_prompts)
        return cls(np.ones(n_prompts), n_responses, answer_prob)

    @classmethod
    def pareto_repetition(cls, n_prompts, shape, n_responses=365, answer_prob=1.0, seed=None):
        """Pareto repetition (Miao & Kearns 2025): fact ``c`` is repeated ``k_c`` times, with
        ``k_c = floor(X_c)`` and ``X_c`` Pareto with minimum 1 and tail index ``shape``.

        The world's weights are ``μ(c) ∝ k_c``, so a sample of ``N = Σ k_c`` examples repeats
        fact ``c`` about ``k_c`` times. Smaller ``shape`` means heavier repetition tails and fewer
        singletons.

        Parameters
        ----------
        n_prompts : int
            ``C`` >= 1.
        shape : float
            Pareto tail index (> 0).
        n_responses, answer_prob
            As for :class:`ArbitraryFacts`.
        seed : None, int, SeedSequence or Generator
            Seed of the repetition counts.
        """
        n_prompts = _check_n_prompts(n_prompts)
        shape = check_float("shape", shape, low=0.0, low_open=True)
        rng = np.random.default_rng(_rng.derive(_rng.as_seed_sequence(seed), _rng.PURPOSE_WORLD))
        with np.errstate(over="ignore"):
            repetitions = np.floor(1.0 + rng.pareto(shape, size=n_prompts))
        if not np.isfinite(repetitions).all():
            fail("shape", "large enough that every repetition count is finite in float64", shape)
        return cls(repetitions, n_responses, answer_prob)

    @classmethod
    def part(cls, weights, n_responses, answer_prob, *, first_prompt):
        """Prompts ``first_prompt, first_prompt + 1, …`` of a larger world, as a world of their own.

        ``weights`` are the larger world's normalised ``μ`` on these prompts and are kept as they
        are (not renormalised); the realised answers are those of the same prompts in the larger
        world. Sums over a part's prompts are its share of the larger world's sums, which is how
        :func:`hallusim.streaming.stream_evaluate` holds one part at a time.

        Parameters
        ----------
        weights : ndarray of float64, shape (n,)
            ``μ(c)`` of the part's prompts, finite and non-negative.
        n_responses, answer_prob
            As for :class:`ArbitraryFacts`, for the part's prompts.
        first_prompt : int
            Global index of the part's first prompt.

        Returns
        -------
        ArbitraryFacts
        """
        world = cls.__new__(cls)
        weights = np.asarray(weights, dtype=np.float64)
        if weights.ndim != 1 or weights.size == 0 or not (np.isfinite(weights) & (weights >= 0)).all():
            fail("weights", "a non-empty 1-D array of finite, non-negative numbers", f"<an array of shape {weights.shape}>")
        world.weights = weights
        world.n_responses = check_int_array("n_responses", n_responses, minimum=2, maximum=MAX_COUNT, size=weights.size)
        world.answer_prob = check_probability("answer_prob", answer_prob, size=weights.size)
        world.first_prompt = check_count("first_prompt", first_prompt, minimum=0)
        return world

    # -- derived quantities --------------------------------------------------------------------
    @property
    def n_prompts(self) -> int:
        """Number of prompts ``C``."""
        return int(self.weights.shape[0])

    @property
    def min_errors(self) -> int:
        """``min_c |E_c| = min_c |R_c| − 1`` over prompts with ``μ(c) > 0``."""
        if np.ndim(self.n_responses) == 0:
            return int(self.n_responses) - 1
        return int(self.n_responses[self.weights > 0].min()) - 1

    @property
    def max_errors(self) -> int:
        """``L = max_c |E_c|`` over prompts with ``μ(c) > 0``."""
        if np.ndim(self.n_responses) == 0:
            return int(self.n_responses) - 1
        return int(self.n_responses[self.weights > 0].max()) - 1

    #: ``max_c |V_c|``: the answer and IDK (Definition 1).
    max_valid = 2

    #: Global index of the first prompt (a whole world starts at 0; a block of a streamed world
    #: does not). The realised answers are keyed by the global index.
    first_prompt = 0

    @property
    def answered_weights(self) -> np.ndarray:
        """``μ'(c) = μ(c)·α_c``, the probability that an example answers prompt ``c``."""
        return self.weights * self.answer_prob

    def expected_singleton_rate(self, n_examples) -> float:
        """Exact expected singleton rate ``E[sr] = Σ_c μ'(c)(1 − μ'(c))^(N−1)`` (Section 3.3.1 of the paper).

        Parameters
        ----------
        n_examples : int
            ``N``.

        Returns
        -------
        float
        """
        n_examples = check_count("n_examples", n_examples, minimum=1)
        return float(expected_singletons(self.answered_weights, n_examples)) / n_examples

    def expected_missing_mass(self, n_examples) -> float:
        """Exact expected missing mass ``E[MM] = Σ_c μ'(c)(1 − μ'(c))^N`` (Section 3.3.1 of the paper).

        Parameters
        ----------
        n_examples : int
            ``N``.

        Returns
        -------
        float
        """
        n_examples = check_count("n_examples", n_examples, minimum=1)
        return float(expected_missing_mass(self.answered_weights, n_examples))

    # -- kernels' view ------------------------------------------------------------------------
    def strided_answer_prob(self) -> tuple[np.ndarray, int]:
        """``α_c`` as the kernels read it: an array and its stride (0 when one α serves all prompts).

        Returns
        -------
        tuple of (ndarray of float64, int)
        """
        return _strided(self.answer_prob, np.float64)

    def strided_n_responses(self) -> tuple[np.ndarray, int]:
        """``|R_c|`` as the kernels read it: an array and its stride (0 when one size serves all prompts).

        Returns
        -------
        tuple of (ndarray of int64, int)
        """
        return _strided(self.n_responses, np.int64)

    def answers(self, seed) -> np.ndarray:
        """The correct answers ``a_c ∈ {0, …, |R_c| − 1}`` of the realisation keyed by ``seed``.

        A counter-based draw: ``a_c`` depends only on (seed, c), so it can be recomputed
        anywhere without storing it.

        Parameters
        ----------
        seed : None, int, SeedSequence or Generator
            The realisation's seed (a corpus's ``answer_seed``).

        Returns
        -------
        ndarray of int64, shape (C,)
        """
        key = _rng.counter_key(_rng.as_seed_sequence(seed), _rng.PURPOSE_ANSWERS)
        n_resp, stride = self.strided_n_responses()
        out = np.empty(self.n_prompts, dtype=np.int64)
        kernels.fill_answers(key, n_resp, stride, self.first_prompt, out)
        return out

    # -- sampling -----------------------------------------------------------------------------
    def sample(self, n_examples, seed=None, *, poissonize=False, answer_seed=None):
        """Draw a training corpus of ``N`` iid examples ``(c, r)`` from ``p``.

        Parameters
        ----------
        n_examples : int
            ``N`` >= 1.
        seed : None, int, SeedSequence or Generator
            Seed of the sample (and of the answers, unless ``answer_seed`` is given).
        poissonize : bool, optional
            If True, draw independent Poisson counts with means ``N μ(c) α_c`` and
            ``N μ(c)(1 − α_c)`` instead of the exact multinomial; the corpus size is then random
            (``corpus.n_examples`` is the realised size).
        answer_seed : None, int or SeedSequence, optional
            Seed of the realised answers ``a_c``, to keep one world realisation fixed across
            samples; by default derived from ``seed``.

        Returns
        -------
        Corpus
        """
        n_examples = check_count("n_examples", n_examples, minimum=1)
        seq = _rng.as_seed_sequence(seed)
        answer_seq = seq if answer_seed is None else _rng.as_seed_sequence(answer_seed, "answer_seed")
        # a Poisson cell can exceed N, so Poissonised counts are always int64
        dtype = np.int32 if n_examples < 2**31 - 1 and not poissonize else np.int64
        answered = np.empty(self.n_prompts, dtype=dtype)
        idk = np.empty(self.n_prompts, dtype=dtype)
        alpha, stride = self.strided_answer_prob()
        n_blocks = -(-self.n_prompts // _rng.BLOCK_SIZE)
        states = _rng.block_states(seq, _rng.PURPOSE_BLOCKS, n_blocks)
        if poissonize:
            kernels.sample_poisson(self.weights, alpha, stride, float(n_examples), _rng.BLOCK_SIZE, states, answered, idk)
        else:
            masses = np.empty(n_blocks)
            kernels.block_masses(self.weights, _rng.BLOCK_SIZE, masses)
            totals = np.empty(n_blocks, dtype=np.int64)
            total_state = _rng.block_states(seq, _rng.PURPOSE_BLOCK_TOTALS, 1)[0]
            kernels.block_totals(masses, n_examples, total_state, totals)
            kernels.sample_exact(self.weights, alpha, stride, _rng.BLOCK_SIZE, totals, states, answered, idk)
        return Corpus(self, answered, idk, seed=seq, answer_seed=answer_seq, poissonized=bool(poissonize))

    def __repr__(self) -> str:
        alpha = self.answer_prob if np.ndim(self.answer_prob) == 0 else "per-prompt"
        n_resp = self.n_responses if np.ndim(self.n_responses) == 0 else "per-prompt"
        return f"ArbitraryFacts(n_prompts={self.n_prompts}, n_responses={n_resp}, answer_prob={alpha})"
