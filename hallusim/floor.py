"""The hallucination floor of a training set, from its counts alone (``hallusim floor``).

Theorem 2 of Kalai et al. (2025) says that on arbitrary facts (Definition 1) a calibrated model
(δ = 0) trained on ``N`` examples errs with probability at least
``sr − 2/min_c |E_c| − 6 ln(3N/γ)/√N``, where ``sr`` is the singleton rate (Definition 2), and
that the calibrated learner of Appendix B errs at most ``sr − sr/(L + 1) + 5 sqrt(ln(5/γ)/N)``.
Both only need counts: how many answered examples each prompt has, and how many IDK examples
there are. This module reads them from a file (per-fact counts, a frequency-of-frequencies table
or raw (prompt, response) pairs), estimates the missing mass (Good–Turing, Simple Good–Turing)
with its confidence interval (Corollary 3, Lemma 1), and evaluates both bounds.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hallusim import bounds
from hallusim import _floor_scan as scan
from hallusim._validation import check_choice, check_gamma, check_int, fail
from hallusim.goodturing import (
    MissingMassInterval,
    SimpleGoodTuringResult,
    _as_table,
    missing_mass_interval,
    simple_good_turing,
)

__all__ = [
    "FORMATS",
    "FloorFileError",
    "FloorCounts",
    "FloorReport",
    "read_floor_counts",
    "floor_report",
    "floor_from_file",
]

FORMATS = ("auto", "counts", "table", "pairs")
DEFAULT_MIN_ERRORS = 364  # birthdays: |R_c| = 365, |E_c| = 364

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


# ----------------------------------------------------------------------------------------------
# The report
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FloorReport:
    """What Theorem 2 says about a training set (see :func:`floor_report`).

    Attributes
    ----------
    counts : FloorCounts
        The statistics the report is computed from.
    singleton_rate : float
        ``sr = |S| / N`` (Definition 2).
    missing_mass : MissingMassInterval
        Good–Turing estimate ``sr`` of ``MM`` with the Lemma 1 interval (valid with IDK examples).
    good_turing : MissingMassInterval or None
        The same estimate with the tighter Corollary 3 interval, when there are no IDK examples.
    sgt : SimpleGoodTuringResult or None
        Simple Good–Turing fit of the answered counts (None with fewer than two distinct counts).
        Its ``p0`` is Gale & Sampson's ``n_1 / N_answered``, so ``p0·N_answered/N = sr``: SGT smooths
        the probabilities of seen prompts, not the missing mass.
    min_errors, max_errors : int
        ``min_c |E_c|`` and ``L = max_c |E_c|`` assumed for every prompt.
    gamma : float
        Each bound holds with probability at least ``1 − gamma``.
    lower_bound : float
        Theorem 2's lower bound on ``err`` of a calibrated model (δ = 0), may be negative.
    lower_slack : float
        ``2/min_c |E_c| + 6 ln(3N/γ)/√N``; the bound is vacuous when it is at least ``sr``.
    upper_bound : float
        Theorem 2's upper bound on ``err`` of the calibrated learner of Appendix B.
    n_informative : float or None
        The ``N`` at which the lower bound's slack would fall below the present ``sr`` (None if it
        never does, i.e. ``sr <= 2/min_c |E_c|``).
    reading : str
        One sentence saying what the numbers mean.
    """

    counts: FloorCounts
    singleton_rate: float
    missing_mass: MissingMassInterval
    good_turing: MissingMassInterval | None
    sgt: SimpleGoodTuringResult | None
    min_errors: int
    max_errors: int
    gamma: float
    lower_bound: float
    lower_slack: float
    upper_bound: float
    n_informative: float | None
    reading: str

    @property
    def vacuous(self) -> bool:
        """Whether the lower bound's slack is at least ``sr`` (no information at this ``N``)."""
        return self.lower_slack >= self.singleton_rate

    def to_dict(self) -> dict:
        """A JSON-ready dictionary of every figure in the report."""
        c = self.counts

        def interval(iv):
            if iv is None:
                return None
            return {"estimate": iv.estimate, "low": iv.low, "high": iv.high, "half_width": iv.half_width,
                    "gamma": iv.gamma, "bound": iv.bound}

        sgt = None
        if self.sgt is not None:
            s = self.sgt
            sgt = {"p0": s.p0, "missing_mass": s.p0 * c.n_answered / c.n_examples, "intercept": s.intercept,
                   "slope": s.slope, "slope_valid": s.slope_valid, "switch_r": s.switch_r,
                   "confidence": s.confidence}
        return {
            "source": c.source, "detected": c.detected, "n_examples": c.n_examples, "n_answered": c.n_answered,
            "n_idk": c.n_idk, "n_prompts": c.n_prompts, "n_prompts_without_examples": c.n_prompts_without_examples,
            "n_singletons": c.n_singletons,
            "singleton_rate": self.singleton_rate, "missing_mass": interval(self.missing_mass),
            "good_turing": interval(self.good_turing), "simple_good_turing": sgt,
            "min_errors": self.min_errors, "max_errors": self.max_errors, "gamma": self.gamma,
            "theorem2_lower": {"value": self.lower_bound, "slack": self.lower_slack, "delta": 0.0,
                               "gamma": self.gamma, "vacuous": self.vacuous, "n_informative": self.n_informative},
            "theorem2_upper": {"value": self.upper_bound, "gamma": self.gamma},
            "reading": self.reading,
        }

    def format_text(self) -> str:
        """The report as aligned ``label: value`` lines."""
        c, conf = self.counts, f"{1 - self.gamma:.4g}"
        lines = []
        if c.source:
            lines.append(f"file:                 {c.source}")
        lines += [
            f"read as:              {c.detected}",
            f"examples N:           {c.n_examples:,} ({c.n_answered:,} answered, {c.n_idk:,} IDK)",
            f"distinct prompts:     {c.n_prompts:,}"
            + (f" ({c.n_prompts_without_examples:,} listed without any example)" if c.n_prompts_without_examples else ""),
            f"singletons |S|:       {c.n_singletons:,}",
            f"singleton rate sr:    {self.singleton_rate:.6g}",
        ]
        mm = self.missing_mass
        lines.append(f"missing mass (GT):    {mm.estimate:.6g}  in [{mm.low:.4g}, {mm.high:.4g}] w.p. >= {conf} (Lemma 1)")
        if self.good_turing is not None:
            g = self.good_turing
            lines.append(f"                      in [{g.low:.4g}, {g.high:.4g}] w.p. >= {conf} (Corollary 3, no IDK examples)")
        if self.sgt is None:
            lines.append("missing mass (SGT):   not available (fewer than two distinct counts)")
        else:
            s = self.sgt
            validity = "" if s.slope_valid else "; slope not below -1: SGT not valid here"
            lines.append(
                f"missing mass (SGT):   {s.p0 * c.n_answered / c.n_examples:.6g}  (Gale & Sampson's P0 = n_1/N, "
                f"same interval); log-log slope {s.slope:.4g}, switch at r = {s.switch_r}{validity}"
            )
        lines += [
            f"min_c |E_c|:          {self.min_errors} (L = max_c |E_c| = {self.max_errors})",
            f"Theorem 2 lower:      err >= {self.lower_bound:.6g} for a calibrated model (delta = 0), w.p. >= {conf}"
            f"  [slack {self.lower_slack:.4g}{', vacuous at this N' if self.vacuous else ''}]",
            f"Theorem 2 upper:      err <= {self.upper_bound:.6g} for the calibrated learner, w.p. >= {conf}"
            + ("  [vacuous: above 1]" if self.upper_bound >= 1 else ""),
            f"reading:              {self.reading}",
        ]
        return "\n".join(lines)


