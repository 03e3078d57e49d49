"""Reading count files for :mod:`hallusim.floor`: format detection, columns, streaming.

The byte-level work is done by the Numba kernels of :mod:`hallusim.floor._kernels`; this module
reads the header, picks the columns and feeds chunks through the kernels to the aggregates of
:mod:`hallusim.floor._counts`, which merge them into running sorted tallies: memory proportional
to the number of distinct counts for aggregated input, to the number of distinct prompts for raw
pairs, plus about 20 bytes per row while the keys of a counts file are checked to be distinct
(the default).
"""

from __future__ import annotations

import csv
import io
import json
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hallusim._inputs import (
    check_unique_names,
    json_string_bytes,
    line_chunks,
    open_input,
)
from hallusim._validation import check_choice
from hallusim.floor import _kernels as kernels
from hallusim.floor._columnar import columnar_kind, read_columnar_counts
from hallusim.floor._counts import AGGREGATORS, FloorCounts, FloorFileError

__all__ = ["FORMATS", "read_floor_counts"]

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
_WEIGHT_NAMES = ("count", "weight")


# ----------------------------------------------------------------------------------------------
# Columns
# ----------------------------------------------------------------------------------------------


@dataclass
class _Slot:
    """One output row of the scanners: a file column (CSV) or a set of field names (JSON)."""

    label: str  # the name shown in messages
    names: tuple  # the column (CSV: one) or the accepted field names (JSON)
    kind: int  # kernels.KIND_*
    optional: bool = False  # JSON only: absent fields give -1


@dataclass
class _Schema:
    kind: str
    slots: list
    roles: dict  # role ("count", "idk", "key", "prompt", "response", "flag", "weight", "r", "n_r") -> slot index
    how: str  # "detected" or "as requested"
    idk_token: str
    key_column: str | None = None  # counts files: the key column (checked or not)
    ignored: list = field(default_factory=list)

    def slot(self, role):
        return self.roles.get(role)


def _pick(columns: dict, names) -> str | None:
    for name in names:
        if name in columns:
            return columns[name]
    return None


_ACCEPTED_NAMES = frozenset(_COUNT_NAMES + _KEY_NAMES + _IDK_COUNT_NAMES + _R_NAMES + _NR_NAMES + _PROMPT_NAMES
                            + _RESPONSE_NAMES + _IDK_FLAG_NAMES + _WEIGHT_NAMES)


def _schema(path, header: list[str], fmt: str, idk_token: str, check_keys: bool, is_json: bool) -> _Schema:
    # a repeated column the reader may use would silently lose one of them (JSON records: the kernel
    # refuses a repeated field)
    check_unique_names([name for name in header if name.strip().lower() in _ACCEPTED_NAMES],
                       where=f"{path}, line 1", normalize=lambda s: s.strip().lower(), error=FloorFileError)
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

    slots, roles, used = [], {}, set()

    def add(role, column, kind):
        roles[role] = len(slots)
        slots.append(_Slot(column, (column,), kind))
        used.add(column)

    def add_optional(role, column, names, kind):
        """A column that CSV has in its header or not; JSON records may each have it or not."""
        if is_json:  # the first record's spelling (JSON names are case-sensitive), then every accepted name
            roles[role] = len(slots)
            spellings = tuple(dict.fromkeys(([column] if column else []) + list(names)))
            slots.append(_Slot(column or names[0], spellings, kind, optional=True))
            used.update(name for name in header if name.strip().lower() in names)
        elif column is not None:
            add(role, column, kind)

    if fmt == "table":
        add("r", need(r_col, _R_NAMES, "table"), kernels.KIND_INT)
        add("n_r", need(nr_col, _NR_NAMES, "table"), kernels.KIND_INT)
    elif fmt == "pairs":
        add("prompt", need(prompt_col, _PROMPT_NAMES, "pairs"), kernels.KIND_HASH)
        response_col = need(response_col, _RESPONSE_NAMES, "pairs")
        flag_col = _pick(columns, _IDK_FLAG_NAMES)
        if is_json or flag_col is None:  # JSON records without a flag fall back to the token
            add("response", response_col, kernels.KIND_TOKEN)
        else:
            used.add(response_col)  # a CSV flag column marks IDK on every row; responses not needed
        add_optional("flag", flag_col, _IDK_FLAG_NAMES, kernels.KIND_FLAG)
        add_optional("weight", _pick(columns, _WEIGHT_NAMES), _WEIGHT_NAMES, kernels.KIND_INT)
    else:
        add("count", need(count_col, _COUNT_NAMES, "per-fact counts"), kernels.KIND_INT)
        key_col = need(key_col, _KEY_NAMES, "per-fact counts")
        add_optional("idk", _pick(columns, _IDK_COUNT_NAMES), _IDK_COUNT_NAMES, kernels.KIND_INT)
        if check_keys:
            add("key", key_col, kernels.KIND_HASH)
        used.add(key_col)
    ignored = [name for name in header if name not in used]
    return _Schema(fmt, slots, roles, how, idk_token, key_col if fmt == "counts" else None, ignored)


