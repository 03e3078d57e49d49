"""Theorems 3–4 and Corollary 2: exact err_iiv(f̂_t), Theorem 4 on random models, opt(G) of
n-gram models from prompt windows, and the trigram floor on the agreement corpus."""

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallusim.multiple_choice import TOLERANCE, err_iiv_curve, theorem4_check
from hallusim.ngram import SMOOTHINGS, AgreementWorld, NgramModel, ngram_opt


def _brute_err_iiv(p_hat, valid, mu, t):
    """err_iiv(f̂_t) straight from the definition: D puts μ(c)/2 on (c, r*) and μ(c)/(2(C−1)) on
    each erroneous (c, r); f̂_t = + iff p̂(r|c) > t."""
    n, c = p_hat.shape
    total = 0.0
    for i in range(n):
        for r in range(c):
            positive = p_hat[i, r] > t
            if r == valid[i]:
                total += mu[i] / 2 * (not positive)
            else:
                total += mu[i] / (2 * (c - 1)) * positive
    return total


def _random_model(n, c, seed, rounded, full_rows):
    rng = np.random.default_rng(seed)
    p_hat = rng.dirichlet(np.full(c, 0.7), size=n)
    if not full_rows:
        p_hat *= rng.uniform(0.2, 1.0, size=(n, 1))  # the rest is nonsense (Section 5)
    if rounded:  # ties and zeros
        p_hat = np.floor(p_hat * 10) / 10
    return p_hat, rng.integers(0, c, n), rng.dirichlet(np.ones(n))


@given(
    n=st.integers(1, 7),
    c=st.integers(2, 6),
    seed=st.integers(0, 2**32 - 1),
    rounded=st.booleans(),
    full_rows=st.booleans(),
)
def test_theorem4_holds_and_the_curve_is_exact(n, c, seed, rounded, full_rows):
    p_hat, valid, mu = _random_model(n, c, seed, rounded, full_rows)
    check = theorem4_check(p_hat, valid, mu)
    err = 1.0 - float(np.sum(mu * p_hat[np.arange(n), valid]))
    assert check.err == pytest.approx(err, abs=1e-12)
    # the step function equals the definition everywhere: at every value of p̂, between them, at 0 and 1
    values = np.unique(np.r_[0.0, 1.0, p_hat.ravel()])
    probes = np.unique(np.r_[values, (values[1:] + values[:-1]) / 2])
    brute = np.array([_brute_err_iiv(p_hat, valid, mu, t) for t in probes])
    np.testing.assert_allclose(check.curve.err_iiv_at(probes), brute, atol=1e-12)
    assert check.min_err_iiv == pytest.approx(brute.min(), abs=1e-12)
    assert _brute_err_iiv(p_hat, valid, mu, check.threshold) == pytest.approx(check.min_err_iiv, abs=1e-12)
    assert 0.0 <= check.threshold <= 1.0
    # Theorem 4's floor 2(1 − 1/C)·min_t err_iiv(f̂_t), written out here and fed the brute-force minimum
    assert check.bound == pytest.approx(2 * (1 - 1 / c) * brute.min(), abs=1e-12)
    assert check.holds and err >= check.bound - TOLERANCE
    # the proof: E_t err_iiv = ½ Σ μ [(1 − p̂*) + p̂(E_c)/(C − 1)] <= ½ (1/(C−1) + 1) err, with equality
    # when the rows sum to one (no nonsense)
    p_star = p_hat[np.arange(n), valid]
    p_errors = p_hat.sum(axis=1) - p_star
    mean = 0.5 * float(np.sum(mu * ((1 - p_star) + p_errors / (c - 1))))
    assert check.mean_err_iiv == pytest.approx(mean, abs=1e-12)
    assert check.mean_err_iiv <= 0.5 * (1 / (c - 1) + 1) * err + TOLERANCE
    if full_rows and not rounded:
        assert check.mean_err_iiv == pytest.approx(0.5 * (1 / (c - 1) + 1) * err, abs=1e-12)


def test_a_hand_example():
    # One prompt, C = 2, p̂ = (0.3, 0.6), choice 0 valid: err = 0.7 (0.1 is nonsense).
    # err_iiv(f̂_t) = 1/2 on [0, 0.3), 1 on [0.3, 0.6), 1/2 on [0.6, 1].
    check = theorem4_check([[0.3, 0.6]], [0])
    assert check.err == pytest.approx(0.7)
    np.testing.assert_allclose(check.curve.err_iiv_at([0.0, 0.29, 0.3, 0.59, 0.6, 1.0]), [0.5, 0.5, 1, 1, 0.5, 0.5])
    assert check.min_err_iiv == 0.5 and check.threshold == 0.0
    assert check.mean_err_iiv == pytest.approx(0.3 * 0.5 + 0.3 * 1 + 0.4 * 0.5)
    assert check.bound == pytest.approx(0.5)


@pytest.mark.parametrize(
    "p_hat,valid,mu,name",
    [
        ([[0.6, 0.6]], [0], None, "p_hat"),
        ([[-0.1, 0.5]], [0], None, "p_hat"),
        ([[1.0]], [0], None, "p_hat"),
        ([[0.5, 0.5]], [2], None, "valid"),
        ([[0.5, 0.5]], [0.0], None, "valid"),
        ([[0.5, 0.5], [0.5, 0.5]], [0, 1], [1.0], "mu"),
    ],
)
def test_bad_multiple_choice_input(p_hat, valid, mu, name):
    with pytest.raises(ValueError, match=f"`{name}` must be"):
        theorem4_check(p_hat, valid, mu)
    if name != "mu":
        with pytest.raises(ValueError, match=f"`{name}` must be"):
            err_iiv_curve(p_hat, valid, mu)


