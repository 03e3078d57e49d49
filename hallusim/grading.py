"""Graders, explicit confidence targets and the test-taker simulation (Section 4, THEORY §6).

A *grader* scores the three kinds of response a model can give to a question: a correct answer,
a wrong answer, or an abstention (IDK). Three families are provided:

* :func:`binary_grader`: correct 1, wrong 0, IDK 0 (accuracy, pass rate; the paper's "binary"
  graders, under which abstaining is never optimal, Observation 1);
* :func:`target_grader`: the paper's *explicit confidence target* ``t``: correct 1, wrong
  ``−t/(1 − t)`` (from :func:`hallusim.bounds.confidence_penalty`), IDK 0, so that answering beats
  IDK iff ``Pr[correct] > t``; ``t = 0`` is binary grading;
* :func:`payoff_grader`: any payoff triple (correct, wrong, abstain) with correct > wrong.

A *test taker* is a population of questions, each with the model's true probability of being
correct, and a :class:`Policy` deciding when to answer: always guess (the paper's Model B),
answer iff confidence exceeds the target (behavioral calibration, Model A), the same with a
distorted confidence (over- or under-confident), or a fixed abstention rate.
:func:`expected_outcome` and :func:`sampled_outcome` score a policy under binary and target
grading; :func:`behavioral_audit` audits behavioral calibration across targets.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from hallusim._rng import as_seed_sequence
from hallusim._validation import check_choice, check_float, check_int, fail
from hallusim.bounds import confidence_penalty

__all__ = [
    "Grader",
    "binary_grader",
    "target_grader",
    "payoff_grader",
    "expected_grader_scores",
    "optimal_responses",
    "observation1_holds",
    "Policy",
    "PolicyOutcome",
    "expected_outcome",
    "sampled_outcome",
    "simulate_test_takers",
    "BehavioralAudit",
    "midpoint_targets",
    "behavioral_audit",
]


# ---------------------------------------------------------------------------------------------
# Graders


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
        makes :attr:`break_even` exactly ``t`` rather than ``t`` up to rounding.
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
            if self.break_even_from_payoffs() != self.target and not math.isclose(
                self.break_even_from_payoffs(), self.target, rel_tol=1e-9, abs_tol=1e-12
            ):
                fail("target", f"the break-even probability of the payoffs, {self.break_even_from_payoffs()!r}", self.target)

    def break_even_from_payoffs(self) -> float:
        """``(abstain − wrong) / (correct − wrong)``, computed from the payoffs alone."""
        return (self.abstain - self.wrong) / (self.correct - self.wrong)

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
        (the same algebra) so that it is exactly 0 at the break-even probability.

        Parameters
        ----------
        p_correct : float or array in [0, 1]

        Returns
        -------
        float or ndarray
        """
        p = np.asarray(p_correct, dtype=np.float64)
        out = (self.correct - self.wrong) * (p - self.break_even)
        return float(out) if out.ndim == 0 else out

    def expected_answer_score(self, p_correct):
        """Expected score of answering when the answer is correct with probability ``p_correct``.

        Parameters
        ----------
        p_correct : float or array in [0, 1]

        Returns
        -------
        float or ndarray
            ``abstain + answer_advantage(p_correct)`` (equals ``p`` for the binary grader).
        """
        return self.abstain + self.answer_advantage(p_correct)

    def prefers_answer(self, p_correct):
        """Whether answering has a strictly higher expected score than IDK (``p > break_even``).

        For a target grader this is the paper's rule "answer iff confidence > t"; at ``p = t``
        the two actions tie and this returns False.

        Parameters
        ----------
        p_correct : float or array in [0, 1]

        Returns
        -------
        bool ndarray
        """
        return np.asarray(self.answer_advantage(p_correct)) > 0.0

    def score(self, answered, correct):
        """Score of realised responses: ``correct``, ``wrong`` or ``abstain`` per item.

        Parameters
        ----------
        answered, correct : bool arrays of the same shape
            Whether each item was answered, and whether the answer was correct (ignored where
            not answered).

        Returns
        -------
        ndarray of float
        """
        answered = np.asarray(answered, dtype=bool)
        correct = np.asarray(correct, dtype=bool)
        return np.where(answered, np.where(correct, self.correct, self.wrong), self.abstain)


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


# ---------------------------------------------------------------------------------------------
# Observation 1


