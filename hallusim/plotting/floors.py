"""Figures of the floor estimates: frequency of frequencies with the Simple Good–Turing line, and
estimated against true floors across sample sizes."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from hallusim.plotting.style import PALETTE, legend_below, paper_style, save_figure

__all__ = ["plot_frequency_of_frequencies", "plot_floor_estimation", "world_title"]


def world_title(spec: str) -> str:
    """A world's name as a person writes it: ``"zipf:1.0"`` -> ``"Zipf prompts, exponent 1.0"``.

    Parameters
    ----------
    spec : str
        ``"zipf:<exponent>"`` or ``"pareto:<tail index>"`` (as in the ``floor_estimation`` presets).

    Returns
    -------
    str
    """
    kind, _, value = str(spec).partition(":")
    names = {"zipf": "Zipf prompts, exponent {}", "pareto": "Pareto repetitions, tail index {}"}
    return names[kind].format(value) if kind in names and value else str(spec)


def plot_frequency_of_frequencies(fit: dict, path, *, title: str | None = None):
    """Log–log plot of ``n_r`` and Gale & Sampson's ``Z_r`` against ``r``, with the SGT line.

    Parameters
    ----------
    fit : dict
        ``r`` and ``n_r`` (arrays); and, when a Simple Good–Turing fit exists, ``z``,
        ``intercept``, ``slope``, ``switch_r`` and ``slope_valid`` (as in
        :class:`hallusim.goodturing.SimpleGoodTuringResult`).
    path : str or Path
        Destination without suffix; PNG and PDF are written.
    title : str, optional

    Returns
    -------
    list of Path
    """
    r = np.asarray(fit["r"], np.float64)
    n_r = np.asarray(fit["n_r"], np.float64)
    with paper_style():
        fig, ax = plt.subplots()
        ax.loglog(r, n_r, "o", ms=3.5, color=PALETTE[7], alpha=0.5, label="$n_r$ (prompts seen $r$ times)")
        if fit.get("slope") is not None:
            ax.loglog(r, fit["z"], "s", ms=3.0, mfc="none", color=PALETTE[0], label="$Z_r$ (averaged over gaps)")
            grid = np.geomspace(r.min(), r.max(), 200)
            line = np.exp(fit["intercept"] + fit["slope"] * np.log(grid))
            validity = "" if fit["slope_valid"] else " (slope >= -1: not valid)"
            ax.loglog(grid, line, "-", color=PALETTE[1],
                      label=f"SGT line, slope {fit['slope']:.3g}{validity}")
            ax.axvline(fit["switch_r"], ls=":", color=PALETTE[2],
                       label=f"switch to smoothed $r^*$ at $r$ = {fit['switch_r']}")
        ax.set_xlabel("count $r$ (answered examples of a prompt)")
        ax.set_ylabel("number of prompts")
        if title:
            ax.set_title(title)
        ax.legend(loc="lower left")
        return save_figure(fig, path)


def plot_floor_estimation(rows, path):
    """Estimated floor against the truth across ``N``, one panel per world.

    Per world and ``N`` (medians over replicates): the true missing mass ``MM``, the calibrated
    learner's true error, the Good–Turing estimate ``sr`` with its Lemma 1 interval (shaded, the
    replicate-median interval), and Theorem 2's lower and upper bounds (δ = 0); a marker shows
    where the lower bound first becomes positive.

    Parameters
    ----------
    rows : list of dict
        Rows of the ``floor_estimation`` experiment (keys ``world``, ``n_examples``,
        ``true_missing_mass``, ``calibrated_err``, ``sr``, ``mm_low``, ``mm_high``,
        ``theorem2_lower``, ``theorem2_upper``).
    path : str or Path
        Destination without suffix; PNG and PDF are written.

    Returns
    -------
    list of Path
    """
    worlds = list(dict.fromkeys(r["world"] for r in rows))
    with paper_style():
        fig, axes = plt.subplots(1, len(worlds), figsize=(2.7 * len(worlds), 3.4), squeeze=False, sharey=True,
                                 layout="constrained")
        top = 0.0
        for ax, world in zip(axes[0], worlds):
            mine = [r for r in rows if r["world"] == world]
            sizes = np.array(sorted({int(r["n_examples"]) for r in mine}))

            def median(key):
                return np.array([np.median([r[key] for r in mine if int(r["n_examples"]) == n]) for n in sizes])

            ax.fill_between(sizes, median("mm_low"), median("mm_high"), color=PALETTE[0], alpha=0.15,
                            label="Lemma 1 interval around sr")
            ax.plot(sizes, median("sr"), "o-", ms=3, color=PALETTE[0], label="estimate sr (counts only)")
            ax.plot(sizes, median("true_missing_mass"), "k--", lw=1.2, label="true MM")
            ax.plot(sizes, median("calibrated_err"), "s:", ms=3, color=PALETTE[2], label="calibrated learner's err")
            lower, upper = median("theorem2_lower"), median("theorem2_upper")
            ax.plot(sizes, np.maximum(lower, 0.0), "-", color=PALETTE[1], label="Thm 2 lower (δ = 0), clipped at 0")
            ax.plot(sizes, np.minimum(upper, 1.0), "-", color=PALETTE[3], label="Thm 2 upper, clipped at 1")
            informative = np.flatnonzero(lower > 0)
            if informative.size:
                first = informative[0]
                ax.plot(sizes[first], lower[first], "*", ms=10, color=PALETTE[1], label="lower bound first > 0")
            ax.set_xscale("log")
            top = max(top, float(np.max(np.minimum(upper, 1.0))))
            ax.set_title(world_title(world), fontsize=9)
            ax.set_xlabel("training examples N")
            ax.set_ylabel("probability")
        axes[0][0].set_ylim(-0.02, min(1.02, 1.1 * top + 0.02))
        legend_below(fig, axes[0], ncol=3)
        return save_figure(fig, path)
