"""Argument checkers shared by every public entry point.

Every check raises ``ValueError`` (or ``TypeError`` for a wrong kind of object) with one
template: the parameter's name in backticks, what is allowed, and what was given::

    `answer_prob` must be a float or array in [0, 1]; got 1.5.

The command line turns these messages into a one-line error and exit status 2.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "fail",
    "check_bool",
    "check_int",
    "check_float",
    "check_probability",
    "check_gamma",
    "check_scaled_weights",
    "check_weights",
    "check_int_array",
    "check_choice",
    "check_number_array",
    "check_unit_interval",
    "check_binary_outcomes",
    "check_targets",
    "NotFittedError",
    "SUM_TOLERANCE",
]

#: How far a probability vector's sum may be from one (rounding of float64 sums of up to ~10^6
#: terms stays far below it); the one tolerance of every "rows sum to one" check.
SUM_TOLERANCE = 1e-9
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class NotFittedError(ValueError, AttributeError):
    """Raised when a learner's fitted state is used before ``fit``."""


def _describe(value) -> str:
    """Short description of an offending value for an error message."""
    if isinstance(value, np.generic):
        value = value.item()  # show 1.5, not np.float64(1.5)
    if isinstance(value, np.ndarray):
        if value.size <= 6:
            return np.array2string(value, separator=", ")
        return f"an array of shape {value.shape}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def fail(name: str, allowed: str, given, *, error=ValueError):
    """Raise ``error`` with the package's one message template.

    Parameters
    ----------
    name : str
        The parameter's name as the caller wrote it.
    allowed : str
        What is allowed, phrased to follow "must be".
    given : object
        The offending value (or a description of it, if a ``str`` starting with ``"<"``).
    error : type, optional
        The exception class, ``ValueError`` by default.
    """
    shown = given[1:-1] if isinstance(given, str) and given.startswith("<") else _describe(given)
    raise error(f"`{name}` must be {allowed}; got {shown}.")


def check_bool(name: str, value) -> bool:
    """Return ``value`` as a Python bool; only ``True`` and ``False`` (or NumPy's) are allowed."""
    if not isinstance(value, (bool, np.bool_)):
        fail(name, "True or False", value)
    return bool(value)


