"""Post-training a trained transformer: a binary reward teaches it to guess, a confidence target
to say "I don't know" (Section 4).

REINFORCE with a baseline and a KL penalty to the base model; the IDK rate and err are exact.
Needs ``pip install ".[neural]"``. The full experiment (every reward, calibration histograms) is
``hallusim run neural_posttraining``.
"""

import hallusim as hs
import hallusim.neural as hn
from hallusim.posttraining.grading import binary_grader, target_grader

corpus = hs.ArbitraryFacts.zipf(200, 1.2, n_responses=8, answer_prob=0.9).sample(400, seed=0)
base = hn.TransformerLearner(d_model=32, n_layers=1, n_heads=2, steps=800, seed=0).fit(corpus)
before = hs.evaluate(base, corpus)
print(f"base model:          err = {before.err:.3f}")
for name, grader in (("binary reward", binary_grader()), ("target t = 0.9", target_grader(0.9))):
    post, history = hn.reinforce(base, corpus, grader, steps=200)
    after = hs.evaluate(post, corpus)
    print(f"after {name:>14}: err = {after.err:.3f}")
