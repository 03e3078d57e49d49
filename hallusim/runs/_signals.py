"""SIGTERM handled like Ctrl-C: what a batch scheduler sends before it kills a job.

A sweep (and the ``hallusim`` command) turns SIGTERM into :class:`Terminated`, a
``KeyboardInterrupt``, so that the results store records ``"interrupted"`` and the run can be
resumed, instead of the process ending silently with the sidecar still saying ``"running"``.
"""

from __future__ import annotations

import contextlib
import signal
import threading

__all__ = ["Terminated", "terminate_as_interrupt"]


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived (a scheduler ending the job): handled like Ctrl-C, so a sweep records
    ``"interrupted"`` and can be resumed."""


@contextlib.contextmanager
def terminate_as_interrupt():
    """Within the block, SIGTERM raises :class:`Terminated` (a ``KeyboardInterrupt``).

    Only in the main thread and only where SIGTERM still has its default action (a handler the
    program installed is left alone); the previous handler is restored on exit.
    """
    installed = False
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:

        def handler(signum, frame):
            raise Terminated("terminated by SIGTERM")

        signal.signal(signal.SIGTERM, handler)
        installed = True
    try:
        yield
    finally:
        if installed:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
