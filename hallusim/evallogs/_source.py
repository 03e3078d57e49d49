"""Opening an evaluation file: the one place where bytes come in (for :mod:`hallusim.evallogs`).

:func:`read_source` reads a path (or ``-``, standard input) once, whole, from one stream: no
second open and no seek, so pipes, FIFOs and process substitutions work; a gzip stream is
recognised by its magic bytes on that same stream and decompressed. :func:`sniff` names what the
bytes hold (a zip archive, a JSON document or array, JSON Lines, delimited text), so a reader can
refuse a file of another tool by name instead of failing on its bytes. Every reader of the package
goes through these two functions, so the input rules live here only.
"""

from __future__ import annotations

import gzip
import sys
import zlib
from dataclasses import dataclass

__all__ = ["Source", "read_source", "sniff", "STDIN"]

STDIN = "-"
_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


class SourceError(ValueError):
    """A file that cannot be read at all; the message names the file."""


@dataclass(frozen=True)
class Source:
    """The bytes of one input and where they came from.

    Attributes
    ----------
    name : str
        The path as given (``<stdin>`` for ``-``).
    data : bytes
        The content, decompressed if the stream was gzip.
    gzipped : bool
    """

    name: str
    data: bytes
    gzipped: bool = False


def read_source(path, error=SourceError) -> Source:
    """Read ``path`` (``"-"`` for standard input) whole from one stream, gunzipping if needed.

    Parameters
    ----------
    path : str or os.PathLike
        A file, a pipe or ``-``.
    error : type, optional
        The exception raised (a ``ValueError`` subclass) when the file cannot be read.

    Returns
    -------
    Source
    """
    name = str(path)
    try:
        if name == STDIN:
            name = "<stdin>"
            data = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as handle:
                data = handle.read()
    except OSError as exc:
        raise error(f"{name}: cannot be read ({exc.strerror or exc}).") from None
    if data[:2] != _GZIP_MAGIC:
        return Source(name, data)
    try:
        return Source(name, gzip.decompress(data), gzipped=True)
    except (OSError, EOFError, zlib.error) as exc:
        raise error(f"{name}: starts like gzip but does not decompress ({exc}); is it truncated?") from None


def sniff(data: bytes) -> str:
    """What ``data`` holds, from its first bytes.

    Parameters
    ----------
    data : bytes

    Returns
    -------
    str
        ``"zip"``, ``"json-array"`` (first non-blank character ``[``), ``"json-document"`` (one
        JSON object spanning several lines), ``"jsonl"`` (first line a complete object, or an
        object opening a line), ``"empty"`` or ``"text"``.
    """
    if data[:4] in _ZIP_MAGIC:
        return "zip"
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        return "empty"
    if stripped[:1] == b"[":
        return "json-array"
    if stripped[:1] == b"{":
        first = stripped.split(b"\n", 1)[0].rstrip()
        # A JSON document pretty-printed over lines opens with a lone "{" (or a key cut at the line end).
        return "jsonl" if first.endswith(b"}") else "json-document"
    return "text"
