"""Theorem 2 on one world: a calibrated model errs at about the singleton rate.

A worked example on the public API (seconds on a laptop). The full experiment, a sweep over
Zipf exponents and corpus sizes with every learner and a figure, is ``hallusim run
singleton_floor`` (its code: ``hallusim/experiments/singleton_floor.py``).
"""

import hallusim as hs
from hallusim import learners

# Arbitrary facts (Section 3.3.1): 5 million prompts with Zipf(0.8) weights, 365 possible answers
# (birthdays), and 90% of training examples answer (the rest say "I don't know").
world = hs.ArbitraryFacts.zipf(n_prompts=5_000_000, exponent=0.8, n_responses=365, answer_prob=0.9)
corpus = world.sample(n_examples=10_000_000, seed=0)  # exact multinomial counts, a second or two
print(f"N = {corpus.n_examples:,}, singleton rate sr = {corpus.singleton_rate:.4f}, "
      f"missing mass MM = {corpus.missing_mass:.4f}")

for learner in (learners.CalibratedLearner(), learners.MemorizingLearner(), learners.AbstainingLearner()):
    ev = hs.evaluate(learner.fit(corpus), corpus)  # exact sums over every prompt, no sampling
    # Theorem 2: err >= sr - 2/min|E_c| - (35 + 6 ln N)/sqrt(N) - delta for every model (w.p. 0.99).
    print(f"{type(learner).__name__:>20}: err = {ev.err:.4f}, delta = {ev.delta:.4f}, "
          f"Theorem 2 lower bound = {ev.theorem2_lower:+.4f}")
print(f"Theorem 2 upper bound on the calibrated learner's err: {ev.theorem2_upper:.4f}")
