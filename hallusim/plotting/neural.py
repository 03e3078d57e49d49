"""Figures of the trained-transformer experiments (``neural_floor``, ``neural_posttraining``)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from hallusim.plotting.style import PALETTE, paper_style, save_figure

__all__ = ["plot_neural_floor", "plot_neural_posttraining"]


def plot_neural_floor(rows, path):
    """Left: ``err`` against ``sr`` for trained transformers (colour: training steps; marker size:
    δ) and for the calibrated learner on the same corpora. Right: mean ``err`` and δ of the
    transformers against training steps, with the calibrated learner's mean ``err``.

    Parameters
    ----------
    rows : list of dict
        Rows of the ``neural_floor`` experiment.
    path : str or Path
        Destination without suffix; PNG and PDF are written.

    Returns
    -------
    list of Path
    """
    steps = sorted({int(r["steps"]) for r in rows})
    with paper_style():
        fig, (ax, bx) = plt.subplots(1, 2, figsize=(7.6, 3.6))
        sr = np.array([r["singleton_rate"] for r in rows])
        top = max(max(r["err"] for r in rows), float(sr.max())) * 1.1
        ax.plot([0, top], [0, top], color="0.6", ls=":", lw=1, label="err = sr")
        for i, s in enumerate(steps):
            sub = [r for r in rows if int(r["steps"]) == s]
            ax.scatter([r["singleton_rate"] for r in sub], [r["err"] for r in sub],
                       s=[15 + 300 * r["delta"] for r in sub], color=PALETTE[i % len(PALETTE)], alpha=0.8,
                       label=f"transformer, {s} steps")
        ax.scatter(sr, [r["calibrated_err"] for r in rows], marker="x", color="0.2", s=22, label="calibrated learner (δ = 0)")
        ax.set_xlabel("singleton rate sr")
        ax.set_ylabel("generative error err")
        ax.set_xlim(0, top)
        ax.set_ylim(0, top)
        ax.legend(fontsize=7, loc="upper left")
        mean = lambda key, s: np.mean([r[key] for r in rows if int(r["steps"]) == s])  # noqa: E731
        bx.plot(steps, [mean("err", s) for s in steps], "o-", color=PALETTE[0], label="err (transformer)")
        bx.plot(steps, [mean("delta", s) for s in steps], "s--", color=PALETTE[1], label="δ (transformer)")
        bx.plot(steps, [mean("calibrated_err", s) for s in steps], "x:", color="0.2", label="err (calibrated)")
        bx.plot(steps, [mean("singleton_rate", s) for s in steps], ":", color="0.6", label="sr")
        bx.set_xscale("log")
        bx.set_xlabel("training steps")
        bx.set_ylabel("mean over worlds")
        bx.legend(fontsize=7)
        fig.tight_layout()
        return save_figure(fig, path)


def plot_neural_posttraining(histories, histograms, path):
    """Left: IDK rate (solid) and err (dashed) against RL steps, one colour per reward. Right:
    reliability diagrams (accuracy against confidence per bin) of the base model and of each
    post-trained policy.

    Parameters
    ----------
    histories : dict of str to RLHistory-like dict
        Per reward name, lists ``steps``, ``idk_rate``, ``err``.
    histograms : dict of str to (confidence, accuracy, ece)
        Per model ("base" and each reward), bin mean confidences, bin accuracies and the ECE.
    path : str or Path

    Returns
    -------
    list of Path
    """
    with paper_style():
        fig, (ax, bx) = plt.subplots(1, 2, figsize=(7.6, 3.6))
        for i, (name, h) in enumerate(histories.items()):
            color = PALETTE[i % len(PALETTE)]
            ax.plot(h["steps"], h["idk_rate"], "-", color=color, label=f"IDK rate, {name}")
            ax.plot(h["steps"], h["err"], "--", color=color, label=f"err, {name}")
        ax.set_xlabel("RL steps")
        ax.set_ylabel("rate (μ-weighted, exact)")
        ax.legend(fontsize=6, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.18), frameon=False)
        bx.plot([0, 1], [0, 1], color="0.6", ls=":", lw=1, label="perfect calibration")
        for i, (name, (conf, acc, ece)) in enumerate(histograms.items()):
            color = "0.2" if name == "base" else PALETTE[(i - 1) % len(PALETTE)]
            bx.plot(conf, acc, "o-", ms=3, color=color, label=f"{name} (ECE {ece:.3f})")
        bx.set_xlabel("confidence p̂(top answer | c, answered)")
        bx.set_ylabel("accuracy in bin")
        bx.set_xlim(0, 1)
        bx.set_ylim(0, 1)
        bx.legend(fontsize=6, loc="upper left")
        fig.tight_layout()
        return save_figure(fig, path)
