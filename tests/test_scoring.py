"""Scoring real graded results: the fixture files checked by hand, every bad-file mode, the CLI."""

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from hallusim._cli_score import add_parser, parse_targets
from hallusim.scoring import ResultsFileError, read_results, risk_coverage_curve, score_results

DATA = Path(__file__).parent / "data"
FIXTURE = DATA / "scoring_fixture.csv"
SIMPLEQA = DATA / "scoring_simpleqa.jsonl"


def _by_target(rows):
    return {row["target"]: row for row in rows}


# -- the fixture, by hand --------------------------------------------------------------------
# scoring_fixture.csv: correct = items 1, 2, 7, 10 (4); incorrect = 3, 4, 9 (3); abstain = 5, 6, 8 (3).
def test_fixture_as_submitted():
    report = score_results(FIXTURE)
    assert (report.n, report.n_correct, report.n_incorrect, report.n_abstain) == (10, 4, 3, 3)
    rows = _by_target(report.targets)
    # score = (#correct − t/(1−t)·#incorrect)/n: 0.4, (4−3)/10, (4−9)/10, (4−27)/10.
    for t, score, penalty in [(0.0, 0.4, 0.0), (0.5, 0.1, 1.0), (0.75, -0.5, 3.0), (0.9, -2.3, 9.0)]:
        assert rows[t]["score"] == pytest.approx(score, abs=1e-12)
        assert rows[t]["penalty"] == pytest.approx(penalty, rel=1e-12)
        assert rows[t]["answer_rate"] == pytest.approx(0.7)
        assert rows[t]["accuracy_answered"] == pytest.approx(4 / 7)
        assert rows[t]["error_rate"] == pytest.approx(0.3)


def test_fixture_simpleqa_metrics():
    s = score_results(FIXTURE).simpleqa
    assert s["correct"] == pytest.approx(0.4)
    assert s["incorrect"] == pytest.approx(0.3)
    assert s["not_attempted"] == pytest.approx(0.3)
    assert s["accuracy_given_attempted"] == pytest.approx(4 / 7)
    # F1 = 2·(4/7)·0.4 / (4/7 + 0.4) = 3.2/6.8.
    assert s["f1"] == pytest.approx(3.2 / 6.8)


def test_fixture_risk_coverage():
    # Answered (confidence, outcome): 0.95 C, 0.9 C, 0.8 W, 0.6 W, 0.7 C, 0.55 W, 0.4 C.
    rows = _by_target(score_results(FIXTURE).risk_coverage)
    assert rows[0.0]["score"] == pytest.approx(0.4)
    # t = 0.5 keeps > 0.5: 3 correct, 3 wrong -> (3 − 3)/10.
    assert rows[0.5]["score"] == pytest.approx(0.0, abs=1e-12)
    assert rows[0.5]["answer_rate"] == pytest.approx(0.6)
    assert rows[0.5]["accuracy_answered"] == pytest.approx(0.5)
    # t = 0.75 keeps 0.95, 0.9, 0.8: 2 correct, 1 wrong -> (2 − 3)/10.
    assert rows[0.75]["score"] == pytest.approx(-0.1)
    assert rows[0.75]["error_rate"] == pytest.approx(0.1)
    # t = 0.9 keeps only 0.95 (0.9 is not > 0.9): 1/10.
    assert rows[0.9]["score"] == pytest.approx(0.1)
    assert rows[0.9]["answer_rate"] == pytest.approx(0.1)
    assert rows[0.9]["accuracy_answered"] == 1.0


def test_fixture_ece():
    # Answered items in 10 equal-width bins: bin 9 {0.95 C, 0.9 C} gap 0.075 (x2); bin 8 {0.8 W} 0.8;
    # bin 7 {0.7 C} 0.3; bin 6 {0.6 W} 0.6; bin 5 {0.55 W} 0.55; bin 4 {0.4 C} 0.6. ECE = 3.0/7.
    cal = score_results(FIXTURE).calibration
    assert cal.ece == pytest.approx(3.0 / 7, rel=1e-12)
    assert cal.n == 7
    assert cal.counts.tolist() == [0, 0, 0, 0, 1, 1, 1, 1, 1, 2]


