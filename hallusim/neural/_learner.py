"""The transformer learner: fit by cross-entropy, its exact answer distributions as a CompactModel (private)."""

from __future__ import annotations

import jax
import numpy as np

from hallusim._validation import check_choice, check_float, check_int, fail
from hallusim.corpus import check_corpus
from hallusim.learners import Learner, NotFittedError
from hallusim.models import CompactModel
from hallusim.neural._tokens import (
    ANSWER_TOKENS,
    N_MONTHS,
    TokenLayout,
    month_day,
    render_corpus,
)
from hallusim.neural._train import train
from hallusim.neural._transformer import TransformerConfig, forward, init_params


def answer_distribution(params, config, layout, *, batch_size=4096):
    """Every prompt's exact next-token distribution at the answer position, ``p̂(· | c)``.

    The logits come from the float32 network; the softmax is taken in float64 so that each row
    sums to one within rounding (the exact evaluation checks 1e-9).

    Parameters
    ----------
    params : pytree
    config : TransformerConfig
    layout : TokenLayout

    Returns
    -------
    ndarray, shape (C, vocab_size), float64
    """
    prefixes = layout.prefixes()
    logits = np.concatenate([
        np.asarray(_last_logits(params, prefixes[i : i + batch_size], config.n_heads))
        for i in range(0, prefixes.shape[0], batch_size)
    ]).astype(np.float64)
    logits -= logits.max(axis=1, keepdims=True)
    probs = np.exp(logits)
    return probs / probs.sum(axis=1, keepdims=True)


def pair_distribution(params, config, layout, *, batch_size=4096):
    """Month-day answers: the exact distributions of the answer's first and second tokens.

    One forward pass per (prompt, month), batched: the sequence ``name, separator, month m``
    gives ``p̂(· | c)`` at the separator (the first answer token; by causality the same for every
    ``m``) and ``p̂(· | c, m)`` at the month (the second token).

    Parameters
    ----------
    params : pytree
    config : TransformerConfig
    layout : TokenLayout
        With ``answer_tokens="month_day"``.

    Returns
    -------
    first : ndarray, shape (C, vocab_size), float64
        ``p̂(x | c)`` of every token ``x`` as the first answer token.
    second : ndarray, shape (C, 12, vocab_size), float64
        ``p̂(x | c, m)`` of every token as the second answer token after month ``m``.
    """
    prefixes = layout.prefixes()
    n_prompts = prefixes.shape[0]
    months = np.arange(N_MONTHS, dtype=np.int32)
    seqs = np.hstack([np.repeat(prefixes, N_MONTHS, axis=0), np.tile(months, n_prompts)[:, None]])
    logits = np.concatenate([
        np.asarray(_forward(params, seqs[i : i + batch_size], config.n_heads)[:, -2:, :])
        for i in range(0, seqs.shape[0], batch_size)
    ]).astype(np.float64)
    logits -= logits.max(axis=2, keepdims=True)
    probs = np.exp(logits)
    probs /= probs.sum(axis=2, keepdims=True)
    probs = probs.reshape(n_prompts, N_MONTHS, 2, -1)
    return probs[:, 0, 0, :], probs[:, :, 1, :]


def month_day_model(first, second, layout):
    """A :class:`~hallusim.CompactModel` of month-day answers from :func:`pair_distribution`.

    Response ``i`` of ``R_c`` (the pair :func:`~hallusim.neural._tokens.month_day` maps it to,
    ``(m, d)``) has ``p̂(i | c) = p̂(m | c) · p̂(d | c, m)``; IDK is the IDK token in first
    position. Every other string is a nonsense response, each counted separately: a first token
    that is neither a month nor IDK, and a month followed by anything but a day making a pair of
    ``R_c`` (30 February under the calendar, the month then IDK, a sub-word, …).

    Parameters
    ----------
    first : ndarray, shape (C, vocab_size)
    second : ndarray, shape (C, 12, vocab_size)
    layout : TokenLayout

    Returns
    -------
    CompactModel
    """
    n_resp = layout.n_responses
    n_prompts = first.shape[0]
    width = int(n_resp.max())
    ids = np.broadcast_to(np.arange(width), (n_prompts, width))
    inside = ids < n_resp[:, None]
    month, day = month_day(np.where(inside, ids, 0), np.broadcast_to(n_resp[:, None], ids.shape))
    rows = np.broadcast_to(np.arange(n_prompts)[:, None], ids.shape)
    pair = first[rows, month] * second[rows, month, N_MONTHS + day]
    valid = np.zeros(second.shape, bool)
    valid[rows[inside], month[inside], N_MONTHS + day[inside]] = True
    after_month = np.where(valid, 0.0, first[:, :N_MONTHS, None] * second).reshape(n_prompts, -1)
    idk = layout.idk
    nonsense = np.hstack([first[:, N_MONTHS:idk], first[:, idk + 1 :], after_month])
    return CompactModel(n_resp, np.where(inside, ids, -1), np.where(inside, pair, 0.0), first[:, idk], 0.0, nonsense)


