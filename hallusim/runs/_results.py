"""Result files: append-only rows with a JSON provenance sidecar, and loading them back.

A results file holds one row per line, as JSON Lines (``.jsonl``) or CSV (``.csv``):

* rows are appended as they complete, each with a single ``write`` of one whole line, so a
  process killed with ``kill -9`` loses at most the rows it had not written yet;
* a line that does not end with a newline is an unfinished row: readers ignore it, and a writer
  that resumes the file cuts it off before appending, so a half-written row is never read back;
* one writer at a time: :class:`ResultStore` holds an exclusive lock on the file (POSIX).

Beside every file ``X.ext`` sits ``X.ext.provenance.json``, rewritten atomically (temporary
file, then rename): the hallusim, numpy, numba and Python versions, the git commit of the
hallusim source tree (or, for a non-editable install, of the working directory) when there is
one, the full command line and working directory, the root seed, and the start and end time of
every session that wrote to the file. While a sweep runs, the sidecar's row counts are updated
every few seconds; the rows file itself is the record (after ``kill -9`` the counts may lag it).

CSV cells hold JSON values (numbers, ``true``/``false``, ``null``, lists), and plain text as is;
a text that would read as JSON (``"1"``, ``"true"``) or that holds a line break is stored
JSON-quoted, so every row reads back with the types it was written with. An empty CSV cell is a
missing value.
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hallusim._validation import fail
from hallusim.runs._provenance import (
    environment,
    provenance_path,
    read_provenance,
    utc_timestamp,
    write_json_atomic,
    write_text_atomic,
)

try:  # advisory file locks (POSIX); without them, nothing stops two writers.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

__all__ = ["TABLE_SUFFIXES", "ResultStore", "ResultTable", "format_of", "load_table", "plain", "read_rows", "write_table"]

#: The file suffixes of results tables and the format each means.
TABLE_SUFFIXES = {".jsonl": "jsonl", ".csv": "csv"}
PROVENANCE_INTERVAL = 5.0  # seconds between sidecar updates while a ResultStore is appending


# --------------------------------------------------------------------------------------------
# Values


def plain(value):
    """Return ``value`` as plain JSON-compatible Python data.

    NumPy scalars become Python scalars, arrays and tuples become lists, dict keys must be
    strings. Anything else raises ``ValueError``: a row holds numbers, booleans, strings,
    ``None`` and lists or dicts of them.

    Parameters
    ----------
    value : object

    Returns
    -------
    object
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        return value if type(value) in (int, float) else (int(value) if isinstance(value, int) else float(value))
    if isinstance(value, np.generic):
        return plain(value.item())
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: plain(v) for k, v in value.items()}
    fail("value", "a number, bool, str, None, an array or a list or dict of them", value)


def _json_line(row: dict) -> str:
    return json.dumps(row, separators=(",", ":"), ensure_ascii=False) + "\n"


def _encode_cell(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        if value and "\n" not in value and "\r" not in value and not _reads_as_json(value):
            return value
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _reads_as_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


_MISSING = object()


def _decode_cell(text: str):
    if text == "":
        return _MISSING
    try:
        return json.loads(text)
    except ValueError:
        return text


def _csv_line(cells) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue()


def format_of(path) -> str:
    """The format of a results file from its suffix: ``"jsonl"`` or ``"csv"``.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    str
    """
    suffix = Path(path).suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        fail("results", "a path ending in .jsonl or .csv", str(path))
    return TABLE_SUFFIXES[suffix]


# --------------------------------------------------------------------------------------------
# Reading


def _complete_text(path: Path) -> tuple[str, int]:
    """The text of ``path`` up to its last newline, and that length in bytes."""
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    try:
        return data[:end].decode("utf-8"), end
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not a UTF-8 text file ({exc}).") from None


def _parse_rows(path: Path, text: str) -> tuple[list[dict], list[str]]:
    """Rows and column names of the complete lines ``text`` of results file ``path``."""
    if format_of(path) == "jsonl":
        rows, columns = [], {}
        # only "\n" ends a row: str.splitlines would also split at U+2028, U+2029 and \x85,
        # which JSON (written with ensure_ascii=False) leaves unescaped inside strings
        for number, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise ValueError(f"{path}, line {number}: not a JSON object ({exc}).") from None
            if not isinstance(row, dict):
                raise ValueError(f"{path}, line {number}: not a JSON object; got {line[:60]!r}.")
            rows.append(row)
            columns.update(dict.fromkeys(row))
        return rows, list(columns)
    records = list(csv.reader(io.StringIO(text, newline="")))
    if not records:
        return [], []
    header, rows = records[0], []
    for number, record in enumerate(records[1:], start=2):
        if len(record) != len(header):
            raise ValueError(
                f"{path}, line {number}: {len(record)} cells for {len(header)} columns ({', '.join(header)})."
            )
        row = {}
        for name, cell in zip(header, record):
            value = _decode_cell(cell)
            if value is not _MISSING:
                row[name] = value
        rows.append(row)
    return rows, header


def read_rows(path) -> list[dict]:
    """Read the complete rows of a results file (an unfinished last line is ignored).

    Parameters
    ----------
    path : str or Path
        A ``.jsonl`` or ``.csv`` results file.

    Returns
    -------
    list of dict
        One dict per row, with the types the row was written with.
    """
    path = Path(path)
    format_of(path)
    text, _ = _complete_text(path)
    return _parse_rows(path, text)[0]


def _column_array(values) -> np.ndarray:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present) and len(present) == len(values):
        return np.array(values, dtype=bool)
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        if len(present) == len(values) and all(isinstance(v, int) for v in present):
            return np.array(values, dtype=np.int64)
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    if present and all(isinstance(v, str) for v in present) and len(present) == len(values):
        return np.array(values, dtype=str)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


