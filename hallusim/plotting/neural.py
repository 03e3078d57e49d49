"""Figures of the trained-transformer experiments (``neural_floor``, ``neural_posttraining``).

Both are one column wide (:data:`~hallusim.plotting.style.COLUMN_WIDTH`), their panels stacked top
to bottom, one legend below.
"""

from __future__ import annotations

import numpy as np

from hallusim.plotting.style import PALETTE, column_figure, legend_below, paper_style, save_figure

__all__ = ["plot_neural_floor", "plot_neural_posttraining"]



def plot_neural_floor(rows, path):
    """Top: ``err`` against ``sr`` for trained transformers (colour: training steps; marker size:
    δ) and for the calibrated learner on the same corpora. Bottom: mean ``err`` and δ of the
    transformers against training steps (one line style per width), with the calibrated
    learner's mean ``err`` and the mean ``sr``.

    Parameters
    ----------
    rows : list of dict
        Rows of the ``neural_floor`` experiment (one per world, replicate, width and checkpoint).
    path : str or Path
        Destination without suffix; PNG and PDF are written.

    Returns
    -------
    list of Path
    """
    steps = sorted({int(r["steps"]) for r in rows})
    widths = sorted({int(r["d_model"]) for r in rows})
    with paper_style():
        fig, (ax, bx) = column_figure(2, row_height=2.3, extra_height=1.0)
        sr = np.array([r["singleton_rate"] for r in rows])
        top = max(max(r["err"] for r in rows), float(sr.max())) * 1.1
        ax.plot([0, top], [0, top], color="0.6", ls=":", lw=1, label="err = sr")
        for i, s in enumerate(steps):
            sub = [r for r in rows if int(r["steps"]) == s]
            ax.scatter([r["singleton_rate"] for r in sub], [r["err"] for r in sub],
                       s=[12 + 300 * r["delta"] for r in sub], color=PALETTE[i % len(PALETTE)], alpha=0.8,
                       label=f"transformer, {s} steps")
        ax.scatter(sr, [r["calibrated_err"] for r in rows], marker="x", color="0.2", s=22,
                   label="calibrated learner (δ = 0)")
        ax.set_xlabel("singleton rate sr")
        ax.set_ylabel("generative error err")
        ax.set_xlim(0, top)
        ax.set_ylim(0, top)

        def mean(key, s, d=None):
            return np.mean([r[key] for r in rows if int(r["steps"]) == s and (d is None or int(r["d_model"]) == d)])

        for j, d in enumerate(widths):
            tag = f", d_model {d}" if len(widths) > 1 else ""
            marker = "os^v"[j % 4]
            bx.plot(steps, [mean("err", s, d) for s in steps], marker + "-", ms=4, color=PALETTE[0],
                    label=f"err (transformer{tag})")
            bx.plot(steps, [mean("delta", s, d) for s in steps], marker + "--", ms=4, color=PALETTE[1],
                    label=f"δ (transformer{tag})")
        bx.plot(steps, [mean("calibrated_err", s) for s in steps], "x:", color="0.2", label="err (calibrated)")
        bx.plot(steps, [mean("singleton_rate", s) for s in steps], ":", color="0.6", label="sr")
        bx.set_xscale("log")
        bx.set_xlabel("training steps (checkpoints of one run)")
        bx.set_ylabel("mean over worlds")
        legend_below(fig, (ax, bx), ncol=2)
        return save_figure(fig, path)


def plot_neural_posttraining(histories, histograms, audits, path):
    """Top: IDK rate (solid) and err (dashed) against RL steps, one colour per reward. Middle:
    exact reliability diagrams (accuracy against confidence per bin) of the base model and of each
    post-trained policy. Bottom: the behavioral-calibration deviation against the target ``t``
    for the same models, each post-trained model's own target marked.

    Parameters
    ----------
    histories : dict of str to RLHistory-like dict
        Per reward name, lists ``steps``, ``idk_rate``, ``err``.
    histograms : dict of str to (confidence, accuracy, ece)
        Per model ("base" and each reward), bin mean confidences, bin accuracies and the ECE.
    audits : dict of str to (targets, deviation, own_target, own_deviation)
        Per model ("base" and each reward), the audit's targets, its deviation at each, the
        reward's own target and the deviation there (both None for the base model).
    path : str or Path

    Returns
    -------
    list of Path
    """
    color_of = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(histories)}
    color_of["base"] = "0.2"
    with paper_style():
        fig, (ax, bx, cx) = column_figure(3, row_height=2.3, extra_height=1.3)
        for name, h in histories.items():
            ax.plot(h["steps"], h["idk_rate"], "-", color=color_of[name], label=f"IDK rate, {name}")
            ax.plot(h["steps"], h["err"], "--", color=color_of[name], label=f"err, {name}")
        ax.set_xlabel("RL steps")
        ax.set_ylabel("rate (μ-weighted, exact)")
        bx.plot([0, 1], [0, 1], color="0.6", ls=":", lw=1, label="perfect calibration")
        for name, (conf, acc, ece) in histograms.items():
            bx.plot(conf, acc, "o-", ms=3, color=color_of[name], label=f"{name}: ECE {ece:.3f}")
        bx.set_xlabel("confidence π(r | c) of an answer r")
        bx.set_ylabel("accuracy in bin")
        bx.set_xlim(0, 1)
        bx.set_ylim(0, 1)
        for name, (targets, deviation, own, own_deviation) in audits.items():
            cx.plot(targets, deviation, "-", color=color_of[name])
            if own is not None:
                cx.plot([own], [own_deviation], "o", ms=5, color=color_of[name])
        cx.set_xlabel("confidence target t")
        cx.set_ylabel("audit deviation D(t)")
        cx.set_xlim(0, 1)
        legend_below(fig, (ax, bx, cx), ncol=2)
        return save_figure(fig, path)
