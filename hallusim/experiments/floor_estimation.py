"""Floors from counts alone against the truth: how well ``hallusim floor`` estimates Theorem 2.

For known worlds (Zipf prompts, Pareto repetition as in Miao & Kearns 2025) and corpora of
growing size ``N``, the floor is estimated from the corpus's counts only (singleton rate, the
Good–Turing / Simple Good–Turing missing mass with its Lemma 1 interval, Theorem 2's lower and
upper bounds) and compared with the corpus's true missing mass ``MM`` and the true error of the
calibrated learner of Appendix B trained on it.
"""

from __future__ import annotations

import functools
from pathlib import Path

from hallusim import learners
from hallusim.facts import ArbitraryFacts
from hallusim.floor import floor_report
from hallusim.iiv import evaluate
from hallusim.plotting.floors import plot_floor_estimation
from hallusim.runs import sweep, write_table

SUMMARY = "Figure: floor estimated from counts (sr, Lemma 1 interval, Theorem 2 bounds) against the true MM and calibrated err, across N."
OUTPUTS = ("figures/floor_estimation.png", "figures/floor_estimation.pdf", "results/floor_estimation.csv")

# Every preset key: (meaning, unit); `hallusim run floor_estimation --help` lists them with their preset values.
KEYS = {
    "worlds": ("worlds: \"zipf:<exponent>\" or \"pareto:<tail index>\"", ""),
    "prompts_per_example": ("C = prompts_per_example × N prompts (0: use n_prompts)", "prompts per example"),
    "n_prompts": ("fixed C when prompts_per_example = 0", "prompts"),
    "n_examples": ("training examples N", "examples"),
    "n_responses": ("|R_c|", "responses"),
    "answer_prob": ("α: probability that an example answers", "probability"),
    "gamma": ("γ: failure probability of the Lemma 1 interval and the Theorem 2 bounds", "probability"),
    "replicates": ("corpora per (world, N)", "corpora"),
    "seed": ("root seed", ""),
}

# Cost of each preset: (seconds, peak MB, how), from `/usr/bin/time -v hallusim run NAME --preset P --fresh`
# (--jobs 1, warm Numba cache) on the 2-core CI machine; "load" is the 1-minute load average then.
COST = {
    "quick": (3.5, 272, "measured, load 1.0"),
    "medium": (17.0, 851, "measured, load 0.9-1.1"),
    "paper": (270, 7500, "estimated: 9 rows at N = 10^8 of ~27 s and ~7.5 GB each, scaled from the measured N = 10^7 rows"),
}



# Caption of each figure on the docs' experiments page: defines every symbol, line and number shown.
CAPTIONS = {
    "figures/floor_estimation.png": (
        "What a training set's counts alone say about the floor, against the truth, across the training-set "
        "size N, one panel per world (Zipf prompt weights with the given exponent, or Pareto-distributed "
        "repetitions with the given tail index; C = N prompts). Per N, medians over replicates of: the "
        "estimate sr (the singleton rate, Definition 2, which is the Good-Turing estimate of the missing "
        "mass) with Lemma 1's interval |MM − sr| ≤ 4.42·sqrt(ln(5/γ)/N) (shaded, γ of the preset); the true "
        "missing mass MM; the calibrated learner's true err; Theorem 2's lower bound sr − 2/min_c |E_c| − 6 "
        "ln(3N/γ)/√N (δ = 0, γ form, clipped at 0) and upper bound sr − sr/(L + 1) + 5·sqrt(ln(5/γ)/N) (L = "
        "max_c |E_c|, clipped at 1). The star marks the first N at which the lower bound is positive."
    ),
}

_KINDS = ("zipf", "pareto")


def parse_world(spec: str) -> tuple[str, float]:
    """``"zipf:1.1"`` (Zipf exponent) or ``"pareto:1.5"`` (Pareto repetition tail index)."""
    kind, _, value = str(spec).partition(":")
    try:
        number = float(value)
    except ValueError:
        number = None
    if kind not in _KINDS or number is None or number < 0:
        raise ValueError(f"`worlds` must be entries like 'zipf:1.1' or 'pareto:1.5'; got {spec!r}.")
    return kind, number


def make_world(spec: str, *, n_prompts: int, n_responses: int, answer_prob: float, world_seed: int):
    """The world named by ``spec`` (a Pareto world's repetitions are drawn from ``world_seed``)."""
    kind, value = parse_world(spec)
    if kind == "zipf":
        return ArbitraryFacts.zipf(n_prompts, value, n_responses, answer_prob)
    return ArbitraryFacts.pareto_repetition(n_prompts, value, n_responses, answer_prob, seed=world_seed)


def replicate(params, seed, *, n_prompts, prompts_per_example, n_responses, answer_prob, gamma, world_seed):
    """One (world, N) configuration and replicate: sample, estimate from counts, compare with truth.

    The world has ``C = n_prompts`` prompts, or ``C = prompts_per_example · N`` when that is
    positive (so that ``sr`` stays comparable across ``N`` while the Theorem 2 slack shrinks).
    """
    if prompts_per_example > 0:
        n_prompts = max(1, round(prompts_per_example * params["n_examples"]))
    world = make_world(params["world"], n_prompts=n_prompts, n_responses=n_responses, answer_prob=answer_prob,
                       world_seed=world_seed)
    corpus = world.sample(params["n_examples"], seed=seed)
    report = floor_report(corpus.answered_counts, n_examples=corpus.n_examples, min_errors=world.min_errors,
                          max_errors=world.max_errors, gamma=gamma)
    err = evaluate(learners.CalibratedLearner().fit(corpus), corpus).err
    mm = report.missing_mass
    true_mm = corpus.missing_mass
    return {
        "n_prompts": n_prompts,
        "sr": report.singleton_rate,
        "mm_low": mm.low,
        "mm_high": mm.high,
        "sgt_slope": report.sgt.slope if report.sgt is not None else float("nan"),
        "theorem2_lower": report.lower_bound,
        "theorem2_upper": report.upper_bound,
        "true_missing_mass": true_mm,
        "expected_missing_mass": world.expected_missing_mass(params["n_examples"]),
        "calibrated_err": err,
        "interval_covers_mm": bool(mm.low <= true_mm <= mm.high),
        "bounds_hold": bool(report.lower_bound <= err <= report.upper_bound),
    }


def run(config, out_dir, *, sweep_options=None):
    """Run the sweep of ``config``, write the results table and the figure; return the rows."""
    for spec in config["worlds"]:
        parse_world(spec)
    func = functools.partial(
        replicate,
        n_prompts=int(config["n_prompts"]),
        prompts_per_example=float(config["prompts_per_example"]),
        n_responses=int(config["n_responses"]),
        answer_prob=float(config["answer_prob"]),
        gamma=float(config["gamma"]),
        world_seed=int(config["seed"]),
    )
    grid = {"world": list(config["worlds"]), "n_examples": [int(n) for n in config["n_examples"]]}
    ppe, fixed = float(config["prompts_per_example"]), int(config["n_prompts"])
    # progress: a row's time grows with its examples and prompts (plus a fixed overhead)
    rows = sweep(func, grid, replicates=int(config["replicates"]), seed=int(config["seed"]),
                 cost=lambda params: params["n_examples"] * (1.0 + ppe) + (0 if ppe > 0 else fixed) + 1e4,
                 **(sweep_options or {}))
    out_dir = Path(out_dir)
    write_table(rows, out_dir / "results" / "floor_estimation.csv", provenance={"config": config})
    plot_floor_estimation(rows, out_dir / "figures" / "floor_estimation")
    return rows
