"""Figures of the replications (Kalai & Vempala 2024, the student replication, Miao & Kearns 2025)
and of the paper's remaining factors (Observation 2, distribution shift, garbage in, letter counting)."""

from __future__ import annotations

import numpy as np

from hallusim.plotting.style import PALETTE, column_figure, legend_below, paper_style, save_figure

__all__ = [
    "plot_kalai_vempala",
    "plot_miao_kearns",
    "plot_observation2",
    "plot_distribution_shift",
    "plot_garbage_in",
    "plot_letter_counting",
]


def _mean_by(rows, keys, value):
    groups = {}
    for r in rows:
        groups.setdefault(tuple(r[k] for k in keys), []).append(float(r[value]))
    return {k: float(np.mean(v)) for k, v in sorted(groups.items())}


def plot_kalai_vempala(rows, student, path):
    """Kalai & Vempala's bound beside Theorem 2 against ``N`` (one panel per ``|R_c|``), and below
    them the student replication's settings on the (``n``, ``Mis``) plane; one legend under all.

    Parameters
    ----------
    rows : list of dict
        Simulation rows of the ``kalai_vempala`` experiment.
    student : list of dict
        :func:`hallusim.experiments.kalai_vempala.student_rows`.
    path : str or Path
        Destination without suffix.

    Returns
    -------
    list of Path
    """
    sizes = sorted({int(r["n_responses"]) for r in rows})
    with paper_style():
        fig, axes = column_figure(len(sizes) + 1, row_height=2.0, extra_height=1.3)
        for ax, size in zip(axes, sizes):
            sub = [r for r in rows if int(r["n_responses"]) == size]
            ns = np.array(sorted({int(r["n_examples"]) for r in sub}))
            series = [
                ("err", "err (calibrated learner)", PALETTE[0], "-", "o"),
                ("singleton_rate", "sr = MF̂", "0.5", ":", "x"),
                ("theorem2_lower", "Thm 2 lower (own δ)", PALETTE[1], "-", "s"),
                ("kalai_vempala_lower", "K&V 2024 lower (Mis = δ)", PALETTE[2], "--", "D"),
            ]
            for key, label, color, ls, marker in series:
                means = _mean_by(sub, ["n_examples"], key)
                ax.plot(ns, [means[(n,)] for n in ns], color=color, ls=ls, marker=marker, ms=4, lw=1.2, label=label)
            ax.axhline(0.0, color="0.2", lw=0.6)
            ax.set_xscale("log")
            ax.set_ylim(-0.6, 0.6)
            ax.set_xlabel("training examples N")
            ax.set_ylabel("rate / lower bound\n(negative = vacuous)")
            ax.set_title(f"|R_c| = {size}, 300|F|/|H| = {300 / (size - 1):.2g}")
        # the student replication: its bound per setting, with its published Mis and with Mis = 0
        ax = axes[-1]
        for i, n in enumerate(sorted({r["n"] for r in student})):
            sub = [r for r in student if r["n"] == n and r["food_list"] == "small"]
            alphas = [r["zipf_alpha"] for r in sub]
            # hollow stars around small filled circles: the published and recomputed bounds nearly agree
            ax.plot(alphas, [r["their_bound"] for r in sub], marker="*", ms=10, mfc="none", mew=0.9, ls="none",
                    color=PALETTE[3 + i], label=f"published bound, n = {n}")
            ax.plot(alphas, [r["our_bound"] for r in sub], marker="o", ms=2.5, ls="-", lw=0.8, color=PALETTE[3 + i],
                    label=f"ours from their inputs, n = {n}")
            ax.plot(alphas, [r["bound_if_calibrated"] for r in sub], marker="o", ms=5, ls="--", lw=0.8,
                    mfc="none", color=PALETTE[3 + i], label=f"ours with Mis = 0, n = {n}")
        ax.axhline(0.0, color="0.2", lw=0.6)
        ax.set_xlabel("student's Zipf exponent α")
        ax.set_ylabel("K&V 2024 lower bound")
        ax.set_title("Student replication (small food list)")
        legend_below(fig, axes, ncol=2)
        fig.suptitle("Kalai & Vempala (2024) against Theorem 2\non the same corpora")
        return save_figure(fig, path)


