"""Section 4 with a trained network: REINFORCE post-training of a cross-entropy base model.

One base transformer is trained on an arbitrary-facts corpus (the same for every reward: paired),
then post-trained by policy gradient with the binary reward and with each explicit confidence
target ``t`` (wrong ``−t/(1 − t)``). Before and after, all exact and ``μ``-weighted (no
sampling): IDK rate, err and accuracy, the reliability diagram and ECE of every answer the
model may give weighted by its probability
(:func:`hallusim.posttraining.model_answers.answer_reliability`), and the behavioral-calibration
audit across targets (:func:`hallusim.posttraining.model_answers.model_behavioral_audit`).
Needs the ``neural`` extra.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from hallusim._validation import check_float, check_int, check_probability, fail
from hallusim.facts import ArbitraryFacts
from hallusim.posttraining.grading import binary_grader, midpoint_targets, target_grader
from hallusim.posttraining.model_answers import (
    answer_reliability,
    model_behavioral_audit,
)
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
    "audit_targets": ("midpoints of a uniform grid on [0, 1] for the behavioral audit", "targets"),
    "n_bins": ("bins of the calibration histogram", "bins"),
    "replicates": ("independent corpora", ""),
    "seed": ("root seed", ""),
}
#: Per preset: (seconds, peak MB, how) of ``hallusim run neural_posttraining --preset P --fresh``.
COST = {
    "quick": (94, 789, "measured (/usr/bin/time -v, --fresh, warm jax), load 3.3-4.7 on 2 cores shared with other jobs"),
    "medium": (119, 835, "measured (/usr/bin/time -v, --fresh, warm jax), load 3.8-4.4 on 2 cores shared with other jobs"),
    "paper": (7200, 2000, "estimated from the quick preset's tokens/s: hours on 2 cores"),
}
CAPTIONS = {
    "figures/neural_posttraining.png": (
        "A base transformer trained by cross-entropy, then post-trained by REINFORCE with a KL penalty to "
        "the base model, one colour per reward: binary (correct 1, wrong 0, IDK 0) or a confidence target "
        "t (correct 1, wrong −t/(1−t), IDK 0; Section 4.2); base: the model before RL. Every number is "
        "exact: every prompt c weighted by μ(c), every answer r by the model's probability p̂(r | c), no "
        "sampling. Top: IDK rate Σ_c μ(c) p̂(IDK | c) (solid) and generative error err = p̂(N ∪ E) (dashed; "
        "wrong answers, nonsense tokens included) against RL steps. Middle: reliability diagram of every "
        "answer the model may give (the all-choices binning of Figure 2, each answer weighted by how often "
        "it is the model's answer rather than counted once): an answer r to c is binned by its confidence "
        "π(r | c) = p̂(r | c)/A_c, A_c = 1 − p̂(IDK | c) the probability of answering, with weight "
        "μ(c) p̂(r | c) normalised over answered pairs; a dot is a bin's weighted mean confidence and its "
        "weighted fraction of correct answers (r = a_c, the world's answer); ECE in the legend is "
        "Σ_b W_b |accuracy_b − confidence_b| (W_b the bin's weight, 10 equal-width bins); dotted: perfect "
        "calibration. Bottom: behavioral-calibration audit (Section 4.2): with q_c = p̂(a_c | c)/A_c the "
        "probability that the model's answer to c is right, a behaviorally calibrated model at target t "
        "answers exactly the prompts with q_c > t; the deviation D(t) = Σ_c μ(c) |q_c − t| · |A_c − 1[q_c > t]| "
        "(0 iff calibrated at t; (1 − t) times the regret in expected target-t score) against t for each "
        "model; dot: each post-trained model at its own reward's target (binary: t = 0). Quick preset."
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


def target_of(name):
    """The confidence target ``t`` of a reward name: 0 for ``"binary"`` (binary grading is ``t = 0``)."""
    return 0.0 if name == "binary" else float(name[2:])


def measure(learner, corpus, n_bins, targets, label):
    """Exact reliability diagram (with ECE) and behavioral audit of one model."""
    diagram = answer_reliability(learner, corpus, n_bins=n_bins)
    audit = model_behavioral_audit(learner, corpus, targets, name=label)
    return diagram, audit


def replicate(params, seed, *, base_args, rl_args, n_bins, n_audit):
    """One reward and replicate: post-train the shared base model and measure before and after."""
    # deferred: jax is an optional extra; only this experiment needs it
    from hallusim.neural import reinforce

    rep = int(params["base_draw"])
    corpus, base = _base(*base_args[:-1], seed=base_args[-1] + rep)
    post, history = reinforce(base, corpus, grader_of(params["reward"]), seed=int(seed.generate_state(1)[0] % 2**31),
                              **rl_args)
    t = target_of(params["reward"])
    grid = midpoint_targets(n_audit)
    targets = np.r_[grid, t]  # the grid, then the reward's own target (last)
    row = {"singleton_rate": corpus.singleton_rate, "target": t}
    for label, i in (("before", 0), ("after", -1)):
        for key in ("idk_rate", "accuracy", "err", "expected_reward"):
            row[f"{label}_{key}"] = getattr(history, key)[i]
    for label, model in (("before", base), ("after", post)):
        diagram, audit = measure(model, corpus, n_bins, targets, label)
        row[f"{label}_ece"] = diagram.ece
        row[f"{label}_deviation_at_t"] = float(audit.deviation_per_target[-1])
        row[f"{label}_ideal_answer_rate_at_t"] = float(audit.ideal_answer_rate[-1])
        row[f"{label}_accuracy_answered"] = float(audit.accuracy_answered[-1])
        row[f"{label}_mean_deviation"] = float(audit.deviation_per_target[:-1].mean())
        row[f"{label}_diagram"] = (diagram.mean_confidence.tolist(), diagram.accuracy.tolist(), diagram.weight.tolist())
        row[f"{label}_audit"] = (grid.tolist(), audit.deviation_per_target[:-1].tolist())
    row["history"] = history.to_dict()
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
                         ("audit_targets", 1), ("n_bins", 1), ("replicates", 1)):
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
    func = functools.partial(replicate, base_args=base_args, rl_args=rl_args, n_bins=int(config["n_bins"]),
                             n_audit=int(config["audit_targets"]))
    grid = {"reward": list(config["rewards"]), "base_draw": list(range(int(config["replicates"])))}
    rows = sweep(func, grid, replicates=1, seed=int(config["seed"]), **(sweep_options or {}))
    out_dir = Path(out_dir)
    nested = ("history", "before_diagram", "after_diagram", "before_audit", "after_audit")
    table = [{k: v for k, v in r.items() if k not in nested} for r in rows]
    write_table(table, out_dir / "results" / "neural_posttraining.csv", provenance={"config": config})
    first = [r for r in rows if int(r["base_draw"]) == 0]
    histories = {r["reward"]: r["history"] for r in first}
    histograms = {"base": (*first[0]["before_diagram"][:2], first[0]["before_ece"])}
    histograms.update({r["reward"]: (*r["after_diagram"][:2], r["after_ece"]) for r in first})
    audits = {"base": (*first[0]["before_audit"], None, None)}
    audits.update({r["reward"]: (*r["after_audit"], r["target"], r["after_deviation_at_t"]) for r in first})
    plot_neural_posttraining(histories, histograms, audits, out_dir / "figures" / "neural_posttraining")
    return rows
