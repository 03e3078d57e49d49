"""Theorem 2 for trained networks: err, δ and sr of small transformers trained by cross-entropy.

For Zipf worlds of several exponents and sizes, a transformer (:mod:`hallusim.neural`) is trained
for several numbers of steps and widths, and evaluated exactly beside the calibrated learner of
Appendix B on the same corpus (paired). Needs the ``neural`` extra.
"""

from __future__ import annotations

import functools
from pathlib import Path

from hallusim._validation import check_float, check_int, check_probability
from hallusim.facts import ArbitraryFacts
from hallusim.iiv import evaluate
from hallusim.learners import CalibratedLearner
from hallusim.runs import sweep, write_table

SUMMARY = "Figure: err of trained transformers against sr (δ as marker size) and err, δ against training steps."
OUTPUTS = ("figures/neural_floor.png", "figures/neural_floor.pdf", "results/neural_floor.csv")

#: Every preset key: (meaning, unit).
KEYS = {
    "prompts_per_example": ("prompts C per training example (C = prompts_per_example · N)", ""),
    "n_examples": ("training-set sizes N", "examples"),
    "exponents": ("Zipf exponents of the prompt distribution μ(c) ∝ c^−exponent", ""),
    "n_responses": ("possible answers |R_c| per prompt (one answer token each)", "responses"),
    "answer_prob": ("α: probability that a training example answers (else IDK)", ""),
    "steps": ("training lengths of the transformer (AdamW steps)", "steps"),
    "d_model": ("transformer widths", "units"),
    "n_layers": ("transformer blocks", "layers"),
    "batch_size": ("sequences per training step", "sequences"),
    "lr": ("AdamW learning rate", ""),
    "replicates": ("independent corpora per configuration", ""),
    "seed": ("root seed of the sweep", ""),
}
#: Per preset: (seconds, peak MB, how) of ``hallusim run neural_floor --preset P --fresh``.
COST = {
    "quick": (36, 818, "measured warm, load ~1.5 (84 s cold at load ~7)"),
    "medium": (300, 1000, "estimated from the quick preset: 5× the prompts, 3× the longest training"),
    "paper": (14400, 2000, "estimated from the quick preset's tokens/s: several hours on 2 cores"),
}
CAPTIONS = {
    "figures/neural_floor.png": (
        "Left: generative error err (the trained transformer's exact probability of a wrong answer, "
        "nonsense tokens included, over all prompts weighted by μ) against the training set's singleton "
        "rate sr (Definition 2), one marker per world (Zipf exponent) and training length; crosses: the "
        "calibrated learner of Appendix B on the same corpus (δ = 0); dotted: err = sr. Right: err and "
        "the calibration gap δ = |p̂(A) − p(A)| at the threshold 1/min_c |E_c| (Section 3.1) of the "
        "transformer against training steps (mean over worlds), with the calibrated learner's err and sr. "
        "Quick preset (N = 400, |R_c| = 16)."
    ),
}


def replicate(params, seed, *, prompts_per_example, n_responses, answer_prob, n_layers, batch_size, lr):
    """One (exponent, N, steps, d_model) configuration: sample, train, evaluate both learners."""
    # deferred: jax is an optional extra; only this experiment needs it
    from hallusim.neural import TransformerLearner

    n = int(params["n_examples"])
    world = ArbitraryFacts.zipf(max(2, round(prompts_per_example * n)), params["exponent"], n_responses, answer_prob)
    corpus = world.sample(n, seed=seed)
    d_model = int(params["d_model"])
    learner = TransformerLearner(d_model=d_model, n_layers=n_layers, n_heads=max(1, d_model // 16),
                                 steps=int(params["steps"]), batch_size=batch_size, lr=lr,
                                 seed=int(seed.generate_state(1)[0] % 2**31)).fit(corpus)
    ev = evaluate(learner, corpus)
    cal = evaluate(CalibratedLearner().fit(corpus), corpus)
    row = {key: getattr(ev, key) for key in ("err", "err_iiv", "delta", "dL_ds", "cross_entropy", "theorem1_lower",
                                              "theorem2_lower", "theorem2_upper", "singleton_rate", "missing_mass")}
    row.update(calibrated_err=cal.err, calibrated_cross_entropy=cal.cross_entropy, n_prompts=world.n_prompts,
               final_loss=float(learner.losses_[-20:].mean()) if learner.losses_.size else float("nan"),
               idk_mass=float(world.weights @ learner.model_.idk), tokens_per_s=learner.timing_["tokens_per_s"])
    return row


def check_config(config):
    """Reject values of ``config`` the experiment cannot run with (called before any output).

    Parameters
    ----------
    config : dict
    """
    for n in config["n_examples"]:
        check_int("n_examples", n, minimum=1)
    for s in config["exponents"]:
        check_float("exponents", s, low=0.0)
    for s in config["steps"]:
        check_int("steps", s, minimum=0)
    for d in config["d_model"]:
        check_int("d_model", d, minimum=16)
    check_float("prompts_per_example", config["prompts_per_example"], low=0.0, low_open=True)
    check_int("n_responses", config["n_responses"], minimum=2)
    check_probability("answer_prob", config["answer_prob"], allow_array=False)
    check_int("n_layers", config["n_layers"], minimum=1)
    check_int("batch_size", config["batch_size"], minimum=1)
    check_float("lr", config["lr"], low=0.0, low_open=True)
    check_int("replicates", config["replicates"], minimum=1)


def run(config, out_dir, *, sweep_options=None):
    """Run the sweep of ``config``, write the table and the figure; return the rows.

    Parameters
    ----------
    config : dict
        A preset of ``neural_floor.toml`` (with overrides).
    out_dir : str or Path
    sweep_options : dict, optional
        Passed to :func:`hallusim.runs.sweep`.

    Returns
    -------
    list of dict
    """
    check_config(config)
    # deferred: matplotlib figures only once the rows exist (as the other experiments' plotting)
    from hallusim.plotting.neural import plot_neural_floor

    func = functools.partial(
        replicate, prompts_per_example=float(config["prompts_per_example"]), n_responses=int(config["n_responses"]),
        answer_prob=float(config["answer_prob"]), n_layers=int(config["n_layers"]),
        batch_size=int(config["batch_size"]), lr=float(config["lr"]),
    )
    grid = {"exponent": list(config["exponents"]), "n_examples": [int(n) for n in config["n_examples"]],
            "steps": [int(s) for s in config["steps"]], "d_model": [int(d) for d in config["d_model"]]}
    rows = sweep(func, grid, replicates=int(config["replicates"]), seed=int(config["seed"]), **(sweep_options or {}))
    out_dir = Path(out_dir)
    write_table(rows, out_dir / "results" / "neural_floor.csv", provenance={"config": config})
    plot_neural_floor(rows, out_dir / "figures" / "neural_floor")
    return rows
