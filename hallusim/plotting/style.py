"""The one shared figure style: sizes, fonts, a colour-blind-safe palette, and saving."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402

__all__ = ["COLUMN_WIDTH", "PALETTE", "column_figure", "legend_below", "paper_style", "save_figure"]

#: Width in inches of one column of a two-column paper (3.5 in, about 89 mm): every figure's width.
COLUMN_WIDTH = 3.5

# Okabe & Ito (2008) colour-blind-safe palette.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]

# 8 pt text and 7 pt ticks and legends: what a figure printed at COLUMN_WIDTH still reads at
_RC = {
    "figure.figsize": (COLUMN_WIDTH, 2.6),
    "font.size": 8,
    "axes.titlesize": 8,
    "axes.labelsize": 8,
    "figure.titlesize": 8.5,
    "legend.fontsize": 7,
    "legend.handlelength": 1.6,
    "legend.handletextpad": 0.5,
    "legend.columnspacing": 1.0,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "lines.linewidth": 1.2,
    "lines.markersize": 4,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.02,  # the tight box grows by twice this: a saved figure stays within COLUMN_WIDTH
    "pdf.fonttype": 42,
}


@contextmanager
def paper_style():
    """Context manager applying hallusim's figure style."""
    with matplotlib.rc_context(_RC):
        yield


def column_figure(panels=1, *, columns=1, row_height=2.4, extra_height=0.0, sharex=False, sharey=False,
                  separate=False):
    """A figure :data:`COLUMN_WIDTH` wide with ``panels`` axes in rows (constrained layout).

    Parameters
    ----------
    panels : int
        Number of axes; the rows are ``ceil(panels / columns)``, and the unused cells of the last
        row are removed.
    columns : int
        Axes per row: 1 for panels stacked in one column, 2 for small multiples.
    row_height : float
        Height of one row in inches.
    extra_height : float
        Inches added for what sits outside the rows (a legend below, a title above).
    sharex, sharey : bool
        Share the x (y) axis among all axes, as in :func:`matplotlib.pyplot.subplots`.
    separate : bool
        Put each panel (one per row; ``columns`` must be 1, nothing shared) in a subfigure of its
        own, so that ``legend_below(ax.figure, [ax])`` puts a legend under that
        panel alone.

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : numpy.ndarray of matplotlib.axes.Axes
        The ``panels`` axes, row by row (one dimension).
    """
    rows = -(-panels // columns)
    fig = plt.figure(figsize=(COLUMN_WIDTH, row_height * rows + extra_height), layout="constrained")
    if separate:
        if columns != 1 or sharex or sharey:
            raise ValueError("separate panels are one per row and share no axis")
        return fig, np.array([sub.subplots() for sub in np.ravel(fig.subfigures(rows, 1))])
    axes = fig.subplots(rows, columns, squeeze=False, sharex=sharex, sharey=sharey).ravel()
    for ax in axes[panels:]:
        fig.delaxes(ax)
    return fig, axes[:panels]


def legend_below(fig, axes, *, ncol=3):
    """One legend for ``fig``, below its panels, so that it never covers data.

    Collects the labelled artists of every axes in ``axes`` (each label once, in order of
    appearance). ``fig`` must use ``layout="constrained"``, which makes room for the legend.

    Parameters
    ----------
    fig : matplotlib.figure.Figure or matplotlib.figure.SubFigure
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
