"""hallusim.neural: rendering, the exact evaluation of a network, training and RL post-training.

Small worlds and few steps; what a trained model achieves (δ, err against sr) is an empirical
finding reported in the docs, not asserted here.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import hallusim as hs
import hallusim.neural as hn
from hallusim.neural._train import next_token_loss, train
from hallusim.posttraining.grading import binary_grader, payoff_grader


@pytest.fixture(scope="module")
def corpus():
    world = hs.ArbitraryFacts.zipf(60, 1.0, n_responses=np.r_[np.full(30, 5), np.full(30, 8)], answer_prob=0.8)
    return world.sample(150, seed=3)


@pytest.fixture(scope="module")
def trained(corpus):
    return hn.TransformerLearner(d_model=32, n_layers=1, n_heads=2, steps=300, batch_size=32, lr=5e-3, seed=1).fit(corpus)


def test_rendered_corpus_has_the_corpus_counts(corpus):
    layout = hn.TokenLayout.for_world(corpus.world, name_length=3, seed=0)
    tokens, prompts = hn.render_corpus(corpus, layout)
    assert tokens.shape == (corpus.n_examples, layout.seq_len)
    # names are unique, several sub-word tokens long, and identify the prompt
    assert len({tuple(n) for n in layout.names}) == corpus.world.n_prompts
    assert (tokens[:, :3] == layout.names[prompts]).all() and (tokens[:, 3] == layout.separator).all()
    answered = np.zeros(corpus.world.n_prompts, int)
    idk = np.zeros(corpus.world.n_prompts, int)
    for c, y in zip(prompts, tokens[:, -1]):
        if y == layout.idk:
            idk[c] += 1
        else:
            assert y == corpus.answers[c]
            answered[c] += 1
    assert np.array_equal(answered, corpus.answered_counts) and np.array_equal(idk, corpus.idk_counts)


def _hand_set(learner, logits):
    """Parameters whose answer-position softmax is softmax(logits) for every prompt: every block
    writes zero into the residual stream, the final norm outputs the first basis vector, and the
    head's first row holds ``logits``."""
    params = jax.tree_util.tree_map(jnp.zeros_like, learner.params_)
    d = learner.config_.d_model
    params["ln_f"] = {"g": jnp.zeros(d), "b": jnp.zeros(d).at[0].set(1.0)}
    params["head"] = jnp.zeros_like(params["head"]).at[0].set(jnp.asarray(logits, jnp.float32))
    return params


def test_hand_set_network_gives_the_metrics_of_its_softmax(corpus):
    learner = hn.TransformerLearner(d_model=8, n_layers=1, n_heads=2, steps=0).fit(corpus)
    layout = learner.layout_
    rng = np.random.default_rng(0)
    logits = rng.normal(size=layout.vocab_size).astype(np.float32) * 2
    logits[layout.separator] = 3.0  # a visible nonsense mass
    learner.set_params(_hand_set(learner, logits))
    softmax = np.exp(logits.astype(np.float64) - logits.max())
    softmax /= softmax.sum()
    ev = hs.evaluate(learner, corpus, thresholds=[0.05, 0.2])
    # the same distribution built directly, as dense arrays with the nonsense columns marked
    n_prompts = corpus.world.n_prompts
    p_hat = np.tile(softmax, (n_prompts, 1))
    inside = np.arange(layout.vocab_size)[None, :] < layout.n_responses[:, None]
    valid = np.zeros_like(inside)
    valid[np.arange(n_prompts), corpus.answers] = True
    valid[:, layout.idk] = True
    nonsense = ~inside
    nonsense[:, layout.idk] = False
    p = np.zeros_like(p_hat)
    p[np.arange(n_prompts), corpus.answers] = 0.8
    p[:, layout.idk] = 0.2
    d = hs.dense_metrics(corpus.world.weights, p, p_hat, valid, nonsense, thresholds=[0.05, 0.2])
    for name in ("err", "err_iiv", "delta", "dL_ds", "cross_entropy"):
        assert getattr(ev, name) == pytest.approx(getattr(d, name), abs=1e-6), name
    assert np.allclose(ev.delta_at, d.delta_at, atol=1e-6)
    # nonsense is error: err is everything but a_c and IDK, the separator's mass included
    mu = corpus.world.weights
    expected_err = mu @ (1 - softmax[corpus.answers] - softmax[layout.idk])
    assert ev.err == pytest.approx(expected_err, abs=1e-6)
    assert ev.err > mu @ (inside * softmax).sum(axis=1) - mu @ softmax[corpus.answers] + 0.5 * softmax[layout.separator]


