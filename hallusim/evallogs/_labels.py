"""Outcome labels and the policy for unscored items (for :mod:`hallusim.evallogs`).

Words are unambiguous and always accepted (case-insensitive; runs of spaces, hyphens and
underscores count as one ``_``): ``correct``, ``incorrect`` (also ``wrong``), ``abstain`` (also
``idk``, ``not_attempted``, ``noanswer``). Bare letters mean different things to different tools,
so they are read only under an explicit vocabulary (``labels``):

* ``simpleqa`` (OpenAI simple-evals' grader, ``simpleqa_eval.py``): ``A`` correct, ``B``
  incorrect, ``C`` not attempted;
* ``inspect`` (Inspect AI's ``inspect_ai.scorer`` constants): ``C`` correct, ``I`` incorrect,
  ``N`` no answer (an abstention), ``P`` partial (unscored: no binary outcome).

An item without a binary outcome (a missing value, NaN, a partial credit) is *unscored*; the
``unscored`` policy says what becomes of it: ``error`` (refuse, naming the item; the default),
``abstain`` or ``incorrect`` (count it so; the two bracket its score) or ``drop`` (leave it out).
The number so treated is reported.
"""

from __future__ import annotations

import re

from hallusim._validation import check_choice

__all__ = ["CORRECT", "INCORRECT", "ABSTAIN", "UNSCORED", "LABELS", "UNSCORED_POLICIES", "outcome_label", "allowed_labels"]

CORRECT, INCORRECT, ABSTAIN, UNSCORED = "correct", "incorrect", "abstain", "unscored"
LABELS = ("simpleqa", "inspect")
UNSCORED_POLICIES = ("error", "abstain", "incorrect", "drop")
_SEPARATORS = re.compile(r"[\s_-]+")
_WORDS = {
    "correct": CORRECT,
    "incorrect": INCORRECT,
    "wrong": INCORRECT,
    "abstain": ABSTAIN,
    "idk": ABSTAIN,
    "not_attempted": ABSTAIN,
    "noanswer": ABSTAIN,
    "partial": UNSCORED,
}
_LETTERS = {
    "simpleqa": {"a": CORRECT, "b": INCORRECT, "c": ABSTAIN},
    "inspect": {"c": CORRECT, "i": INCORRECT, "n": ABSTAIN, "p": UNSCORED},
}
_LETTER_TEXT = {"simpleqa": "A/B/C (SimpleQA: correct/incorrect/not attempted)", "inspect": "C/I/N/P (Inspect: correct/incorrect/no answer/partial)"}


def allowed_labels(labels: str | None) -> str:
    """The accepted vocabulary under ``labels``, phrased to follow "must be"."""
    words = "correct, incorrect (wrong), abstain (idk, not_attempted, noanswer) or partial"
    if labels is None:
        return f"one of {words} (bare letters need --labels simpleqa or --labels inspect)"
    return f"one of {words}, or the letters {_LETTER_TEXT[labels]}"


def outcome_label(text: str, labels: str | None = None) -> str | None:
    """The outcome a label means, or None if it means none under ``labels``.

    Parameters
    ----------
    text : str
        A non-empty label.
    labels : {"simpleqa", "inspect"} or None
        The letter vocabulary; None accepts words only.

    Returns
    -------
    str or None
        ``"correct"``, ``"incorrect"``, ``"abstain"``, ``"unscored"`` or None.
    """
    key = _SEPARATORS.sub("_", text.strip().lower())
    if key in _WORDS:
        return _WORDS[key]
    if labels is not None:
        check_choice("labels", labels, LABELS)
        return _LETTERS[labels].get(key)
    return None


def is_bare_letter(text: str) -> bool:
    """Whether ``text`` is one of the tools' single-letter grades."""
    return text.strip().lower() in {"a", "b", "c", "i", "n", "p"}
