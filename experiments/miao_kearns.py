"""Miao & Kearns (2025) on one Pareto shape: monofact rate, hallucination and miscalibration of an
order-2 Markov chain (a trigram MLE) trained on synthetic fact strings.

A worked example on the public API (seconds). The full experiment, a sweep over Pareto shapes with
upweighting and their published values on the same axes, is ``hallusim run miao_kearns``
(its code: ``hallusim/experiments/miao_kearns.py``).
"""

from hallusim.experiments.miao_kearns import replicate

row = replicate({"shape": 2.0}, 0, n_facts=4000, n_train=1000, generations=1000, epsilon=0.1,
                upweight_fraction=0.0624, upweight_repeats=20)
print(f"Pareto shape 2: monofact rate {row['monofact_rate']:.3f}, hallucination rate {row['hallucination_rate']:.3f} "
      f"(after upweighting {row['upweighted_examples']} examples: {row['hallucination_rate_upweighted']:.3f}), "
      f"miscalibration {row['miscalibration']:.3f}, KL regret {row['kl_regret']:.3f}")
