"""Figures of the floor estimates: frequency of frequencies with the Simple Good–Turing line,
estimated against true floors across sample sizes, and the floor's forecast at ``t·N`` examples
(with the ``floor_forecast`` experiment's comparisons)."""

from __future__ import annotations

import numpy as np

from hallusim.plotting.style import PALETTE, column_figure, legend_below, paper_style, save_figure

__all__ = [
    "plot_frequency_of_frequencies",
    "plot_floor_estimation",
    "plot_forecast",
    "plot_floor_forecast",
    "world_title",
]


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
        fig, (ax,) = column_figure(1, extra_height=0.5)
        # small dots inside larger hollow squares: n_r and Z_r are equal wherever no count is missing
        ax.loglog(r, n_r, "o", ms=2.0, color=PALETTE[7], alpha=0.6, label="$n_r$ (prompts seen $r$ times)")
        if fit.get("slope") is not None:
            ax.loglog(r, fit["z"], "s", ms=4.5, mfc="none", mew=0.8, color=PALETTE[0], label="$Z_r$ (averaged over gaps)")
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
        legend_below(fig, [ax], ncol=1)
        return save_figure(fig, path)


def plot_floor_estimation(rows, path):
    """Estimated floor against the truth across ``N``, one panel per world, stacked.

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
        fig, axes = column_figure(len(worlds), row_height=1.9, extra_height=0.8, sharey=True)
        top = 0.0
        for ax, world in zip(axes, worlds):
            mine = [r for r in rows if r["world"] == world]
            sizes = np.array(sorted({int(r["n_examples"]) for r in mine}))

            def median(key):
                return np.array([np.median([r[key] for r in mine if int(r["n_examples"]) == n]) for n in sizes])

            ax.fill_between(sizes, median("mm_low"), median("mm_high"), color=PALETTE[0], alpha=0.15,
                            label="Lemma 1 interval")
            ax.plot(sizes, median("sr"), "o-", ms=3, color=PALETTE[0], label="estimate sr (counts only)")
            ax.plot(sizes, median("true_missing_mass"), "k--", lw=1.0, label="true MM", zorder=3)
            ax.plot(sizes, median("calibrated_err"), "s:", ms=3, color=PALETTE[2], label="calibrated learner's err")
            lower, upper = median("theorem2_lower"), median("theorem2_upper")
            ax.plot(sizes, np.maximum(lower, 0.0), "-", color=PALETTE[1], label="Thm 2 lower, clipped at 0")
            ax.plot(sizes, np.minimum(upper, 1.0), "-", color=PALETTE[3], label="Thm 2 upper, clipped at 1")
            informative = np.flatnonzero(lower > 0)
            if informative.size:
                first = informative[0]
                ax.plot(sizes[first], lower[first], "*", ms=10, color=PALETTE[1], label="lower bound first > 0")
            ax.set_xscale("log")
            top = max(top, float(np.max(np.minimum(upper, 1.0))))
            ax.set_title(world_title(world))
            ax.set_xlabel("training examples N")
            ax.set_ylabel("probability")
        axes[0].set_ylim(-0.02, min(1.02, 1.1 * top + 0.02))
        legend_below(fig, axes, ncol=2)
        return save_figure(fig, path)


_METHODS = (("subsample", "exact subsampling"), ("good-toulmin", "Good–Toulmin"),
            ("smoothed good-toulmin", "smoothed Good–Toulmin"))


def plot_forecast(curve, path, *, points=None, title: str | None = None, singleton_rate: float | None = None,
                  t_max: float | None = None):
    """The forecast singleton rate ``sr`` (Definition 2) against training-set size, with its band.

    Parameters
    ----------
    curve : sequence of FloorForecast
        Forecasts on a dense grid of ``t`` (refused ones are skipped).
    path : str or Path
        Destination without suffix; PNG and PDF are written.
    points : sequence of FloorForecast, optional
        The forecasts asked for, drawn as markers.
    title : str, optional
    singleton_rate : float, optional
        The observed ``sr`` at ``N`` (drawn as a star).
    t_max : float, optional
        The estimators' reach, drawn as a vertical line.

    Returns
    -------
    list of Path
    """
    rows = [row for row in curve if not row.refused]
    with paper_style():
        fig, (ax,) = column_figure(1, extra_height=0.8)
        for color, (method, label) in zip(PALETTE, _METHODS):
            part = [row for row in rows if row.method == method]
            if not part:
                continue
            m = np.array([row.n_examples for row in part], np.float64)
            sr = np.array([row.singleton_rate for row in part])
            low, high = np.array([row.band for row in part]).T
            ax.fill_between(m, low, high, color=color, alpha=0.2, lw=0)
            ax.plot(m, sr, "-", color=color, label=f"forecast $\\widehat{{\\mathrm{{sr}}}}$, {label} (95% band)")
        if points:
            shown = [row for row in points if not row.refused]
            if shown:
                ax.plot([row.n_examples for row in shown], [row.singleton_rate for row in shown], "o", ms=4,
                        color="k", label="forecasts asked for")
        if singleton_rate is not None and rows:
            n = rows[0].n_examples / rows[0].t
            ax.plot([n], [singleton_rate], "*", ms=9, color=PALETTE[3], label="observed sr at $N$")
            if t_max is not None:
                ax.axvline(n * t_max, ls=":", color=PALETTE[4], label=f"reach $t_{{max}}$ = {t_max:.3g}")
        ax.set_xscale("log")
        ax.set_xlabel("training examples $tN$")
        ax.set_ylabel("singleton rate sr (the floor)")
        if title:
            ax.set_title(title)
        legend_below(fig, [ax], ncol=1)
        return save_figure(fig, path)


def plot_floor_forecast(sim_rows, real_rows, shakespeare: dict, path):
    """The ``floor_forecast`` experiment's three panels, stacked, each with its legend below it.

    Parameters
    ----------
    sim_rows : list of dict
        Simulation rows (keys ``world``, ``t``, ``forecast``, ``low``, ``high``, ``exact_sr``),
        one per world, ``t`` and replicate.
    real_rows : list of dict
        Real-data rows (keys ``fraction``, ``forecast``, ``low``, ``high``, ``truth``), the full
        corpus forecast from a fraction of it.
    shakespeare : dict
        ``t`` (array), ``good_toulmin`` and ``good_toulmin_se`` (new-word estimates and their
        standard errors), ``published_t``,
        ``published`` and ``published_se`` (Efron & Thisted's estimates and standard errors).
    path : str or Path
        Destination without suffix.

    Returns
    -------
    list of Path
    """
    with paper_style():
        fig, axes = column_figure(3, row_height=2.7, separate=True)
        ax = axes[0]
        worlds = sorted({row["world"] for row in sim_rows})
        for color, world in zip(PALETTE, worlds):
            part = [row for row in sim_rows if row["world"] == world]
            ts = np.array(sorted({row["t"] for row in part}))
            ratio = [np.median([row["forecast"] / row["exact_sr"] for row in part if row["t"] == t]) for t in ts]
            low = [np.median([row["low"] / row["exact_sr"] for row in part if row["t"] == t]) for t in ts]
            high = [np.median([row["high"] / row["exact_sr"] for row in part if row["t"] == t]) for t in ts]
            ax.fill_between(ts, low, high, color=color, alpha=0.2, lw=0)
            ax.plot(ts, ratio, "o-", ms=3, color=color, label=f"{world}: forecast / exact E[sr] (band shaded)")
        ax.axhline(1.0, color="k", lw=0.8, ls="--", label="exact")
        ax.axvline(1.0, color=PALETTE[7], lw=0.8, ls=":", label="$t = 1$ (the sample itself)")
        ax.set_xscale("log")
        ax.set_xlabel("ratio $t$ of forecast to present size")
        ax.set_ylabel("forecast sr / exact E[sr]\nat $tN$")
        ax.set_title("(a) known worlds")
        legend_below(ax.figure, [ax], ncol=1)

        ax = axes[1]
        if real_rows:
            fractions = np.array([row["fraction"] for row in real_rows])
            order = np.argsort(fractions)
            fr = fractions[order]
            forecast = np.array([row["forecast"] for row in real_rows])[order]
            low = np.array([row["low"] for row in real_rows])[order]
            high = np.array([row["high"] for row in real_rows])[order]
            ax.fill_between(fr, low, high, color=PALETTE[0], alpha=0.2, lw=0)
            ax.plot(fr, forecast, "o-", ms=3, color=PALETTE[0], label="sr of the full corpus forecast from a fraction")
            ax.axhline(real_rows[0]["truth"], color="k", ls="--", lw=0.8, label="sr of the full corpus (truth)")
            ax.set_xscale("log")
            legend_below(ax.figure, [ax], ncol=1)
        else:
            ax.text(0.5, 0.5, "real corpus not installed\n(pip install textblob)", ha="center", va="center",
                    transform=ax.transAxes)
        ax.set_xlabel("fraction of the corpus forecast from ($1/t$)")
        ax.set_ylabel("singleton rate sr of the full corpus")
        ax.set_title("(b) real text (textblob en-spelling)")

        ax = axes[2]
        gt, gt_se = np.asarray(shakespeare["good_toulmin"]), np.asarray(shakespeare["good_toulmin_se"])
        ax.fill_between(shakespeare["t"], gt - 1.96 * gt_se, gt + 1.96 * gt_se, color=PALETTE[1], alpha=0.2, lw=0)
        ax.plot(shakespeare["t"], gt, "-", color=PALETTE[1],
                label="hallusim Good–Toulmin: new words (95% band)")
        ax.errorbar(shakespeare["published_t"], shakespeare["published"], yerr=shakespeare["published_se"], fmt="s",
                    ms=4, color="k", capsize=2, label="Efron & Thisted (1976) ± s.e.")
        ax.set_xlabel("new corpus size / 884,647 words ($t$)")
        ax.set_ylabel("new word types")
        ax.set_title("(c) Shakespeare")
        legend_below(ax.figure, [ax], ncol=1)
        return save_figure(fig, path)
