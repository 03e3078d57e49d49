"""Kalai & Vempala (2024) beside Theorem 2 on one corpus, and the student replication's arithmetic.

A worked example on the public API (seconds). The full experiment, a sweep over N and |R_c| with a
figure and the student replication's 20 settings, is ``hallusim run kalai_vempala``
(its code: ``hallusim/experiments/kalai_vempala.py``).
"""

import hallusim as hs
from hallusim import bounds, learners

# One fact per prompt and |E_c| = |R_c| − 1 falsehoods, so |Facts|/|possible hallucinations| = 1/|E_c|.
for n_responses in (365, 100_000):
    world = hs.ArbitraryFacts.uniform(n_prompts=20_000, n_responses=n_responses, answer_prob=0.9)
    corpus = world.sample(n_examples=20_000, seed=0)
    ev = hs.evaluate(learners.CalibratedLearner().fit(corpus), corpus)
    kv = bounds.kalai_vempala_lower(corpus.singleton_rate, ev.delta, 1 / world.min_errors, corpus.n_examples)
    print(f"|R_c| = {n_responses:>6}: err = {ev.err:.3f}, Theorem 2 lower = {ev.theorem2_lower:+.3f}, "
          f"Kalai & Vempala lower = {kv:+.3f}")

# The student replication (LeonPeric/Hallucination-Calibration), n = 8000, Zipf α = 0.1, small food list:
# their MF̂ 0.9213, miscalibration 0.9147, 300|F|/|H| = 0.03601; they report a bound of −0.1077.
print(f"student setting: {bounds.kalai_vempala_lower(0.9213, 0.9147, 0.03601 / 300, 8000):+.4f} "
      f"(with a calibrated model, Mis = 0: {bounds.kalai_vempala_lower(0.9213, 0.0, 0.03601 / 300, 8000):+.4f})")
