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

# Every numbered item of the paper, which the theory-to-code page maps, with the experiments whose
# figures draw it (an empty set: "no figure"), as read from the plotting functions in
# hallusim/plotting/*.py; test_theory_page_maps_every_numbered_item checks the page against it.
THEORY_ITEMS = {
    "Definition 1": {"singleton_floor"},
    "Definition 2": {"singleton_floor", "floor_estimation"},
    "Theorem 1": {"calibration_tradeoff"},
    "Corollary 1": set(),
    "Theorem 2": {"singleton_floor", "floor_estimation", "fact_strings", "calibration_tradeoff", "kalai_vempala",
                  "distribution_shift", "garbage_in"},
    "Corollary 3": set(),
    "Lemma 1": {"floor_estimation"},
    "Lemma 2": set(),
    "Theorem 3": {"trigram_agreement"},
    "Theorem 4": set(),
    "Corollary 2": {"trigram_agreement"},
    "Observation 1": {"confidence_targets"},
    "Observation 2": {"observation2"},
    "Table 2": {"table2"},
    "Figure 2": {"calibration_histograms"},
}

# How a figure labels a numbered result: a figure claimed to show "Theorem 1" must say so.
LABELS = {"Theorem": ("Thm {k}", "Theorem {k}"), "Lemma": ("Lemma {k}",), "Corollary": ("Corollary {k}", "Cor. {k}")}

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


def theory_rows() -> list[tuple[str, str]]:
    """(item, "Shown in") cells of every row of the theory page's tables."""
    rows = []
    for line in (DOCS / "theory.md").read_text(encoding="utf-8").splitlines():
        if not line.startswith("| ") or line.startswith("| Item ") or line.startswith("|---"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        assert len(cells) == 3, f"docs/theory.md: a row without 3 cells: {line[:80]}"
        rows.append((cells[0], cells[2]))
    return rows


def shown_in(cell: str) -> set:
    """Experiments a "Shown in" cell names as drawing the item (none for "no figure ...")."""
    from hallusim import experiments

    if cell.startswith("no figure"):
        return set()
    names = set(re.findall(r"`([^`]+)`", re.sub(r"\([^)]*\)", "", cell)))
    unknown = names - set(experiments.available())
    assert names and not unknown, f"'Shown in' must name experiments or say 'no figure'; got {cell!r}"
    return names


def plot_strings(experiment: str) -> str:
    """The string constants (labels, titles; docstrings excepted) of an experiment's plotting functions."""
    import ast
    import inspect
    import textwrap

    from hallusim import experiments

    tree = ast.parse(Path(experiments.load(experiment).__file__).read_text(encoding="utf-8"))
    functions = [
        getattr(importlib.import_module(node.module), alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("hallusim.plotting")
        for alias in node.names
    ]
    texts = []
    for function in functions:
        body = ast.parse(textwrap.dedent(inspect.getsource(function))).body[0].body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]  # the docstring
        texts += [n.value for stmt in body for n in ast.walk(stmt) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return "\n".join(texts)


def test_theory_page_maps_every_numbered_item():
    rows = theory_rows()
    for item, expected in THEORY_ITEMS.items():
        mine = [shown for cell, shown in rows if f"**{item}**" in cell]
        assert mine, f"docs/theory.md has no row for **{item}**"
        claimed = set().union(*(shown_in(shown) for shown in mine))
        assert claimed == expected, f"{item}: the theory page says shown in {sorted(claimed) or 'no figure'}, but {sorted(expected) or 'no figure'} draw it"


def test_theory_page_shown_in_names_figures_that_draw_the_item():
    rows = theory_rows()
    assert len(rows) >= 30
    for cell, shown in rows:
        assert shown, f"docs/theory.md: empty 'Shown in' for {cell[:60]!r} (write 'no figure')"
        claimed = shown_in(shown)
        match = re.match(r"\*\*(Theorem|Lemma|Corollary) (\d+)\*\*", cell)
        if not match:
            continue
        labels = [label.format(k=match.group(2)) for label in LABELS[match.group(1)]]
        for experiment in claimed:
            strings = plot_strings(experiment)
            assert any(label in strings for label in labels), f"{experiment}'s figure does not label {labels[0]}"


def test_docs_build_without_warnings(tmp_path):
    for module in ("sphinx", "numpydoc", "myst_parser", "mathjax"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed (pip install -e '.[docs]')")
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-E", "-q", "-b", "html", str(DOCS), str(tmp_path / "html")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-6000:]
    for page in ("index", "quickstart", "theory", "experiments", "sweeps", "cli", "api"):
        assert (tmp_path / "html" / f"{page}.html").exists()
    # formulas render offline: the pages load the MathJax copied into the build, and no page
    # references a script, style or font on another host
    theory = (tmp_path / "html" / "theory.html").read_text(encoding="utf-8")
    assert re.search(r'<script[^>]*src="_static/tex-svg\.js', theory), "theory page does not load the local MathJax"
    assert (tmp_path / "html" / "_static" / "tex-svg.js").stat().st_size > 1_000_000
    for html in (tmp_path / "html").glob("*.html"):
        remote = re.findall(r'<(?:script|link|img)[^>]*(?:src|href)="((?:https?:)?//[^"]+)"', html.read_text(encoding="utf-8"))
        assert not remote, f"{html.name} loads from another host: {remote}"
    api = (tmp_path / "html" / "api.html").read_text(encoding="utf-8")
    assert "hallusim.runs.sweep" in api and "hallusim.bounds.theorem2_lower" in api
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


def undefined_names(code: str) -> set:
    """Names a snippet reads at module level but never binds (imports, assignments, defs, loops)."""
    import ast
    import builtins

    tree = ast.parse(code)
    bound = set(dir(builtins))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
            bound |= {a.arg for a in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]} if not isinstance(node, ast.ClassDef) else set()
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - bound


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md")))
def test_python_snippets_define_every_name_they_use(page):
    """The snippets of a page read as one script (each may use what an earlier one defined)."""
    blocks = re.findall(r"```python\n(.*?)```", (DOCS / page).read_text(encoding="utf-8"), flags=re.S)
    missing = undefined_names("\n".join(blocks))
    assert not missing, f"docs/{page}: Python snippets use undefined names {sorted(missing)}"


@pytest.mark.parametrize("page", ["README.md", "docs/quickstart.md"])
def test_first_snippets_print_what_they_claim(page, capsys):
    """The README's "A first look" and the quickstart's library snippet run as scripts and print."""
    text = (DOCS.parent / page).read_text(encoding="utf-8")
    first = re.findall(r"```python\n(.*?)```", text, flags=re.S)[0]
    exec(compile(first, page, "exec"), {"__name__": "__main__"})
    out = capsys.readouterr().out
    assert "err" in out and re.search(r"\d\.\d{3}", out), f"{page}: the first snippet printed {out!r}"
