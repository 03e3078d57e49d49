"""Binary grading rewards guessing; an explicit confidence target t rewards abstaining when the
chance of being right is below t (Section 4.2, Observation 1).

The full experiment (sampled tests, every policy, the behavioral-calibration audit) is
``hallusim run confidence_targets``.
"""

import numpy as np

from hallusim.posttraining.grading import Policy, expected_outcome

p_correct = np.random.default_rng(0).beta(2.0, 2.0, size=10_000)  # each question's chance of a right answer
policies = (Policy.always_guess(), Policy.calibrated(), Policy.fixed_abstention(0.3))
for t in (0.0, 0.5, 0.75, 0.9):
    cells = []
    for policy in policies:
        outcome = expected_outcome(p_correct, policy, t)
        cells.append(f"{policy.name}: {outcome.score_target:+.3f}")
    print(f"t = {t:.2f}  " + "   ".join(cells))
