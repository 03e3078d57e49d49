"""The shared figure style: both formats written, nothing half-written on failure."""

import matplotlib.pyplot as plt
import pytest

from hallusim.plotting.style import paper_style, save_figure


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
