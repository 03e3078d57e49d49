"""Graded items as every reader of :mod:`hallusim.evallogs` builds them: checks and the unscored policy.

Each reader turns its tool's records into calls of :meth:`Items.add` (one per item, with where in
the file it came from); :class:`Items` checks ids are present and unique, confidences are in
[0, 1], applies the unscored policy of :mod:`hallusim.evallogs._labels` and returns
:class:`GradedResults`. Every refusal is a :class:`ResultsFileError` naming the file, the item (or
line) and the field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hallusim._validation import check_choice, fail
from hallusim.evallogs._labels import (
    ABSTAIN,
    CORRECT,
    INCORRECT,
    UNSCORED,
    UNSCORED_POLICIES,
)

__all__ = ["ResultsFileError", "GradedResults", "Items", "bad", "quoted"]

_SHOWN = 60  # characters of an offending value quoted in a message


class ResultsFileError(ValueError):
    """A results file that cannot be scored; the message names the file, the item or line, and the field."""


def bad(source, where, name, allowed, given):
    """Raise :class:`ResultsFileError` with the package's message template, prefixed by ``source, where``."""
    try:
        fail(name, allowed, given)
    except ValueError as exc:
        prefix = f"{source}, {where}" if where else f"{source}"
        raise ResultsFileError(f"{prefix}: {exc}") from None


def quoted(text: str) -> str:
    """``<'text'>`` for a message, cut to a readable length."""
    shown = repr(text) if len(text) <= _SHOWN else repr(text[:_SHOWN]) + f"... ({len(text)} characters)"
    return f"<{shown}>"


@dataclass(frozen=True)
class GradedResults:
    """Graded items read from a file or given as arrays.

    Attributes
    ----------
    ids : list of str
    answered, correct : bool ndarray
        Whether each item was answered, and answered correctly.
    confidence : float ndarray or None
        Stated confidence (NaN where an abstention gave none); None without confidences.
    groups : ndarray of str or None
    source : str
        The file path, or ``"<arrays>"``.
    notes : tuple of str
        What the reader chose or could not read (the filter, the scorer, unscored items and
        their treatment, information the format does not keep); printed with the scores.
    """

    ids: list
    answered: np.ndarray
    correct: np.ndarray
    confidence: np.ndarray | None
    groups: np.ndarray | None
    source: str = "<arrays>"
    notes: tuple = ()

    def __len__(self) -> int:
        return self.answered.size

    def subset(self, mask) -> GradedResults:
        """The items where ``mask`` is True.

        Parameters
        ----------
        mask : bool array
            One flag per item.

        Returns
        -------
        GradedResults
        """
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != self.answered.shape:
            fail("mask", f"a bool array of length {self.answered.size} (one per item)", f"<an array of shape {mask.shape}>")
        return GradedResults(
            ids=[i for i, keep in zip(self.ids, mask) if keep],
            answered=self.answered[mask],
            correct=self.correct[mask],
            confidence=None if self.confidence is None else self.confidence[mask],
            groups=None if self.groups is None else self.groups[mask],
            source=self.source,
            notes=self.notes,
        )


class Items:
    """Accumulates items, checking each as it arrives.

    Parameters
    ----------
    source : str
        The file's name, for messages.
    unscored : {"error", "abstain", "incorrect", "drop"}
        What becomes of an item without a binary outcome.
    has_confidence, has_groups : bool
        Whether every item carries a confidence / a group label.
    """

    def __init__(self, source, *, unscored="error", has_confidence=False, has_groups=False):
        self.source = str(source)
        self.unscored = check_choice("unscored", unscored, UNSCORED_POLICIES)
        self.has_confidence = has_confidence
        self.has_groups = has_groups
        self.ids, self.outcomes, self.confidence, self.groups = [], [], [], []
        self.first = {}
        self.n_unscored = 0
        self.notes = []

    def add(self, where, item_id, outcome, *, field="outcome", confidence=None, group=None, reason="no binary outcome",
            confidence_field="confidence"):
        """Add one item (``outcome`` one of correct/incorrect/abstain/unscored).

        ``where`` locates the record (``"line 3"``); ``field`` names the outcome's field and
        ``reason`` says why an unscored item has no outcome; ``confidence_field`` names the
        confidence's field in messages.
        """
        source = self.source
        if item_id is None:
            bad(source, where, "id", "a non-empty identifier", "<a missing value>")
        if isinstance(item_id, (dict, list, tuple, bool, float)):
            bad(source, where, "id", "a string or an integer", f"<a {type(item_id).__name__}>")
        item_id = str(item_id)
        if item_id in self.first:
            bad(source, where, "id", f"unique (already used on {self.first[item_id]})", quoted(item_id))
        self.first[item_id] = where
        if outcome == UNSCORED:
            self.n_unscored += 1
            if self.unscored == "error":
                raise ResultsFileError(
                    f"{source}, {where}, item {item_id!r}: `{field}` has no binary outcome ({reason}); "
                    "choose what it counts as with --unscored abstain|incorrect|drop (unscored= in Python)."
                )
            if self.unscored == "drop":
                return
            outcome = ABSTAIN if self.unscored == "abstain" else INCORRECT
        if self.has_confidence:
            if confidence is not None and (isinstance(confidence, bool) or not isinstance(confidence, (int, float))):
                bad(source, where, confidence_field, "a number in [0, 1]", quoted(str(confidence)))
            conf = math.nan if confidence is None else float(confidence)
            if not (0.0 <= conf <= 1.0) and not (math.isnan(conf) and outcome == ABSTAIN):
                shown = "<a missing value>" if confidence is None else quoted(str(confidence))
                bad(source, where, confidence_field, "a number in [0, 1] on every answered row", shown)
            self.confidence.append(conf)
        if self.has_groups:
            if group is None or str(group).strip() == "":
                bad(source, where, "group", "a non-empty group label", "<a missing value>")
            self.groups.append(str(group))
        self.ids.append(item_id)
        self.outcomes.append(outcome)

    def results(self) -> GradedResults:
        """The items read, as :class:`GradedResults` (refusing an empty file)."""
        if self.n_unscored:
            verb = {"drop": "left out", "abstain": "counted as abstentions", "incorrect": "counted as incorrect"}[self.unscored]
            self.notes.append(f"{self.n_unscored} unscored item(s) {verb} (--unscored {self.unscored})")
        if not self.ids:
            raise ResultsFileError(f"{self.source}: no graded items (the file holds none, or every one was dropped).")
        outcomes = np.array(self.outcomes)
        return GradedResults(
            ids=self.ids,
            answered=outcomes != ABSTAIN,
            correct=outcomes == CORRECT,
            confidence=np.array(self.confidence, dtype=np.float64) if self.has_confidence else None,
            groups=np.array(self.groups) if self.has_groups else None,
            source=self.source,
            notes=tuple(self.notes),
        )
