"""Scoring real graded results: the fixture files checked by hand, every bad-file mode, the CLI."""

import argparse
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallusim.cli import main
from hallusim.cli._score import add_parsers, parse_targets
from hallusim.evallogs import (
    ResultsFileError,
    read_results,
    risk_coverage_curve,
    score_results,
)

DATA = Path(__file__).parents[1] / "data"
FIXTURE = DATA / "scoring_fixture.csv"
SIMPLEQA = DATA / "scoring_simpleqa.jsonl"


def _by_target(rows):
    return {row["target"]: row for row in rows}


# -- the fixture, by hand --------------------------------------------------------------------
# scoring_fixture.csv: correct = items 1, 2, 7, 10 (4); incorrect = 3, 4, 9 (3); abstain = 5, 6, 8 (3).
def test_fixture_as_submitted():
    report = score_results(FIXTURE, labels="simpleqa")
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
    s = score_results(FIXTURE, labels="simpleqa").simpleqa
    assert s["correct"] == pytest.approx(0.4)
    assert s["incorrect"] == pytest.approx(0.3)
    assert s["not_attempted"] == pytest.approx(0.3)
    assert s["accuracy_given_attempted"] == pytest.approx(4 / 7)
    # F1 = 2·(4/7)·0.4 / (4/7 + 0.4) = 3.2/6.8.
    assert s["f1"] == pytest.approx(3.2 / 6.8)


def test_fixture_risk_coverage():
    # Answered (confidence, outcome): 0.95 C, 0.9 C, 0.8 W, 0.6 W, 0.7 C, 0.55 W, 0.4 C.
    rows = _by_target(score_results(FIXTURE, labels="simpleqa").risk_coverage)
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
    # Answered items in 10 equal-width bins closed on the right ((k−1)/10, k/10]: bin 9 {0.95 C}
    # gap 0.05; bin 8 {0.9 C} 0.1; bin 7 {0.8 W} 0.8; bin 6 {0.7 C} 0.3; bin 5 {0.6 W, 0.55 W}
    # conf 0.575 acc 0 (x2); bin 3 {0.4 C} 0.6. ECE = (0.05 + 0.1 + 0.8 + 0.3 + 1.15 + 0.6)/7 = 3.0/7.
    cal = score_results(FIXTURE, labels="simpleqa").calibration
    assert cal.ece == pytest.approx(3.0 / 7, rel=1e-12)
    assert cal.n == 7
    assert cal.counts.tolist() == [0, 0, 0, 1, 0, 2, 1, 1, 1, 1]
    assert cal.closed == "right"
    # Closed on the left [k/10, (k+1)/10): bin 9 {0.95 C, 0.9 C} gap 0.075 (x2); bin 8 {0.8 W} 0.8;
    # bin 7 {0.7 C} 0.3; bin 6 {0.6 W} 0.6; bin 5 {0.55 W} 0.55; bin 4 {0.4 C} 0.6. ECE = 3.0/7 again.
    left = score_results(FIXTURE, labels="simpleqa", closed="left").calibration
    assert left.counts.tolist() == [0, 0, 0, 0, 1, 1, 1, 1, 1, 2]
    assert left.ece == pytest.approx(3.0 / 7, rel=1e-12)


def test_fixture_ece_equal_mass():
    # 2 equal-mass bins of the 7 answered items, ascending: {0.4 C, 0.55 W, 0.6 W, 0.7 C} conf
    # 0.5625 acc 0.5; {0.8 W, 0.9 C, 0.95 C} conf 0.88333 acc 2/3. ECE = (4·0.0625 + 3·(2.65/3 − 2/3))/7 = 0.9/7.
    cal = score_results(FIXTURE, labels="simpleqa", binning="equal_mass", n_bins=2).calibration
    assert cal.counts.tolist() == [4, 3]
    assert cal.ece == pytest.approx(0.9 / 7, rel=1e-12)


def test_fixture_aurc():
    # Answered items by descending confidence: 0.95 C, 0.9 C, 0.8 W, 0.7 C, 0.6 W, 0.55 W, 0.4 C.
    # Risk of the i most confident: 0, 0, 1/3, 1/4, 2/5, 3/6, 3/7; AURC = their mean = 803/2940.
    assert score_results(FIXTURE, labels="simpleqa").aurc == pytest.approx(803 / 2940, rel=1e-12)


