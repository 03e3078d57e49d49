"""Table 2 as data (checked against the paper's printed table) and its rendering experiment."""

import csv

import pytest

from hallusim.experiments import load, load_config
from hallusim.posttraining.table2 import (
    LEADERBOARDS,
    TABLE2,
    _latex_escape,
    table2_latex,
    table2_markdown,
    table2_rows,
)
from hallusim.runs import read_provenance

# As printed in the paper (v1): benchmark, binary grading, IDK credit, LM-graded (asterisk).
PRINTED = [
    ("GPQA", True, "none", False),
    ("MMLU-Pro", True, "none", False),
    ("IFEval", True, "none", False),
    ("Omni-MATH", True, "none", True),
    ("WildBench", False, "partial", True),
    ("BBH", True, "none", False),
    ("MATH (L5 split)", True, "none", True),
    ("MuSR", True, "none", False),
    ("SWE-bench", True, "none", False),
    ("HLE", True, "none", True),
]


def test_table2_matches_the_paper():
    assert [(r.benchmark, r.binary_grading, r.idk_credit, r.lm_graded) for r in TABLE2] == PRINTED


def test_leaderboards_of_appendix_f():
    helm, open_llm = set(LEADERBOARDS["HELM Capabilities"]), set(LEADERBOARDS["Open LLM Leaderboard"])
    # "the two curated leaderboards had 50% overlap (the first three evaluations)"
    assert helm & open_llm == {"GPQA", "MMLU-Pro", "IFEval"}
    listed = {b for benchmarks in LEADERBOARDS.values() for b in benchmarks}
    assert listed == {row.benchmark for row in TABLE2}
    assert all(row.leaderboards for row in TABLE2)


def test_markdown_rendering():
    text = table2_markdown()
    table = [line for line in text.splitlines() if line.startswith("|")]
    assert len(table) == 2 + len(TABLE2)
    assert "| WildBench | LM-graded rubric* | No | Partial |" in text
    assert "9 of 10 benchmarks use binary grading" in text
    bare = table2_markdown(with_leaderboards=False, with_notes=False)
    assert bare.splitlines()[2] == "| Benchmark | Scoring method | Binary grading | IDK credit |"


def test_latex_rendering():
    text = table2_latex(with_notes=False)
    body = [line for line in text.splitlines() if line.endswith(r"\\")]
    assert len(body) == 1 + len(TABLE2)
    assert r"Equivalence grading$^{*}$ & Yes & None" in text
    assert r"\begin{tabular}{llccp{3.2cm}}" in text
    assert _latex_escape("50% & a_b {x}") == r"50\% \& a\_b \{x\}"


def test_table2_experiment(tmp_path):
    module = load("table2")
    for preset in ("quick", "paper"):
        config = load_config("table2", preset)
        rows = module.run(config, tmp_path / preset)
        assert len(rows) == len(TABLE2)
        for output in module.OUTPUTS:
            assert (tmp_path / preset / output).is_file()
    with open(tmp_path / "quick" / "results" / "table2.csv", newline="") as fh:
        written = list(csv.DictReader(fh))
    assert [r["benchmark"] for r in written] == [r["benchmark"] for r in table2_rows()]
    assert "Leaderboards" not in (tmp_path / "paper" / "results" / "table2.md").read_text()
    # Every output has a provenance sidecar with the configuration, and no temporary file is left.
    for output in module.OUTPUTS:
        sidecar = read_provenance(tmp_path / "paper" / output)
        assert sidecar["experiment"] == "table2" and sidecar["config"] == load_config("table2", "paper")
        assert "hallusim" in sidecar
    assert not [p for p in (tmp_path / "paper" / "results").iterdir() if p.name.endswith(".tmp")]


def test_table2_experiment_refuses_non_boolean_options(tmp_path):
    config = dict(load_config("table2", "quick"), with_notes="no")
    with pytest.raises(ValueError, match="`with_notes` must be true or false; got 'no'"):
        load("table2").run(config, tmp_path)
    assert not (tmp_path / "results").exists()


def test_idk_credit_validation():
    from hallusim.posttraining.table2 import BenchmarkGrading

    with pytest.raises(ValueError, match="`idk_credit` must be one of 'none', 'partial'"):
        BenchmarkGrading("X", "y", False, True, "full")
