"""Progress reporting for sweeps: a tqdm bar on a terminal, plain lines in a log."""

from __future__ import annotations

import sys
import threading
import time

from tqdm import tqdm

from hallusim._validation import fail

__all__ = ["PROGRESS_MODES", "Progress", "format_duration"]

PROGRESS_MODES = ("auto", "bar", "log", "off")
LOG_INTERVAL = 5.0  # seconds between plain lines in a log


def _resolve_mode(mode, stream) -> str:
    if mode is True:
        mode = "auto"
    elif mode is False or mode is None:
        mode = "off"
    if mode not in PROGRESS_MODES:
        fail("progress", "one of " + ", ".join(repr(m) for m in PROGRESS_MODES) + ", True or False", mode)
    if mode == "auto":
        interactive = getattr(stream, "isatty", lambda: False)()
        mode = "bar" if interactive else "log"
    return mode


def format_duration(seconds: float) -> str:
    """A duration as a person writes it: ``42 s``, ``3 min 05 s``, ``2 h 07 min``.

    Parameters
    ----------
    seconds : float

    Returns
    -------
    str
    """
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class Progress:
    """Count completed rows of a sweep and report them.

    Parameters
    ----------
    total : int
        Rows in the sweep.
    description : str
        Label of the sweep.
    mode : {"auto", "bar", "log", "off"} or bool
        ``"bar"``: a tqdm progress bar; ``"log"``: a plain line every ``interval`` seconds while
        rows are in flight (for CI logs, no carriage returns), from a timer thread, so that a
        long row still shows the sweep is alive; ``"auto"``: a bar when ``stream`` is a
        terminal, plain lines otherwise; ``"off"`` (or ``False``): silent.
    done : int
        Rows already complete at the start (resumed from a results file).
    total_cost, done_cost : float, optional
        The sweep's total cost and the part already done, in any unit proportional to running
        time (e.g. the rows' ``N``); by default one per row. The time left is estimated as the
        cost left over the rate of cost done, so that a sweep whose rows grow (small ``N``
        first) does not see its estimate keep growing.
    interval : float, optional
        Seconds between plain lines (default ``LOG_INTERVAL``, 5 s).
    stream : file, optional
        Where to report; standard error by default.

    Notes
    -----
    The first fresh row's cost is left out of the rate (it includes the JIT's warm-up). The rate
    is that of the rows completed so far, taken when the last one completed; the time since then
    counts the estimate down.

    The timer thread needs Python's global interpreter lock: during a long Numba kernel that
    holds it, the next line waits until the kernel returns. Call :meth:`close` to stop it.
    """

    def __init__(self, total: int, description: str, *, mode="auto", done: int = 0, interval=None, stream=None,
                 total_cost=None, done_cost=None):
        self.stream = sys.stderr if stream is None else stream
        self.mode = _resolve_mode(mode, self.stream)
        self.interval = LOG_INTERVAL if interval is None else float(interval)
        self.total, self.done, self.description = total, done, description
        self.total_cost = float(total if total_cost is None else total_cost)
        self.done_cost = float(done if done_cost is None else done_cost)
        self._start = self._last = time.monotonic()
        self._printed = False
        self._first = None  # (time, cost done) when the first fresh row completed: the rate after it excludes JIT warm-up
        self._rate = None  # (cost per second, time) at the last completed row
        self._bar = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._timer = None
        if self.mode == "bar":
            self._bar = tqdm(total=total, initial=done, desc=description, unit="row", file=self.stream, leave=False)
        elif self.mode == "log":
            if done:
                self._line(f"resuming, {done}/{total} rows already done")
            if done < total and self.interval > 0:
                self._timer = threading.Thread(target=self._tick, name="hallusim-progress", daemon=True)
                self._timer.start()

    def _line(self, text: str) -> None:
        print(f"{self.description}: {text}", file=self.stream, flush=True)
        self._printed = True

    def _tick(self) -> None:
        """Timer thread: a status line whenever ``interval`` passed without one."""
        while not self._stop.wait(max(0.01, self.interval - (time.monotonic() - self._last))):
            with self._lock:
                now = time.monotonic()
                if now - self._last >= self.interval and self.done < self.total:
                    self._last = now
                    self._line(self._status(now))

    def update(self, n: int = 1, cost=None) -> None:
        """Record ``n`` more completed rows.

        Parameters
        ----------
        n : int
        cost : float, optional
            Their cost (see ``total_cost``); ``n`` by default.
        """
        with self._lock:
            self.done += n
            self.done_cost += float(n if cost is None else cost)
            now = time.monotonic()
            if self._first is None:
                self._first = (now, self.done_cost)
            elif self.done_cost > self._first[1]:
                self._rate = ((self.done_cost - self._first[1]) / max(now - self._first[0], 1e-9), now)
            if self._bar is not None:
                self._bar.update(n)
            elif self.mode == "log":
                now = time.monotonic()
                if now - self._last >= self.interval:
                    self._last = now
                    self._line(self._status(now))

    def _status(self, now: float) -> str:
        elapsed = now - self._start
        text = f"{self.done}/{self.total} rows ({100.0 * self.done / max(self.total, 1):.0f}%), {format_duration(elapsed)}"
        if self._rate is not None and self.done < self.total:
            # the rate of the rows completed so far; time since the last completion counts down the
            # estimate, so that it does not grow while a long row is in flight
            rate, since = self._rate
            left = max(self.total_cost - self.done_cost, 0.0) / rate - (now - since)
            text += f", about {format_duration(max(left, 0.0))} left"
        return text

    def close(self) -> None:
        """Stop the timer, and finish the bar or print a last line if plain lines were printed."""
        if self._timer is not None:
            self._stop.set()
            self._timer.join()
            self._timer = None
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self.mode == "log" and self._printed:
            self._line(self._status(time.monotonic()))
