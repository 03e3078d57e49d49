"""Figures of rescored evaluation logs (Section 4): score against the confidence target per model,
reliability diagrams and risk–coverage curves. Inputs are computed by :mod:`hallusim.evallogs`."""

from __future__ import annotations

import numpy as np

from hallusim.plotting.style import PALETTE, column_figure, legend_below, paper_style, save_figure

__all__ = ["plot_score_comparison"]

_LINESTYLES = ["-", "--", "-.", ":"]


def plot_score_comparison(curve, crossovers, path, *, reliability=None, risk_coverage=None, level=0.95):
    """Score against ``t`` per model with bootstrap bands and crossovers; optional calibration panels.

    The panels are stacked, each with its legend below it.

    Parameters
    ----------
    curve : dict
        :meth:`hallusim.evallogs.Comparison.curve` output (or the same shape for one model):
        ``target`` and, per model name, ``score``, ``low``, ``high``.
    crossovers : list of dict
        :attr:`hallusim.evallogs.Comparison.crossovers` (``target``, ``models``).
    path : str or Path
        Destination (``.png`` and ``.pdf`` are written).
    reliability : dict of str to ReliabilityDiagram, optional
        Per model: a reliability diagram (answered items with confidences).
    risk_coverage : dict of str to RiskCoverageCurve, optional
        Per model: its risk–coverage curve.
    level : float
        The bands' coverage, for the legend.

    Returns
    -------
    list of Path
    """
    t = np.asarray(curve["target"])
    names = [k for k in curve if k != "target"]
    panels = 1 + (reliability is not None and bool(reliability)) + (risk_coverage is not None and bool(risk_coverage))
    with paper_style():
        fig, axes = column_figure(panels, row_height=3.0, separate=True)
        ax = axes[0]
        for i, name in enumerate(names):
            entry, color = curve[name], PALETTE[i % len(PALETTE)]
            ax.plot(t, entry["score"], color=color, ls=_LINESTYLES[i % len(_LINESTYLES)], label=name)
            if entry["low"] is not None:
                ax.fill_between(t, entry["low"], entry["high"], color=color, alpha=0.18, lw=0,
                                label=f"{name}: {100 * level:g}% paired-bootstrap band")
        for k, c in enumerate(crossovers):
            ax.axvline(c["target"], color="0.35", lw=0.8, ls=":", label="crossover t* (ranking changes)" if k == 0 else None)
        ax.axhline(0.0, color="0.6", lw=0.6)
        ax.set_xlabel("confidence target t (wrong answer costs t/(1−t))")
        ax.set_ylabel("mean score per item")
        ax.set_title("score under explicit confidence targets")
        legend_below(ax.figure, [ax], ncol=1)
        col = 1
        if reliability:
            ax = axes[col]
            col += 1
            ax.plot([0, 1], [0, 1], color="0.5", lw=0.8, ls="--", label="perfect calibration")
            for i, name in enumerate(names):
                diagram = reliability.get(name)
                if diagram is None:
                    continue
                full = diagram.counts > 0
                # alternately large hollow and small filled markers: equal bins of two models both show
                marker = {"ms": 2.5} if i % 2 else {"ms": 5, "mfc": "none"}
                ax.plot(diagram.mean_confidence[full], diagram.accuracy[full], marker="o", **marker,
                        color=PALETTE[i % len(PALETTE)], ls=_LINESTYLES[i % len(_LINESTYLES)], label=f"{name} (ECE {diagram.ece:.3f})")
            ax.set_xlim(-0.02, 1.02)
            ax.set_ylim(-0.02, 1.02)
            ax.set_xlabel("mean stated confidence in bin")
            ax.set_ylabel("accuracy in bin")
            ax.set_title("reliability diagram (answered items)")
            legend_below(ax.figure, [ax], ncol=1)
        if risk_coverage:
            ax = axes[col]
            for i, name in enumerate(names):
                rc = risk_coverage.get(name)
                if rc is None:
                    continue
                ax.step(rc.coverage, rc.risk, where="post", color=PALETTE[i % len(PALETTE)],
                        ls=_LINESTYLES[i % len(_LINESTYLES)], label=f"{name} (AURC {rc.aurc:.3f})")
            ax.set_xlim(0, 1)
            ax.set_xlabel("coverage (fraction answered, most confident first)")
            ax.set_ylabel("risk (error rate among answered)")
            ax.set_title("risk–coverage")
            legend_below(ax.figure, [ax], ncol=1)
        return save_figure(fig, path)
