"""64-bit FNV-1a (Fowler, Noll & Vo), the byte hash every reader of text keys words and fields by.

One step at a time (a scalar function, inlined), so a kernel can hash a word while it scans for
the word's end, and a field reader while it unescapes quotes.
"""

from __future__ import annotations

import numpy as np

from hallusim._jit import jit

FNV_OFFSET = np.uint64(14695981039346656037)
_FNV_PRIME = np.uint64(1099511628211)


@jit(inline="always")
def fnv1a_step(h, byte):
    """The FNV-1a hash ``h`` extended by one byte (start from :data:`FNV_OFFSET`)."""
    return (h ^ np.uint64(byte)) * _FNV_PRIME