def test_fixture_groups():
    report = score_results(FIXTURE, labels="simpleqa", group_by="subject")
    assert sorted(report.groups) == ["history", "math"]
    math_rows = _by_target(report.groups["math"].targets)  # items 1, 2 C; 3, 9 W; 8 abstain
    history_rows = _by_target(report.groups["history"].targets)  # items 7, 10 C; 4 W; 5, 6 abstain
    assert math_rows[0.75]["score"] == pytest.approx((2 - 6) / 5)
    assert history_rows[0.75]["score"] == pytest.approx((2 - 3) / 5)
    assert report.groups["history"].n_abstain == 2


def test_simpleqa_booleans_jsonl():
    report = score_results(SIMPLEQA, labels="simpleqa")
    assert (report.n_correct, report.n_incorrect, report.n_abstain) == (2, 1, 1)
    assert _by_target(report.targets)[0.5]["score"] == pytest.approx(0.25)
    # F1 = 2·(2/3)·0.5 / (2/3 + 0.5) = 4/7.
    assert report.simpleqa["f1"] == pytest.approx(4 / 7)
    assert report.risk_coverage is None and report.calibration is None


def test_arrays_api_matches_file():
    results = read_results(FIXTURE, labels="simpleqa")
    outcomes = np.where(results.answered, np.where(results.correct, "correct", "incorrect"), "abstain")
    from_arrays = score_results(outcomes, confidence=results.confidence)
    from_file = score_results(FIXTURE, labels="simpleqa")
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
    with pytest.raises(ValueError, match="`targets` must be a non-empty sequence of floats in \\[0, 1\\)"):
        score_results(["correct"], targets=[])
    with pytest.raises(ValueError, match="`binning` must be one of 'equal_width', 'equal_mass'"):
        score_results(["correct"], binning="equal-width")
    with pytest.raises(ValueError, match="`closed` must be one of 'right', 'left'"):
        score_results(["correct"], closed="both")


def test_arguments_that_do_not_apply_are_refused():
    # groups= with a file used to be blamed on `confidence`; group_by= with arrays was ignored.
    with pytest.raises(ValueError, match="`groups` must be None when scoring a file"):
        score_results(FIXTURE, labels="simpleqa", groups=["a"] * 10)
    with pytest.raises(ValueError, match="`confidence` must be None when scoring a file"):
        score_results(FIXTURE, labels="simpleqa", confidence=[0.5] * 10)
    with pytest.raises(ValueError, match="`group_by` must be None when scoring outcome labels \\(give the labels as `groups`\\); got 'subject'"):
        score_results(["correct"], group_by="subject")
    with pytest.raises(ValueError, match="`group_by` must be None when scoring GradedResults"):
        score_results(read_results(FIXTURE, labels="simpleqa"), group_by="subject")


def test_simpleqa_when_nothing_is_attempted_follows_simple_evals():
    # simple-evals: accuracy_given_attempted = 0 (not undefined) when nothing is attempted, F1 = 0.
    # Every spelling of SimpleQA's third grade is an abstention.
    report = score_results(["C", "not attempted", "NOT-ATTEMPTED", "Not_Attempted", "abstain", "IDK"], labels="simpleqa")
    assert report.n_abstain == 6
    assert report.simpleqa == {"correct": 0.0, "incorrect": 0.0, "not_attempted": 1.0, "accuracy_given_attempted": 0.0, "f1": 0.0}
    assert score_results(["incorrect"]).simpleqa["f1"] == 0.0  # attempted, none correct
    assert json.loads(json.dumps(report.to_dict(), allow_nan=False))["simpleqa"]["accuracy_given_attempted"] == 0.0


def test_risk_coverage_curve_by_hand():
    # Answer iff confidence > t. Confidences 0.9 C, 0.5 W, 0.9 W, 0.2 C. t in [0.5, 0.9): the two
    # 0.9s (risk 1/2); t in [0.2, 0.5): three (risk 2/3); t < 0.2: all (risk 1/2).
    # AURC = 0.5·0.5 + 0.25·(2/3) + 0.25·0.5 = 13/24.
    curve = risk_coverage_curve([0.9, 0.5, 0.9, 0.2], [True, False, False, True])
    assert curve.thresholds.tolist() == [0.5, 0.2, -np.inf]
    assert curve.coverage.tolist() == [0.5, 0.75, 1.0]
    assert curve.risk.tolist() == [0.5, 2 / 3, 0.5]
    assert curve.aurc == pytest.approx(13 / 24, rel=1e-12)


