"""Garbage in, garbage out (Section 3.4 of the paper, no formal bound): a fraction ε of the training
answers is wrong.

A Definition-1 world is sampled; each answered training example is independently replaced, with
probability ε, by a wrong response drawn uniformly from ``E_c``. Two learners are fitted to the
noisy counts: the calibrated learner of Appendix B (``p̂(r|c) = α_c·n_c(r)/n_c`` on seen prompts,
``α_c/|R_c|`` spread on unseen ones, ``p̂(IDK|c) = 1 − α_c``) and the memorizing learner
(``p̂(r|c) = n_c(r)/n_c`` on seen prompts, IDK on unseen ones); at ε = 0 they are
:class:`hallusim.learners.CalibratedLearner` and :class:`hallusim.learners.MemorizingLearner`.
``err`` is measured exactly against the true answers. Theorem 2 assumes ``p(V) = 1`` (every
training example valid); with noise ``err`` grows linearly in ε above the floor, in expectation by
``ε·Σ_{c seen} μ(c)α_c`` (calibrated) and ``ε·Σ_{c seen} μ(c)`` (memorizing), while the calibrated
learner's δ against the true answers grows too, so its Theorem 2 bound (own δ) falls.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from hallusim import _rng
from hallusim._validation import check_float, check_int, check_probability, fail
from hallusim.facts import ArbitraryFacts
from hallusim.iiv import evaluate
from hallusim.models import CompactModel
from hallusim.plotting.replications import plot_garbage_in
from hallusim.runs import sweep, write_table

SUMMARY = "Figure: err of the calibrated and memorizing learners against the fraction ε of wrong training answers."
OUTPUTS = ("figures/garbage_in.png", "figures/garbage_in.pdf", "results/garbage_in.csv")
#: The caption of each figure on the docs' experiments page (every symbol defined).
CAPTIONS = {
    "figures/garbage_in.png": (
        'Garbage in, garbage out: against the fraction ε of training answers replaced by wrong ones, each '
        "learner's generative error err (circles) and its expected growth err(ε = 0) + ε·(mass it answers "
        "from training, dotted), the calibrated learner's Theorem 2 lower bound with its own calibration gap "
        'δ measured against the true answers (dash-dotted), and the singleton rate sr (dashed). The theorem '
        'assumes every training answer is valid, p(V) = 1. Quick preset.'
    ),
}

# Every preset key: (meaning, unit); `hallusim run garbage_in --help` lists them with their preset values.
KEYS = {
    "n_prompts": ("prompts C of the world", "prompts"),
    "n_examples": ("training examples N", "examples"),
    "exponent": ("Zipf exponent of the prompt weights μ(c) ∝ c^(−exponent); 0 is uniform", ""),
    "n_responses": ("|R_c|, responses per prompt", "responses"),
    "answer_prob": ("α: probability that a training example answers (the rest say IDK)", "probability"),
    "epsilons": ("ε: probability that an answered training example's response is replaced by a uniform wrong one", "probability"),
    "replicates": ("independent corpora per ε", "corpora"),
    "seed": ("root seed of the sweep", ""),
}

# Cost of each preset: (seconds, peak MB, how), from `/usr/bin/time -v hallusim run NAME --preset P --fresh`
# (--jobs 1, warm Numba cache) on the 2-core CI machine; "load" is the 1-minute load average before-after.
# Measured on a heavily loaded machine (load ~10 on 2 cores): at load ~1 expect several times less.
COST = {
    "quick": (33.4, 285, "measured, load 11.0-11.3"),
    "medium": (77.3, 655, "measured, load 10.3-10.6"),
    "paper": (160, 660, "estimated from the medium run: 27 rows against 12 of the same size N = 10^6 (startup ~10 s at this load, measured with table2)"),
}


def noisy_models(corpus, epsilon, seed):
    """The calibrated and memorizing learners' models fitted to ``corpus`` with answers garbled.

    Parameters
    ----------
    corpus : Corpus
    epsilon : float
        Probability that an answered example's response is replaced by a uniform wrong one.
    seed : None, int or SeedSequence
        Seed of the garbling.

    Returns
    -------
    dict of str to CompactModel
        ``{"calibrated": …, "memorizing": …}``.
    """
    world = corpus.world
    rng = np.random.default_rng(_rng.as_seed_sequence(seed))
    counts = corpus.answered_counts.astype(np.int64)
    answers = corpus.answers
    n_resp = int(world.n_responses) if np.ndim(world.n_responses) == 0 else None
    if n_resp is None:
        fail("corpus", "a corpus of a world with one |R_c| for all prompts", "<per-prompt |R_c|>")
    wrong = rng.binomial(counts, epsilon)
    owner = np.repeat(np.arange(world.n_prompts), wrong)
    responses = (answers[owner] + 1 + rng.integers(0, n_resp - 1, owner.size)) % n_resp
    pairs, pair_counts = np.unique(owner * n_resp + responses, return_counts=True)
    pair_prompt = pairs // n_resp
    first = np.searchsorted(pair_prompt, pair_prompt, side="left")
    column = 1 + np.arange(pairs.size) - first
    width = 1 + (int(column.max()) if pairs.size else 0)
    seen = counts > 0
    explicit = np.full((world.n_prompts, width), -1, dtype=np.int64)
    share = np.zeros((world.n_prompts, width))
    explicit[seen, 0] = answers[seen]
    share[seen, 0] = (counts[seen] - wrong[seen]) / counts[seen]
    explicit[pair_prompt, column] = pairs % n_resp
    share[pair_prompt, column] = pair_counts / counts[pair_prompt]
    alpha = np.broadcast_to(np.asarray(world.answer_prob, dtype=np.float64), (world.n_prompts,))
    return {
        "calibrated": CompactModel(world.n_responses, explicit, share * alpha[:, None], 1.0 - alpha, np.where(seen, 0.0, alpha)),
        "memorizing": CompactModel(world.n_responses, explicit, share, np.where(seen, 0.0, 1.0), 0.0),
    }


def replicate(params, seed, *, n_prompts, n_examples, exponent, n_responses, answer_prob):
    """One ε and replicate: sample, garble, fit both learners, evaluate exactly."""
    world = ArbitraryFacts.zipf(n_prompts, exponent, n_responses, answer_prob)
    sample_seed, noise_seed = _rng.as_seed_sequence(seed).spawn(2)
    corpus = world.sample(n_examples, seed=sample_seed)
    row = {"singleton_rate": corpus.singleton_rate, "missing_mass": corpus.missing_mass,
           "seen_answered_mass": float(np.sum(world.weights * world.answer_prob)) - corpus.missing_mass,
           "seen_mass": float(np.sum(world.weights[corpus.seen]))}
    for name, model in noisy_models(corpus, params["epsilon"], noise_seed).items():
        ev = evaluate(model, corpus)
        row[f"{name}_err"] = ev.err
        row[f"{name}_delta"] = ev.delta
        row[f"{name}_theorem2_lower"] = ev.theorem2_lower
    return row


def check_config(config):
    """Reject values of ``config`` the experiment cannot run with.

    Parameters
    ----------
    config : dict
    """
    check_int("n_prompts", config["n_prompts"], minimum=1)
    check_int("n_examples", config["n_examples"], minimum=1)
    check_float("exponent", config["exponent"], low=0.0)
    check_int("n_responses", config["n_responses"], minimum=2)
    check_probability("answer_prob", config["answer_prob"], allow_array=False)
    for e in config["epsilons"]:
        check_float("epsilons", e, low=0.0, high=1.0)
    check_int("replicates", config["replicates"], minimum=1)


def run(config, out_dir, *, sweep_options=None):
    """Run the sweep over ε, write the table and the figure; return the rows.

    Parameters
    ----------
    config : dict
        A preset of ``garbage_in.toml``.
    out_dir : str or Path
    sweep_options : dict, optional

    Returns
    -------
    list of dict
    """
    check_config(config)
    func = functools.partial(replicate, n_prompts=int(config["n_prompts"]), n_examples=int(config["n_examples"]),
                             exponent=float(config["exponent"]), n_responses=int(config["n_responses"]),
                             answer_prob=float(config["answer_prob"]))
    grid = {"epsilon": [float(e) for e in config["epsilons"]]}
    rows = sweep(func, grid, replicates=int(config["replicates"]), seed=int(config["seed"]), **(sweep_options or {}))
    out_dir = Path(out_dir)
    write_table(rows, out_dir / "results" / "garbage_in.csv", provenance={"config": config})
    plot_garbage_in(rows, out_dir / "figures" / "garbage_in")
    return rows
