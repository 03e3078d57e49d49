"""Birthday facts as text: an n-gram language model trained on "person<c> was born on DD-MM"
hallucinates on about the singleton rate of prompts.

The exact p̂(answer | prompt) of every prompt comes from the n-gram model; the full experiment
(orders, corpus sizes, sampled generations, a figure) is ``hallusim run fact_strings``.
"""

import datetime

import numpy as np

import hallusim as hs
from hallusim.ngram import NgramModel

dates = [(datetime.date(2001, 1, 1) + datetime.timedelta(days=k)).strftime("%d-%m") for k in range(365)]
world = hs.ArbitraryFacts.zipf(n_prompts=2_000, exponent=1.1, n_responses=365, answer_prob=1.0)
corpus = world.sample(n_examples=5_000, seed=0)
prompts, responses = corpus.examples(seed=1)
sentences = [[f"person{c}", "was", "born", "on", dates[r]] for c, r in zip(prompts.tolist(), responses.tolist())]
model = NgramModel(5, "kneser_ney").fit(sentences)

# Score each prompt's true birthday; the rest of its mass is a wrong date or not a date at all.
contexts = [[f"person{c}", "was", "born", "on"] for c in range(world.n_prompts)]
true_dates = [[dates[a]] for a in corpus.answers.tolist()]
p_true = model.score_responses(contexts, true_dates)
err = float(np.sum(world.weights * (1.0 - p_true)))  # err under the prompt distribution μ
print(f"sr = {corpus.singleton_rate:.3f}, missing mass = {corpus.missing_mass:.3f}, "
      f"5-gram error err = {err:.3f}")
