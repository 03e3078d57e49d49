"""Model representations ``p̂(r | c)``.

:class:`CompactModel` stays exact and compact at 10^8 prompts: per prompt, up to ``K`` explicit
responses with their probabilities, an IDK probability, and the remaining mass spread uniformly
over the other responses of ``R_c``. Dense arrays (``(C, R)``) serve small finite ``X``; see
:func:`hallusim.iiv.dense_metrics`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hallusim import _model_kernels as _mk
from hallusim._validation import fail

__all__ = ["CompactModel", "rescale_factor"]

_SUM_TOLERANCE = 1e-9


def _broadcast_1d(name, value, size, dtype):
    arr = np.ascontiguousarray(np.atleast_1d(np.asarray(value, dtype=dtype)))
    if arr.ndim != 1 or arr.shape[0] not in (1, size):
        fail(name, f"a scalar or a 1-D array of length {size}", f"<an array of shape {arr.shape}>")
    return arr


@dataclass(frozen=True, eq=False)
class CompactModel:
    """A base model ``p̂(r | c)`` over an arbitrary-facts world, exact and compact.

    Parameters
    ----------
    n_responses : int or ndarray, shape (C,) or (1,)
        ``|R_c|``.
    responses : ndarray of int, shape (C, K)
        Up to ``K`` explicit responses per prompt, ids in ``[0, |R_c|)``, distinct within a row;
        ``-1`` marks an unused slot.
    probs : ndarray of float, shape (C, K)
        ``p̂(r | c)`` of the explicit responses (0 in unused slots).
    idk : float or ndarray, shape (C,) or (1,)
        ``p̂(IDK | c)``.

    Notes
    -----
    The remaining mass ``1 − p̂(IDK|c) − Σ_k probs[c, k]`` is spread uniformly over the
    ``|R_c| − k_c`` responses of ``R_c`` that are not explicit. Scalars and length-1 arrays
    broadcast over prompts.
    """

    n_responses: np.ndarray
    responses: np.ndarray
    probs: np.ndarray
    idk: np.ndarray

    def __post_init__(self):
        responses = np.asarray(self.responses)
        if responses.ndim != 2 or responses.dtype.kind not in "iu":
            fail("responses", "a 2-D integer array of shape (C, K)", f"<{responses.dtype} array of shape {responses.shape}>")
        n_prompts = responses.shape[0]
        probs = np.ascontiguousarray(self.probs, dtype=np.float64)
        if probs.shape != responses.shape:
            fail("probs", f"an array of shape {responses.shape} like `responses`", f"<an array of shape {probs.shape}>")
        n_resp = _broadcast_1d("n_responses", self.n_responses, n_prompts, np.int64)
        idk = _broadcast_1d("idk", self.idk, n_prompts, np.float64)
        # int32 ids halve the memory at 10^8 prompts; |R_c| beyond 2^31 is not plausible
        id_type = np.int32 if n_resp.max() < 2**31 else np.int64
        object.__setattr__(self, "responses", np.ascontiguousarray(responses, dtype=id_type))
        object.__setattr__(self, "probs", probs)
        object.__setattr__(self, "n_responses", n_resp)
        object.__setattr__(self, "idk", idk)
        self._validate()

    def _validate(self):
        nr_stride = 0 if self.n_responses.shape[0] == 1 else 1
        idk_stride = 0 if self.idk.shape[0] == 1 else 1
        code, prompt, value = _mk.first_violation(
            self.n_responses, nr_stride, self.responses, self.probs, self.idk, idk_stride, _SUM_TOLERANCE
        )
        if code == _mk.OK:
            return
        name, allowed = {
            _mk.BAD_N_RESPONSES: ("n_responses", "integers >= 2"),
            _mk.BAD_PROB: ("probs", "probabilities in [0, 1]"),
            _mk.BAD_IDK: ("idk", "probabilities in [0, 1]"),
            _mk.BAD_RESPONSE: ("responses", "ids in [0, |R_c|) or -1 for an unused slot"),
            _mk.UNUSED_SLOT_MASS: ("probs", "0 in the unused slots (responses == -1)"),
            _mk.REPEATED_RESPONSE: ("responses", "distinct ids within each prompt"),
            _mk.ROW_ABOVE_ONE: ("probs", "rows whose explicit and IDK probabilities sum to at most 1"),
            _mk.MISSING_MASS: ("probs", "rows summing to 1 when every response of R_c is explicit"),
        }[code]
        fail(name, allowed, f"<{value!r} at prompt {prompt}>")

    @property
    def n_prompts(self) -> int:
        """Number of prompts ``C``."""
        return int(self.responses.shape[0])

    @property
    def rest_mass(self) -> np.ndarray:
        """Mass spread uniformly over the non-explicit responses: ``1 − p̂(IDK|c) − Σ_k probs``."""
        return 1.0 - self.idk - self.probs.sum(axis=1)

    def probability(self, prompt, response) -> float:
        """``p̂(r | c)`` for one prompt and one response.

        Parameters
        ----------
        prompt : int
            ``c``.
        response : int
            ``r`` in ``[0, |R_c|)``, or ``-1`` for IDK.

        Returns
        -------
        float
        """
        prompt = int(prompt)
        if not 0 <= prompt < self.n_prompts:
            fail("prompt", f"an integer in [0, {self.n_prompts})", prompt)
        idk = self.idk[prompt if self.idk.shape[0] > 1 else 0]
        if response == -1:
            return float(idk)
        n_resp = int(self.n_responses[prompt if self.n_responses.shape[0] > 1 else 0])
        if not 0 <= response < n_resp:
            fail("response", f"-1 (IDK) or an integer in [0, {n_resp})", response)
        row = self.responses[prompt]
        hit = np.flatnonzero(row == response)
        if hit.size:
            return float(self.probs[prompt, hit[0]])
        n_rest = n_resp - int((row >= 0).sum())
        return float(max(1.0 - idk - self.probs[prompt].sum(), 0.0) / n_rest)

    def to_dense(self, answers):
        """Dense arrays for :func:`hallusim.iiv.dense_metrics` (small worlds only).

        Parameters
        ----------
        answers : ndarray of int, shape (C,)
            The realised correct answers ``a_c``.

        Returns
        -------
        p_hat : ndarray, shape (C, R + 1)
            ``p̂(r | c)``; column ``R = max_c |R_c|`` is IDK. Columns ``>= |R_c|`` of a prompt are
            padding with ``p̂ = 0``.
        valid : ndarray of bool, shape (C, R + 1)
            ``a_c`` and IDK.
        padding : ndarray of bool, shape (C, R + 1)
            Columns outside ``R_c ∪ {IDK}`` (pass as ``nonsense``: they carry no mass under either
            distribution, so they change no metric).
        """
        n_resp = np.broadcast_to(self.n_responses, (self.n_prompts,))
        width = int(n_resp.max())
        p_hat = np.zeros((self.n_prompts, width + 1))
        columns = np.arange(width)
        inside = columns[None, :] < n_resp[:, None]
        n_rest = n_resp - (self.responses >= 0).sum(axis=1)
        uniform = np.divide(np.clip(self.rest_mass, 0.0, None), n_rest, out=np.zeros(self.n_prompts), where=n_rest > 0)
        p_hat[:, :width] = np.where(inside, uniform[:, None], 0.0)
        rows, slots = np.nonzero(self.responses >= 0)
        p_hat[rows, self.responses[rows, slots]] = self.probs[rows, slots]
        p_hat[:, width] = np.broadcast_to(self.idk, (self.n_prompts,))
        valid = np.zeros_like(p_hat, dtype=bool)
        valid[np.arange(self.n_prompts), np.asarray(answers)] = True
        valid[:, width] = True
        padding = np.zeros_like(valid)
        padding[:, :width] = ~inside
        return p_hat, valid, padding


def rescale_factor(values, above_mass, threshold, scale):
    """Factor that maps ``p̂`` to the rescaled model ``p̂_s`` (THEORY §2).

    ``p̂_s(r|c) = s·p̂(r|c)/Z_c`` where ``p̂(r|c) > threshold`` and ``p̂(r|c)/Z_c`` elsewhere,
    with ``Z_c = 1 + (s − 1)·p̂(A_c | c)``, ``p̂(A_c | c)`` the prompt's mass above the threshold.

    Parameters
    ----------
    values : ndarray
        ``p̂(r | c)`` values.
    above_mass : ndarray
        ``p̂(A_c | c)`` of each value's prompt, broadcastable to ``values``.
    threshold : float
    scale : float
        ``s > 0``.

    Returns
    -------
    ndarray
        The multiplicative factor, same shape as ``values``.
    """
    return np.where(values > threshold, scale, 1.0) / (1.0 + (scale - 1.0) * above_mass)
