"""Observation 2 (computational hardness, Section 3.4): a real block cipher against a weak one.

Prompts are "what is the decryption of ``h``?" with ``h = e_S(m)``, ``m`` uniform on ``|M| = 256^b``
messages (``b`` message bytes padded with zeros to one 16-byte block) and a key ``S`` drawn per
world. The correct response is ``m``; ``|V_c| = 2`` (``m`` and IDK) and ``|E_c| = |M| − 1``.

Two schemes: AES-128 (ECB on one block, via the ``cryptography`` package) and a deliberately weak
fixed-key XOR (``h = m ⊕ S``, byte by byte). The learner is the same for both: a bigram
:class:`hallusim.ngram.NgramModel` over position-tagged bytes, trained on the interleaved
sequence ``h_0 m_0 h_1 m_1 …``, so ``p̂(m_j | h_j)`` is a smoothed table from ciphertext byte ``j`` to
message byte ``j``; its ``p̂(m | h) = Π_j p̂(m_j | h_j)`` (the rest of the mass is on nonsense
strings), plus memorised ``(h, m)`` pairs seen in training (``p̂(m | h) = 1``).

For test ciphertexts drawn from ``μ`` every quantity is computed exactly over all ``|M|`` messages:
``err = 1 − E_h p̂(m* | h)``, the induced classifier ``f̂(h, m) = + iff p̂(m | h) > 1/(|M| − 1)``, its
IIV error on the paper's mixture (half valid pairs, half uniform wrong messages), the calibration gap
``δ``, and ``β̂ = max(0, 1 − 2·err_iiv)``, the smallest advantage ``f̂`` does not exceed. The bound
``err ≥ 1 − β̂ − 2/(|M| − 1) − δ`` (:func:`hallusim.bounds.observation2_lower`) is then Theorem 1 on
this prompt distribution: it holds exactly for the empirical distribution of the test ciphertexts.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import numpy as np

from hallusim import _rng, bounds
from hallusim._validation import check_choice, check_float, check_int, fail
from hallusim.ngram import NgramModel, Vocabulary
from hallusim.plotting.replications import plot_observation2
from hallusim.runs import sweep, write_table

SUMMARY = "Figure: err and the Observation 2 bound for a bigram learner against AES and a weak XOR cipher, against N."
OUTPUTS = ("figures/observation2.png", "figures/observation2.pdf", "results/observation2.csv")
#: The caption of each figure on the docs' experiments page (every symbol defined).
CAPTIONS = {
    "figures/observation2.png": (
        'Observation 2 (computational hardness), one panel per cipher (AES-128, which the learner cannot '
        'break; a fixed-key XOR, which it can), against the number N of training (ciphertext, message) pairs: '
        "the byte-table learner's generative error err, the bound 1 − β − 2/(|M| − 1) − δ with β̂ = 1 − "
        '2·err_iiv its IIV advantage (dashed), β̂ itself, the calibration gap δ, and the fraction of test '
        'prompts memorised from training; |M| is the number of messages (panel title). Below the black zero '
        'line a bound is vacuous. Quick preset.'
    ),
}

# Every preset key: (meaning, unit); `hallusim run observation2 --help` lists them with their preset values.
KEYS = {
    "ciphers": ("encryption schemes: \"aes\" (AES-128, needs the crypto extra) and \"xor\" (fixed-key XOR)", ""),
    "n_message_bytes": ("message bytes b: |M| = 256^b messages (1 to 3)", "bytes"),
    "n_examples": ("training (ciphertext, message) pairs N", "pairs"),
    "n_test": ("test ciphertexts drawn from μ, each scored exactly over all |M| messages", "ciphertexts"),
    "gamma": ("Lidstone constant of the bigram's byte tables", ""),
    "replicates": ("independent keys and training sets per (cipher, N)", "worlds"),
    "seed": ("root seed of the sweep", ""),
}

# Cost of each preset: (seconds, peak MB, how), from `/usr/bin/time -v hallusim run NAME --preset P --fresh`
# (--jobs 1, warm Numba cache) on the 2-core CI machine; "load" is the 1-minute load average before-after.
# Measured on a heavily loaded machine (load ~10 on 2 cores): at load ~1 expect several times less.
COST = {
    "quick": (60.9, 349, "measured, load 10.1-10.3"),
    "medium": (273, 375, "measured, load 10.6-10.2"),
    "paper": (900, 500, "estimated from the medium run: 48 rows against 28, each scoring twice the test ciphertexts, plus N = 10^5 (startup ~10 s at this load, measured with table2)"),
}

CIPHERS = ("aes", "xor")
_BLOCK = 16
_CHUNK = 64  # test ciphertexts whose full |M|-message distributions are held at once


def encrypt(cipher, key, messages, n_bytes):
    """Ciphertext blocks of ``messages`` (ints in ``[0, 256^n_bytes)``), shape ``(len, 16)`` uint8.

    Parameters
    ----------
    cipher : {"aes", "xor"}
    key : bytes
        16 bytes.
    messages : ndarray of int
    n_bytes : int
        Message bytes ``b``; the rest of the block is zero.

    Returns
    -------
    ndarray of uint8
    """
    plain = np.zeros((messages.size, _BLOCK), dtype=np.uint8)
    for j in range(n_bytes):
        plain[:, j] = (messages >> (8 * (n_bytes - 1 - j))) & 0xFF
    if cipher == "xor":
        return plain ^ np.frombuffer(key, dtype=np.uint8)
    try:
        # deferred: cryptography is the optional extra `crypto`, needed only for AES
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    except ModuleNotFoundError:
        raise ValueError("cipher 'aes' needs the optional package cryptography: pip install 'hallusim[crypto]'") from None
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    out = enc.update(plain.tobytes()) + enc.finalize()
    return np.frombuffer(out, dtype=np.uint8).reshape(-1, _BLOCK)


def _tokens(h, m, n_bytes):
    """Interleaved, position-tagged sentence ``h0:x m0:y h1:x' m1:y' …`` (message bytes only)."""
    out = []
    for j in range(n_bytes):
        out += [f"h{j}:{h[j]}", f"m{j}:{m[j]}"]
    return out


def byte_tables(model, n_bytes):
    """``P[j, x, y] = p̂(m_j = y | h_j = x)`` from the bigram, shape ``(b, 256, 256)``."""
    contexts = [[f"h{j}:{x}"] for j in range(n_bytes) for x in range(256) for _ in range(256)]
    words = [f"m{j}:{y}" for j in range(n_bytes) for _ in range(256) for y in range(256)]
    return model.score_pairs(contexts, words).reshape(n_bytes, 256, 256)


def replicate(params, seed, *, n_bytes, n_test, gamma):
    """One (cipher, N) world and replicate: key, training pairs, learner, exact test metrics."""
    n_messages = 256 ** n_bytes
    key_seed, train_seed, test_seed = _rng.as_seed_sequence(seed).spawn(3)
    key = np.random.default_rng(key_seed).bytes(_BLOCK)
    m_train = np.random.default_rng(train_seed).integers(0, n_messages, params["n_examples"])
    m_test = np.random.default_rng(test_seed).integers(0, n_messages, n_test)
    h_train = encrypt(params["cipher"], key, m_train, n_bytes)
    h_test = encrypt(params["cipher"], key, m_test, n_bytes)
    plain_train = encrypt("xor", bytes(_BLOCK), m_train, n_bytes)  # the message bytes themselves
    words = [f"{s}{j}:{v}" for j in range(n_bytes) for s in "hm" for v in range(256)]
    sentences = [_tokens(h, p, n_bytes) for h, p in zip(h_train, plain_train)]
    model = NgramModel(2, "lidstone", gamma=gamma, padding="none", vocabulary=Vocabulary(words)).fit(sentences)
    tables = byte_tables(model, n_bytes)
    memory = {h.tobytes(): int(m) for h, m in zip(h_train, m_train)}
    t = 1.0 / (n_messages - 1)
    correct = above_mass = valid_mistakes = fp = valid_above = memorised = 0.0
    for lo in range(0, n_test, _CHUNK):
        hs, ms = h_test[lo:lo + _CHUNK], m_test[lo:lo + _CHUNK]
        q = np.ones((hs.shape[0], 1))
        for j in range(n_bytes):  # p̂(m | h) over all messages, most significant byte first
            q = (q[:, :, None] * tables[j, hs[:, j], None, :]).reshape(hs.shape[0], -1)
        for i, h in enumerate(hs):
            hit = memory.get(h.tobytes())
            if hit is not None:
                q[i] = 0.0
                q[i, hit] = 1.0
                memorised += 1
        rows = np.arange(hs.shape[0])
        q_star = q[rows, ms]
        above = q > t
        correct += q_star.sum()
        above_mass += np.where(above, q, 0.0).sum()
        valid_above += (q_star > t).sum()
        valid_mistakes += (q_star <= t).sum()
        fp += ((above.sum(axis=1) - (q_star > t)) / (n_messages - 1)).sum()
    err = 1.0 - correct / n_test
    err_iiv = 0.5 * (valid_mistakes + fp) / n_test
    delta = abs(above_mass - valid_above) / n_test
    beta = max(0.0, 1.0 - 2.0 * err_iiv)
    return {
        "n_messages": n_messages,
        "err": err,
        "err_iiv": err_iiv,
        "delta": delta,
        "beta": beta,
        "memorised_fraction": memorised / n_test,
        "observation2_lower": bounds.observation2_lower(beta, n_messages, min(delta, 1.0)),
        "theorem1_lower": bounds.theorem1_lower(err_iiv, 2, n_messages - 1, min(delta, 1.0)),
    }


def check_config(config):
    """Reject values of ``config`` the experiment cannot run with.

    Parameters
    ----------
    config : dict
    """
    for c in config["ciphers"]:
        check_choice("ciphers", c, CIPHERS)
    if "aes" in config["ciphers"] and importlib.util.find_spec("cryptography") is None:
        fail("ciphers", "'xor' only, or install the optional package cryptography (pip install 'hallusim[crypto]') for 'aes'",
             ", ".join(config["ciphers"]))
    n_bytes = check_int("n_message_bytes", config["n_message_bytes"], minimum=1, maximum=3)
    if n_bytes == 3 and config["n_test"] > 64:
        fail("n_test", "at most 64 with 3 message bytes (each test ciphertext holds 2^24 probabilities)", config["n_test"])
    for n in config["n_examples"]:
        check_int("n_examples", n, minimum=1)
    check_int("n_test", config["n_test"], minimum=1)
    check_float("gamma", config["gamma"], low=0.0, low_open=True)
    check_int("replicates", config["replicates"], minimum=1)


def run(config, out_dir, *, sweep_options=None):
    """Run the sweep, write the table and the figure; return the rows.

    Parameters
    ----------
    config : dict
        A preset of ``observation2.toml``.
    out_dir : str or Path
    sweep_options : dict, optional

    Returns
    -------
    list of dict
    """
    check_config(config)
    func = functools.partial(replicate, n_bytes=int(config["n_message_bytes"]), n_test=int(config["n_test"]),
                             gamma=float(config["gamma"]))
    grid = {"cipher": list(config["ciphers"]), "n_examples": [int(n) for n in config["n_examples"]]}
    rows = sweep(func, grid, replicates=int(config["replicates"]), seed=int(config["seed"]), **(sweep_options or {}))
    out_dir = Path(out_dir)
    write_table(rows, out_dir / "results" / "observation2.csv", provenance={"config": config})
    plot_observation2(rows, out_dir / "figures" / "observation2")
    return rows
