"""hallusim: simulate and measure why language models hallucinate.

Implements the quantities and bounds of Kalai, Nachum, Vempala & Zhang, "Why Language Models
Hallucinate" (2025); see ``shared/THEORY.md`` for the numbering used in every docstring.
"""

from importlib.metadata import PackageNotFoundError, version

from hallusim import (
    bounds,
    calibration,
    floor,
    goodturing,
    grading,
    iiv,
    learners,
    models,
    multiple_choice,
    ngram,
    results,
    scoring,
    sweep,
    table2,
)
from hallusim.corpus import Corpus
from hallusim.facts import ArbitraryFacts
from hallusim.iiv import Evaluation, IIVMetrics, ThresholdCurve, dense_metrics, evaluate, threshold_curve
from hallusim.models import CompactModel

try:
    __version__ = version("hallusim")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

__all__ = [
    "__version__",
    "ArbitraryFacts",
    "Corpus",
    "CompactModel",
    "Evaluation",
    "IIVMetrics",
    "ThresholdCurve",
    "evaluate",
    "dense_metrics",
    "threshold_curve",
    "bounds",
    "calibration",
    "floor",
    "goodturing",
    "grading",
    "iiv",
    "learners",
    "models",
    "multiple_choice",
    "ngram",
    "results",
    "scoring",
    "sweep",
    "table2",
]
