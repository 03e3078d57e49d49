"""Small causal transformers trained by cross-entropy on arbitrary facts, evaluated exactly.

Section 3.1 and Appendix B of the paper argue that a base model trained by cross-entropy ends up
calibrated (``δ = |dL/ds| ≈ 0`` at a local minimum of the loss) and so errs on arbitrary facts
at about the singleton rate; Section 4 that post-training with binary grading teaches it to
guess. This subpackage holds a real trained network for both claims:

* :class:`TokenLayout` and :func:`render_corpus`: an :class:`~hallusim.ArbitraryFacts` corpus as
  token sequences (a multi-token sub-word name per prompt, a separator, then one answer token of
  ``R_c`` or the IDK token; or, with ``answer_tokens="month_day"``, a month token and a day
  token, :func:`month_day` mapping a response to its pair);
* :class:`TransformerLearner`: a pre-norm causal transformer trained with AdamW; its ``model_`` is a
  :class:`~hallusim.CompactModel` holding every prompt's exact next-token distribution at the
  answer position (``R_c``, IDK, and every other token as nonsense), for :func:`hallusim.evaluate`;
* :func:`reinforce`: REINFORCE post-training with a baseline and a KL penalty to the base model,
  rewarded by a grader of :mod:`hallusim.posttraining.grading`.

It needs the optional dependencies jax and optax: ``pip install "hallusim[neural]"``.
``import hallusim`` does not import this subpackage.
"""

try:
    import jax  # noqa: F401
    import optax  # noqa: F401
except ModuleNotFoundError as exc:  # pragma: no cover - exercised only without the extra
    raise ModuleNotFoundError(
        f"hallusim.neural needs jax and optax ({exc.name} is missing); install them with "
        'pip install "hallusim[neural]"'
    ) from exc

from hallusim.neural._learner import TransformerLearner, answer_distribution
from hallusim.neural._rl import RLHistory, reinforce
from hallusim.neural._tokens import TokenLayout, month_day, render_corpus
from hallusim.neural._transformer import (
    TransformerConfig,
    init_params,
    model_flops_per_token,
)

__all__ = [
    "TokenLayout",
    "render_corpus",
    "month_day",
    "TransformerConfig",
    "init_params",
    "model_flops_per_token",
    "TransformerLearner",
    "answer_distribution",
    "RLHistory",
    "reinforce",
]