def _check_grader_matrix(grader_values, belief):
    values = np.asarray(grader_values, dtype=np.float64)
    if values.ndim != 2 or values.size == 0 or not np.isfinite(values).all():
        fail("grader_values", "a non-empty 2-D array (graders × responses) of finite scores", values)
    weights = np.asarray(belief, dtype=np.float64)
    if weights.shape != (values.shape[0],) or not (np.isfinite(weights).all() and (weights >= 0).all()):
        fail("belief", f"a non-negative array of length {values.shape[0]} (one weight per grader)", weights)
    if not math.isclose(float(weights.sum()), 1.0, rel_tol=0.0, abs_tol=1e-9):
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
    belief : array of shape (n_graders,)

    Returns
    -------
    ndarray of int
    """
    scores = expected_grader_scores(grader_values, belief)
    return np.flatnonzero(scores == scores.max())


def observation1_holds(grader_values, belief, abstentions) -> bool:
    """Observation 1: under any belief over *binary* graders, no abstention is optimal.

    Checks that every grader is binary in the paper's sense (values in {0, 1}, taking the value
    1 somewhere, and 0 on every abstention) and returns whether ``A_c ∩ argmax_r E[g(r)] = ∅``.
    It is a theorem, so a False return is a bug.

    Parameters
    ----------
    grader_values : array of shape (n_graders, n_responses) with entries in {0, 1}
    belief : array of shape (n_graders,)
    abstentions : sequence of int
        Column indices of the abstention responses ``A_c`` (e.g. IDK).

    Returns
    -------
    bool
    """
    values, _ = _check_grader_matrix(grader_values, belief)
    abstain = np.zeros(values.shape[1], dtype=bool)
    abstain[np.asarray(abstentions, dtype=np.int64)] = True
    if not np.isin(values, (0.0, 1.0)).all():
        fail("grader_values", "binary: every entry 0 or 1", values)
    if values[:, abstain].any():
        fail("grader_values", "binary: 0 on every abstention column", values)
    if not values.any(axis=1).all():
        fail("grader_values", "binary: every grader scores some response 1", values)
    best = optimal_responses(values, belief)
    return not abstain[best].any()


# ---------------------------------------------------------------------------------------------
# Test takers

_KINDS = ("guess", "threshold", "fixed_abstention")


@dataclass(frozen=True)
class Policy:
    """A test taker's rule for answering or abstaining.

    Build one with :meth:`always_guess`, :meth:`calibrated`, :meth:`miscalibrated` or
    :meth:`fixed_abstention`.

    Attributes
    ----------
    name : str
    kind : {"guess", "threshold", "fixed_abstention"}
        ``guess`` always answers (Model B); ``threshold`` answers iff its stated confidence
        exceeds the target ``t`` (behavioral calibration when the confidence is the true
        probability: Model A); ``fixed_abstention`` abstains on the ``abstention_rate`` fraction
        of questions with the lowest stated confidence, whatever the target.
    temperature, logit_shift : float
        The stated confidence is ``sigmoid(logit(p)/temperature + logit_shift)``: temperature
        < 1 or a positive shift is over-confident, temperature > 1 or a negative shift
        under-confident; (1, 0) states the true probability ``p``.
    abstention_rate : float in [0, 1]
        Only for ``fixed_abstention``.
    """

    name: str
    kind: str
    temperature: float = 1.0
    logit_shift: float = 0.0
    abstention_rate: float = 0.0

    def __post_init__(self):
        check_choice("kind", self.kind, _KINDS)
        check_float("temperature", self.temperature, low=0.0, low_open=True)
        check_float("logit_shift", self.logit_shift)
        check_float("abstention_rate", self.abstention_rate, low=0.0, high=1.0)

    @classmethod
    def always_guess(cls, name: str = "always guess (Model B)") -> Policy:
        """Always answer, whatever the target: the paper's Model B."""
        return cls(name, "guess")

    @classmethod
    def calibrated(cls, name: str = "behaviorally calibrated (Model A)") -> Policy:
        """Answer iff the true probability of being correct exceeds ``t``: the paper's Model A."""
        return cls(name, "threshold")

    @classmethod
    def miscalibrated(cls, name: str, *, temperature: float = 1.0, logit_shift: float = 0.0) -> Policy:
        """Answer iff a distorted confidence ``sigmoid(logit(p)/temperature + logit_shift)`` exceeds ``t``."""
        return cls(name, "threshold", temperature=temperature, logit_shift=logit_shift)

    @classmethod
    def fixed_abstention(cls, rate: float, name: str | None = None) -> Policy:
        """Abstain on a fixed fraction ``rate`` of the questions (the least confident), whatever ``t``."""
        return cls(name or f"fixed abstention {rate:.0%}", "fixed_abstention", abstention_rate=rate)

    def stated_confidence(self, p_correct) -> np.ndarray:
        """The confidence the policy acts on: ``sigmoid(logit(p)/temperature + logit_shift)``.

        Parameters
        ----------
        p_correct : array in [0, 1]
            True probabilities of a correct answer.

        Returns
        -------
        ndarray
        """
        p = np.asarray(p_correct, dtype=np.float64)
        if self.temperature == 1.0 and self.logit_shift == 0.0:
            return p.copy()
        with np.errstate(divide="ignore"):
            logit = np.log(p) - np.log1p(-p)
        z = logit / self.temperature + self.logit_shift
        return 0.5 * (1.0 + np.tanh(0.5 * z))  # sigmoid, stable at ±inf

    def answer_probability(self, p_correct, t) -> np.ndarray:
        """Probability that the policy answers each question at target ``t``.

        0 or 1 except for ``fixed_abstention``, whose abstained mass ``rate·n`` is split
        fractionally on the one question at the boundary (questions ordered by stated
        confidence, ties by index).

        Parameters
        ----------
        p_correct : array in [0, 1]
        t : float
            The stated confidence target.

        Returns
        -------
        ndarray in [0, 1]
        """
        p = np.asarray(p_correct, dtype=np.float64)
        if self.kind == "guess":
            return np.ones_like(p)
        confidence = self.stated_confidence(p)
        if self.kind == "threshold":
            return (confidence > t).astype(np.float64)
        order = np.argsort(confidence, kind="stable")
        answer = np.empty_like(p)
        answer[order] = np.clip(np.arange(1, p.size + 1) - self.abstention_rate * p.size, 0.0, 1.0)
        return answer


