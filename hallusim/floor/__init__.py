"""The hallucination floor of a training set, from its counts alone (``hallusim floor``).

Theorem 2 of Kalai et al. (2025) says that on arbitrary facts (Definition 1), for any learning
algorithm, with probability at least ``1 − γ`` over the facts and the ``N`` training examples, the
model it outputs errs with probability at least ``sr − 2/min_c |E_c| − 6 ln(3N/γ)/√N − δ``, where
``sr`` is the singleton rate (Definition 2) and ``δ`` the model's calibration gap (0 for a
calibrated model); and that, also with probability at least ``1 − γ``, the calibrated learner of
Appendix B errs at most ``sr − sr/(L + 1) + 5 sqrt(ln(5/γ)/N)``. Both only need counts: how many
answered examples each prompt has, and how many IDK examples there are (when the input does not
say, the report says which figures assume there were none). This module reads them from a file
(per-fact counts, a frequency-of-frequencies table or raw (prompt, response) pairs), estimates the
missing mass (Good–Turing, Simple Good–Turing) with its confidence interval (Corollary 3,
Lemma 1), and evaluates both bounds. Files may also be Parquet or Arrow IPC (``_columnar``, with
pyarrow) or running text read as (context → next token) facts (``_text``; a missing-mass estimate,
not the theorem). ``_forecast`` forecasts ``sr``, ``MM`` and the floor at ``t·N`` examples
(hypergeometric subsampling, Good–Toulmin, smoothed Good–Toulmin of Orlitsky, Suresh & Wu 2016).
"""

from hallusim.floor._counts import FloorCounts, FloorFileError
from hallusim.floor._forecast import (
    DEFAULT_MAX_ERROR,
    FloorForecast,
    Forecasts,
    forecast_floor,
    smoothing_reach,
)
from hallusim.floor._read import FORMATS, read_floor_counts
from hallusim.floor._report import (
    DEFAULT_MIN_ERRORS,
    FloorReport,
    floor_from_file,
    floor_report,
)
from hallusim.floor._text import MAX_CONTEXT_ORDER, TEXT_CAVEAT, read_text_counts

__all__ = [
    "FORMATS",
    "DEFAULT_MIN_ERRORS",
    "FloorFileError",
    "FloorCounts",
    "FloorReport",
    "read_floor_counts",
    "floor_report",
    "floor_from_file",
    "read_text_counts",
    "TEXT_CAVEAT",
    "MAX_CONTEXT_ORDER",
    "FloorForecast",
    "Forecasts",
    "forecast_floor",
    "smoothing_reach",
    "DEFAULT_MAX_ERROR",
]