def _container(suffixes: list, first: bytes) -> str:
    """``"JSON Lines"``, ``"TSV"`` (a .tsv name) or ``"delimited"`` (CSV or TSV, told by the header).

    ``suffixes``: the file name's lower-case suffixes without ``.gz`` (none for stdin).
    """
    last = suffixes[-1] if suffixes else ""
    if last in (".jsonl", ".ndjson", ".json"):
        return "JSON Lines"
    if last == ".tsv":
        return "TSV"
    if last == ".csv":
        return "delimited"
    return "JSON Lines" if first.lstrip().startswith(b"{") else "delimited"


def _excerpt(buf: bytes, start: int, end: int) -> str:
    text = buf[start:end].decode("utf-8", "replace")
    return repr(text if len(text) <= 40 else text[:37] + "...")


_JSON_KEY_BEFORE = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:\s*"?$')


# ----------------------------------------------------------------------------------------------
# Streaming
# ----------------------------------------------------------------------------------------------


class _Reader:
    """Streams a file through a scanner kernel, handing each chunk's columns to an aggregate."""

    def __init__(self, path: Path, schema: _Schema, idk_token: str, is_json: bool):
        self.path, self.schema, self.is_json = path, schema, is_json
        self.token = np.frombuffer(idk_token.encode("utf-8"), np.uint8).copy()
        self.kinds = np.asarray([slot.kind for slot in schema.slots], np.int64)

    def _field(self, buf: bytes, slot: int, start: int) -> str:
        """The field's name; for JSON fields with several accepted names, the one the record used."""
        entry = self.schema.slots[slot]
        if self.is_json and len(entry.names) > 1:
            match = _JSON_KEY_BEFORE.search(buf[max(0, start - 300) : start].decode("utf-8", "replace"))
            if match:
                return match.group(1)
        return entry.label

    def _message(self, buf: bytes, err: np.ndarray, line: int, n_fields: int | None) -> str:
        code, slot = int(err[0]), int(err[1])
        where = f"{self.path}, line {line}: "
        start, end = int(err[3]), int(err[4])
        field_name = self._field(buf, slot, start) if slot >= 0 else None
        text = _excerpt(buf, start, end)
        if code in (kernels.ERR_INT, kernels.ERR_NEGATIVE):
            message = f"`{field_name}` must be a non-negative integer; got {text}."
        elif code == kernels.ERR_OVERFLOW:
            message = f"`{field_name}` must be an integer below 2**62; got {text}."
        elif code == kernels.ERR_FLAG:
            message = f"`{field_name}` must be a boolean (true/false, 1/0, yes/no); got {text}."
        elif code == kernels.ERR_FIELDS:
            message = f"the record must have {n_fields} fields (the header's); got {int(err[5])}."
        elif code == kernels.ERR_QUOTE:
            message = f"malformed quoted field {text} (text after the closing quote, or a quote never closed)."
        elif code == kernels.ERR_MISSING:
            message = f"`{field_name}` must be present in every record; got a record without it."
        elif code == kernels.ERR_NESTED:
            message = f"`{field_name}` must be a string or a number; got a JSON object or array."
        elif code == kernels.ERR_DUPLICATE:
            names = self.schema.slots[slot].names
            message = (f"the record must have one field for `{self.schema.slots[slot].label}` (accepted names: "
                       f"{', '.join(names)}); got a second one, {text}.")
        else:
            message = f"not a flat JSON object (near {text})."
        return where + message

    def run(self, chunks, pending: bytes, base_line: int, splitter, aggregate, n_fields=None):
        """Scan ``pending`` and then each chunk (pieces ending at line breaks), then the end."""
        for data in chunks:
            pending, base_line = self._chunk(pending + data, False, base_line, splitter, aggregate, n_fields)
        self._chunk(pending, True, base_line, splitter, aggregate, n_fields)

    def _rehash_escaped(self, buf, starts, ends, span_kinds, records, out) -> None:
        """Hash JSON strings with escapes by their decoded text ("\\u00e9" and "é" are one key)."""
        backslashes = np.concatenate(([0], np.cumsum(buf == 92)))
        for slot in np.flatnonzero(self.kinds == kernels.KIND_HASH):
            s, e = starts[slot, :records], ends[slot, :records]
            escaped = (span_kinds[slot, :records] == kernels.SPAN_JSON_STRING) & (backslashes[e] > backslashes[s])
            for k in np.flatnonzero(escaped):  # rare: most keys have no escapes
                text = json_string_bytes(buf[s[k] : e[k]].tobytes())
                out[slot, k] = kernels.hash_bytes(np.frombuffer(text, np.uint8))

    def _chunk(self, buf_bytes, final, base_line, splitter, aggregate, n_fields):
        """Split and convert one chunk (its arrays are freed on return); return (rest, next line).

        On a bad record, the records before it are aggregated first, so that a file-level problem
        on an earlier line (a repeated key) is reported instead: the message is always about the
        first bad line.
        """
        n_slots = len(self.schema.slots)
        buf = np.frombuffer(buf_bytes, np.uint8)
        capacity = buf_bytes.count(b"\n") + 1
        starts = np.empty((n_slots, capacity), np.int64)
        ends = np.empty((n_slots, capacity), np.int64)
        span_kinds = np.empty((n_slots, capacity), np.uint8)
        lines = np.empty(capacity, np.int64)
        err = np.zeros(6, np.int64)
        consumed, records, newlines = splitter(buf, final, starts, ends, span_kinds, lines, err)
        problem = None
        if err[0]:  # a structural error after `records` good records
            problem = self._message(buf_bytes, err, base_line + int(err[2]), n_fields)
        valid = records
        if records:
            out = np.empty((n_slots, records), np.int64)
            value_err = np.zeros(6, np.int64)
            kernels.convert(buf, self.kinds, self.token, starts, ends, span_kinds, records, out, value_err)
            if self.is_json:
                self._rehash_escaped(buf, starts, ends, span_kinds, records, out)
            del starts, ends, span_kinds
            if value_err[0]:
                valid = int(value_err[2])
                problem = self._message(buf_bytes, value_err, base_line + int(lines[valid]), n_fields)
            if valid:
                aggregate.add(out[:, :valid], lines[:valid] + base_line)
        if problem is not None:
            aggregate.check()
            raise FloorFileError(problem)
        return buf_bytes[consumed:], base_line + newlines


