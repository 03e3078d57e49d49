"""The n-gram experiments: the agreement world, and small runs of the experiments end to end."""

import numpy as np
import pytest

from hallusim.experiments import load, load_config
from hallusim.ngram import AgreementWorld, NgramModel


def test_agreement_world_sentences_agree_and_prompts_are_paired():
    world = AgreementWorld(distance=5, filler_vocab_size=3)
    sentences = world.sample(500, seed=0)
    assert all(len(s) == 1 + 5 + 2 for s in sentences)
    assert all(s[6] == {"she": "her", "he": "his"}[s[0]] and s[4:6] == ["out", "of"] for s in sentences)
    assert {w for s in sentences for w in s[1:4]} <= {"lost", "it", "and"}
    share = np.mean([s[0] == "she" for s in sentences])
    # a binomial proportion: 4 standard deviations, two-sided significance level 6.3e-5 (fixed seed)
    assert abs(share - 0.5) < 4 * 0.5 / np.sqrt(500)
    prompts, valid = world.prompt_pairs(10, seed=1)
    assert len(prompts) == 20 and valid.tolist() == [0, 1] * 10
    assert all(prompts[2 * i][1:] == prompts[2 * i + 1][1:] for i in range(10))
    assert world.sample(50, seed=3) == world.sample(50, seed=3)
    with pytest.raises(ValueError, match="`distance` must be an integer >= 2"):
        AgreementWorld(distance=1)


def test_trigram_agreement_runs_small(tmp_path):
    config = load_config("trigram_agreement", "quick")
    config.update(distances=[2], orders=[2, 3, 4], train_sizes=[20, 200], n_test_pairs=20, replicates=1)
    rows = load("trigram_agreement").run(config, tmp_path)
    assert len(rows) == 6
    for row in rows:
        assert row["theorem4_holds"]
        if not row["window_sees_pronoun"]:
            assert row["opt"] == pytest.approx(0.5) and row["err"] >= 0.5 - 1e-12
    for name in load("trigram_agreement").OUTPUTS:
        assert (tmp_path / name).exists(), name


def test_trigram_agreement_rejects_bad_config(tmp_path):
    config = load_config("trigram_agreement", "quick")
    config.update(distances=[1])
    with pytest.raises(ValueError, match="`distances` must be distances >= 2"):
        load("trigram_agreement").run(config, tmp_path)


def test_fact_strings_runs_small_and_sampling_agrees_with_the_exact_error(tmp_path):
    config = load_config("fact_strings", "quick")
    config.update(n_prompts=60, n_examples=[300], orders=[3, 5], generations=4000, replicates=1)
    rows = load("fact_strings").run(config, tmp_path)
    assert len(rows) == 2
    for row in rows:
        # the sampled rate estimates err = Σ μ(c) p̂(N ∪ E | c): a binomial proportion over 4000
        # generations; 5 standard deviations (two-sided significance about 6e-7)
        sd = np.sqrt(row["err"] * (1 - row["err"]) / 4000)
        assert abs(row["hallucination_rate"] - row["err"]) <= 5 * sd + 1e-12
        assert row["err"] >= row["theorem1_lower"] - 1e-12  # Theorem 1 holds for every model
    by_order = {row["order"]: row for row in rows}
    assert by_order[3]["err"] > by_order[5]["err"]  # the window that sees the name memorises facts
    # paired: both orders are trained on the one corpus of the replicate
    assert by_order[3]["singleton_rate"] == by_order[5]["singleton_rate"]
    assert by_order[3]["missing_mass"] == by_order[5]["missing_mass"]
    for name in load("fact_strings").OUTPUTS:
        assert (tmp_path / name).exists(), name


@pytest.mark.parametrize("smoothing", ["laplace", "lidstone", "witten_bell"])
def test_fact_strings_sampled_hallucination_rate_estimates_the_exact_err(smoothing):
    """Every generation is a Bernoulli draw with mean err = Σ μ(c) p̂(N ∪ E | c) (prompt from μ, then
    one token from p̂): the sampled rate is a binomial proportion with variance err(1 − err)/G.
    Two-sided test at 5 standard deviations (significance about 6e-7). Additive models used to
    sample from a shortened context after an unseen name, 24 sd away from err."""
    from hallusim.experiments.fact_strings import replicate

    generations = 20_000
    flat = replicate({"n_examples": 300}, np.random.SeedSequence(8), orders=(5,), n_prompts=1000, exponent=1.0,
                     n_responses=365, answer_prob=0.9, smoothing=smoothing, discount=0.75, generations=generations)
    row = {key.removeprefix("o5_"): value for key, value in flat.items()}
    sd = np.sqrt(row["err"] * (1 - row["err"]) / generations)
    assert 0.0 < row["err"] < 1.0
    assert abs(row["hallucination_rate"] - row["err"]) <= 5 * sd


@pytest.mark.parametrize("order", [3, 5])
def test_fact_strings_prompt_matrix_equals_the_per_prompt_distributions(order, monkeypatch):
    from hallusim.experiments import fact_strings as fs

    text = fs.response_tokens(20)
    rng = np.random.default_rng(2)
    sentences = fs.render(rng.integers(0, 30, 200), rng.integers(-1, 18, 200), text)  # r18, r19 never seen
    model = NgramModel(order, "kneser_ney").fit(sentences)
    monkeypatch.setattr(fs, "_PAIRS_PER_CALL", 21 * 7)  # several calls, the last one partial
    got = fs.prompt_matrix(model, 45, text)  # prompts 30..44 never seen: <unk>
    expected = np.empty((45, 21))
    for c in range(45):
        dist = model.distribution(["<s>", f"person{c}", *fs.TEMPLATE])
        expected[c] = [dist[model.vocabulary_.id(w)] if w in model.vocabulary_ else 0.0 for w in text + [fs.IDK_TOKEN]]
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=0)
    assert (got[:, 18:20] == 0).all() and (got[:, :18] > 0).all()


def test_fact_strings_renders_birthdays():
    from hallusim.experiments.fact_strings import render, response_tokens

    dates = response_tokens(365)
    assert dates[0] == "01-01" and dates[-1] == "31-12" and len(set(dates)) == 365
    sentences = render(np.array([4, 7]), np.array([0, -1]), dates)
    assert sentences == [["person4", "was", "born", "on", "01-01"], ["person7", "was", "born", "on", "unknown"]]
