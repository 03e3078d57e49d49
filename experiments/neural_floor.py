"""Theorem 2 for a trained transformer: trained by cross-entropy, it errs at about the singleton rate.

The transformer's exact next-token distribution at the answer position of every prompt is scored
by ``hs.evaluate`` (no sampling). Needs ``pip install ".[neural]"`` (jax, optax). The full
experiment (worlds, sizes, training lengths, a figure) is ``hallusim run neural_floor``.
"""

import hallusim as hs
import hallusim.neural as hn
from hallusim import learners

world = hs.ArbitraryFacts.zipf(n_prompts=200, exponent=1.0, n_responses=16, answer_prob=0.9)
corpus = world.sample(n_examples=400, seed=0)
print(f"N = {corpus.n_examples}, singleton rate sr = {corpus.singleton_rate:.3f}")
for steps in (20, 1000):
    net = hn.TransformerLearner(d_model=32, n_layers=1, n_heads=2, steps=steps, seed=0).fit(corpus)
    ev = hs.evaluate(net, corpus)
    print(f"transformer, {steps:4d} steps: err = {ev.err:.3f}, delta = {ev.delta:.3f}, "
          f"cross-entropy = {ev.cross_entropy:.3f}")
calibrated = hs.evaluate(learners.CalibratedLearner().fit(corpus), corpus)
print(f"calibrated learner:      err = {calibrated.err:.3f}, delta = {calibrated.delta:.3f}, "
      f"cross-entropy = {calibrated.cross_entropy:.3f}")