def check_int(name: str, value, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as a Python int, checking its type and range (inclusive)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            fail(name, _range_text("an integer", minimum, maximum), value, error=ValueError)
    value = int(value)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        fail(name, _range_text("an integer", minimum, maximum), value)
    return value


def _range_text(kind: str, minimum, maximum) -> str:
    if minimum is not None and maximum is not None:
        return f"{kind} in [{minimum}, {maximum}]"
    if minimum is not None:
        return f"{kind} >= {minimum}"
    if maximum is not None:
        return f"{kind} <= {maximum}"
    return kind


def check_float(
    name: str,
    value,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a finite float in the given interval."""
    allowed = "a finite float" + _interval_text(low, high, low_open, high_open)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        fail(name, allowed, value)
    value = float(value)
    if not np.isfinite(value) or not _in_interval(np.asarray(value), low, high, low_open, high_open).all():
        fail(name, allowed, value)
    return value


def _interval_text(low, high, low_open, high_open) -> str:
    if low is None and high is None:
        return ""
    if high is None:
        return f" {'>' if low_open else '>='} {low}"
    if low is None:
        return f" {'<' if high_open else '<='} {high}"
    return f" in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"


def _in_interval(arr: np.ndarray, low, high, low_open, high_open) -> np.ndarray:
    ok = np.isfinite(arr)
    if low is not None:
        ok &= (arr > low) if low_open else (arr >= low)
    if high is not None:
        ok &= (arr < high) if high_open else (arr <= high)
    return ok


def _first_bad(arr: np.ndarray, ok: np.ndarray) -> str:
    index = int(np.flatnonzero(~ok.ravel())[0])
    return f"<{arr.ravel()[index].item()!r} at index {index}>" if arr.ndim else f"<{arr.item()!r}>"


def check_probability(name: str, value, *, size: int | None = None, allow_array: bool = True):
    """Check a probability given as a float or (if allowed) a 1-D array, all in [0, 1].

    Returns a float for scalar input and a contiguous float64 array otherwise. With ``size``,
    an array must have exactly that length.
    """
    allowed = "a float or array in [0, 1]" if allow_array else "a float in [0, 1]"
    if isinstance(value, (str, bytes)):
        fail(name, allowed, value)
    try:
        kind = np.asarray(value).dtype.kind
    except ValueError:  # ragged nesting
        fail(name, allowed, "<a ragged sequence>")
    if kind not in "iuf":  # booleans and objects are not probabilities
        fail(name, allowed, value)
    if np.ndim(value) == 0:
        try:
            scalar = float(value)
        except (TypeError, ValueError):
            fail(name, allowed, value)
        if isinstance(value, (bool, np.bool_)) or not 0.0 <= scalar <= 1.0:
            fail(name, allowed, value)
        return scalar
    if not allow_array:
        fail(name, allowed, value)
    arr = _float_array(name, value, allowed)
    if size is not None and arr.shape != (size,):
        fail(name, f"a float or an array of length {size}", f"<an array of shape {arr.shape}>")
    ok = _in_interval(arr, 0.0, 1.0, False, False)
    if not ok.all():
        fail(name, allowed, _first_bad(arr, ok))
    return arr


def check_number_array(name: str, value, *, low=None, high=None, low_open=False, high_open=False, integer=False):
    """Check a number or array of numbers: finite, in an interval, optionally integer-valued.

    Returns a float64 array (0-D for a scalar), for functions that broadcast like ufuncs.
    """
    kind = "an integer" if integer else "a finite number"
    allowed = f"{kind} or array of them{_interval_text(low, high, low_open, high_open)}"
    if isinstance(value, (str, bytes)):
        fail(name, allowed, value)
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):  # ragged nesting, non-numbers
        fail(name, allowed, value)
    ok = _in_interval(arr, low, high, low_open, high_open)
    if integer:
        ok &= arr == np.round(arr)
    if not ok.all():
        fail(name, allowed, _first_bad(arr, ok))
    return arr


def check_gamma(name: str, gamma) -> float:
    """Check a failure probability γ of a high-probability bound: a float in (0, 1]."""
    return check_float(name, gamma, low=0.0, high=1.0, low_open=True)


def _float_array(name: str, value, allowed: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):  # strings, ragged nesting
        fail(name, allowed, value)
    return np.ascontiguousarray(arr)


def check_weights(name: str, value) -> np.ndarray:
    """Check prompt weights μ: a non-empty 1-D array, finite, non-negative, not all zero.

    Returns the weights normalised to sum to one, as float64.
    """
    scaled = check_scaled_weights(name, value)
    return scaled / float(np.sum(scaled))


def check_scaled_weights(name: str, value) -> np.ndarray:
    """Check weights as :func:`check_weights` does; return them divided by their largest (float64).

    For a caller that normalises with its own, reproducible, summation order.
    """
    allowed = "a non-empty 1-D array of finite, non-negative numbers, not all zero"
    arr = _float_array(name, value, allowed)
    if arr.ndim != 1 or arr.size == 0:
        fail(name, allowed, f"<an array of shape {arr.shape}>")
    ok = np.isfinite(arr) & (arr >= 0)
    if not ok.all():
        fail(name, allowed, _first_bad(arr, ok))
    largest = float(arr.max())
    if largest <= 0.0:
        fail(name, allowed, "<all zeros>")
    return arr / largest  # summing 1e308s would overflow; the scaled sum is in [1, size]


def check_int_array(name: str, value, *, minimum: int | None = None, maximum: int | None = None,
                    size: int | None = None):
    """Check an int or a 1-D integer array (all entries in ``[minimum, maximum]``).

    Returns an int for scalar input and an int64 array otherwise. Entries beyond the int64
    range are refused with their exact value (never wrapped around).
    """
    allowed = _range_text("an integer or integer array", minimum, maximum)
    if np.ndim(value) == 0:
        return check_int(name, value, minimum=minimum, maximum=maximum)
    if isinstance(value, (list, tuple)):  # Python ints beyond 64 bits: NumPy would make them floats
        for index, v in enumerate(value):
            if isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_)) \
                    and not _INT64_MIN <= int(v) <= _INT64_MAX:
                fail(name, allowed, f"<{int(v)!r} at index {index}>")
    try:
        arr = np.asarray(value)
    except ValueError:  # ragged nesting
        fail(name, allowed, "<a ragged sequence>")
    if arr.dtype.kind == "u" and arr.size and int(arr.max()) > _INT64_MAX:
        index = int(np.argmax(arr))
        fail(name, allowed, f"<{int(arr[index])!r} at index {index}>")
    elif arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)) \
                and np.all(np.abs(arr) < 2.0**63):
            arr = arr.astype(np.int64)
        else:
            fail(name, allowed, f"<an array of dtype {arr.dtype}>")
    arr = np.ascontiguousarray(arr, dtype=np.int64)
    if arr.ndim != 1:
        fail(name, allowed + " (1-D)", f"<an array of shape {arr.shape}>")
    if size is not None and arr.shape != (size,):
        fail(name, f"an integer or an array of length {size}", f"<an array of shape {arr.shape}>")
    ok = np.ones(arr.shape, bool)
    if minimum is not None:
        ok &= arr >= minimum
    if maximum is not None:
        ok &= arr <= maximum
    if not ok.all():
        fail(name, allowed, _first_bad(arr, ok))
    return arr


def check_choice(name: str, value, choices) -> str:
    """Check that ``value`` is one of ``choices``."""
    if value not in choices:
        fail(name, "one of " + ", ".join(repr(c) for c in choices), value)
    return value


def check_unit_interval(name: str, arr: np.ndarray) -> None:
    """Check that every entry of a float array is a probability in [0, 1]."""
    ok = _in_interval(arr, 0.0, 1.0, False, False)
    if not ok.all():
        index = int(np.flatnonzero(~ok.ravel())[0])
        fail(name, "probabilities in [0, 1]", f"<{float(arr.ravel()[index])!r} at flat index {index}>")


def check_binary_outcomes(probabilities, outcomes, names=("probabilities", "outcomes")):
    """Non-empty 1-D probabilities in [0, 1] and as many 0/1 outcomes (float64 both)."""
    prob_name, outcome_name = names
    try:
        probs = np.asarray(probabilities, dtype=np.float64)
    except (TypeError, ValueError):
        fail(prob_name, "a non-empty 1-D array of probabilities in [0, 1]", "<a ragged or non-numeric sequence>")
    if probs.ndim != 1 or probs.size == 0:
        fail(prob_name, "a non-empty 1-D array of probabilities in [0, 1]", f"<an array of shape {probs.shape}>")
    check_unit_interval(prob_name, probs)
    y = np.asarray(outcomes)
    if y.shape != probs.shape:
        fail(outcome_name, f"an array of length {probs.size} (one per probability)", f"<an array of shape {y.shape}>")
    if y.dtype != bool:
        if y.dtype.kind not in "iuf" or not np.isin(y, (0, 1)).all():
            fail(outcome_name, "booleans or 0/1 values", y)
    return probs, y.astype(np.float64)


def check_targets(name: str, targets) -> np.ndarray:
    """Check confidence targets ``t``: a non-empty 1-D sequence of floats in [0, 1) (Section 4)."""
    allowed = "a non-empty sequence of floats in [0, 1)"
    try:
        ndim = np.ndim(targets)
    except ValueError:  # ragged nesting
        ndim = None
    if targets is None or isinstance(targets, (str, bytes)) or ndim != 1 or len(targets) == 0:
        fail(name, allowed, targets)
    return np.array([check_float(name, t, low=0.0, high=1.0, high_open=True) for t in targets], dtype=np.float64)
