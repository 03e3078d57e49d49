"""Figures of the n-gram experiments (Corollary 2 and fact strings)."""

from __future__ import annotations

from collections import defaultdict

import matplotlib.pyplot as plt
import numpy as np

from hallusim.plotting.style import PALETTE, paper_style, save_figure

__all__ = ["plot_agreement_by_order", "plot_agreement_by_size", "plot_fact_strings"]


def _mean_by(rows, keys, value):
    groups = defaultdict(list)
    for r in rows:
        groups[tuple(r[k] for k in keys)].append(float(r[value]))
    return {k: (float(np.mean(v)), float(np.min(v)), float(np.max(v))) for k, v in groups.items()}


def plot_agreement_by_order(rows, path):
    """Corollary 2: completion error against n-gram order, one line per pronoun distance.

    Uses the rows with the largest training size; points are means over replicates with their
    range as error bars; the dashed steps are Theorem 3's floor ``2(1 − 1/C)·opt(G)``.

    Parameters
    ----------
    rows : list of dict
        Rows of the ``trigram_agreement`` experiment.
    path : str or Path
        Destination without suffix; PNG and PDF are written.

    Returns
    -------
    list of Path
    """
    n_max = max(int(r["n_train"]) for r in rows)
    sub = [r for r in rows if int(r["n_train"]) == n_max]
    err = _mean_by(sub, ("distance", "order"), "err")
    floor = _mean_by(sub, ("distance", "order"), "theorem3_floor")
    distances = sorted({int(r["distance"]) for r in sub})
    orders = sorted({int(r["order"]) for r in sub})
    with paper_style():
        fig, ax = plt.subplots()
        for i, d in enumerate(distances):
            color = PALETTE[i % len(PALETTE)]
            mean = np.array([err[(d, n)][0] for n in orders])
            low = mean - np.array([err[(d, n)][1] for n in orders])
            high = np.array([err[(d, n)][2] for n in orders]) - mean
            ax.errorbar(orders, mean, yerr=[low, high], marker="o", color=color, capsize=2, label=f"distance {d}")
            ax.step(orders, [floor[(d, n)][0] for n in orders], where="mid", color=color, ls="--", lw=1)
        ax.axhline(0.5, color="0.5", lw=0.8, ls=":")
        ax.set_xlabel("n-gram order n")
        ax.set_ylabel("completion error err")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(f"Corollary 2: err ≥ 1/2 while n − 1 ≤ distance (N = {n_max:,}; dashed: Thm 3 floor)")
        ax.legend(frameon=False)
        return save_figure(fig, path)


def plot_agreement_by_size(rows, path):
    """Completion error against training size for the shortest window that sees the pronoun
    (order = distance + 2, solid) and the longest that does not (order = distance + 1, dotted).

    Parameters
    ----------
    rows : list of dict
        Rows of the ``trigram_agreement`` experiment.
    path : str or Path
        Destination without suffix; PNG and PDF are written.

    Returns
    -------
    list of Path
    """
    err = _mean_by(rows, ("distance", "order", "n_train"), "err")
    distances = sorted({int(r["distance"]) for r in rows})
    orders = {int(r["order"]) for r in rows}
    sizes = sorted({int(r["n_train"]) for r in rows})
    with paper_style():
        fig, ax = plt.subplots()
        for i, d in enumerate(distances):
            color = PALETTE[i % len(PALETTE)]
            for order, style, label in ((d + 2, "-", "sees the pronoun"), (d + 1, ":", "window too short")):
                if order in orders:
                    ax.plot(sizes, [err[(d, order, n)][0] for n in sizes], ls=style, marker="o", ms=3, color=color,
                            label=f"distance {d}, order {order} ({label})")
        ax.axhline(0.5, color="0.5", lw=0.8, ls="--")
        ax.set_xscale("log")
        ax.set_xlabel("training sentences N")
        ax.set_ylabel("completion error err")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title("A window that sees the pronoun needs data growing with the distance")
        ax.legend(frameon=False, fontsize=7)
        return save_figure(fig, path)


def plot_fact_strings(rows, path):
    """Hallucination rate of n-gram models on arbitrary facts rendered as strings, against the
    singleton rate, with the line ``err = sr`` (Theorem 2's floor as N grows) and each row's
    Theorem 2 lower bound where it is positive (the legend says so when it is vacuous).

    Parameters
    ----------
    rows : list of dict
        Rows of the ``fact_strings`` experiment.
    path : str or Path
        Destination without suffix; PNG and PDF are written.

    Returns
    -------
    list of Path
    """
    with paper_style():
        fig, ax = plt.subplots()
        sr = np.array([float(r["singleton_rate"]) for r in rows])
        grid = np.linspace(0.0, max(float(sr.max()), 1e-3) * 1.05, 50)
        ax.plot(grid, grid, color="0.5", ls=":", label="err = sr")
        orders = sorted({int(r["order"]) for r in rows})
        for i, order in enumerate(orders):
            sub = [r for r in rows if int(r["order"]) == order]
            color = PALETTE[i % len(PALETTE)]
            ax.scatter([r["singleton_rate"] for r in sub], [r["hallucination_rate"] for r in sub], color=color,
                       s=18, label=f"order {order}: sampled hallucination rate")
            ax.scatter([r["singleton_rate"] for r in sub], [r["err"] for r in sub], color=color, marker="x", s=18,
                       label=f"order {order}: exact err")
        lower = np.array([float(r["theorem2_lower"]) for r in rows])
        if (lower > 0).any():
            ax.scatter(sr[lower > 0], lower[lower > 0], color="0.2", marker="_", s=40, label="Thm 2 lower bound (this δ)")
        else:
            ax.plot([], [], " ", label=f"Thm 2 lower bound (99%): vacuous at these N (max {lower.max():.2f})")
        ax.set_xlabel("singleton rate sr")
        ax.set_ylabel("hallucination rate")
        ax.set_title("n-gram models on birthdays as text: errors against the singleton rate")
        ax.legend(frameon=False, fontsize=7)
        return save_figure(fig, path)
