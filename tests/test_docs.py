"""The documentation: builds warning-free with Sphinx (-W), and names only objects that exist."""

from __future__ import annotations

import importlib
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"

# Every numbered item of THEORY.md (the paper's numbering), which the theory-to-code page maps.
THEORY_ITEMS = [
    "Definition 1",
    "Definition 2",
    "Theorem 1",
    "Corollary 1",
    "Theorem 2",
    "Corollary 3",
    "Lemma 1",
    "Lemma 2",
    "Theorem 3",
    "Theorem 4",
    "Corollary 2",
    "Observation 1",
    "Observation 2",
    "Table 2",
    "Figure 2",
]

ROLE = re.compile(r"\{(?:py:)?(?:func|class|mod|meth|attr|data|obj|exc)\}`~?([A-Za-z_][\w.]*)`")
RST_ROLE = re.compile(r":(?:py:)?(?:func|class|mod|meth|attr|data|obj|exc):`~?([A-Za-z_][\w.]*)`")


def resolve(dotted: str):
    """Import the longest module prefix of ``dotted`` and get the remaining attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(dotted)


def doc_names() -> list[tuple[str, str]]:
    names = []
    for path in sorted(DOCS.glob("*.md")) + sorted(DOCS.glob("*.rst")):
        text = path.read_text(encoding="utf-8")
        names += [(path.name, m) for m in ROLE.findall(text) + RST_ROLE.findall(text)]
    return names


def test_docs_name_only_objects_that_exist():
    names = doc_names()
    assert len(names) >= 40, "the theory-to-code page should cross-reference the code"
    missing = []
    for page, name in names:
        try:
            resolve(name)
        except (ImportError, AttributeError):
            missing.append(f"{page}: {name}")
    assert not missing, "names in the docs that do not exist:\n" + "\n".join(missing)


def test_theory_page_maps_every_numbered_item():
    text = (DOCS / "theory.md").read_text(encoding="utf-8")
    absent = [item for item in THEORY_ITEMS if item not in text]
    assert not absent, f"docs/theory.md does not mention {absent}"


def test_docs_build_without_warnings(tmp_path):
    for module in ("sphinx", "numpydoc", "myst_parser"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed (pip install sphinx numpydoc myst-parser)")
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-E", "-q", "-b", "html", str(DOCS), str(tmp_path / "html")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-6000:]
    for page in ("index", "quickstart", "theory", "experiments", "sweeps", "cli", "api"):
        assert (tmp_path / "html" / f"{page}.html").exists()
    api = (tmp_path / "html" / "api.html").read_text(encoding="utf-8")
    assert "hallusim.sweep.sweep" in api and "hallusim.bounds.theorem2_lower" in api
    # every experiment's figures are on the experiments page, as images copied into the build
    page = (tmp_path / "html" / "experiments.html").read_text(encoding="utf-8")
    shown = set(re.findall(r'<img[^>]*src="_images/([^"]+\.png)"', page))
    for name, pngs in declared_figures().items():
        for png in pngs:
            assert png in shown, f"the experiments page does not show {png} of {name}"
            assert (tmp_path / "html" / "_images" / png).stat().st_size > 0


def declared_figures() -> dict:
    """PNG file names each experiment declares in ``OUTPUTS``."""
    from hallusim import experiments

    return {
        name: [Path(item).name for item in experiments.load(name).OUTPUTS if item.endswith(".png")]
        for name in experiments.available()
    }


def test_every_experiment_figure_is_committed_for_the_docs():
    """The experiments page shows committed quick-preset PNGs: a clean checkout (CI) has them."""
    figures = DOCS / "_static" / "figures"
    declared = declared_figures()
    assert any(declared.values()), "no experiment declares a figure"
    missing = [f"{name}: {png}" for name, pngs in declared.items() for png in pngs if not (figures / png).is_file()]
    assert not missing, "figures missing from docs/_static/figures (python docs/update_figures.py):\n" + "\n".join(missing)
    tracked = subprocess.run(["git", "-C", str(DOCS), "ls-files", "_static/figures"], capture_output=True, text=True)
    if tracked.returncode == 0:  # in a git checkout: committed, not just present
        names = {Path(line).name for line in tracked.stdout.split()}
        assert {png for pngs in declared.values() for png in pngs} <= names
    total = sum(path.stat().st_size for path in figures.glob("*.png"))
    assert total < 2_000_000, f"docs/_static/figures holds {total / 1e6:.1f} MB; keep the committed figures small"
