"""Smoothing: turning n-gram counts into the tables the scoring kernels read.

Interpolated methods (Witten–Bell, absolute discounting, Kneser–Ney, modified Kneser–Ney) share
Chen & Goodman's (1998) form

    p(w | h) = α(h w) + γ(h) · p(w | h'),        h' = h without its first word,

with α = γ = 0, 1 when ``h`` was never seen. They are stored in backoff form, as in an ARPA file:
``P(h w) = p(w | h)`` for every seen n-gram and ``bow(h) = γ(h)`` for every seen context, so that
one look-up kernel scores all of them (and models read from ARPA files). The recursion ends at the
unigram level, which is interpolated with the uniform distribution over the event space when
``uniform_base`` is true (Chen & Goodman; KenLM), and is the undiscounted unigram distribution
otherwise (nltk.lm).

References: S. F. Chen and J. Goodman, "An empirical study of smoothing techniques for language
modeling", Harvard TR-10-98 (1998), Eqs. (17), (26); K. Heafield et al., "Scalable modified
Kneser-Ney language model estimation", ACL 2013 (KenLM ``lmplz``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from hallusim._validation import fail
from hallusim.ngram import _kernels as kernels
from hallusim.ngram import _trie_kernels as trie_kernels
from hallusim.ngram._counts import NgramCounts, index_dtype
from hallusim.ngram._vocabulary import BOS_ID, EOS_ID, UNK_ID

__all__ = ["SMOOTHINGS", "BACKOFF_FORM", "Tables", "child_index", "event_space", "build_tables", "modified_kn_discounts"]

SMOOTHINGS = (
    "mle",
    "lidstone",
    "laplace",
    "witten_bell",
    "absolute_discounting",
    "kneser_ney",
    "modified_kneser_ney",
)
BACKOFF_FORM = ("witten_bell", "absolute_discounting", "kneser_ney", "modified_kneser_ney", "arpa")
# A context with more children than this has them found by hash when scoring: bisection of up to
# 64 int32 words reads at most four cache lines, the hash table a slot and the child's word.
INDEXED_MIN_CHILDREN = 64


@dataclass
class Tables:
    """The flat arrays the kernels read. Global id of n-gram ``i`` of order ``k`` is
    ``offsets[k-1] + i``; unigram ``w`` has global id ``w``. The int arrays are int32 up to
    2^31 (:func:`index_dtype`): ``word_of`` and ``count`` as the counts (they are the counts'
    own arrays), ``child_lo`` and ``child_hi`` by the number of n-grams.

    ``prob``, ``word_of`` and ``count`` have an entry per n-gram; ``child_lo``, ``child_hi``,
    ``bow``, ``total`` (and ``log_bow``) one per context, i.e. per n-gram of the orders below
    the highest (global ids ``0 .. offsets[-2] - 1``): an n-gram of the highest order has no
    children and is never a context, so it needs none of them."""

    offsets: np.ndarray
    word_of: np.ndarray
    child_lo: np.ndarray
    child_hi: np.ndarray
    prob: np.ndarray  # backoff form: P(h w); additive models: unused (zeros)
    bow: np.ndarray  # backoff form: bow(h); additive models: unused (ones)
    count: np.ndarray  # raw counts (additive models); zeros for ARPA models
    total: np.ndarray  # sum of the children's raw counts
    root_total: float  # sum of the unigram counts over the event space
    in_events: np.ndarray  # bool per word id: can be predicted
    n_events: int
    # log10 of prob and bow exactly as an ARPA file gave them (None for fitted models): written
    # back verbatim, since log10(10**x) == x does not hold for every float x
    log_prob: np.ndarray | None = None
    log_bow: np.ndarray | None = None
    # every stored n-gram's suffix (the n-gram without its first word) is stored: true of a fitted
    # model, checked for one read from ARPA; sentence scoring then stops at the first miss
    suffix_closed: bool = True

    @cached_property
    def child_index(self):
        """``(slots, bits, min_children)`` of :func:`child_index` with :data:`INDEXED_MIN_CHILDREN`,
        the scoring kernels' arguments. Built on first use, since only scoring reads it: 0.06 s
        and 32 MB (int32 slots) for the 2.9 M bigrams of a trigram model of 10^7 tokens."""
        return child_index(self, INDEXED_MIN_CHILDREN)


def child_index(tables: Tables, min_children: int):
    """A hash table of the children of every context with more than ``min_children`` of them,
    for :func:`find_child_indexed` (``2^bits`` slots holding global ids, at most half full).

    Parameters
    ----------
    tables : Tables
    min_children : int

    Returns
    -------
    slots : int array
    bits : int
    min_children : int
    """
    n_children = tables.child_hi - tables.child_lo
    n_indexed = int(n_children[n_children > min_children].sum())
    bits = max(1, (2 * n_indexed - 1).bit_length())
    slots = np.full(1 << bits, -1, dtype=tables.word_of.dtype)
    trie_kernels.build_child_index(tables.word_of, tables.child_lo, tables.child_hi, min_children, bits, slots)
    return slots, bits, min_children


def event_space(counts: NgramCounts) -> np.ndarray:
    """Words a model can predict: every ordinary word, ``<unk>``, and ``<s>`` / ``</s>`` when they
    occur as predicted tokens in the (padded) training text. Its size is |V| in Lidstone smoothing
    and in the uniform base distribution (KenLM: "includes <unk> but excludes <s>")."""
    in_events = np.ones(counts.vocab_size, dtype=bool)
    for special in (BOS_ID, EOS_ID):
        in_events[special] = counts.count[0][special] > 0
    in_events[UNK_ID] = True
    return in_events


def _flat_trie(counts: NgramCounts):
    sizes = counts.sizes()
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    word_of = counts.all_words  # shared with the counts, not copied
    index = index_dtype(int(offsets[-1]))  # global ids
    child_lo = np.empty(offsets[-2], dtype=index)
    child_hi = np.empty(offsets[-2], dtype=index)
    for k in range(1, counts.order):
        parents = slice(offsets[k - 1], offsets[k])
        kernels.child_ranges(counts.prefix[k], int(offsets[k]), child_lo[parents], child_hi[parents])
    return offsets, word_of, child_lo, child_hi


def adjusted_counts(counts: NgramCounts, k: int, raw_bos: bool) -> np.ndarray:
    """Kneser–Ney's adjusted counts at order k: raw counts at the highest order; below it the
    number of distinct words seen to the left, N1+(• g) — except, with ``raw_bos``, for n-grams
    that begin with ``<s>`` (they have no left context), which keep their raw counts (KenLM)."""
    raw = counts.count[k - 1]
    if k == counts.order:
        return raw
    adjusted = np.zeros(raw.size, dtype=raw.dtype)  # N1+(• g) <= c(g): the counts' dtype holds it
    kernels.count_values(counts.suffix[k], adjusted)
    if raw_bos:
        at_start = counts.first_words(k) == BOS_ID
        adjusted[at_start] = raw[at_start]
    return adjusted


def modified_kn_discounts(adjusted: list, *, first_order: int = 1) -> np.ndarray:
    """Chen & Goodman's Eq. (26) discounts ``D1, D2, D3+`` per order from the numbers ``n_j`` of
    n-grams with adjusted count ``j``: ``Y = n1/(n1 + 2 n2)``, ``D_j = j − (j+1) Y n_{j+1}/n_j``.

    Parameters
    ----------
    adjusted : list of int arrays
        The adjusted counts of every n-gram, one array per order (``first_order``, ...).
    first_order : int, optional
        The order of ``adjusted[0]`` (it names the order in error messages). Default 1.

    Returns
    -------
    numpy.ndarray, shape (len(adjusted), 3)

    Raises
    ------
    ValueError
        As KenLM's ``lmplz``, when some ``n_j`` (j = 1, 2, 3) is zero or a discount falls
        outside [0, j].
    """
    out = np.empty((len(adjusted), 3))
    for row, a in enumerate(adjusted):
        k = first_order + row
        a = np.asarray(a)
        if a.ndim != 1 or a.dtype.kind not in "iu" or (a.size and a.min() < 0):
            fail("adjusted", "1-D arrays of non-negative int counts", f"<{a.dtype} array of shape {a.shape} for order {k}>")
        n_of = np.zeros(6, dtype=np.int64)  # n_of[j]: n-grams with adjusted count j (5 for 5 and more)
        kernels.count_values(a, n_of)
        n = n_of[:5].astype(float)
        for j in (1, 2, 3):
            if n[j] == 0:
                raise ValueError(
                    f"`discounts` cannot be estimated for {k}-grams: no {k}-gram has adjusted count {j} "
                    "(small or artificial data?); pass fixed `discounts=(D1, D2, D3)` "
                    "(KenLM's --discount_fallback uses 0.5, 1, 1.5)."
                )
        y = n[1] / (n[1] + 2.0 * n[2])
        for j in (1, 2, 3):
            d = j - (j + 1) * y * n[j + 1] / n[j]
            if not 0.0 <= d <= j:
                raise ValueError(
                    f"`discounts` estimated for {k}-grams with adjusted count {j} is {d:.6g}, outside [0, {j}]; "
                    "pass fixed `discounts=(D1, D2, D3)`."
                )
            out[row, j - 1] = d
    return out


def build_tables(counts: NgramCounts, smoothing: str, *, gamma: float = 0.0, discount: float = 0.0,
                 discounts=None, uniform_base: bool = True, raw_bos: bool = True, release: bool = False):
    """Tables of a fitted model (and the modified-KN discounts used, or None).

    Parameters
    ----------
    counts : NgramCounts
    smoothing : str
        One of :data:`SMOOTHINGS`.
    gamma : float
        Lidstone's additive constant γ.
    discount : float
        Fixed discount D of absolute discounting and Kneser–Ney, in [0, 1].
    discounts : array of shape (order, 3) or None
        Modified Kneser–Ney's ``D1, D2, D3+`` per order; estimated when None.
    uniform_base : bool
        End the interpolation at the uniform distribution (True) or at the unigram level (False).
    raw_bos : bool
        Kneser–Ney: n-grams beginning with ``<s>`` keep raw counts (see :func:`adjusted_counts`).
    release : bool
        With a backoff-form smoothing, let the counts' prefix and suffix links go (``None``) as
        soon as they have been read, for a caller that does not keep the counts (the command
        line): the tables of the higher orders are then built without them. The counts cannot
        be used afterwards.
    """
    offsets, word_of, child_lo, child_hi = _flat_trie(counts)
    in_events = event_space(counts)
    n_events = int(in_events.sum())
    raw = counts.count  # a word outside the event space has count 0 (event_space), so no count is masked
    count = counts.all_counts  # shared with the counts, not copied
    total = np.zeros(offsets[-2])
    if smoothing not in BACKOFF_FORM:  # the sums of the children's counts, for MLE and Lidstone
        for k in range(2, counts.order + 1):
            total[offsets[k - 2]:offsets[k - 1]] = np.bincount(
                counts.prefix[k - 1], weights=raw[k - 1], minlength=offsets[k - 1] - offsets[k - 2])
    root_total = float(raw[0].sum())
    prob = np.zeros(offsets[-1])
    bow = np.ones(offsets[-2])
    used_discounts = None
    if smoothing in BACKOFF_FORM:
        if smoothing in ("kneser_ney", "modified_kneser_ney"):
            levels = [adjusted_counts(counts, k, raw_bos) for k in range(1, counts.order + 1)]
            levels[0] = np.where(in_events, levels[0], 0)
        else:
            levels = list(raw)
        if release:  # the child ranges and the adjusted counts are all the prefix links served
            counts.prefix = None
        if smoothing == "modified_kneser_ney" and discounts is not None:
            used_discounts = np.asarray(discounts, float)
        elif smoothing == "modified_kneser_ney" and uniform_base:
            used_discounts = modified_kn_discounts(levels)
        elif smoothing == "modified_kneser_ney":  # the unigram level is not discounted: no D for it
            used_discounts = np.vstack([np.full((1, 3), np.nan), modified_kn_discounts(levels[1:], first_order=2)])
        elif smoothing in ("kneser_ney", "absolute_discounting"):
            used_discounts = np.full((counts.order, 3), float(discount))
        _interpolate(counts, child_lo, child_hi, levels, smoothing, used_discounts, uniform_base, in_events, n_events, offsets,
                     prob, bow, release)
        if smoothing in ("kneser_ney", "absolute_discounting"):
            used_discounts = None
    tables = Tables(offsets, word_of, child_lo, child_hi, prob, bow, count, total, root_total, in_events, n_events)
    return tables, used_discounts


_METHOD = {
    "witten_bell": kernels.WITTEN_BELL,
    "absolute_discounting": kernels.DISCOUNTED,
    "kneser_ney": kernels.DISCOUNTED,
    "modified_kneser_ney": kernels.MODIFIED,
}


def _interpolate(counts, child_lo, child_hi, levels, smoothing, discounts, uniform_base, in_events, n_events, offsets, prob, bow,
                 release):
    d = discounts if discounts is not None else np.zeros((counts.order, 3))
    v = counts.vocab_size
    if uniform_base:  # the unigram level: the empty context, whose lower level is uniform over the events
        uniform = np.where(in_events, 1.0 / n_events, 0.0)
        kernels.interpolate_level(levels[0], np.zeros(1, dtype=child_lo.dtype), np.full(1, v, dtype=child_lo.dtype), 0,
                                  counts.word[0], uniform, _METHOD[smoothing], *map(float, d[0]), prob[:v], np.empty(1))
    else:
        total = float(levels[0].sum())
        prob[:v] = levels[0] / total if total > 0 else np.where(in_events, 1.0 / n_events, 0.0)
    for k in range(2, counts.order + 1):
        contexts = slice(offsets[k - 2], offsets[k - 1])
        kernels.interpolate_level(
            levels[k - 1], child_lo[contexts], child_hi[contexts], int(offsets[k - 1]), counts.suffix[k - 1], prob[contexts],
            _METHOD[smoothing], *map(float, d[k - 1]), prob[offsets[k - 1]:offsets[k]], bow[contexts],
        )
        if release:  # the level's adjusted counts and suffix links are not read again
            levels[k - 1] = counts.suffix[k - 1] = None
