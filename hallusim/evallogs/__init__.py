"""Scoring real evaluation logs under binary grading and explicit confidence targets (Section 4).

Section 4 of the paper proposes scoring evaluations with explicit confidence targets: answer only
if confident above ``t``; a correct answer scores 1, a wrong one ``−t/(1 − t)``, IDK 0. This package
reads what evaluation tools write and rescores it:

* readers (:func:`read_results`, one opening function for every format: a path or ``-``, gzip
  recognised on the same stream): graded-results tables (CSV, TSV, JSON Lines), Inspect AI logs
  (``.eval``/``.json``, through inspect-ai), lm-evaluation-harness ``samples_*.jsonl``, HELM
  ``per_instance_stats.json`` and simple-evals ``_allresults.json``; bare-letter outcomes need an
  explicit vocabulary (``labels``) and items without a binary outcome an explicit policy
  (``unscored``);
* :func:`score_results` and its :class:`ScoreReport` (scores per target, SimpleQA's metrics,
  risk–coverage, calibration error);
* :func:`compare_results` and its :class:`Comparison`: several models on their common items, with
  ranks, the exact crossover targets and paired-bootstrap intervals.
"""

from hallusim.evallogs._compare import Comparison, compare_results, crossover_target
from hallusim.evallogs._items import GradedResults, ResultsFileError
from hallusim.evallogs._labels import LABELS, UNSCORED_POLICIES
from hallusim.evallogs._lmeval import choice_confidence
from hallusim.evallogs._read import FORMATS, parse_outcomes, read_results
from hallusim.evallogs._score import (
    DEFAULT_TARGETS,
    RiskCoverageCurve,
    ScoreReport,
    check_bins,
    risk_coverage_curve,
    score_results,
)

__all__ = [
    "DEFAULT_TARGETS",
    "FORMATS",
    "LABELS",
    "UNSCORED_POLICIES",
    "ResultsFileError",
    "GradedResults",
    "read_results",
    "parse_outcomes",
    "choice_confidence",
    "score_results",
    "check_bins",
    "RiskCoverageCurve",
    "risk_coverage_curve",
    "ScoreReport",
    "Comparison",
    "compare_results",
    "crossover_target",
]
