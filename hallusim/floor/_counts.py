"""The statistics :mod:`hallusim.floor` reads from a file, and how a file's chunks add up to them.

:class:`FloorCounts` holds a training set's sufficient statistics for Theorem 2. The aggregates
(one per file format) take the columns of each chunk from :mod:`hallusim.floor._read` and merge
them into running sorted tallies (:func:`hallusim.floor._kernels.merge_counts`): memory proportional
to the number of distinct counts (counts files, tables) or distinct prompts (pairs), plus 12 bytes
per row (20 at the final check) while the keys of a counts file are checked to be distinct. Totals are exact Python ints,
refused above 2^63 − 1 rather than wrapped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hallusim.floor import _kernels as kernels
from hallusim.goodturing import total_count

__all__ = ["FloorFileError", "FloorCounts", "AGGREGATORS"]

_MAX_EXAMPLES = 2**63 - 1  # N must fit in int64 for every consumer of FloorCounts


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
        ``N``, all training examples including IDK ones; the answered examples alone when the
        IDK examples are not given.
    n_idk : int or None
        IDK examples, or None when the input cannot tell (a frequency-of-frequencies table, a
        counts file without an IDK column).
    n_prompts : int
        Distinct prompts (including prompts with IDK examples only, and listed prompts without any
        example, where the input shows them).
    source : str or None
        The file read, if any.
    detected : str
        What was read and how (format, container, columns used and ignored).
    n_prompts_without_examples : int
        Prompts the input lists with no example at all (count and IDK count 0, or a table's
        ``r = 0`` row); 0 for pairs and arrays.
    omitted_examples : int
        Answered examples of items a truncated frequency table omits (its most frequent items,
        known only through the table's total, ``--total-examples``); 0 for complete input.
    caveat : str or None
        What the figures mean for this input, when not Theorem 2 on arbitrary facts (running text).
    """

    r: np.ndarray
    n_r: np.ndarray
    n_examples: int
    n_idk: int | None
    n_prompts: int
    source: str | None
    detected: str
    n_prompts_without_examples: int = 0
    omitted_examples: int = 0
    caveat: str | None = None

    @property
    def n_answered(self) -> int:
        """Answered examples, ``Σ_r r·n_r`` plus those of omitted items (exact)."""
        return total_count(self.r, self.n_r) + self.omitted_examples

    @property
    def truncated(self) -> bool:
        """Whether the table omits items (known only through their total)."""
        return self.omitted_examples > 0

    @property
    def n_singletons(self) -> int:
        """Prompts answered exactly once (``|S|`` of Definition 2)."""
        return int(self.n_r[0]) if self.r.size and self.r[0] == 1 else 0

    @property
    def idk_given(self) -> bool:
        """Whether the input says how many IDK examples there are."""
        return self.n_idk is not None


def _exact_sum(values: np.ndarray) -> int:
    """Sum of non-negative int64 values as an exact Python int (int64 would wrap past 2^63)."""
    if values.size == 0:
        return 0
    if float(values.sum(dtype=np.float64)) < 2.0**62:  # then the int64 sum cannot overflow
        return int(values.sum())
    return sum(values.tolist())


def _check_total(path, total: int, what: str) -> int:
    """``total`` if it fits in int64, else a file error saying which columns add up to it."""
    if total > _MAX_EXAMPLES:
        raise FloorFileError(f"{path}: `{what}` must add up to at most 2**63 - 1 examples; got {total}.")
    return total


