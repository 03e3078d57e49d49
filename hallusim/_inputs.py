"""The rules every reader of user files and every size-like option goes through.

One place for what a hostile or careless input must never cause (a wrong answer, a traceback,
a runaway in memory or time, a half-written file):

* :func:`open_input` opens a path, or ``-`` for standard input, **once**, and tells gzip from
  the first bytes of that same stream (never by reopening it, so pipes, FIFOs and process
  substitutions lose nothing); a folder, a missing or unreadable file become one-line
  ``ValueError`` messages naming the file (``"x.csv: cannot be read (is a folder, not a file)."``);
* :func:`read_input` reads a whole input (decompressed) up to a stated maximum size;
* :func:`line_chunks` yields chunks that end at a line break, in time linear in the input, and
  refuses a line longer than :data:`MAX_LINE_BYTES` (naming the file and the line);
* :func:`check_unique_names` refuses repeated column names (a reader would otherwise silently
  use one of them);
* :func:`json_string_bytes` gives the decoded bytes of a JSON string (``"é"`` and
  ``"\\u00e9"`` are one key);
* :func:`check_allocation` estimates memory before a large allocation and refuses, naming the
  parameter and the estimate; :data:`MAX_COUNT` bounds counts and sizes that kernels hold in
  64-bit integers;
* :func:`check_environment` checks the environment variables hallusim reads before Numba does;
* :func:`check_output_folder` checks an output folder option before any work;
* :func:`write_bytes_atomic` writes a file through a temporary file and a rename, with the
  permissions the umask gives (not the 0600 of a bare temporary file);
* :func:`os_error_message` turns an ``OSError`` into a message naming the file and what to do.

Every check raises ``ValueError`` with the message template of :mod:`hallusim._validation`
(a reader may pass its own ``ValueError`` subclass as ``error``).
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import io
import json
import os
import sys
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from hallusim._validation import check_int, fail

__all__ = [
    "STDIN",
    "GZIP_MAGIC",
    "MAX_COUNT",
    "MAX_LINE_BYTES",
    "Input",
    "open_input",
    "atomic_output",
    "read_input",
    "line_chunks",
    "check_unique_names",
    "json_string_bytes",
    "check_allocation",
    "check_count",
    "format_bytes",
    "available_memory",
    "check_environment",
    "check_output_file",
    "check_output_folder",
    "write_bytes_atomic",
    "write_text_atomic",
    "os_error_message",
]

#: The path that means standard input.
STDIN = "-"
GZIP_MAGIC = b"\x1f\x8b"
#: Largest count or size accepted (counts are summed in signed 64-bit integers by the kernels).
MAX_COUNT = 2**62
#: Longest line a line-oriented reader accepts (64 MiB): no counts or results row needs more.
MAX_LINE_BYTES = 64 << 20
_READ_BYTES = 1 << 22


# --------------------------------------------------------------------------------------------
# Opening


class _Prefixed(io.RawIOBase):
    """A raw stream that gives ``prefix`` and then the rest of ``stream`` (which is not reread)."""

    def __init__(self, prefix: bytes, stream):
        self._prefix, self._stream = prefix, stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


@dataclass
class Input:
    """An opened input: a binary ``stream`` (decompressed when ``compressed``) and its names.

    Attributes
    ----------
    stream : binary file object
        Read it with ``stream.read(n)``; it is read once, front to back.
    name : str
        The name for messages: the path as given, or ``"<stdin>"``.
    compressed : bool
        Whether the bytes were gzip-compressed.
    suffixes : list of str
        The lower-cased suffixes of the file name without a final ``.gz`` (empty for stdin), for
        readers that tell the format by name.
    """

    stream: object
    name: str
    compressed: bool
    suffixes: list


def os_error_message(exc: OSError, what: str | None = None) -> str:
    """A one-line message for ``exc`` naming the file (or ``what``) and what to do.

    Parameters
    ----------
    exc : OSError
    what : str, optional
        What to name instead of the error's file name (e.g. ``"--out DIR"``).

    Returns
    -------
    str
    """
    target = what or (str(exc.filename) if exc.filename is not None else None)
    advice = _advice(exc)
    return f"{target}: {advice}." if target else f"{advice}."


def _advice(exc: OSError) -> str:
    return {
        errno.ENOENT: "no such file or folder",
        errno.EISDIR: "is a folder, not a file",
        errno.ENOTDIR: "a part of the path is a file, not a folder",
        errno.EACCES: "permission denied: choose a place you can read and write",
        errno.EPERM: "operation not permitted: choose a place you can read and write",
        errno.ENOSPC: "no space left on the device: free some space or choose another place; nothing "
        "half-written was kept, and running the same command again resumes",
        errno.EDQUOT: "disk quota exceeded: free some space or choose another place",
        errno.EROFS: "read-only file system: choose a writable place",
    }.get(exc.errno, exc.strerror or str(exc) or type(exc).__name__)


@contextlib.contextmanager
def open_input(path, *, error=ValueError):
    """Open ``path`` (or ``-``, standard input) once for reading bytes, decompressing gzip.

    Gzip is told by the magic bytes ``1f 8b`` at the start of the same stream that is then read
    (whatever the file's name), so nothing is lost from a pipe, FIFO or ``<(...)``.

    Parameters
    ----------
    path : str or Path
        A file, or ``"-"`` for standard input.
    error : type, optional
        The ``ValueError`` subclass to raise (a reader's own).

    Yields
    ------
    Input

    Raises
    ------
    error
        ``"<file>: cannot be read (no such file or folder)."``, ``"... (is a folder, not a file)."``
    """
    name = str(path)
    stdin = name == STDIN
    try:
        raw = sys.stdin.buffer if stdin else open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise error(f"{name}: cannot be read ({_advice(exc)}).") from None
    try:
        prefix = b""
        while len(prefix) < 2:  # a pipe may hand over one byte at a time
            data = raw.read(2 - len(prefix))
            if not data:
                break
            prefix += data
        stream = io.BufferedReader(_Prefixed(prefix, raw), buffer_size=_READ_BYTES)
        compressed = prefix == GZIP_MAGIC
        if compressed:
            stream = gzip.GzipFile(fileobj=stream, mode="rb")
        suffixes = [] if stdin else [s.lower() for s in Path(name).suffixes]
        if suffixes and suffixes[-1] == ".gz":
            suffixes = suffixes[:-1]
        yield Input(stream, "<stdin>" if stdin else name, compressed, suffixes)
    except OSError as exc:
        raise error(f"{name}: cannot be read ({_advice(exc)}).") from None
    finally:
        if not stdin:
            raw.close()


def read_input(path, *, max_bytes: int | None = None, error=ValueError) -> tuple[bytes, Input]:
    """The whole (decompressed) content of ``path`` or ``-``, read once.

    Parameters
    ----------
    path : str or Path
    max_bytes : int, optional
        Refuse an input larger than this (decompressed); default: what :func:`check_allocation`
        allows.
    error : type, optional

    Returns
    -------
    data : bytes
    source : Input
        Its ``stream`` is exhausted; ``name``, ``compressed`` and ``suffixes`` describe the input.
    """
    limit = available_memory() // 2 if max_bytes is None else int(max_bytes)
    with open_input(path, error=error) as source:
        parts, size = [], 0
        try:
            while True:
                data = source.stream.read(_READ_BYTES)
                if not data:
                    break
                size += len(data)
                if size > limit:
                    raise error(f"{source.name}: larger than {format_bytes(limit)}, the most this reader takes.")
                parts.append(data)
        except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise error(f"{source.name}: damaged gzip data ({exc or type(exc).__name__}).") from None
    return b"".join(parts), source


def line_chunks(stream, name: str, *, max_line_bytes: int = MAX_LINE_BYTES, error=ValueError,
                chunk_bytes: int = _READ_BYTES):
    """Yield the bytes of ``stream`` in chunks that end just after a ``\\n`` (the last may not).

    Time and copying are linear in the input however long its lines are; a line longer than
    ``max_line_bytes`` is refused.

    Parameters
    ----------
    stream : binary file object
    name : str
        The input's name for messages.
    max_line_bytes : int, optional
        Default :data:`MAX_LINE_BYTES` (64 MiB).
    error : type, optional
    chunk_bytes : int, optional
        Bytes per read (at most ``max_line_bytes``, so a line inside one read is never too long).

    Yields
    ------
    bytes
    """
    chunk_bytes = min(chunk_bytes, max_line_bytes)
    pieces, held, line = [], 0, 1  # `held`: bytes since the last line break
    while True:
        data = stream.read(chunk_bytes)
        if not data:
            if pieces:
                yield b"".join(pieces)
            return
        cut = data.rfind(b"\n")
        if cut < 0:
            pieces.append(data)
            held += len(data)
            if held > max_line_bytes:
                raise error(f"{name}, line {line}: a line longer than {format_bytes(max_line_bytes)}, the longest "
                            "accepted (is this the right file?).")
            continue
        if held + data.find(b"\n") > max_line_bytes:
            raise error(f"{name}, line {line}: a line longer than {format_bytes(max_line_bytes)}, the longest "
                        "accepted (is this the right file?).")
        pieces.append(data[: cut + 1])
        chunk = b"".join(pieces)
        line += chunk.count(b"\n")
        yield chunk
        rest = data[cut + 1 :]
        pieces, held = ([rest], len(rest)) if rest else ([], 0)


# --------------------------------------------------------------------------------------------
# Columns and keys


def check_unique_names(names, *, where: str, normalize=None, error=ValueError) -> None:
    """Refuse a header in which a column name appears twice.

    Parameters
    ----------
    names : sequence of str
        The column names as written.
    where : str
        The file (and line) for the message.
    normalize : callable, optional
        How names are compared (e.g. ``lambda s: s.strip().lower()`` for a reader that matches
        names case-insensitively).
    error : type, optional
    """
    seen = {}
    for name in names:
        key = normalize(name) if normalize else name
        if key in seen:
            raise error(f"{where}: column {name!r} must appear once in the header; got it twice "
                        f"({seen[key]!r} and {name!r}); rename or remove one.")
        seen[key] = name


def json_string_bytes(raw: bytes) -> bytes:
    """The UTF-8 bytes of a JSON string's value, given its text between the quotes.

    ``b"\\u00e9"`` and ``"é".encode()`` give the same bytes, so keys compare as decoded.
    Text that is not a valid JSON string is returned unchanged.
    """
    if b"\\" not in raw:
        return raw
    try:
        return json.loads(b'"' + raw + b'"').encode("utf-8", "surrogatepass")
    except ValueError:
        return raw


# --------------------------------------------------------------------------------------------
# Sizes


def format_bytes(n: float) -> str:
    """``n`` bytes as text with a binary unit (``"7.11 PiB"``)."""
    n = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if n < 1024 or unit == "EiB":
            return f"{n:.0f} bytes" if unit == "bytes" else f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} EiB"  # pragma: no cover


def available_memory() -> int:
    """Bytes this process may allocate: physical memory, or a lower address-space limit."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        total = 1 << 40
    try:
        # deferred: POSIX only
        import resource

        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
        if soft != resource.RLIM_INFINITY:
            total = min(total, soft)
    except (ImportError, ValueError, OSError):  # pragma: no cover - not POSIX
        pass
    return int(total)


def check_allocation(name: str, n_bytes) -> None:
    """Refuse a size whose arrays cannot fit in memory, before allocating them.

    Parameters
    ----------
    name : str
        The parameter (or option) whose value sets the size.
    n_bytes : int or float
        Estimated bytes the value needs.

    Raises
    ------
    ValueError
        ``"`n_examples` must be a size whose arrays fit in memory (16 GiB here); got one that needs
        about 7.11 PiB."``
    """
    limit = available_memory()
    if n_bytes > limit:
        fail(name, f"a size whose arrays fit in memory ({format_bytes(limit)} here)",
             f"<one that needs about {format_bytes(n_bytes)}>")


def check_count(name: str, value, *, minimum: int = 0) -> int:
    """An integer count or size in ``[minimum, MAX_COUNT]`` (the 64-bit range kernels work in)."""
    value = check_int(name, value, minimum=minimum)
    if value > MAX_COUNT:
        fail(name, f"an integer >= {minimum} and <= 2**62 = {MAX_COUNT}", value)
    return value


# --------------------------------------------------------------------------------------------
# Environment


def _started_as_command() -> bool:
    """Whether this process is the ``hallusim`` command (its console script or ``-m hallusim.cli``)."""
    argv = getattr(sys, "orig_argv", sys.argv)
    return Path(sys.argv[0]).name == "hallusim" or any(
        argv[i] == "-m" and argv[i + 1] == "hallusim.cli" for i in range(len(argv) - 1)
    )


def check_environment(environ=None) -> None:
    """Check the environment variables read at import, before Numba reads them.

    Called when hallusim is imported. In the ``hallusim`` command a bad value ends the command
    with a one-line message and exit status 2 (the import happens before the command's own
    error handling could run); in a library user's program it raises ``ValueError``.

    Parameters
    ----------
    environ : mapping, optional
        Default ``os.environ``.

    Raises
    ------
    ValueError
        For ``NUMBA_NUM_THREADS`` that is not an integer >= 1.
    """
    environ = os.environ if environ is None else environ
    value = environ.get("NUMBA_NUM_THREADS")
    if value is None:
        return
    try:
        ok = int(value.strip()) >= 1
    except ValueError:
        ok = False
    if ok:
        return
    try:
        fail("NUMBA_NUM_THREADS", "an integer >= 1 (Numba's thread count; unset it for one per core)", value)
    except ValueError as exc:
        if environ is os.environ and _started_as_command():
            sys.stderr.write(f"hallusim: error: {exc}\n")
            raise SystemExit(2) from None
        raise


# --------------------------------------------------------------------------------------------
# Writing


def check_output_folder(name: str, path) -> Path:
    """Check that ``path`` is a folder, or can be made one, that this process can write to.

    Called before any work, so that an output option pointing at a file or an unwritable place
    fails at once, naming the option.

    Parameters
    ----------
    name : str
        The option (``"--out"``) or parameter.
    path : str or Path

    Returns
    -------
    Path
    """
    path = Path(path)
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        shown = "which is a file" if probe == path else f"inside {probe}, which is a file"
        fail(name, "a folder (or a path where one can be made)", f"<{str(path)!r}, {shown}>")
    if not os.access(probe, os.W_OK | os.X_OK):
        fail(name, "a folder you can write to", f"<{str(path)!r} ({probe}: permission denied)>")
    return path


def check_output_file(name: str, path) -> Path:
    """Check that ``path`` names a file this process can write, in a folder that exists.

    Called before any work, as :func:`check_output_folder` is for folders.

    Parameters
    ----------
    name : str
        The option (``"--arpa"``) or parameter.
    path : str or Path

    Returns
    -------
    Path
    """
    path = Path(path)
    if path.is_dir():
        fail(name, "a file name (not a folder)", f"<{str(path)!r}, which is a folder>")
    folder = path.parent
    if not folder.is_dir():
        fail(name, "a file in a folder that exists", f"<{str(path)!r} ({folder}: no such folder)>")
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        fail(name, "a file you can write", f"<{str(path)!r}: permission denied>")
    return path



def _umask() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # not thread-safe, hence the /proc reading first
    os.umask(mask)
    return mask


def write_bytes_atomic(path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, fsync and a rename.

    A reader sees the old file or the whole new one, never a half-written one; on an error the
    temporary file is removed. The file gets the permissions of a newly created file (``0666``
    less the umask), as ``open`` would give it, not the ``0600`` of a temporary file.

    Parameters
    ----------
    path : str or Path
    data : bytes
    """
    with atomic_output(path) as fh:
        fh.write(data)


@contextlib.contextmanager
def atomic_output(path, *, fsync: bool = True):
    """A binary file to write in steps, which replaces ``path`` (by a rename) only when the block
    ends without an error; on an error the temporary file is removed (see
    :func:`write_bytes_atomic`).

    Parameters
    ----------
    path : str or Path
    fsync : bool, optional
        Flush the file to the device before the rename (default), so that it survives a power
        loss too; a large output that can be written again may skip it.

    Yields
    ------
    file object
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o666 & ~_umask())
            yield fh
            fh.flush()
            if fsync:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically; see :func:`write_bytes_atomic`.

    Parameters
    ----------
    path : str or Path
    text : str
    """
    write_bytes_atomic(path, text.encode("utf-8"))
