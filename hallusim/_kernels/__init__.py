"""The Numba kernels of the ground floor (the sampler, the IIV sums, model checks).

Private: take arrays and scalars, write into preallocated ``out`` arrays, never validate. Each
has a plain-Python reference (``kernel.py_func``) that the tests compare it with.
"""
