"""The bounds: values from the formulas of the paper written out by hand, and their stated
relations (the 99% forms dominate the γ forms at γ = 0.01)."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallusim import bounds


def test_theorem1():
    assert bounds.theorem1_lower(0.3, 2, 364, 0.01) == pytest.approx(0.6 - 2 / 364 - 0.01, abs=1e-15)


def test_theorem2_lower_stated_form_and_gamma_form():
    n = 10**8
    assert bounds.theorem2_lower(0.2, 364, n) == pytest.approx(0.2 - 2 / 364 - (35 + 6 * math.log(n)) / 1e4, abs=1e-15)
    assert bounds.theorem2_lower(0.2, 364, n, delta=0.05, gamma=0.1) == pytest.approx(
        0.2 - 2 / 364 - 6 * math.log(3 * n / 0.1) / 1e4 - 0.05, abs=1e-15
    )
    # 6 ln(300 N) = 6 ln 300 + 6 ln N <= 35 + 6 ln N: the stated form is the weaker, at γ = 0.01
    ns = np.logspace(1, 12, 50).round()
    assert (bounds.theorem2_lower(0.5, 364, ns) <= bounds.theorem2_lower(0.5, 364, ns, gamma=0.01)).all()


def test_theorem2_upper():
    assert bounds.theorem2_upper(0.3, 364, 10**6) == pytest.approx(0.3 - 0.3 / 365 + 13 / 1000, abs=1e-15)
    ns = np.logspace(1, 12, 50).round()
    assert (bounds.theorem2_upper(0.5, 364, ns, gamma=0.01) <= bounds.theorem2_upper(0.5, 364, ns)).all()


def test_deviations_and_lemma2():
    assert bounds.good_turing_deviation(10**4, 0.05) == pytest.approx(1e-4 + 2.42 * math.sqrt(math.log(80) / 1e4))
    assert bounds.missing_mass_deviation(10**4, 0.05) == pytest.approx(4.42 * math.sqrt(math.log(100) / 1e4))
    assert bounds.lemma2_lower(0.4, 10**6, 0.01) == pytest.approx(0.4 - 6 * math.log(3e8) / 1e3)


def test_theorem3_and_4_and_observation2():
    assert bounds.theorem3_lower(0.5, 2) == pytest.approx(0.5)  # Corollary 2: trigram err >= 1/2
    assert bounds.theorem4_lower(0.1, 4) == pytest.approx(0.15)
    assert bounds.observation2_lower(0.1, 101, 0.0) == pytest.approx(0.9 - 0.02)


@pytest.mark.parametrize("t,penalty", [(0.0, 0.0), (0.5, 1.0), (0.75, 3.0), (0.9, 9.0)])
def test_confidence_penalty(t, penalty):
    # t = 0.75 gives 3 (the paper's v1 text says 2; the formula t/(1−t) rules)
    assert bounds.confidence_penalty(t) == pytest.approx(penalty, rel=1e-12)


def test_vectorised_broadcasting():
    out = bounds.theorem2_lower(np.array([0.1, 0.2]), 364, np.array([[10**6], [10**8]]))
    assert out.shape == (2, 2)
    assert isinstance(bounds.theorem2_lower(0.1, 364, 100), float)


@pytest.mark.parametrize(
    "call,name",
    [
        (lambda: bounds.theorem1_lower(1.5, 2, 364, 0.0), "err_iiv"),
        (lambda: bounds.theorem1_lower(0.5, 2, 0, 0.0), "min_errors"),
        (lambda: bounds.theorem2_lower(0.1, 364, 0), "n"),
        (lambda: bounds.theorem2_lower(0.1, 364, 10.5), "n"),
        (lambda: bounds.theorem3_lower(0.2, 1), "n_choices"),
        (lambda: bounds.confidence_penalty(1.0), "t"),
        (lambda: bounds.observation2_lower(0.1, 1, 0.0), "n_messages"),
    ],
)
def test_bad_arguments(call, name):
    with pytest.raises(ValueError, match=f"`{name}` must be"):
        call()


def test_kalai_vempala_stated_form_and_gamma_form():
    # the 99% form written out: MF̂ − Mis − 300|F|/|H| − 7/√n
    assert bounds.kalai_vempala_lower(0.6, 0.1, 1e-4, 10**4) == pytest.approx(0.6 - 0.1 - 0.03 - 0.07, abs=1e-15)
    assert bounds.kalai_vempala_lower(0.6, 0.1, 1e-4, 10**4, gamma=0.05) == pytest.approx(
        0.6 - 0.1 - 3e-4 / 0.05 - math.sqrt(6 * math.log(120) / 1e4), abs=1e-15
    )


@given(
    mf=st.floats(0.0, 1.0),
    mis=st.floats(0.0, 1.0),
    ratio=st.floats(0.0, 10.0),
    n=st.integers(1, 10**12),
)
def test_kalai_vempala_99_form_is_the_weaker_at_gamma_001_and_never_exceeds_mf(mf, mis, ratio, n):
    stated = bounds.kalai_vempala_lower(mf, mis, ratio, n)
    general = bounds.kalai_vempala_lower(mf, mis, ratio, n, gamma=0.01)
    # 3/0.01 = 300 and sqrt(6 ln 600) ≈ 6.196 <= 7: the rounding only loosens
    assert stated <= general + 1e-12
    assert general <= mf - mis + 1e-12


@given(mf=st.floats(0.0, 1.0), mis=st.floats(0.0, 0.5), ratio=st.floats(0.0, 1e-2), n=st.integers(1, 10**9))
def test_kalai_vempala_monotone(mf, mis, ratio, n):
    base = bounds.kalai_vempala_lower(mf, mis, ratio, n)
    assert bounds.kalai_vempala_lower(mf, mis + 0.1, ratio, n) <= base
    assert bounds.kalai_vempala_lower(mf, mis, ratio * 2, n) <= base
    assert bounds.kalai_vempala_lower(mf, mis, ratio, 4 * n) >= base


@pytest.mark.parametrize("kwargs, name", [
    ({"monofact_rate": 1.5}, "monofact_rate"),
    ({"miscalibration": -0.1}, "miscalibration"),
    ({"facts_per_hallucination": -1.0}, "facts_per_hallucination"),
    ({"n": 0}, "n"),
    ({"gamma": 0.0}, "gamma"),
])
def test_kalai_vempala_rejects_bad_input(kwargs, name):
    args = {"monofact_rate": 0.5, "miscalibration": 0.0, "facts_per_hallucination": 0.01, "n": 100, **kwargs}
    with pytest.raises(ValueError, match=f"`{name}`"):
        bounds.kalai_vempala_lower(**args)


@given(st.integers(1, 10**12), st.floats(0.0, 1.0), st.integers(2, 10**6))
def test_theorem2_99_percent_form_is_no_tighter_than_the_gamma_form_at_one_percent(n, sr, min_errors):
    """The paper's 99% constants round the γ form's up: 6 ln(3N/0.01) <= 35 + 6 ln N, 5√ln 500 <= 13."""
    assert bounds.theorem2_lower(sr, min_errors, n) <= bounds.theorem2_lower(sr, min_errors, n, gamma=0.01)
    assert bounds.theorem2_upper(sr, min_errors, n) >= bounds.theorem2_upper(sr, min_errors, n, gamma=0.01)
