"""Distribution shift (Section 3.4 of the paper, no formal bound): train on one prompt distribution,
evaluate on another.

A Zipf world with exponent ``s_train`` is sampled and each learner fitted; the same fitted models
are then evaluated exactly under Zipf prompt distributions ``μ_test`` of other exponents (same prompts,
answers and ``α``; the shifted corpus keeps the training counts). Theorem 2 bounds ``err`` under
the distribution the training data came from: its singleton rate ``sr`` describes ``μ_train``, while
the error under ``μ_test`` follows the test-weighted missing mass ``MM_test = Σ_{c ∈ U} μ_test(c) α``.
The figure puts ``err`` under each ``μ_test`` beside the training ``sr`` and its Theorem 2 bound, and
beside the floor a corpus drawn from ``μ_test`` itself would have.
"""

from __future__ import annotations

import functools
from pathlib import Path

from hallusim import learners
from hallusim._validation import check_float, check_int, check_probability, fail
from hallusim.corpus import Corpus
from hallusim.facts import ArbitraryFacts
from hallusim.iiv import evaluate
from hallusim.plotting.replications import plot_distribution_shift
from hallusim.runs import sweep, write_table

SUMMARY = "Figure: err of models trained on one Zipf prompt distribution and evaluated on others, against the training floor."
OUTPUTS = ("figures/distribution_shift.png", "figures/distribution_shift.pdf", "results/distribution_shift.csv")
#: The caption of each figure on the docs' experiments page (every symbol defined).
CAPTIONS = {
    "figures/distribution_shift.png": (
        "Distribution shift: models trained on a corpus from μ_train (Zipf, the preset's training exponent) and "
        "evaluated under μ_test (Zipf exponent on the x axis): each learner's generative error err under μ_test "
        "(open circles), the test-weighted missing mass MM_test (dotted, crosses; inside the circles where "
        "equal), the training corpus's singleton rate sr (dashed), Theorem 2's lower bound from the training sr "
        "with δ = 0 (dash-dotted), and the bound had the training data come from μ_test. Theorem 2 describes "
        "μ_train only. Quick preset."
    ),
}

# Every preset key: (meaning, unit); `hallusim run distribution_shift --help` lists them with their preset values.
KEYS = {
    "n_prompts": ("prompts C of the world", "prompts"),
    "n_examples": ("training examples N, drawn from μ_train", "examples"),
    "train_exponent": ("Zipf exponent of μ_train ∝ c^(−exponent)", ""),
    "test_exponents": ("Zipf exponents of the test distributions μ_test (same prompts and answers)", ""),
    "n_responses": ("|R_c|, responses per prompt", "responses"),
    "answer_prob": ("α: probability that a training example answers (the rest say IDK)", "probability"),
    "learners": ("learners fitted on the training corpus: calibrated, memorizing", ""),
    "replicates": ("independent corpora per test exponent", "corpora"),
    "seed": ("root seed of the sweep", ""),
}

# Cost of each preset: (seconds, peak MB, how), from `/usr/bin/time -v hallusim run NAME --preset P --fresh`
# (--jobs 1, warm Numba cache) on the 2-core CI machine; "load" is the 1-minute load average before-after.
# Measured on a heavily loaded machine (load ~10 on 2 cores): at load ~1 expect several times less.
COST = {
    "quick": (42.2, 354, "measured, load 10.3-11.0"),
    "medium": (67.3, 354, "measured, load 9.2-10.3"),
    "paper": (130, 360, "estimated from the medium run: 30 rows against 14 of the same size N = 10^6 (startup ~10 s at this load, measured with table2)"),
}

LEARNERS = {"calibrated": learners.CalibratedLearner, "memorizing": learners.MemorizingLearner}


def replicate(params, seed, *, n_prompts, n_examples, train_exponent, n_responses, answer_prob, learners):
    """One test exponent and replicate: train under ``μ_train``, evaluate under ``μ_test``."""
    train_world = ArbitraryFacts.zipf(n_prompts, train_exponent, n_responses, answer_prob)
    test_world = ArbitraryFacts.zipf(n_prompts, params["test_exponent"], n_responses, answer_prob)
    corpus = train_world.sample(n_examples, seed=seed)
    shifted = Corpus(test_world, corpus.answered_counts, corpus.idk_counts, seed=corpus.seed, answer_seed=corpus.answer_seed)
    matched = test_world.sample(n_examples, seed=seed)  # what training on μ_test would have given
    row = {
        "singleton_rate": corpus.singleton_rate,
        "missing_mass_train": corpus.missing_mass,
        "missing_mass_test": shifted.missing_mass,
        "matched_singleton_rate": matched.singleton_rate,
    }
    for name in learners:
        model = LEARNERS[name]().fit(corpus)
        on_train, on_test = evaluate(model, corpus), evaluate(model, shifted)
        row[f"{name}_err_train"] = on_train.err
        row[f"{name}_err_test"] = on_test.err
        row[f"{name}_delta_test"] = on_test.delta
        row[f"{name}_theorem2_lower"] = on_train.theorem2_lower
        row[f"{name}_matched_theorem2_lower"] = evaluate(LEARNERS[name]().fit(matched), matched).theorem2_lower
    return row


def check_config(config):
    """Reject values of ``config`` the experiment cannot run with.

    Parameters
    ----------
    config : dict
    """
    unknown = sorted(set(config["learners"]) - set(LEARNERS))
    if unknown:
        fail("learners", "names among " + ", ".join(LEARNERS), ", ".join(unknown))
    check_int("n_prompts", config["n_prompts"], minimum=1)
    check_int("n_examples", config["n_examples"], minimum=1)
    check_float("train_exponent", config["train_exponent"], low=0.0)
    for s in config["test_exponents"]:
        check_float("test_exponents", s, low=0.0)
    check_int("n_responses", config["n_responses"], minimum=2)
    check_probability("answer_prob", config["answer_prob"], allow_array=False)
    check_int("replicates", config["replicates"], minimum=1)


def run(config, out_dir, *, sweep_options=None):
    """Run the sweep over test exponents, write the table and the figure; return the rows.

    Parameters
    ----------
    config : dict
        A preset of ``distribution_shift.toml``.
    out_dir : str or Path
    sweep_options : dict, optional

    Returns
    -------
    list of dict
    """
    check_config(config)
    func = functools.partial(replicate, n_prompts=int(config["n_prompts"]), n_examples=int(config["n_examples"]),
                             train_exponent=float(config["train_exponent"]), n_responses=int(config["n_responses"]),
                             answer_prob=float(config["answer_prob"]), learners=tuple(config["learners"]))
    grid = {"test_exponent": [float(s) for s in config["test_exponents"]]}
    rows = sweep(func, grid, replicates=int(config["replicates"]), seed=int(config["seed"]), **(sweep_options or {}))
    out_dir = Path(out_dir)
    write_table(rows, out_dir / "results" / "distribution_shift.csv", provenance={"config": config})
    plot_distribution_shift(rows, tuple(config["learners"]), float(config["train_exponent"]),
                            out_dir / "figures" / "distribution_shift")
    return rows