@dataclass(frozen=True)
class PolicyOutcome:
    """How a policy fares on a question population at one target ``t``.

    Attributes
    ----------
    policy : str
    target : float
        The confidence target stated to the test taker.
    answer_rate : float
        Fraction of questions answered.
    accuracy_answered : float
        Fraction of answered questions answered correctly (NaN if none answered).
    error_rate : float
        Fraction of all questions answered wrongly (the hallucination rate).
    score_binary : float
        Mean score under binary grading (= accuracy over all questions).
    score_target : float
        Mean score under the target grader ``t``.
    """

    policy: str
    target: float
    answer_rate: float
    accuracy_answered: float
    error_rate: float
    score_binary: float
    score_target: float

    def as_row(self) -> dict:
        """The fields as a dict (one row of a results table)."""
        return asdict(self)


def _check_population(p_correct) -> np.ndarray:
    p = np.asarray(p_correct, dtype=np.float64)
    if p.ndim != 1 or p.size == 0:
        fail("p_correct", "a non-empty 1-D array of probabilities in [0, 1]", f"<an array of shape {p.shape}>")
    ok = np.isfinite(p) & (p >= 0.0) & (p <= 1.0)
    if not ok.all():
        bad = int(np.flatnonzero(~ok)[0])
        fail("p_correct", "a non-empty 1-D array of probabilities in [0, 1]", f"<{float(p[bad])!r} at index {bad}>")
    return p


def _outcome(policy, t, answered, correct_mass, n) -> PolicyOutcome:
    # answered, correct_mass: per-question answer weight and (answer weight × correctness).
    n_answered = float(answered.sum())
    n_correct = float(correct_mass.sum())
    n_wrong = n_answered - n_correct
    grader = target_grader(t)
    return PolicyOutcome(
        policy=policy.name,
        target=t,
        answer_rate=n_answered / n,
        accuracy_answered=n_correct / n_answered if n_answered > 0 else math.nan,
        error_rate=n_wrong / n,
        score_binary=n_correct / n,
        score_target=(n_correct * grader.correct + n_wrong * grader.wrong + (n - n_answered) * grader.abstain) / n,
    )


