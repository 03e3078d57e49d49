"""Garbage in, garbage out on one world: err of the calibrated and memorizing learners when a
fraction ε of training answers is wrong.

A worked example on the public API (seconds). The full experiment, a sweep over ε with a figure,
is ``hallusim run garbage_in`` (its code: ``hallusim/experiments/garbage_in.py``).
"""

import hallusim as hs
from hallusim.experiments.garbage_in import noisy_models

world = hs.ArbitraryFacts.uniform(n_prompts=100_000, n_responses=365, answer_prob=0.9)
corpus = world.sample(n_examples=100_000, seed=0)
for epsilon in (0.0, 0.1, 0.3):
    models = noisy_models(corpus, epsilon, seed=1)
    errs = {name: hs.evaluate(model, corpus).err for name, model in models.items()}
    print(f"ε = {epsilon:.1f}: err calibrated = {errs['calibrated']:.3f}, memorizing = {errs['memorizing']:.3f}")
