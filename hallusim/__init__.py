"""hallusim: simulate and measure why language models hallucinate.

Implements the quantities and bounds of Kalai, Nachum, Vempala & Zhang, "Why Language Models
Hallucinate" (2025), with the paper's numbering (Definition 1, Theorem 2, ...) in every docstring;
the documentation's theory page maps each numbered item to the function that computes it.

The subpackages follow the paper and the flow of data, world → corpus → model → evaluation:
:mod:`~hallusim.bounds`, :mod:`~hallusim.facts`, :mod:`~hallusim.corpus`, :mod:`~hallusim.models`,
:mod:`~hallusim.learners`, :mod:`~hallusim.iiv` and :mod:`~hallusim.multiple_choice` (Section 3), and
:mod:`~hallusim.streaming` (the same pipeline at 10^9 prompts, one part at a time);
:mod:`~hallusim.goodturing` and :mod:`~hallusim.floor` (estimators, the floor of real data);
:mod:`~hallusim.ngram` (n-gram language models); :mod:`~hallusim.posttraining` and
:mod:`~hallusim.evallogs` (Section 4); :mod:`~hallusim.runs` (sweeps and results). The figures
(:mod:`hallusim.plotting`), experiments (:mod:`hallusim.experiments`) and the command
(:mod:`hallusim.cli`) are imported on their own.
"""

from hallusim._inputs import check_environment as _check_environment

_check_environment()  # before Numba reads NUMBA_NUM_THREADS (a bad value is a one-line error)

from hallusim import (  # noqa: E402 - after the environment check
    bounds,
    evallogs,
    floor,
    goodturing,
    iiv,
    learners,
    models,
    multiple_choice,
    ngram,
    posttraining,
    runs,
    streaming,
)
from hallusim._validation import NotFittedError
from hallusim._version import __version__
from hallusim.corpus import Corpus
from hallusim.facts import ArbitraryFacts
from hallusim.iiv import (
    Evaluation,
    IIVMetrics,
    ThresholdCurve,
    dense_metrics,
    evaluate,
    threshold_curve,
)
from hallusim.models import CompactModel

__all__ = [
    "__version__",
    "ArbitraryFacts",
    "Corpus",
    "CompactModel",
    "Evaluation",
    "IIVMetrics",
    "NotFittedError",
    "ThresholdCurve",
    "evaluate",
    "dense_metrics",
    "threshold_curve",
    "bounds",
    "evallogs",
    "floor",
    "goodturing",
    "iiv",
    "learners",
    "models",
    "multiple_choice",
    "ngram",
    "posttraining",
    "runs",
    "streaming",
]