def expected_outcome(p_correct, policy: Policy, t: float) -> PolicyOutcome:
    """Expected rates and scores of ``policy`` on a question population at target ``t``.

    Parameters
    ----------
    p_correct : 1-D array in [0, 1]
        Each question's true probability that the model's answer is correct.
    policy : Policy
    t : float in [0, 1)
        The stated confidence target; the score under :func:`target_grader` ``(t)`` and under
        :func:`binary_grader` are both reported.

    Returns
    -------
    PolicyOutcome
    """
    p = _check_population(p_correct)
    t = check_float("t", t, low=0.0, high=1.0, high_open=True)
    answered = policy.answer_probability(p, t)
    return _outcome(policy, t, answered, answered * p, p.size)


def sampled_outcome(p_correct, policy: Policy, t: float, *, seed=None) -> PolicyOutcome:
    """One realised test: correctness of each answer drawn as Bernoulli(``p_correct``).

    Parameters
    ----------
    p_correct : 1-D array in [0, 1]
    policy : Policy
    t : float in [0, 1)
    seed : None, int, SeedSequence or Generator
        Normalised by :func:`hallusim._rng.as_seed_sequence`.

    Returns
    -------
    PolicyOutcome
        The same fields as :func:`expected_outcome`, realised.
    """
    p = _check_population(p_correct)
    t = check_float("t", t, low=0.0, high=1.0, high_open=True)
    rng = np.random.Generator(np.random.PCG64(as_seed_sequence(seed)))
    correct, answer_u = rng.random((2, p.size))
    return _realised(p, policy, t, correct < p, answer_u)


def _realised(p, policy, t, correct, answer_u) -> PolicyOutcome:
    answered = answer_u < policy.answer_probability(p, t)
    return _outcome(policy, t, answered.astype(np.float64), (answered & correct).astype(np.float64), p.size)


def simulate_test_takers(p_correct, policies, targets, *, n_draws: int = 0, seed=None) -> list[dict]:
    """Expected and sampled scores of several policies over several targets.

    Sampled tests use common random numbers: in draw ``k`` every policy and target sees the
    same correctness of each question (the model's answer is the same; only whether it is
    submitted differs), so differences between policies are paired.

    Parameters
    ----------
    p_correct : 1-D array in [0, 1]
    policies : sequence of Policy
    targets : sequence of float in [0, 1)
    n_draws : int, optional
        Number of sampled tests (0: expected values only).
    seed : None, int, SeedSequence or Generator

    Returns
    -------
    list of dict
        One row per (policy, target): the :class:`PolicyOutcome` fields of the expectation, and
        with ``n_draws > 0`` the mean and standard deviation over draws of ``score_binary`` and
        ``score_target`` (keys ``sampled_score_binary_mean`` and so on).
    """
    p = _check_population(p_correct)
    n_draws = check_int("n_draws", n_draws, minimum=0)
    targets = [check_float("targets", t, low=0.0, high=1.0, high_open=True) for t in targets]
    policies = list(policies)
    rows = {(k, j): expected_outcome(p, pol, t).as_row() for k, pol in enumerate(policies) for j, t in enumerate(targets)}
    if n_draws:
        rng = np.random.Generator(np.random.PCG64(as_seed_sequence(seed)))
        draws = {key: np.empty((n_draws, 2)) for key in rows}
        for d in range(n_draws):
            correct_u, answer_u = rng.random((2, p.size))
            correct = correct_u < p
            for (k, j), store in draws.items():
                out = _realised(p, policies[k], targets[j], correct, answer_u)
                store[d] = out.score_binary, out.score_target
        for key, store in draws.items():
            sd = store.std(axis=0, ddof=1) if n_draws > 1 else np.full(2, math.nan)
            rows[key].update(
                sampled_score_binary_mean=float(store[:, 0].mean()),
                sampled_score_binary_sd=float(sd[0]),
                sampled_score_target_mean=float(store[:, 1].mean()),
                sampled_score_target_sd=float(sd[1]),
                n_draws=n_draws,
            )
    return [rows[key] for key in sorted(rows)]


# ---------------------------------------------------------------------------------------------
# Behavioral calibration


