"""Reading count files for :mod:`hallusim.floor`: format detection, streaming, aggregation.

The byte-level work is done by the Numba kernels of :mod:`hallusim._floor_scan`; this module
reads the header, picks the columns, feeds chunks through the kernels and merges their output
into a frequency-of-frequencies table, in memory proportional to the number of distinct counts
for aggregated input (and to the number of distinct prompts for raw pairs).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hallusim import _floor_scan as scan
from hallusim._validation import check_choice

__all__ = ["FORMATS", "FloorFileError", "FloorCounts", "read_floor_counts"]

FORMATS = ("auto", "counts", "table", "pairs")

# Accepted column names (case-insensitive), first match wins.
_COUNT_NAMES = ("count", "answered", "answered_count", "n_answered")
_KEY_NAMES = ("key", "prompt", "fact", "id")
_IDK_COUNT_NAMES = ("idk", "idk_count", "n_idk", "abstentions")
_R_NAMES = ("r",)
_NR_NAMES = ("n_r", "nr")
_PROMPT_NAMES = ("prompt",)
_RESPONSE_NAMES = ("response",)
_IDK_FLAG_NAMES = ("idk", "is_idk")


class FloorFileError(ValueError):
    """A count file that cannot be read; the message names the file, the line and the field."""


@dataclass(frozen=True)
class FloorCounts:
    """The sufficient statistics of a training set for Theorem 2.

    Attributes
    ----------
    r, n_r : ndarray of int64
        Frequency of frequencies of the answered (non-IDK) examples per prompt.
    n_examples : int
        ``N``, all training examples including IDK ones.
    n_idk : int
        IDK examples.
    n_prompts : int
        Distinct prompts (including prompts with IDK examples only, and listed prompts without any
        example, where the input shows them).
    n_prompts_without_examples : int
        Prompts the input lists with no example at all (count and IDK count 0, or a table's
        ``r = 0`` row); 0 for pairs and arrays.
    source : str or None
        The file read, if any.
    detected : str
        What was read and how (format and columns).
    """

    r: np.ndarray
    n_r: np.ndarray
    n_examples: int
    n_idk: int
    n_prompts: int
    source: str | None
    detected: str
    n_prompts_without_examples: int = 0

    @property
    def n_answered(self) -> int:
        """Answered examples, ``Σ_r r·n_r``."""
        return int(np.dot(self.r, self.n_r)) if self.r.size else 0

    @property
    def n_singletons(self) -> int:
        """Prompts answered exactly once (``|S|`` of Definition 2)."""
        return int(self.n_r[0]) if self.r.size and self.r[0] == 1 else 0


# ----------------------------------------------------------------------------------------------
# Reading files
# ----------------------------------------------------------------------------------------------


@dataclass
class _Schema:
    kind: str
    names: list  # the file's column names, in output-slot order
    kinds: list  # scan.KIND_* per slot
    detected: str


def _pick(columns: dict, names) -> str | None:
    for name in names:
        if name in columns:
            return columns[name]
    return None


def _schema(path, header: list[str], fmt: str, idk_token: str, check_keys: bool, container: str) -> _Schema:
    columns = {name.strip().lower(): name for name in header}
    shown = ", ".join(header) if header else "(none)"
    r_col, nr_col = _pick(columns, _R_NAMES), _pick(columns, _NR_NAMES)
    prompt_col, response_col = _pick(columns, _PROMPT_NAMES), _pick(columns, _RESPONSE_NAMES)
    count_col, key_col = _pick(columns, _COUNT_NAMES), _pick(columns, _KEY_NAMES)
    if fmt == "auto":
        if r_col and nr_col:
            fmt = "table"
        elif prompt_col and response_col:
            fmt = "pairs"
        elif count_col:
            fmt = "counts"
        else:
            raise FloorFileError(
                f"{path}: cannot tell the format from the columns ({shown}); expected r and n_r (a "
                "frequency-of-frequencies table), prompt and response (training pairs), or key and "
                "count (per-fact counts); or pass --format."
            )
        how = "detected"
    else:
        how = "as requested"

    def need(column, names, what):
        if column is None:
            raise FloorFileError(
                f"{path}, line 1: `{names[0]}` must be a column of a {what} file (accepted names: "
                f"{', '.join(names)}); got columns {shown}."
            )
        return column

    if fmt == "table":
        r_col, nr_col = need(r_col, _R_NAMES, "table"), need(nr_col, _NR_NAMES, "table")
        return _Schema("table", [r_col, nr_col], [scan.KIND_INT, scan.KIND_INT],
                       f"frequency-of-frequencies table ({container}, {how}; columns {r_col}, {nr_col})")
    if fmt == "pairs":
        prompt_col = need(prompt_col, _PROMPT_NAMES, "pairs")
        response_col = need(response_col, _RESPONSE_NAMES, "pairs")
        flag_col = _pick(columns, _IDK_FLAG_NAMES)
        if flag_col is not None:
            return _Schema("pairs", [prompt_col, flag_col], [scan.KIND_HASH, scan.KIND_FLAG],
                           f"training pairs ({container}, {how}; prompts in {prompt_col}, IDK marked by the "
                           f"boolean column {flag_col})")
        return _Schema("pairs", [prompt_col, response_col], [scan.KIND_HASH, scan.KIND_TOKEN],
                       f"training pairs ({container}, {how}; prompts in {prompt_col}, IDK = responses equal "
                       f"to {idk_token!r})")
    count_col = need(count_col, _COUNT_NAMES, "per-fact counts")
    key_col = need(key_col, _KEY_NAMES, "per-fact counts")
    names, kinds = [count_col], [scan.KIND_INT]
    idk_col = _pick(columns, _IDK_COUNT_NAMES)
    if idk_col is not None:
        names.append(idk_col)
        kinds.append(scan.KIND_INT)
    if check_keys:
        names.append(key_col)
        kinds.append(scan.KIND_HASH)
    idk_text = f", IDK counts {idk_col}" if idk_col else ", no IDK column"
    keys_text = "keys checked to be distinct" if check_keys else "keys assumed distinct"
    return _Schema("counts", names, kinds,
                   f"per-fact counts ({container}, {how}; key {key_col}, count {count_col}{idk_text}; {keys_text})")


def _container(path: Path, first: bytes) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    if last in (".jsonl", ".ndjson", ".json"):
        return "JSON Lines"
    if last == ".tsv":
        return "TSV"
    if last == ".csv":
        return "CSV"
    return "JSON Lines" if first.lstrip().startswith(b"{") else "CSV"


def _excerpt(buf: bytes, start: int, end: int) -> str:
    text = buf[start:end].decode("utf-8", "replace")
    return repr(text if len(text) <= 40 else text[:37] + "...")


class _Reader:
    """Streams a file through a scanner kernel, handing each chunk's columns to a callback."""

    def __init__(self, path: Path, schema: _Schema, idk_token: str):
        self.path, self.schema = path, schema
        self.token = np.frombuffer(idk_token.encode("utf-8"), np.uint8).copy()
        self.kinds = np.asarray(schema.kinds, np.int64)

    def _raise(self, buf: bytes, err: np.ndarray, base_line: int, n_fields: int | None):
        code, slot, line = int(err[0]), int(err[1]), base_line + int(err[2])
        where = f"{self.path}, line {line}: "
        field = self.schema.names[slot] if slot >= 0 else None
        text = _excerpt(buf, int(err[3]), int(err[4]))
        if code in (scan.ERR_INT, scan.ERR_NEGATIVE):
            message = f"`{field}` must be a non-negative integer; got {text}."
        elif code == scan.ERR_OVERFLOW:
            message = f"`{field}` must be an integer below 2**62; got {text}."
        elif code == scan.ERR_FLAG:
            message = f"`{field}` must be a boolean (true/false, 1/0, yes/no); got {text}."
        elif code == scan.ERR_FIELDS:
            message = f"the record must have {n_fields} fields (the header's); got {int(err[5])}."
        elif code == scan.ERR_QUOTE:
            message = f"malformed quoted field {text} (text after the closing quote, or a quote never closed)."
        elif code == scan.ERR_MISSING:
            message = f"`{field}` must be present in every record; got a record without it."
        elif code == scan.ERR_NESTED:
            message = f"`{field}` must be a string or a number; got a JSON object or array."
        else:
            message = f"not a flat JSON object (near {text})."
        raise FloorFileError(where + message)

    def run(self, handle, pending: bytes, base_line: int, splitter, on_chunk, n_fields=None):
        while True:
            data = handle.read(scan.CHUNK_BYTES)
            final = not data
            pending, base_line = self._chunk(pending + data, final, base_line, splitter, on_chunk, n_fields)
            if final:
                return

    def _chunk(self, buf_bytes, final, base_line, splitter, on_chunk, n_fields):
        """Split and convert one chunk (its arrays are freed on return); return (rest, next line)."""
        n_slots = len(self.schema.kinds)
        buf = np.frombuffer(buf_bytes, np.uint8)
        capacity = buf_bytes.count(b"\n") + 1
        starts = np.empty((n_slots, capacity), np.int64)
        ends = np.empty((n_slots, capacity), np.int64)
        span_kinds = np.empty((n_slots, capacity), np.uint8)
        lines = np.empty(capacity, np.int64)
        err = np.zeros(6, np.int64)
        consumed, records, newlines = splitter(buf, final, starts, ends, span_kinds, lines, err)
        if records:  # records before a structural error are valid: report their values first
            out = np.empty((n_slots, records), np.int64)
            value_err = np.zeros(6, np.int64)
            scan.convert(buf, self.kinds, self.token, starts, ends, span_kinds, records, out, value_err)
            if value_err[0]:
                value_err[2] = lines[value_err[2]]
                self._raise(buf_bytes, value_err, base_line, n_fields)
            del starts, ends, span_kinds
        if err[0]:
            self._raise(buf_bytes, err, base_line, n_fields)
        if records:
            on_chunk(out, lines[:records] + base_line)
        return buf_bytes[consumed:], base_line + newlines