def test_every_prompt_is_evaluated_seen_or_not(corpus, trained):
    assert (~corpus.seen).any()
    probs = trained.probs_
    assert probs.shape == (corpus.world.n_prompts, trained.layout_.vocab_size)
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-12)
    mu, idk = corpus.world.weights, trained.layout_.idk
    direct = mu @ (1 - probs[np.arange(len(mu)), corpus.answers] - probs[:, idk])
    assert hs.evaluate(trained, corpus).err == pytest.approx(direct, abs=1e-12)
    # the unseen prompts' share of err is part of it and positive
    unseen = ~corpus.seen
    assert (mu[unseen] @ (1 - probs[unseen][:, idk])) > 0


def test_training_lowers_the_loss_on_a_fixed_batch(corpus):
    learner = hn.TransformerLearner(d_model=16, n_layers=1, n_heads=2, steps=0).fit(corpus)
    tokens, _ = hn.render_corpus(corpus, learner.layout_)
    batch = jnp.asarray(tokens[:32])
    before = float(next_token_loss(learner.params_, batch, 2))
    params, losses, _ = train(learner.params_, tokens[:32], n_heads=2, steps=60, batch_size=32, lr=1e-2,
                              weight_decay=0.0, seed=0, chunk=30)
    after = float(next_token_loss(params, batch, 2))
    assert after < 0.5 * before
    assert losses.shape == (60,)


def test_same_seed_same_parameters(corpus):
    fits = [hn.TransformerLearner(d_model=16, n_layers=1, n_heads=2, steps=40, batch_size=16, seed=7).fit(corpus)
            for _ in range(2)]
    leaves = [jax.tree_util.tree_leaves(f.params_) for f in fits]
    assert all(np.array_equal(a, b) for a, b in zip(*leaves))
    assert np.array_equal(fits[0].probs_, fits[1].probs_)
    other = hn.TransformerLearner(d_model=16, n_layers=1, n_heads=2, steps=40, batch_size=16, seed=8).fit(corpus)
    assert not np.array_equal(other.probs_, fits[0].probs_)


def test_rl_idk_reward_raises_idk_and_binary_lowers_it(corpus, trained):
    _, up = hn.reinforce(trained, corpus, payoff_grader(0.0, -1.0, 1.0), steps=60, batch_size=32, lr=3e-3, seed=0)
    _, down = hn.reinforce(trained, corpus, binary_grader(), steps=60, batch_size=32, lr=3e-3, seed=0)
    assert up.idk_rate[0] == down.idk_rate[0] == pytest.approx(trained.probs_[:, trained.layout_.idk] @ corpus.world.weights)
    assert up.idk_rate[-1] > up.idk_rate[0]
    assert down.idk_rate[-1] < down.idk_rate[0]


def test_rl_result_is_a_copy_with_an_exact_model(corpus, trained):
    before = trained.probs_.copy()
    post, history = hn.reinforce(trained, corpus, binary_grader(), steps=20, batch_size=16, seed=1, record_every=10)
    assert np.array_equal(trained.probs_, before)
    assert history.steps == [0, 10, 20]
    assert hs.evaluate(post, corpus).err == pytest.approx(history.err[-1], abs=1e-12)


def test_bad_input_names_the_parameter(corpus):
    with pytest.raises(ValueError, match="n_heads"):
        hn.TransformerLearner(d_model=10, n_heads=3, steps=0).fit(corpus)
    with pytest.raises(ValueError, match="steps"):
        hn.TransformerLearner(steps=-1).fit(corpus)
    with pytest.raises(hs.NotFittedError):
        hn.TransformerLearner().model
    with pytest.raises(TypeError, match="grader"):
        hn.reinforce(hn.TransformerLearner(d_model=8, n_heads=2, steps=0).fit(corpus), corpus, "binary")