@dataclass(frozen=True)
class BehavioralAudit:
    """Behavioral-calibration audit of a policy across confidence targets (Section 4.2).

    A behaviorally calibrated test taker answers exactly the questions whose probability of
    being correct exceeds the target ``t``. Per target, the policy's rates are reported beside
    those of that ideal, and the deviation

        ``deviation(t) = mean_i |p_i − t| · |a_i − 1[p_i > t]|``

    (``a_i`` the answer probability) measures the decisions that differ from the ideal, each
    weighted by how much it matters; it equals ``(1 − t)`` times the policy's expected-score
    regret under the target grader ``t`` and is 0 iff the policy is behaviorally calibrated at
    ``t`` (up to questions with ``p_i = t``).

    Attributes
    ----------
    policy : str
    targets : ndarray
    answer_rate, accuracy_answered, error_rate : ndarray
        The policy's expected rates per target.
    ideal_answer_rate, ideal_accuracy_answered, ideal_error_rate : ndarray
        The same for the behaviorally calibrated reference (answer iff ``p > t``).
    accuracy_shortfall : ndarray
        ``max(0, t − accuracy_answered)``: an observable necessary condition (a behaviorally
        calibrated model's accuracy among answered exceeds ``t``); 0 where nothing is answered.
    deviation_per_target : ndarray
    deviation : float
        The mean of ``deviation_per_target``. With targets at the midpoints of a uniform grid on
        [0, 1] it approximates ``∫_0^1 deviation(t) dt``, which for a threshold policy stating
        confidence ``c_i`` equals ``mean_i (c_i − p_i)² / 2``.
    """

    policy: str
    targets: np.ndarray
    answer_rate: np.ndarray
    accuracy_answered: np.ndarray
    error_rate: np.ndarray
    ideal_answer_rate: np.ndarray
    ideal_accuracy_answered: np.ndarray
    ideal_error_rate: np.ndarray
    accuracy_shortfall: np.ndarray
    deviation_per_target: np.ndarray
    deviation: float

    def rows(self) -> list[dict]:
        """One dict per target (for a results table)."""
        names = [f for f in self.__dataclass_fields__ if f not in ("policy", "targets", "deviation")]
        return [
            {"policy": self.policy, "target": float(t), **{f: float(getattr(self, f)[k]) for f in names}, "deviation": self.deviation}
            for k, t in enumerate(self.targets)
        ]


def midpoint_targets(n: int) -> np.ndarray:
    """The midpoints ``(k + 1/2)/n``, ``k = 0..n−1``: targets whose mean deviation integrates over [0, 1].

    Parameters
    ----------
    n : int
        Number of targets.

    Returns
    -------
    ndarray
    """
    n = check_int("n", n, minimum=1)
    return (np.arange(n) + 0.5) / n


def behavioral_audit(p_correct, policy: Policy, targets=None) -> BehavioralAudit:
    """Audit ``policy`` for behavioral calibration across targets (expected values).

    Parameters
    ----------
    p_correct : 1-D array in [0, 1]
        The true probability that each answer is correct.
    policy : Policy
    targets : sequence of float in [0, 1), optional
        Default: 100 midpoints of a uniform grid (:func:`midpoint_targets`).

    Returns
    -------
    BehavioralAudit
    """
    p = _check_population(p_correct)
    targets = midpoint_targets(100) if targets is None else np.asarray(
        [check_float("targets", t, low=0.0, high=1.0, high_open=True) for t in targets]
    )
    ideal = Policy.calibrated()
    fields = {k: np.empty(targets.size) for k in BehavioralAudit.__dataclass_fields__ if k not in ("policy", "targets", "deviation")}
    for k, t in enumerate(targets):
        actual = expected_outcome(p, policy, t)
        best = expected_outcome(p, ideal, t)
        fields["answer_rate"][k] = actual.answer_rate
        fields["accuracy_answered"][k] = actual.accuracy_answered
        fields["error_rate"][k] = actual.error_rate
        fields["ideal_answer_rate"][k] = best.answer_rate
        fields["ideal_accuracy_answered"][k] = best.accuracy_answered
        fields["ideal_error_rate"][k] = best.error_rate
        acc = actual.accuracy_answered
        fields["accuracy_shortfall"][k] = 0.0 if math.isnan(acc) else max(0.0, t - acc)
        answered = policy.answer_probability(p, t)
        fields["deviation_per_target"][k] = float(np.mean(np.abs(p - t) * np.abs(answered - (p > t))))
    return BehavioralAudit(
        policy=policy.name,
        targets=targets,
        deviation=float(fields["deviation_per_target"].mean()),
        **fields,
    )