class _Tally:
    """Merges per-chunk value tallies: memory proportional to the number of distinct values."""

    def __init__(self):
        self.values = np.zeros(0, np.int64)
        self.counts = np.zeros(0, np.int64)

    def add(self, values: np.ndarray, weights: np.ndarray | None = None):
        if weights is None:
            values, weights = np.unique(values, return_counts=True)
        merged, inverse = np.unique(np.concatenate((self.values, values)), return_inverse=True)
        counts = np.zeros(merged.size, np.int64)
        np.add.at(counts, inverse, np.concatenate((self.counts, weights.astype(np.int64))))
        self.values, self.counts = merged, counts


def _read_header(path: Path, handle, container: str):
    """(column names, bytes after the header, line number of the first record)."""
    first = b""
    while True:  # read until the header (CSV) or the first non-blank line (JSON) is complete
        data = handle.read(scan.CHUNK_BYTES)
        first += data
        body = first.lstrip(b" \t\r\n") if container == "JSON Lines" else first
        if not data or b"\n" in body:
            break
    if first.startswith(b"\xef\xbb\xbf"):
        first = first[3:]
    if not first.strip():
        raise FloorFileError(f"{path}: empty file.")
    try:
        if container == "JSON Lines":
            stripped = first.lstrip(b" \t\r\n")
            skipped_lines = first[: len(first) - len(stripped)].count(b"\n")
            head = stripped.split(b"\n", 1)[0]
            try:
                record = json.loads(head.decode("utf-8"))
            except json.JSONDecodeError as exc:
                raise FloorFileError(f"{path}, line {skipped_lines + 1}: not valid JSON ({exc.msg}).") from None
            if not isinstance(record, dict):
                raise FloorFileError(
                    f"{path}, line {skipped_lines + 1}: each line must be a JSON object; got a JSON "
                    f"{type(record).__name__}."
                )
            return list(record), first, 1
        newline = first.find(b"\n")
        header_bytes = first if newline < 0 else first[:newline]
        text = header_bytes.decode("utf-8").rstrip("\r")
    except UnicodeDecodeError:
        raise FloorFileError(f"{path}: not UTF-8 text.") from None
    delimiter = "\t" if container == "TSV" or ("\t" in text and "," not in text) else ","
    header = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    rest = b"" if newline < 0 else first[newline + 1 :]
    return header, rest, 2, delimiter