def plot_miao_kearns(rows, published, totals, trend, path):
    """Miao & Kearns's n-gram experiment: ours (circles, mean over replicates) beside their
    published values (stars, plus signs and crosses) against the Pareto shape γ.

    Panels, stacked: monofact rate; hallucination rate before and after upweighting;
    miscalibration; KL regret. Every panel draws a source in the same style, and one legend
    below serves them all.

    Parameters
    ----------
    rows : list of dict
        Rows of the ``miao_kearns`` experiment.
    published : dict
        γ -> (monofact rate, hallucination, miscalibration, hallucination after upweighting).
    totals : dict
        γ -> (total miscalibration, total KL regret) printed in their notebook.
    trend : dict
        γ -> monofact rate of their main sweep (read off their figure).
    path : str or Path

    Returns
    -------
    list of Path
    """
    shapes = sorted({float(r["shape"]) for r in rows})
    mean = lambda key: [_mean_by(rows, ["shape"], key)[(s,)] for s in shapes]  # noqa: E731
    pub, ts, tr = sorted(published), sorted(totals), sorted(trend)
    # one encoding in every panel, so that one legend serves them all
    ours = {"color": PALETTE[0], "ls": "-", "marker": "o", "label": "ours"}
    ours_up = {"color": PALETTE[0], "ls": "--", "marker": "o", "mfc": "none", "label": "ours, upweighted"}
    # the published values below ours (zorder 1.8 of the lines' 2), so that ours show where both agree
    titles = {"ls": "none", "marker": "*", "ms": 8, "color": PALETTE[1], "zorder": 1.8,
              "label": "published: upweighting figure titles"}
    titles_up = {**titles, "mfc": "none", "label": "published: upweighting figure titles, upweighted"}
    table = {"ls": "none", "marker": "P", "ms": 7, "color": PALETTE[3], "zorder": 1.8, "label": "published: printed table"}
    sweep = {"ls": "none", "marker": "X", "ms": 7, "color": PALETTE[4], "zorder": 1.8,
             "label": "published: main sweep (read off)"}
    with paper_style():
        fig, axes = column_figure(4, row_height=1.9, extra_height=1.2)
        ax = axes[0]
        ax.plot(shapes, mean("monofact_rate"), **ours)
        ax.plot(pub, [published[s][0] for s in pub], **titles)
        ax.plot(tr, [trend[s] for s in tr], **sweep)
        ax.set_ylabel("monofact rate")
        ax = axes[1]
        ax.plot(shapes, mean("hallucination_rate"), **ours)
        ax.plot(shapes, mean("hallucination_rate_upweighted"), **ours_up)
        ax.plot(pub, [published[s][1] for s in pub], **titles)
        ax.plot(pub, [published[s][3] for s in pub], **titles_up)
        ax.set_ylabel("hallucination rate")
        ax = axes[2]
        ax.plot(shapes, mean("miscalibration"), **ours)
        ax.plot(shapes, mean("miscalibration_per_fact"), "s:", color=PALETTE[2], label="ours, per fact")
        ax.plot(shapes, mean("miscalibration_upweighted"), **ours_up)
        ax.plot(pub, [published[s][2] for s in pub], **titles)
        ax.plot(ts, [totals[s][0] for s in ts], **table)
        ax.set_ylabel("miscalibration\n(ε = 0.1 bins)")
        ax = axes[3]
        ax.plot(shapes, mean("kl_regret"), **ours)
        ax.plot(ts, [totals[s][1] for s in ts], **table)
        ax.set_ylabel("KL regret (ε = 0.1 bins)")
        for ax in axes:
            ax.set_xlabel("Pareto shape γ")
        legend_below(fig, axes, ncol=1)
        fig.suptitle("Miao & Kearns (2025), n-gram experiment: ours on\nsynthetic facts against their notebooks")
        return save_figure(fig, path)