class _Tally:
    """A running sorted tally ``(keys, counts)``, merged chunk by chunk (:func:`kernels.merge_counts`).

    Chunk tallies are merged as in a log-structured merge: a stack of sorted tallies whose sizes
    at least halve from bottom to top; a new tally is merged into the top while the top is not
    more than twice its size. Each key is so copied O(log chunks) times rather than once per
    chunk (O(distinct keys · chunks) for a file of distinct prompts), and the stack holds at most
    about twice the number of distinct keys. ``keys`` and ``counts`` collapse the stack.
    """

    def __init__(self):
        self._levels = []

    @staticmethod
    def _merge(a, b):
        keys = np.empty(a[0].size + b[0].size, np.int64)
        counts = np.empty(keys.size, np.int64)
        n = kernels.merge_counts(a[0], a[1], b[0], b[1], keys, counts)
        return (keys[:n], counts[:n]) if n == keys.size else (keys[:n].copy(), counts[:n].copy())

    def _collapse(self, down_to: int):
        while len(self._levels) > down_to:
            top = self._levels.pop()
            self._levels[-1] = self._merge(self._levels[-1], top)

    def merge(self, keys: np.ndarray, counts: np.ndarray):
        """Merge a tally with strictly increasing keys (counts must keep totals below 2^63)."""
        self._levels.append((keys, counts))
        while len(self._levels) > 1 and 2 * self._levels[-1][0].size >= self._levels[-2][0].size:
            self._collapse(len(self._levels) - 1)

    def add(self, values: np.ndarray):
        """Count each value once."""
        keys, counts = np.unique(values, return_counts=True)
        self.merge(keys.astype(np.int64), counts.astype(np.int64))

    def _single(self):
        if not self._levels:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        self._collapse(1)
        return self._levels[0]

    @property
    def keys(self) -> np.ndarray:
        """The distinct keys, increasing."""
        return self._single()[0]

    @property
    def counts(self) -> np.ndarray:
        """The count of each key."""
        return self._single()[1]


# ----------------------------------------------------------------------------------------------
# Aggregates: one per format
# ----------------------------------------------------------------------------------------------


class _Aggregate:
    """Base of the per-format aggregates: ``add`` per chunk, ``check`` before an error, ``finish``."""

    what = ""

    def __init__(self, path, schema):
        self.path, self.schema = path, schema
        self.rows = 0

    def check(self):
        """Raise the file-level problem of the rows seen so far, if any (called before a line error)."""

    def _ignored(self) -> str:
        ignored = self.schema.ignored
        return f"; ignored: {', '.join(ignored)}" if ignored else ""

    def describe(self, container: str) -> str:
        """The ``detected`` text: format, container, how it was chosen, columns used and ignored."""
        return f"{self.what} ({container}, {self.schema.how}; {self._columns(container)}{self._ignored()})"

    def _columns(self, container: str) -> str:  # pragma: no cover - every aggregate overrides it
        raise NotImplementedError