def read_floor_counts(path, *, format: str = "auto", idk_token: str = "IDK", check_keys: bool = False) -> FloorCounts:
    """Read a training set's counts from a file, streaming it in chunks.

    Parameters
    ----------
    path : str or Path
        A CSV, TSV or JSON Lines file (optionally ``.gz``), one of:

        * ``counts``: one row per fact (prompt) with a key column (``key``, ``prompt``, ``fact`` or
          ``id``), a count of answered examples (``count``, ``answered``, ...) and optionally a
          count of IDK examples (``idk``, ``idk_count``, ...);
        * ``table``: a frequency-of-frequencies table with columns ``r`` and ``n_r`` (a row
          ``r = 0`` counts prompts never answered);
        * ``pairs``: one training example per row with ``prompt`` and ``response`` columns; IDK
          examples have the response ``idk_token`` or a true boolean column ``idk``.
    format : {"auto", "counts", "table", "pairs"}
        ``"auto"`` detects the kind from the columns (``FloorCounts.detected`` says what it found).
    idk_token : str
        The response text that marks an IDK example in ``pairs`` files.
    check_keys : bool
        For ``counts`` files: check that no key appears twice (costs 16 bytes per row).

    Returns
    -------
    FloorCounts

    Raises
    ------
    FloorFileError
        A ``ValueError`` naming the file, the line and the field of the first problem.
    """
    check_choice("format", format, FORMATS)
    path = Path(path)
    try:
        handle = scan.open_binary(path)
        with handle:
            peek = handle.peek(64) if hasattr(handle, "peek") else b""
            container = _container(path, peek.lstrip(b"\xef\xbb\xbf"))
            header_info = _read_header(path, handle, container)
            header, pending, first_line = header_info[0], header_info[1], header_info[2]
            schema = _schema(path, header, format, idk_token, check_keys, container)
            reader = _Reader(path, schema, idk_token)
            if container == "JSON Lines":
                encoded = [name.encode("utf-8") for name in schema.names]
                names = np.frombuffer(b"".join(encoded), np.uint8).copy()
                name_starts = np.cumsum([0] + [len(e) for e in encoded]).astype(np.int64)

                def splitter(buf, final, starts, ends, span_kinds, lines, err):
                    return scan.scan_jsonl(buf, final, names, name_starts, starts, ends, span_kinds, lines, err)

                n_fields = None
            else:
                delimiter = header_info[3]
                n_fields = len(header)
                slot_of_field = np.full(n_fields, -1, np.int64)
                for slot, name in enumerate(schema.names):
                    slot_of_field[header.index(name)] = slot

                def splitter(buf, final, starts, ends, span_kinds, lines, err):
                    return scan.scan_csv(
                        buf, final, ord(delimiter), n_fields, slot_of_field, starts, ends, span_kinds, lines, err
                    )

            aggregate = _AGGREGATORS[schema.kind](path, schema)
            reader.run(handle, pending, first_line, splitter, aggregate.add, n_fields)
    except OSError as exc:
        raise FloorFileError(f"{path}: cannot be read ({exc.strerror or exc}).") from None
    return aggregate.finish(str(path), schema.detected)


