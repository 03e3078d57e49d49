"""Kalai & Vempala (STOC 2024) beside Theorem 2, and the student replication that found it negative.

Part 1 (simulation): arbitrary-facts worlds (Definition 1) with ``C = prompts_per_example · N``
Zipf prompts and ``|R_c|`` responses each, sampled at several ``N``; the calibrated learner is
fitted and evaluated exactly. On the same corpora the figure draws Theorem 2's lower bound
(``sr − 2/min|E_c| − (35 + 6 ln N)/√N − δ``) and Kalai & Vempala's
(``MF̂ − Mis − 300|F|/|H| − 7/√n``). In a world of Definition 1 each prompt has one fact and
``|E_c|`` plausible falsehoods, so ``|F|/|H| = 1/min|E_c|``, and ``MF̂`` is the singleton rate
``sr``. The miscalibration ``Mis`` of the calibrated learner is taken as its calibration gap
``δ`` (both are zero for a calibrated model; they are different statistics otherwise).

Part 2 (the student replication, github LeonPeric/Hallucination-Calibration, commit 9bba659):
their ten published settings (their blog post's results table: n = 800 and 8000 training facts,
Zipf α from 0.1 to 2, their measured MF̂, miscalibration and ``300|F|/|H|``) are recomputed with
:func:`hallusim.bounds.kalai_vempala_lower`, and for each the training size ``N*`` at which the
bound turns positive with their MF̂ and ``|F|/|H|`` held fixed, and the largest miscalibration
``Mis*`` at which it is positive at their ``n``.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

from hallusim import bounds, learners
from hallusim._validation import check_float, check_int, check_probability
from hallusim.facts import ArbitraryFacts
from hallusim.iiv import evaluate
from hallusim.plotting.replications import plot_kalai_vempala
from hallusim.runs import sweep, write_table

SUMMARY = "Figure and table: Kalai & Vempala's 2024 bound beside Theorem 2 against N, and the student replication's settings."
OUTPUTS = (
    "figures/kalai_vempala.png",
    "figures/kalai_vempala.pdf",
    "results/kalai_vempala.csv",
    "results/kalai_vempala_student.csv",
)
#: The caption of each figure on the docs' experiments page (every symbol defined).
CAPTIONS = {
    "figures/kalai_vempala.png": (
        "Top panels, one per answer-set size |R_c| (365 birthdays; 10^5): against the number N of training "
        "examples, the calibrated learner's generative error err (Appendix B; solid, circles), the singleton "
        "rate sr, which is Kalai & Vempala's monofact estimate MF̂ (dotted, crosses), Theorem 2's lower bound "
        "sr − 2/min_c |E_c| − (35 + 6 ln N)/√N − δ (99% form, with the learner's own δ; solid, squares) and "
        "Kalai & Vempala's 2024 bound MF̂ − Mis − 300·|F|/|H| − 7/√n (dashed, diamonds), with miscalibration "
        "Mis taken as the learner's δ and |F|/|H| = 1/(|R_c| − 1); the panel title gives 300|F|/|H|. A bound "
        "below the black zero line is vacuous. Bottom: the student replication's 20 settings (Zipf exponent α, "
        "sizes n): the bound as published (open stars), ours recomputed from their inputs (small filled "
        "circles, solid; inside the stars where the two agree), and ours with Mis = 0 (a calibrated model; open "
        "circles, dashed). Quick preset."
    ),
}

# Every preset key: (meaning, unit); `hallusim run kalai_vempala --help` lists them with their preset values.
KEYS = {
    "prompts_per_example": ("prompts per training example: the world has C = prompts_per_example × N prompts", "prompts per example"),
    "exponent": ("Zipf exponent of the prompt weights μ(c) ∝ c^(−exponent); 0 is uniform", ""),
    "answer_prob": ("α: probability that a training example answers (the rest say IDK)", "probability"),
    "n_responses": ("|R_c|, responses per prompt, one world per value (300|F|/|H| = 300/(|R_c| − 1))", "responses"),
    "n_examples": ("training examples N (Kalai & Vempala's n) of each corpus", "examples"),
    "replicates": ("independent corpora per (|R_c|, N)", "corpora"),
    "seed": ("root seed of the sweep", ""),
}

# Cost of each preset: (seconds, peak MB, how), from `/usr/bin/time -v hallusim run NAME --preset P --fresh`
# (--jobs 1, warm Numba cache) on the 2-core CI machine; "load" is the 1-minute load average before-after.
# Measured on a heavily loaded machine (load ~10 on 2 cores): at load ~1 expect several times less.
COST = {
    "quick": (30.9, 286, "measured, load 9.7-9.2"),
    "medium": (35.6, 311, "measured, load 9.7-9.2"),
    "paper": (400, 1600, "estimated from the medium run: the sum of N over rows is 15 times medium's (startup ~10 s at this load, measured with table2); memory scaled from ~140 MB per 10^6 examples of the largest N, 10^7"),
}

#: The student replication's runs (``src/experiment/results/results.json`` with
#: ``run_configs/run_configs.json`` at commit 9bba659), means over their 3 seeds:
#: (training size n, Zipf α, food list, |possible facts|, runs, hallucination rate, MF̂, Mis,
#: their third term 300·|F|/|H|, their lower bound). The "small" rows are their blog post's
#: results table; that table lists the n = 800 bounds in reverse order of α (its −0.975 belongs
#: to α = 2, its −0.082 to α = 0.1), which the per-run file settles.
STUDENT_TABLE = (
    (800, 0.1, "medium", 311000, 3, 0.0327, 0.9992, 0.4494, 0.37531, -0.0730),
    (800, 0.1, "small", 101000, 3, 0.0323, 0.9958, 0.4560, 0.37469, -0.0823),
    (800, 0.5, "medium", 311000, 3, 0.0367, 0.9933, 0.4600, 0.37422, -0.0884),
    (800, 0.5, "small", 101000, 3, 0.0280, 0.9783, 0.4580, 0.37140, -0.0986),
    (800, 1.0, "medium", 311000, 3, 0.0177, 0.5846, 0.2965, 0.24817, -0.2076),
    (800, 1.0, "small", 101000, 3, 0.0133, 0.5350, 0.2762, 0.23237, -0.2210),
    (800, 1.5, "medium", 311000, 3, 0.0010, 0.1042, 0.2955, 0.05735, -0.4962),
    (800, 1.5, "small", 101000, 3, 0.0013, 0.0975, 0.2885, 0.05579, -0.4943),
    (800, 2.0, "medium", 311000, 3, 0.0000, 0.0187, 0.7442, 0.01641, -0.9894),
    (800, 2.0, "small", 101000, 3, 0.0000, 0.0192, 0.7306, 0.01594, -0.9749),
    (8000, 0.1, "medium", 311000, 3, 0.1957, 0.9740, 0.9241, 0.03701, -0.0654),
    (8000, 0.1, "small", 101000, 3, 0.1697, 0.9213, 0.9147, 0.03601, -0.1077),
    (8000, 0.5, "medium", 311000, 3, 0.2143, 0.9405, 0.9199, 0.03630, -0.0939),
    (8000, 0.5, "small", 101000, 3, 0.1730, 0.8536, 0.9022, 0.03442, -0.1613),
    (8000, 1.0, "medium", 311000, 3, 0.1230, 0.4286, 0.5618, 0.01887, -0.2304),
    (8000, 1.0, "small", 101000, 3, 0.0750, 0.3682, 0.5251, 0.01684, -0.2520),
    (8000, 1.5, "medium", 311000, 3, 0.0080, 0.0447, 0.3591, 0.00261, -0.3953),
    (8000, 1.5, "small", 101000, 3, 0.0070, 0.0434, 0.3760, 0.00254, -0.4134),
    (8000, 2.0, "medium", 311000, 3, 0.0003, 0.0075, 0.8714, 0.00055, -0.9427),
    (8000, 2.0, "small", 101000, 3, 0.0003, 0.0075, 0.8369, 0.00055, -0.9082),
)


def replicate(params, seed, *, prompts_per_example, exponent, answer_prob):
    """One (|R|, N) world and replicate: sample, fit the calibrated learner, evaluate both bounds."""
    n = params["n_examples"]
    n_prompts = max(1, round(prompts_per_example * n))
    world = ArbitraryFacts.zipf(n_prompts, exponent, params["n_responses"], answer_prob)
    corpus = world.sample(n, seed=seed)
    ev = evaluate(learners.CalibratedLearner().fit(corpus), corpus)
    sr = corpus.singleton_rate
    ratio = 1.0 / world.min_errors
    return {
        "n_prompts": n_prompts,
        "min_errors": world.min_errors,
        "singleton_rate": sr,
        "err": ev.err,
        "delta": ev.delta,
        "theorem2_lower": ev.theorem2_lower,
        "kalai_vempala_lower": bounds.kalai_vempala_lower(sr, min(ev.delta, 1.0), ratio, n),
        "kalai_vempala_lower_mis0": bounds.kalai_vempala_lower(sr, 0.0, ratio, n),
        "theorem2_lower_delta0": bounds.theorem2_lower(sr, world.min_errors, n),
    }


def student_rows():
    """The student replication's ten settings, recomputed, with ``N*`` and ``Mis*``.

    Returns
    -------
    list of dict
        Their inputs and bound, ours from the same inputs, the difference, and where it turns
        positive (``n_star`` is None when ``MF̂ − Mis − 300|F|/|H| <= 0``: no ``N`` helps).
    """
    rows = []
    for n, alpha, foods, possible, runs, halluc, mf, mis, third, theirs in STUDENT_TABLE:
        ratio = third / 300.0
        ours = bounds.kalai_vempala_lower(mf, mis, ratio, n)
        gap = mf - mis - third
        gap_calibrated = mf - third
        rows.append({
            "n": n, "zipf_alpha": alpha, "food_list": foods, "possible_facts": possible, "runs": runs,
            "hallucination_rate": halluc, "monofact_rate": mf, "miscalibration": mis,
            "third_term_300_ratio": third, "their_bound": theirs, "our_bound": ours, "difference": ours - theirs,
            "n_star": math.ceil((7.0 / gap) ** 2) if gap > 0 else None,
            "n_star_calibrated": math.ceil((7.0 / gap_calibrated) ** 2) if gap_calibrated > 0 else None,
            "mis_star": mf - third - 7.0 / math.sqrt(n),
            "bound_if_calibrated": bounds.kalai_vempala_lower(mf, 0.0, ratio, n),
        })
    return rows


def check_config(config):
    """Reject values of ``config`` the experiment cannot run with.

    Parameters
    ----------
    config : dict
    """
    for n in config["n_examples"]:
        check_int("n_examples", n, minimum=1)
    for r in config["n_responses"]:
        check_int("n_responses", r, minimum=2)
    check_float("exponent", config["exponent"], low=0.0)
    check_float("prompts_per_example", config["prompts_per_example"], low=0.0, low_open=True)
    check_probability("answer_prob", config["answer_prob"], allow_array=False)
    check_int("replicates", config["replicates"], minimum=1)


def run(config, out_dir, *, sweep_options=None):
    """Run the sweep, write both tables and the figure; return the simulation rows.

    Parameters
    ----------
    config : dict
        A preset of ``kalai_vempala.toml``.
    out_dir : str or Path
    sweep_options : dict, optional
        Passed to :func:`hallusim.runs.sweep`.

    Returns
    -------
    list of dict
    """
    check_config(config)
    func = functools.partial(replicate, prompts_per_example=float(config["prompts_per_example"]),
                             exponent=float(config["exponent"]), answer_prob=float(config["answer_prob"]))
    grid = {"n_responses": [int(r) for r in config["n_responses"]], "n_examples": [int(n) for n in config["n_examples"]]}
    rows = sweep(func, grid, replicates=int(config["replicates"]), seed=int(config["seed"]), **(sweep_options or {}))
    student = student_rows()
    out_dir = Path(out_dir)
    write_table(rows, out_dir / "results" / "kalai_vempala.csv", provenance={"config": config})
    write_table(student, out_dir / "results" / "kalai_vempala_student.csv", provenance={"config": config})
    plot_kalai_vempala(rows, student, out_dir / "figures" / "kalai_vempala")
    return rows