def plot_observation2(rows, path):
    """Observation 2: ``err``, ``β̂`` and the bound ``1 − β̂ − 2/(|M| − 1) − δ`` against ``N``, one
    panel per cipher, stacked.

    Parameters
    ----------
    rows : list of dict
        Rows of the ``observation2`` experiment.
    path : str or Path

    Returns
    -------
    list of Path
    """
    ciphers = sorted({r["cipher"] for r in rows})
    names = {"aes": "AES-128 (cannot be broken)", "xor": "fixed-key XOR (weak)"}
    with paper_style():
        fig, axes = column_figure(len(ciphers), row_height=2.2, extra_height=0.8, sharey=True)
        for ax, cipher in zip(axes, ciphers):
            sub = [r for r in rows if r["cipher"] == cipher]
            ns = sorted({int(r["n_examples"]) for r in sub})
            for key, label, color, ls, marker in (
                ("err", "err", PALETTE[0], "-", "o"),
                ("observation2_lower", "Obs. 2 lower bound", PALETTE[1], "--", "s"),
                ("beta", "β̂ = 1 − 2·err_iiv", PALETTE[2], ":", "^"),
                ("delta", "δ", PALETTE[3], ":", "v"),
                ("memorised_fraction", "memorised test prompts", "0.5", "-.", "x"),
            ):
                means = _mean_by(sub, ["n_examples"], key)
                ax.plot(ns, [means[(n,)] for n in ns], color=color, ls=ls, marker=marker, ms=4, label=label)
            ax.axhline(0.0, color="0.2", lw=0.6)
            ax.set_xscale("log")
            ax.set_xlabel("training pairs N")
            ax.set_title(f"{names.get(cipher, cipher)}, |M| = {sub[0]['n_messages']}")
            ax.set_ylabel("rate")
        legend_below(fig, axes, ncol=2)
        fig.suptitle("Observation 2: the bound needs a scheme\nthe learner cannot break")
        return save_figure(fig, path)


def plot_distribution_shift(rows, learners, train_exponent, path):
    """Distribution shift: ``err`` under ``μ_test`` against the test Zipf exponent, beside the
    training singleton rate, its Theorem 2 bound and the floor of a matched corpus.

    Parameters
    ----------
    rows : list of dict
        Rows of the ``distribution_shift`` experiment.
    learners : sequence of str
    train_exponent : float
        Exponent of ``μ_train`` (marked by a vertical line).
    path : str or Path

    Returns
    -------
    list of Path
    """
    xs = sorted({float(r["test_exponent"]) for r in rows})
    mean = lambda key: [_mean_by(rows, ["test_exponent"], key)[(x,)] for x in xs]  # noqa: E731
    with paper_style():
        fig, (ax,) = column_figure(1, row_height=2.6, extra_height=1.0)
        for i, name in enumerate(learners):
            # hollow circles, with MM_test's crosses inside where the two are equal
            ax.plot(xs, mean(f"{name}_err_test"), marker="o", ms=6, mfc="none", color=PALETTE[i],
                    label=f"err under μ_test ({name})")
        ax.plot(xs, mean("missing_mass_test"), marker="x", ms=3.5, ls=":", color="0.3", label="MM_test (test-weighted missing mass)")
        ax.plot(xs, mean("singleton_rate"), ls="--", color="0.1", label="sr of the training corpus (μ_train)")
        ax.plot(xs, mean("calibrated_theorem2_lower"), ls="-.", color=PALETTE[2], label="Thm 2 lower from training sr (δ = 0)")
        ax.plot(xs, mean("calibrated_matched_theorem2_lower"), marker="s", ls="-", lw=0.8, mfc="none", color=PALETTE[3],
                label="Thm 2 lower had training used μ_test")
        ax.axvline(train_exponent, color="0.6", lw=0.8, ls=":")
        ax.text(train_exponent, 0.98, " μ_test = μ_train", transform=ax.get_xaxis_transform(), va="top", fontsize=8, color="0.4")
        ax.set_xlabel("Zipf exponent of the test prompt distribution μ_test")
        ax.set_ylabel("rate / lower bound")
        legend_below(fig, [ax], ncol=1)
        ax.set_title("Distribution shift: the floor describes μ_train,\nnot μ_test")
        return save_figure(fig, path)


