"""The one project-wide Numba decorator.

Every kernel in hallusim is compiled through :func:`jit`, so that compilation options live in
one place. Compiled machine code is cached on disk by default (``cache=True``), which removes
the compile time from every run after the first; set ``HALLUSIM_NUMBA_CACHE=0`` to switch the
cache off, and Numba's own ``NUMBA_CACHE_DIR`` to choose where it is written.
"""

from __future__ import annotations

import os

import numba

__all__ = ["jit", "CACHE"]

CACHE = os.environ.get("HALLUSIM_NUMBA_CACHE", "1").strip().lower() not in {"0", "false", "no", "off"}


def jit(*args, parallel: bool = False, **options):
    """Compile a kernel with the project's Numba options.

    Usable bare (``@jit``) or with options (``@jit(parallel=True)``). Kernels are ``nopython``,
    release the GIL, and are cached on disk unless ``HALLUSIM_NUMBA_CACHE=0``.
    """
    options.setdefault("cache", CACHE)
    options.setdefault("nogil", True)
    decorator = numba.njit(parallel=parallel, **options)
    if len(args) == 1 and callable(args[0]):
        return decorator(args[0])
    return decorator