@given(st.lists(st.tuples(st.sampled_from([0.0, 0.1, 0.5, 0.7, 0.9, 1.0]) | st.floats(0, 1), st.booleans()), min_size=1, max_size=40))
def test_risk_coverage_curve_against_brute_force(items):
    conf = np.array([c for c, _ in items])
    correct = np.array([k for _, k in items])
    curve = risk_coverage_curve(conf, correct)
    # Every operating point is "answer iff confidence > t" for its threshold, and every
    # non-empty selection of that form appears once.
    for t, coverage, risk in zip(curve.thresholds, curve.coverage, curve.risk):
        kept = conf > t
        assert coverage == pytest.approx(kept.mean(), abs=1e-15)
        assert risk == pytest.approx((~correct[kept]).mean(), abs=1e-15)
    selections = {tuple(conf > t) for t in np.append(np.unique(conf), -1.0)} - {(False,) * conf.size}
    assert len(selections) == curve.thresholds.size
    # Tied confidences enter together: the AURC does not depend on the order of the items.
    order = np.random.default_rng(0).permutation(conf.size)
    assert risk_coverage_curve(conf[order], correct[order]).aurc == pytest.approx(curve.aurc, abs=1e-15)
    if np.unique(conf).size == conf.size:  # no ties: Geifman et al.'s per-item mean
        wrong = ~correct[np.argsort(-conf)]
        assert curve.aurc == pytest.approx(np.mean(np.cumsum(wrong) / np.arange(1, conf.size + 1)), abs=1e-12)


@pytest.mark.parametrize(
    "confidence, correct, message",
    [
        ([], [], "`confidence` must be a non-empty 1-D array of probabilities in \\[0, 1\\]"),
        ([0.5, np.nan], [True, False], "`confidence` must be probabilities in \\[0, 1\\]; got nan at flat index 1"),
        ([0.5, 2.0], [True, False], "`confidence` must be probabilities in \\[0, 1\\]; got 2.0 at flat index 1"),
        ([0.5, 0.7], [True], "`correct` must be an array of length 2"),
        ([0.5], [3], "`correct` must be booleans or 0/1 values"),
    ],
)
def test_risk_coverage_curve_validation(confidence, correct, message):
    with pytest.raises(ValueError, match=message):
        risk_coverage_curve(confidence, correct)


