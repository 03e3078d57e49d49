"""How the floor falls with more data: `hallusim floor --forecast` on a corpus whose truth is known.

From one training set's frequency of frequencies, the singleton rate (the floor Theorem 2 forces
on a calibrated model) forecast at t·N examples: exact subsampling for t < 1, Good–Toulmin and
smoothed Good–Toulmin above, refused beyond the estimator's guarantee; the world's exact
expectation shows how good the forecast is. The full experiment is ``hallusim run floor_forecast``.
"""

import hallusim as hs
from hallusim.floor import floor_report, forecast_floor

world = hs.ArbitraryFacts.zipf(n_prompts=50_000, exponent=1.1, n_responses=365, answer_prob=0.9)
corpus = world.sample(n_examples=10_000, seed=1)
counts = floor_report(corpus.answered_counts, n_examples=corpus.n_examples).counts
forecasts = forecast_floor(counts, [0.5, 2, 3, 10], target_floor=0.15)
print(forecasts.to_text())
for row in forecasts.rows:
    if not row.refused:
        print(f"t = {row.t:g}: forecast sr = {row.singleton_rate:.4f}, exact E[sr] = "
              f"{world.expected_singleton_rate(row.n_examples):.4f}")