def _slack(n, min_errors, gamma):
    return 2.0 / min_errors + 6.0 * math.log(3.0 * n / gamma) / math.sqrt(n)


def _n_informative(sr, min_errors, gamma):
    """Smallest N (real) with slack(N) < sr, by bisection on log N; None if never."""
    if sr <= 2.0 / min_errors:
        return None
    lo, hi = 0.0, 200.0  # log N; slack decreases in N once 3N/γ > e^2
    if _slack(math.exp(hi), min_errors, gamma) >= sr:
        return None
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if _slack(math.exp(mid), min_errors, gamma) < sr:
            hi = mid
        else:
            lo = mid
    return math.exp(hi)


def _reading(n, sr, lower, slack, upper, gamma, n_needed, mm: MissingMassInterval):
    level = f"{100 * (1 - gamma):.4g}%"
    if slack < sr:
        upper_text = f", and the calibrated learner of Appendix B at most {upper:.2%}" if upper < 1 else ""
        return (f"With probability at least {level}, every calibrated model (delta = 0) trained on these {n:,} "
                f"examples generates an erroneous answer with probability at least {lower:.2%} on a prompt "
                f"drawn like them (Theorem 2){upper_text}.")
    if n_needed is None:
        future = f"; it stays vacuous at every N because sr <= 2/min_c |E_c|"
    else:
        future = f"; at this singleton rate it would need about N >= {n_needed:.2g} examples"
    return (f"The Theorem 2 lower bound is vacuous at this N (its slack {slack:.3g} exceeds sr = {sr:.3g}){future}; "
            f"the missing mass, which a calibrated model's error approaches for large N, is estimated at "
            f"{mm.estimate:.2%} (in [{mm.low:.2%}, {mm.high:.2%}] with probability at least {level}).")