def test_fixture_groups():
    report = score_results(FIXTURE, group_by="subject")
    assert sorted(report.groups) == ["history", "math"]
    math_rows = _by_target(report.groups["math"].targets)  # items 1, 2 C; 3, 9 W; 8 abstain
    history_rows = _by_target(report.groups["history"].targets)  # items 7, 10 C; 4 W; 5, 6 abstain
    assert math_rows[0.75]["score"] == pytest.approx((2 - 6) / 5)
    assert history_rows[0.75]["score"] == pytest.approx((2 - 3) / 5)
    assert report.groups["history"].n_abstain == 2


def test_simpleqa_booleans_jsonl():
    report = score_results(SIMPLEQA)
    assert (report.n_correct, report.n_incorrect, report.n_abstain) == (2, 1, 1)
    assert _by_target(report.targets)[0.5]["score"] == pytest.approx(0.25)
    # F1 = 2·(2/3)·0.5 / (2/3 + 0.5) = 4/7.
    assert report.simpleqa["f1"] == pytest.approx(4 / 7)
    assert report.risk_coverage is None and report.calibration is None


def test_arrays_api_matches_file():
    results = read_results(FIXTURE)
    outcomes = np.where(results.answered, np.where(results.correct, "correct", "incorrect"), "abstain")
    from_arrays = score_results(outcomes, confidence=results.confidence)
    from_file = score_results(FIXTURE)
    assert from_arrays.targets == from_file.targets
    assert from_arrays.risk_coverage == from_file.risk_coverage
    assert from_arrays.calibration.ece == from_file.calibration.ece


def test_arrays_api_validation():
    with pytest.raises(ValueError, match="`outcomes` must be one of correct"):
        score_results(["correct", "maybe"])
    with pytest.raises(ValueError, match="`confidence` must be in \\[0, 1\\] \\(NaN allowed only on abstentions\\); got nan at index 0"):
        score_results(["correct"], confidence=[np.nan])
    with pytest.raises(ValueError, match="`targets` must be a finite float in \\[0.0, 1.0\\)"):
        score_results(["correct"], targets=[1.0])


def test_risk_coverage_curve():
    thresholds, coverage, risk = risk_coverage_curve([0.9, 0.5, 0.9, 0.2], [True, False, False, True])
    assert thresholds.tolist() == [0.9, 0.5, 0.2]
    assert coverage.tolist() == [0.5, 0.75, 1.0]
    assert risk.tolist() == [0.5, 2 / 3, 0.5]


# -- bad files: every failure mode names the file, the line and the field ---------------------
BAD_FILES = [
    ("unknown_outcome.csv", "id,outcome\n1,correct\n2,maybe\n", "line 3: `outcome` must be one of"),
    ("confidence_range.csv", "id,outcome,confidence\n1,correct,0.5\n2,correct,1.5\n", "line 3: `confidence` must be a number in \\[0, 1\\]; got '1.5'"),
    ("confidence_text.csv", "id,outcome,confidence\n1,correct,high\n", "line 2: `confidence` must be a number in \\[0, 1\\]; got 'high'"),
    ("confidence_missing.csv", "id,outcome,confidence\n1,abstain,\n2,incorrect,\n", "line 3: `confidence` must be a number in \\[0, 1\\] on every answered row; got a missing value"),
    ("no_outcome_column.csv", "id,answer\n1,Paris\n", "line 1: `outcome` must be a column of the file"),
    ("no_id_column.csv", "outcome\ncorrect\n", "line 1: `id` must be a column of the file"),
    ("short_row.csv", "id,outcome,confidence\n1,correct,0.5\n2\n", "line 3: `outcome` must be one of .*; got a missing value"),
    ("long_row.csv", "id,outcome\n1,correct,extra\n", "line 2: `row` must be at most 2 fields"),
    ("duplicate_id.csv", "id,outcome\n7,correct\n7,incorrect\n", "line 3: `id` must be unique \\(already used on line 2\\)"),
    ("empty_id.csv", "id,outcome\n,correct\n", "line 2: `id` must be a non-empty identifier"),
    ("missing_key.jsonl", '{"id": 1, "outcome": "A"}\n{"id": 2}\n', "line 2: `outcome` must be present in every row"),
    ("bad_json.jsonl", '{"id": 1, "outcome": "A"}\n{"id": 2, "outcome": \n', "line 2: not valid JSON"),
    ("not_object.jsonl", '[1, 2]\n', "line 1: `row` must be a JSON object"),
    ("two_flags.jsonl", '{"id": 1, "is_correct": true, "is_incorrect": true, "is_not_attempted": false}\n', "line 1: `is_correct/is_incorrect/is_not_attempted` must be exactly one true"),
    ("bad_flag.jsonl", '{"id": 1, "is_correct": "maybe", "is_incorrect": false, "is_not_attempted": false}\n', "line 1: `is_correct` must be a boolean"),
    ("disagree.jsonl", '{"id": 1, "outcome": "B", "is_correct": true, "is_incorrect": false, "is_not_attempted": false}\n', "line 1: `outcome` must be consistent with the boolean columns"),
    ("empty.csv", "", "the file is empty"),
    ("header_only.csv", "id,outcome\n", "no graded rows"),
    ("empty.jsonl", "\n\n", "no graded rows"),
]


