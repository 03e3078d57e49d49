"""Model representations ``p̂(r | c)``.

:class:`CompactModel` stays exact and compact at 10^8 prompts: per prompt, up to ``K`` explicit
responses with their probabilities, an IDK probability, and a mass spread uniformly over the
other responses of ``R_c``. Dense arrays (``(C, R)``) serve small finite ``X``; see
:func:`hallusim.iiv.dense_metrics` and :meth:`CompactModel.to_dense`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hallusim._kernels import models as kernels
from hallusim._validation import SUM_TOLERANCE, check_int, check_int_array, fail

__all__ = ["CompactModel", "rescale_masses"]



def _float_1d(name, value, size):
    try:
        arr = np.ascontiguousarray(np.atleast_1d(np.asarray(value, dtype=np.float64)))
    except (TypeError, ValueError):
        fail(name, f"a float or a 1-D float array of length {size}", value)
    if arr.ndim != 1 or arr.shape[0] not in (1, size):
        fail(name, f"a float or a 1-D float array of length {size}", f"<an array of shape {arr.shape}>")
    return arr


def _nonsense(value, n_prompts):
    if value is None:
        return np.zeros((n_prompts, 0))
    try:
        arr = np.ascontiguousarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        fail("nonsense", f"a 2-D float array with {n_prompts} rows", value)
    if arr.ndim != 2 or arr.shape[0] != n_prompts:
        fail("nonsense", f"a 2-D float array with {n_prompts} rows (one per prompt)", f"<an array of shape {arr.shape}>")
    return arr


@dataclass(frozen=True, eq=False)
class CompactModel:
    """A base model ``p̂(r | c)`` over an arbitrary-facts world, exact and compact.

    Parameters
    ----------
    n_responses : int or array_like of int, shape (C,)
        ``|R_c|`` (>= 2).
    responses : array_like of int, shape (C, K)
        Up to ``K`` explicit responses per prompt, ids in ``[0, |R_c|)``, distinct within a row;
        ``-1`` marks an unused slot.
    probs : array_like of float, shape (C, K)
        ``p̂(r | c)`` of the explicit responses (0 in unused slots).
    idk : float or array_like, shape (C,)
        ``p̂(IDK | c)``.
    rest : float or array_like, shape (C,)
        The mass spread uniformly over the ``|R_c| − k_c`` responses of ``R_c`` that are not
        explicit (``k_c`` explicit ones); 0 when there are none.
    nonsense : array_like of float, shape (C, J), optional
        ``p̂(r | c)`` of ``J`` explicit responses outside ``R_c ∪ {IDK}`` (the nonsense set ``N_c``
        of Section 5 of the paper, e.g. the other tokens of a language model's vocabulary): each
        is counted as error in ``err = p̂(N ∪ E)`` and carries no mass under ``p``. Default none
        (``J = 0``).

    Notes
    -----
    Each row must sum to one (``idk + Σ probs + rest + Σ nonsense``, within 1e-9). The remainder is stored,
    not derived as ``1 − idk − Σ probs``: rounding would otherwise put ~1e-17 of mass on
    responses that must have probability exactly zero, which changes ``f̂_z`` for small ``z``.
    Scalars and length-1 arrays broadcast over prompts.
    """

    n_responses: np.ndarray
    responses: np.ndarray
    probs: np.ndarray
    idk: np.ndarray
    rest: np.ndarray
    nonsense: np.ndarray = None

    def __post_init__(self):
        responses = np.asarray(self.responses)
        if responses.ndim != 2 or responses.dtype.kind not in "iu":
            fail("responses", "a 2-D integer array of shape (C, K)", f"<{responses.dtype} array of shape {responses.shape}>")
        n_prompts = responses.shape[0]
        try:
            probs = np.ascontiguousarray(self.probs, dtype=np.float64)
        except (TypeError, ValueError):
            fail("probs", f"a float array of shape {responses.shape}", self.probs)
        if probs.shape != responses.shape:
            fail("probs", f"an array of shape {responses.shape} like `responses`", f"<an array of shape {probs.shape}>")
        n_resp = self.n_responses
        if np.ndim(n_resp) == 1 and len(n_resp) == 1 and n_prompts != 1:
            n_resp = n_resp[0]  # a broadcast length-1 array, as a model stores it
        n_resp = np.array([check_int("n_responses", n_resp, minimum=2)]) if np.ndim(n_resp) == 0 else (
            check_int_array("n_responses", n_resp, minimum=2, size=n_prompts)
        )
        ids = responses.astype(np.int64)  # validate before any narrowing cast
        if responses.dtype == np.uint64 and responses.size and responses.max() > np.iinfo(np.int64).max:
            fail("responses", "ids in [0, |R_c|) or -1 for an unused slot", int(responses.max()))
        object.__setattr__(self, "n_responses", n_resp)
        object.__setattr__(self, "responses", ids)
        object.__setattr__(self, "probs", probs)
        object.__setattr__(self, "idk", _float_1d("idk", self.idk, n_prompts))
        object.__setattr__(self, "rest", _float_1d("rest", self.rest, n_prompts))
        object.__setattr__(self, "nonsense", _nonsense(self.nonsense, n_prompts))
        self._validate()
        # int32 ids halve the memory at 10^8 prompts (ids are < |R_c|, checked above)
        if n_resp.max() < 2**31:
            object.__setattr__(self, "responses", ids.astype(np.int32))

    def strides(self):
        """Strides (0 for a broadcast scalar, 1 per prompt) of ``n_responses``, ``idk``, ``rest``.

        Returns
        -------
        tuple of int
        """
        return tuple(0 if a.shape[0] == 1 else 1 for a in (self.n_responses, self.idk, self.rest))

    def _validate(self):
        nr_stride, idk_stride, rest_stride = self.strides()
        code, prompt, value = kernels.first_violation(
            self.n_responses, nr_stride, self.responses, self.probs, self.idk, idk_stride, self.rest, rest_stride,
            self.nonsense, SUM_TOLERANCE,
        )
        if code == kernels.OK:
            return
        name, allowed = {
            kernels.BAD_PROB: ("probs", "probabilities in [0, 1]"),
            kernels.BAD_IDK: ("idk", "probabilities in [0, 1]"),
            kernels.BAD_REST: ("rest", "probabilities in [0, 1], and 0 when every response of R_c is explicit"),
            kernels.BAD_RESPONSE: ("responses", "ids in [0, |R_c|) or -1 for an unused slot"),
            kernels.UNUSED_SLOT_MASS: ("probs", "0 in the unused slots (responses == -1)"),
            kernels.REPEATED_RESPONSE: ("responses", "distinct ids within each prompt"),
            kernels.ROW_NOT_ONE: ("probs", "rows where idk + Σ probs + rest + Σ nonsense = 1"),
            kernels.BAD_NONSENSE: ("nonsense", "probabilities in [0, 1]"),
        }[code]
        fail(name, allowed, f"<{value!r} at prompt {prompt}>")

    @property
    def n_prompts(self) -> int:
        """Number of prompts ``C``."""
        return int(self.responses.shape[0])

    def remainder_value(self) -> np.ndarray:
        """Per prompt, ``p̂(r|c)`` of each response in the uniform remainder (0 if there is none).

        Returns
        -------
        ndarray, shape (C,)
        """
        n_rest = self.n_responses - (self.responses >= 0).sum(axis=1)
        rest = np.broadcast_to(self.rest, n_rest.shape)
        return np.divide(rest, n_rest, out=np.zeros(n_rest.shape), where=n_rest > 0)

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
        prompt = check_int("prompt", prompt, minimum=0, maximum=self.n_prompts - 1)
        n_resp = int(self.n_responses[prompt if self.n_responses.shape[0] > 1 else 0])
        response = check_int("response", response, minimum=-1, maximum=n_resp - 1)
        if response == -1:
            return float(self.idk[prompt if self.idk.shape[0] > 1 else 0])
        row = self.responses[prompt]
        hit = np.flatnonzero(row == response)
        if hit.size:
            return float(self.probs[prompt, hit[0]])
        rest = self.rest[prompt if self.rest.shape[0] > 1 else 0]
        return float(rest / (n_resp - int((row >= 0).sum())))

    def to_dense(self, answers):
        """Dense arrays for :func:`hallusim.iiv.dense_metrics` (small worlds only).

        Parameters
        ----------
        answers : array_like of int, shape (C,)
            The realised correct answers ``a_c``.

        Returns
        -------
        p_hat : ndarray, shape (C, R + 1)
            ``p̂(r | c)``; column ``R = max_c |R_c|`` is IDK. Columns ``>= |R_c|`` of a prompt are
            padding with ``p̂ = 0``.
        valid : ndarray of bool, shape (C, R + 1)
            ``a_c`` and IDK.
        padding : ndarray of bool, shape (C, R + 1 + J)
            Columns outside ``R_c ∪ {IDK}`` (pass as ``nonsense``). Padding columns carry no mass
            under either distribution, so they change no metric; the last ``J`` columns are the
            model's explicit nonsense responses, counted as error.

        Notes
        -----
        ``p_hat`` and ``valid`` have ``R + 1 + J`` columns when the model holds ``J`` nonsense
        responses.
        """
        n_resp = np.broadcast_to(self.n_responses, (self.n_prompts,))
        width = int(n_resp.max())
        p_hat = np.zeros((self.n_prompts, width + 1))
        inside = np.arange(width)[None, :] < n_resp[:, None]
        p_hat[:, :width] = np.where(inside, self.remainder_value()[:, None], 0.0)
        rows, slots = np.nonzero(self.responses >= 0)
        p_hat[rows, self.responses[rows, slots]] = self.probs[rows, slots]
        p_hat[:, width] = np.broadcast_to(self.idk, (self.n_prompts,))
        valid = np.zeros_like(p_hat, dtype=bool)
        valid[np.arange(self.n_prompts), np.asarray(answers)] = True
        valid[:, width] = True
        padding = np.zeros_like(valid)
        padding[:, :width] = ~inside
        n_nonsense = self.nonsense.shape[1]
        if n_nonsense:
            p_hat = np.hstack([p_hat, self.nonsense])
            valid = np.hstack([valid, np.zeros((self.n_prompts, n_nonsense), dtype=bool)])
            padding = np.hstack([padding, np.ones((self.n_prompts, n_nonsense), dtype=bool)])
        return p_hat, valid, padding


def rescale_masses(masses, above, above_mass, below_mass, scale):
    """Masses of the rescaled model ``p̂_s`` (Section 3.1 of the paper) from those of ``p̂``.

    ``p̂_s(r|c) = s·p̂(r|c)/Z_c`` where ``p̂(r|c) > t`` and ``p̂(r|c)/Z_c`` elsewhere, with
    ``Z_c = s·p̂(A_c|c) + p̂(Ā_c|c)`` (``= 1 + (s − 1)·p̂(A_c|c)``), ``A_c`` the responses above the
    threshold ``t``.

    Parameters
    ----------
    masses : ndarray
        ``p̂`` of responses (or of classes of responses that are all above or all below ``t``).
    above : ndarray of bool
        Whether each mass is above the threshold, same shape as ``masses``.
    above_mass, below_mass : ndarray
        ``p̂(A_c | c)`` and ``p̂(Ā_c | c)`` of each mass's prompt, each the sum of that prompt's
        masses on its side of the threshold, broadcastable to ``masses``.
    scale : float
        ``s > 0``.

    Returns
    -------
    ndarray
        ``p̂_s`` of each mass, in ``[0, 1]`` by construction.

    Notes
    -----
    Each side's new total, ``s·p̂(A)/Z`` or ``p̂(Ā)/Z``, is in ``[0, 1]`` since ``Z`` is at least
    either term; a mass's share ``m/p̂(A)`` of its side is in ``[0, 1]`` since the side's total is a
    sum including ``m``; rounding is monotone, so the product ``(m/p̂(A))·s·p̂(A)/Z`` stays in
    ``[0, 1]``. A prompt whose whole mass is on one side keeps exactly its masses' shares
    (``Z = s·p̂(A)`` and the side's total is ``x/x = 1``), so a one-response prompt keeps
    ``p̂_s = 1`` exactly. The rows sum to one to within a few units in the last place.
    """
    above_mass = np.asarray(above_mass, dtype=np.float64)
    below_mass = np.asarray(below_mass, dtype=np.float64)
    scaled = scale * above_mass
    z = scaled + below_mass
    side_mass = np.where(above, above_mass, below_mass)
    side_total = np.where(above, scaled, below_mass)
    share = np.divide(masses, side_mass, out=np.zeros(np.broadcast(masses, side_mass).shape), where=side_mass > 0)
    return share * (side_total / z)
