"""The floor from counts alone: what `hallusim floor` reports for a corpus whose truth is known.

From a table of how often each fact occurs, the singleton rate, Good–Turing's missing-mass
interval and Theorem 2's floor; the world's exact missing mass and a calibrated model's error
show how good the estimate is. The full experiment is ``hallusim run floor_estimation``.
"""

import hallusim as hs
from hallusim import learners
from hallusim.floor import floor_report

world = hs.ArbitraryFacts.pareto_repetition(n_prompts=100_000, shape=1.5, n_responses=365, answer_prob=1.0, seed=0)
corpus = world.sample(n_examples=100_000, seed=1)
report = floor_report(corpus.answered_counts, n_examples=corpus.n_examples, min_errors=world.min_errors)
print(report.to_text())
err = hs.evaluate(learners.CalibratedLearner().fit(corpus), corpus).err
print(f"\ntruth: missing mass = {corpus.missing_mass:.4f}; calibrated model's err = {err:.4f}")
