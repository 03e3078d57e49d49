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

import importlib  # noqa: E402

from hallusim._version import __version__  # noqa: E402

# The subpackages and the top-level names are imported when first used (PEP 562), so that a
# command that needs one subpackage (``hallusim ngram fit``) does not import them all (0.35 s).
_SUBPACKAGES = frozenset((
    "bounds", "evallogs", "floor", "goodturing", "iiv", "learners", "models", "multiple_choice", "ngram",
    "posttraining", "runs", "streaming",
))
_NAMES = {
    "NotFittedError": "hallusim._validation",
    "Corpus": "hallusim.corpus",
    "ArbitraryFacts": "hallusim.facts",
    "Evaluation": "hallusim.iiv",
    "IIVMetrics": "hallusim.iiv",
    "ThresholdCurve": "hallusim.iiv",
    "dense_metrics": "hallusim.iiv",
    "evaluate": "hallusim.iiv",
    "threshold_curve": "hallusim.iiv",
    "CompactModel": "hallusim.models",
}


def __getattr__(name):
    if name in _SUBPACKAGES:
        return importlib.import_module(f"hallusim.{name}")  # which also sets it on this package
    if name in _NAMES:
        value = getattr(importlib.import_module(_NAMES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'hallusim' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))


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
