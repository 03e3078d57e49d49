"""The one shared figure style: sizes, fonts, a colour-blind-safe palette, and saving."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402

__all__ = ["PALETTE", "paper_style", "save_figure"]

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
    base.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for suffix, kwargs in ((".png", {"dpi": 200}), (".pdf", {})):
        target = base.with_suffix(suffix)
        tmp = target.with_name(target.name + ".tmp")
        fig.savefig(tmp, format=suffix[1:], **kwargs)
        tmp.replace(target)  # never leave a half-written figure behind
        written.append(target)
    plt.close(fig)
    return written
