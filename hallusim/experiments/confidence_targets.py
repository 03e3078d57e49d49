"""Explicit confidence targets (Section 4.2): how binary and target grading rank test takers.

A population of questions, each with the model's true probability ``p`` of answering it
correctly (Beta distributed). Policies: always guess (the paper's Model B), behaviorally
calibrated (answer iff ``p > t``: Model A), over- and under-confident versions of it (the
confidence's log-odds shifted), and a fixed abstention rate. For each stated target ``t``:
expected scores under binary grading and under the target grader ``t``, and sampled tests
(answers' correctness drawn per question) as replicates. The second figure is the
behavioral-calibration audit of every policy across ``t``.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from hallusim._validation import check_float, check_int
from hallusim.grading import Policy, behavioral_audit, expected_outcome, midpoint_targets, sampled_outcome
from hallusim.results import write_table
from hallusim.sweep import sweep

SUMMARY = "Figures: score against the confidence target t per policy (binary vs target grading), and the behavioral-calibration audit."
OUTPUTS = (
    "figures/confidence_targets.png",
    "figures/confidence_targets.pdf",
    "figures/behavioral_audit.png",
    "figures/behavioral_audit.pdf",
    "results/confidence_targets.csv",
    "results/behavioral_audit.csv",
)


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


def replicate(params, seed, *, p_correct, policy_by_name):
    """One (policy, target) and one sampled test: expected and realised rates and scores."""
    policy = policy_by_name[params["policy"]]
    expected = expected_outcome(p_correct, policy, params["target"])
    sampled = sampled_outcome(p_correct, policy, params["target"], seed=seed)
    return {
        "answer_rate": expected.answer_rate,
        "accuracy_answered": expected.accuracy_answered,
        "error_rate": expected.error_rate,
        "expected_score_binary": expected.score_binary,
        "expected_score_target": expected.score_target,
        "sampled_score_binary": sampled.score_binary,
        "sampled_score_target": sampled.score_target,
        "sampled_error_rate": sampled.error_rate,
    }


def _check(config):
    check_int("n_questions", config["n_questions"], minimum=1)
    check_float("beta_a", config["beta_a"], low=0.0, low_open=True)
    check_float("beta_b", config["beta_b"], low=0.0, low_open=True)
    check_float("confidence_shift", config["confidence_shift"], low=0.0)
    check_float("abstention_rate", config["abstention_rate"], low=0.0, high=1.0)
    check_int("audit_targets", config["audit_targets"], minimum=1)
    for t in config["targets"]:
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
    """Sweep policies × targets × sampled tests, audit every policy; write tables and figures."""
    _check(config)
    p_correct = question_population(config)
    policy_by_name = policies(config)
    func = functools.partial(replicate, p_correct=p_correct, policy_by_name=policy_by_name)
    grid = {"policy": list(policy_by_name), "target": [float(t) for t in config["targets"]]}
    rows = sweep(func, grid, replicates=int(config["replicates"]), seed=int(config["seed"]), **(sweep_options or {}))
    audit_rows = [
        row
        for policy in policy_by_name.values()
        for row in behavioral_audit(p_correct, policy, midpoint_targets(int(config["audit_targets"]))).rows()
    ]
    out_dir = Path(out_dir)
    provenance = {"experiment": "confidence_targets", "config": dict(config)}
    write_table(rows, out_dir / "results" / "confidence_targets.csv", provenance=provenance)
    write_table(audit_rows, out_dir / "results" / "behavioral_audit.csv", provenance=provenance)
    from hallusim.plotting.posttraining import plot_behavioral_audit, plot_confidence_targets

    plot_confidence_targets(rows, out_dir / "figures" / "confidence_targets")
    plot_behavioral_audit(audit_rows, out_dir / "figures" / "behavioral_audit")
    return rows
