"""Columnar input for :mod:`hallusim.floor`: Parquet and Arrow IPC (Feather v2) files, via pyarrow.

The columns are chosen as for text files (:func:`hallusim.floor._read._schema`: ``key``/``count``,
``r``/``n_r``, ``prompt``/``response``), and the file is read one record batch at a time
(Parquet: one row group's batches; Arrow IPC: one batch), each batch converted to the int64
columns the aggregates of :mod:`hallusim.floor._counts` take: integers as they are, text keys as
64-bit FNV-1a hashes of their UTF-8 bytes (a Numba kernel over the Arrow buffers), integer keys
as themselves. Memory is bounded by one batch plus the running tallies (distinct counts, or
distinct prompts for pairs). pyarrow is an optional dependency (the ``columnar`` extra).
"""

from __future__ import annotations

import itertools
import queue
import threading
from pathlib import Path

import numpy as np

from hallusim._jit import jit
from hallusim.floor import _kernels as kernels
from hallusim.floor._counts import AGGREGATORS, FloorCounts, FloorFileError

__all__ = ["columnar_kind", "read_columnar_counts"]

_BATCH_ROWS = 1 << 20
_MAX_COUNT = 1 << 62


def columnar_kind(first: bytes) -> str | None:
    """``"Parquet"``, ``"Arrow IPC"`` or None, from a file's first bytes."""
    if first.startswith(b"PAR1"):
        return "Parquet"
    if first.startswith(b"ARROW1") or first.startswith(b"\xff\xff\xff\xff"):
        return "Arrow IPC"
    return None


@jit
def _hash_strings(offsets, data, out):
    for i in range(out.size):
        out[i] = np.int64(kernels._fnv1a(data, offsets[i], offsets[i + 1], False))


_EMPTY_CAPACITY = 1 << 16


@jit
def _hash_insert(table, keys, counts):
    """Add ``counts`` at ``keys`` into an open-addressing table (linear probing); return new entries.

    Row ``s`` of ``table`` is a slot: its key and 1 + its total, 0 for an empty slot (a total may
    be 0: a prompt with IDK examples only), so one probe reads one cache line.
    """
    mask = np.uint64(table.shape[0] - 1)
    added = 0
    for i in range(keys.size):
        key = keys[i]
        h = np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)
        slot = np.int64((h ^ (h >> np.uint64(29))) & mask)
        while table[slot, 1] != 0 and table[slot, 0] != key:
            slot = np.int64((np.uint64(slot) + np.uint64(1)) & mask)
        if table[slot, 1] == 0:
            table[slot, 0] = key
            table[slot, 1] = 1
            added += 1
        table[slot, 1] += counts[i]
    return added


class _HashTally:
    """Per-prompt totals in an open-addressing hash table (at most half full; 16 bytes a slot).

    For columnar pairs: one pass per batch, no sort, where :class:`hallusim.floor._counts._Tally`
    sorts each chunk and merges. ``keys`` and ``counts`` give the entries (in table order).
    """

    def __init__(self):
        self.table = np.zeros((_EMPTY_CAPACITY, 2), np.int64)
        self.size = 0

    def add(self, keys: np.ndarray, counts: np.ndarray):
        """Add ``counts`` to the totals of ``keys`` (int64 arrays of one size)."""
        if 2 * (self.size + keys.size) > self.table.shape[0]:
            need = 2 * (self.size + keys.size)
            capacity = self.table.shape[0]
            while capacity < need:
                capacity *= 2
            old_keys, old_counts = self.keys, self.counts
            self.table = np.zeros((capacity, 2), np.int64)
            _hash_insert(self.table, old_keys, old_counts)
        self.size += _hash_insert(self.table, keys, counts)

    @property
    def keys(self) -> np.ndarray:
        """The distinct keys."""
        return self.table[self.table[:, 1] != 0, 0]

    @property
    def counts(self) -> np.ndarray:
        """The total of each key (in the order of :attr:`keys`)."""
        return self.table[self.table[:, 1] != 0, 1] - 1


