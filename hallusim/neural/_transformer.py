"""A plain-JAX pre-norm causal transformer (private).

Parameters are a pytree of ``jnp`` arrays; nothing here is specific to a CPU, so the same code
runs on an accelerator when JAX finds one. Plain JAX rather than flax/equinox: the model is
~60 lines, and one dependency fewer keeps the optional extra small.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp

from hallusim._validation import check_int, fail


@dataclass(frozen=True)
class TransformerConfig:
    """Shape of the transformer.

    Attributes
    ----------
    vocab_size, seq_len, d_model, n_layers, n_heads : int
    d_ff : int
        Width of the MLP (default ``4 d_model``).
    tied : bool
        Output layer tied to the token embedding.
    """

    vocab_size: int
    seq_len: int
    d_model: int = 64
    n_layers: int = 2
    n_heads: int = 4
    d_ff: int = 0
    tied: bool = False

    def __post_init__(self):
        for name in ("vocab_size", "seq_len", "d_model", "n_layers", "n_heads"):
            check_int(name, getattr(self, name), minimum=1)
        if self.d_model % self.n_heads:
            fail("n_heads", f"a divisor of d_model = {self.d_model}", self.n_heads)
        if not self.d_ff:
            object.__setattr__(self, "d_ff", 4 * self.d_model)


def init_params(config, key):
    """Random initial parameters (normal, std 0.02; residual projections scaled by ``1/√(2 n_layers)``).

    Parameters
    ----------
    config : TransformerConfig
    key : jax PRNG key

    Returns
    -------
    dict
        The parameter pytree.
    """
    d, f, v = config.d_model, config.d_ff, config.vocab_size
    keys = iter(jax.random.split(key, 3 + 4 * config.n_layers))
    normal = lambda shape, scale=0.02: scale * jax.random.normal(next(keys), shape, jnp.float32)  # noqa: E731
    resid = 0.02 / (2 * config.n_layers) ** 0.5
    ones, zeros = (lambda n: jnp.ones(n, jnp.float32)), (lambda n: jnp.zeros(n, jnp.float32))
    params = {
        "tok": normal((v, d)),
        "pos": normal((config.seq_len, d)),
        "ln_f": {"g": ones(d), "b": zeros(d)},
        "blocks": [
            {
                "ln1": {"g": ones(d), "b": zeros(d)},
                "qkv": normal((d, 3 * d)),
                "proj": normal((d, d), resid),
                "ln2": {"g": ones(d), "b": zeros(d)},
                "fc": normal((d, f)),
                "fc_b": zeros(f),
                "out": normal((f, d), resid),
                "out_b": zeros(d),
            }
            for _ in range(config.n_layers)
        ],
    }
    head = normal((d, v))
    if not config.tied:
        params["head"] = head
    return params


def _layer_norm(x, p):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) * jax.lax.rsqrt(var + 1e-5) * p["g"] + p["b"]


def forward(params, tokens, n_heads):
    """Next-token logits ``(B, T, V)`` of token ids ``(B, T)``."""
    _, t = tokens.shape
    x = params["tok"][tokens] + params["pos"][:t]
    d = x.shape[-1]
    causal = jnp.tril(jnp.ones((t, t), bool))
    for blk in params["blocks"]:
        h = _layer_norm(x, blk["ln1"])
        q, k, v = jnp.split(h @ blk["qkv"], 3, axis=-1)
        heads = lambda a: a.reshape(a.shape[0], t, n_heads, d // n_heads).transpose(0, 2, 1, 3)  # noqa: E731
        q, k, v = heads(q), heads(k), heads(v)
        att = (q @ k.transpose(0, 1, 3, 2)) / jnp.sqrt(d // n_heads).astype(x.dtype)
        att = jax.nn.softmax(jnp.where(causal, att, -jnp.inf), axis=-1)
        x = x + (att @ v).transpose(0, 2, 1, 3).reshape(x.shape) @ blk["proj"]
        h = _layer_norm(x, blk["ln2"])
        x = x + jax.nn.gelu(h @ blk["fc"] + blk["fc_b"]) @ blk["out"] + blk["out_b"]
    x = _layer_norm(x, params["ln_f"])
    head = params["head"] if "head" in params else params["tok"].T
    return x @ head


def model_flops_per_token(config, *, training=True):
    """Model FLOPs per token: ``2·(matmul parameters) + 2·n_layers·seq_len·d_model`` (attention
    scores and values, causal half counted as full) for the forward pass, times 3 for training.

    Parameters
    ----------
    config : TransformerConfig
    training : bool, optional
        Forward and backward (3×) or forward only.

    Returns
    -------
    float
    """
    d, f = config.d_model, config.d_ff
    matmul = config.n_layers * (3 * d * d + d * d + 2 * d * f) + d * config.vocab_size
    forward_flops = 2 * matmul + 2 * 2 * config.n_layers * config.seq_len * d
    return float(3 * forward_flops if training else forward_flops)
