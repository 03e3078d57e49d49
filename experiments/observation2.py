"""Observation 2 on one training size: a bigram over ciphertext bytes against AES and a weak XOR.

A worked example on the public API (seconds; AES needs ``pip install 'hallusim[crypto]'``). The
full experiment, a sweep over N with a figure, is ``hallusim run observation2``
(its code: ``hallusim/experiments/observation2.py``).
"""

from hallusim.experiments.observation2 import replicate

for cipher in ("aes", "xor"):
    row = replicate({"cipher": cipher, "n_examples": 2000}, 0, n_bytes=2, n_test=64, gamma=0.01)
    print(f"{cipher}: err = {row['err']:.3f}, beta = {row['beta']:.3f}, delta = {row['delta']:.3f}, "
          f"Observation 2 lower bound = {row['observation2_lower']:+.3f} (|M| = {row['n_messages']})")
