"""Calibration against error along the rescaled family p̂_s (Section 3.1, Appendix B).

Rescaling a calibrated model by s moves mass above or below the threshold; δ = |dL/ds| at
s = 1 is its miscalibration, and pushing err below the Theorem 1 floor costs calibration. The
full experiment (26 scales, replicates, a four-panel figure) is ``hallusim run
calibration_tradeoff``.
"""

import hallusim as hs
from hallusim import learners

world = hs.ArbitraryFacts.zipf(n_prompts=50_000, exponent=1.1, n_responses=365, answer_prob=0.9)
corpus = world.sample(n_examples=200_000, seed=1)
print(f"sr = {corpus.singleton_rate:.4f}")
print("     s      err  err_iiv    delta    dL/ds  cross-entropy  Theorem 1 lower")
for scale in (0.25, 0.5, 1.0, 2.0, 4.0):
    model = learners.RescaledLearner(learners.CalibratedLearner(), scale).fit(corpus)
    ev = hs.evaluate(model, corpus)
    print(f"{scale:6.2f}  {ev.err:.4f}   {ev.err_iiv:.4f}   {ev.delta:.4f}  {ev.dL_ds:+.4f}"
          f"         {ev.cross_entropy:.4f}           {ev.theorem1_lower:.4f}")
