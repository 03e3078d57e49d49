"""Benchmark: hallusim.neural's training and exact-evaluation throughput, as a fraction of this
machine's measured matmul peak (the model-FLOPs utilisation, MFU).

In one run: the matmul peak (a large float32 ``jnp.dot``, median of several calls after a warm-up),
then for each model size a TransformerLearner-shaped training run on a rendered Zipf corpus —
compile time (the first chunk of steps) reported apart from the steady-state tokens/s — and the
exact evaluation (every prompt's answer-position distribution, then :func:`hallusim.evaluate`) in
prompts/s. Model FLOPs per token are :func:`hallusim.neural.model_flops_per_token` (3× forward for
training). The load average (``os.getloadavg``) is printed: on a shared machine it decides the figures.
Run: ``python benchmarks/bench_neural.py [--prompts C] [--steps S]``.
"""

from __future__ import annotations

import argparse
import os
import time

import jax
import jax.numpy as jnp
import numpy as np

import hallusim as hs
from hallusim.neural import (
    TokenLayout,
    TransformerConfig,
    init_params,
    model_flops_per_token,
    render_corpus,
)
from hallusim.neural._learner import answer_distribution, compact_model
from hallusim.neural._train import train


def matmul_peak(n=2048, repeats=5):
    """FLOP/s of a float32 (n, n) @ (n, n) product (median of ``repeats`` after a warm-up)."""
    a = jax.random.normal(jax.random.PRNGKey(0), (n, n), jnp.float32)
    b = jax.random.normal(jax.random.PRNGKey(1), (n, n), jnp.float32)
    dot = jax.jit(jnp.dot)
    dot(a, b).block_until_ready()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        dot(a, b).block_until_ready()
        times.append(time.perf_counter() - start)
    return 2 * n**3 / float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=2000)
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()
    print(f"jax {jax.__version__}, devices {jax.devices()}, load average {os.getloadavg()}")
    peak = matmul_peak()
    print(f"matmul peak (float32 2048^3 jnp.dot): {peak / 1e9:.1f} GFLOP/s")
    world = hs.ArbitraryFacts.zipf(args.prompts, 1.2, n_responses=32, answer_prob=0.9)
    corpus = world.sample(2 * args.prompts, seed=0)
    layout = TokenLayout.for_world(world, seed=0)
    tokens, _ = render_corpus(corpus, layout)
    print(f"C = {args.prompts} prompts, N = {corpus.n_examples}, vocab {layout.vocab_size}, seq_len {layout.seq_len}")
    header = f"{'d_model':>7} {'layers':>6} {'params':>8} {'MFLOP/tok':>9} {'compile s':>9} {'tok/s':>10} {'MFU':>7} " \
             f"{'eval prompts/s':>14} {'eval MFU':>8}"
    print(header)
    for d_model, n_layers in ((32, 1), (64, 2), (128, 2), (256, 4)):
        config = TransformerConfig(layout.vocab_size, layout.seq_len, d_model, n_layers, max(1, d_model // 32))
        params = init_params(config, jax.random.PRNGKey(0))
        n_params = sum(x.size for x in jax.tree_util.tree_leaves(params))
        chunk = max(1, args.steps // 4)
        params, _, timing = train(params, tokens, n_heads=config.n_heads, steps=args.steps, batch_size=args.batch_size,
                                  lr=1e-3, weight_decay=0.0, seed=0, chunk=chunk)
        flops = model_flops_per_token(config)
        answer_distribution(params, config, layout)  # warm the jitted forward
        start = time.perf_counter()
        for _ in range(3):
            model = compact_model(answer_distribution(params, config, layout), layout)
            hs.evaluate(model, corpus)
        eval_s = (time.perf_counter() - start) / 3
        eval_rate = args.prompts / eval_s
        eval_flops = model_flops_per_token(config, training=False) * (layout.seq_len - 1)
        print(f"{d_model:>7} {n_layers:>6} {n_params:>8} {flops / 1e6:>9.3f} {timing['compile_s']:>9.2f} "
              f"{timing['tokens_per_s']:>10.0f} {timing['tokens_per_s'] * flops / peak:>7.2%} {eval_rate:>14.0f} "
              f"{eval_rate * eval_flops / peak:>8.2%}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
