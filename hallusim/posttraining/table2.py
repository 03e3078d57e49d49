"""The paper's Table 2 as data: how ten influential benchmarks treat abstentions (Section 4.1).

Kalai, Nachum, Vempala & Zhang (2025), Table 2 and Appendix F: of ten benchmarks featured by
four leaderboards (HELM Capabilities, the Open LLM Leaderboard, SWE-bench and Humanity's Last
Exam), nine use binary grading (a strict correct/incorrect primary metric) and none gives credit
for "I don't know" except WildBench, partially, whose 1–10 rubric may still score IDK below a
fair answer that contains hallucinations. "Binary grading" and "IDK credit" are as printed in
the paper (v1, 4 Sep 2025); the notes paraphrase its footnotes and Appendix F.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from hallusim._validation import check_choice

__all__ = ["BenchmarkGrading", "LEADERBOARDS", "TABLE2", "table2_rows", "table2_markdown", "table2_latex"]

HELM = "HELM Capabilities"
OPEN_LLM = "Open LLM Leaderboard"
SWE = "SWE-bench"
HLE = "Humanity's Last Exam (Scale AI)"

#: The four leaderboards examined in Appendix F, with the benchmarks each features.
LEADERBOARDS = {
    HELM: ("GPQA", "MMLU-Pro", "IFEval", "Omni-MATH", "WildBench"),
    OPEN_LLM: ("GPQA", "MMLU-Pro", "IFEval", "BBH", "MATH (L5 split)", "MuSR"),
    SWE: ("SWE-bench",),
    HLE: ("HLE",),
}

LM_GRADED_NOTE = "graded by language models, so an incorrect bluff may occasionally be scored correct"


@dataclass(frozen=True)
class BenchmarkGrading:
    """One row of Table 2.

    Attributes
    ----------
    benchmark : str
    scoring_method : str
    lm_graded : bool
        The paper's asterisk: grading is performed by language models.
    binary_grading : bool
        The primary metric is a strict correct/incorrect accuracy.
    idk_credit : {"none", "partial"}
        Whether an abstention can earn any credit.
    note : str
        The paper's footnote or Appendix F remark, paraphrased ("" if none).
    """

    benchmark: str
    scoring_method: str
    lm_graded: bool
    binary_grading: bool
    idk_credit: str
    note: str = ""

    def __post_init__(self):
        check_choice("idk_credit", self.idk_credit, ("none", "partial"))

    @property
    def leaderboards(self) -> tuple:
        """The leaderboards of Appendix F that feature this benchmark."""
        return tuple(name for name, benchmarks in LEADERBOARDS.items() if self.benchmark in benchmarks)


TABLE2 = (
    BenchmarkGrading("GPQA", "Multiple-choice accuracy", False, True, "none",
                     "standard multiple-choice exam with no IDK option"),
    BenchmarkGrading("MMLU-Pro", "Multiple-choice accuracy", False, True, "none",
                     "standard multiple-choice exam with no IDK option"),
    BenchmarkGrading("IFEval", "Programmatic instruction verification", False, True, "none",
                     "a composite of several binary rubric sub-scores (the paper's footnote a)"),
    BenchmarkGrading("Omni-MATH", "Equivalence grading", True, True, "none",
                     "the answer is checked for equivalence with the ground truth; nothing for IDK"),
    BenchmarkGrading("WildBench", "LM-graded rubric", True, False, "partial",
                     "1-10 rubric: an IDK (does not help the user, 3-4) may score below a fair answer "
                     "with hallucinations (5-6), so guessing can still pay (the paper's footnote b)"),
    BenchmarkGrading("BBH", "Multiple-choice / exact-match", False, True, "none",
                     "23 BIG-Bench tasks chosen for multiple-choice or exact-match grading"),
    BenchmarkGrading("MATH (L5 split)", "Equivalence grading", True, True, "none",
                     "level-5 competition problems, scored by accuracy only"),
    BenchmarkGrading("MuSR", "Multiple-choice accuracy", False, True, "none",
                     "multistep soft reasoning, scored by accuracy only"),
    BenchmarkGrading("SWE-bench", "Patch passes unit tests", False, True, "none",
                     "an incorrect patch and an expression of uncertainty both score 0"),
    BenchmarkGrading("HLE", "Multiple-choice / equivalence grading", True, True, "none",
                     "binary accuracy is primary; a calibration-error metric is reported beside it"),
)


def table2_rows() -> list[dict]:
    """Table 2 as a list of flat dicts (leaderboards joined by "; "), e.g. for a CSV."""
    return [{**asdict(row), "leaderboards": "; ".join(row.leaderboards)} for row in TABLE2]


def _cells(row, with_leaderboards, with_notes, star):
    cells = [row.benchmark, row.scoring_method + (star if row.lm_graded else ""),
             "Yes" if row.binary_grading else "No", row.idk_credit.capitalize()]
    if with_leaderboards:
        cells.append(", ".join(row.leaderboards))
    if with_notes:
        cells.append(row.note)
    return cells


def _header(with_leaderboards, with_notes):
    return ["Benchmark", "Scoring method", "Binary grading", "IDK credit"] + (
        ["Leaderboards"] if with_leaderboards else []) + (["Notes"] if with_notes else [])


def _summary() -> str:
    binary = sum(row.binary_grading for row in TABLE2)
    credit = [row.benchmark for row in TABLE2 if row.idk_credit != "none"]
    return (f"{binary} of {len(TABLE2)} benchmarks use binary grading; IDK earns credit only on "
            f"{', '.join(credit)} (partially).")


def table2_markdown(*, with_leaderboards: bool = True, with_notes: bool = True) -> str:
    """Table 2 as a GitHub-flavoured Markdown table with its caption and footnote.

    Parameters
    ----------
    with_leaderboards, with_notes : bool, optional
        Add the leaderboards column and the notes column.

    Returns
    -------
    str
    """
    header = _header(with_leaderboards, with_notes)
    lines = [
        "Table 2 (Kalai et al., 2025): how influential benchmarks treat abstentions. "
        "\"Binary grading\": the primary metric is strict correct/incorrect accuracy; "
        "\"IDK credit\": whether an abstention can earn any credit.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    for row in TABLE2:
        cells = _cells(row, with_leaderboards, with_notes, "*")
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    lines += ["", f"\\* {LM_GRADED_NOTE[0].upper() + LM_GRADED_NOTE[1:]}.", "", _summary()]
    return "\n".join(lines) + "\n"


_LATEX_ESCAPES = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
                  "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}


def _latex_escape(text: str) -> str:
    return "".join(_LATEX_ESCAPES.get(ch, ch) for ch in text)


def table2_latex(*, with_leaderboards: bool = True, with_notes: bool = True) -> str:
    """Table 2 as a LaTeX ``table`` (needs ``\\usepackage{booktabs}``; notes use ``p{}`` columns).

    Parameters
    ----------
    with_leaderboards, with_notes : bool, optional

    Returns
    -------
    str
    """
    header = _header(with_leaderboards, with_notes)
    spec = "llcc" + ("p{3.2cm}" if with_leaderboards else "") + ("p{5.5cm}" if with_notes else "")
    lines = [
        r"\begin{table}[t]",
        r"\centering",
        r"\small",
        r"\caption{How influential benchmarks treat abstentions (Kalai et al., 2025, Table~2). "
        r"Binary grading: the primary metric is strict correct/incorrect accuracy; "
        r"IDK credit: whether an abstention can earn any credit. "
        r"$^{*}$" + _latex_escape(LM_GRADED_NOTE[0].upper() + LM_GRADED_NOTE[1:]) + ".}",
        r"\label{tab:table2}",
        r"\begin{tabular}{" + spec + "}",
        r"\toprule",
        " & ".join(header) + r" \\",
        r"\midrule",
    ]
    for row in TABLE2:
        cells = [_latex_escape(cell) for cell in _cells(row, with_leaderboards, with_notes, "")]
        if row.lm_graded:
            cells[1] += r"$^{*}$"
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"
