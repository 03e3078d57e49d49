"""The streamed pipeline (hallusim.streaming) against the in-memory one: bit for bit."""

import numba
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import hallusim as hs
from hallusim import learners as L
from hallusim._rng import BLOCK_SIZE
from hallusim.streaming import ZipfWorld, stream_evaluate


def _learners():
    return {
        "calibrated": L.CalibratedLearner(),
        "empirical": L.EmpiricalCalibratedLearner(),
        "empirical_prior": L.EmpiricalCalibratedLearner(prior_strength=3.0),
        "memorizing": L.MemorizingLearner(),
        "uniform": L.UniformLearner(),
        "rescaled": L.RescaledLearner(L.EmpiricalCalibratedLearner(), 0.3),
        "mixture": L.MixtureLearner([L.CalibratedLearner(), L.MemorizingLearner()], [0.7, 0.3]),
    }


def _in_memory(world, n_examples, seed, thresholds):
    corpus = world.in_memory().sample(n_examples, seed=seed)
    return corpus, {name: hs.evaluate(learner.fit(corpus), corpus, thresholds=thresholds)
                    for name, learner in _learners().items()}


def _assert_same_runs(a, b):
    assert (a.n_examples, a.singleton_rate, a.missing_mass) == (b.n_examples, b.singleton_rate, b.missing_mass)
    # E[sr] is summed per part: equal to rounding when the parts differ
    assert a.expected_singleton_rate == pytest.approx(b.expected_singleton_rate, rel=1e-12)
    for name, ev in a.evaluations.items():
        got, want = ev.to_dict(), b.evaluations[name].to_dict()
        assert all(np.array_equal(got[key], want[key]) for key in want), name


def _assert_identical(run, corpus, evaluations):
    assert run.n_examples == corpus.n_examples
    assert run.singleton_rate == corpus.singleton_rate
    assert run.missing_mass == corpus.missing_mass
    for name, expected in evaluations.items():
        got, want = run.evaluations[name].to_dict(), expected.to_dict()
        assert got.keys() == want.keys()
        differ = [key for key in want if not np.array_equal(got[key], want[key])]
        assert not differ, f"{name}: fields differ from the in-memory evaluation: {differ}"


@settings(max_examples=12, deadline=None)
@given(
    n_prompts=st.integers(1, 3 * BLOCK_SIZE + 17),
    n_examples=st.integers(1, 200_000),
    exponent=st.sampled_from([0.0, 0.7, 1.0, 1.6]),
    answer_prob=st.sampled_from([0.0, 0.35, 0.9, 1.0]),
    part_blocks=st.integers(1, 3),
    seed=st.integers(0, 2**32 - 1),
)
@example(n_prompts=3 * BLOCK_SIZE + 17, n_examples=150_000, exponent=1.0, answer_prob=0.9, part_blocks=1, seed=5)
def test_streamed_equals_in_memory_bit_for_bit(n_prompts, n_examples, exponent, answer_prob, part_blocks, seed):
    world = ZipfWorld(n_prompts, exponent, 40, answer_prob)
    thresholds = [0.01, 0.4]
    run = stream_evaluate(world, n_examples, _learners(), seed=seed, thresholds=thresholds,
                          part_prompts=part_blocks * BLOCK_SIZE)
    _assert_identical(run, *_in_memory(world, n_examples, seed, thresholds))
    # E[sr] is summed per part, so it agrees to rounding only
    expected = world.in_memory().expected_singleton_rate(n_examples)
    assert run.expected_singleton_rate == pytest.approx(expected, rel=1e-12, abs=1e-300)


def test_streamed_result_does_not_depend_on_thread_count():
    world = ZipfWorld(5 * BLOCK_SIZE + 3, 1.1, 365, 0.9)
    before = numba.get_num_threads()
    runs = []
    try:
        for threads in (1, max(2, before)):
            numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
            runs.append(stream_evaluate(world, 300_000, _learners(), seed=11, part_prompts=2 * BLOCK_SIZE))
    finally:
        numba.set_num_threads(before)
    _assert_same_runs(*runs)


def test_the_part_size_changes_nothing():
    world = ZipfWorld(4 * BLOCK_SIZE, 0.9, 365, 0.8)
    a = stream_evaluate(world, 50_000, _learners(), seed=3, part_prompts=BLOCK_SIZE)
    b = stream_evaluate(world, 50_000, _learners(), seed=3, part_prompts=4 * BLOCK_SIZE)
    _assert_same_runs(a, b)


def test_separability_of_composite_learners():
    assert L.MixtureLearner([L.CalibratedLearner(), L.MemorizingLearner()], [1, 1]).separability == "prompt"
    assert L.MixtureLearner([L.CalibratedLearner(), L.EmpiricalCalibratedLearner()], [1, 1]).separability == "pooled"
    assert L.RescaledLearner(L.MemorizingLearner(), 2.0).separability == "prompt"
    assert L.RescaledLearner(object(), 2.0).separability is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"part_prompts": BLOCK_SIZE + 1}, "part_prompts"),
        ({"part_prompts": 0}, "part_prompts"),
        ({"n_examples": 0}, "n_examples"),
        ({"gamma": 0.0}, "gamma"),
        ({"learners": {}}, "learners"),
        ({"learners": {"net": L.Learner()}}, "learners"),
        ({"world": hs.ArbitraryFacts.zipf(10, 1.0)}, "world"),
    ],
)
def test_bad_input_names_the_parameter(kwargs, message):
    args = {"world": ZipfWorld(100, 1.0), "n_examples": 10, "learners": {"c": L.CalibratedLearner()}}
    args.update(kwargs)
    world, n_examples, learners = args.pop("world"), args.pop("n_examples"), args.pop("learners")
    with pytest.raises((ValueError, TypeError), match=message):
        stream_evaluate(world, n_examples, learners, **args)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"n_prompts": 0}, "n_prompts"), ({"exponent": -1}, "exponent"), ({"n_responses": 1}, "n_responses"),
     ({"answer_prob": 1.5}, "answer_prob"), ({"answer_prob": [0.5, 0.5]}, "answer_prob")],
)
def test_zipf_world_refuses_bad_parameters(kwargs, message):
    args = {"n_prompts": 10, "exponent": 1.0}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        ZipfWorld(**args)


def test_a_world_of_a_billion_prompts_costs_nothing_until_streamed():
    world = ZipfWorld(10**9, 1.0)
    assert world.min_errors == world.max_errors == 364
    assert "10000000" in repr(world).replace("_", "")


def test_a_part_of_a_world_has_the_whole_worlds_answers_and_weights():
    whole = hs.ArbitraryFacts.zipf(3 * BLOCK_SIZE + 5, 1.2, 50, 0.6)
    start = 2 * BLOCK_SIZE
    part = hs.ArbitraryFacts.part(whole.weights[start:], 50, 0.6, first_prompt=start)
    assert np.array_equal(part.answers(9), whole.answers(9)[start:])
    assert part.weights.sum() < 1.0  # kept as the whole world's share, not renormalised
    assert np.array_equal(part.weights, whole.weights[start:])
