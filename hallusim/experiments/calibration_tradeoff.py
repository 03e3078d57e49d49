"""The trade-off at the heart of the paper: fewer hallucinations only by giving up calibration.

On an arbitrary-facts world (Definition 1), the rescaled family ``p̂_s`` (Section 3.1 of the paper: the
probabilities above ``1/min|E_c|`` multiplied by ``s``, each prompt renormalised) of

* the calibrated learner of Appendix B (``s = 1`` is calibrated: δ = 0 there), and
* the memorizing learner mixed with it (weights ``mix_weight`` and ``1 − mix_weight``),

for ``s`` over several decades: the generative error ``err``, ``δ = |dL/ds|`` of the model
``p̂_s`` (its calibration gap at the threshold), the cross-entropy ``L(p̂_s)`` and the
Theorem 1 / Theorem 2 lower bounds (with each model's own δ), all exact (:func:`hallusim.evaluate`).
For the calibrated learner, ``s → ∞`` moves the mass of every unseen prompt onto IDK: ``err``
falls towards 0 and below the singleton-rate floor, but only as δ grows. The IDK-heavy policies
(answer only memorized facts: the memorizing learner; and always IDK) are marked on the same axes.

Within a replicate every (family, s) uses the same corpus (common random numbers), so each curve
is one world's exact trade-off; replicates redraw the corpus.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from hallusim._validation import check_float, check_int
from hallusim.facts import ArbitraryFacts
from hallusim.iiv import evaluate
from hallusim.learners import (
    AbstainingLearner,
    CalibratedLearner,
    MemorizingLearner,
    MixtureLearner,
    RescaledLearner,
)
from hallusim.plotting.posttraining import plot_calibration_tradeoff
from hallusim.runs import sweep, write_table

SUMMARY = "Figure: err, δ = |dL/ds|, cross-entropy and the Theorem 1/2 bounds of the rescaled calibrated (and memorizing-mixed) learner against s, with IDK-heavy policies marked."
OUTPUTS = (
    "figures/calibration_tradeoff.png",
    "figures/calibration_tradeoff.pdf",
    "results/calibration_tradeoff.csv",
)

# Every preset key: (meaning, unit); `hallusim run calibration_tradeoff --help` lists them with their preset values.
KEYS = {
    "n_prompts": ("prompts C of the Zipf arbitrary-facts world", "prompts"),
    "exponent": ("Zipf exponent of the prompt weights μ", ""),
    "n_responses": ("|R_c| (365 birthdays: min |E_c| = 364)", "responses"),
    "answer_prob": ("α: the probability of the answer in p(·|c); the rest is IDK", "probability"),
    "n_examples": ("training examples N", "examples"),
    "log10_scale_min": ("smallest s of the rescaled family p̂_s, as log10 s", "log10"),
    "log10_scale_max": ("largest s, as log10 s", "log10"),
    "n_scales": ("values of s, log-spaced (s = 1 is added)", "values"),
    "families": ("base learners rescaled: calibrated, memorizing_mix", ""),
    "mix_weight": ("weight of the memorizing learner in memorizing_mix", "weight"),
    "replicates": ("corpora (each curve uses one corpus for every s)", "corpora"),
    "seed": ("root seed", ""),
}

# Cost of each preset: (seconds, peak MB, how), from `/usr/bin/time -v hallusim run NAME --preset P --fresh`
# (--jobs 1, warm Numba cache) on the 2-core CI machine; "load" is the 1-minute load average then.
COST = {
    "quick": (4.3, 246, "measured, load 1.0"),
    "medium": (164, 1929, "measured, load 1.4-1.6"),
    "paper": (263, 377, "measured, load 3.9-5.1"),
}



# Caption of each figure on the docs' experiments page: defines every symbol, line and number shown.
CAPTIONS = {
    "figures/calibration_tradeoff.png": (
        "The rescaled family p̂_s (Section 3.1): on each prompt, the probabilities above the threshold 1/min_c "
        "|E_c| are multiplied by s and the prompt renormalised; s = 1 is the base model. Families: calibrated "
        "(the calibrated learner of Appendix B) and memorizing_mix (mix_weight × memorizing + (1 − mix_weight) "
        "× calibrated). Four stacked panels. First: generative error err against s, with Theorem 1's lower "
        "bound 2·err_iiv − max_c |V_c|/min_c |E_c| − δ (dotted) and Theorem 2's lower bound sr − 2/min_c |E_c| "
        "− (35 + 6 ln N)/√N − δ (dashed, 99% form; \"vacuous\" when negative everywhere) with each model's own "
        "δ; the dash-dotted line is the singleton rate sr (value in the legend). Second: δ of p̂_s, the "
        "calibration gap |p̂_s(A) − p(A)| at the threshold (line), and the slope |dL/d ln s| of the "
        "cross-entropy along the curve by finite differences (circles). The paper's identity δ = |dL/ds| holds "
        "at s = 1 (the derivative of L(p̂_s) at the base model); away from s = 1 the two differ (for small s, δ "
        "of p̂_s is 0 while the slope is not). Third: cross-entropy L(p̂_s) = Σ −μ(c) p(r|c) ln p̂_s(r|c) in "
        "nats. Fourth (bottom): err against δ, where the families share one curve (the first family drawn wide "
        "and pale under the others); squares mark s = 1. The IDK-heavy policies (memorizing: answer only "
        "memorized facts; always IDK) are drawn at the far right of the s axes (they have no s). Curves are "
        "means over replicates; within a replicate every (family, s) uses the same corpus."
    ),
}
IDK_HEAVY = {"memorizing": MemorizingLearner, "always IDK": AbstainingLearner}
METRICS = ("err", "err_iiv", "delta", "dL_ds", "cross_entropy", "theorem1_lower", "theorem2_lower", "theorem2_upper")


def _learner(params, mix_weight):
    family, scale = params["family"], params["scale"]
    if family == "idk_heavy":
        return IDK_HEAVY[params["policy"]]()
    if family == "calibrated":
        base = CalibratedLearner()
    else:
        base = MixtureLearner([MemorizingLearner(), CalibratedLearner()], [mix_weight, 1.0 - mix_weight])
    return RescaledLearner(base, scale)


def replicate(params, seed, *, world, n_examples, mix_weight, seed_root):
    """One (family, s) on the corpus of replicate ``params["world"]``: the exact metrics."""
    # The corpus depends only on (seed_root, world index), not on (family, s): common random numbers.
    corpus = world.sample(n_examples, seed=np.random.SeedSequence([seed_root, params["world"]]))
    evaluation = evaluate(_learner(params, mix_weight).fit(corpus), corpus)
    return {
        **{key: getattr(evaluation, key) for key in METRICS},
        "singleton_rate": evaluation.singleton_rate,
        "missing_mass": evaluation.missing_mass,
        "min_errors": evaluation.min_errors,
        "n_examples": evaluation.n_examples,
    }


def scales(config) -> np.ndarray:
    """``n_scales`` values of ``s`` log-spaced over the range, plus ``s = 1`` exactly when inside it.

    ``s = 1`` is the unrescaled model (calibrated for the calibrated learner); the figure marks
    it, so it is on the grid whatever the parity of ``n_scales``.
    """
    low, high = float(config["log10_scale_min"]), float(config["log10_scale_max"])
    values = np.logspace(low, high, int(config["n_scales"]))
    return np.union1d(values, [1.0]) if low <= 0.0 <= high else values


def grid(config) -> list[dict]:
    """Configurations: each family × each ``s`` (:func:`scales`), and the IDK-heavy policies, for every world."""
    scale_values = scales(config)
    marker_scale = float(10.0 ** (float(config["log10_scale_max"]) + 0.5))
    configs = []
    for world in range(int(config["replicates"])):
        for family in config["families"]:
            configs += [{"world": world, "family": family, "policy": "", "scale": float(s)} for s in scale_values]
        configs += [{"world": world, "family": "idk_heavy", "policy": name, "scale": marker_scale} for name in IDK_HEAVY]
    return configs


def add_numeric_slopes(rows) -> None:
    """Add ``dL_dlog_s``: the slope of ``L(p̂_s)`` in ``ln s`` along each curve, by finite differences.

    ``d/d ln s L(p̂_s) = d/ds' L((p̂_s)_{s'})`` at ``s' = 1`` (the exact ``dL_ds`` of the model
    ``p̂_s``) wherever rescaling ``p̂_s`` moves the same responses as rescaling ``p̂`` (its set
    above the threshold is still ``A``); where the set has changed the two differ. Second-order
    differences on the grid (one-sided at the ends); NaN where ``L`` is infinite.
    """
    curves = {}
    for row in rows:
        if row["family"] != "idk_heavy":
            curves.setdefault((row["world"], row["family"]), []).append(row)
    for curve in curves.values():
        curve.sort(key=lambda r: r["scale"])
        log_s = np.log([r["scale"] for r in curve])
        loss = np.array([r["cross_entropy"] for r in curve], dtype=float)
        slope = np.gradient(loss, log_s) if np.isfinite(loss).all() else np.full(loss.size, np.nan)
        for r, value in zip(curve, slope):
            r["dL_dlog_s"] = float(value)
    for row in rows:
        row.setdefault("dL_dlog_s", float("nan"))


def check_config(config):
    """Reject values of ``config`` the experiment cannot run with (called before any output).

    Parameters
    ----------
    config : dict
        A preset with its overrides.
    """
    check_int("n_prompts", config["n_prompts"], minimum=1)
    check_float("exponent", config["exponent"], low=0.0)
    check_int("n_responses", config["n_responses"], minimum=2)
    check_float("answer_prob", config["answer_prob"], low=0.0, high=1.0)
    check_int("n_examples", config["n_examples"], minimum=1)
    check_int("n_scales", config["n_scales"], minimum=2)
    check_float("mix_weight", config["mix_weight"], low=0.0, high=1.0)
    check_int("replicates", config["replicates"], minimum=1)
    if not float(config["log10_scale_min"]) < float(config["log10_scale_max"]):
        raise ValueError(f"`log10_scale_min` must be below `log10_scale_max`; got {config['log10_scale_min']!r}.")
    families = config["families"]
    if not isinstance(families, (list, tuple)) or not families or len(set(families)) != len(families):
        raise ValueError(f"`families` must be a non-empty list of distinct names among 'calibrated', 'memorizing_mix'; got {families!r}.")
    unknown = sorted(set(families) - {"calibrated", "memorizing_mix"})
    if unknown:
        raise ValueError(f"`families` must be among 'calibrated', 'memorizing_mix'; got {', '.join(map(repr, unknown))}.")


def run(config, out_dir, *, sweep_options=None):
    """Evaluate every (world, family, s) exactly; write the table and the figure; return the rows."""
    check_config(config)
    world = ArbitraryFacts.zipf(int(config["n_prompts"]), float(config["exponent"]), int(config["n_responses"]),
                                float(config["answer_prob"]))
    func = functools.partial(replicate, world=world, n_examples=int(config["n_examples"]),
                             mix_weight=float(config["mix_weight"]), seed_root=int(config["seed"]))
    rows = sweep(func, grid(config), replicates=1, seed=int(config["seed"]), **(sweep_options or {}))
    add_numeric_slopes(rows)
    out_dir = Path(out_dir)
    write_table(rows, out_dir / "results" / "calibration_tradeoff.csv",
                provenance={"experiment": "calibration_tradeoff", "config": dict(config)})
    plot_calibration_tradeoff(rows, out_dir / "figures" / "calibration_tradeoff")
    return rows