@jax.jit
def _last(logits):
    return logits[:, -1, :]


def _last_logits(params, prefixes, n_heads):
    return _last(_forward(params, prefixes, n_heads))


_forward = jax.jit(forward, static_argnames=("n_heads",))


def compact_model(probs, layout):
    """A :class:`~hallusim.CompactModel` of answer distributions ``probs`` (C, V).

    Responses ``0 … |R_c|−1`` are explicit; IDK is the IDK token; every other token (answer
    tokens beyond ``|R_c|``, the separator, the name sub-words) is a nonsense response.

    Parameters
    ----------
    probs : ndarray, shape (C, vocab_size)
    layout : TokenLayout

    Returns
    -------
    CompactModel
    """
    width = layout.width
    inside = np.arange(width)[None, :] < layout.n_responses[:, None]
    answers = probs[:, :width]
    responses = np.where(inside, np.arange(width)[None, :], -1)
    nonsense = np.hstack([np.where(inside, 0.0, answers), probs[:, width + 1 :]])
    return CompactModel(layout.n_responses, responses, np.where(inside, answers, 0.0), probs[:, width], 0.0, nonsense)


class TransformerLearner(Learner):
    """A small causal transformer trained by next-token cross-entropy (AdamW) on the corpus.

    The learner contract of :mod:`hallusim.learners`: ``fit(corpus)`` returns ``self`` with
    ``model_`` a :class:`~hallusim.CompactModel` holding, for every prompt (seen in training or
    not), the network's exact distribution over ``R_c``, IDK and the nonsense tokens at the answer
    position, so :func:`hallusim.evaluate` gives err (``p̂(N ∪ E)``), err_iiv, δ and ``dL/ds``
    exactly (Section 3.1 of the paper).

    Parameters
    ----------
    d_model, n_layers, n_heads : int
        Width, depth and attention heads.
    steps, batch_size : int
        AdamW steps and sequences per step.
    lr, weight_decay : float
        Peak learning rate (warm-up then cosine decay) and AdamW's decoupled weight decay.
    seed : int
        Seed of the initialisation, the batches and the prompt names.
    name_length : int
        Sub-word tokens per prompt name.
    tied : bool
        Output layer tied to the token embedding.
    progress : {"auto", "bar", "log", "off"} or bool
        Progress of training (as in :func:`hallusim.runs.sweep`).
    answer_tokens : {"single", "month_day"}
        One answer token per response, or two, a month and a day (:class:`TokenLayout`; needs
        every ``|R_c| <= 372``; ``|R_c| = 365`` uses the real calendar). With ``"month_day"``
        ``model_`` holds the exact distribution over pairs, ``p̂(m | c) · p̂(d | c, m)``
        (:func:`month_day_model`), and :func:`reinforce` does not apply.
    checkpoints : sequence of int, optional
        Step counts in ``[0, steps]`` at which the network's exact answer distributions are also
        kept (``checkpoint_models_``): one training run (one learning-rate schedule, of length
        ``steps``) seen at several lengths.

    Attributes
    ----------
    params_, config_, layout_ : the trained pytree, its shape, the tokens
    losses_ : ndarray, per-step training loss
    timing_ : dict, ``compile_s``, ``train_s``, ``tokens_per_s``
    probs_ : ndarray (C, V), the distributions at the (first) answer position
    model_ : CompactModel
    checkpoint_models_ : dict of int to CompactModel
        The exact model after each step count of ``checkpoints`` (empty without checkpoints).
    """

    def __init__(self, d_model=64, n_layers=2, n_heads=4, steps=500, batch_size=64, lr=3e-3, weight_decay=0.0,
                 seed=0, name_length=3, tied=False, progress="off", checkpoints=(), answer_tokens="single"):
        self.d_model, self.n_layers, self.n_heads = d_model, n_layers, n_heads
        self.steps, self.batch_size, self.lr, self.weight_decay = steps, batch_size, lr, weight_decay
        self.seed, self.name_length, self.tied, self.progress = seed, name_length, tied, progress
        self.checkpoints, self.answer_tokens = checkpoints, answer_tokens

    def fit(self, corpus):
        """Render ``corpus``, train the network and extract its answer distributions.

        Parameters
        ----------
        corpus : Corpus

        Returns
        -------
        self
        """
        check_corpus(corpus)
        steps = check_int("steps", self.steps, minimum=0)
        batch = check_int("batch_size", self.batch_size, minimum=1)
        lr = check_float("lr", self.lr, low=0.0, low_open=True)
        wd = check_float("weight_decay", self.weight_decay, low=0.0)
        seed = check_int("seed", self.seed, minimum=0)
        checkpoints = self._check_checkpoints(steps)
        check_choice("answer_tokens", self.answer_tokens, ANSWER_TOKENS)
        layout = TokenLayout.for_world(corpus.world, name_length=self.name_length, seed=seed,
                                       answer_tokens=self.answer_tokens)
        config = TransformerConfig(layout.vocab_size, layout.seq_len, self.d_model, self.n_layers, self.n_heads,
                                   tied=bool(self.tied))
        tokens, _ = render_corpus(corpus, layout)
        init_key, train_seed = jax.random.split(jax.random.PRNGKey(seed))
        params = init_params(config, init_key)
        saved = {}

        def keep(step, p):
            saved[step] = _exact_model(p, config, layout)[1]

        if steps:
            params, losses, timing = train(
                params, tokens, n_heads=config.n_heads, steps=steps, batch_size=batch, lr=lr, weight_decay=wd,
                seed=int(jax.random.randint(train_seed, (), 0, 2**31 - 1)), progress=self.progress,
                checkpoints=checkpoints, on_checkpoint=keep,
            )
        else:
            losses, timing = np.zeros(0), {"compile_s": 0.0, "train_s": 0.0, "tokens_per_s": float("nan")}
            if checkpoints:
                keep(0, params)
        self.layout_, self.config_, self.params_ = layout, config, params
        self.losses_, self.timing_ = losses, timing
        self.checkpoint_models_ = dict(sorted(saved.items()))
        self.set_params(params)
        return self

    def _check_checkpoints(self, steps):
        allowed = f"a sequence of step counts in [0, steps = {steps}]"
        try:
            values = [int(c) for c in self.checkpoints] if not isinstance(self.checkpoints, (str, bytes)) else None
        except (TypeError, ValueError):
            values = None
        if values is None or any(v != c for v, c in zip(values, self.checkpoints)):
            fail("checkpoints", allowed, self.checkpoints)
        bad = [v for v in values if not 0 <= v <= steps]
        if bad:
            fail("checkpoints", allowed, bad[0])
        return tuple(sorted(set(values)))

    def set_params(self, params):
        """Replace the network's parameters (e.g. after post-training) and recompute ``model_``.

        Parameters
        ----------
        params : pytree
            Of this learner's ``config_``.

        Returns
        -------
        self
        """
        if not hasattr(self, "config_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet; call fit(corpus) first.")
        self.params_ = params
        self.probs_, self.model_ = _exact_model(params, self.config_, self.layout_)
        return self


def _exact_model(params, config, layout):
    """The first answer position's distributions and the exact CompactModel of ``params``."""
    if layout.answer_tokens == "month_day":
        first, second = pair_distribution(params, config, layout)
        return first, month_day_model(first, second, layout)
    probs = answer_distribution(params, config, layout)
    return probs, compact_model(probs, layout)