class _ColumnarPairs(AGGREGATORS["pairs"]):
    """The pairs aggregate with its prompts tallied in a hash table (one pass per record batch)."""

    def __init__(self, path, schema):
        super().__init__(path, schema)
        self.prompts = _HashTally()

    def _tally_prompts(self, hashes, answered):
        self.prompts.add(np.ascontiguousarray(hashes, np.int64), np.ascontiguousarray(answered, np.int64))


def _pyarrow():
    try:
        # deferred: pyarrow is optional (the `columnar` extra), needed only for these files
        import pyarrow as pa
        import pyarrow.compute as pc  # deferred: optional, as above
    except ModuleNotFoundError:
        raise FloorFileError("reading Parquet or Arrow IPC files needs pyarrow: pip install 'hallusim[columnar]'.") from None
    return pa, pc


def _batches(path: Path, kind: str, columns: list[str]):
    """Yield record batches of ``columns``; first the schema's column names."""
    pa, _ = _pyarrow()
    if kind == "Parquet":
        # deferred: pyarrow is optional
        import pyarrow.parquet as pq

        reader = pq.ParquetFile(path)
        yield reader.schema_arrow.names
        yield from reader.iter_batches(batch_size=_BATCH_ROWS, columns=columns or None)
        return
    source = pa.memory_map(str(path), "r")
    try:
        reader = pa.ipc.open_file(source)
        yield reader.schema.names
        for i in range(reader.num_record_batches):
            yield reader.get_batch(i).select(columns) if columns else reader.get_batch(i)
    except pa.ArrowInvalid:
        reader = pa.ipc.open_stream(pa.memory_map(str(path), "r"))
        yield reader.schema.names
        for batch in reader:
            yield batch.select(columns) if columns else batch


_PREFETCH = 2  # record batches decoded ahead of the one being tallied


def _prefetched(batches):
    """Yield from ``batches`` while a thread decodes the next ones.

    pyarrow releases the GIL while it decodes and the tally kernels release it while they hash,
    so reading and counting overlap (on 10^8 Parquet rows they took 1.4 s and 2.4 s one after
    the other). At most ``_PREFETCH`` batches wait, so memory stays bounded; an error in the
    reader is raised here, and a consumer that stops early stops the reader.
    """
    waiting = queue.Queue(maxsize=_PREFETCH)
    stop = threading.Event()
    done = object()

    def hand_over(item) -> bool:
        """Queue ``item`` for the consumer; False once the consumer has stopped."""
        while not stop.is_set():
            try:
                waiting.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read():
        try:
            for item in itertools.chain(batches, (done,)):
                if not hand_over(item):
                    return
        except BaseException as exc:  # handed to the consumer, which raises it
            hand_over(exc)

    reader = threading.Thread(target=read, name="hallusim-batch-reader", daemon=True)
    reader.start()
    try:
        while True:
            item = waiting.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        reader.join()


