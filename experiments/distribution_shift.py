"""Distribution shift on one world: train under Zipf(1), evaluate the same model under Zipf(0) and Zipf(2).

A worked example on the public API (seconds). The full experiment, a sweep over test exponents with
a figure, is ``hallusim run distribution_shift`` (its code: ``hallusim/experiments/distribution_shift.py``).
"""

import hallusim as hs
from hallusim import learners

train = hs.ArbitraryFacts.zipf(n_prompts=200_000, exponent=1.0, n_responses=365, answer_prob=0.9)
corpus = train.sample(n_examples=200_000, seed=0)
model = learners.CalibratedLearner().fit(corpus)
print(f"training sr = {corpus.singleton_rate:.3f}, Theorem 2 lower = {hs.evaluate(model, corpus).theorem2_lower:+.3f}")
for exponent in (0.0, 1.0, 2.0):
    test = hs.ArbitraryFacts.zipf(n_prompts=200_000, exponent=exponent, n_responses=365, answer_prob=0.9)
    shifted = hs.Corpus(test, corpus.answered_counts, corpus.idk_counts, seed=corpus.seed, answer_seed=corpus.answer_seed)
    print(f"  err under Zipf({exponent}) = {hs.evaluate(model, shifted).err:.3f}")
