"""Theorem 2 in simulation: generative error of each learner against the singleton rate.

For Zipf worlds of several exponents and corpora of several sizes ``N``, every learner is fitted
and evaluated exactly; the figure puts each learner's ``err`` against ``sr`` beside the
Theorem 2 lower bound (δ = 0), the calibrated learner's upper bound and the missing mass MM.
"""

from __future__ import annotations

import functools
from pathlib import Path

from hallusim import learners
from hallusim._inputs import check_allocation
from hallusim._validation import check_float, check_int, check_probability, fail
from hallusim.plotting.facts import plot_singleton_floor
from hallusim.runs import sweep, write_table
from hallusim.streaming import ZipfWorld, stream_evaluate, working_bytes

SUMMARY = "Figure: err of each learner against the singleton rate sr, with the Theorem 2 bounds and MM."
OUTPUTS = ("figures/singleton_floor.png", "figures/singleton_floor.pdf", "results/singleton_floor.csv")
# Rows are streamed a part of the prompts at a time; check_config bounds that part's memory.
STREAMED = True

# Every preset key: (meaning, unit); `hallusim run singleton_floor --help` lists them with their preset values.
KEYS = {
    "prompts_per_example": ("prompts per training example: the world has C = prompts_per_example × N prompts", "prompts per example"),
    "n_examples": ("training examples N of each corpus", "examples"),
    "exponents": ("Zipf exponents of the prompt weights μ(c) ∝ c^(−exponent); 0 is uniform", ""),
    "n_responses": ("|R_c|, responses per prompt (365 birthdays: min |E_c| = 364)", "responses"),
    "answer_prob": ("α: probability that a training example answers (the rest say IDK)", "probability"),
    "learners": ("learners fitted on each corpus: calibrated, empirical, memorizing, abstaining, uniform", ""),
    "replicates": ("independent corpora per (exponent, N)", "corpora"),
    "seed": ("root seed of the sweep", ""),
}

# Cost of each preset: (seconds, peak MB, how), from `/usr/bin/time -v hallusim run NAME --preset P --fresh`
# (--jobs 1, warm Numba cache) on the 2-core CI machine; "load" is the 1-minute load average then.
COST = {
    "quick": (5.3, 264, "measured, load 1.0"),
    "medium": (25.0, 760, "measured, load 0.6-0.9"),
    "paper": (4300, 800, "estimated from measured rows (streamed, one process): N = 10^9 took 793 s and 771 MB at "
                         "load 4-4.6, N = 10^8 59 s and 761 MB at load 1.5; 5 rows of each"),
}



# Caption of each figure on the docs' experiments page: defines every symbol, line and number shown.
CAPTIONS = {
    "figures/singleton_floor.png": (
        "Generative error err (the model's probability of a wrong answer, Section 2) of each learner against "
        "the singleton rate sr (the fraction of the N training examples whose prompt occurs exactly once among "
        "the answered examples, Definition 2), one panel per training-set size N (stacked), one point per Zipf "
        "world (prompt weights μ(c) ∝ c^−exponent, exponents of the preset) and replicate. Learners: calibrated "
        "(Appendix B, knows α), empirical (the same with α estimated), memorizing (answers only prompts it "
        "saw), drawn as large open circles, small filled squares on top (inside the circles, since the "
        "calibrated and empirical errors are equal) and open diamonds. δ is the calibration gap |p̂(A) − p(A)| "
        "at the threshold 1/min_c |E_c| (Section 3.1); the legend gives each learner's largest δ over the rows. "
        "Dotted: err = sr. Dashed: Theorem 2's upper bound for the calibrated learner, sr − sr/(L + 1) + 13/√N "
        "with L = max_c |E_c| = 364 (99% form). Solid: Theorem 2's lower bound sr − 2/min_c |E_c| − (35 + 6 ln "
        "N)/√N with δ = 0 (99% form); a panel where it is below the axis says \"vacuous at this N\". Black plus "
        "signs: the true missing mass MM (the μ-weighted answer probability of prompts never seen). The quick "
        "preset's N = 10^4 and 10^5 leave the lower bound vacuous or near 0; the medium preset reaches N = "
        "10^7."
    ),
}

