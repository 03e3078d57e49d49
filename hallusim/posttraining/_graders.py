"""Graders, Observation 1 and the rates of a set of responses (re-exported by :mod:`hallusim.posttraining.grading`).

A *grader* scores the three kinds of response a model can give to a question: a correct answer,
a wrong answer, or an abstention (IDK). See :mod:`hallusim.posttraining.grading` for the overview.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from hallusim._validation import SUM_TOLERANCE, check_float, check_probability, fail
from hallusim.bounds import confidence_penalty

__all__ = [
    "Grader",
    "binary_grader",
    "target_grader",
    "payoff_grader",
    "response_rates",
    "expected_grader_scores",
    "optimal_responses",
    "observation1_holds",
]


def _flags(name, value) -> np.ndarray:
    """A bool array from booleans or 0/1 values."""
    arr = np.asarray(value)
    if arr.dtype != np.bool_:
        if arr.dtype.kind not in "iuf" or not np.isin(arr, (0, 1)).all():
            fail(name, "booleans or 0/1 values", arr)
    return arr.astype(bool)


@dataclass(frozen=True)
class Grader:
    """A grader's payoffs for a correct answer, a wrong answer and an abstention (IDK).

    Use the constructors :func:`binary_grader`, :func:`target_grader` and :func:`payoff_grader`.

    Attributes
    ----------
    correct, wrong, abstain : float
        Scores of the three kinds of response; ``correct > wrong``.
    target : float or None
        The explicit confidence target ``t`` of a :func:`target_grader` (None otherwise). It
        makes the break-even probability exactly ``t`` (the paper's rule "answer iff
        confidence > t"), not the break-even of the rounded payoff ``−fl(t/(1 − t))``.
    name : str
        A label for tables and legends.
    """

    correct: float
    wrong: float
    abstain: float
    target: float | None = None
    name: str = "payoff"

    def __post_init__(self):
        for field in ("correct", "wrong", "abstain"):
            check_float(field, getattr(self, field))
        if not self.correct > self.wrong:
            fail("correct", f"greater than `wrong` = {self.wrong!r}", self.correct)
        if self.target is not None:
            check_float("target", self.target, low=0.0, high=1.0, high_open=True)
            from_payoffs = self.break_even_from_payoffs()
            if not math.isclose(from_payoffs, self.target, rel_tol=1e-9, abs_tol=1e-12):
                fail("target", f"the break-even probability of the payoffs, {from_payoffs!r}", self.target)

    def _exact_payoff_break_even(self) -> Fraction:
        # The floats are exact rationals, so this is the exact break-even of the stored payoffs.
        return (Fraction(self.abstain) - Fraction(self.wrong)) / (Fraction(self.correct) - Fraction(self.wrong))

    def _exact_break_even(self) -> Fraction:
        return Fraction(self.target) if self.target is not None else self._exact_payoff_break_even()

    def break_even_from_payoffs(self) -> float:
        """``(abstain − wrong) / (correct − wrong)`` of the stored payoffs, correctly rounded.

        Computed exactly in rational arithmetic from the payoffs alone (ignoring ``target``)
        and rounded once; ``±inf`` if it overflows a float.
        """
        return _rounded(self._exact_payoff_break_even())

    @property
    def break_even(self) -> float:
        """Probability of being correct at which answering and abstaining score the same.

        ``(abstain − wrong) / (correct − wrong)``; exactly ``t`` for a target grader and 0 for the
        binary grader. It may lie outside [0, 1] (then one action always wins).
        """
        return self.target if self.target is not None else self.break_even_from_payoffs()

    def answer_advantage(self, p_correct):
        """Expected score of answering minus that of abstaining, for ``Pr[correct] = p_correct``.

        ``p·correct + (1 − p)·wrong − abstain``, written as ``(correct − wrong)(p − break_even)``
        (the same algebra) so that it is exactly 0 at the break-even probability. Its sign is
        a float computation; :meth:`prefers_answer` decides the sign exactly.

        Parameters
        ----------
        p_correct : float or array in [0, 1]
            Probability that the answer is correct.

        Returns
        -------
        float or ndarray
        """
        p = check_probability("p_correct", p_correct)
        out = (self.correct - self.wrong) * (np.asarray(p, dtype=np.float64) - self.break_even)
        return float(out) if out.ndim == 0 else out

    def expected_answer_score(self, p_correct):
        """Expected score of answering when the answer is correct with probability ``p_correct``.

        Parameters
        ----------
        p_correct : float or array in [0, 1]
            Probability that the answer is correct.

        Returns
        -------
        float or ndarray
            ``abstain + answer_advantage(p_correct)`` (equals ``p`` for the binary grader).
        """
        return self.abstain + self.answer_advantage(p_correct)

    def prefers_answer(self, p_correct):
        """Whether answering has a strictly higher expected score than IDK (``p > break_even``).

        For a target grader this is the paper's rule "answer iff confidence > t", with ``t``
        itself as the break-even; at ``p = t`` the two actions tie and this returns False. For
        a payoff grader the break-even is that of the stored payoffs. Either way the
        comparison is exact (no rounding): ``p`` is compared with the exact rational break-even
        through its correctly rounded float ``f`` (``p > b`` iff ``p >= f`` when ``f > b``,
        and iff ``p > f`` otherwise, since no float lies strictly between ``b`` and ``f``).

        Parameters
        ----------
        p_correct : float or array in [0, 1]
            Probability that the answer is correct.

        Returns
        -------
        bool or bool ndarray
        """
        p = check_probability("p_correct", p_correct)
        exact = self._exact_break_even()
        arr = np.asarray(p, dtype=np.float64)
        if exact < 0:
            out = np.ones(arr.shape, dtype=bool)
        elif exact >= 1:
            out = np.zeros(arr.shape, dtype=bool)
        else:
            nearest = float(exact)
            out = arr >= nearest if Fraction(nearest) > exact else arr > nearest
        return bool(out) if out.ndim == 0 else out

    def score(self, answered, correct):
        """Score of realised responses: ``correct``, ``wrong`` or ``abstain`` per item.

        Parameters
        ----------
        answered, correct : bool (or 0/1) arrays of the same shape
            Whether each item was answered, and whether the answer was correct (ignored where
            not answered).

        Returns
        -------
        ndarray of float
        """
        answered = _flags("answered", answered)
        correct = _flags("correct", correct)
        if correct.shape != answered.shape:
            fail("correct", f"an array of shape {answered.shape} like `answered`", f"<an array of shape {correct.shape}>")
        return np.where(answered, np.where(correct, self.correct, self.wrong), self.abstain)


def _rounded(value: Fraction) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.copysign(math.inf, value)


def binary_grader() -> Grader:
    """The binary (0-1) grader of Section 4.1: correct 1, wrong 0, abstention 0.

    Returns
    -------
    Grader
    """
    return Grader(1.0, 0.0, 0.0, target=0.0, name="binary")


def target_grader(t) -> Grader:
    """The explicit-confidence-target grader of Section 4.2.

    Correct 1, wrong ``−t/(1 − t)`` (:func:`hallusim.bounds.confidence_penalty`), IDK 0. Answering
    beats IDK iff ``Pr[correct] > t``. ``t = 0.5, 0.75, 0.9`` give penalties 1, 3, 9 (the paper's
    v1 text says 2 for ``t = 0.75``; the formula gives 3 and rules). ``t = 0`` is binary grading.

    Parameters
    ----------
    t : float in [0, 1)
        The confidence target stated in the instructions.

    Returns
    -------
    Grader
    """
    t = check_float("t", t, low=0.0, high=1.0, high_open=True)
    return Grader(1.0, -confidence_penalty(t), 0.0, target=t, name=f"target t={t:g}")


def payoff_grader(correct, wrong, abstain, name: str = "payoff") -> Grader:
    """A general grader with the payoff triple (correct, wrong, abstain), ``correct > wrong``.

    Parameters
    ----------
    correct, wrong, abstain : float
        Scores of a correct answer, a wrong answer and an abstention.
    name : str, optional
        Label for tables and legends.

    Returns
    -------
    Grader
    """
    return Grader(float(correct), float(wrong), float(abstain), target=None, name=name)


def response_rates(n_items, n_answered, n_correct, grader: Grader) -> dict:
    """Answer rate, accuracy among answered, error rate and mean score of a set of responses.

    The one formula behind both the test-taker simulation (:func:`hallusim.posttraining.grading.expected_outcome`,
    with expected, fractional counts) and the scoring of real results
    (:func:`hallusim.evallogs.score_results`, with integer counts).

    Parameters
    ----------
    n_items : float > 0
        Number of questions (answered or not).
    n_answered : float in [0, n_items]
        Number (or expected number) of questions answered.
    n_correct : float in [0, n_answered]
        Number (or expected number) answered correctly.
    grader : Grader
        The grader whose mean score is reported.

    Returns
    -------
    dict
        ``answer_rate`` (``n_answered / n_items``), ``accuracy_answered`` (``n_correct /
        n_answered``, NaN if nothing is answered), ``error_rate`` (wrong answers over all
        questions: the hallucination rate) and ``score`` (``(n_correct·correct + n_wrong·wrong
        + n_abstained·abstain) / n_items``).
    """
    n = check_float("n_items", n_items, low=0.0, low_open=True)
    answered = check_float("n_answered", n_answered, low=0.0, high=n)
    right = check_float("n_correct", n_correct, low=0.0, high=answered)
    wrong = answered - right
    return {
        "answer_rate": answered / n,
        "accuracy_answered": right / answered if answered > 0 else math.nan,
        "error_rate": wrong / n,
        "score": (right * grader.correct + wrong * grader.wrong + (n - answered) * grader.abstain) / n,
    }


# ---------------------------------------------------------------------------------------------
# Observation 1


def _check_grader_matrix(grader_values, belief):
    values = np.asarray(grader_values, dtype=np.float64)
    if values.ndim != 2 or values.size == 0 or not np.isfinite(values).all():
        fail("grader_values", "a non-empty 2-D array (graders × responses) of finite scores", values)
    weights = np.asarray(belief, dtype=np.float64)
    if weights.shape != (values.shape[0],) or not (np.isfinite(weights).all() and (weights >= 0).all()):
        fail("belief", f"a non-negative array of length {values.shape[0]} (one weight per grader)", weights)
    if not math.isclose(float(weights.sum()), 1.0, rel_tol=0.0, abs_tol=SUM_TOLERANCE):
        fail("belief", "a probability vector summing to 1", f"<weights summing to {weights.sum()!r}>")
    return values, weights


def expected_grader_scores(grader_values, belief) -> np.ndarray:
    """Expected score ``E_{g ~ ρ}[g(r)]`` of every response under a belief ρ over graders.

    Parameters
    ----------
    grader_values : array of shape (n_graders, n_responses)
        Row ``k`` is grader ``g_k``'s score of each response.
    belief : array of shape (n_graders,)
        The test taker's posterior ``ρ_c`` over graders (sums to 1).

    Returns
    -------
    ndarray of shape (n_responses,)
    """
    values, weights = _check_grader_matrix(grader_values, belief)
    return weights @ values


def optimal_responses(grader_values, belief) -> np.ndarray:
    """Indices of the responses maximising expected score, ``argmax_r E_{g ~ ρ}[g(r)]`` (all ties).

    Parameters
    ----------
    grader_values : array of shape (n_graders, n_responses)
        Row ``k`` is grader ``g_k``'s score of each response.
    belief : array of shape (n_graders,)
        The belief ``ρ_c`` over graders (sums to 1).

    Returns
    -------
    ndarray of int
    """
    scores = expected_grader_scores(grader_values, belief)
    return np.flatnonzero(scores == scores.max())


def _check_abstentions(abstentions, n_responses) -> np.ndarray:
    allowed = f"a non-empty sequence of distinct column indices in [0, {n_responses - 1}]"
    try:
        index = np.asarray(abstentions)
    except ValueError:  # ragged nesting
        fail("abstentions", allowed, "<a ragged sequence>")
    if index.ndim != 1 or index.size == 0 or index.dtype.kind not in "iu":
        fail("abstentions", allowed, index)
    if index.min() < 0 or index.max() >= n_responses or np.unique(index).size != index.size:
        fail("abstentions", allowed, index)
    return index


def observation1_holds(grader_values, belief, abstentions) -> bool:
    """Observation 1: under any belief over *binary* graders, no abstention is optimal.

    Checks that every grader is binary in the paper's sense (values in {0, 1}, taking the value
    1 somewhere, and 0 on every abstention) and returns whether ``A_c ∩ argmax_r E[g(r)] = ∅``.
    It is a theorem, so a False return is a bug.

    Parameters
    ----------
    grader_values : array of shape (n_graders, n_responses) with entries in {0, 1}
        Row ``k`` is binary grader ``g_k``'s score of each response.
    belief : array of shape (n_graders,)
        The belief ``ρ_c`` over graders (sums to 1).
    abstentions : sequence of int
        Column indices of the abstention responses ``A_c`` (e.g. IDK): non-empty, distinct,
        in ``[0, n_responses − 1]`` (negative indices are refused, not wrapped).

    Returns
    -------
    bool
    """
    values, _ = _check_grader_matrix(grader_values, belief)
    abstain = np.zeros(values.shape[1], dtype=bool)
    abstain[_check_abstentions(abstentions, values.shape[1])] = True
    if not np.isin(values, (0.0, 1.0)).all():
        fail("grader_values", "binary: every entry 0 or 1", values)
    if values[:, abstain].any():
        fail("grader_values", "binary: 0 on every abstention column", values)
    if not values.any(axis=1).all():
        fail("grader_values", "binary: every grader scores some response 1", values)
    best = optimal_responses(values, belief)
    return not abstain[best].any()
