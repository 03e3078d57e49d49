"""Corollary 2: a trigram model cannot see a pronoun seven tokens back, so it errs about half
the time, above twice the best trigram's error (Theorems 3 and 4).

The full experiment sweeps the order, the distance and the data size: ``hallusim run
trigram_agreement``.
"""

import numpy as np

from hallusim.multiple_choice import theorem4_check
from hallusim.ngram import AgreementWorld, NgramModel, ngram_opt

world = AgreementWorld(distance=7, filler_vocab_size=4)
sentences = world.sample(20_000, seed=0)
prompts, valid = world.prompt_pairs(500, seed=1)
for order in (3, 10):
    model = NgramModel(order, "kneser_ney").fit(sentences)
    n = len(prompts)
    p_hat = np.stack([model.score_responses(prompts, [r] * n) for r in world.responses], axis=1)
    check = theorem4_check(p_hat, valid)
    floor = ngram_opt(prompts, [world.responses] * n, valid, order)
    print(f"order {order:2d}: err = {check.err:.3f}, Theorem 4 bound = {check.bound:.3f}, "
          f"best {order}-gram error opt = {floor.opt:.3f}, Theorem 3 floor = {floor.bound:.3f}")
