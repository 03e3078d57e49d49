"""The paper's Table 2 (Section 4.1): how ten influential benchmarks treat abstentions.

Renders :data:`hallusim.posttraining.table2.TABLE2` as Markdown and LaTeX, and writes it as a CSV. Every file
is written atomically (temporary file, fsync, rename) with a provenance sidecar
``<file>.provenance.json``, through :mod:`hallusim.runs`.
"""

from __future__ import annotations

from pathlib import Path

from hallusim._validation import fail
from hallusim.posttraining.table2 import table2_latex, table2_markdown, table2_rows
from hallusim.runs import (
    environment,
    provenance_path,
    write_json_atomic,
    write_table,
    write_text_atomic,
)

SUMMARY = "Table 2: binary grading and IDK credit of ten leaderboard benchmarks, as Markdown, LaTeX and CSV."
OUTPUTS = ("results/table2.md", "results/table2.tex", "results/table2.csv")

# Every preset key: (meaning, unit); `hallusim run table2 --help` lists them with their preset values.
KEYS = {
    "with_leaderboards": ("add a column naming the leaderboards that feature each benchmark", ""),
    "with_notes": ("add the paraphrased footnotes / Appendix F remarks", ""),
}

# Cost of each preset: (seconds, peak MB, how), from `/usr/bin/time -v hallusim run NAME --preset P --fresh`
# (--jobs 1, warm Numba cache) on the 2-core CI machine; "load" is the 1-minute load average then.
COST = {
    "quick": (0.6, 107, "measured, load 1.0"),
    "medium": (0.6, 109, "measured, load 1.4"),
    "paper": (0.8, 108, "measured, load 0.6"),
}




def _write_text(path: Path, text: str, provenance: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, text)
    write_json_atomic(provenance_path(path), {**environment(), **provenance})


def check_config(config):
    """Reject values of ``config`` the experiment cannot run with (called before any output).

    Parameters
    ----------
    config : dict
        A preset with its overrides.
    """
    for key in ("with_leaderboards", "with_notes"):
        if not isinstance(config[key], bool):
            fail(key, "true or false", config[key])


def run(config, out_dir, *, sweep_options=None):
    """Write Table 2 under ``out_dir/results``; return its rows (no sweep: the table is data)."""
    check_config(config)
    options = {"with_leaderboards": config["with_leaderboards"], "with_notes": config["with_notes"]}
    folder = Path(out_dir) / "results"
    provenance = {"experiment": "table2", "config": dict(config)}
    _write_text(folder / "table2.md", table2_markdown(**options), {**provenance, "format": "markdown"})
    _write_text(folder / "table2.tex", table2_latex(**options), {**provenance, "format": "latex"})
    rows = table2_rows()
    write_table(rows, folder / "table2.csv", provenance=provenance)
    return rows
