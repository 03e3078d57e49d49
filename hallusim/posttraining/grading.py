"""Graders, explicit confidence targets and the test-taker simulation (Section 4 of the paper).

A *grader* scores the three kinds of response a model can give to a question: a correct answer,
a wrong answer, or an abstention (IDK). Three families are provided:

* :func:`binary_grader`: correct 1, wrong 0, IDK 0 (accuracy, pass rate; the paper's "binary"
  graders, under which abstaining is never optimal, Observation 1: :func:`observation1_holds`);
* :func:`target_grader`: the paper's *explicit confidence target* ``t``: correct 1, wrong
  ``−t/(1 − t)`` (from :func:`hallusim.bounds.confidence_penalty`), IDK 0, so that answering beats
  IDK iff ``Pr[correct] > t``; ``t = 0`` is binary grading;
* :func:`payoff_grader`: any payoff triple (correct, wrong, abstain) with correct > wrong.

:func:`response_rates` turns counts of answered and correct responses into the answer rate,
accuracy among answered, error rate and a grader's mean score (the one formula used both here
and by :mod:`hallusim.evallogs`).

A *test taker* is a population of questions, each with the model's true probability of being
correct, and a :class:`Policy` deciding when to answer: always guess (the paper's Model B),
answer iff confidence exceeds the target (behavioral calibration, Model A), the same with a
distorted confidence (over- or under-confident), or a fixed abstention rate.
:func:`expected_outcome` and :func:`sampled_outcome` score a policy under binary and target
grading, :func:`simulate_test_takers` several policies with paired draws; :func:`behavioral_audit`
audits behavioral calibration across targets.

The graders and Observation 1 live in the private module ``hallusim.posttraining._graders`` and are
re-exported here; import them from :mod:`hallusim.posttraining.grading`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from hallusim._rng import as_seed_sequence
from hallusim._validation import (
    check_choice,
    check_float,
    check_int,
    check_targets,
    fail,
)
from hallusim.posttraining._graders import (
    Grader,
    binary_grader,
    expected_grader_scores,
    observation1_holds,
    optimal_responses,
    payoff_grader,
    response_rates,
    target_grader,
)

__all__ = [
    "Grader",
    "binary_grader",
    "target_grader",
    "payoff_grader",
    "response_rates",
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
        p_correct : 1-D array in [0, 1]
            True probabilities of a correct answer.

        Returns
        -------
        ndarray
        """
        return self._stated_confidence(_check_population(p_correct))

    def _stated_confidence(self, p) -> np.ndarray:
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
        p_correct : 1-D array in [0, 1]
            True probabilities of a correct answer.
        t : float in [0, 1)
            The stated confidence target.

        Returns
        -------
        ndarray in [0, 1]
        """
        p = _check_population(p_correct)
        return self._answer_probability(p, _check_target(t))

    def _answer_probability(self, p, t) -> np.ndarray:
        if self.kind == "guess":
            return np.ones_like(p)
        confidence = self._stated_confidence(p)
        if self.kind == "threshold":
            return (confidence > t).astype(np.float64)
        order = np.argsort(confidence, kind="stable")
        answer = np.empty_like(p)
        answer[order] = np.clip(np.arange(1, p.size + 1) - self.abstention_rate * p.size, 0.0, 1.0)
        return answer


@dataclass(frozen=True)
class PolicyOutcome:
    """How a policy fares on a question population at one target ``t``.

    The rates and scores come from :func:`response_rates`.

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

    def to_dict(self) -> dict:
        """The fields as a dict (one row of a results table)."""
        return asdict(self)


def _check_population(p_correct) -> np.ndarray:
    allowed = "a non-empty 1-D array of probabilities in [0, 1]"
    try:
        p = np.asarray(p_correct, dtype=np.float64)
    except (TypeError, ValueError):
        fail("p_correct", allowed, "<a ragged or non-numeric sequence>")
    if p.ndim != 1 or p.size == 0:
        fail("p_correct", allowed, f"<an array of shape {p.shape}>")
    ok = np.isfinite(p) & (p >= 0.0) & (p <= 1.0)
    if not ok.all():
        bad = int(np.flatnonzero(~ok)[0])
        fail("p_correct", allowed, f"<{float(p[bad])!r} at index {bad}>")
    return p


def _check_target(t, name="t") -> float:
    return check_float(name, t, low=0.0, high=1.0, high_open=True)


def _check_policy(policy) -> Policy:
    if not isinstance(policy, Policy):
        fail("policy", "a hallusim.posttraining.grading.Policy", policy, error=TypeError)
    return policy


