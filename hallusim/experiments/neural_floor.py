"""Theorem 2 for trained networks: err, δ and sr of small transformers trained by cross-entropy.

For Zipf worlds of several exponents and sizes, one corpus is drawn per replicate and shared by
every transformer width and training length and by the calibrated learner of Appendix B
(paired). Each width is trained once, to the longest length, and its exact answer distributions
are evaluated at every requested length along the way (checkpoints of one run), so a curve
against training steps is one training run. Needs the ``neural`` extra.
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
    "steps": ("training lengths: checkpoints of one AdamW run of the longest length", "steps"),
    "d_model": ("transformer widths", "units"),
    "n_layers": ("transformer blocks", "layers"),
    "batch_size": ("sequences per training step", "sequences"),
    "lr": ("AdamW learning rate", ""),
    "replicates": ("independent corpora per world (each shared by every width and length)", ""),
    "seed": ("root seed of the sweep", ""),
}
#: Per preset: (seconds, peak MB, how) of ``hallusim run neural_floor --preset P --fresh``.
COST = {
    "quick": (97, 772, "measured (/usr/bin/time -v, --fresh, warm jax), load 2.4-3.3 on 2 cores shared with other jobs"),
    "medium": (90, 783, "measured (/usr/bin/time -v, --fresh, warm jax), load 4.4 on 2 cores shared with other jobs"),
    "paper": (14400, 2000, "estimated from the quick preset's tokens/s: several hours on 2 cores"),
}
CAPTIONS = {
    "figures/neural_floor.png": (
        "Transformers trained by next-token cross-entropy on an arbitrary-facts corpus (Zipf prompt "
        "distribution μ), evaluated exactly: every prompt weighted by μ(c), every token by the network's "
        "probability p̂(r | c) at the answer position. One corpus per world is shared by every training "
        "length, width and the calibrated learner (paired), and the lengths are checkpoints of one run "
        "(AdamW with a warm-up and cosine schedule of the longest length). Top: generative error err "
        "(p̂(N ∪ E): the probability of a wrong answer, nonsense tokens included) against the training "
        "set's singleton rate sr (Definition 2: the fraction of examples whose prompt appears once), one "
        "marker per world (Zipf exponent) and training length, its area growing with δ; crosses: the "
        "calibrated learner of Appendix B on the same corpus (δ = 0); dotted: err = sr. Bottom: err and "
        "the calibration gap δ = |p̂(A) − p(A)| at the threshold 1/min_c |E_c| (Section 3.1; A the "
        "(prompt, response) pairs the model gives more than that probability, p the training "
        "distribution) of the transformer against training steps (mean over worlds), with the "
        "calibrated learner's err and the mean sr. Quick preset (N = 400 examples, C = 200 prompts, "
        "|R_c| = 16 answers, d_model = 32)."
    ),
}


METRICS = ("err", "err_iiv", "delta", "dL_ds", "cross_entropy", "theorem1_lower", "theorem2_lower", "theorem2_upper",
           "singleton_rate", "missing_mass")


def replicate(params, seed, *, prompts_per_example, n_responses, answer_prob, n_layers, batch_size, lr, steps, widths):
    """One world and replicate: sample one corpus, train each width once to ``max(steps)`` and
    evaluate it exactly at every length in ``steps``, beside the calibrated learner.

    Returns
    -------
    dict
        The world's values and ``curve``: one dict per (width, length).
    """
    # deferred: jax is an optional extra; only this experiment needs it
    from hallusim.neural import TransformerLearner

    n = int(params["n_examples"])
    world = ArbitraryFacts.zipf(max(2, round(prompts_per_example * n)), params["exponent"], n_responses, answer_prob)
    corpus = world.sample(n, seed=seed)
    cal = evaluate(CalibratedLearner().fit(corpus), corpus)
    net_seed = int(seed.generate_state(1)[0] % 2**31)
    curve = []
    for d_model in widths:
        learner = TransformerLearner(d_model=d_model, n_layers=n_layers, n_heads=max(1, d_model // 16),
                                     steps=max(steps), batch_size=batch_size, lr=lr, seed=net_seed,
                                     checkpoints=steps).fit(corpus)
        for s, model in learner.checkpoint_models_.items():
            ev = evaluate(model, corpus)
            point = {key: getattr(ev, key) for key in METRICS}
            point.update(d_model=d_model, steps=s, idk_mass=float(world.weights @ model.idk),
                         final_loss=float(learner.losses_[max(0, s - 20):s].mean()) if s else float("nan"),
                         tokens_per_s=learner.timing_["tokens_per_s"])
            curve.append(point)
    return {"calibrated_err": cal.err, "calibrated_cross_entropy": cal.cross_entropy, "n_prompts": world.n_prompts,
            "curve": curve}


def flatten(rows):
    """One row per (world, replicate, width, length): the world's row with one point of its curve."""
    return [{**{k: v for k, v in r.items() if k != "curve"}, **point} for r in rows for point in r["curve"]]


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
        One per (world, replicate, width, training length).
    """
    check_config(config)
    # deferred: matplotlib figures only once the rows exist (as the other experiments' plotting)
    from hallusim.plotting.neural import plot_neural_floor

    func = functools.partial(
        replicate, prompts_per_example=float(config["prompts_per_example"]), n_responses=int(config["n_responses"]),
        answer_prob=float(config["answer_prob"]), n_layers=int(config["n_layers"]),
        batch_size=int(config["batch_size"]), lr=float(config["lr"]),
        steps=tuple(sorted({int(s) for s in config["steps"]})), widths=tuple(int(d) for d in config["d_model"]),
    )
    grid = {"exponent": list(config["exponents"]), "n_examples": [int(n) for n in config["n_examples"]]}
    rows = flatten(sweep(func, grid, replicates=int(config["replicates"]), seed=int(config["seed"]),
                         **(sweep_options or {})))
    out_dir = Path(out_dir)
    write_table(rows, out_dir / "results" / "neural_floor.csv", provenance={"config": config})
    plot_neural_floor(rows, out_dir / "figures" / "neural_floor")
    return rows
