"""Figures of the post-training experiments (Section 4 and Figure 2 of the paper).

Every function takes result rows (lists of dicts as the experiments return and write them) and
a destination path without suffix; none recomputes a metric.
"""

from __future__ import annotations

import numpy as np

from hallusim.plotting.style import PALETTE, column_figure, legend_below, paper_style, save_figure

__all__ = [
    "plot_calibration_histograms",
    "plot_confidence_targets",
    "plot_behavioral_audit",
    "plot_calibration_tradeoff",
]

_LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)))


def _mean(rows, key):
    return float(np.mean([r[key] for r in rows]))


def plot_calibration_histograms(rows, path):
    """Figure 2 in simulation: calibration histograms of the pretrained and post-trained models.

    Top and middle: accuracy per confidence bin, every answer choice binned (as in the GPT-4
    report), against the diagonal, from the first replicate, with each bin's number of answer
    choices in a row above the data. The title gives this all-choices ECE; the box gives err, the argmax
    error, δ and the top-label ECE (only each question's most likely choice binned), all means
    over replicates. Bottom: the exact ``δ_z`` against the threshold ``z`` for both models.

    Parameters
    ----------
    rows : list of dict
        Rows of the ``calibration_histograms`` experiment.
    path : str or Path

    Returns
    -------
    list of Path
    """
    first = rows[0]
    labels = {"pretrained": "pretrained-like (calibrated)", "posttrained": f"post-trained (T = {first['post_temperature']:g})"}
    with paper_style():
        fig, axes = column_figure(3, row_height=2.4, extra_height=0.9)
        for ax, (name, color) in zip(axes[:2], (("pretrained", PALETTE[0]), ("posttrained", PALETTE[1]))):
            lower = np.array(first[f"{name}_bin_lower"])
            upper = np.array(first[f"{name}_bin_upper"])
            accuracy = np.array(first[f"{name}_bin_accuracy"], dtype=float)
            confidence = np.array(first[f"{name}_bin_confidence"], dtype=float)
            counts = np.array(first[f"{name}_bin_count"], dtype=float)
            full = np.isfinite(accuracy)
            ax.bar(lower[full], accuracy[full], width=(upper - lower)[full], align="edge", color=color,
                   alpha=0.75, edgecolor="white", label="accuracy in bin")
            ax.plot(confidence[full], accuracy[full], "o", color="0.15", ms=3, label="bin's mean confidence, accuracy")
            ax.plot([0, 1], [0, 1], color="0.3", ls="--", lw=1, label="perfect calibration")
            for lo, hi, acc, count in zip(lower[full], upper[full], accuracy[full], counts[full]):
                # the bin's number of answer choices, in a row above the data
                ax.text((lo + hi) / 2, 1.015, f"{count:.0f}", ha="center", va="bottom", fontsize=5.5, rotation=90,
                        color="0.25")
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1.22)
            ax.set_yticks(np.linspace(0.0, 1.0, 6))
            ax.set_xlabel("model probability of an answer choice")
            ax.set_ylabel("fraction correct")
            ax.set_title(f"{labels[name]}\nall-choices ECE = {_mean(rows, f'{name}_ece_all_choices'):.3f}")
            text = (f"err (sampling) = {_mean(rows, f'{name}_err'):.3f}\n"
                    f"err of argmax = {_mean(rows, f'{name}_err_argmax'):.3f}\n"
                    f"δ at 1/|E_c| = {_mean(rows, f'{name}_delta'):.3f}\n"
                    f"top-label ECE = {_mean(rows, f'{name}_ece_top_label'):.3f}")
            # below the row of bin counts (from 1.015 of 1.22; the box pads 4 pt more), above the low bins
            ax.text(0.03, 0.76, text, transform=ax.transAxes, va="top", fontsize=6.5,
                    bbox={"facecolor": "white", "edgecolor": "0.8", "alpha": 0.9})
        grid = np.linspace(0.0, 1.0, len(first["pretrained_delta_z"]))
        for name, color in (("pretrained", PALETTE[0]), ("posttrained", PALETTE[1])):
            curves = np.array([r[f"{name}_delta_z"] for r in rows], dtype=float)
            axes[2].plot(grid, curves.mean(axis=0), color=color, label=f"δ_z, {labels[name]}")
        axes[2].axvline(1.0 / (first["n_choices"] - 1), color="0.5", ls=":", lw=1, label="z = 1/|E_c|")
        axes[2].set_xlabel("threshold z")
        axes[2].set_ylabel("δ_z = |p̂(A_z) − p(A_z)|")
        axes[2].set_title("calibration gap at every threshold")
        legend_below(fig, axes, ncol=1)
        fig.suptitle("Optimising for 0-1 grading sharpens a calibrated model:\nsame argmax, lower err, calibration lost")
        return save_figure(fig, path)