def floor_report(counts, *, n_examples=None, n_prompts=None, min_errors: int = DEFAULT_MIN_ERRORS,
                 max_errors: int | None = None, gamma: float = 0.01, confidence: float = 1.96) -> FloorReport:
    """Theorem 2's floor for a training set given by its counts.

    Parameters
    ----------
    counts : FloorCounts, array_like of int, or tuple (r, n_r)
        Answered examples per prompt (or their frequency of frequencies), or a :class:`FloorCounts`
        from :func:`read_floor_counts`.
    n_examples : int, optional
        ``N`` including IDK examples (arrays only; default: the answered examples).
    n_prompts : int, optional
        Distinct prompts (arrays only; default: the prompts with a positive count).
    min_errors : int
        ``min_c |E_c|`` (default 364, birthdays).
    max_errors : int, optional
        ``L = max_c |E_c|`` for the upper bound (default ``min_errors``: every prompt alike).
    gamma : float in (0, 1]
        Failure probability of each bound and interval (default 0.01).
    confidence : float
        Simple Good–Turing's switch multiplier (default 1.96).

    Returns
    -------
    FloorReport
    """
    min_errors = check_int("min_errors", min_errors, minimum=1)
    max_errors = min_errors if max_errors is None else check_int("max_errors", max_errors, minimum=min_errors)
    gamma = check_gamma("gamma", gamma)
    if not isinstance(counts, FloorCounts):
        r, n_r = _as_table(counts)
        answered = int(np.dot(r, n_r)) if r.size else 0
        n = answered if n_examples is None else check_int("n_examples", n_examples, minimum=answered)
        if n < 1:
            fail("counts", "counts of at least one example", "<no examples>")
        seen = int(n_r.sum())
        prompts = seen if n_prompts is None else check_int("n_prompts", n_prompts, minimum=seen)
        counts = FloorCounts(r, n_r, n, n - answered, prompts, None, "counts given as arrays")
    n = counts.n_examples
    table = (counts.r, counts.n_r)
    sr = counts.n_singletons / n
    mm = missing_mass_interval(table, n_examples=n, gamma=gamma, bound="lemma1")
    gt = missing_mass_interval(table, n_examples=n, gamma=gamma, bound="corollary3") if counts.n_idk == 0 else None
    sgt = None
    if counts.r.size >= 2:
        sgt = simple_good_turing(counts.r, counts.n_r, confidence, on_invalid_slope="ignore")
    lower = bounds.theorem2_lower(sr, min_errors, n, delta=0.0, gamma=gamma)
    upper = bounds.theorem2_upper(sr, max_errors, n, gamma=gamma)
    slack = sr - lower
    n_needed = _n_informative(sr, min_errors, gamma)
    return FloorReport(
        counts=counts, singleton_rate=sr, missing_mass=mm, good_turing=gt, sgt=sgt,
        min_errors=min_errors, max_errors=max_errors, gamma=gamma, lower_bound=lower, lower_slack=slack,
        upper_bound=upper, n_informative=n_needed,
        reading=_reading(n, sr, lower, slack, upper, gamma, n_needed, mm),
    )


def floor_from_file(path, *, format: str = "auto", idk_token: str = "IDK", check_keys: bool = False,
                    min_errors: int = DEFAULT_MIN_ERRORS, max_errors: int | None = None, gamma: float = 0.01,
                    confidence: float = 1.96) -> FloorReport:
    """:func:`read_floor_counts` then :func:`floor_report` (what ``hallusim floor FILE`` prints).

    Parameters
    ----------
    path, format, idk_token, check_keys
        As in :func:`read_floor_counts`.
    min_errors, max_errors, gamma, confidence
        As in :func:`floor_report`.

    Returns
    -------
    FloorReport
    """
    counts = read_floor_counts(path, format=format, idk_token=idk_token, check_keys=check_keys)
    return floor_report(counts, min_errors=min_errors, max_errors=max_errors, gamma=gamma, confidence=confidence)
