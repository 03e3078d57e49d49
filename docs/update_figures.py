"""Regenerate the quick-preset figures shown on the experiments page (docs/_static/figures/).

Run from the top of the clone::

    python docs/update_figures.py

It runs ``hallusim reproduce --preset quick`` into a temporary folder and copies every PNG there,
reduced to a 256-colour palette (about a third of the size; the figures are line art), so the
committed figures stay small (well under 2 MB together) and the docs build needs no computing.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

FIGURES = Path(__file__).resolve().parent / "_static" / "figures"


def main() -> int:
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [sys.executable, "-m", "hallusim.cli", "reproduce", "--preset", "quick", "--out", out, "--fresh"], check=True
        )
        pngs = sorted((Path(out) / "figures").glob("*.png"))
        FIGURES.mkdir(parents=True, exist_ok=True)
        for stale in FIGURES.glob("*.png"):
            stale.unlink()
        for png in pngs:
            image = Image.open(png).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
            image.save(FIGURES / png.name, optimize=True)
    total = sum(path.stat().st_size for path in FIGURES.glob("*.png"))
    print(f"{len(pngs)} figures, {total / 1e6:.2f} MB in {FIGURES}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
