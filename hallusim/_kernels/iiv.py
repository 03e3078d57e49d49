"""Numba kernels of the IIV reduction (private; no validation here).

Every model, compact or dense, is seen prompt by prompt as a few *classes*: sets of responses
that share one value ``v = p̂(r|c)``. A class carries its multiplicity ``m`` (number of
responses), its valid mass ``Σ p(r|c)`` under the training distribution, and its numbers of
error and nonsense responses. :func:`add_class` is the one place where err, err_iiv, p̂(A),
p(A) and the cross-entropy are accumulated from classes, for every representation.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from hallusim._jit import jit
from hallusim._rng import counter_uniform_int

#: accumulator layout: [err, cross_entropy, then per threshold z: err_iiv, p̂(A_z), p(A_z)]
N_FIXED = 2
N_PER_THRESHOLD = 3
# class record layout
VALUE, MULT, VALID_MASS, N_ERRORS, N_NONSENSE = 0, 1, 2, 3, 4


@jit
def add_class(acc, thresholds, weight, inv_errors, value, mult, valid_mass, n_errors, n_nonsense):
    """Add one class of prompt ``c`` (weight ``μ(c)``, ``inv_errors = 1/|E_c|``) to ``acc``.

    err = Σ μ(c) p̂(E_c ∪ N_c | c); L = Σ μ(c) p(r|c)(−log p̂(r|c)); and per threshold z,
    err_iiv = Σ μ(c)[½ p(r|c)·[v ≤ z] over valid r + ½ [v > z]/|E_c| over r ∈ E_c] (Eq. err_iiv),
    p̂(A_z) = Σ μ(c) p̂(r|c)[v > z], p(A_z) = Σ μ(c) p(r|c)[v > z].
    """
    acc[0] += weight * value * (n_errors + n_nonsense)
    if valid_mass > 0.0:
        acc[1] += weight * valid_mass * (-math.log(value)) if value > 0.0 else math.inf
    for j in range(thresholds.shape[0]):
        k = N_FIXED + N_PER_THRESHOLD * j
        if value > thresholds[j]:
            acc[k] += 0.5 * weight * n_errors * inv_errors
            acc[k + 1] += weight * mult * value
            acc[k + 2] += weight * valid_mass
        else:
            acc[k] += 0.5 * weight * valid_mass


@jit
def compact_classes(c, n_resp, responses, probs, idk, rest, nonsense, alpha, answer, classes):
    """Write the classes of prompt ``c`` of a compact model into ``classes``; return their number.

    Explicit responses are one class each; IDK is one (valid mass ``1 − α_c``); the uniform
    remainder (mass ``rest``) is one class of ``|R_c| − k_c`` responses that holds ``a_c``
    unless it is explicit; each explicit nonsense response (``nonsense[c, j]``, outside
    ``R_c ∪ {IDK}``) is one class of one nonsense response.
    """
    n = 0
    n_explicit = 0
    answer_explicit = False
    for j in range(responses.shape[1]):
        r = responses[c, j]
        if r < 0:
            continue
        n_explicit += 1
        v = probs[c, j]
        is_answer = r == answer
        answer_explicit = answer_explicit or is_answer
        classes[n, VALUE] = v
        classes[n, MULT] = 1.0
        classes[n, VALID_MASS] = alpha if is_answer else 0.0
        classes[n, N_ERRORS] = 0.0 if is_answer else 1.0
        classes[n, N_NONSENSE] = 0.0
        n += 1
    classes[n, VALUE] = idk
    classes[n, MULT] = 1.0
    classes[n, VALID_MASS] = 1.0 - alpha
    classes[n, N_ERRORS] = 0.0
    classes[n, N_NONSENSE] = 0.0
    n += 1
    n_rest = n_resp - n_explicit
    if n_rest > 0:
        answer_in_rest = 0.0 if answer_explicit else 1.0
        classes[n, VALUE] = rest / n_rest
        classes[n, MULT] = n_rest
        classes[n, VALID_MASS] = alpha * answer_in_rest
        classes[n, N_ERRORS] = n_rest - answer_in_rest
        classes[n, N_NONSENSE] = 0.0
        n += 1
    for j in range(nonsense.shape[1]):
        classes[n, VALUE] = nonsense[c, j]
        classes[n, MULT] = 1.0
        classes[n, VALID_MASS] = 0.0
        classes[n, N_ERRORS] = 0.0
        classes[n, N_NONSENSE] = 1.0
        n += 1
    return n


@jit(parallel=True)
def compact_sums(mu, n_resp, nr_stride, alpha, al_stride, responses, probs, idk, idk_stride, rest, rest_stride, nonsense,
                 key, first_prompt, thresholds, block_size, out):
    """Per block of prompts, the accumulator of :func:`add_class` over a compact model.

    ``first_prompt`` is the global index of the first prompt (the answers are keyed by it), so
    that a block of a world evaluated alone gives the rows of the whole world's evaluation.
    """
    n_prompts = mu.shape[0]
    for b in prange(out.shape[0]):
        acc = np.zeros(out.shape[1])
        classes = np.empty((responses.shape[1] + 2 + nonsense.shape[1], 5))
        for c in range(b * block_size, min((b + 1) * block_size, n_prompts)):
            weight = mu[c]
            if weight == 0.0:
                continue
            size = n_resp[c * nr_stride]
            answer = counter_uniform_int(key, first_prompt + c, size)
            n = compact_classes(c, size, responses, probs, idk[c * idk_stride], rest[c * rest_stride],
                                nonsense, alpha[c * al_stride], answer, classes)
            inv_errors = 1.0 / (size - 1)
            for j in range(n):
                add_class(acc, thresholds, weight, inv_errors, classes[j, VALUE], classes[j, MULT],
                          classes[j, VALID_MASS], classes[j, N_ERRORS], classes[j, N_NONSENSE])
        out[b, :] = acc


@jit
def dense_sums(mu, p, p_hat, valid, nonsense, thresholds, out):
    """The accumulator of :func:`add_class` over dense arrays, each response its own class."""
    for c in range(mu.shape[0]):
        weight = mu[c]
        if weight == 0.0:
            continue
        n_errors = 0
        for r in range(p.shape[1]):
            if not valid[c, r] and not nonsense[c, r]:
                n_errors += 1
        inv_errors = 1.0 / n_errors
        for r in range(p.shape[1]):
            is_error = not valid[c, r] and not nonsense[c, r]
            add_class(out, thresholds, weight, inv_errors, p_hat[c, r], 1.0,
                      p[c, r] if valid[c, r] else 0.0, 1.0 if is_error else 0.0, 1.0 if nonsense[c, r] else 0.0)


@jit(parallel=True)
def compact_class_records(mu, n_resp, nr_stride, alpha, al_stride, responses, probs, idk, idk_stride, rest,
                          rest_stride, nonsense, key, first_prompt, block_size, out, counts):
    """All classes of a compact model as weighted records for the exact threshold curve.

    ``out[c, j] = (v, μ m v, μ·valid mass, ½ μ n_err/|E_c|, ½ μ·valid mass)``; ``counts[c]`` is
    the number of classes of prompt ``c`` (rows beyond it are unused; 0 when ``μ(c) = 0``).
    """
    n_prompts = mu.shape[0]
    n_blocks = (n_prompts + block_size - 1) // block_size
    for b in prange(n_blocks):
        classes = np.empty((responses.shape[1] + 2 + nonsense.shape[1], 5))
        for c in range(b * block_size, min((b + 1) * block_size, n_prompts)):
            weight = mu[c]
            if weight == 0.0:
                counts[c] = 0
                continue
            size = n_resp[c * nr_stride]
            answer = counter_uniform_int(key, first_prompt + c, size)
            n = compact_classes(c, size, responses, probs, idk[c * idk_stride], rest[c * rest_stride],
                                nonsense, alpha[c * al_stride], answer, classes)
            for j in range(n):
                v = classes[j, VALUE]
                out[c, j, 0] = v
                out[c, j, 1] = weight * classes[j, MULT] * v
                out[c, j, 2] = weight * classes[j, VALID_MASS]
                out[c, j, 3] = 0.5 * weight * classes[j, N_ERRORS] / (size - 1)
                out[c, j, 4] = 0.5 * weight * classes[j, VALID_MASS]
            counts[c] = n
