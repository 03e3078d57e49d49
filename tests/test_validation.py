"""Bad input: every public entry raises ValueError naming the parameter, what is allowed and
what was given."""

import re

import numpy as np
import pytest

import hallusim as hs
from hallusim import bounds


@pytest.mark.parametrize(
    "kwargs,name,shown",
    [
        (dict(weights=[1.0, -0.5]), "weights", "-0.5"),
        (dict(weights=[1.0, np.nan]), "weights", "nan"),
        (dict(weights=[0.0, 0.0]), "weights", "all zeros"),
        (dict(weights=[]), "weights", "shape (0,)"),
        (dict(weights=[1.0, 1.0], answer_prob=1.5), "answer_prob", "1.5"),
        (dict(weights=[1.0, 1.0], answer_prob=[0.5, -0.1]), "answer_prob", "-0.1"),
        (dict(weights=[1.0, 1.0], n_responses=1), "n_responses", "1"),
        (dict(weights=[1.0, 1.0], n_responses=[2, 1]), "n_responses", "1"),
        (dict(weights=[1.0, 1.0], n_responses=[3, 3, 3]), "n_responses", "shape (3,)"),
    ],
)
def test_world_arguments(kwargs, name, shown):
    with pytest.raises(ValueError, match=f"`{name}` must be") as info:
        hs.ArbitraryFacts(**kwargs)
    assert shown in str(info.value)


@pytest.mark.parametrize("n", [0, -3, 2.5, "10"])
def test_n_examples(n):
    world = hs.ArbitraryFacts.uniform(n_prompts=3)
    with pytest.raises(ValueError, match="`n_examples` must be an integer >= 1"):
        world.sample(n, seed=0)


def test_constructor_arguments():
    with pytest.raises(ValueError, match="`n_prompts` must be"):
        hs.ArbitraryFacts.zipf(n_prompts=0, exponent=1.0)
    with pytest.raises(ValueError, match="`exponent` must be"):
        hs.ArbitraryFacts.zipf(n_prompts=10, exponent=-1.0)
    with pytest.raises(ValueError, match="`shape` must be"):
        hs.ArbitraryFacts.pareto_repetition(n_prompts=10, shape=0.0)


@pytest.mark.parametrize("gamma", [0.0, -0.1, 1.5, np.nan])
def test_gamma_outside_unit_interval(gamma):
    for call in (
        lambda: bounds.theorem2_lower(0.1, 364, 1000, gamma=gamma),
        lambda: bounds.theorem2_upper(0.1, 364, 1000, gamma=gamma),
        lambda: bounds.good_turing_deviation(1000, gamma),
        lambda: bounds.missing_mass_deviation(1000, gamma),
        lambda: bounds.lemma2_lower(0.1, 1000, gamma),
    ):
        with pytest.raises(ValueError, match="`gamma` must be") as info:
            call()
        assert "got" in str(info.value)


def test_dense_metrics_arguments():
    valid = np.array([[True, False]])
    with pytest.raises(ValueError, match="`p_hat` must be"):
        hs.dense_metrics([1.0], [[1.0, 0.0]], [[0.7, 0.7]], valid)
    with pytest.raises(ValueError, match="`p` must be"):
        hs.dense_metrics([1.0], [[0.5, 0.5]], [[0.5, 0.5]], valid)
    with pytest.raises(ValueError, match="`valid` must be"):
        hs.dense_metrics([1.0], [[1.0, 0.0]], [[0.5, 0.5]], np.array([[True, True]]))
    with pytest.raises(ValueError, match="`nonsense` must be"):
        hs.dense_metrics([1.0], [[1.0, 0.0]], [[0.5, 0.5]], valid, np.array([[True, False]]))


def test_compact_model_arguments():
    with pytest.raises(ValueError, match="`probs` must be"):
        hs.CompactModel(5, np.array([[0]]), np.array([[0.9]]), 0.5, 0.0)
    with pytest.raises(ValueError, match="`responses` must be"):
        hs.CompactModel(5, np.array([[7]]), np.array([[0.1]]), 0.5, 0.4)
    with pytest.raises(ValueError, match="`responses` must be"):
        hs.CompactModel(5, np.array([[1, 1]]), np.array([[0.1, 0.1]]), 0.5, 0.3)
    with pytest.raises(ValueError, match="`responses` must be"):  # no silent wrap to a valid id
        hs.CompactModel(5, np.array([[2**32 + 1]]), np.array([[0.1]]), 0.5, 0.4)
    with pytest.raises(ValueError, match="`n_responses` must be"):
        hs.CompactModel(2.7, np.array([[0]]), np.array([[0.5]]), 0.5, 0.0)
    with pytest.raises(ValueError, match="`rest` must be"):  # every response explicit, yet a remainder
        hs.CompactModel(2, np.array([[0, 1]]), np.array([[0.3, 0.3]]), 0.2, 0.2)
    with pytest.raises(ValueError, match="`idk` must be"):
        hs.CompactModel(5, np.array([[0]]), np.array([[0.5]]), "x", 0.0)


TEMPLATE = re.compile(r"^`\w+` must be .+; got [^;]+\.$")


@pytest.mark.parametrize(
    "call",
    [
        lambda: hs.ArbitraryFacts([1.0, -0.5]),
        lambda: hs.ArbitraryFacts([1.0, 1.0], answer_prob=np.array([0.5, 1.5])),
        lambda: hs.ArbitraryFacts([1.0, 1.0], answer_prob="0.5"),
        lambda: hs.ArbitraryFacts([1.0, 1.0], answer_prob=np.array([True, False])),
        lambda: hs.ArbitraryFacts([1.0, 1.0], n_responses=np.array([2.5, 3.0])),
        lambda: hs.ArbitraryFacts([[1.0], [1.0, 2.0]]),
        lambda: hs.ArbitraryFacts.pareto_repetition(n_prompts=1000, shape=0.01, seed=0),
        lambda: hs.ArbitraryFacts.uniform(n_prompts=3).sample(0),
        lambda: hs.evaluate(hs.learners.CalibratedLearner().fit(_small_corpus()), _small_corpus(), thresholds=["a"]),
        lambda: hs.learners.EmpiricalCalibratedLearner(prior_strength=np.nan).fit(_small_corpus()),
        lambda: hs.learners.EmpiricalCalibratedLearner(prior_strength="abc").fit(_small_corpus()),
        lambda: hs.dense_metrics([1.0], [[1.0, 0.0], [1.0]], [[0.5, 0.5]], np.array([[True, False]])),
        lambda: hs.CompactModel(5, np.array([[0]]), np.array([[0.5]]), 0.5, 0.0).probability(0, 2.5),
        lambda: bounds.theorem2_lower(0.1, 364, 1000, gamma=np.float64(2.0)),
    ],
)
def test_messages_follow_the_template(call):
    with pytest.raises(ValueError) as info:
        call()
    message = str(info.value)
    assert TEMPLATE.match(message), message
    assert "np." not in message  # plain values, not NumPy reprs


def _small_corpus():
    return hs.ArbitraryFacts.uniform(n_prompts=4, answer_prob=0.5).sample(10, seed=0)


def test_huge_weights_are_normalised_without_overflow():
    world = hs.ArbitraryFacts([1e308, 1e308])
    assert np.allclose(world.weights, 0.5)


def test_seed_argument():
    with pytest.raises(ValueError, match="`seed` must be"):
        hs.ArbitraryFacts.uniform(n_prompts=3).sample(5, seed=-1)
