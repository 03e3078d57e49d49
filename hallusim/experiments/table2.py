"""The paper's Table 2 (Section 4.1): how ten influential benchmarks treat abstentions.

Renders :data:`hallusim.table2.TABLE2` as Markdown and LaTeX, and writes it as a CSV.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hallusim.results import write_table
from hallusim.table2 import table2_latex, table2_markdown, table2_rows

SUMMARY = "Table 2: binary grading and IDK credit of ten leaderboard benchmarks, as Markdown, LaTeX and CSV."
OUTPUTS = ("results/table2.md", "results/table2.tex", "results/table2.csv")


def _write_text_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run(config, out_dir, *, sweep_options=None):
    """Write Table 2 under ``out_dir/results``; return its rows (no sweep: the table is data)."""
    options = {"with_leaderboards": bool(config["with_leaderboards"]), "with_notes": bool(config["with_notes"])}
    results = Path(out_dir) / "results"
    _write_text_atomic(results / "table2.md", table2_markdown(**options))
    _write_text_atomic(results / "table2.tex", table2_latex(**options))
    rows = table2_rows()
    write_table(rows, results / "table2.csv", provenance={"experiment": "table2", "config": dict(config)})
    return rows
