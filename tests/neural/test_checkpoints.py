"""Checkpoints of one training run, and the paired neural_floor sweep built on them."""

import jax
import numpy as np
import pytest

import hallusim as hs
import hallusim.neural as hn
from hallusim.experiments import neural_floor


@pytest.fixture(scope="module")
def corpus():
    return hs.ArbitraryFacts.zipf(40, 1.0, n_responses=5, answer_prob=0.8).sample(100, seed=4)


def _fit(corpus, **kwargs):
    return hn.TransformerLearner(d_model=16, n_layers=1, n_heads=2, steps=30, batch_size=16, seed=3, **kwargs).fit(corpus)


def test_checkpoints_do_not_change_the_run(corpus):
    plain = _fit(corpus)
    seen = _fit(corpus, checkpoints=[0, 10, 30, 20])
    for a, b in zip(jax.tree_util.tree_leaves(plain.params_), jax.tree_util.tree_leaves(seen.params_)):
        assert np.array_equal(a, b)
    assert list(seen.checkpoint_models_) == [0, 10, 20, 30]
    last = seen.checkpoint_models_[30]
    assert np.array_equal(last.probs, seen.model_.probs) and np.array_equal(last.idk, seen.model_.idk)
    # step 0 is the untrained network, and training moves it
    untrained = hn.TransformerLearner(d_model=16, n_layers=1, n_heads=2, steps=0, seed=3).fit(corpus)
    assert np.array_equal(seen.checkpoint_models_[0].probs, untrained.model_.probs)
    assert not np.array_equal(seen.checkpoint_models_[10].probs, seen.checkpoint_models_[0].probs)


@pytest.mark.parametrize("bad", [[-1], [31], ["a"], [2.5], "10"])
def test_bad_checkpoints_name_the_parameter(corpus, bad):
    with pytest.raises(ValueError, match="checkpoints"):
        _fit(corpus, checkpoints=bad)


def test_neural_floor_is_paired_and_reproducible(tmp_path):
    config = {"prompts_per_example": 0.5, "n_examples": [60], "exponents": [1.0], "n_responses": 4, "answer_prob": 0.9,
              "steps": [0, 4, 8], "d_model": [16, 32], "n_layers": 1, "batch_size": 8, "lr": 3e-3, "replicates": 2,
              "seed": 11}
    options = {"progress": "off"}
    rows = neural_floor.run(config, tmp_path / "a", sweep_options=options)
    again = neural_floor.run(config, tmp_path / "b", sweep_options=options)
    assert len(rows) == 1 * 2 * 2 * 3
    keys = ("err", "delta", "singleton_rate", "calibrated_err")
    assert [[r[k] for k in keys] for r in rows] == [[r[k] for k in keys] for r in again]
    for rep in (0, 1):
        sub = [r for r in rows if r["replicate"] == rep]
        # one corpus per replicate: the same sr and calibrated learner at every width and length
        assert len({r["singleton_rate"] for r in sub}) == 1 and len({r["calibrated_err"] for r in sub}) == 1
        assert {(r["d_model"], r["steps"]) for r in sub} == {(d, s) for d in (16, 32) for s in (0, 4, 8)}
    assert (tmp_path / "a" / "figures" / "neural_floor.png").exists()
