"""The ``hallusim`` command: argument parsing and printing only, over the public API.

``hallusim list | run | reproduce`` (:func:`hallusim.experiments.run_experiment`),
``hallusim score`` (:mod:`hallusim.evallogs`) and ``hallusim floor`` (:mod:`hallusim.floor`). Bad
input ends with a one-line ``hallusim: error: ...`` on standard error and exit status 2.
"""

from hallusim.cli._main import build_parser, main

__all__ = ["main", "build_parser"]
