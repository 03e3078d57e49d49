"""The agnostic error ``opt(G)`` of n-gram model families (Section 3.3.2: Theorem 3, Corollary 2).

An n-gram model's ``p̂(r | c)`` depends on ``c`` only through its last ``n − 1`` tokens, so prompts
sharing them are indistinguishable to every classifier the family induces; ``opt(G)`` follows from
the prompts' structure alone, and with it Theorem 3's bound ``2(1 − 1/C)·opt(G)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hallusim import bounds
from hallusim._validation import check_int, check_weights, fail
from hallusim.ngram._vocabulary import BOS

__all__ = ["NgramOpt", "ngram_opt"]


@dataclass(frozen=True)
class NgramOpt:
    """``opt(G)`` of the classifiers induced by n-gram models of one order, and Theorem 3.

    Attributes
    ----------
    opt : float
        ``min_g Pr_D[g(x) ≠ f(x)]`` over classifiers that see a prompt only through its last
        ``order − 1`` tokens.
    n_choices : int
        ``C = min_c |E_c| + 1``.
    bound : float
        Theorem 3: ``err ≥ 2(1 − 1/C)·opt`` (:func:`hallusim.bounds.theorem3_lower`).
    n_windows : int
        Distinct prompt windows (classes of indistinguishable prompts).
    """

    opt: float
    n_choices: int
    bound: float
    n_windows: int


def ngram_opt(prompts, responses, valid, order, mu=None, *, bos=True) -> NgramOpt:
    """``opt(G)`` for all n-gram models of ``order`` on a prompt set, from its structure.

    An n-gram model's ``p̂(r | c) = Π_j p̂(r_j | last n−1 tokens before r_j)`` depends on ``c`` only
    through its window, the last ``n − 1`` tokens (after the sentence-start padding when
    ``bos``). So any induced classifier gives the same label to ``(c, r)`` and ``(c', r)`` when
    ``c`` and ``c'`` share a window, and the best one labels each class ``K`` of such pairs by
    the larger of its ``D``-masses: ``opt = Σ_K min(D⁺(K), D⁻(K))`` with ``D⁺ = μ(c)/2`` on the
    valid pair and ``D⁻ = μ(c)/(2|E_c|)`` on each erroneous one. This is the minimum over every
    classifier of the window, hence at most ``opt(G)`` (so Theorem 3's bound from it stays valid),
    and equal to it when n-gram models can realise every labelling of windows — e.g. for
    single-token responses, or responses with distinct first tokens that never recur in a window.

    Parameters
    ----------
    prompts : list of token sequences
    responses : list of lists of responses
        ``responses[i]`` is ``R_c`` of prompt ``i`` (each response a token sequence or a token).
    valid : array_like of int
        Index in ``responses[i]`` of the one valid response.
    order : int
        n >= 1.
    mu : array_like, optional
        Prompt weights; uniform by default.
    bos : bool, optional
        Windows start with ``n − 1`` sentence-start symbols (prompts start a sentence).

    Returns
    -------
    NgramOpt
    """
    order = check_int("order", order, minimum=1)
    n = len(prompts)
    if n == 0:
        fail("prompts", "a non-empty list of token sequences", prompts)
    if len(responses) != n:
        fail("responses", f"one list of responses per prompt ({n})", f"<{len(responses)} lists>")
    valid = np.asarray(valid)
    if valid.shape != (n,) or valid.dtype.kind not in "iu":
        fail("valid", f"an int array of {n} response indices", valid)
    mu = np.full(n, 1.0 / n) if mu is None else check_weights("mu", mu)
    if mu.shape != (n,):
        fail("mu", f"an array of {n} prompt weights", f"<an array of shape {mu.shape}>")
    width = order - 1
    pad = (BOS,) * width if bos else ()
    mass: dict = {}
    windows = set()
    min_errors = None
    for i, (prompt, options) in enumerate(zip(prompts, responses)):
        tokens = pad + tuple(prompt)
        window = tokens[len(tokens) - width:] if width else ()
        windows.add(window)
        keys = [(r,) if isinstance(r, (str, int, np.integer)) else tuple(r) for r in options]
        if len(set(keys)) != len(keys) or len(keys) < 2:
            fail("responses", "lists of at least 2 distinct responses", options)
        if not 0 <= valid[i] < len(keys):
            fail("valid", f"indices into each prompt's responses; prompt {i} has {len(keys)}", int(valid[i]))
        n_errors = len(keys) - 1
        min_errors = n_errors if min_errors is None else min(min_errors, n_errors)
        for j, key in enumerate(keys):
            pos, neg = mass.setdefault((window, key), ([], []))
            if j == valid[i]:
                pos.append(mu[i] / 2.0)
            else:
                neg.append(mu[i] / (2.0 * n_errors))
    opt = math.fsum(min(math.fsum(pos), math.fsum(neg)) for pos, neg in mass.values())
    n_choices = min_errors + 1
    return NgramOpt(opt, n_choices, float(bounds.theorem3_lower(min(opt, 1.0), n_choices)), len(windows))
