"""Figure 2 in simulation: a pretrained-like multiple-choice model is calibrated; sharpening it
(as 0-1-optimising post-training does) breaks calibration.

The full experiment (replicates, the histograms and the δ_z curves) is ``hallusim run
calibration_histograms``.
"""

import numpy as np

from hallusim.multiple_choice import theorem4_check
from hallusim.posttraining.calibration import reliability_diagram

rng = np.random.default_rng(0)
n_questions, n_choices = 20_000, 4
logits = rng.uniform(0.0, 3.0, size=(n_questions, 1)) * rng.standard_normal((n_questions, n_choices))


def softmax(x):
    weights = np.exp(x - x.max(axis=1, keepdims=True))
    return weights / weights.sum(axis=1, keepdims=True)


pretrained = softmax(logits)
# The correct answers are drawn from the pretrained model's own probabilities: it is calibrated.
answers = np.minimum((rng.random((n_questions, 1)) > np.cumsum(pretrained, axis=1)).sum(axis=1), n_choices - 1)
for name, probs in (("pretrained", pretrained), ("post-trained (temperature 0.3)", softmax(logits / 0.3))):
    diagram = reliability_diagram(probs, answers, n_bins=10, variant="top_label")
    check = theorem4_check(probs, answers)
    print(f"{name:>30}: top-label ECE = {diagram.ece:.3f}, err = {check.err:.3f}, "
          f"Theorem 4 bound = {check.bound:.3f}")