# ---------------------------------------------------------------------------- opt(G), Theorem 3
C1 = "she lost it and was completely out of".split()
C2 = "he lost it and was completely out of".split()
R = [["her", "mind"], ["his", "mind"]]


@pytest.mark.parametrize("order", range(1, 11))
def test_corollary2_opt_is_one_half_until_the_window_sees_the_pronoun(order):
    result = ngram_opt([C1, C2], [R, R], [0, 1], order)
    sees = order - 1 >= len(C1)  # the window must reach back to the pronoun
    assert result.opt == (0.0 if sees else 0.5)
    assert result.n_choices == 2
    assert result.bound == (0.0 if sees else 0.5)  # by hand: 2(1 − 1/2)·opt(G) with opt = 0 or 1/2
    assert result.n_windows == (2 if sees else 1)


def _brute_opt(prompts, responses, valid, order, mu):
    """Minimum over every labelling that is constant on (window, response) classes."""
    width = order - 1
    windows = [tuple(["<s>"] * width + list(p))[len(p):] if width else () for p in prompts]
    classes = sorted({(w, tuple(r)) for w, rs in zip(windows, responses) for r in rs})
    best = np.inf
    for labels in itertools.product([False, True], repeat=len(classes)):
        label = dict(zip(classes, labels))
        error = 0.0
        for i, (w, rs) in enumerate(zip(windows, responses)):
            for j, r in enumerate(rs):
                positive = label[(w, tuple(r))]
                if j == valid[i]:
                    error += mu[i] / 2 * (not positive)
                else:
                    error += mu[i] / (2 * (len(rs) - 1)) * positive
        best = min(best, error)
    return best


@given(seed=st.integers(0, 2**32 - 1), order=st.integers(1, 4))
def test_opt_is_the_minimum_over_window_classifiers(seed, order):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 5))
    prompts = [list(rng.choice(["a", "b", "c"], size=int(rng.integers(1, 4)))) for _ in range(n)]
    pool = [["x"], ["y"], ["z"], ["x", "y"]]
    responses = [[pool[j] for j in rng.choice(4, size=int(rng.integers(2, 4)), replace=False)] for _ in range(n)]
    valid = np.array([rng.integers(0, len(r)) for r in responses])
    mu = rng.dirichlet(np.ones(n))
    result = ngram_opt(prompts, responses, valid, order, mu)
    brute = _brute_opt(prompts, responses, valid, order, mu)
    assert result.opt == pytest.approx(brute, abs=1e-12)
    assert result.n_choices == min(len(r) for r in responses)
    assert result.bound == pytest.approx(2 * (1 - 1 / result.n_choices) * brute, abs=1e-12)  # Theorem 3


def test_bad_opt_input():
    with pytest.raises(ValueError, match="`order` must be an integer >= 1"):
        ngram_opt([C1], [R], [0], 0)
    with pytest.raises(ValueError, match="`responses` must be lists of at least 2 distinct responses"):
        ngram_opt([C1], [[R[0], R[0]]], [0], 3)
    with pytest.raises(ValueError, match="`valid` must be indices into each prompt's responses"):
        ngram_opt([C1], [R], [2], 3)
    with pytest.raises(ValueError, match="`prompts` must be a non-empty list"):
        ngram_opt([], [], [], 3)


# ---------------------------------------------------------------------------- the trigram floor
def _completion_probabilities(model, prompts, responses):
    n = len(prompts)
    return np.stack([model.score_responses(prompts, [r] * n) for r in responses], axis=1)


@pytest.mark.parametrize("smoothing", SMOOTHINGS)
def test_every_trigram_model_on_the_agreement_corpus_has_err_at_least_one_half(smoothing):
    world = AgreementWorld(distance=7, filler_vocab_size=4)
    sentences = world.sample(3000, seed=1)
    kwargs = {"discounts": (0.5, 1.0, 1.5)} if smoothing == "modified_kneser_ney" else {}
    model = NgramModel(3, smoothing, **kwargs).fit(sentences)
    prompts, valid = world.prompt_pairs(300, seed=2)
    p_hat = _completion_probabilities(model, prompts, world.responses)
    check = theorem4_check(p_hat, valid)
    structure = ngram_opt(prompts, [world.responses] * len(prompts), valid, 3)
    assert structure.opt == pytest.approx(0.5, abs=1e-12) and structure.bound == pytest.approx(0.5, abs=1e-12)
    assert check.err >= 0.5 - TOLERANCE  # Corollary 2 (float rounding only)
    assert check.err >= structure.bound - TOLERANCE and check.holds


def test_the_floor_lifts_once_the_window_sees_the_pronoun():
    """The floor is a property of the window, not of the metric: with n − 1 > distance and enough
    data, the same evaluation gives an error far below 1/2 (and opt(G) = 0)."""
    world = AgreementWorld(distance=3, filler_vocab_size=2)
    prompts, valid = world.prompt_pairs(100, seed=4)
    for order, low in ((4, False), (5, True)):
        model = NgramModel(order, "kneser_ney").fit(world.sample(2000, seed=3))
        check = theorem4_check(_completion_probabilities(model, prompts, world.responses), valid)
        opt = ngram_opt(prompts, [world.responses] * len(prompts), valid, order).opt
        assert opt == pytest.approx(0.0 if low else 0.5, abs=1e-12)
        assert (check.err < 0.05) if low else (check.err >= 0.5 - TOLERANCE)