class _Converter:
    """Turns an Arrow column into the int64 row the aggregates expect (a FloorFileError on bad values)."""

    def __init__(self, path, idk_token):
        self.path, self.idk_token = path, idk_token
        self.pa, self.pc = _pyarrow()

    def _fail(self, name, row, message):
        raise FloorFileError(f"{self.path}, row {row}: `{name}` {message}")

    def _first(self, mask: np.ndarray) -> int:
        return int(np.flatnonzero(mask)[0])

    def __call__(self, name, array, kind, base_row):
        pa, pc = self.pa, self.pc
        if array.null_count:
            at = self._first(np.asarray(array.is_null()))
            self._fail(name, base_row + at, "must be present on every row; got a null.")
        typ = array.type
        if kind == kernels.KIND_INT:
            if not pa.types.is_integer(typ):
                self._fail(name, base_row, f"must be an integer column; got type {typ}.")
            values = array.to_numpy(zero_copy_only=False)
            if pa.types.is_unsigned_integer(typ):
                big = values >= _MAX_COUNT
                if big.any():
                    self._fail(name, base_row + self._first(big), f"must be an integer below 2**62; got {values[big][0]}.")
                return values.astype(np.int64)
            values = values.astype(np.int64, copy=False)
            bad = values < 0
            if bad.any():
                self._fail(name, base_row + self._first(bad), f"must be a non-negative integer; got {values[bad][0]}.")
            big = values >= _MAX_COUNT
            if big.any():
                self._fail(name, base_row + self._first(big), f"must be an integer below 2**62; got {values[big][0]}.")
            return values
        if kind == kernels.KIND_FLAG:
            if pa.types.is_boolean(typ):
                return np.asarray(array.to_numpy(zero_copy_only=False), np.int64)
            if pa.types.is_integer(typ):
                values = array.to_numpy(zero_copy_only=False).astype(np.int64)
                bad = (values != 0) & (values != 1)
                if bad.any():
                    self._fail(name, base_row + self._first(bad), f"must be a boolean (or 0/1); got {values[bad][0]}.")
                return values
            self._fail(name, base_row, f"must be a boolean column; got type {typ}.")
        if kind == kernels.KIND_TOKEN:
            if pa.types.is_dictionary(typ):  # compare the dictionary once, then look the codes up
                equal = self(name, array.dictionary, kind, base_row)
                return equal[array.indices.to_numpy(zero_copy_only=False)]
            return np.asarray(pc.equal(array.cast(pa.large_string()), self.idk_token).to_numpy(zero_copy_only=False),
                              np.int64)
        # KIND_HASH: a key; integers are their own key, text is hashed.
        if pa.types.is_dictionary(typ):
            codes = self(name, array.dictionary, kind, base_row)
            return codes[array.indices.to_numpy(zero_copy_only=False)]
        if pa.types.is_integer(typ) or pa.types.is_boolean(typ):
            return array.to_numpy(zero_copy_only=False).astype(np.int64)
        if pa.types.is_floating(typ):
            return np.ascontiguousarray(array.to_numpy(zero_copy_only=False), np.float64).view(np.int64)
        if not (pa.types.is_large_string(typ) or pa.types.is_large_binary(typ)):
            try:
                array = array.cast(pa.large_binary() if pa.types.is_binary(typ) else pa.large_string())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                self._fail(name, base_row, f"must be text, binary or numbers; got type {typ}.")
        buffers = array.buffers()
        offsets = np.frombuffer(buffers[1], np.int64)[array.offset : array.offset + len(array) + 1]
        data = np.frombuffer(buffers[2], np.uint8) if buffers[2] is not None else np.zeros(0, np.uint8)
        out = np.empty(len(array), np.int64)
        _hash_strings(offsets, data, out)
        return out


def read_columnar_counts(path, kind: str, schema_of, *, idk_token: str = "IDK") -> FloorCounts:
    """Read a Parquet or Arrow IPC file's counts in record batches.

    Parameters
    ----------
    path : str or Path
        The file.
    kind : {"Parquet", "Arrow IPC"}
        What :func:`columnar_kind` said.
    schema_of : callable
        ``schema_of(column_names)``: the columns to use and their roles (the rules of
        :func:`hallusim.floor.read_floor_counts`, which passes them in).
    idk_token : str
        The response text that marks an IDK example in pairs files.

    Returns
    -------
    FloorCounts

    Raises
    ------
    FloorFileError
        A ``ValueError`` naming the file, the row (numbered from 1) and the column of the first
        problem.
    """
    pa, _ = _pyarrow()
    path = Path(path)
    convert = _Converter(path, idk_token)
    try:
        names = next(_batches(path, kind, []))
        schema = schema_of(list(names))
        wanted = [slot.names[0] for slot in schema.slots]
        aggregate = (_ColumnarPairs if schema.kind == "pairs" else AGGREGATORS[schema.kind])(path, schema)
        batches = _batches(path, kind, list(dict.fromkeys(wanted)))
        next(batches)
        row = 1
        for batch in _prefetched(batches):
            size = batch.num_rows
            if not size:
                continue
            columns = np.empty((len(schema.slots), size), np.int64)
            for i, slot in enumerate(schema.slots):
                columns[i] = convert(slot.label, batch.column(slot.names[0]), slot.kind, row)
            aggregate.add(columns, np.arange(row, row + size, dtype=np.int64))
            row += size
    except (OSError, pa.ArrowInvalid) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise FloorFileError(f"{path}: cannot be read as {kind} ({reason}).") from None
    return aggregate.finish(str(path), kind)
