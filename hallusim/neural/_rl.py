"""Policy-gradient post-training of a trained transformer (Section 4 of the paper) (private).

REINFORCE with the batch-mean reward as baseline and an exact KL penalty to the base model:
the loss on a batch of prompts ``c ~ μ`` and sampled answers ``y ~ π(·|c)`` is
``−mean[(R(c, y) − b) log π(y|c)] + β · mean KL(π(·|c) ‖ π_base(·|c))``, the KL summed over
the whole vocabulary. The reward is a :class:`~hallusim.posttraining.grading.Grader`'s payoff:
correct (``y = a_c``), abstain (IDK) or wrong (any other token, nonsense included).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import optax

from hallusim._validation import check_float, check_int, fail
from hallusim.corpus import Corpus
from hallusim.neural._transformer import forward
from hallusim.posttraining.grading import Grader


@dataclass
class RLHistory:
    """Exact answer statistics of the policy during post-training (``μ``-weighted over all prompts).

    Attributes
    ----------
    steps : list of int
    idk_rate, accuracy, err : list of float
        ``Σ μ(c) p̂(IDK|c)``, ``Σ μ(c) p̂(a_c|c)`` and ``err = p̂(N ∪ E)``.
    expected_reward : list of float
        ``Σ μ(c) Σ_y π(y|c) R(c, y)``, the grader's expected score.
    """

    steps: list = field(default_factory=list)
    idk_rate: list = field(default_factory=list)
    accuracy: list = field(default_factory=list)
    err: list = field(default_factory=list)
    expected_reward: list = field(default_factory=list)

    def to_dict(self) -> dict:
        """The history as a dict of lists."""
        return {k: list(v) for k, v in vars(self).items()}


def _record(history, step, probs, corpus, layout, grader):
    mu = corpus.world.weights
    answers = corpus.answers
    rows = np.arange(mu.shape[0])
    correct = probs[rows, answers]
    idk = probs[:, layout.idk]
    history.steps.append(int(step))
    history.idk_rate.append(float(mu @ idk))
    history.accuracy.append(float(mu @ correct))
    history.err.append(float(mu @ (1.0 - correct - idk)))
    history.expected_reward.append(float(mu @ (grader.correct * correct + grader.abstain * idk
                                               + grader.wrong * (1.0 - correct - idk))))


@partial(jax.jit, static_argnames=("n_heads", "batch_size", "n_steps", "optimizer"))
def _rl_chunk(params, opt_state, prefixes, answers, base_logp, mu, payoffs, kl_coef, idk, key, first_step, *,
              n_heads, batch_size, n_steps, optimizer):
    log_mu = jnp.log(mu)

    def loss_fn(params, prompts, step_key):
        logp = jax.nn.log_softmax(forward(params, prefixes[prompts], n_heads)[:, -1, :], axis=-1)
        y = jax.random.categorical(step_key, jax.lax.stop_gradient(logp))
        reward = jnp.where(y == answers[prompts], payoffs[0], jnp.where(y == idk, payoffs[2], payoffs[1]))
        advantage = reward - reward.mean()
        chosen = jnp.take_along_axis(logp, y[:, None], axis=1)[:, 0]
        kl = (jnp.exp(logp) * (logp - base_logp[prompts])).sum(axis=1)
        return -(advantage * chosen).mean() + kl_coef * kl.mean()

    def step(carry, i):
        params, opt_state = carry
        k_prompt, k_answer = jax.random.split(jax.random.fold_in(key, i))
        prompts = jax.random.categorical(k_prompt, log_mu, shape=(batch_size,))
        loss, grads = jax.value_and_grad(loss_fn)(params, prompts, k_answer)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state), loss

    (params, opt_state), losses = jax.lax.scan(step, (params, opt_state), first_step + jnp.arange(n_steps))
    return params, opt_state, losses


def reinforce(learner, corpus, grader, *, steps=200, batch_size=64, lr=1e-3, kl_coef=0.05, seed=0, record_every=20):
    """Post-train a fitted :class:`TransformerLearner` with REINFORCE; return a new learner and its history.

    Parameters
    ----------
    learner : TransformerLearner
        Fitted; it is not modified (the result is a copy with the post-trained parameters).
    corpus : Corpus
        Supplies ``μ`` (the question distribution) and the true answers ``a_c`` of the reward.
    grader : Grader
        Payoffs of a correct answer, a wrong one (nonsense included) and IDK, e.g.
        :func:`hallusim.posttraining.grading.binary_grader` or ``target_grader(t)`` (wrong
        ``−t/(1−t)``, Section 4.2 of the paper).
    steps, batch_size : int
    lr : float
        Adam learning rate.
    kl_coef : float
        ``β`` of the KL penalty to the base model (>= 0).
    seed : int
    record_every : int
        Steps between rows of the history (each an exact pass over all prompts).

    Returns
    -------
    learner : TransformerLearner
        Post-trained copy; its ``model_`` is the policy's exact answer distribution.
    history : RLHistory
    """
    if not hasattr(learner, "params_"):
        fail("learner", "a fitted TransformerLearner", f"<{type(learner).__name__}>", error=TypeError)
    if learner.layout_.answer_tokens != "single":
        fail("learner", "a TransformerLearner with answer_tokens='single' (REINFORCE samples one answer token)",
             f"<answer_tokens={learner.layout_.answer_tokens!r}>")
    if not isinstance(corpus, Corpus) or corpus.world.n_prompts != learner.layout_.names.shape[0]:
        fail("corpus", "the Corpus the learner was fitted on", f"<{type(corpus).__name__}>", error=TypeError)
    if not isinstance(grader, Grader):
        fail("grader", "a Grader (binary_grader(), target_grader(t), payoff_grader(...))", f"<{type(grader).__name__}>",
             error=TypeError)
    steps = check_int("steps", steps, minimum=0)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    lr = check_float("lr", lr, low=0.0, low_open=True)
    kl_coef = check_float("kl_coef", kl_coef, low=0.0)
    seed = check_int("seed", seed, minimum=0)
    record_every = check_int("record_every", record_every, minimum=1)
    layout, config = learner.layout_, learner.config_
    base_logp = jnp.asarray(np.log(np.maximum(learner.probs_, 1e-300)), jnp.float32)
    optimizer = optax.adam(lr)
    params = learner.params_
    opt_state = optimizer.init(params)
    args = (jnp.asarray(layout.prefixes()), jnp.asarray(corpus.answers.astype(np.int32)), base_logp,
            jnp.asarray(corpus.world.weights, jnp.float32),
            jnp.asarray([grader.correct, grader.wrong, grader.abstain], jnp.float32), jnp.float32(kl_coef), layout.idk)
    key = jax.random.PRNGKey(seed)
    out = copy.copy(learner)
    history = RLHistory()
    _record(history, 0, learner.probs_, corpus, layout, grader)
    done = 0
    while done < steps:
        n = min(record_every, steps - done)
        params, opt_state, _ = _rl_chunk(params, opt_state, *args, key, done, n_heads=config.n_heads,
                                         batch_size=batch_size, n_steps=n, optimizer=optimizer)
        done += n
        out.set_params(params)
        _record(history, done, out.probs_, corpus, layout, grader)
    out.set_params(params)
    return out, history