class _CountsAggregate:
    def __init__(self, path, schema):
        self.path, self.schema = path, schema
        self.tally, self.rows, self.idk, self.empty = _Tally(), 0, 0, 0
        self.has_idk = len(schema.names) > 1 and schema.kinds[1] == scan.KIND_INT
        self.keys, self.key_lines = [], []

    def add(self, columns, lines):
        self.tally.add(columns[0])
        self.rows += columns.shape[1]
        if self.has_idk:
            self.idk += int(columns[1].sum())
            self.empty += int(np.count_nonzero((columns[0] == 0) & (columns[1] == 0)))
        else:
            self.empty += int(np.count_nonzero(columns[0] == 0))
        if self.schema.kinds[-1] == scan.KIND_HASH:
            self.keys.append(columns[-1].copy())
            self.key_lines.append(lines.copy())

    def finish(self, source, detected):
        if self.rows == 0:
            raise FloorFileError(f"{self.path}: no data rows.")
        if self.keys:
            keys, lines = np.concatenate(self.keys), np.concatenate(self.key_lines)
            order = np.lexsort((lines, keys))
            repeated = np.flatnonzero(keys[order][1:] == keys[order][:-1])
            if repeated.size:
                second = order[repeated + 1]
                first = order[repeated]
                at = int(np.argmin(lines[second]))
                key = self.schema.names[-1]
                raise FloorFileError(
                    f"{self.path}, line {int(lines[second[at]])}: `{key}` must be distinct on every row; "
                    f"got the key of line {int(lines[first[at]])} again."
                )
        values, counts = self.tally.values, self.tally.counts
        positive = values > 0
        answered = int(np.dot(values, counts))
        return FloorCounts(values[positive], counts[positive], answered + self.idk, self.idk,
                           self.rows, source, detected, self.empty)