def _outcome(policy, t, answered, correct_mass, n) -> PolicyOutcome:
    # answered, correct_mass: per-question answer weight and (answer weight × correctness).
    n_answered = float(answered.sum())
    n_correct = float(correct_mass.sum())
    rates = response_rates(n, n_answered, n_correct, target_grader(t))
    return PolicyOutcome(
        policy=policy.name,
        target=t,
        answer_rate=rates["answer_rate"],
        accuracy_answered=rates["accuracy_answered"],
        error_rate=rates["error_rate"],
        score_binary=response_rates(n, n_answered, n_correct, binary_grader())["score"],
        score_target=rates["score"],
    )


def _expected(p, policy, t, weights=None) -> PolicyOutcome:
    answered = policy._answer_probability(p, t)
    if weights is None:
        return _outcome(policy, t, answered, answered * p, p.size)
    return _outcome(policy, t, weights * answered, weights * answered * p, weights.sum())


def _check_answer_probabilities(answers, n) -> np.ndarray:
    if not hasattr(answers, "__len__"):
        fail("policy", f"a Policy or a 1-D array of {n} answer probabilities in [0, 1]", answers, error=TypeError)
    allowed = f"a Policy or a 1-D array of {n} answer probabilities in [0, 1] (one per question)"
    try:
        a = np.asarray(answers, dtype=np.float64)
    except (TypeError, ValueError):
        fail("policy", allowed, "<a ragged or non-numeric sequence>")
    if a.shape != (n,):
        fail("policy", allowed, f"<an array of shape {a.shape}>")
    ok = np.isfinite(a) & (a >= 0.0) & (a <= 1.0)
    if not ok.all():
        bad = int(np.flatnonzero(~ok)[0])
        fail("policy", allowed, f"<{float(a[bad])!r} at index {bad}>")
    return a


def _check_weights(weights, n, policy):
    if weights is None:
        return None
    if policy.kind == "fixed_abstention":
        fail("weights", "None with a fixed_abstention policy (its abstained fraction counts questions)", "<weights>")
    allowed = f"a 1-D array of {n} finite non-negative floats, not all zero (one per question)"
    try:
        w = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError):
        fail("weights", allowed, "<a ragged or non-numeric sequence>")
    if w.shape != (n,) or not (np.isfinite(w).all() and (w >= 0).all() and w.sum() > 0):
        fail("weights", allowed, f"<an array of shape {w.shape}>" if w.shape != (n,) else f"<sum {w.sum()!r}, min {w.min()!r}>")
    return w


def expected_outcome(p_correct, policy: Policy, t: float) -> PolicyOutcome:
    """Expected rates and scores of ``policy`` on a question population at target ``t``.

    Parameters
    ----------
    p_correct : 1-D array in [0, 1]
        Each question's true probability that the model's answer is correct.
    policy : Policy
        When the test taker answers.
    t : float in [0, 1)
        The stated confidence target; the score under :func:`target_grader` ``(t)`` and under
        :func:`binary_grader` are both reported.

    Returns
    -------
    PolicyOutcome
    """
    return _expected(_check_population(p_correct), _check_policy(policy), _check_target(t))


def sampled_outcome(p_correct, policy: Policy, t: float, *, seed=None) -> PolicyOutcome:
    """One realised test: correctness of each answer drawn as Bernoulli(``p_correct``).

    Parameters
    ----------
    p_correct : 1-D array in [0, 1]
        Each question's true probability that the model's answer is correct.
    policy : Policy
        When the test taker answers.
    t : float in [0, 1)
        The stated confidence target.
    seed : None, int, SeedSequence or Generator
        Normalised by :func:`hallusim._rng.as_seed_sequence`.

    Returns
    -------
    PolicyOutcome
        The same fields as :func:`expected_outcome`, realised.
    """
    p = _check_population(p_correct)
    policy = _check_policy(policy)
    t = _check_target(t)
    rng = np.random.Generator(np.random.PCG64(as_seed_sequence(seed)))
    correct, answer_u = rng.random((2, p.size))
    return _realised(p, policy, t, correct < p, answer_u)


def _realised(p, policy, t, correct, answer_u) -> PolicyOutcome:
    answered = answer_u < policy._answer_probability(p, t)
    return _outcome(policy, t, answered.astype(np.float64), (answered & correct).astype(np.float64), p.size)


_SAMPLED = ("score_binary", "score_target", "error_rate")


