"""Two-token (month, day) answers: rendering, and the exact pair distribution of a network."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import hallusim as hs
import hallusim.neural as hn
from hallusim.posttraining.grading import binary_grader


@pytest.fixture(scope="module")
def corpus():
    sizes = np.r_[np.full(12, 365), np.full(12, 100)]  # the real calendar, and the 12 × 31 grid's first 100 cells
    return hs.ArbitraryFacts.zipf(24, 1.0, n_responses=sizes, answer_prob=0.75).sample(90, seed=5)


def test_calendar_mapping():
    month, day = hn.month_day(np.arange(365), 365)
    # every (month, day) of a non-leap year once, in order
    assert np.bincount(month).tolist() == [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    assert len(set(zip(month, day))) == 365 and np.all(np.diff(month * 31 + day) > 0)
    assert (month[59], day[59]) == (2, 0)  # 1 March
    month, day = hn.month_day(np.array([0, 30, 31, 371]), 372)
    assert month.tolist() == [0, 0, 1, 11] and day.tolist() == [0, 30, 0, 30]


def test_rendered_corpus_has_the_corpus_counts(corpus):
    layout = hn.TokenLayout.for_world(corpus.world, answer_tokens="month_day", seed=0)
    tokens, prompts = hn.render_corpus(corpus, layout)
    assert tokens.shape == (corpus.n_examples, 3 + 1 + 2)
    assert (tokens[:, :3] == layout.names[prompts]).all() and (tokens[:, 3] == layout.separator).all()
    answered = np.zeros(corpus.world.n_prompts, int)
    idk = np.zeros(corpus.world.n_prompts, int)
    for c, (first, second) in zip(prompts, tokens[:, 4:]):
        if first == layout.idk:
            assert second == layout.end
            idk[c] += 1
            continue
        assert 0 <= first < 12 and 12 <= second < 43
        # decode by the calendar (|R_c| = 365) or the grid (|R_c| = 100)
        n = corpus.world.n_responses[c]
        if n == 365:
            response = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][:first]
            response = sum(response) + second - 12
        else:
            response = 31 * first + second - 12
        assert response == corpus.answers[c]
        answered[c] += 1
    assert np.array_equal(answered, corpus.answered_counts) and np.array_equal(idk, corpus.idk_counts)


def _layer_norm(x):
    return (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5)


def test_exact_pairs_equal_a_direct_product(corpus):
    """Every block writes zero and the positions embed to zero, so the logits at a position are
    LN(tok[x]) @ head of the token x there: computed here in numpy and multiplied by hand."""
    learner = hn.TransformerLearner(d_model=16, n_layers=1, n_heads=2, steps=0, answer_tokens="month_day").fit(corpus)
    layout = learner.layout_
    rng = np.random.default_rng(0)
    tok = rng.normal(size=(layout.vocab_size, 16))
    head = 1.5 * rng.normal(size=(16, layout.vocab_size))
    params = jax.tree_util.tree_map(jnp.zeros_like, learner.params_)
    params["tok"], params["head"] = jnp.asarray(tok, jnp.float32), jnp.asarray(head, jnp.float32)
    params["ln_f"] = {"g": jnp.ones(16), "b": jnp.zeros(16)}
    learner.set_params(params)

    def softmax(x):
        e = np.exp(x - x.max())
        return e / e.sum()

    tok32, head32 = tok.astype(np.float32).astype(np.float64), head.astype(np.float32).astype(np.float64)
    first = softmax(_layer_norm(tok32[layout.separator]) @ head32)
    second = [softmax(_layer_norm(tok32[m]) @ head32) for m in range(12)]
    model = learner.model_
    mu, a = corpus.world.weights, corpus.answers
    cum = np.r_[0, np.cumsum([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])]
    p_answer = np.empty(corpus.world.n_prompts)
    for c in range(corpus.world.n_prompts):
        n = corpus.world.n_responses[c]
        for slot, r in enumerate(model.responses[c]):
            if r < 0:
                continue
            m = int(np.searchsorted(cum, r, side="right") - 1) if n == 365 else r // 31
            d = r - cum[m] if n == 365 else r % 31
            assert model.probs[c, slot] == pytest.approx(first[m] * second[m][12 + d], rel=1e-4, abs=1e-9)
            if r == a[c]:
                p_answer[c] = first[m] * second[m][12 + d]
        assert sorted(r for r in model.responses[c] if r >= 0) == list(range(n))
    assert np.allclose(model.idk, first[layout.idk], rtol=1e-4)
    # err counts everything but a_c and IDK: invalid pairs (e.g. 30 February), a month then IDK, sub-words
    ev = hs.evaluate(learner, corpus)
    assert ev.err == pytest.approx(mu @ (1 - p_answer - first[layout.idk]), rel=1e-4)
    month_then_idk = sum(first[m] * second[m][layout.idk] for m in range(12))
    assert ev.err > mu @ (1 - (model.probs.sum(axis=1)) - first[layout.idk]) - 1e-9
    assert month_then_idk > 0 and (model.nonsense.sum(axis=1) > month_then_idk).all()


def test_trained_month_day_learner_is_exact_and_reproducible(corpus):
    fits = [hn.TransformerLearner(d_model=16, n_layers=1, n_heads=2, steps=30, batch_size=16, seed=2,
                                  answer_tokens="month_day").fit(corpus) for _ in range(2)]
    assert np.array_equal(fits[0].model_.probs, fits[1].model_.probs)
    m = fits[0].model_
    total = m.probs.sum(axis=1) + m.idk + m.nonsense.sum(axis=1)
    assert np.allclose(total, 1.0, atol=1e-9)


def test_month_day_bad_input(corpus):
    with pytest.raises(ValueError, match="answer_tokens"):
        hn.TransformerLearner(steps=0, answer_tokens="pairs").fit(corpus)
    big = hs.ArbitraryFacts.zipf(5, 1.0, n_responses=373, answer_prob=0.9).sample(10, seed=0)
    with pytest.raises(ValueError, match="n_responses"):
        hn.TransformerLearner(d_model=16, n_heads=2, steps=0, answer_tokens="month_day").fit(big)
    learner = hn.TransformerLearner(d_model=16, n_heads=2, steps=0, answer_tokens="month_day").fit(corpus)
    with pytest.raises(ValueError, match="learner"):
        hn.reinforce(learner, corpus, binary_grader(), steps=1)
