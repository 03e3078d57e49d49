"""Numba kernel that validates a compact model in one pass (private).

At 10^8 prompts, NumPy-expression checks allocate several arrays of the model's size; one
sequential pass allocates nothing and reports the first violation.
"""

from __future__ import annotations

from hallusim._jit import jit

OK = 0
BAD_PROB = 1
BAD_IDK = 2
BAD_REST = 3
BAD_RESPONSE = 4
UNUSED_SLOT_MASS = 5
REPEATED_RESPONSE = 6
ROW_NOT_ONE = 7
BAD_NONSENSE = 8


@jit
def first_violation(n_resp, nr_stride, responses, probs, idk, idk_stride, rest, rest_stride, nonsense, tolerance):
    """Return ``(code, prompt, value)`` of the first invalid prompt, or ``(OK, -1, 0.0)``."""
    n_slots = responses.shape[1]
    for c in range(responses.shape[0]):
        size = n_resp[c * nr_stride]
        q = idk[c * idk_stride]
        if not (q >= 0.0 and q <= 1.0):
            return BAD_IDK, c, q
        remainder = rest[c * rest_stride]
        if not (remainder >= 0.0 and remainder <= 1.0):
            return BAD_REST, c, remainder
        total = q + remainder
        n_explicit = 0
        for j in range(n_slots):
            r = responses[c, j]
            v = probs[c, j]
            if not (v >= 0.0 and v <= 1.0):
                return BAD_PROB, c, v
            if r < 0:
                if r != -1:
                    return BAD_RESPONSE, c, float(r)
                if v != 0.0:
                    return UNUSED_SLOT_MASS, c, v
                continue
            if r >= size:
                return BAD_RESPONSE, c, float(r)
            for k in range(j):
                if responses[c, k] == r:
                    return REPEATED_RESPONSE, c, float(r)
            n_explicit += 1
            total += v
        for j in range(nonsense.shape[1]):
            v = nonsense[c, j]
            if not (v >= 0.0 and v <= 1.0):
                return BAD_NONSENSE, c, v
            total += v
        if n_explicit == size and remainder != 0.0:
            return BAD_REST, c, remainder
        if abs(total - 1.0) > tolerance:
            return ROW_NOT_ONE, c, total
    return OK, -1, 0.0
