"""Figures of the arbitrary-facts experiments."""

from __future__ import annotations

import numpy as np

from hallusim import bounds
from hallusim.plotting.style import PALETTE, column_figure, legend_below, paper_style, save_figure

__all__ = ["plot_singleton_floor"]

_MARKERS = "osD^vP*X"


def plot_singleton_floor(rows, learners, path):
    """Figure for Theorem 2: ``err`` of each learner against ``sr``, one panel per ``N``, stacked.

    Every replicate is a point (the Monte Carlo spread); the lines are the Theorem 2 lower bound
    with δ = 0 (99% form; a panel where it is below the axis says "vacuous" instead) and the
    calibrated learner's upper bound, as functions of ``sr`` at that ``N``; black plus signs, drawn
    over the hollow markers, mark the missing mass MM. The first, third, … learner is drawn with
    large hollow markers and the second, fourth, … with small filled ones on top of everything, so
    that two learners with equal errors (the calibrated and the empirical) both stay visible.

    Parameters
    ----------
    rows : list of dict
        Rows of the ``singleton_floor`` experiment.
    learners : sequence of str
        Learner names, as in the rows' ``<name>_err`` columns.
    path : str or Path
        Destination without suffix; PNG and PDF are written.

    Returns
    -------
    list of Path
    """
    sizes = sorted({int(r["n_examples"]) for r in rows})
    with paper_style():
        fig, axes = column_figure(len(sizes), row_height=2.0, extra_height=1.0)
        for ax, n in zip(axes, sizes):
            sub = [r for r in rows if int(r["n_examples"]) == n]
            sr = np.array([r["singleton_rate"] for r in sub])
            grid = np.linspace(0.0, max(sr.max(), 1e-3) * 1.05, 100)
            min_errors, max_errors = sub[0]["min_errors"], sub[0]["max_errors"]
            top = max(max(r[f"{name}_err"] for r in sub for name in learners), float(sr.max()))
            bottom = -0.03 * top
            ax.set_ylim(bottom, 1.15 * top)
            ax.plot(grid, grid, color="0.6", ls=":", lw=1, label="err = sr")
            ax.plot(grid, bounds.theorem2_upper(grid, max_errors, n), color="0.35", ls="--", lw=1, label="Thm 2 upper (calibrated)")
            lower = bounds.theorem2_lower(grid, min_errors, n)
            if lower.max() > bottom:
                ax.plot(grid, lower, color="0.1", lw=1.2, label="Thm 2 lower (δ = 0)")
            else:  # below the axis in this panel: say so here, not by a legend line that is not drawn
                ax.text(0.97, 0.14, "Thm 2 lower < 0:\nvacuous at this N", transform=ax.transAxes, ha="right",
                        va="bottom", fontsize=7, color="0.1")
            for i, name in enumerate(learners):
                # a model with δ > 0 is not held by the δ = 0 line; say so rather than let it look like a violation
                largest_delta = max(float(r.get(f"{name}_delta", 0.0)) for r in rows)
                label = f"err ({name}, δ ≤ {largest_delta:.1g})" if largest_delta > 1e-12 else f"err ({name}, δ = 0)"
                color, marker = PALETTE[i % len(PALETTE)], _MARKERS[i % len(_MARKERS)]
                if i % 2:  # small and filled, on top: visible inside the hollow marker of an equal error
                    ax.scatter(sr, [r[f"{name}_err"] for r in sub], s=9, marker=marker, color=color, linewidths=0,
                               label=label, zorder=5)
                else:
                    ax.scatter(sr, [r[f"{name}_err"] for r in sub], s=42, marker=marker, facecolors="none",
                               edgecolors=color, linewidths=1.0, label=label, zorder=3)
            # MM on top of the learners' hollow markers, so it is never hidden under them
            ax.scatter(sr, [r["missing_mass"] for r in sub], marker="+", color="0.0", s=30, linewidths=0.9,
                       label="missing mass MM", zorder=4)
            ax.set_title(f"N = {n:.0e}".replace("e+0", "e"))
            ax.set_xlabel("singleton rate sr")
            ax.set_ylabel("generative error err")
        legend_below(fig, axes, ncol=2)
        fig.suptitle("Theorem 2: a calibrated model's error is\nat least about the singleton rate")
        return save_figure(fig, path)