def plot_garbage_in(rows, path):
    """Garbage in: ``err`` of both learners against the fraction ε of wrong training answers,
    beside Theorem 2's bound and the expected error (the clean error plus ε times the mass each
    learner answers on seen prompts).

    Parameters
    ----------
    rows : list of dict
        Rows of the ``garbage_in`` experiment.
    path : str or Path

    Returns
    -------
    list of Path
    """
    xs = sorted({float(r["epsilon"]) for r in rows})
    mean = lambda key: np.array([_mean_by(rows, ["epsilon"], key)[(x,)] for x in xs])  # noqa: E731
    masses = {"calibrated": (mean("seen_answered_mass"), "Σ_seen μ(c)α_c"), "memorizing": (mean("seen_mass"), "Σ_seen μ(c)")}
    with paper_style():
        fig, (ax,) = column_figure(1, row_height=2.6, extra_height=0.9)
        for i, name in enumerate(("calibrated", "memorizing")):
            err = mean(f"{name}_err")
            mass, text = masses[name]
            ax.plot(xs, err, marker="o", color=PALETTE[i], label=f"err ({name})")
            ax.plot(xs, err[0] + np.array(xs) * mass, ls=":", lw=2, color=PALETTE[i], label=f"expected: err(ε = 0) + ε·{text}")
        ax.plot(xs, mean("calibrated_theorem2_lower"), ls="-.", color=PALETTE[2], label="Thm 2 lower (calibrated, own δ)")
        ax.plot(xs, mean("singleton_rate"), ls="--", color="0.1", label="sr")
        ax.set_xlabel("fraction ε of wrong training answers")
        ax.set_ylabel("generative error err / bound")
        legend_below(fig, [ax], ncol=1)
        ax.set_title("Garbage in, garbage out: err grows with ε\nabove the floor")
        return save_figure(fig, path)


def plot_letter_counting(rows, letter, path):
    """Letter counting: held-out ``err`` and ``opt`` (the family's least-squares member fitted on the
    test words, an estimate of the in-family optimum) of the additive counter against its unit
    budget ``V``, for characters and BPE tokens.

    Parameters
    ----------
    rows : list of dict
        Rows of the ``letter_counting`` experiment.
    letter : str
        The letter counted.
    path : str or Path

    Returns
    -------
    list of Path
    """
    reps = sorted({r["representation"] for r in rows})
    with paper_style():
        fig, (ax,) = column_figure(1, row_height=2.6, extra_height=0.6)
        for i, rep in enumerate(reps):
            sub = [r for r in rows if r["representation"] == rep]
            budgets = sorted({int(r["budget"]) for r in sub})
            err = _mean_by(sub, ["budget"], "err")
            opt = _mean_by(sub, ["budget"], "opt")
            units = int(np.mean([r["n_units"] for r in sub]))
            # small filled circles inside larger hollow squares: err and opt are often equal
            ax.plot(budgets, [err[(b,)] for b in budgets], marker="o", ms=3, color=PALETTE[i], label=f"err, held out ({rep}, {units} units)")
            ax.plot(budgets, [opt[(b,)] for b in budgets], marker="s", ms=6, ls="--", mfc="none", color=PALETTE[i], label=f"opt, least squares on the test words ({rep})")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("unit budget V of the additive counter")
        ax.set_ylabel(f"error counting '{letter}'")
        ax.set_ylim(-0.02, 1.0)
        legend_below(fig, [ax], ncol=1)
        ax.set_title(f"How many {letter}'s? The same learner\nover letters and over BPE tokens")
        return save_figure(fig, path)
