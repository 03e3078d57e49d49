"""Figures of the n-gram experiments (Corollary 2 and fact strings)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from hallusim.plotting.style import PALETTE, column_figure, legend_below, paper_style, save_figure

__all__ = ["plot_agreement_by_order", "plot_agreement_by_size", "plot_fact_strings"]


#: Multiplicative horizontal shift between the distances' series on the log N axis.
_DODGE = 1.15


def _mean_by(rows, keys, value):
    groups = defaultdict(list)
    for r in rows:
        groups[tuple(r[k] for k in keys)].append(float(r[value]))
    return {k: (float(np.mean(v)), float(np.min(v)), float(np.max(v))) for k, v in groups.items()}


def plot_agreement_by_order(rows, path):
    """Corollary 2: completion error against n-gram order, one marker series per pronoun distance.

    Uses the rows with the largest training size. The order is an integer, so there are markers
    only (no lines between orders); the series of each distance is shifted slightly sideways so
    none hides another. Points are means over replicates with their range as error bars; the
    wide dashes drawn over them are Theorem 3's floor ``2(1 − 1/C)·opt(G)`` at each order.

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
    width = 0.5 / max(len(distances), 1)
    with paper_style():
        fig, (ax,) = column_figure(1, row_height=2.5, extra_height=0.6)
        for i, d in enumerate(distances):
            color = PALETTE[i % len(PALETTE)]
            x = np.array(orders, dtype=float) + (i - (len(distances) - 1) / 2) * width
            mean = np.array([err[(d, n)][0] for n in orders])
            low = mean - np.array([err[(d, n)][1] for n in orders])
            high = np.array([err[(d, n)][2] for n in orders]) - mean
            ax.errorbar(x, mean, yerr=[low, high], fmt="o", ms=4, mfc="none", color=color, capsize=2, ls="none",
                        label=f"err, distance {d}", zorder=3)
            ax.plot(x, [floor[(d, n)][0] for n in orders], "_", ms=12, mew=2.2, color=color, alpha=0.8,
                    label=f"Thm 3 floor, distance {d}", zorder=4)
        ax.axhline(0.5, color="0.5", lw=0.8, ls=":", zorder=1)
        ax.set_xticks(orders)
        ax.set_xlabel("n-gram order n")
        ax.set_ylabel("completion error err")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(f"Corollary 2: err ≥ 1/2 while n − 1 ≤ distance\n(N = {n_max:,})")
        legend_below(fig, [ax], ncol=2)
        return save_figure(fig, path)


def plot_agreement_by_size(rows, path):
    """Completion error against training size for the shortest window that sees the pronoun
    (order = distance + 2, solid) and the longest that does not (order = distance + 1, dotted).

    The points of each distance are shifted sideways by a factor 1.15 per distance
    (centred on the true ``N``), so that the too-short windows, all near 1/2, do not hide each other.

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
        fig, (ax,) = column_figure(1, row_height=2.5, extra_height=1.0)
        for i, d in enumerate(distances):
            color = PALETTE[i % len(PALETTE)]
            # the too-short windows all sit near 1/2: each distance's points are dodged by a factor
            x = np.array(sizes, dtype=float) * _DODGE ** (i - (len(distances) - 1) / 2)
            for order, style, label in ((d + 2, "-", "sees pronoun"), (d + 1, ":", "too short")):
                if order in orders:
                    ax.plot(x, [err[(d, order, n)][0] for n in sizes], ls=style, marker="o", ms=3, color=color,
                            label=f"d = {d}, order {order} ({label})")
        ax.axhline(0.5, color="0.5", lw=0.8, ls="--")
        ax.set_xscale("log")
        ax.set_xlabel("training sentences N")
        ax.set_ylabel("completion error err")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title("A window that sees the pronoun needs data\ngrowing with the distance")
        legend_below(fig, [ax], ncol=1)
        return save_figure(fig, path)


def plot_fact_strings(rows, path):
    """Hallucination rate of n-gram models on arbitrary facts rendered as strings, against the
    singleton rate.

    One point per (order, N): means over replicates of the sampled hallucination rate (hollow
    circle) and the exact err (cross, drawn inside the circle when equal), each labelled with
    its ``N`` and the model's δ; the line ``err = sr`` (Theorem 2's floor as N grows) and each
    (order, N)'s Theorem 2 lower bound with its own δ where it is positive (the legend says so when it is vacuous everywhere). Every
    order of a replicate is trained on the same corpus, so points of equal ``N`` share ``sr``.

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
    keys = ("singleton_rate", "hallucination_rate", "err", "delta", "theorem2_lower")
    means = {k: v for k, v in _group_means(rows, ("order", "n_examples"), keys).items()}
    with paper_style():
        fig, (ax,) = column_figure(1, row_height=2.9, extra_height=0.6)
        sr_max = max(m["singleton_rate"] for m in means.values())
        grid = np.linspace(0.0, max(sr_max, 1e-3) * 1.05, 50)
        ax.plot(grid, grid, color="0.5", ls=":", label="err = sr")
        orders = sorted({order for order, _ in means})
        for i, order in enumerate(orders):
            color = PALETTE[i % len(PALETTE)]
            mine = sorted((n, m) for (o, n), m in means.items() if o == order)
            x = [m["singleton_rate"] for _, m in mine]
            # hollow circles with the cross inside: the two rates are often equal, and both stay visible
            ax.scatter(x, [m["hallucination_rate"] for _, m in mine], s=40, facecolors="none", edgecolors=color,
                       linewidths=1.0, label=f"order {order}: sampled rate")
            ax.scatter(x, [m["err"] for _, m in mine], color=color, marker="x", s=14, linewidths=1.0,
                       label=f"order {order}: exact err", zorder=3)
            for n, m in mine:
                ax.annotate(f"N = {n:,}\nδ = {m['delta']:.2f}", (m["singleton_rate"], m["err"]), fontsize=6,
                            color=color, xytext=(7, 0) if i % 2 else (5, 4), textcoords="offset points",
                            va="center" if i % 2 else "bottom")
        lower = np.array([m["theorem2_lower"] for m in means.values()])
        sr = np.array([m["singleton_rate"] for m in means.values()])
        if (lower > 0).any():
            ax.scatter(sr[lower > 0], lower[lower > 0], color="0.2", marker="_", s=60,
                       label="Thm 2 lower (99%, own δ)")
        else:
            ax.plot([], [], " ", label=f"Thm 2 lower (99%): vacuous (max {lower.max():.2f})")
        ax.set_xlabel("singleton rate sr")
        ax.set_ylabel("hallucination rate, err")
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlim(right=1.3 * sr_max)  # room for the labels of the rightmost points
        ax.set_title("n-gram models on birthdays as text")
        legend_below(fig, [ax], ncol=1)
        return save_figure(fig, path)


def _group_means(rows, keys, values):
    groups = defaultdict(list)
    for r in rows:
        groups[tuple(r[k] for k in keys)].append(r)
    return {k: {v: float(np.mean([float(r[v]) for r in g])) for v in values} for k, g in groups.items()}