class _CountsAggregate(_Aggregate):
    what = "per-fact counts"

    def __init__(self, path, schema):
        super().__init__(path, schema)
        self.tally, self.idk, self.idk_records, self.empty = _Tally(), 0, 0, 0
        self.count_slot, self.idk_slot, self.key_slot = (schema.slot(role) for role in ("count", "idk", "key"))
        self.keys, self.key_lines = [], []

    def add(self, columns, lines):
        counts = columns[self.count_slot]
        self.tally.add(counts)
        self.rows += counts.size
        if self.idk_slot is not None:
            idk = columns[self.idk_slot]
            present = idk >= 0
            self.idk_records += int(np.count_nonzero(present))
            self.idk = _check_total(self.path, self.idk + _exact_sum(idk[present]), self.schema.slots[self.idk_slot].label)
            self.empty += int(np.count_nonzero((counts == 0) & (idk <= 0)))
        else:
            self.empty += int(np.count_nonzero(counts == 0))
        if self.key_slot is not None:  # 8 bytes of hash and (usually) 4 of line offset per row
            self.keys.append(columns[self.key_slot].copy())
            offsets = lines - lines[0]
            self.key_lines.append((int(lines[0]), offsets.astype(np.int32) if offsets[-1] < 2**31 else offsets))

    def check(self):
        if not self.keys:
            return
        keys = np.concatenate(self.keys)
        keys.sort()
        repeated = np.unique(keys[1:][keys[1:] == keys[:-1]])
        del keys
        if not repeated.size:
            return
        found_keys = np.concatenate([part[np.isin(part, repeated)] for part in self.keys])
        found_lines = np.concatenate([base + offsets[np.isin(part, repeated)].astype(np.int64)
                                      for part, (base, offsets) in zip(self.keys, self.key_lines)])
        order = np.lexsort((found_lines, found_keys))
        found_keys, found_lines = found_keys[order], found_lines[order]
        second = np.flatnonzero(found_keys[1:] == found_keys[:-1]) + 1
        at = second[np.argmin(found_lines[second])]
        first_line = found_lines[np.searchsorted(found_keys, found_keys[at])]
        raise FloorFileError(
            f"{self.path}, line {int(found_lines[at])}: `{self.schema.slots[self.key_slot].label}` must be distinct "
            f"on every row; got the key of line {int(first_line)} again (use --no-check-keys only if rows of one "
            "prompt are meant to be separate prompts)."
        )

    def finish(self, source, container):
        self.check()
        if self.rows == 0:
            raise FloorFileError(f"{self.path}: no data rows.")
        count_label = self.schema.slots[self.count_slot].label
        answered = _check_total(self.path, total_count(self.tally.keys, self.tally.counts), count_label)
        idk_given = self.idk_slot is not None and (not self.schema.slots[self.idk_slot].optional
                                                  or self.idk_records > 0)
        n_idk = self.idk if idk_given else None
        n = answered + (n_idk or 0)
        if n_idk is not None:
            _check_total(self.path, n, f"{count_label} + {self.schema.slots[self.idk_slot].label}")
        if n == 0:
            raise FloorFileError(f"{self.path}: no examples: every count{' and IDK count' if idk_given else ''} is 0.")
        positive = self.tally.keys > 0
        return FloorCounts(self.tally.keys[positive], self.tally.counts[positive], n, n_idk, self.rows, source,
                           self.describe(container), self.empty)

    def _columns(self, container):
        slots = self.schema.slots
        field = "field" if container.startswith("JSON") else "column"
        text = f"counts in {field} '{slots[self.count_slot].label}'"
        if self.idk_slot is None:
            text += f", no IDK {field} (IDK: not given)"
        elif not slots[self.idk_slot].optional:
            text += f", IDK counts in {field} '{slots[self.idk_slot].label}'"
        elif self.idk_records:
            text += (f", IDK counts in fields {'/'.join(slots[self.idk_slot].names)} in {self.idk_records:,} of "
                     f"{self.rows:,} records (0 where absent)")
        else:
            text += f", no IDK field ({'/'.join(slots[self.idk_slot].names)}) in any record (IDK: not given)"
        checked = "checked to be distinct" if self.key_slot is not None else "NOT checked to be distinct"
        return f"keys in {field} '{self.schema.key_column}' ({checked}), {text}"


class _TableAggregate(_Aggregate):
    what = "frequency-of-frequencies table"

    def __init__(self, path, schema):
        super().__init__(path, schema)
        self.r, self.n_r, self.lines = [], [], []

    def add(self, columns, lines):
        self.r.append(columns[0].copy())
        self.n_r.append(columns[1].copy())
        self.lines.append(lines.copy())

    def check(self):
        if not self.r:
            return
        r, lines = np.concatenate(self.r), np.concatenate(self.lines)
        order = np.lexsort((lines, r))
        repeated = np.flatnonzero(r[order][1:] == r[order][:-1]) + 1
        if repeated.size:
            at = repeated[np.argmin(lines[order][repeated])]
            first = order[np.searchsorted(r[order], r[order[at]])]
            raise FloorFileError(
                f"{self.path}, line {int(lines[order[at]])}: `{self.schema.slots[0].label}` must be distinct on every "
                f"row; got {int(r[order[at]])} again (first on line {int(lines[first])})."
            )

    def finish(self, source, container):
        self.check()
        if not self.r:
            raise FloorFileError(f"{self.path}: no data rows.")
        r, n_r = np.concatenate(self.r), np.concatenate(self.n_r)
        order = np.argsort(r, kind="stable")
        r, n_r = r[order], n_r[order]
        keep = (r > 0) & (n_r > 0)
        unseen = _exact_sum(n_r[r == 0])
        answered = _check_total(self.path, total_count(r[keep], n_r[keep]),
                                f"{self.schema.slots[0].label}·{self.schema.slots[1].label}")
        if answered == 0:
            raise FloorFileError(f"{self.path}: no examples: every row has r = 0 or n_r = 0.")
        prompts = _exact_sum(n_r[keep]) + unseen
        return FloorCounts(r[keep], n_r[keep], answered, None, prompts, source, self.describe(container), unseen)

    def _columns(self, container):
        return f"columns {self.schema.slots[0].label}, {self.schema.slots[1].label}; IDK: not given"


