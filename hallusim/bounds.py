"""Every bound of the paper as a pure, vectorised function.

Kalai, Nachum, Vempala & Zhang, "Why Language Models Hallucinate" (arXiv:2509.04664, 2025);
numbering as in the docs' theory page. Arguments broadcast like NumPy ufuncs; a scalar input
gives a float. Lower bounds can be negative: a negative lower bound is vacuous, and is
returned as computed (not clipped) so that the slack stays visible.
"""

from __future__ import annotations

import numpy as np

from hallusim._validation import check_number_array

__all__ = [
    "theorem1_lower",
    "theorem2_lower",
    "theorem2_upper",
    "good_turing_deviation",
    "missing_mass_deviation",
    "lemma2_lower",
    "theorem3_lower",
    "theorem4_lower",
    "observation2_lower",
    "confidence_penalty",
    "kalai_vempala_lower",
]


def _out(arr):
    return float(arr) if np.ndim(arr) == 0 else arr


def _gamma(gamma):
    return check_number_array("gamma", gamma, low=0.0, high=1.0, low_open=True)


def theorem1_lower(err_iiv, max_valid, min_errors, delta):
    """Theorem 1: ``err >= 2·err_iiv − max_c |V_c| / min_c |E_c| − δ``.

    Parameters
    ----------
    err_iiv : float or array
        Misclassification rate of the induced Is-It-Valid classifier, Eq. (err_iiv).
    max_valid : int or array
        ``max_c |V_c|`` (2 for Definition 1: the answer and IDK).
    min_errors : int or array
        ``min_c |E_c|`` (364 for birthdays).
    delta : float or array
        Calibration gap ``δ = |p̂(A) − p(A)|`` at the threshold ``1/min_c |E_c|``.

    Returns
    -------
    float or ndarray
        The lower bound on the generative error ``err``. Corollary 1 (no prompts) is the same
        formula with ``|V|`` and ``|E|``.
    """
    err_iiv = check_number_array("err_iiv", err_iiv, low=0.0, high=1.0)
    max_valid = check_number_array("max_valid", max_valid, low=1.0, integer=True)
    min_errors = check_number_array("min_errors", min_errors, low=1.0, integer=True)
    delta = check_number_array("delta", delta, low=0.0, high=1.0)
    return _out(2.0 * err_iiv - max_valid / min_errors - delta)


def theorem2_lower(sr, min_errors, n, delta=0.0, gamma=None):
    """Theorem 2 (arbitrary facts): lower bound on ``err`` from the singleton rate.

    ``err >= sr − 2/min_c |E_c| − 6 ln(3N/γ)/√N − δ`` with probability ``>= 1 − γ``; with
    ``gamma=None`` the paper's stated 99% form ``(35 + 6 ln N)/√N`` is used instead.

    Parameters
    ----------
    sr : float or array
        Singleton rate, Definition 2.
    min_errors : int or array
        ``min_c |E_c|``.
    n : int or array
        Number of training examples ``N`` (IDK examples included).
    delta : float or array, optional
        Calibration gap δ of the model (0 for a calibrated model).
    gamma : float in (0, 1] or None, optional
        Failure probability of the bound.

    Returns
    -------
    float or ndarray
    """
    sr = check_number_array("sr", sr, low=0.0, high=1.0)
    min_errors = check_number_array("min_errors", min_errors, low=1.0, integer=True)
    n = check_number_array("n", n, low=1.0, integer=True)
    delta = check_number_array("delta", delta, low=0.0, high=1.0)
    if gamma is None:
        slack = (35.0 + 6.0 * np.log(n)) / np.sqrt(n)
    else:
        slack = 6.0 * np.log(3.0 * n / _gamma(gamma)) / np.sqrt(n)
    return _out(sr - 2.0 / min_errors - slack - delta)


