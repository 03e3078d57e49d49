"""Explicit confidence targets (Section 4.2): how binary and target grading rank test takers.

A population of questions, each with the model's true probability ``p`` of answering it
correctly (Beta distributed). Policies: always guess (the paper's Model B), behaviorally
calibrated (answer iff ``p > t``: Model A), over- and under-confident versions of it (the
confidence's log-odds shifted), and a fixed abstention rate. For each stated target ``t``:
expected scores under binary grading and under the target grader ``t``, and sampled tests
(answers' correctness drawn per question) as replicates, all from
:func:`hallusim.posttraining.grading.simulate_test_takers`. A replicate is one sampled test shared by every
policy and target (paired draws: the model's answers are the same, only whether each is
submitted differs), so differences between policies are not blurred by independent noise. The
second figure is the behavioral-calibration audit of every policy across ``t``.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from hallusim._validation import check_float, check_int, fail
from hallusim.plotting.posttraining import (
    plot_behavioral_audit,
    plot_confidence_targets,
)
from hallusim.posttraining.grading import (
    Policy,
    behavioral_audit,
    midpoint_targets,
    simulate_test_takers,
)
from hallusim.runs import sweep, write_table

SUMMARY = "Figures: score against the confidence target t per policy (binary vs target grading), and the behavioral-calibration audit."
OUTPUTS = (
    "figures/confidence_targets.png",
    "figures/confidence_targets.pdf",
    "figures/behavioral_audit.png",
    "figures/behavioral_audit.pdf",
    "results/confidence_targets.csv",
    "results/behavioral_audit.csv",
)

# Every preset key: (meaning, unit); `hallusim run confidence_targets --help` lists them with their preset values.
KEYS = {
    "n_questions": ("questions; each has a true probability p of a correct answer", "questions"),
    "beta_a": ("p ~ Beta(beta_a, beta_b): first shape", ""),
    "beta_b": ("second shape", ""),
    "population_seed": ("seed of the fixed population of p; replicates redraw only the answers' correctness", ""),
    "targets": ("confidence targets t of the scoring rule (answer iff confidence > t; wrong answers cost t/(1−t))", "probability"),
    "confidence_shift": ("over/under-confident policies shift the log-odds of p by ± this", "log-odds"),
    "abstention_rate": ("the fixed-abstention policy abstains on this fraction (least confident)", "fraction"),
    "audit_targets": ("midpoints of a uniform grid on [0, 1] for the behavioral audit", "targets"),
    "replicates": ("sampled tests per (policy, target)", "tests"),
    "seed": ("root seed", ""),
}

# Cost of each preset: (seconds, peak MB, how), from `/usr/bin/time -v hallusim run NAME --preset P --fresh`
# (--jobs 1, warm Numba cache) on the 2-core CI machine; "load" is the 1-minute load average then.
COST = {
    "quick": (2.8, 184, "measured, load 1.0"),
    "medium": (2.8, 184, "measured, load 1.5"),
    "paper": (27.2, 188, "measured, load 1.6"),
}



# Caption of each figure on the docs' experiments page: defines every symbol, line and number shown.
CAPTIONS = {
    "figures/confidence_targets.png": (
        "Expected score per question of each policy against the confidence target t stated in the "
        "instructions (Section 4.2), over a fixed population of questions whose probability p of being "
        "answered correctly is Beta(beta_a, beta_b). Top: binary (0-1) grading (a correct answer scores 1, a "
        "wrong answer or IDK 0). Bottom: target grading (correct 1, wrong −t/(1 − t), IDK 0), shown over every "
        "policy's full range; the horizontal line is the IDK score 0. Lines: expected scores; markers with "
        "bars: mean ± one standard deviation over the sampled tests (replicates). The policies answer iff "
        "their confidence exceeds t (calibrated: confidence p; over/under-confident: the log-odds of p "
        "shifted by ± confidence_shift), always guess, or abstain on the least confident fraction "
        "abstention_rate."
    ),
    "figures/behavioral_audit.png": (
        "Behavioral-calibration audit (Section 4.2): for each policy and target t, its answer rate, accuracy "
        "among answered questions and error rate (wrong answers per question), beside the behaviorally "
        "calibrated reference (thick grey: answer iff p > t). Dotted in the middle panel: accuracy = t, which "
        "a behaviorally calibrated model's accuracy must exceed. The legend's D is the policy's deviation: "
        "the mean over the audit targets of deviation(t) = mean_i |p_i − t| · |a_i − 1[p_i > t]|, where p_i "
        "is the probability that question i is answered correctly and a_i the policy's probability of "
        "answering it; D = 0 iff the policy is behaviorally calibrated."
    ),
}


def policies(config) -> dict:
    """The policies of the experiment, by name."""
    shift = float(config["confidence_shift"])
    rate = float(config["abstention_rate"])
    named = [
        Policy.always_guess(),
        Policy.calibrated(),
        Policy.miscalibrated(f"over-confident (log-odds +{shift:g})", logit_shift=shift),
        Policy.miscalibrated(f"under-confident (log-odds −{shift:g})", logit_shift=-shift),
        Policy.fixed_abstention(rate, name=f"fixed abstention {rate:.0%} (least confident)"),
    ]
    return {policy.name: policy for policy in named}


def question_population(config) -> np.ndarray:
    """The questions' probabilities of a correct answer: Beta(beta_a, beta_b), from ``population_seed``."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(config["population_seed"]))))
    return rng.beta(float(config["beta_a"]), float(config["beta_b"]), size=int(config["n_questions"]))