# -- bad files: every failure mode names the file, the line and the field ---------------------
BAD_FILES = [
    ("unknown_outcome.csv", "id,outcome\n1,correct\n2,maybe\n", "line 3: `outcome` must be one of"),
    ("confidence_range.csv", "id,outcome,confidence\n1,correct,0.5\n2,correct,1.5\n", "line 3: `confidence` must be a number in \\[0, 1\\]; got '1.5'"),
    ("confidence_text.csv", "id,outcome,confidence\n1,correct,high\n", "line 2: `confidence` must be a number in \\[0, 1\\]; got 'high'"),
    ("confidence_underscore.csv", "id,outcome,confidence\n1,correct,0.7_5\n", "line 2: `confidence` must be a number in \\[0, 1\\]; got '0.7_5'"),
    ("confidence_nan.jsonl", '{"id": 1, "outcome": "correct", "confidence": NaN}\n', "line 1: `confidence` must be a number in \\[0, 1\\]; got 'nan'"),
    ("confidence_missing.csv", "id,outcome,confidence\n1,abstain,\n2,incorrect,\n", "line 3: `confidence` must be a number in \\[0, 1\\] on every answered row; got a missing value"),
    ("no_outcome_column.csv", "id,answer\n1,Paris\n", "line 1: `outcome` must be a column of the file"),
    ("no_id_column.csv", "outcome\ncorrect\n", "line 1: `id` must be a column of the file"),
    ("duplicate_column.csv", "id,outcome,confidence,confidence\n1,correct,0.9,0.1\n", "line 1: `confidence` must be unique among the column names; got 2 columns named 'confidence'"),
    ("short_row.csv", "id,outcome,confidence\n1,correct,0.5\n2\n", "line 3, item '2': `outcome` has no binary outcome \\(a missing value\\); choose what it counts as with --unscored"),
    ("long_row.csv", "id,outcome\n1,correct,extra\n", "line 2: `row` must be at most 2 fields"),
    ("unclosed_quote.csv", 'id,outcome\n1,"correct\n', "line 2: not valid CSV \\(unexpected end of data\\)"),
    ("text_after_quote.csv", 'id,outcome\n1,"correct"x\n2,correct\n', "line 2: not valid CSV \\(',' expected after '\"'\\)"),
    ("after_multiline_record.csv", 'id,outcome,note\n1,correct,"two\nlines"\n2,maybe,x\n', "line 4: `outcome` must be one of"),
    ("long_bad_value.csv", "id,outcome\n1," + "x" * 1000 + "\n", "line 2: `outcome` must be one of .*; got 'x{60}'\\.\\.\\. \\(1000 characters\\)"),
    ("not_utf8.csv", b"id,outcome\n1,correct\n2,\xffcorrect\n", "line 3: not UTF-8 text \\(byte 0xff\\)"),
    ("duplicate_id.csv", "id,outcome\n7,correct\n7,incorrect\n", "line 3: `id` must be unique \\(already used on line 2\\)"),
    ("empty_id.csv", "id,outcome\n,correct\n", "line 2: `id` must be a non-empty identifier"),
    ("missing_key.jsonl", '{"id": 1, "outcome": "correct"}\n{"id": 2}\n', "line 2: `outcome` must be present in every row"),
    ("duplicate_key.jsonl", '{"id": 1, "outcome": "correct", "outcome": "incorrect"}\n', "line 1: `outcome` must be a key given once per object; got 2 keys 'outcome'"),
    ("bad_json.jsonl", '{"id": 1, "outcome": "correct"}\n{"id": 2, "outcome": \n', "line 2: not valid JSON"),
    ("deep_json.jsonl", '{"id": 1, "outcome": "correct"}\n' + "[" * 100_000 + "]" * 100_000 + "\n", "line 2: not valid JSON \\(nested too deeply to read\\)"),
    ("not_object.jsonl", '[1, 2]\n', "line 1: `row` must be a JSON object"),
    ("two_flags.jsonl", '{"id": 1, "is_correct": true, "is_incorrect": true, "is_not_attempted": false}\n', "line 1: `is_correct/is_incorrect/is_not_attempted` must be exactly one true"),
    ("bad_flag.jsonl", '{"id": 1, "is_correct": "maybe", "is_incorrect": false, "is_not_attempted": false}\n', "line 1: `is_correct` must be a boolean"),
    ("disagree.jsonl", '{"id": 1, "outcome": "incorrect", "is_correct": true, "is_incorrect": false, "is_not_attempted": false}\n', "line 1: `outcome` must be consistent with the boolean columns"),
    ("empty.csv", "", "the file is empty"),
    ("header_only.csv", "id,outcome\n", "no graded items"),
    ("empty.jsonl", "\n\n", "no graded rows"),
]


