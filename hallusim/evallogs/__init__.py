"""Scoring real evaluation results under binary grading and explicit confidence targets.

Section 4 of the paper proposes scoring evaluations with explicit confidence targets: answer only
if confident above ``t``; a correct answer scores 1, a wrong one ``−t/(1 − t)``, IDK 0. This package
reads graded results and rescores them:

* ``_read``: graded-results tables (CSV, TSV, JSON Lines) into :class:`GradedResults`;
* ``_score``: :func:`score_results` and its :class:`ScoreReport` (scores per target, SimpleQA's
  metrics, risk–coverage, calibration error).
"""

from hallusim.evallogs._read import (
    GradedResults,
    ResultsFileError,
    parse_outcomes,
    read_results,
)
from hallusim.evallogs._score import (
    DEFAULT_TARGETS,
    RiskCoverageCurve,
    ScoreReport,
    risk_coverage_curve,
    score_results,
)

__all__ = [
    "DEFAULT_TARGETS",
    "ResultsFileError",
    "GradedResults",
    "read_results",
    "parse_outcomes",
    "score_results",
    "RiskCoverageCurve",
    "risk_coverage_curve",
    "ScoreReport",
]
