"""Provenance of results: what produced a file, recorded in a JSON sidecar beside it.

:func:`environment` describes the running process (versions, git commit, command line, working
directory); :func:`write_json_atomic` writes a sidecar atomically; :func:`provenance_path` and
:func:`read_provenance` find and read the sidecar of a results file. Re-exported by
:mod:`hallusim.runs`.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path

import numba
import numpy as np

from hallusim._inputs import write_text_atomic
from hallusim._version import __version__

__all__ = [
    "environment",
    "provenance_path",
    "read_provenance",
    "utc_timestamp",
    "write_json_atomic",
    "write_text_atomic",
]


def provenance_path(path) -> Path:
    """Path of the provenance sidecar of results file ``path``: ``<path>.provenance.json``.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    Path
    """
    path = Path(path)
    return path.with_name(path.name + ".provenance.json")


def read_provenance(path) -> dict:
    """The provenance sidecar of results file ``path`` as a dict (empty if there is none).

    Parameters
    ----------
    path : str or Path
        The results file (not the sidecar).

    Returns
    -------
    dict
    """
    sidecar = provenance_path(path)
    try:
        return json.loads(sidecar.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except ValueError as exc:
        raise ValueError(f"{sidecar}: malformed JSON ({exc}).") from None


def utc_timestamp() -> str:
    """The current time in UTC, ISO 8601 to the second (the times of provenance records).

    Returns
    -------
    str
    """
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


_SOURCE_ROOT = Path(__file__).resolve().parents[2]  # the clone, for an editable install


@functools.lru_cache(maxsize=8)
def _git_state_at(folder: str) -> tuple:
    """(commit, dirty, top-level folder) of the git work tree holding ``folder``, or Nones."""
    try:
        top, commit = subprocess.run(
            ["git", "-C", folder, "rev-parse", "--show-toplevel", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.split()
        status = subprocess.run(
            ["git", "-C", folder, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError, ValueError):
        return None, None, None
    return commit, bool(status.strip()), top


def _git_state() -> tuple:
    """(commit, dirty, repository) of the hallusim sources' git work tree (an editable install),
    else of the working directory's (a ``pip install .`` from a clone, run inside it)."""
    if (_SOURCE_ROOT / ".git").exists():
        state = _git_state_at(str(_SOURCE_ROOT))
        if state[0] is not None:
            return state
    cwd = _cwd()
    return (None, None, None) if cwd is None else _git_state_at(cwd)


def environment() -> dict:
    """Provenance of the running process: versions, git commit, command line, host.

    Returns
    -------
    dict
        ``hallusim``, ``numpy``, ``numba``, ``python`` versions, ``platform``; ``git_commit``,
        ``git_dirty`` and ``git_repository`` of the git work tree holding the hallusim sources
        (an editable install) or else the working directory (``None`` outside any);
        ``command``, the full command line (``sys.orig_argv``: interpreter, its options, the
        script and its arguments), and ``cwd``, the working directory.
    """
    commit, dirty, repository = _git_state()
    return {
        "hallusim": __version__,
        "numpy": np.__version__,
        "numba": numba.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "git_commit": commit,
        "git_dirty": dirty,
        "git_repository": repository,
        "command": _command(),
        "cwd": _cwd(),
    }


def _command() -> str:
    """The full command line of this process: interpreter, options, script and arguments."""
    argv = getattr(sys, "orig_argv", None)  # Python >= 3.10
    if not argv:
        argv = [sys.executable or "python", *sys.argv]
    return shlex.join(argv)


def _cwd() -> str | None:
    try:
        return os.getcwd()
    except OSError:  # the working directory was removed
        return None


def write_json_atomic(path, data: dict) -> None:
    """Write ``data`` as JSON to ``path`` atomically (a temporary file, then a rename).

    Parameters
    ----------
    path : str or Path
    data : dict
    """
    write_text_atomic(path, json.dumps(data, indent=2, allow_nan=True) + "\n")
