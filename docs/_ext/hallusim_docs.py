"""Sphinx directives that build pages from the package itself, so they never go stale.

``.. hallusim-api::``
    An ``automodule`` section for every public module of hallusim (no leading underscore).
``.. hallusim-experiments::``
    Every experiment: what it produces, the commands that regenerate it, its presets, and its
    figure when ``figures/<name>.png`` exists at the top of the repository.
``.. hallusim-cli::``
    The ``--help`` text of the ``hallusim`` command and of each subcommand.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import pkgutil
import re
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

REPO = Path(__file__).resolve().parents[2]


def public_modules() -> list[str]:
    """Dotted names of hallusim's public modules (experiment modules excepted), sorted."""
    import hallusim

    names = ["hallusim"]
    for info in pkgutil.walk_packages(hallusim.__path__, prefix="hallusim."):
        parts = info.name.split(".")
        if any(part.startswith("_") for part in parts):
            continue
        if info.name.startswith("hallusim.experiments."):
            continue
        names.append(info.name)
    return sorted(names)


class _Generated(SphinxDirective):
    has_content = False

    def lines(self) -> list[str]:
        raise NotImplementedError

    def run(self):
        container = nodes.container()
        nested_parse_with_titles(self.state, StringList(self.lines(), source="<hallusim-docs>"), container)
        return container.children


def _escape(text: str) -> str:
    """``text`` as literal reStructuredText (``|x|``, ``*``, backquotes stay as written)."""
    return re.sub(r"([\\`*|_\[\]<>])", r"\\\1", text)


def _heading(text: str, mark: str) -> list[str]:
    return [text, mark * len(text), ""]


class ApiDirective(_Generated):
    """An ``automodule`` section per public module."""

    def lines(self) -> list[str]:
        out = []
        for name in public_modules():
            if name == "hallusim":
                continue  # its names are documented in the modules that define them
            out += _heading(f"``{name}``", "-")
            out += [f".. automodule:: {name}", ""]
        return out


class ExperimentsDirective(_Generated):
    """One section per experiment."""

    def lines(self) -> list[str]:
        from hallusim import experiments

        out = []
        for name in experiments.available():
            module = experiments.load(name)
            self.env.note_dependency(module.__file__)
            out += _heading(name, "-")
            out += [_escape(getattr(module, "SUMMARY", "").strip()), ""]
            out += [
                "Regenerate it with::",
                "",
                f"    hallusim run {name} --preset quick",
                f"    hallusim run {name} --preset paper --jobs -1",
                f"    python experiments/{name}.py --preset quick",
                "",
                "Writes " + ", ".join(f"``{item}``" for item in getattr(module, "OUTPUTS", ())) + ".",
                "",
            ]
            out += self._presets(name)
            for item in getattr(module, "OUTPUTS", ()):
                if item.endswith(".png") and (REPO / item).exists():
                    out += [f".. figure:: /../{item}", "   :width: 90%", "", f"   ``{item}`` (quick preset).", ""]
            out += [""]
        return out

    def _presets(self, name: str) -> list[str]:
        from hallusim import experiments

        path = experiments.preset_path(name)
        if not path.exists():
            return []
        self.env.note_dependency(str(path))
        tables = {preset: experiments.load_config(name, preset) for preset in experiments._read_presets(name, path)}
        keys = list(dict.fromkeys(k for t in tables.values() for k in t))
        out = [".. list-table:: Presets (``--set KEY=VALUE`` overrides any of them)", "   :header-rows: 1", ""]
        out += ["   * - key"] + [f"     - ``{preset}``" for preset in tables]
        for key in keys:
            out += [f"   * - ``{key}``"] + [f"     - ``{tables[p].get(key)!r}``" for p in tables]
        return out + [""]


@contextlib.contextmanager
def _columns(width: int):
    """A fixed terminal width for argparse, so the help text does not depend on the build machine."""
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)
    try:
        yield
    finally:
        if saved is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = saved


class CliDirective(_Generated):
    """The help text of every subcommand."""

    def lines(self) -> list[str]:
        from hallusim.cli import main

        out = []
        for argv, title in [(["--help"], "hallusim")] + [
            ([command, "--help"], f"hallusim {command}") for command in ("list", "run", "reproduce", "score", "floor")
        ]:
            buffer = io.StringIO()
            with contextlib.redirect_stdout(buffer), _columns(92):
                status = main(argv)
            if status != 0:
                continue  # a subcommand that is not installed
            out += _heading(f"``{title}``", "-")
            out += ["::", ""] + ["    " + line for line in buffer.getvalue().splitlines()] + [""]
        return out


def setup(app):
    app.add_directive("hallusim-api", ApiDirective)
    app.add_directive("hallusim-experiments", ExperimentsDirective)
    app.add_directive("hallusim-cli", CliDirective)
    importlib.import_module("hallusim")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