def plot_confidence_targets(rows, path):
    """Score against the confidence target ``t`` for each policy, under binary and target grading.

    Lines are expected scores; markers with bars are the mean ± one standard deviation of the
    sampled tests (replicates). Both panels show every policy's full range (under target grading
    always guessing falls far below 0 as t grows).

    Parameters
    ----------
    rows : list of dict
        Rows of the ``confidence_targets`` experiment (policy, target, replicate, scores).
    path : str or Path

    Returns
    -------
    list of Path
    """
    policies = list(dict.fromkeys(r["policy"] for r in rows))
    with paper_style():
        fig, axes = column_figure(2, row_height=2.3, extra_height=1.0)
        panels = (("score_binary", "binary (0-1) grading: score = accuracy"),
                  ("score_target", "explicit target t: correct 1, wrong −t/(1−t), IDK 0"))
        for ax, (key, title) in zip(axes, panels):
            for i, name in enumerate(policies):
                sub = [r for r in rows if r["policy"] == name]
                targets = sorted({r["target"] for r in sub})
                expected = [next(r[f"expected_{key}"] for r in sub if r["target"] == t) for t in targets]
                sampled = [[r[f"sampled_{key}"] for r in sub if r["target"] == t] for t in targets]
                color = PALETTE[i % len(PALETTE)]
                ax.plot(targets, expected, color=color, ls=_LINESTYLES[i % len(_LINESTYLES)], label=name)
                ax.errorbar(targets, [np.mean(s) for s in sampled], yerr=[np.std(s) for s in sampled],
                            fmt="o", ms=2.5, color=color, elinewidth=0.8, capsize=0)
            ax.set_title(title)
            ax.set_xlabel("confidence target t stated to the model")
            ax.set_ylabel("mean score per question")
        axes[1].axhline(0.0, color="0.5", lw=0.8)  # the IDK score; every policy's full range is shown
        legend_below(fig, axes, ncol=1)
        fig.suptitle("0-1 grading ranks the guesser first;\nexplicit targets rank the calibrated model first")
        return save_figure(fig, path)


def plot_behavioral_audit(rows, path):
    """Behavioral-calibration audit: answer rate, accuracy among answered and error rate against ``t``.

    The behaviorally calibrated reference is drawn in black; the accuracy panel shows the line
    ``accuracy = t`` that a behaviorally calibrated model's accuracy must exceed. The legend
    gives each policy's deviation ``D``: the mean over the targets of
    ``deviation(t) = mean_i |p_i − t|·|a_i − 1[p_i > t]|`` (``a_i`` its probability of answering
    question ``i``, ``p_i`` that of being right; 0 iff the policy is behaviorally calibrated),
    the ``deviation`` of :class:`hallusim.posttraining.grading.BehavioralAudit`.

    Parameters
    ----------
    rows : list of dict
        Audit rows (``BehavioralAudit.rows()`` of every policy).
    path : str or Path

    Returns
    -------
    list of Path
    """
    policies = list(dict.fromkeys(r["policy"] for r in rows))
    with paper_style():
        fig, axes = column_figure(3, row_height=2.0, extra_height=1.1)
        panels = (("answer_rate", "answer rate"), ("accuracy_answered", "accuracy among answered"), ("error_rate", "error rate (hallucinations)"))
        reference = [r for r in rows if r["policy"] == policies[0]]
        t_ref = [r["target"] for r in reference]
        for ax, (key, label) in zip(axes, panels):
            ax.plot(t_ref, [r[f"ideal_{key}"] for r in reference], color="0.0", lw=2.2, alpha=0.35,
                    label="behaviorally calibrated (ideal)")
            for i, name in enumerate(policies):
                sub = [r for r in rows if r["policy"] == name]
                ax.plot([r["target"] for r in sub], [r[key] for r in sub], color=PALETTE[i % len(PALETTE)],
                        ls=_LINESTYLES[i % len(_LINESTYLES)], label=f"{name} (D = {sub[0]['deviation']:.4f})")
            ax.set_xlabel("confidence target t")
            ax.set_ylabel(label)
            ax.set_title(label)
        axes[1].plot([0, 1], [0, 1], color="0.5", ls=":", lw=1, label="accuracy = t (must be exceeded)")
        axes[1].set_ylim(0, 1.02)
        legend_below(fig, axes, ncol=1)
        fig.suptitle("Behavioral calibration audit: answer iff P(correct) > t")
        return save_figure(fig, path)


def _index_of_unit_scale(scales):
    """Index of ``s = 1`` exactly in ``scales``, or None (no marker rather than one at another ``s``)."""
    hits = [i for i, s in enumerate(scales) if s == 1.0]
    return hits[0] if hits else None