def _write(path, content):
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize("name, content, message", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_files(tmp_path, name, content, message):
    path = _write(tmp_path / name, content)
    with pytest.raises(ResultsFileError, match=message) as info:
        score_results(path)
    assert str(info.value).startswith(str(path))
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("name, content, message", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_files_through_the_command(tmp_path, capsys, name, content, message):
    # The contract of `hallusim score`: exit status 2, one line on stderr naming the file (and
    # the line and field), no traceback, nothing on stdout.
    path = _write(tmp_path / name, content)
    for extra in ([], ["--json"]):
        assert main(["score", str(path), *extra]) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        lines = captured.err.splitlines()
        assert len(lines) == 1, captured.err
        assert lines[0].startswith(f"hallusim: error: {path}")
        assert "Traceback" not in captured.err
        assert re.search(message, lines[0]), lines[0]


def test_long_fields_and_long_integer_ids_are_read(tmp_path):
    # A 200 000-character model response (over the csv module's default 131 072 limit) in an
    # ignored column, and a 5000-digit integer id (over Python's int() digit limit).
    csv_path = _write(tmp_path / "long.csv", 'id,outcome,response\n1,correct,"' + "y" * 200_000 + '"\n2,incorrect,short\n')
    assert score_results(csv_path).n_correct == 1
    json_path = _write(tmp_path / "long.jsonl", '{"id": ' + "9" * 5000 + ', "outcome": "A"}\n{"id": 1, "outcome": "B"}\n')
    results = read_results(json_path, labels="simpleqa")
    assert results.ids == ["9" * 5000, "1"]


def test_duplicate_ignored_columns_are_harmless(tmp_path):
    path = _write(tmp_path / "r.csv", "id,note,outcome,note\n1,a,correct,b\n")
    assert score_results(path).n_correct == 1


def test_score_reads_a_pipe(capsys):
    # `hallusim score <(printf ...)`: a pipe cannot seek; the file is read once and sniffed in memory.
    read_end, write_end = os.pipe()
    os.write(write_end, b"id,outcome,confidence\n1,correct,0.9\n2,not attempted,\n")
    os.close(write_end)
    try:
        assert main(["score", f"/dev/fd/{read_end}", "--json"]) == 0
    finally:
        os.close(read_end)
    out = json.loads(capsys.readouterr().out)
    assert out["counts"] == {"correct": 1, "incorrect": 0, "abstain": 1}


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
    assert score_results(path, labels="simpleqa").n_abstain == 1


# -- the command ---------------------------------------------------------------------------------
def _run(argv):
    parser = argparse.ArgumentParser(prog="hallusim")
    add_parsers(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def test_score_command_prints_exactly_one_json_object(capsys):
    assert main(["score", str(FIXTURE), "--labels", "simpleqa", "--json", "--group-by", "subject"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.count("\n") == 1 and captured.out.endswith("\n")
    out = json.loads(captured.out)  # one object, nothing before or after it
    assert isinstance(out, dict) and set(out["groups"]) == {"history", "math"}
    assert out["aurc"] == pytest.approx(803 / 2940)


def test_score_command_binning_options(capsys):
    assert main(["score", str(FIXTURE), "--labels", "simpleqa", "--json", "--binning", "equal-mass", "--bins", "2"]) == 0
    cal = json.loads(capsys.readouterr().out)["calibration"]
    assert (cal["binning"], cal["closed"], cal["ece"]) == ("equal_mass", None, pytest.approx(0.9 / 7))
    assert main(["score", str(FIXTURE), "--labels", "simpleqa", "--json", "--bin-closed", "left"]) == 0
    cal = json.loads(capsys.readouterr().out)["calibration"]
    assert [b["count"] for b in cal["bins"]] == [0, 0, 0, 0, 1, 1, 1, 1, 1, 2]
    assert main(["score", str(FIXTURE), "--labels", "simpleqa", "--bins", "0"]) == 2
    assert "`--bins` must be an integer >= 1; got 0." in capsys.readouterr().err


def test_score_command_json(capsys):
    assert _run(["score", str(FIXTURE), "--labels", "simpleqa", "--json", "--targets", "0,0.75", "--group-by", "subject"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n"] == 10 and out["counts"] == {"correct": 4, "incorrect": 3, "abstain": 3}
    assert [row["target"] for row in out["targets"]] == [0.0, 0.75]
    assert out["targets"][1]["score"] == pytest.approx(-0.5)
    assert out["risk_coverage"][1]["score"] == pytest.approx(-0.1)
    assert out["calibration"]["ece"] == pytest.approx(3.0 / 7)
    assert out["simpleqa"]["f1"] == pytest.approx(3.2 / 6.8)
    assert out["groups"]["math"]["targets"][1]["score"] == pytest.approx(-0.8)


def test_score_command_json_null_for_undefined(capsys):
    assert _run(["score", str(FIXTURE), "--labels", "simpleqa", "--json", "--targets", "0.95"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["risk_coverage"][0]["accuracy_answered"] is None  # nothing above 0.95


def test_score_command_text(capsys):
    assert _run(["score", str(FIXTURE), "--labels", "simpleqa"]) == 0
    text = capsys.readouterr().out
    assert "10 items, 4 correct, 3 incorrect, 3 abstained" in text
    assert "ECE  0.429 (10 equal-width bins, closed on the right, 7 answered items)" in text
    assert "area under the risk-coverage curve (AURC) of the answered items  0.273" in text


def test_score_command_bad_input_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,outcome\n1,correct\n2,perhaps\n")
    with pytest.raises(ValueError, match="bad.csv, line 3: `outcome`"):
        _run(["score", str(bad), "--json"])
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match="`--targets` must be comma-separated numbers in \\[0, 1\\)"):
        _run(["score", str(FIXTURE), "--labels", "simpleqa", "--targets", "0,1"])
    assert capsys.readouterr().out == ""


def test_parse_targets():
    assert parse_targets("0,0.5,0.75,0.9") == [0.0, 0.5, 0.75, 0.9]
    with pytest.raises(ValueError, match="`--targets`"):
        parse_targets("0.5,x")
