"""The one shared figure style: sizes, fonts, a colour-blind-safe palette, and saving."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402

__all__ = ["PALETTE", "legend_below", "paper_style", "save_figure"]

# Okabe & Ito (2008) colour-blind-safe palette.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]

_RC = {
    "figure.figsize": (6.4, 4.2),
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 8,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "savefig.bbox": "tight",
    "pdf.fonttype": 42,
}


@contextmanager
def paper_style():
    """Context manager applying hallusim's figure style."""
    with matplotlib.rc_context(_RC):
        yield


def legend_below(fig, axes, *, ncol=3):
    """One legend for ``fig``, below its panels, so that it never covers data.

    Collects the labelled artists of every axes in ``axes`` (each label once, in order of
    appearance). ``fig`` must use ``layout="constrained"``, which makes room for the legend.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    axes : iterable of matplotlib.axes.Axes
    ncol : int

    Returns
    -------
    matplotlib.legend.Legend
    """
    entries = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            entries.setdefault(label, handle)
    return fig.legend(list(entries.values()), list(entries), loc="outside lower center", ncol=ncol, frameon=False)


def save_figure(fig, path) -> list[Path]:
    """Save ``fig`` as ``<path>.png`` (200 dpi) and ``<path>.pdf`` (vector); close it.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or Path
        Destination without suffix (a suffix, if given, is replaced).

    Returns
    -------
    list of Path
        The two files written.
    """
    base = Path(path).with_suffix("")
    targets = [base.with_suffix(".png"), base.with_suffix(".pdf")]
    temps = [t.with_name(f".{t.name}.tmp") for t in targets]
    try:
        base.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(temps[0], format="png", dpi=200)
        fig.savefig(temps[1], format="pdf")
        # both files render before either replaces anything: no half-written pair is left
        for tmp, target in zip(temps, targets):
            tmp.replace(target)
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
        plt.close(fig)
    return targets