def _read_header(path, chunks, suffixes: list):
    """(column names, bytes after the header, first record's line, delimiter, container).

    ``chunks`` yields pieces of the file that end at line breaks (:func:`hallusim._inputs.line_chunks`);
    the container (see :func:`_container`) is told by ``suffixes`` or the first bytes.
    """
    first = b""
    for data in chunks:  # until the first non-blank line is complete (the header of a CSV file)
        first += data
        if b"\n" in first.lstrip(b" \t\r\n"):
            break
    if first.startswith(b"\xef\xbb\xbf"):
        first = first[3:]
    container = _container(suffixes, first)
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
            return list(record), first, 1, None, container
        newline = first.find(b"\n")
        header_bytes = first if newline < 0 else first[:newline]
        text = header_bytes.decode("utf-8").rstrip("\r")
    except UnicodeDecodeError:
        raise FloorFileError(f"{path}: not UTF-8 text.") from None
    delimiter = "\t" if container == "TSV" or ("\t" in text and "," not in text) else ","
    header = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    rest = b"" if newline < 0 else first[newline + 1 :]
    return header, rest, 2, delimiter, container


def read_floor_counts(path, *, format: str = "auto", idk_token: str = "IDK", check_keys: bool = True) -> FloorCounts:
    """Read a training set's counts from a file, streaming it in chunks.

    Parameters
    ----------
    path : str or Path
        A CSV, TSV or JSON Lines file, or ``"-"`` for standard input (gzip-compressed or not: told
        by its first bytes, read once, so pipes and FIFOs work; lines longer than
        :data:`hallusim._inputs.MAX_LINE_BYTES`, 64 MiB, are refused), one of:

        * ``counts``: one row per fact (prompt) with a key column (``key``, ``prompt``, ``fact`` or
          ``id``), a count of answered examples (``count``, ``answered``, ...) and optionally a
          count of IDK examples (``idk``, ``idk_count``, ...). Without that column the IDK
          examples are *not given* (``n_idk`` is None). In JSON Lines every record is searched
          for an IDK field; a record without one counts 0 IDK examples;
        * ``table``: a frequency-of-frequencies table with columns ``r`` and ``n_r`` (a row
          ``r = 0`` counts prompts never answered); IDK examples are not given;
        * ``pairs``: one training example per row with ``prompt`` and ``response`` columns; IDK
          examples have a true boolean column ``idk`` (or ``is_idk``) or, without one (in JSON
          Lines: in records without one), the response ``idk_token``. A ``count`` (or
          ``weight``) column makes a row stand for that many examples (rows of weight 0 are
          skipped; a JSON record without it weighs 1).

        Columns not used are listed in ``FloorCounts.detected``.
    format : {"auto", "counts", "table", "pairs"}
        ``"auto"`` detects the kind from the columns (``FloorCounts.detected`` says what it found).
    idk_token : str
        The response text that marks an IDK example in ``pairs`` files.
    check_keys : bool
        For ``counts`` files: check that no key appears twice (default; costs about 20 bytes of memory
        per row: a 64-bit hash and a line offset kept while reading, and a sorted copy of the hashes).
        A repeated key would count one prompt as several and change the singleton count. Keys
        are compared by 64-bit hash (a false alarm has probability about ``rows² / 2^65``).

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
    columnar = _columnar_kind(path)
    if columnar is not None:  # Parquet / Arrow IPC: the same column rules, read in record batches
        return read_columnar_counts(path, columnar, lambda names: _schema(path, names, format, idk_token, check_keys,
                                                                          False), idk_token=idk_token)
    name = str(path)
    compressed = False
    try:
        with open_input(path, error=FloorFileError) as source:
            compressed, name = source.compressed, source.name
            chunks = line_chunks(source.stream, name, error=FloorFileError, chunk_bytes=kernels.CHUNK_BYTES)
            header, pending, first_line, delimiter, container = _read_header(name, chunks, source.suffixes)
            is_json = container == "JSON Lines"
            if not is_json:
                container = "TSV" if delimiter == "\t" else "CSV"
            schema = _schema(name, header, format, idk_token, check_keys, is_json)
            reader = _Reader(name, schema, idk_token, is_json)
            if is_json:
                encoded, name_slots = [], []
                for slot_index, slot in enumerate(schema.slots):
                    for field_name in slot.names:
                        encoded.append(field_name.encode("utf-8"))
                        name_slots.append(slot_index)
                names = np.frombuffer(b"".join(encoded), np.uint8).copy()
                name_starts = np.cumsum([0] + [len(e) for e in encoded]).astype(np.int64)
                name_slots = np.asarray(name_slots, np.int64)
                optional = np.asarray([slot.optional for slot in schema.slots], np.bool_)

                def splitter(buf, final, starts, ends, span_kinds, lines, err):
                    return kernels.scan_jsonl(buf, final, names, name_starts, name_slots, optional, starts, ends,
                                           span_kinds, lines, err)

                n_fields = None
            else:
                n_fields = len(header)
                slot_of_field = np.full(n_fields, -1, np.int64)
                for slot_index, slot in enumerate(schema.slots):
                    slot_of_field[header.index(slot.names[0])] = slot_index

                def splitter(buf, final, starts, ends, span_kinds, lines, err):
                    return kernels.scan_csv(
                        buf, final, ord(delimiter), n_fields, slot_of_field, starts, ends, span_kinds, lines, err
                    )

            aggregate = AGGREGATORS[schema.kind](name, schema)
            reader.run(chunks, pending, first_line, splitter, aggregate, n_fields)
    except (OSError, EOFError, zlib.error) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        what = "damaged gzip data" if compressed else "cannot be read"
        raise FloorFileError(f"{name}: {what} ({reason}).") from None
    return aggregate.finish(name, ("gzip-compressed " if compressed else "") + container)


def _columnar_kind(path: Path) -> str | None:
    """``"Parquet"`` or ``"Arrow IPC"`` by the file's magic bytes, else None (also if unreadable).

    Only a regular file is probed: a pipe, FIFO or standard input must be read once, by one reader.
    """
    if not path.is_file():
        return None
    try:
        with open(path, "rb") as probe:
            return columnar_kind(probe.read(8))
    except OSError:
        return None