def simulate_test_takers(p_correct, policies, targets, *, n_draws: int = 0, seed=None) -> list[dict]:
    """Expected and sampled scores of several policies over several targets.

    Sampled tests use common random numbers: in draw ``k`` every policy and target sees the
    same correctness of each question (the model's answer is the same; only whether it is
    submitted differs), so differences between policies are paired.

    Parameters
    ----------
    p_correct : 1-D array in [0, 1]
        Each question's true probability that the model's answer is correct.
    policies : non-empty list or tuple of Policy
        The test takers.
    targets : non-empty sequence of float in [0, 1)
        The stated confidence targets.
    n_draws : int, optional
        Number of sampled tests (0: expected values only).
    seed : None, int, SeedSequence or Generator
        Normalised by :func:`hallusim._rng.as_seed_sequence`.

    Returns
    -------
    list of dict
        One row per (policy, target), policies outermost: the :class:`PolicyOutcome` fields of
        the expectation, and with ``n_draws > 0`` the mean and standard deviation over draws
        (NaN for one draw) of the realised ``score_binary``, ``score_target`` and
        ``error_rate`` (keys ``sampled_score_binary_mean``, ``sampled_score_binary_sd`` and so
        on) and ``n_draws``.
    """
    p = _check_population(p_correct)
    n_draws = check_int("n_draws", n_draws, minimum=0)
    targets = check_targets("targets", targets).tolist()
    if isinstance(policies, Policy) or not isinstance(policies, (list, tuple)) or not policies:
        fail("policies", "a non-empty list or tuple of Policy", policies)
    for policy in policies:
        _check_policy(policy)
    keys = [(k, j) for k in range(len(policies)) for j in range(len(targets))]
    rows = {(k, j): _expected(p, policies[k], targets[j]).to_dict() for k, j in keys}
    if n_draws:
        rng = np.random.Generator(np.random.PCG64(as_seed_sequence(seed)))
        draws = {key: np.empty((n_draws, len(_SAMPLED))) for key in keys}
        for d in range(n_draws):
            correct_u, answer_u = rng.random((2, p.size))
            correct = correct_u < p
            for (k, j), store in draws.items():
                out = _realised(p, policies[k], targets[j], correct, answer_u)
                store[d] = [getattr(out, name) for name in _SAMPLED]
        for key, store in draws.items():
            sd = store.std(axis=0, ddof=1) if n_draws > 1 else np.full(len(_SAMPLED), math.nan)
            for i, name in enumerate(_SAMPLED):
                rows[key][f"sampled_{name}_mean"] = float(store[:, i].mean())
                rows[key][f"sampled_{name}_sd"] = float(sd[i])
            rows[key]["n_draws"] = n_draws
    return [rows[key] for key in keys]


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


def behavioral_audit(p_correct, policy, targets=None, *, weights=None, name="fixed answer probabilities") -> BehavioralAudit:
    """Audit ``policy`` for behavioral calibration across targets (expected values).

    Parameters
    ----------
    p_correct : 1-D array in [0, 1]
        The true probability that each answer is correct (for a model that may abstain: given
        that it answers).
    policy : Policy or 1-D array in [0, 1]
        The test taker audited: a :class:`Policy`, or each question's probability of being
        answered by a test taker that does not see the target (e.g. a trained model,
        ``1 − p̂(IDK | c)``), the same at every target.
    targets : non-empty sequence of float in [0, 1), optional
        Default: 100 midpoints of a uniform grid (:func:`midpoint_targets`).
    weights : 1-D array of non-negative float, optional
        A weight per question (e.g. the prompt distribution ``μ(c)``), so that every rate and
        the deviation are weighted means, ``Σ_i w_i x_i / Σ_i w_i``. Default: every question
        counts once. Not with a ``fixed_abstention`` policy (whose abstained fraction counts
        questions).
    name : str, optional
        The audit's ``policy`` label when ``policy`` is an array.

    Returns
    -------
    BehavioralAudit
    """
    p = _check_population(p_correct)
    answers = None
    if not isinstance(policy, Policy):
        answers = _check_answer_probabilities(policy, p.size)
        policy = Policy(str(name), "guess")  # carries the name only: this test taker's answers are `answers`
    w = _check_weights(weights, p.size, policy)
    targets = midpoint_targets(100) if targets is None else check_targets("targets", targets)
    ideal = Policy.calibrated()
    fields = {k: np.empty(targets.size) for k in BehavioralAudit.__dataclass_fields__ if k not in ("policy", "targets", "deviation")}
    for k, t in enumerate(targets.tolist()):
        answered = policy._answer_probability(p, t) if answers is None else answers
        actual = _outcome(policy, t, answered, answered * p, p.size) if w is None else (
            _outcome(policy, t, w * answered, w * answered * p, w.sum()))
        best = _expected(p, ideal, t, w)
        fields["answer_rate"][k] = actual.answer_rate
        fields["accuracy_answered"][k] = actual.accuracy_answered
        fields["error_rate"][k] = actual.error_rate
        fields["ideal_answer_rate"][k] = best.answer_rate
        fields["ideal_accuracy_answered"][k] = best.accuracy_answered
        fields["ideal_error_rate"][k] = best.error_rate
        acc = actual.accuracy_answered
        fields["accuracy_shortfall"][k] = 0.0 if math.isnan(acc) else max(0.0, t - acc)
        gap = np.abs(p - t) * np.abs(answered - (p > t))
        fields["deviation_per_target"][k] = float(np.mean(gap) if w is None else w @ gap / w.sum())
    return BehavioralAudit(
        policy=policy.name,
        targets=targets,
        deviation=float(fields["deviation_per_target"].mean()),
        **fields,
    )