@dataclass(frozen=True)
class ResultTable:
    """Rows of a results file with its provenance.

    Attributes
    ----------
    rows : list of dict
        One dict per row.
    columns : list of str
        Column names, in the order they first appear.
    provenance : dict
        The provenance sidecar (empty if there is none).
    """

    rows: list
    columns: list
    provenance: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.rows)

    def column(self, name: str) -> np.ndarray:
        """Column ``name`` as a NumPy array.

        Integers give ``int64``, numbers with a float or a missing value give ``float64``
        (missing values are NaN), booleans give ``bool``, texts give a string array; anything
        else (lists, mixed kinds) gives an object array with ``None`` for missing values.

        Parameters
        ----------
        name : str

        Returns
        -------
        numpy.ndarray
        """
        if name not in self.columns:
            fail("name", "one of " + ", ".join(self.columns), name, error=KeyError)
        return _column_array([row.get(name) for row in self.rows])

    def __getitem__(self, name: str) -> np.ndarray:
        return self.column(name)

    def arrays(self) -> dict:
        """Every column as a NumPy array (see :meth:`column`), keyed by name.

        Returns
        -------
        dict of str to numpy.ndarray
        """
        return {name: self.column(name) for name in self.columns}

    def to_pandas(self):
        """The rows as a ``pandas.DataFrame`` (requires pandas).

        Returns
        -------
        pandas.DataFrame
        """
        try:
            # deferred: pandas is optional
            import pandas as pd
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError("ResultTable.to_pandas needs pandas: python -m pip install pandas") from None
        return pd.DataFrame.from_records(self.rows, columns=self.columns)


def load_table(path) -> ResultTable:
    """Load a results file and its provenance.

    Parameters
    ----------
    path : str or Path
        A ``.jsonl`` or ``.csv`` results file.

    Returns
    -------
    ResultTable
        Rows, column names, provenance; ``.column(name)`` / ``.arrays()`` give NumPy arrays and
        ``.to_pandas()`` a DataFrame.
    """
    path = Path(path)
    format_of(path)
    text, _ = _complete_text(path)
    rows, columns = _parse_rows(path, text)
    return ResultTable(rows=rows, columns=columns, provenance=read_provenance(path))


# --------------------------------------------------------------------------------------------
# Writing


def _row_text(fmt: str, row: dict, columns: list | None) -> str:
    if fmt == "jsonl":
        return _json_line(row)
    return _csv_line(["" if name not in row else _encode_cell(row[name]) for name in columns])


