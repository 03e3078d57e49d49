"""Every experiment's figure, rendered from a small fixture table and checked mechanically.

The fixtures (tests/data/figures/, see its README) are quick-preset result rows. Each figure is
drawn with the experiment's plotting function and, instead of being saved, checked for what a
reader of a paper needs and a program can see:

* every axes has an x and a y label;
* every legend entry is drawn: some of its data lies inside its axes' view, or its label says
  "vacuous" (a bound below the axis);
* every legend text is the label of an artist of the figure (no entry without a line);
* no legend inside an axes covers data of that axes (lines, points, bars, shaded bands);
* nothing (axes with their labels and ticks, legends, titles) reaches outside the figure;
* the figure, saved as the plotting function saves it (``bbox_inches="tight"``), is at most one
  column (:data:`~hallusim.plotting.style.COLUMN_WIDTH`) wide, within :data:`WIDTH_TOLERANCE`;
* in ``singleton_floor``, the calibrated and the empirical learner's markers (whose errors are
  equal) are both visible: one is hollow, the other filled, smaller and drawn on top.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from matplotlib.collections import Collection
from matplotlib.container import BarContainer, ErrorbarContainer
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from hallusim.plotting import facts, floors, ngram, posttraining
from hallusim.plotting.style import COLUMN_WIDTH

DATA = Path(__file__).resolve().parent.parent / "data" / "figures"
#: Inches a saved figure may exceed the column: the rounding to whole pixels at :data:`DPI` (0.01 in)
#: with margin; the style's ``savefig.pad_inches`` keeps the tight box inside the figure's width.
WIDTH_TOLERANCE = 0.03
DPI = 100


def rows_of(name):
    return [json.loads(line) for line in (DATA / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]


FIGURES = {
    "singleton_floor": (facts, lambda p: facts.plot_singleton_floor(rows_of("singleton_floor"), ("calibrated", "empirical", "memorizing"), p)),
    "calibration_tradeoff": (posttraining, lambda p: posttraining.plot_calibration_tradeoff(rows_of("calibration_tradeoff"), p)),
    "calibration_histograms": (posttraining, lambda p: posttraining.plot_calibration_histograms(rows_of("calibration_histograms"), p)),
    "confidence_targets": (posttraining, lambda p: posttraining.plot_confidence_targets(rows_of("confidence_targets"), p)),
    "behavioral_audit": (posttraining, lambda p: posttraining.plot_behavioral_audit(rows_of("behavioral_audit"), p)),
    "fact_strings": (ngram, lambda p: ngram.plot_fact_strings(rows_of("fact_strings"), p)),
    "floor_estimation": (floors, lambda p: floors.plot_floor_estimation(rows_of("floor_estimation"), p)),
    "trigram_agreement_order": (ngram, lambda p: ngram.plot_agreement_by_order(rows_of("trigram_agreement"), p)),
    "trigram_agreement_size": (ngram, lambda p: ngram.plot_agreement_by_size(rows_of("trigram_agreement"), p)),
}


@pytest.fixture(params=sorted(FIGURES))
def figure(request, monkeypatch, tmp_path):
    """The figure the plotting function would save, drawn (so that extents are final)."""
    module, draw = FIGURES[request.param]
    captured = []

    def keep(fig, path):
        # saved as save_figure saves it (the style's bbox and padding apply), to measure its size
        png = io.BytesIO()
        fig.savefig(png, format="png", dpi=DPI)
        fig.saved_inches = (int.from_bytes(png.getvalue()[16:20], "big") / DPI,
                            int.from_bytes(png.getvalue()[20:24], "big") / DPI)
        fig.canvas.draw()
        captured.append(fig)
        return []

    monkeypatch.setattr(module, "save_figure", keep)
    draw(tmp_path / request.param)
    assert len(captured) == 1
    captured[0].name = request.param
    yield captured[0]
    import matplotlib.pyplot as plt

    plt.close(captured[0])


def _data_axes(fig):
    return [ax for ax in fig.axes if ax.get_visible() and ax.axison]


def _figure_legends(fig):
    """The legends of ``fig`` and of its subfigures (a legend under each panel of its own)."""
    return list(fig.legends) + [legend for sub in fig.subfigs for legend in _figure_legends(sub)]


def _inside(ax, x, y) -> bool:
    x, y = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
    (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
    ok = np.isfinite(x) & np.isfinite(y) & (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
    return bool(ok.any())


def _drawn(ax, handle) -> bool:
    """Whether some of the data of a legend handle lies inside the view of ``ax``."""
    if isinstance(handle, ErrorbarContainer):
        handle = handle.lines[0]
    if isinstance(handle, BarContainer):
        return any(_inside(ax, [p.get_x(), p.get_x() + p.get_width()], [p.get_y(), p.get_y() + p.get_height()])
                   for p in handle.patches)
    if isinstance(handle, Line2D):
        x, y = handle.get_data()
        if handle.get_transform() != ax.transData:  # axhline / axvline: one coordinate in axes units
            return len(np.atleast_1d(x)) > 0 and handle.get_visible()
        return _inside(ax, x, y)
    if isinstance(handle, Collection):
        offsets = handle.get_offsets()
        if len(offsets) and handle.get_offset_transform() == ax.transData:
            return _inside(ax, offsets[:, 0], offsets[:, 1])
        vertices = [path.vertices for path in handle.get_paths() if len(path.vertices)]
        return bool(vertices) and _inside(ax, np.vstack(vertices)[:, 0], np.vstack(vertices)[:, 1])
    if isinstance(handle, Rectangle):
        return _inside(ax, [handle.get_x()], [handle.get_y()])
    raise AssertionError(f"no check for a legend handle of type {type(handle).__name__}")


def test_every_axes_is_labelled(figure):
    for ax in _data_axes(figure):
        assert ax.get_xlabel().strip(), f"axes {ax.get_title()!r} has no x label"
        assert ax.get_ylabel().strip(), f"axes {ax.get_title()!r} has no y label"


def test_every_legend_entry_is_drawn_or_flagged_vacuous(figure):
    labels_of_artists = set()
    for ax in _data_axes(figure):
        handles, labels = ax.get_legend_handles_labels()
        for handle, label in zip(handles, labels):
            labels_of_artists.add(label)
            if "vacuous" not in label:
                assert _drawn(ax, handle), f"{label!r} is labelled in axes {ax.get_title()!r} but not drawn inside it"
    legends = [ax.get_legend() for ax in _data_axes(figure) if ax.get_legend() is not None] + _figure_legends(figure)
    for legend in legends:
        for text in legend.get_texts():
            assert text.get_text() in labels_of_artists, f"legend entry {text.get_text()!r} has no artist"


def _data_paths(ax):
    """(display-space path, filled) of every data artist of ``ax``, and display-space points."""
    paths, points = [], []
    for line in ax.get_lines():
        if not line.get_visible() or line.get_transform() != ax.transData:
            continue
        xy = ax.transData.transform(np.column_stack(line.get_data()).astype(float))
        xy = xy[np.isfinite(xy).all(axis=1)]
        if line.get_linestyle() not in ("None", "", " ") and len(xy) > 1:
            paths.append((line.get_transform().transform_path(line.get_path()), False))
        if line.get_marker() not in (None, "None", "", " "):
            points.append(xy)
    for collection in ax.collections:
        if not collection.get_visible():
            continue
        offsets = collection.get_offsets()
        if len(offsets) and collection.get_offset_transform() == ax.transData:
            points.append(ax.transData.transform(np.asarray(offsets, dtype=float)))
        else:
            for path in collection.get_paths():
                paths.append((collection.get_transform().transform_path(path), True))
    for patch in ax.patches:
        if isinstance(patch, Rectangle) and patch.get_height() > 0:
            paths.append((patch.get_transform().transform_path(patch.get_path()), True))
    return paths, points


def test_no_legend_inside_an_axes_covers_its_data(figure):
    renderer = figure.canvas.get_renderer()
    for ax in _data_axes(figure):
        legend = ax.get_legend()
        if legend is None:
            continue
        box = legend.get_window_extent(renderer)
        paths, points = _data_paths(ax)
        for path, filled in paths:
            assert not path.intersects_bbox(box, filled=filled), f"the legend of {ax.get_title()!r} covers a line or band"
        for xy in points:
            covered = (xy[:, 0] >= box.x0) & (xy[:, 0] <= box.x1) & (xy[:, 1] >= box.y0) & (xy[:, 1] <= box.y1)
            assert not covered.any(), f"the legend of {ax.get_title()!r} covers {int(covered.sum())} data points"


def test_nothing_reaches_outside_the_figure(figure):
    renderer = figure.canvas.get_renderer()
    bounds = figure.bbox
    parts = [(f"axes {ax.get_title()!r}", ax.get_tightbbox(renderer)) for ax in figure.axes if ax.get_visible()]
    parts += [("a figure legend", legend.get_window_extent(renderer)) for legend in _figure_legends(figure)]
    if figure._suptitle is not None and figure._suptitle.get_text():
        parts.append(("the title", figure._suptitle.get_window_extent(renderer)))
    for what, box in parts:
        assert box.x0 >= bounds.x0 - 1 and box.y0 >= bounds.y0 - 1, f"{what} reaches outside the figure"
        assert box.x1 <= bounds.x1 + 1 and box.y1 <= bounds.y1 + 1, f"{what} reaches outside the figure"


def test_the_saved_figure_fits_one_column(figure):
    width, _ = figure.saved_inches
    assert width <= COLUMN_WIDTH + WIDTH_TOLERANCE, f"{figure.name} is saved {width:.2f} in wide (one column: {COLUMN_WIDTH} in)"


def _learner_markers(ax, name):
    found = [c for c in ax.collections if c.get_label().startswith(f"err ({name},")]
    assert len(found) == 1, f"no single marker series of the {name} learner in {ax.get_title()!r}"
    return found[0]


def _filled(collection) -> bool:
    faces = collection.get_facecolors()
    return len(faces) > 0 and bool((faces[:, 3] > 0).all())


@pytest.mark.parametrize("figure", ["singleton_floor"], indirect=True)
def test_equal_learners_stay_visible_in_singleton_floor(figure):
    """The calibrated and empirical learners' errors are equal: one marker must not hide the other."""
    for ax in _data_axes(figure):
        pair = [_learner_markers(ax, name) for name in ("calibrated", "empirical")]
        filled = [c for c in pair if _filled(c)]
        assert len(filled) == 1, f"in {ax.get_title()!r} both learners' markers are {'filled' if filled else 'hollow'}"
        small, = filled
        hollow, = [c for c in pair if c is not small]
        assert small.get_sizes().max() <= 0.5 * hollow.get_sizes().min(), "the filled marker does not fit inside the hollow one"
        above = [c.get_label() for c in ax.collections if c is not small and c.get_zorder() >= small.get_zorder()]
        assert not above, f"{above} drawn over the filled marker in {ax.get_title()!r}"
