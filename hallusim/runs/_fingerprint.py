"""Fingerprints of sweep functions and the results file they name (so a resumed sweep never
mixes rows computed by different code)."""

from __future__ import annotations

import hashlib
import marshal
import os
import re
from pathlib import Path

import cloudpickle

from hallusim._validation import fail
from hallusim.runs._results import TABLE_SUFFIXES

__all__ = ["function_name", "fingerprint", "store_path"]


def function_name(func) -> str:
    """``module.qualname`` of a sweep function (of the function inside a ``functools.partial``)."""
    inner = getattr(func, "func", func)  # functools.partial
    return f"{getattr(inner, '__module__', None) or 'func'}.{getattr(inner, '__qualname__', type(inner).__name__)}"


class _HashWriter:
    def __init__(self):
        self.hash = hashlib.sha256()

    def write(self, data) -> int:
        self.hash.update(data)
        return len(data) if not isinstance(data, memoryview) else data.nbytes


def _source_digest() -> str:
    """Digest of hallusim's Python sources: rows computed by other code are never resumed."""
    root = Path(__file__).resolve().parents[1]  # the whole hallusim package
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def fingerprint(func) -> str:
    """Fingerprint of a sweep function: its code, the values it captures, and hallusim's code."""
    digest = hashlib.sha256(_source_digest().encode())
    digest.update(function_name(func).encode())
    inner = getattr(func, "func", func)
    code = getattr(inner, "__code__", None)
    if code is not None:
        digest.update(marshal.dumps(code))
    try:
        writer = _HashWriter()
        cloudpickle.dump(func, writer, protocol=5)
        digest.update(writer.hash.digest())
    except Exception:  # noqa: BLE001 - an unpicklable function is fingerprinted by name and code only
        pass
    return digest.hexdigest()


def store_path(results, func, fingerprint: str) -> Path:
    """The results file of a sweep: ``results`` itself, or ``results/<function>-<fingerprint>.jsonl``."""
    if not isinstance(results, (str, os.PathLike)):
        fail("results", "a path (a .jsonl or .csv file, or a folder)", results)
    path = Path(results)
    if path.suffix.lower() in TABLE_SUFFIXES:
        return path
    if path.exists() and not path.is_dir():
        fail("results", "a .jsonl or .csv file, or a folder", str(path))
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", function_name(func).replace("<locals>.", "")).strip(".") or "sweep"
    return path / f"{stem}-{fingerprint[:12]}.jsonl"
