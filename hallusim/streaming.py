"""Sample, fit and evaluate one part of the prompts at a time: Theorem 2 at 10^9 prompts.

Theorem 2's slack ``(35 + 6 ln N)/√N`` is 0.0146 at ``N = 10^8`` and 0.0013 at ``10^9``, so the
bound is sharp only at sizes whose world and corpus do not fit in memory (about 64 bytes a
prompt). Every quantity of the pipeline world → corpus → model → evaluation is a sum over
prompts once a few corpus-wide numbers are known, so :func:`stream_evaluate` holds one part of
the prompts at a time (``part_prompts`` of them; the default 2^22 needs about 0.3 GB):

1. the Zipf weights' normalising total, then each block's mass (two passes over the weights,
   computed from the ranks, never stored);
2. the multinomial's block totals, sequentially, from the same stream as
   :meth:`ArbitraryFacts.sample`;
3. only for a learner that pools corpus-wide totals (the α-estimating one): one pass that samples
   each part and keeps its number of answered examples;
4. per part: sample its blocks, fit every learner on the part, keep the evaluation's block sums,
   singletons and missing mass.

Because the sampler, the learners and the evaluation already work in fixed blocks of prompts
(:data:`hallusim._rng.BLOCK_SIZE`) with per-block streams, the result is bit-identical to
``evaluate(learner.fit(world.sample(N, seed)), corpus)`` on the same world in memory, and the
same on any number of threads; the exact expectation ``E[sr]`` is summed per part, so it agrees
to rounding (relative 1e-12), not bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hallusim import _rng
from hallusim._inputs import check_allocation, check_count
from hallusim._kernels import facts as kernels
from hallusim._kernels import iiv as iiv_kernels
from hallusim._validation import (
    check_float,
    check_gamma,
    check_int,
    check_probability,
    fail,
)
from hallusim.corpus import Corpus
from hallusim.facts import ArbitraryFacts, zipf_scaled_weights
from hallusim.goodturing import expected_singletons
from hallusim.iiv import (
    Evaluation,
    evaluation_block_sums,
    evaluation_from_sums,
    evaluation_thresholds,
)

__all__ = ["ZipfWorld", "StreamedRun", "stream_evaluate", "working_bytes"]

#: Default prompts per part: 256 blocks, about 0.3 GB of working memory with three learners.
PART_PROMPTS = 1 << 22

# Estimated bytes of the working memory: per block (the block sums, masses, totals, four words
# of stream state, the missing mass) and per prompt of a part (its weights and two temporaries,
# its counts; each learner's model and its evaluation's inputs).
_BYTES_PER_BLOCK = 64
_BYTES_PER_PART_PROMPT = 40
_BYTES_PER_PART_PROMPT_AND_LEARNER = 48


def working_bytes(n_prompts, n_learners, *, n_thresholds=1, part_prompts=PART_PROMPTS) -> int:
    """Estimated peak bytes :func:`stream_evaluate` allocates (beyond the interpreter's own).

    Parameters
    ----------
    n_prompts : int
        ``C``.
    n_learners : int
    n_thresholds : int, optional
        Thresholds evaluated (the default one and any extra).
    part_prompts : int, optional

    Returns
    -------
    int
    """
    n_blocks = -(-n_prompts // _rng.BLOCK_SIZE)
    row = 8 * (iiv_kernels.N_FIXED + iiv_kernels.N_PER_THRESHOLD * n_thresholds)
    part = min(part_prompts, n_prompts)
    return (n_blocks * (_BYTES_PER_BLOCK + n_learners * row)
            + part * (_BYTES_PER_PART_PROMPT + n_learners * _BYTES_PER_PART_PROMPT_AND_LEARNER))


class ZipfWorld:
    """A Zipf world ``μ(c) ∝ c^(−s)``, ``c = 1..C`` (Definition 1), never held in memory.

    The weights are recomputed from the ranks wherever they are needed, so a world of 10^9
    prompts costs nothing until :func:`stream_evaluate` runs over it, a part at a time.

    Parameters
    ----------
    n_prompts : int
        ``C`` >= 1.
    exponent : float
        ``s`` >= 0 (0 is uniform).
    n_responses : int
        ``|R_c|`` >= 2, the same for every prompt (365 for birthdays).
    answer_prob : float
        ``α`` in [0, 1], the same for every prompt.
    """

    #: ``max_c |V_c|``: the answer and IDK (Definition 1).
    max_valid = 2

    def __init__(self, n_prompts, exponent, n_responses=365, answer_prob=1.0):
        self.n_prompts = check_count("n_prompts", n_prompts, minimum=1)
        self.exponent = check_float("exponent", exponent, low=0.0)
        self.n_responses = check_int("n_responses", n_responses, minimum=2)
        self.answer_prob = float(check_probability("answer_prob", answer_prob, allow_array=False))

    @property
    def min_errors(self) -> int:
        """``min_c |E_c| = |R_c| − 1``."""
        return self.n_responses - 1

    @property
    def max_errors(self) -> int:
        """``L = max_c |E_c| = |R_c| − 1``."""
        return self.n_responses - 1

    def in_memory(self) -> ArbitraryFacts:
        """The same world held in memory (:meth:`ArbitraryFacts.zipf`), bit for bit.

        Returns
        -------
        ArbitraryFacts
        """
        return ArbitraryFacts.zipf(self.n_prompts, self.exponent, self.n_responses, self.answer_prob)

    def __repr__(self) -> str:
        return (f"ZipfWorld(n_prompts={self.n_prompts}, exponent={self.exponent}, n_responses={self.n_responses}, "
                f"answer_prob={self.answer_prob})")


@dataclass(frozen=True)
class StreamedRun:
    """What :func:`stream_evaluate` measured: the corpus's statistics and each learner's evaluation.

    Attributes
    ----------
    n_examples : int
        ``N``.
    n_prompts : int
        ``C``.
    singleton_rate : float
        ``sr``, Definition 2.
    missing_mass : float
        ``MM``, the exact missing mass with abstentions.
    expected_singleton_rate : float
        The exact ``E[sr]`` at this ``N`` (Section 3.3.1), summed per part.
    evaluations : dict of str to Evaluation
        Each learner's exact :class:`~hallusim.Evaluation`, under the name it was given.
    """

    n_examples: int
    n_prompts: int
    singleton_rate: float
    missing_mass: float
    expected_singleton_rate: float
    evaluations: dict[str, Evaluation] = field(default_factory=dict)


class _CorpusPart(Corpus):
    """The examples of one part of the prompts; ``n_examples`` and ``n_answered`` are the whole
    corpus's, which is what a learner that pools corpus-wide totals reads."""

    def __init__(self, world, answered, idk, *, n_examples, n_answered, seed):
        self._totals = (n_examples, n_answered)
        super().__init__(world, answered, idk, seed=seed)

    @property
    def n_examples(self) -> int:
        return self._totals[0]

    @property
    def n_answered(self) -> int:
        if self._totals[1] is None:
            raise RuntimeError("a learner marked separable read the corpus-wide n_answered")
        return self._totals[1]


def _check_learners(learners) -> dict:
    if not isinstance(learners, dict) or not learners:
        fail("learners", "a non-empty dict of name to unfitted learner", f"<{type(learners).__name__}>", error=TypeError)
    for name, learner in learners.items():
        if getattr(learner, "separability", None) not in ("prompt", "pooled"):
            fail("learners", "learners whose fit is separable over prompts (the learners of hallusim.learners; "
                 "a trained network is not)", f"{name}: <{type(learner).__name__}>", error=TypeError)
    return dict(learners)


def _part_bounds(n_prompts, part_prompts):
    return [(start, min(start + part_prompts, n_prompts)) for start in range(0, n_prompts, part_prompts)]


def stream_evaluate(world, n_examples, learners, *, seed=None, thresholds=None, gamma=None,
                    part_prompts=PART_PROMPTS) -> StreamedRun:
    """Sample ``N`` examples from a Zipf world, fit each learner and evaluate it exactly (err,
    err_iiv and δ, Eq. (2) and Section 3.1; Theorem 2's bounds), one part of the prompts at a time.

    The result equals, bit for bit, that of ``corpus = world.in_memory().sample(N, seed=seed)``
    followed by ``evaluate(learner.fit(corpus), corpus, thresholds=..., gamma=...)`` per learner,
    in memory proportional to ``part_prompts`` instead of ``C``.

    Parameters
    ----------
    world : ZipfWorld
    n_examples : int
        ``N`` >= 1.
    learners : dict of str to learner
        Unfitted learners whose fit is separable over prompts (``separability`` "prompt" or
        "pooled": every learner of :mod:`hallusim.learners`).
    seed : None, int or SeedSequence, optional
        Seed of the sample and of the realised answers, as for :meth:`ArbitraryFacts.sample`.
    thresholds : array_like of float, optional
        Extra thresholds ``z``, as for :func:`hallusim.evaluate`.
    gamma : float in (0, 1] or None, optional
        As for :func:`hallusim.evaluate`.
    part_prompts : int, optional
        Prompts held at once: a positive multiple of :data:`hallusim._rng.BLOCK_SIZE` (16384).

    Returns
    -------
    StreamedRun
    """
    if not isinstance(world, ZipfWorld):
        fail("world", "a ZipfWorld", f"<{type(world).__name__}>", error=TypeError)
    n_examples = check_count("n_examples", n_examples, minimum=1)
    learners = _check_learners(learners)
    part_prompts = check_int("part_prompts", part_prompts, minimum=_rng.BLOCK_SIZE)
    if part_prompts % _rng.BLOCK_SIZE:
        fail("part_prompts", f"a multiple of {_rng.BLOCK_SIZE} (whole blocks of prompts)", part_prompts)
    if gamma is not None:
        gamma = check_gamma("gamma", gamma)
    zs = evaluation_thresholds(world, thresholds)
    check_allocation("n_prompts", working_bytes(world.n_prompts, len(learners), n_thresholds=zs.shape[0],
                                                part_prompts=part_prompts))
    block = _rng.BLOCK_SIZE
    n_blocks = -(-world.n_prompts // block)
    parts = _part_bounds(world.n_prompts, part_prompts)

    def blocks_of(start, stop):
        return slice(start // block, -(-stop // block))

    # 1. the normalising total and the block masses, as ArbitraryFacts normalises and samples
    raw_sums = np.empty(n_blocks)
    for start, stop in parts:
        kernels.block_masses(zipf_scaled_weights(start + 1, stop - start, world.exponent), block, raw_sums[blocks_of(start, stop)])
    total = kernels.ordered_sum(raw_sums)

    def weights(start, stop):
        return zipf_scaled_weights(start + 1, stop - start, world.exponent) / total

    masses = np.empty(n_blocks)
    for start, stop in parts:
        kernels.block_masses(weights(start, stop), block, masses[blocks_of(start, stop)])
    # 2. block totals from the sample's own streams
    seq = _rng.as_seed_sequence(seed)
    states = _rng.block_states(seq, _rng.PURPOSE_BLOCKS, n_blocks)
    totals = np.empty(n_blocks, dtype=np.int64)
    kernels.block_totals(masses, n_examples, _rng.block_states(seq, _rng.PURPOSE_BLOCK_TOTALS, 1)[0], totals)
    dtype = np.int32 if n_examples < 2**31 - 1 else np.int64
    alpha = np.array([world.answer_prob])

    def sample(start, stop, w):
        answered, idk = np.empty(stop - start, dtype=dtype), np.empty(stop - start, dtype=dtype)
        b = blocks_of(start, stop)
        kernels.sample_exact(w, alpha, 0, block, totals[b], states[b], answered, idk)
        return answered, idk

    # 3. corpus-wide totals, for learners that pool them
    n_answered = None
    if any(learner.separability == "pooled" for learner in learners.values()):
        n_answered = 0
        for start, stop in parts:
            n_answered += int(sample(start, stop, weights(start, stop))[0].sum(dtype=np.int64))
    # 4. sample, fit and evaluate each part
    rows = {name: None for name in learners}
    singletons = 0
    missing = np.empty(n_blocks)
    expected = 0.0
    for start, stop in parts:
        w = weights(start, stop)
        answered, idk = sample(start, stop, w)
        b = blocks_of(start, stop)
        part_world = ArbitraryFacts.part(w, world.n_responses, world.answer_prob, first_prompt=start)
        corpus = _CorpusPart(part_world, answered, idk, n_examples=n_examples, n_answered=n_answered, seed=seq)
        counts = np.empty(b.stop - b.start, dtype=np.int64)
        kernels.count_equal(answered, 1, block, counts)
        singletons += int(counts.sum())
        kernels.masked_weight_sums(w, alpha, 0, answered, 0, block, missing[b])
        expected += expected_singletons(w * world.answer_prob, n_examples)
        for name, learner in learners.items():
            part_rows = evaluation_block_sums(learner.fit(corpus), corpus, zs)
            if rows[name] is None:
                rows[name] = np.empty((n_blocks, part_rows.shape[1]))
            rows[name][b] = part_rows
    singleton_rate = singletons / n_examples
    missing_mass = float(np.sum(missing))
    evaluations = {
        name: evaluation_from_sums(rows[name], zs, world, singleton_rate=singleton_rate, missing_mass=missing_mass,
                                   n_examples=n_examples, gamma=gamma)
        for name in learners
    }
    return StreamedRun(n_examples=n_examples, n_prompts=world.n_prompts, singleton_rate=singleton_rate,
                       missing_mass=missing_mass, expected_singleton_rate=expected / n_examples, evaluations=evaluations)
