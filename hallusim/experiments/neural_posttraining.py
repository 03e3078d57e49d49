"""Section 4 with a trained network: REINFORCE post-training of a cross-entropy base model.

One base transformer is trained on an arbitrary-facts corpus (the same for every reward: paired),
then post-trained by policy gradient with the binary reward and with each explicit confidence
target ``t`` (wrong ``−t/(1 − t)``). Before and after: IDK rate, err and accuracy (exact,
``μ``-weighted), and the reliability diagram and ECE of the answered prompts. Needs the
``neural`` extra.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from hallusim._validation import check_float, check_int, check_probability, fail
from hallusim.facts import ArbitraryFacts
from hallusim.posttraining.calibration import expected_calibration_error
from hallusim.posttraining.grading import binary_grader, target_grader
from hallusim.runs import sweep, write_table

SUMMARY = "Figure: IDK rate and err against RL steps per reward, and reliability diagrams before/after RL."
OUTPUTS = ("figures/neural_posttraining.png", "figures/neural_posttraining.pdf", "results/neural_posttraining.csv")

#: Every preset key: (meaning, unit).
KEYS = {
    "n_prompts": ("prompts C of the world", "prompts"),
    "n_examples": ("training-set size N of the base model", "examples"),
    "exponent": ("Zipf exponent of the prompt distribution μ", ""),
    "n_responses": ("possible answers |R_c| per prompt", "responses"),
    "answer_prob": ("α: probability that a training example answers (else IDK)", ""),
    "base_steps": ("pretraining length of the base transformer (AdamW steps)", "steps"),
    "d_model": ("transformer width", "units"),
    "n_layers": ("transformer blocks", "layers"),
    "rewards": ("RL rewards: binary (1/0/0) or t=<target> (1, −t/(1−t), 0 for IDK)", ""),
    "rl_steps": ("REINFORCE steps per reward", "steps"),
    "rl_batch_size": ("sampled prompts per RL step", "prompts"),
    "rl_lr": ("RL learning rate", ""),
    "kl_coef": ("weight of the KL penalty to the base model", ""),
    "record_every": ("RL steps between exact evaluations", "steps"),
    "calibration_sample": ("prompts drawn from μ for the calibration histogram and ECE", "prompts"),
    "n_bins": ("bins of the calibration histogram", "bins"),
    "replicates": ("independent corpora", ""),
    "seed": ("root seed", ""),
}
#: Per preset: (seconds, peak MB, how) of ``hallusim run neural_posttraining --preset P --fresh``.
COST = {
    "quick": (31, 773, "measured warm, load ~1.5 (79 s cold at load ~7)"),
    "medium": (200, 1000, "estimated from the quick preset: 5× the prompts, 2.5× the training"),
    "paper": (7200, 2000, "estimated from the quick preset's tokens/s: hours on 2 cores"),
}
CAPTIONS = {
    "figures/neural_posttraining.png": (
        "Left: the exact IDK rate (solid) and generative error err (dashed; μ-weighted, nonsense "
        "included) of the transformer against REINFORCE steps, one colour per reward: binary (correct 1, "
        "wrong 0, IDK 0) or a confidence target t (correct 1, wrong −t/(1−t), IDK 0; Section 4.2), with a "
        "KL penalty to the base model. Right: calibration of the answered prompts before and after RL "
        "(Figure 2's analogue): accuracy in each bin of the confidence p̂(top answer | c, answered) against "
        "that confidence, with each model's expected calibration error ECE in the legend; dotted: perfect "
        "calibration. Quick preset."
    ),
}


def grader_of(name):
    """``"binary"`` or ``"t=<target>"`` as a grader of :mod:`hallusim.posttraining.grading`."""
    if name == "binary":
        return binary_grader()
    if isinstance(name, str) and name.startswith("t="):
        try:
            return target_grader(float(name[2:]))
        except ValueError:
            pass
    fail("rewards", "'binary' or 't=<target in (0, 1)>'", name)


@functools.lru_cache(maxsize=4)
def _base(n_prompts, n_examples, exponent, n_responses, answer_prob, base_steps, d_model, n_layers, seed):
    # deferred: jax is an optional extra; only this experiment needs it
    from hallusim.neural import TransformerLearner

    world = ArbitraryFacts.zipf(n_prompts, exponent, n_responses, answer_prob)
    corpus = world.sample(n_examples, seed=seed)
    learner = TransformerLearner(d_model=d_model, n_layers=n_layers, n_heads=max(1, d_model // 16), steps=base_steps,
                                 batch_size=64, lr=3e-3, seed=seed).fit(corpus)
    return corpus, learner


def calibration(learner, corpus, n_sample, n_bins, seed):
    """Reliability diagram of the answered responses: prompts drawn from ``μ``; the model's
    answer is its most likely response in ``R_c``, its confidence that response's probability
    given that it answers (``p̂(r|c)/p̂(R_c|c)``), correct iff it is ``a_c``."""
    probs = learner.probs_
    width = learner.layout_.width
    inside = np.arange(width)[None, :] < learner.layout_.n_responses[:, None]
    answers_p = np.where(inside, probs[:, :width], 0.0)
    top = answers_p.argmax(axis=1)
    conf = answers_p.max(axis=1) / np.maximum(answers_p.sum(axis=1), 1e-300)
    rng = np.random.default_rng(seed)
    prompts = rng.choice(corpus.world.n_prompts, size=n_sample, p=corpus.world.weights)
    return expected_calibration_error(conf[prompts], top[prompts] == corpus.answers[prompts], n_bins=n_bins)


def replicate(params, seed, *, base_args, rl_args, n_sample, n_bins):
    """One reward and replicate: post-train the shared base model and measure before and after."""
    # deferred: jax is an optional extra; only this experiment needs it
    from hallusim.neural import reinforce

    rep = int(params["base_draw"])
    corpus, base = _base(*base_args[:-1], seed=base_args[-1] + rep)
    post, history = reinforce(base, corpus, grader_of(params["reward"]), seed=int(seed.generate_state(1)[0] % 2**31),
                              **rl_args)
    before, after = calibration(base, corpus, n_sample, n_bins, 0), calibration(post, corpus, n_sample, n_bins, 0)
    row = {"singleton_rate": corpus.singleton_rate}
    for label, i in (("before", 0), ("after", -1)):
        for key in ("idk_rate", "accuracy", "err", "expected_reward"):
            row[f"{label}_{key}"] = getattr(history, key)[i]
    row.update(before_ece=before.ece, after_ece=after.ece,
               history=history.to_dict(),
               before_diagram=(before.mean_confidence.tolist(), before.accuracy.tolist()),
               after_diagram=(after.mean_confidence.tolist(), after.accuracy.tolist()))
    return row


def check_config(config):
    """Reject values of ``config`` the experiment cannot run with (called before any output).

    Parameters
    ----------
    config : dict
    """
    for name in config["rewards"]:
        grader_of(name)
    for key, minimum in (("n_prompts", 2), ("n_examples", 1), ("n_responses", 2), ("base_steps", 1), ("d_model", 16),
                         ("n_layers", 1), ("rl_steps", 1), ("rl_batch_size", 1), ("record_every", 1),
                         ("calibration_sample", 1), ("n_bins", 1), ("replicates", 1)):
        check_int(key, config[key], minimum=minimum)
    check_float("exponent", config["exponent"], low=0.0)
    check_probability("answer_prob", config["answer_prob"], allow_array=False)
    check_float("rl_lr", config["rl_lr"], low=0.0, low_open=True)
    check_float("kl_coef", config["kl_coef"], low=0.0)


def run(config, out_dir, *, sweep_options=None):
    """Run the sweep of ``config``, write the table and the figure; return the rows.

    Parameters
    ----------
    config : dict
        A preset of ``neural_posttraining.toml`` (with overrides).
    out_dir : str or Path
    sweep_options : dict, optional
        Passed to :func:`hallusim.runs.sweep`.

    Returns
    -------
    list of dict
    """
    check_config(config)
    # deferred: matplotlib figures only once the rows exist
    from hallusim.plotting.neural import plot_neural_posttraining

    base_args = (int(config["n_prompts"]), int(config["n_examples"]), float(config["exponent"]),
                 int(config["n_responses"]), float(config["answer_prob"]), int(config["base_steps"]),
                 int(config["d_model"]), int(config["n_layers"]), int(config["seed"]))
    rl_args = dict(steps=int(config["rl_steps"]), batch_size=int(config["rl_batch_size"]), lr=float(config["rl_lr"]),
                   kl_coef=float(config["kl_coef"]), record_every=int(config["record_every"]))
    func = functools.partial(replicate, base_args=base_args, rl_args=rl_args,
                             n_sample=int(config["calibration_sample"]), n_bins=int(config["n_bins"]))
    grid = {"reward": list(config["rewards"]), "base_draw": list(range(int(config["replicates"])))}
    rows = sweep(func, grid, replicates=1, seed=int(config["seed"]), **(sweep_options or {}))
    out_dir = Path(out_dir)
    table = [{k: v for k, v in r.items() if k not in ("history", "before_diagram", "after_diagram")} for r in rows]
    write_table(table, out_dir / "results" / "neural_posttraining.csv", provenance={"config": config})
    first = [r for r in rows if int(r["base_draw"]) == 0]
    histories = {r["reward"]: r["history"] for r in first}
    histograms = {"base": (*first[0]["before_diagram"], first[0]["before_ece"])}
    histograms.update({r["reward"]: (*r["after_diagram"], r["after_ece"]) for r in first})
    plot_neural_posttraining(histories, histograms, out_dir / "figures" / "neural_posttraining")
    return rows