def theorem2_upper(sr, max_errors, n, gamma=None):
    """Theorem 2 (achievability): the calibrated learner of Appendix B has, w.p. ``>= 1 − γ``,
    ``err <= sr − sr/(L + 1) + 5·sqrt(ln(5/γ)/N)`` with ``L = max_c |E_c|``.

    With ``gamma=None`` the paper's 99% form ``13/√N`` is used.

    Parameters
    ----------
    sr : float or array
        Singleton rate, Definition 2.
    max_errors : int or array
        ``L = max_c |E_c|``.
    n : int or array
        Number of training examples ``N``.
    gamma : float in (0, 1] or None, optional

    Returns
    -------
    float or ndarray
    """
    sr = check_number_array("sr", sr, low=0.0, high=1.0)
    max_errors = check_number_array("max_errors", max_errors, low=1.0, integer=True)
    n = check_number_array("n", n, low=1.0, integer=True)
    if gamma is None:
        slack = 13.0 / np.sqrt(n)
    else:
        slack = 5.0 * np.sqrt(np.log(5.0 / _gamma(gamma)) / n)
    return _out(sr - sr / (max_errors + 1.0) + slack)


def good_turing_deviation(n, gamma):
    """Corollary 3 (McAllester & Ortiz 2003): ``|M − GT| <= 1/N + 2.42·sqrt(ln(4/γ)/N)``
    with probability ``>= 1 − γ``, for the missing mass ``M`` and the singleton fraction ``GT``.

    Parameters
    ----------
    n : int or array
        Sample size ``N``.
    gamma : float or array in (0, 1]

    Returns
    -------
    float or ndarray
        The half-width of the interval around the Good–Turing estimate.
    """
    n = check_number_array("n", n, low=1.0, integer=True)
    return _out(1.0 / n + 2.42 * np.sqrt(np.log(4.0 / _gamma(gamma)) / n))


def missing_mass_deviation(n, gamma):
    """Lemma 1: ``|MM − sr| <= 4.42·sqrt(ln(5/γ)/N)`` with probability ``>= 1 − γ``, for the
    missing mass with abstentions ``MM`` and the singleton rate ``sr``.

    Parameters
    ----------
    n : int or array
        Number of training examples ``N``.
    gamma : float or array in (0, 1]

    Returns
    -------
    float or ndarray
        The half-width of the interval around ``sr``.
    """
    n = check_number_array("n", n, low=1.0, integer=True)
    return _out(4.42 * np.sqrt(np.log(5.0 / _gamma(gamma)) / n))


def lemma2_lower(sr, n, gamma):
    """Lemma 2: ``2·err_iiv >= sr − 6 ln(3N/γ)/√N`` with probability ``>= 1 − γ``, any learner.

    Parameters
    ----------
    sr : float or array
        Singleton rate, Definition 2.
    n : int or array
        Number of training examples ``N``.
    gamma : float or array in (0, 1]

    Returns
    -------
    float or ndarray
        The lower bound on ``2·err_iiv`` (twice the IIV error, as the lemma states it).
    """
    sr = check_number_array("sr", sr, low=0.0, high=1.0)
    n = check_number_array("n", n, low=1.0, integer=True)
    return _out(sr - 6.0 * np.log(3.0 * n / _gamma(gamma)) / np.sqrt(n))


def theorem3_lower(opt, n_choices):
    """Theorem 3 (pure multiple choice): ``err >= 2(1 − 1/C)·opt(G)``.

    Parameters
    ----------
    opt : float or array
        Agnostic error ``opt(G)`` of the classifier family induced by the model family.
    n_choices : int or array
        Number of choices ``C = min_c |E_c| + 1`` (>= 2).

    Returns
    -------
    float or ndarray
    """
    opt = check_number_array("opt", opt, low=0.0, high=1.0)
    n_choices = check_number_array("n_choices", n_choices, low=2.0, integer=True)
    return _out(2.0 * (1.0 - 1.0 / n_choices) * opt)


