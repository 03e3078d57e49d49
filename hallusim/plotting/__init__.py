"""The figures: one plotting function per figure, taking result rows and never recomputing metrics.

* :mod:`~hallusim.plotting.facts`: Theorem 2 on arbitrary facts (``singleton_floor``);
* :mod:`~hallusim.plotting.floors`: the floor from counts (frequency of frequencies,
  ``floor_estimation``; the forecast at t·N, ``floor_forecast``);
* :mod:`~hallusim.plotting.ngram`: n-gram models (Corollary 2's agreement task, ``fact_strings``);
* :mod:`~hallusim.plotting.posttraining`: calibration against error (Section 3.1, Appendix B),
  Figure 2's histograms, confidence targets and the behavioral-calibration audit (Section 4);
* :mod:`~hallusim.plotting.replications`: the replications (Kalai & Vempala 2024 and the student
  replication, Miao & Kearns 2025) and the remaining factors of Section 3.4 (Observation 2,
  distribution shift, garbage in);
* :mod:`~hallusim.plotting.style`: the one shared style (the one-column width, fonts, palette),
  the figure of stacked panels, and saving.

Importing this package imports matplotlib and selects the Agg backend unless another was chosen first.
"""
