"""Decimal text of many float64 values at once, in a Numba kernel (for the ARPA writer).

Florian Loitsch's Grisu2 ("Printing floating-point numbers quickly and accurately with integers",
PLDI 2010), in the form of Milo Yip's ``dtoa`` (with its rounding step, ``GrisuRound``): 64-bit
integer arithmetic and a table of cached powers of ten. The digits it prints always read back as
the same float64 (they lie inside the value's rounding interval), and are the shortest such digits
for all but a small fraction of values; Python's ``repr`` (David Gay's exact algorithm) costs
about 1 µs a value, this kernel a few tens of nanoseconds, in parallel.
"""

from __future__ import annotations

import numpy as np
from numba import prange
from numba.cpython.unsafe.numbers import leading_zeros

from hallusim._jit import jit

__all__ = ["STRIDE", "format_floats"]

STRIDE = 32  # bytes per value in the output buffer (a float64 needs at most 25)
_DIGITS_AT = 8  # Grisu writes the digits this far into a value's slot, then they move left into place
# The helpers are inlined into the kernel (inline="always"): a call that passes an array costs
# Numba a reference count, which is more than the work of a call here.


def _cached_powers():
    """Normalised 64-bit significands and binary exponents of 10^k, k = -348, -340, ..., 340."""
    fs, es = [], []
    for i in range(87):
        k = -348 + 8 * i
        if k >= 0:
            n = 10**k
            shift = n.bit_length() - 64
            f = (n + (1 << (shift - 1))) >> shift if shift > 0 else n << -shift
            e = shift
        else:
            d = 10**-k
            s = 63 + d.bit_length()
            f = ((1 << s) + d // 2) // d
            e = -s
        if f >> 64:
            f >>= 1
            e += 1
        fs.append(f)
        es.append(e)
    return np.array(fs, dtype=np.uint64), np.array(es, dtype=np.int64)


_POW_F, _POW_E = _cached_powers()
_POW10 = np.array([10**i for i in range(20)], dtype=np.uint64)
_U = np.uint64
_M32 = _U(0xFFFFFFFF)


@jit
def _mul(xf, yf):
    """High 64 bits (rounded) of the 128-bit product of two uint64."""
    a, b = xf >> _U(32), xf & _M32
    c, d = yf >> _U(32), yf & _M32
    ac, bc, ad, bd = a * c, b * c, a * d, b * d
    tmp = (bd >> _U(32)) + (ad & _M32) + (bc & _M32) + _U(1 << 31)
    return ac + (ad >> _U(32)) + (bc >> _U(32)) + (tmp >> _U(32))


@jit
def _normalize(f, e):
    """``f · 2^e`` with the top bit of ``f`` set (``f`` non-zero)."""
    shift = leading_zeros(f)
    return f << _U(shift), e - np.int64(shift)


@jit(inline="always")
def _grisu2(value, digits, at, pow_f, pow_e, pow10):
    """Digits (into ``digits[at:]``, ASCII) and decimal exponent K of a positive finite
    ``value``: value ≈ digits × 10^K. Returns (number of digits, K)."""
    bits = np.float64(value).view(np.uint64)
    biased = np.int64((bits & _U(0x7FF0000000000000)) >> _U(52))
    significand = bits & _U(0x000FFFFFFFFFFFFF)
    hidden = _U(0x0010000000000000)
    if biased != 0:
        f, e = significand + hidden, biased - 1075
    else:
        f, e = significand, np.int64(-1074)
    # boundaries m+ and m-, at m+'s normalised exponent
    pf, pe = _normalize((f << _U(1)) + _U(1), e - 1)
    if f == hidden:
        mf, me = (f << _U(2)) - _U(1), e - 2
    else:
        mf, me = (f << _U(1)) - _U(1), e - 1
    mf = mf << _U(me - pe)
    # the cached power that brings m+'s exponent into [-60, -32]
    dk = (-61 - pe) * 0.30102999566398114 + 347
    k = np.int64(dk)
    if dk - k > 0.0:
        k += 1
    index = (k >> 3) + 1
    big_k = -(-348 + index * 8)
    cf, ce = pow_f[index], pow_e[index]
    vf, ve = _normalize(f, e)
    wf = _mul(vf, cf)
    wpf, wpe = _mul(pf, cf) - _U(1), pe + ce + 64
    wmf = _mul(mf, cf) + _U(1)
    delta = wpf - wmf
    # digit generation (DigitGen)
    shift = _U(-wpe)
    one_f = _U(1) << shift
    wp_w = wpf - wf
    p1 = wpf >> shift
    p2 = wpf & (one_f - _U(1))
    kappa = 1
    while kappa < 10 and p1 >= pow10[kappa]:
        kappa += 1
    n = 0
    while kappa > 0:
        d = p1 // pow10[kappa - 1]
        p1 = p1 % pow10[kappa - 1]
        if d != _U(0) or n != 0:
            digits[at + n] = np.uint8(_U(48) + d)  # 48 + d would be a float64 in Numba (int64 + uint64)
            n += 1
        kappa -= 1
        rest = (p1 << shift) + p2
        if rest <= delta:
            n = _round(digits, at + n, delta, rest, pow10[kappa] << shift, wp_w) - at
            return n, big_k + kappa
    while True:
        p2 = p2 * _U(10)
        delta = delta * _U(10)
        d = p2 >> shift
        if d != _U(0) or n != 0:
            digits[at + n] = np.uint8(_U(48) + d)
            n += 1
        p2 = p2 & (one_f - _U(1))
        kappa -= 1
        if p2 < delta:
            scale = pow10[-kappa] if -kappa < 20 else _U(0)
            n = _round(digits, at + n, delta, p2, one_f, wp_w * scale) - at
            return n, big_k + kappa


@jit(inline="always")
def _round(digits, n, delta, rest, ten_kappa, wp_w):
    """Grisu's rounding step: move the last digit (``digits[n - 1]``) towards the value while it
    stays in range. Returns ``n``."""
    while rest < wp_w and delta - rest >= ten_kappa and (
        rest + ten_kappa < wp_w or wp_w - rest > rest + ten_kappa - wp_w
    ):
        digits[n - 1] -= 1
        rest += ten_kappa
    return n


@jit(inline="always")
def _write_one(value, out, start, pow_f, pow_e, pow10):
    """Text of one finite value at ``out[start:start + STRIDE]``; returns its length. The digits
    are generated at ``start + _DIGITS_AT`` and copied left into place (never onto bytes not yet
    read: no prefix is longer than ``_DIGITS_AT``)."""
    p = start
    if value == 0.0:
        out[p] = 48
        return 1
    if value < 0.0:
        out[p] = 45  # '-'
        p += 1
        value = -value
    at = start + _DIGITS_AT
    n, k = _grisu2(value, out, at, pow_f, pow_e, pow10)
    point = n + k  # digits d1..dn with the decimal point after d_point
    if 0 <= k and point <= 21:  # an integer
        for i in range(n):
            out[p] = out[at + i]
            p += 1
        for _ in range(k):
            out[p] = 48
            p += 1
    elif 0 < point <= 21:  # d.ddd
        for i in range(n):
            if i == point:
                out[p] = 46
                p += 1
            out[p] = out[at + i]
            p += 1
    elif -6 < point <= 0:  # 0.000ddd
        out[p] = 48
        out[p + 1] = 46
        p += 2
        for _ in range(-point):
            out[p] = 48
            p += 1
        for i in range(n):
            out[p] = out[at + i]
            p += 1
    else:  # d.ddde-XX
        out[p] = out[at]
        p += 1
        if n > 1:
            out[p] = 46
            p += 1
            for i in range(1, n):
                out[p] = out[at + i]
                p += 1
        exponent = point - 1
        out[p] = 101  # 'e'
        out[p + 1] = 45 if exponent < 0 else 43
        p += 2
        exponent = abs(exponent)
        if exponent >= 100:
            out[p] = 48 + exponent // 100
            p += 1
        if exponent >= 10:
            out[p] = 48 + (exponent // 10) % 10
            p += 1
        out[p] = 48 + exponent % 10
        p += 1
    return p - start


@jit(parallel=True)
def _format_kernel(values, out, lengths, pow_f, pow_e, pow10):
    for i in prange(values.size):
        lengths[i] = _write_one(values[i], out, i * STRIDE, pow_f, pow_e, pow10)


def format_floats(values: np.ndarray):
    """Decimal texts of finite float64 values that read back as the same values.

    Parameters
    ----------
    values : numpy.ndarray of float64, 1-D, all finite

    Returns
    -------
    buf : numpy.ndarray of uint8
        Value ``i``'s text is ``buf[STRIDE * i : STRIDE * i + lengths[i]]`` (ASCII).
    lengths : numpy.ndarray of int64
    """
    values = np.ascontiguousarray(values, dtype=np.float64)
    out = np.empty(values.size * STRIDE, dtype=np.uint8)
    lengths = np.empty(values.size, dtype=np.int64)
    _format_kernel(values, out, lengths, _POW_F, _POW_E, _POW10)
    return out, lengths