_SAMPLED = ("score_binary", "score_target", "error_rate")


def replicate(params, seed, *, p_correct, policies, targets):
    """One sampled test, shared by every policy and target: the realised values in grid order."""
    outcomes = simulate_test_takers(p_correct, policies, targets, n_draws=1, seed=seed)
    return {f"sampled_{name}": [row[f"sampled_{name}_mean"] for row in outcomes] for name in _SAMPLED}


def check_config(config):
    """Reject values of ``config`` the experiment cannot run with (called before any output).

    Parameters
    ----------
    config : dict
        A preset with its overrides.
    """
    check_int("n_questions", config["n_questions"], minimum=1)
    check_float("beta_a", config["beta_a"], low=0.0, low_open=True)
    check_float("beta_b", config["beta_b"], low=0.0, low_open=True)
    check_int("population_seed", config["population_seed"], minimum=0)
    check_float("confidence_shift", config["confidence_shift"], low=0.0)
    check_float("abstention_rate", config["abstention_rate"], low=0.0, high=1.0)
    check_int("audit_targets", config["audit_targets"], minimum=1)
    check_int("replicates", config["replicates"], minimum=1)
    check_int("seed", config["seed"], minimum=0)
    targets = config["targets"]
    if not isinstance(targets, (list, tuple)) or not targets:
        fail("targets", "a non-empty list of floats in [0, 1)", targets)
    for t in targets:
        check_float("targets", t, low=0.0, high=1.0, high_open=True)


def ranking_summary(rows, *, tolerance=1e-12) -> dict:
    """The policies with the highest expected score at each target, under each grading.

    Returns
    -------
    dict
        ``{"expected_score_binary": {t: [leaders]}, "expected_score_target": {...}}``; ties
        (within ``tolerance``) list every leader.
    """
    leaders = {}
    for key in ("expected_score_binary", "expected_score_target"):
        by_target = {}
        for r in rows:
            if r["replicate"] == 0:
                by_target.setdefault(r["target"], []).append((r[key], r["policy"]))
        leaders[key] = {
            t: [name for score, name in entries if score >= max(entries)[0] - tolerance]
            for t, entries in sorted(by_target.items())
        }
    return leaders


def run(config, out_dir, *, sweep_options=None):
    """Sampled tests (paired across policies) and expectations, audit every policy; write tables and figures."""
    check_config(config)
    p_correct = question_population(config)
    policy_list = list(policies(config).values())
    targets = [float(t) for t in config["targets"]]
    func = functools.partial(replicate, p_correct=p_correct, policies=policy_list, targets=targets)
    draws = sweep(func, {"n_questions": int(config["n_questions"])}, replicates=int(config["replicates"]),
                  seed=int(config["seed"]), **(sweep_options or {}))
    expected = simulate_test_takers(p_correct, policy_list, targets)  # policies outermost, then targets
    rows = []
    for i, outcome in enumerate(expected):
        for draw in draws:
            rows.append({
                "policy": outcome["policy"],
                "target": outcome["target"],
                "replicate": draw["replicate"],
                "root_seed": draw["root_seed"],
                "answer_rate": outcome["answer_rate"],
                "accuracy_answered": outcome["accuracy_answered"],
                "error_rate": outcome["error_rate"],
                "expected_score_binary": outcome["score_binary"],
                "expected_score_target": outcome["score_target"],
                **{f"sampled_{name}": draw[f"sampled_{name}"][i] for name in _SAMPLED},
            })
    audit_targets = midpoint_targets(int(config["audit_targets"]))
    audit_rows = [row for policy in policy_list for row in behavioral_audit(p_correct, policy, audit_targets).rows()]
    out_dir = Path(out_dir)
    provenance = {"experiment": "confidence_targets", "config": dict(config)}
    write_table(rows, out_dir / "results" / "confidence_targets.csv", provenance=provenance)
    write_table(audit_rows, out_dir / "results" / "behavioral_audit.csv", provenance=provenance)
    plot_confidence_targets(rows, out_dir / "figures" / "confidence_targets")
    plot_behavioral_audit(audit_rows, out_dir / "figures" / "behavioral_audit")
    return rows
