"""The shared figure style: both formats written, nothing half-written on failure; one-column figures."""

import matplotlib.pyplot as plt
import pytest

from hallusim.plotting.style import COLUMN_WIDTH, column_figure, paper_style, save_figure


def test_save_figure_writes_png_and_pdf(tmp_path):
    with paper_style():
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1])
        written = save_figure(fig, tmp_path / "figures" / "line")
    assert [p.name for p in written] == ["line.png", "line.pdf"]
    assert written[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert written[1].read_bytes()[:5] == b"%PDF-"
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == ["line.pdf", "line.png"]


def test_a_failing_save_leaves_nothing_behind(tmp_path, monkeypatch):
    fig, ax = plt.subplots()
    calls = []

    def failing_savefig(target, format=None, **kwargs):
        calls.append(format)
        if format == "pdf":
            raise OSError("disk full")
        open(target, "wb").close()

    monkeypatch.setattr(fig, "savefig", failing_savefig)
    with pytest.raises(OSError, match="disk full"):
        save_figure(fig, tmp_path / "broken")
    assert calls == ["png", "pdf"]
    assert list(tmp_path.iterdir()) == []


def test_column_figure_is_one_column_wide_with_the_panels_asked_for():
    fig, axes = column_figure(3, columns=2, row_height=2.0, extra_height=0.5)
    assert fig.get_figwidth() == COLUMN_WIDTH
    assert fig.get_figheight() == 2 * 2.0 + 0.5
    assert len(axes) == 3 and len(fig.axes) == 3  # the fourth cell of the 2 x 2 grid is removed
    plt.close(fig)


def test_separate_panels_each_have_a_subfigure_for_their_own_legend():
    fig, axes = column_figure(2, separate=True)
    assert [ax.figure for ax in axes] == list(fig.subfigs)
    plt.close(fig)
    with pytest.raises(ValueError, match="one per row"):
        column_figure(2, columns=2, separate=True)
