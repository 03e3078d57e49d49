"""What every subcommand of the ``hallusim`` command shares: the parser class and message helpers."""

from __future__ import annotations

import argparse

__all__ = ["ENVIRONMENT_HELP", "Parser", "one_line"]

ENVIRONMENT_HELP = """\
environment:
  NUMBA_CACHE_DIR       where Numba caches compiled kernels (default: __pycache__ beside the
                        sources); set it to a writable folder on read-only installs
  HALLUSIM_NUMBA_CACHE  set to 0 to switch the compiled-kernel cache off
"""


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors are one line (and exit status 2)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def one_line(exc: BaseException) -> str:
    """An exception's message on one line (its type name when it has none)."""
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
