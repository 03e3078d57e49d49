"""Corollary 2 in simulation: n-gram models cannot make a completion agree with a distant pronoun.

Corpora of :class:`hallusim.ngram.AgreementWorld` sentences ("she … out of her mind") with the
pronoun ``distance`` tokens before the completion are sampled at several sizes; n-gram models of
several orders are fitted and their exact generation error on the completion,
``err = 1 − mean_c p̂(r*_c | c)`` over a balanced test set (nonsense included, Section 5), is put
against Theorem 3's floor ``2(1 − 1/C)·opt(G)`` with ``opt(G)`` computed from the prompt windows
(``= 1/2`` while the window cannot see the pronoun) and Theorem 4's threshold bound.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from hallusim._validation import check_choice, fail
from hallusim.multiple_choice import theorem4_check
from hallusim.ngram import SMOOTHINGS, AgreementWorld, NgramModel, ngram_opt
from hallusim.plotting.ngram import plot_agreement_by_order, plot_agreement_by_size
from hallusim.runs import sweep, write_table

SUMMARY = "Figures: n-gram completion error against order and distance (Corollary 2 floor), and against training size."
OUTPUTS = (
    "figures/trigram_agreement_order.png",
    "figures/trigram_agreement_order.pdf",
    "figures/trigram_agreement_size.png",
    "figures/trigram_agreement_size.pdf",
    "results/trigram_agreement.csv",
)

# Every preset key: (meaning, unit); `hallusim run trigram_agreement --help` lists them with their preset values.
KEYS = {
    "distances": ("tokens between the pronoun and the completion (>= 2)", "tokens"),
    "orders": ("n-gram orders", ""),
    "train_sizes": ("training sentences", "sentences"),
    "filler_vocab_size": ("distinct filler words; a window of order d + 2 must see filler_vocab_size^(d−2) filler sequences", "words"),
    "n_test_pairs": ("balanced test set: each filler sequence with both pronouns", "pairs"),
    "smoothing": ("n-gram smoothing", ""),
    "discount": ("Kneser-Ney absolute discount", ""),
    "replicates": ("training sets per (distance, order, size)", "sets"),
    "seed": ("root seed", ""),
}

# Cost of each preset: (seconds, peak MB, how), from `/usr/bin/time -v hallusim run NAME --preset P --fresh`
# (--jobs 1, warm Numba cache) on the 2-core CI machine; "load" is the 1-minute load average then.
COST = {
    "quick": (13.0, 286, "measured, load 1.0"),
    "medium": (13.0, 286, "the quick preset's measurement at load 1.0 (the same sizes; 53 s measured at load 3.9)"),
    "paper": (600, 293, "estimated: a run stopped at 853 of 1575 rows after 14 min 42 s at load 4-9.6 (projected 27 min at that load, about 10 min at load 1); peak 293 MB measured to then"),
}



# Caption of each figure on the docs' experiments page: defines every symbol, line and number shown.
CAPTIONS = {
    "figures/trigram_agreement_order.png": (
        "Corollary 2 (Section 3.3.2): sentences \"She/He <filler words> out of\" whose completion (her/his) "
        "depends on the pronoun d tokens back; an n-gram model of order n sees the pronoun only when n − 1 > d. "
        "Completion error err (the probability of the wrong pronoun-dependent completion) against the order n, "
        "at the largest training size N of the preset, one marker series per distance d (shifted sideways so "
        "none hides another; means over replicates with their range as bars). Wide dashes: Theorem 3's floor "
        "2(1 − 1/C)·opt(G) with C = 2 choices and opt(G) the best error of any n-gram model of that order; "
        "dotted: err = 1/2."
    ),
    "figures/trigram_agreement_size.png": (
        "Completion error err against the number of training sentences N for the shortest window that sees the "
        "pronoun (order d + 2, solid, \"sees pronoun\") and the longest that does not (order d + 1, dotted, "
        "\"too short\"), one colour per distance d; means over replicates. Each distance's points are shifted "
        "sideways by a factor 1.15 per distance (centred on the true N, log axis) so that the too-short "
        "windows, all near 1/2, do not hide each other. Dashed: err = 1/2. A window of order d + 2 must see "
        "filler_vocab_size^(d − 2) filler sequences, so the data it needs grows with d."
    ),
}


def choice_probabilities(model: NgramModel, prompts, responses) -> np.ndarray:
    """``p̂(r | c)`` of every prompt (rows) and candidate response (columns), prompts starting a
    sentence.

    Parameters
    ----------
    model : NgramModel
        Fitted.
    prompts : list of token sequences
    responses : list of token sequences
        The candidates, shared by all prompts.

    Returns
    -------
    numpy.ndarray, shape (len(prompts), len(responses))
    """
    n = len(prompts)
    columns = [model.score_responses(prompts, [r] * n) for r in responses]
    return np.stack(columns, axis=1)


def replicate(params, seed, *, filler_vocab_size, n_test_pairs, smoothing, discount):
    """One (distance, order, n_train) configuration: sample, fit, evaluate exactly."""
    world = AgreementWorld(params["distance"], filler_vocab_size)
    train_seed, test_seed = seed.spawn(2)
    sentences = world.sample(params["n_train"], seed=train_seed)
    model = NgramModel(params["order"], smoothing, discount=discount).fit(sentences)
    prompts, valid = world.prompt_pairs(n_test_pairs, seed=test_seed)
    p_hat = choice_probabilities(model, prompts, world.responses)
    check = theorem4_check(p_hat, valid)
    structure = ngram_opt(prompts, [world.responses] * len(prompts), valid, params["order"])
    wrong = p_hat[np.arange(valid.size), 1 - valid]
    return {
        "err": check.err,
        "err_wrong_completion": float(wrong.mean()),
        "nonsense": float(check.err - wrong.mean()),
        "opt": structure.opt,
        "theorem3_floor": structure.bound,
        "min_err_iiv": check.min_err_iiv,
        "threshold": check.threshold,
        "theorem4_bound": check.bound,
        "theorem4_holds": check.holds,
        "window_sees_pronoun": params["order"] - 1 >= params["distance"] + 1,
    }


def check_config(config):
    """Reject values of ``config`` the experiment cannot run with (called before any output).

    Parameters
    ----------
    config : dict
        A preset with its overrides.
    """
    check_choice("smoothing", config["smoothing"], SMOOTHINGS)
    for key in ("distances", "orders", "train_sizes"):
        if not config[key] or not all(isinstance(v, int) and v >= 1 for v in config[key]):
            fail(key, "a non-empty list of positive integers", config[key])
    if min(config["distances"]) < 2:
        fail("distances", "distances >= 2", config["distances"])


def run(config, out_dir, *, sweep_options=None):
    """Run the sweep of ``config``, write the results table and both figures; return the rows.

    Parameters
    ----------
    config : dict
        The keys of ``trigram_agreement.toml``.
    out_dir : str or Path
        ``figures/`` and ``results/`` are written below it.
    sweep_options : dict, optional
        Passed to :func:`hallusim.runs.sweep` (backend, results file, ...).

    Returns
    -------
    list of dict
    """
    check_config(config)
    func = functools.partial(
        replicate,
        filler_vocab_size=int(config["filler_vocab_size"]),
        n_test_pairs=int(config["n_test_pairs"]),
        smoothing=str(config["smoothing"]),
        discount=float(config["discount"]),
    )
    grid = {
        "distance": [int(d) for d in config["distances"]],
        "order": [int(n) for n in config["orders"]],
        "n_train": [int(n) for n in config["train_sizes"]],
    }
    # progress: a row's time grows with its training sentences (plus scoring the fixed test set)
    rows = sweep(func, grid, replicates=int(config["replicates"]), seed=int(config["seed"]),
                 cost=lambda params: params["n_train"] + 2 * int(config["n_test_pairs"]), **(sweep_options or {}))
    out_dir = Path(out_dir)
    write_table(rows, out_dir / "results" / "trigram_agreement.csv", provenance={"config": config})
    plot_agreement_by_order(rows, out_dir / "figures" / "trigram_agreement_order")
    plot_agreement_by_size(rows, out_dir / "figures" / "trigram_agreement_size")
    return rows