def plot_calibration_tradeoff(rows, path):
    """The calibration trade-off: err, δ, cross-entropy and the Theorem 1–2 bounds against ``s``.

    Four panels, stacked: err with the Theorem 1 and 2 lower bounds and the singleton rate against ``s``;
    δ (exact) with the finite-difference slope ``|dL/d ln s|`` against ``s``; the cross-entropy
    ``L(p̂_s)`` against ``s``; and err against δ, where every family is a curve, its point at
    ``s = 1`` exactly is a square (when the rows hold ``s = 1``) and the IDK-heavy policies are
    points. Curves are means over replicates.

    Parameters
    ----------
    rows : list of dict
        Rows of the ``calibration_tradeoff`` experiment: one per (world, family, ``scale``) with
        ``err``, ``delta``, ``dL_dlog_s``, ``cross_entropy``, ``theorem1_lower``,
        ``theorem2_lower``, ``singleton_rate``; rows whose ``family`` is ``"idk_heavy"`` (named by
        ``policy``) are marked as points.
    path : str or Path

    Returns
    -------
    list of Path
    """
    families = [f for f in dict.fromkeys(r["family"] for r in rows) if f != "idk_heavy"]
    policies = list(dict.fromkeys(r["policy"] for r in rows if r["family"] == "idk_heavy"))
    keys = ("err", "delta", "dL_dlog_s", "cross_entropy", "theorem1_lower", "theorem2_lower")
    marked = False
    with paper_style():
        fig, axes = column_figure(4, row_height=1.9, extra_height=1.6)
        ax_err, ax_delta, ax_loss, ax_plane = axes
        sr = _mean(rows, "singleton_rate")
        for i, family in enumerate(families):
            sub = [r for r in rows if r["family"] == family]
            scales = sorted({r["scale"] for r in sub})
            mean = {key: np.array([np.mean([r[key] for r in sub if r["scale"] == s]) for s in scales]) for key in keys}
            color = PALETTE[i % len(PALETTE)]
            ax_err.plot(scales, mean["err"], color=color, lw=1.8, label=f"err, {family}")
            ax_err.plot(scales, mean["theorem1_lower"], color=color, ls=":", lw=1.2, label=f"Thm 1 lower, {family}")
            vacuous = "\n(< 0: vacuous, below the axis)" if mean["theorem2_lower"].max() < 0 else ""
            ax_err.plot(scales, mean["theorem2_lower"], color=color, ls="--", lw=1, label=f"Thm 2 lower, {family}{vacuous}")
            ax_delta.plot(scales, mean["delta"], color=color, label=f"δ of p̂_s, {family}")
            ax_delta.plot(scales, np.abs(mean["dL_dlog_s"]), "o", ms=3, mfc="none", color=color,
                          label=f"|dL/d ln s|, {family}")
            ax_loss.plot(scales, mean["cross_entropy"], color=color, label=f"L(p̂_s), {family}")
            # the families share one curve here: the first drawn wide below, the later ones narrow on top
            ax_plane.plot(mean["delta"], mean["err"], color=color, marker=".", ms=4, lw=max(2.6 - 1.6 * i, 1.0),
                          alpha=0.6 if i == 0 else 1.0, label=f"err vs δ, {family}")
            at_one = _index_of_unit_scale(scales)
            if at_one is not None:
                marked = True
                ax_plane.plot(mean["delta"][at_one], mean["err"][at_one], "s", color=color, ms=6, mfc="none")
        markers = "*P"
        for j, name in enumerate(policies):
            sub = [r for r in rows if r["family"] == "idk_heavy" and r["policy"] == name]
            point = {key: np.mean([r[key] for r in sub]) for key in ("err", "delta", "scale")}
            label = f"IDK-heavy: {name}"
            ax_err.scatter([point["scale"]], [point["err"]], marker=markers[j % 2], s=80, color="0.1", zorder=5, label=label)
            ax_delta.scatter([point["scale"]], [point["delta"]], marker=markers[j % 2], s=80, color="0.1", zorder=5, label=label)
            ax_plane.scatter([point["delta"]], [point["err"]], marker=markers[j % 2], s=80, color="0.1", zorder=5, label=label)
        ax_err.axhline(sr, color="0.4", lw=1, ls="-.", label=f"singleton rate sr = {sr:.3f}")
        ax_plane.axhline(sr, color="0.4", lw=1, ls="-.")
        panels = ((ax_err, "generative error and its lower bounds", "err, bounds"),
                  (ax_delta, "δ of p̂_s; |dL/d ln s|: equal at s = 1 only", "δ, |dL/d ln s|"),
                  (ax_loss, "cross-entropy L(p̂_s)", "L(p̂_s) (nats)"))
        for ax, title, ylabel in panels:
            ax.set_xscale("log")
            ax.set_xlabel("rescaling factor s")
            ax.set_ylabel(ylabel)
            ax.set_title(title)
            ax.axvline(1.0, color="0.7", lw=0.8)
        ax_delta.text(0.02, 0.97, "δ = |dL/ds| holds at s = 1, where\nδ of p̂_1 = |d/ds L(p̂_s)|; elsewhere the\n"
                      "points are the slope of L in ln s", transform=ax_delta.transAxes, va="top", fontsize=6.5,
                      color="0.25")
        top = max(r["err"] for r in rows)
        ax_err.set_ylim(-0.1 * top, 1.2 * top)
        ax_plane.set_xlabel("calibration gap δ")
        ax_plane.set_ylabel("generative error err")
        ax_plane.set_title("the trade-off: err below sr only with δ > 0" + ("\n(squares: s = 1)" if marked else ""))
        legend_below(fig, axes, ncol=2)
        fig.suptitle("Hallucinations fall below the singleton-rate floor\nonly as δ grows: by giving up calibration")
        return save_figure(fig, path)