def theorem4_lower(err_iiv_t, n_choices):
    """Theorem 4: ``err >= 2(1 − 1/C)·err_iiv(f̂_t)`` for the threshold ``t`` it asserts exists.

    Parameters
    ----------
    err_iiv_t : float or array
        ``err_iiv`` of the thresholded classifier ``f̂_t`` (``+`` iff ``p̂(r|c) > t``).
    n_choices : int or array
        Number of choices ``C``.

    Returns
    -------
    float or ndarray
    """
    return theorem3_lower(err_iiv_t, n_choices)


def observation2_lower(beta, n_messages, delta):
    """Observation 2 (computational hardness): ``err >= 1 − β − 2/(|M| − 1) − δ`` when the
    induced classifier does not β-break the encryption scheme.

    Parameters
    ----------
    beta : float or array in [0, 1]
        Advantage bound of the classifier.
    n_messages : int or array
        ``|M|`` (>= 2), the number of messages.
    delta : float or array
        Calibration gap δ.

    Returns
    -------
    float or ndarray
    """
    beta = check_number_array("beta", beta, low=0.0, high=1.0)
    n_messages = check_number_array("n_messages", n_messages, low=2.0, integer=True)
    delta = check_number_array("delta", delta, low=0.0, high=1.0)
    return _out(1.0 - beta - 2.0 / (n_messages - 1.0) - delta)


def kalai_vempala_lower(monofact_rate, miscalibration, facts_per_hallucination, n, gamma=None):
    """Kalai & Vempala (STOC 2024), the older bound that Theorem 2 refines: hallucination rate
    ``>= MF̂ − Mis − 300·|F|/|H| − 7/√n`` with probability ``>= 99%``.

    With ``gamma`` the general form ``MF̂ − Mis − 3|F|/(γ|H|) − sqrt(6 ln(6/γ)/n)`` (probability
    ``>= 1 − γ``) is used; at ``γ = 0.01`` it is at least the 99% form, whose constants round
    ``3/0.01 = 300`` and ``sqrt(6 ln 600) ≈ 6.2`` up to 7.

    Parameters
    ----------
    monofact_rate : float or array in [0, 1]
        ``MF̂``, the fraction of the ``n`` training examples whose fact occurs exactly once (the
        singleton rate ``sr`` of Definition 2 when every example states a fact).
    miscalibration : float or array in [0, 1]
        ``Mis``, the model's bin-wise miscalibration (total variation between the model's
        distribution and the truth coarsened on the model's probability bins).
    facts_per_hallucination : float or array >= 0
        ``|F|/|H|``: true facts per possible hallucination (``1/min_c |E_c|`` in a world of
        Definition 1, where each prompt has one fact and ``|E_c|`` plausible falsehoods).
    n : int or array
        Number of training examples.
    gamma : float in (0, 1] or None, optional
        Failure probability; None for the stated 99% form.

    Returns
    -------
    float or ndarray
    """
    monofact_rate = check_number_array("monofact_rate", monofact_rate, low=0.0, high=1.0)
    miscalibration = check_number_array("miscalibration", miscalibration, low=0.0, high=1.0)
    ratio = check_number_array("facts_per_hallucination", facts_per_hallucination, low=0.0)
    n = check_number_array("n", n, low=1.0, integer=True)
    if gamma is None:
        slack = 300.0 * ratio + 7.0 / np.sqrt(n)
    else:
        g = _gamma(gamma)
        slack = 3.0 * ratio / g + np.sqrt(6.0 * np.log(6.0 / g) / n)
    return _out(monofact_rate - miscalibration - slack)


def confidence_penalty(t):
    """Penalty for a wrong answer under an explicit confidence target ``t`` (Section 4.2).

    A correct answer scores 1, a wrong one ``−t/(1 − t)``, IDK 0, so answering beats IDK iff
    ``Pr[correct] > t``. ``t = 0`` is binary grading (penalty 0); ``t = 0.75`` gives 3 (the
    paper's v1 text says 2; the formula rules).

    Parameters
    ----------
    t : float or array in [0, 1)

    Returns
    -------
    float or ndarray
        ``t / (1 − t)``.
    """
    t = check_number_array("t", t, low=0.0, high=1.0, high_open=True)
    return _out(t / (1.0 - t))