LEARNERS = {
    "calibrated": learners.CalibratedLearner,
    "empirical": learners.EmpiricalCalibratedLearner,
    "memorizing": learners.MemorizingLearner,
    "abstaining": learners.AbstainingLearner,
    "uniform": learners.UniformLearner,
}


def replicate(params, seed, *, learners, prompts_per_example, n_responses, answer_prob):
    """One (exponent, N) configuration and replicate: sample, fit every learner, evaluate.

    The world has ``C = prompts_per_example · N`` prompts, so that ``sr`` stays comparable
    across ``N`` while the Theorem 2 slack shrinks. It is streamed a part of the prompts at a
    time (:func:`hallusim.streaming.stream_evaluate`), so memory stays bounded at any ``N``.
    """
    n_prompts = max(1, round(prompts_per_example * params["n_examples"]))
    world = ZipfWorld(n_prompts, params["exponent"], n_responses, answer_prob)
    run = stream_evaluate(world, params["n_examples"], {name: LEARNERS[name]() for name in learners}, seed=seed)
    row = {
        "n_prompts": n_prompts,
        "singleton_rate": run.singleton_rate,
        "missing_mass": run.missing_mass,
        "expected_singleton_rate": run.expected_singleton_rate,
        "min_errors": world.min_errors,
        "max_errors": world.max_errors,
    }
    for name, ev in run.evaluations.items():
        for key in ("err", "err_iiv", "delta", "theorem1_lower", "theorem2_lower", "theorem2_upper"):
            row[f"{name}_{key}"] = getattr(ev, key)
    return row


def check_config(config):
    """Reject values of ``config`` the experiment cannot run with (called before any output).

    Parameters
    ----------
    config : dict
        A preset with its overrides.
    """
    unknown = sorted(set(config["learners"]) - set(LEARNERS))
    if unknown:
        fail("learners", "names among " + ", ".join(LEARNERS), ", ".join(unknown))
    for n in config["n_examples"]:
        check_int("n_examples", n, minimum=1)
    for s in config["exponents"]:
        check_float("exponents", s, low=0.0)
    ppe = check_float("prompts_per_example", config["prompts_per_example"], low=0.0, low_open=True)
    for n in config["n_examples"]:
        check_allocation("n_examples", working_bytes(max(1, round(ppe * n)), len(config["learners"])))
    check_int("n_responses", config["n_responses"], minimum=2)
    check_probability("answer_prob", config["answer_prob"], allow_array=False)
    check_int("replicates", config["replicates"], minimum=1)


def run(config, out_dir, *, sweep_options=None):
    """Run the sweep of ``config``, write the results table and the figure; return the rows.

    Parameters
    ----------
    config : dict
        A preset of ``singleton_floor.toml`` (with overrides).
    out_dir : str or Path
        Figures go to ``out_dir/figures``, the table to ``out_dir/results``.
    sweep_options : dict, optional
        Passed to :func:`hallusim.runs.sweep` (workers, scheduler, results file, progress).

    Returns
    -------
    list of dict
    """
    check_config(config)
    func = functools.partial(
        replicate,
        learners=tuple(config["learners"]),
        prompts_per_example=float(config["prompts_per_example"]),
        n_responses=int(config["n_responses"]),
        answer_prob=float(config["answer_prob"]),
    )
    grid = {"exponent": list(config["exponents"]), "n_examples": [int(n) for n in config["n_examples"]]}
    ppe = float(config["prompts_per_example"])
    # progress: a row's time grows with its examples and prompts (plus a fixed overhead)
    rows = sweep(func, grid, replicates=int(config["replicates"]), seed=int(config["seed"]),
                 cost=lambda params: params["n_examples"] * (1.0 + ppe) + 1e4, **(sweep_options or {}))
    out_dir = Path(out_dir)
    write_table(rows, out_dir / "results" / "singleton_floor.csv", provenance={"config": config})
    plot_singleton_floor(rows, tuple(config["learners"]), out_dir / "figures" / "singleton_floor")
    return rows