class _PairsAggregate(_Aggregate):
    """Per-prompt answered counts in a running sorted tally keyed by prompt hash (16 bytes per
    distinct prompt); IDK-only prompts are kept with count 0 so that they count as prompts."""

    what = "training pairs"

    def __init__(self, path, schema):
        super().__init__(path, schema)
        self.prompts = _Tally()
        self.n = self.idk = self.flag_records = self.weight_records = 0
        self.prompt_slot, self.response_slot, self.flag_slot, self.weight_slot = (
            schema.slot(role) for role in ("prompt", "response", "flag", "weight"))

    def add(self, columns, lines):
        hashes = columns[self.prompt_slot]
        self.rows += hashes.size
        if self.flag_slot is None:
            idk = columns[self.response_slot] != 0
        else:
            flag = columns[self.flag_slot]
            self.flag_records += int(np.count_nonzero(flag >= 0))
            idk = flag > 0 if self.response_slot is None else np.where(flag >= 0, flag > 0,
                                                                        columns[self.response_slot] != 0)
        if self.weight_slot is None:  # one example a row: no weights to sum or filter
            self.n = _check_total(self.path, self.n + hashes.size, "rows")
            self.idk += int(np.count_nonzero(idk))
            self._tally_prompts(hashes, (~idk).astype(np.int64))
            return
        weights = columns[self.weight_slot]
        self.weight_records += int(np.count_nonzero(weights >= 0))
        weights = np.where(weights >= 0, weights, 1)
        self.n = _check_total(self.path, self.n + _exact_sum(weights), self.schema.slots[self.weight_slot].label)
        self.idk += _exact_sum(weights[idk])
        keep = weights > 0
        self._tally_prompts(hashes[keep], np.where(idk, 0, weights)[keep])

    def _tally_prompts(self, hashes, answered):
        """Add each prompt's answered examples (0 for an IDK example) to the running tally."""
        order = np.argsort(hashes)
        hashes, answered = hashes[order], answered[order]
        if hashes.size:
            first = np.flatnonzero(np.concatenate(([True], hashes[1:] != hashes[:-1])))
            self.prompts.merge(hashes[first], np.add.reduceat(answered, first))

    def finish(self, source, container):
        if self.rows == 0:
            raise FloorFileError(f"{self.path}: no data rows.")
        if self.n == 0:
            raise FloorFileError(f"{self.path}: no examples: every row has weight 0.")
        per_prompt = self.prompts.counts
        r, n_r = np.unique(per_prompt[per_prompt > 0], return_counts=True)
        return FloorCounts(r.astype(np.int64), n_r.astype(np.int64), self.n, self.idk, int(self.prompts.keys.size),
                           source, self.describe(container))

    def _columns(self, container):
        slots, token = self.schema.slots, repr(self.schema.idk_token)
        text = f"prompts in {slots[self.prompt_slot].label}"
        if self.flag_slot is None:
            text += f", IDK = responses equal to {token}"
        elif self.response_slot is None:
            text += f", IDK marked by the boolean column {slots[self.flag_slot].label}"
        elif self.flag_records == self.rows:
            text += f", IDK marked by the boolean field {'/'.join(slots[self.flag_slot].names)}"
        else:
            text += (f", IDK marked by the boolean field {'/'.join(slots[self.flag_slot].names)} in "
                     f"{self.flag_records:,} of {self.rows:,} records, elsewhere by responses equal to {token}")
        if self.weight_slot is not None:
            weight = slots[self.weight_slot]
            if not weight.optional:
                text += f"; each row weighted by its {weight.label} (the examples it stands for)"
            elif self.weight_records:
                text += (f"; each record weighted by its {'/'.join(weight.names)} (the examples it stands for; "
                         f"{self.weight_records:,} of {self.rows:,} records have one, the others weigh 1)")
        return text


AGGREGATORS = {"counts": _CountsAggregate, "table": _TableAggregate, "pairs": _PairsAggregate}
