"""Good–Turing estimation: what the counts of a sample say about the mass it has not seen.

Section 3.3.1 and Appendix B of Kalai et al. (2025) rest on the singleton rate ``sr``
(Definition 2) and the missing mass ``MM``; this package computes them and their relatives from
per-item counts:

* ``_estimators``: the frequency of frequencies ``(r, n_r)``, the singleton fraction ``n_1 / N``
  (the Good–Turing estimate of the missing mass, the same number), adjusted counts
  ``r* = (r + 1) n_{r+1} / n_r`` and missing-mass intervals (Corollary 3, Lemma 1);
* ``_moments``: exact expectations and variances of the singleton count and the missing mass
  when ``N`` items are drawn iid with probabilities ``w`` (for Definition 1, ``w = μ·α``);
* ``_sgt``: Simple Good–Turing (Gale & Sampson 1995).
"""

from hallusim.goodturing._estimators import (
    MissingMassInterval,
    adjusted_counts,
    as_frequency_table,
    frequency_of_frequencies,
    good_turing_missing_mass,
    missing_mass_interval,
    singleton_fraction,
    total_count,
)
from hallusim.goodturing._moments import (
    EXACT_VARIANCE_MAX_ITEMS,
    expected_missing_mass,
    expected_singletons,
    missing_mass_variance,
    singleton_variance,
)
from hallusim.goodturing._sgt import (
    InvalidSlopeWarning,
    SimpleGoodTuringResult,
    simple_good_turing,
    simple_good_turing_from_counts,
)

__all__ = [
    "frequency_of_frequencies",
    "as_frequency_table",
    "total_count",
    "singleton_fraction",
    "good_turing_missing_mass",
    "adjusted_counts",
    "expected_singletons",
    "expected_missing_mass",
    "singleton_variance",
    "missing_mass_variance",
    "MissingMassInterval",
    "missing_mass_interval",
    "InvalidSlopeWarning",
    "SimpleGoodTuringResult",
    "simple_good_turing",
    "simple_good_turing_from_counts",
    "EXACT_VARIANCE_MAX_ITEMS",
]
