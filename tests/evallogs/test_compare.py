"""Several models on the same items: scores, ranks, the exact crossover t*, paired bootstrap, --plot."""

import json
import re
from fractions import Fraction

import numpy as np
import pytest

from hallusim.cli import main
from hallusim.evallogs import GradedResults, compare_results, crossover_target
from hallusim.posttraining.grading import response_rates, target_grader


def _model(counts, source, ids=None):
    """GradedResults with counts (correct, wrong, abstain), items in that order."""
    c, w, a = counts
    n = c + w + a
    answered = np.array([True] * (c + w) + [False] * a)
    correct = np.array([True] * c + [False] * (w + a))
    return GradedResults([str(i) for i in (ids if ids is not None else range(n))], answered, correct, None, None, source)


# SimpleQA, as OpenAI's blog post "Why language models hallucinate" (2025-09-05) and the paper
# (Section 4) quote the GPT-5 system card: gpt-5-thinking-mini abstains 52%, correct 22%, wrong 26%;
# o4-mini abstains 1%, correct 24%, wrong 75%. Per 100 items.
MINI = (22, 26, 52)
O4 = (24, 75, 1)


def test_published_simpleqa_pair_crosses_at_two_fifty_firsts():
    # p* = (0.22 − 0.24)/(0.26 − 0.75) = 2/49, t* = p*/(1 + p*) = 2/51.
    assert crossover_target(0.22, 0.26, 0.24, 0.75) == pytest.approx(float(Fraction(2, 51)), rel=1e-12)
    comparison = compare_results([_model(MINI, "mini"), _model(O4, "o4")], targets=[0.0, 0.03, 0.05, 0.5, 0.9], n_resamples=0)
    assert [c["target"] for c in comparison.crossovers] == [pytest.approx(2 / 51, rel=1e-12)]
    assert comparison.crossovers[0]["leader_below"] == "o4" and comparison.crossovers[0]["leader_above"] == "mini"
    ranks = {row["target"]: row["ranks"] for row in comparison.targets}
    assert ranks[0.0] == ranks[0.03] == [2, 1]
    assert ranks[0.05] == ranks[0.5] == ranks[0.9] == [1, 2]
    # The scores are response_rates' with the target grader (the package's one formula).
    for row in comparison.targets:
        for counts, score in zip((MINI, O4), row["scores"]):
            expected = response_rates(100, counts[0] + counts[1], counts[0], target_grader(row["target"]))["score"]
            assert score == pytest.approx(expected, abs=1e-12)


def test_crossover_none_when_one_model_dominates():
    assert crossover_target(0.5, 0.1, 0.4, 0.2) is None  # more right and fewer wrong
    assert crossover_target(0.4, 0.2, 0.4, 0.1) is None  # equal right: the lower error rate always wins (t > 0)
    comparison = compare_results([_model((5, 1, 4), "a"), _model((4, 2, 4), "b")], n_resamples=0)
    assert comparison.crossovers == [] and "the ranking is the same at every target" in comparison.to_text()


def test_items_matched_by_id_and_unmatched_reported():
    a = _model((2, 1, 1), "a", ids=["w", "x", "y", "z"])
    b = _model((1, 1, 1), "b", ids=["y", "x", "v"])
    comparison = compare_results([a, b], n_resamples=0)
    assert comparison.n_items == 2 and comparison.unmatched == {"a": 2, "b": 1}
    # Common items x (a: correct, b: wrong) and y (a: wrong, b: correct).
    assert comparison.correct == [0.5, 0.5] and comparison.wrong == [0.5, 0.5]
    with pytest.raises(ValueError, match="`results` must be results sharing at least one item id"):
        compare_results([a, _model((1, 0, 0), "c", ids=["q"])])


def test_bootstrap_is_seeded_and_paired():
    a, b = _model((40, 30, 30), "a"), _model((35, 20, 45), "b")
    one = compare_results([a, b], n_resamples=300, seed=7).to_dict()
    assert compare_results([a, b], n_resamples=300, seed=7).to_dict() == one
    assert compare_results([a, b], n_resamples=300, seed=8).to_dict() != one
    # A model against itself: every paired resample gives a difference of exactly 0.
    same = compare_results([a, GradedResults(a.ids, a.answered, a.correct, None, None, "a2")], n_resamples=200, seed=1)
    assert all(d["low"] == d["high"] == 0.0 for d in same.differences)


def test_bootstrap_standard_error_matches_the_binomial_one():
    # At t = 0 the score is the accuracy c; its bootstrap SD should be sqrt(c(1 − c)/n). With
    # B = 4000 resamples the SD estimate has relative SE ~ 1/sqrt(2B) ≈ 1.1%; 6% is over 5 SE.
    n, c = 400, 0.3
    a = _model((int(c * n), int(0.5 * n), n - int(c * n) - int(0.5 * n)), "a")
    comparison = compare_results([a], targets=[0.0], n_resamples=4000, seed=3)
    cb, _ = comparison.resampled
    assert np.std(cb[:, 0]) == pytest.approx(np.sqrt(c * (1 - c) / n), rel=0.06)


def test_curve_agrees_with_the_per_target_scores():
    comparison = compare_results([_model(MINI, "mini"), _model(O4, "o4")], targets=[0.0, 0.5], n_resamples=50, seed=0)
    curve = comparison.curve([0.0, 0.5])
    for i, name in enumerate(comparison.models):
        np.testing.assert_allclose(curve[name]["score"], [row["scores"][i] for row in comparison.targets], atol=1e-12)
        assert np.all(curve[name]["low"] <= curve[name]["score"] + 1e-12)


def _csv(path, counts):
    c, w, a = counts
    rows = ["correct"] * c + ["incorrect"] * w + ["abstain"] * a
    path.write_text("id,outcome\n" + "".join(f"{i},{r}\n" for i, r in enumerate(rows)))
    return path


def test_command_compares_files_and_plots(tmp_path, capsys):
    mini, o4 = _csv(tmp_path / "mini.csv", MINI), _csv(tmp_path / "o4.csv", O4)
    assert main(["score", str(mini), str(o4), "--names", "gpt-5-thinking-mini,o4-mini", "--bootstrap", "200", "--plot", str(tmp_path / "fig"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["comparison"]["crossovers"][0]["target"] == pytest.approx(2 / 51)
    assert set(out["reports"]) == {"gpt-5-thinking-mini", "o4-mini"}
    assert (tmp_path / "fig.png").stat().st_size > 0 and (tmp_path / "fig.pdf").stat().st_size > 0
    assert main(["score", str(mini), str(o4), "--bootstrap", "0"]) == 0
    text = capsys.readouterr().out
    assert "t* = 0.0392: o4.csv leads below, mini.csv above" in text


def test_command_bad_comparison_options(tmp_path, capsys):
    mini = _csv(tmp_path / "mini.csv", MINI)
    for argv, pattern in ([[str(mini), str(mini), "--names", "a"], "`--names` must be 2 distinct"],
                          [[str(mini), "--bootstrap", "-3"], "`--bootstrap` must be an integer from 0 to 1000000"],
                          [[str(mini), "--level", "1.5"], "`--level` must be a number in \\(0, 1\\)"],
                          [[str(mini), str(mini), "--group-by", "x"], "`--group-by` must be used with one FILE only"]):
        assert main(["score", *argv]) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and len(captured.err.splitlines()) == 1
        assert re.search(pattern, captured.err), captured.err