@pytest.mark.parametrize("name, content, message", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_files(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(ResultsFileError, match=message) as info:
        score_results(path)
    assert str(info.value).startswith(str(path))
    assert isinstance(info.value, ValueError)


def test_missing_group_column(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("id,outcome\n1,correct\n")
    with pytest.raises(ResultsFileError, match="line 1: `subject` must be a column of the file \\(the grouping column\\)"):
        score_results(path, group_by="subject")


def test_missing_file(tmp_path):
    with pytest.raises(ResultsFileError, match="cannot be read"):
        score_results(tmp_path / "nope.csv")


def test_format_sniffed_without_suffix(tmp_path):
    path = tmp_path / "results.txt"
    path.write_text('{"id": 1, "outcome": "correct"}\n')
    assert score_results(path).n_correct == 1
    path.write_text("id,outcome\n1,incorrect\n")
    assert score_results(path).n_incorrect == 1


def test_tsv_and_bom(tmp_path):
    path = tmp_path / "results.tsv"
    path.write_text("\ufeffid\toutcome\n1\tC\n", encoding="utf-8")
    assert score_results(path).n_abstain == 1


# -- the command ---------------------------------------------------------------------------------
def _run(argv):
    parser = argparse.ArgumentParser(prog="hallusim")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def test_score_command_json(capsys):
    assert _run(["score", str(FIXTURE), "--json", "--targets", "0,0.75", "--group-by", "subject"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n"] == 10 and out["counts"] == {"correct": 4, "incorrect": 3, "abstain": 3}
    assert [row["target"] for row in out["targets"]] == [0.0, 0.75]
    assert out["targets"][1]["score"] == pytest.approx(-0.5)
    assert out["risk_coverage"][1]["score"] == pytest.approx(-0.1)
    assert out["calibration"]["ece"] == pytest.approx(3.0 / 7)
    assert out["simpleqa"]["f1"] == pytest.approx(3.2 / 6.8)
    assert out["groups"]["math"]["targets"][1]["score"] == pytest.approx(-0.8)


def test_score_command_json_null_for_undefined(capsys):
    assert _run(["score", str(FIXTURE), "--json", "--targets", "0.95"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["risk_coverage"][0]["accuracy_answered"] is None  # nothing above 0.95


def test_score_command_text(capsys):
    assert _run(["score", str(FIXTURE)]) == 0
    text = capsys.readouterr().out
    assert "10 items, 4 correct, 3 incorrect, 3 abstained" in text
    assert "ECE  0.429" in text


def test_score_command_bad_input_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,outcome\n1,correct\n2,perhaps\n")
    with pytest.raises(ValueError, match="bad.csv, line 3: `outcome`"):
        _run(["score", str(bad), "--json"])
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match="`--targets` must be comma-separated numbers in \\[0, 1\\)"):
        _run(["score", str(FIXTURE), "--targets", "0,1"])
    assert capsys.readouterr().out == ""


def test_parse_targets():
    assert parse_targets("0,0.5,0.75,0.9") == [0.0, 0.5, 0.75, 0.9]
    with pytest.raises(ValueError, match="`--targets`"):
        parse_targets("0.5,x")
