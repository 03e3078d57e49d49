"""Cross-entropy training with AdamW (private).

The jitted step samples its batch on the device (``jax.random``, keyed by the step number) and
runs ``chunk`` steps per call in a ``lax.scan``: no host round-trip inside a step, one per chunk
for the progress line.
"""

from __future__ import annotations

import time
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import optax

from hallusim.neural._transformer import forward
from hallusim.runs import Progress


def next_token_loss(params, batch, n_heads):
    """Mean next-token cross-entropy (nats) of a batch ``(B, T)`` over positions ``1 … T−1``."""
    logits = forward(params, batch[:, :-1], n_heads)
    return optax.softmax_cross_entropy_with_integer_labels(logits, batch[:, 1:]).mean()


def adamw(lr, weight_decay, steps):
    """AdamW with linear warm-up over the first 5% of steps and cosine decay to 10%."""
    warmup = max(1, steps // 20)
    schedule = optax.warmup_cosine_decay_schedule(0.0, lr, warmup, max(steps, warmup + 1), end_value=0.1 * lr)
    return optax.adamw(schedule, weight_decay=weight_decay)


@partial(jax.jit, static_argnames=("n_heads", "batch_size", "n_steps", "optimizer"))
def train_chunk(params, opt_state, data, key, first_step, *, n_heads, batch_size, n_steps, optimizer):
    """``n_steps`` AdamW steps on batches drawn uniformly (with replacement) from ``data``."""

    def step(carry, i):
        params, opt_state = carry
        idx = jax.random.randint(jax.random.fold_in(key, i), (batch_size,), 0, data.shape[0])
        loss, grads = jax.value_and_grad(next_token_loss)(params, data[idx], n_heads)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state), loss

    (params, opt_state), losses = jax.lax.scan(step, (params, opt_state), first_step + jnp.arange(n_steps))
    return params, opt_state, losses


def train(params, data, *, n_heads, steps, batch_size, lr, weight_decay, seed, chunk=50, progress="off",
          checkpoints=(), on_checkpoint=None):
    """Train ``params`` on the token sequences ``data`` (N, T); return params, per-step losses, timings.

    ``on_checkpoint(step, params)`` is called after each step count in ``checkpoints`` (a chunk
    ends there; 0 means before the first step). The batches depend only on ``seed`` and the step
    number, so checkpoints do not change the run.

    Returns
    -------
    params : pytree
    losses : ndarray, shape (steps,)
    timing : dict
        ``compile_s`` (first chunk, compile included), ``train_s`` (the rest) and ``tokens_per_s``
        over the rest (NaN with a single chunk).
    """
    optimizer = adamw(lr, weight_decay, steps)
    opt_state = optimizer.init(params)
    data = jnp.asarray(data)
    key = jax.random.PRNGKey(seed)
    losses = []
    bar = Progress(steps, "training", mode=progress)
    timing = {"compile_s": 0.0, "train_s": 0.0}
    done = 0
    pending = sorted({int(c) for c in checkpoints})
    if pending and pending[0] == 0 and on_checkpoint is not None:
        on_checkpoint(0, params)
    pending = [c for c in pending if c > 0]
    try:
        while done < steps:
            n = min(chunk, steps - done, *(c - done for c in pending[:1]))
            start = time.perf_counter()
            params, opt_state, chunk_losses = train_chunk(
                params, opt_state, data, key, done, n_heads=n_heads, batch_size=batch_size, n_steps=n, optimizer=optimizer
            )
            chunk_losses = np.asarray(chunk_losses)  # the one host transfer per chunk
            timing["compile_s" if done == 0 else "train_s"] += time.perf_counter() - start
            losses.append(chunk_losses)
            done += n
            bar.update(n)
            if pending and pending[0] == done:
                pending.pop(0)
                if on_checkpoint is not None:
                    on_checkpoint(done, params)
    finally:
        bar.close()
    timed_steps = steps - min(chunk, steps)
    tokens = timed_steps * batch_size * (data.shape[1] - 1)
    timing["tokens_per_s"] = tokens / timing["train_s"] if timed_steps else float("nan")
    return params, np.concatenate(losses), timing
