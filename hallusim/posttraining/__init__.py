"""Evaluation and post-training (Section 4 of the paper; Figure 2 and Table 2).

* :mod:`~hallusim.posttraining.grading`: graders (binary, explicit confidence targets, payoffs),
  Observation 1, test-taker policies and the behavioral-calibration audit;
* :mod:`~hallusim.posttraining.calibration`: reliability diagrams and expected calibration error
  (binary, top-label, all-choices), and ``δ_z`` over every threshold;
* :mod:`~hallusim.posttraining.model_answers`: the exact reliability diagram, ECE and
  behavioral-calibration audit of a model of an arbitrary-facts world (every answer weighted by
  its probability, no sampling);
* :mod:`~hallusim.posttraining.table2`: the paper's Table 2 meta-evaluation as data.
"""

from hallusim.posttraining import calibration, grading, model_answers, table2

__all__ = ["calibration", "grading", "model_answers", "table2"]
