"""Sizes of worlds and corpora: refused before allocating, with the parameter and given value."""

from __future__ import annotations

import pytest

import hallusim as hs


@pytest.mark.parametrize("n", [2**63, 2**64, 10**30])
def test_huge_sample_sizes_name_n_examples(n):
    world = hs.ArbitraryFacts.uniform(10)
    with pytest.raises(ValueError, match=rf"^`n_examples` must be an integer >= 1 and <= 2\*\*62 .*; got {n}\.$"):
        world.sample(n, seed=0)


def test_huge_n_responses_is_refused_at_construction():
    with pytest.raises(ValueError, match=r"`n_responses` must be .*; got 1180591620717411303424\.$"):
        hs.ArbitraryFacts([1, 2], n_responses=2**70)


def test_an_overflowing_n_responses_entry_is_shown_as_given():
    with pytest.raises(ValueError, match=r"`n_responses` must be .*; got 9223372036854775808 at index 0\.$"):
        hs.ArbitraryFacts([1, 2], n_responses=[2**63, 5])


def test_a_world_too_large_for_memory_is_refused_before_allocating():
    with pytest.raises(ValueError, match=r"^`n_prompts` must be a size whose arrays fit in memory .*needs about"):
        hs.ArbitraryFacts.zipf(10**15, 1.0)
