"""Parameter sweeps: a grid of configurations × replicates, each mapped to one row of results.

Seeds come from ``numpy.random.SeedSequence`` keyed by the sweep's root seed, a hash of the
configuration and the replicate index, so a row never depends on which worker ran it, in which
order, or how many workers there were.
"""

from __future__ import annotations

import hashlib
import itertools
import json

import numpy as np

from hallusim._validation import check_int, fail

__all__ = ["expand_grid", "config_seed", "sweep"]


def expand_grid(grid) -> list[dict]:
    """The configurations of ``grid``: a dict of lists (Cartesian product, in key order) or a list of dicts."""
    if isinstance(grid, dict):
        keys = list(grid)
        values = [v if isinstance(v, (list, tuple)) else [v] for v in grid.values()]
        return [dict(zip(keys, combo)) for combo in itertools.product(*values)]
    if isinstance(grid, (list, tuple)) and all(isinstance(g, dict) for g in grid):
        return [dict(g) for g in grid]
    fail("grid", "a dict of lists or a list of dicts", grid)


def _config_words(params: dict) -> tuple[int, ...]:
    text = json.dumps(params, sort_keys=True, default=str)
    digest = hashlib.sha256(text.encode()).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))


def config_seed(root_seed: int, params: dict, replicate: int) -> np.random.SeedSequence:
    """The ``SeedSequence`` of one (configuration, replicate): keyed by the root seed, a hash of
    the configuration and the replicate index (never ``seed + i``)."""
    return np.random.SeedSequence(root_seed, spawn_key=_config_words(params) + (replicate,))


def sweep(func, grid, *, replicates: int = 1, seed: int = 0) -> list[dict]:
    """Run ``func(params, seed_sequence) -> dict`` on every configuration and replicate.

    Parameters
    ----------
    func : callable
        Maps one configuration (dict) and its ``SeedSequence`` to a dict of metrics.
    grid : dict of lists or list of dicts
        The configurations.
    replicates : int
        Independent replicates per configuration.
    seed : int
        Root seed of the sweep.

    Returns
    -------
    list of dict
        One row per (configuration, replicate): the parameters, ``replicate``, ``root_seed`` and
        the metrics, in grid order.
    """
    replicates = check_int("replicates", replicates, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    rows = []
    for params in expand_grid(grid):
        for rep in range(replicates):
            metrics = func(dict(params), config_seed(seed, params, rep))
            rows.append({**params, "replicate": rep, "root_seed": seed, **metrics})
    return rows