class _TableAggregate:
    def __init__(self, path, schema):
        self.path, self.schema = path, schema
        self.r, self.n_r, self.lines = [], [], []

    def add(self, columns, lines):
        self.r.append(columns[0].copy())
        self.n_r.append(columns[1].copy())
        self.lines.append(lines.copy())

    def finish(self, source, detected):
        if not self.r:
            raise FloorFileError(f"{self.path}: no data rows.")
        r, n_r, lines = (np.concatenate(parts) for parts in (self.r, self.n_r, self.lines))
        order = np.argsort(r, kind="stable")
        repeated = np.flatnonzero(r[order][1:] == r[order][:-1])
        if repeated.size:
            row = order[repeated[0] + 1]
            raise FloorFileError(
                f"{self.path}, line {int(lines[row])}: `{self.schema.names[0]}` must be distinct on every "
                f"row; got {int(r[row])} again (first on line {int(lines[order[repeated[0]]])})."
            )
        r, n_r = r[order], n_r[order]
        keep = (r > 0) & (n_r > 0)
        unseen = int(n_r[r == 0].sum())
        answered = int(np.dot(r[keep], n_r[keep]))
        if answered == 0:
            raise FloorFileError(f"{self.path}: the table has no answered examples (every row has r = 0 or n_r = 0).")
        return FloorCounts(r[keep], n_r[keep], answered, 0, int(n_r[keep].sum()) + unseen, source, detected, unseen)


class _PairsAggregate:
    def __init__(self, path, schema):
        self.path = path
        self.answered, self.prompts = [], []
        self.rows = self.idk = 0
        self.is_token = schema.kinds[1] == scan.KIND_TOKEN

    def add(self, columns, lines):
        hashes, idk = columns[0], columns[1] != 0
        self.rows += hashes.size
        self.idk += int(idk.sum())
        self.answered.append(np.unique(hashes[~idk], return_counts=True))
        self.prompts.append(np.unique(hashes))

    def finish(self, source, detected):
        if self.rows == 0:
            raise FloorFileError(f"{self.path}: no data rows.")
        n_prompts = np.unique(np.concatenate(self.prompts)).size
        keys = np.concatenate([k for k, _ in self.answered])
        weights = np.concatenate([w for _, w in self.answered])
        tally = _Tally()
        if keys.size:
            unique_keys, inverse = np.unique(keys, return_inverse=True)
            per_prompt = np.bincount(inverse, weights=weights, minlength=unique_keys.size).astype(np.int64)
            tally.add(per_prompt)
        return FloorCounts(tally.values, tally.counts, self.rows, self.idk, int(n_prompts), source, detected)


_AGGREGATORS = {"counts": _CountsAggregate, "table": _TableAggregate, "pairs": _PairsAggregate}