def write_table(rows, path, *, provenance: dict | None = None) -> Path:
    """Write a whole table of rows atomically, with a provenance sidecar.

    For a finished table (e.g. ``results/<experiment>.csv``); sweeps append rows one by one
    through :class:`ResultStore` instead.

    Parameters
    ----------
    rows : list of dict
        The rows; values must be plain data (see :func:`plain`).
    path : str or Path
        Destination, ending in ``.csv`` or ``.jsonl``.
    provenance : dict, optional
        Extra fields for the sidecar (e.g. the configuration), added to :func:`environment`.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    fmt = format_of(path)
    rows = [plain(dict(row)) for row in rows]
    columns = list(dict.fromkeys(name for row in rows for name in row))
    parts = [] if fmt == "jsonl" else [_csv_line(columns)]
    parts += [_row_text(fmt, row, columns) for row in rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, "".join(parts))
    write_json_atomic(
        provenance_path(path),
        {**environment(), "written": utc_timestamp(), "rows": len(rows), "format": fmt, **(provenance or {})},
    )
    return path


class ResultStore:
    """An append-only results file that a sweep writes row by row and can resume.

    Parameters
    ----------
    path : str or Path
        The results file, ending in ``.jsonl`` or ``.csv``; its folder is created.
    resume : bool
        If true, keep the complete rows already in the file (cutting off an unfinished last line)
        and append after them; if false, start the file afresh.
    fingerprint : str, optional
        Identifies what produced the rows (function, code). Resuming a file whose sidecar
        records another fingerprint raises ``ValueError`` instead of mixing rows.
    columns : list of str, optional
        Leading CSV columns; the first row's other keys follow. Later rows may lack columns (an
        empty cell) but not add new ones (CSV only; JSON Lines rows are free-form).
    session : dict, optional
        Extra fields recorded for this writing session in the sidecar (e.g. the root seed).
    identity : dict, optional
        Fields every stored row must hold with these values (e.g. ``{"root_seed": 0}``, the seed
        material): resuming a file with a row that differs raises ``ValueError`` instead of
        appending rows of one kind to rows of another.
    required : list of str, optional
        Fields every stored row must have: resuming a file with a row that lacks one raises
        ``ValueError`` (naming the line and the field).
    provenance_interval : float, optional
        While appending, the sidecar's counts (``rows``, the session's ``rows_written``) are
        rewritten when this many seconds have passed since the last update (0: after every
        row); default ``PROVENANCE_INTERVAL``, 5 s.

    Notes
    -----
    Use as a context manager; :meth:`close` records the end time and whether the session
    finished (``status``: ``"complete"``, ``"interrupted"`` (Ctrl-C, SIGTERM), ``"failed"`` (an
    error) or ``"running"`` while open).

    The rows file is the record: after ``kill -9`` the sidecar still says ``"running"`` and its
    counts may lag the file by the rows of the last ``provenance_interval``; count rows with
    :func:`read_rows` (or ``len(load_table(path))``).
    """

    def __init__(
        self,
        path,
        *,
        resume: bool = True,
        fingerprint: str | None = None,
        columns=None,
        session=None,
        provenance_interval: float | None = None,
        identity=None,
        required=None,
    ):
        self.path = Path(path)
        self.format = format_of(self.path)
        self.resume = bool(resume)
        self.fingerprint = fingerprint
        self._lead_columns = list(columns or [])
        self._session_extra = dict(session or {})
        self._identity = dict(identity or {})
        self._required = list(required or [])
        self.rows: list[dict] = []
        self.columns: list[str] | None = None
        self._fd = None
        self._written = 0
        self._provenance_interval = PROVENANCE_INTERVAL if provenance_interval is None else float(provenance_interval)
        self._meta_time = 0.0

    # -- opening ---------------------------------------------------------------------------
    def open(self) -> "ResultStore":
        """Lock the file, read (or discard) its rows, and record a new session in the sidecar.

        Returns
        -------
        ResultStore
            ``self``.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._created = not self.path.exists() and not provenance_path(self.path).exists()
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)  # the umask decides, as for open()
        try:
            self._lock()
            self._meta = read_provenance(self.path) if self.resume else {}
            recorded = self._meta.get("fingerprint")
            if self.resume and recorded is not None and self.fingerprint is not None and recorded != self.fingerprint:
                fail(
                    "results",
                    "a file written by the same sweep function and code (start afresh: resume=False, or "
                    "--fresh on the command line)",
                    f"<{self.path}, written with fingerprint {recorded[:12]}, not {self.fingerprint[:12]}>",
                )
            if self.resume:
                text, end = _complete_text(self.path)
                os.ftruncate(self._fd, end)  # cut off an unfinished last row
                self.rows, header = _parse_rows(self.path, text)
                self._check_rows()
                self.columns = header if (self.format == "jsonl" or header) else None
            else:
                os.ftruncate(self._fd, 0)
                self.rows, self.columns = [], None
            os.lseek(self._fd, 0, os.SEEK_END)
            self._session = {**environment(), **self._session_extra, "start_time": utc_timestamp(), "end_time": None}
            self._write_meta(status="running")
        except BaseException:
            os.close(self._fd)
            self._fd = None
            raise
        return self

    def _check_rows(self) -> None:
        """Refuse stored rows of another identity (seed material) or lacking a required field."""
        first_line = 2 if self.format == "csv" else 1  # rows are numbered by line (blank JSON lines aside)
        for number, row in enumerate(self.rows, start=first_line):
            for key, value in self._identity.items():
                if row.get(key, _MISSING) != value:
                    shown = "no " + key if key not in row else f"{key} {row[key]!r}"
                    fail("results", f"a file whose rows all have {key} {value!r} (start afresh: resume=False, or "
                         "--fresh on the command line; or use another results folder)",
                         f"<{self.path}, whose row {number - first_line + 1} has {shown}>")
            missing = [key for key in self._required if key not in row]
            if missing:
                fail("results", f"a file whose rows all have {', '.join(self._required)} (start afresh: "
                     "resume=False, or --fresh on the command line)",
                     f"<{self.path}, whose row {number - first_line + 1} lacks {', '.join(missing)}>")

    def _lock(self) -> None:
        if fcntl is None:  # pragma: no cover - Windows
            return
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fail("results", "a file that no other running sweep is writing", f"<{self.path}, which is locked>")

    def _write_meta(self, status: str) -> None:
        sessions = [s for s in self._meta.get("sessions", [])] + [{**self._session, "rows_written": self._written}]
        meta = {
            "format": self.format,
            "fingerprint": self.fingerprint,
            "status": status,
            "rows": len(self.rows) + self._written,
            **{key: sessions[-1][key] for key in sessions[-1] if key not in ("start_time", "end_time", "rows_written")},
            "start_time": sessions[0]["start_time"],
            "end_time": sessions[-1]["end_time"],
            "sessions": sessions,
        }
        write_json_atomic(provenance_path(self.path), meta)
        self._meta_time = time.monotonic()

    # -- writing ---------------------------------------------------------------------------
    def append(self, row: dict) -> None:
        """Append one row (one ``write`` of one whole line; the file stays readable throughout).

        Parameters
        ----------
        row : dict
            Plain data (see :func:`plain`).
        """
        if self._fd is None:
            raise ValueError(f"{self.path}: the results store is not open.")
        row = plain(dict(row))
        text = ""
        if self.format == "csv":
            if self.columns is None:
                self.columns = list(dict.fromkeys([*self._lead_columns, *row]))
                text = _csv_line(self.columns)
            extra = [name for name in row if name not in self.columns]
            if extra:
                fail(
                    "row",
                    f"a row with the CSV columns of {self.path.name} ({', '.join(self.columns)}); "
                    "use a .jsonl file for rows with varying columns",
                    f"<a row with the new column(s) {', '.join(extra)}>",
                )
        data = (text + _row_text(self.format, row, self.columns)).encode("utf-8")
        while data:
            data = data[os.write(self._fd, data) :]
        self._written += 1
        if time.monotonic() - self._meta_time >= self._provenance_interval:
            self._write_meta(status="running")

    def close(self, status: str = "complete") -> None:
        """Flush to disk, record the end of this session in the sidecar and unlock.

        A store that this session created and that failed before writing any row is removed
        (rows file and sidecar): a failed start leaves nothing behind.

        Parameters
        ----------
        status : {"complete", "interrupted", "failed"}
        """
        if self._fd is None:
            return
        if status == "failed" and self._created and not self.rows and not self._written:
            try:
                provenance_path(self.path).unlink(missing_ok=True)
                self.path.unlink(missing_ok=True)
            finally:
                os.close(self._fd)
                self._fd = None
            return
        try:
            os.fsync(self._fd)
            self._session["end_time"] = utc_timestamp()
            self._write_meta(status=status)
        finally:
            os.close(self._fd)  # also releases the lock
            self._fd = None

    def __enter__(self) -> "ResultStore":
        return self.open()

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close("complete")
        else:
            self.close("interrupted" if issubclass(exc_type, KeyboardInterrupt) else "failed")
