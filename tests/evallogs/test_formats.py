"""Readers of real evaluation tools' files, label vocabularies, the unscored policy, input rules.

Fixtures: tests/data/evallogs/ (README.md there names each tool's source file and commit and the
expected values by hand). Tests that run inspect-ai or lm-eval themselves are in test_clients.py.
"""

import gzip
import io
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hallusim.cli import main
from hallusim.evallogs import ResultsFileError, read_results, score_results

DATA = Path(__file__).parents[1] / "data" / "evallogs"
LMEVAL = DATA / "samples_tiny_mc_2026-12-02T14-57-26.493431.jsonl"
SIMPLE = DATA / "simpleqa_model_20261202_allresults.json"
SIMPLE_LETTERED = DATA / "simpleqa_lettered_20261202_allresults.json"
HELM = DATA / "per_instance_stats.json"
HELM_TIE = DATA / "helm_tie_per_instance_stats.json"


def _one_error_line(capsys, argv, *patterns):
    """The contract of `hallusim score` on bad input: exit 2, one line on stderr, nothing on stdout."""
    assert main(["score", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("hallusim: error: ") and "Traceback" not in captured.err
    for pattern in patterns:
        assert re.search(pattern, lines[0]), lines[0]
    return lines[0]


# -- labels without traps ---------------------------------------------------------------------
def test_an_all_correct_inspect_column_is_never_read_as_abstentions(tmp_path, capsys):
    # An Inspect log flattened to an outcome column: C means CORRECT there, NOT_ATTEMPTED in SimpleQA.
    path = tmp_path / "flat.csv"
    path.write_text("id,outcome\n1,C\n2,C\n3,C\n")
    _one_error_line(capsys, [str(path)], str(path), "line 2", "`outcome`", "--labels simpleqa", "--labels inspect")
    assert score_results(path, labels="inspect").n_correct == 3
    assert score_results(path, labels="simpleqa").n_abstain == 3
    with pytest.raises(ValueError, match="bare letters need --labels"):
        score_results(["C", "I"])
    assert score_results(["C", "I", "N"], labels="inspect").simpleqa["correct"] == pytest.approx(1 / 3)


def test_unknown_label_names_the_vocabulary(tmp_path, capsys):
    path = tmp_path / "r.csv"
    path.write_text("id,outcome\n1,I\n")
    _one_error_line(capsys, [str(path), "--labels", "simpleqa"], "line 2", "`outcome`", "A/B/C", "got 'I'")


def test_unscored_policies_count_and_report(tmp_path, capsys):
    path = tmp_path / "r.jsonl"
    path.write_text('{"id": "a", "outcome": "C"}\n{"id": "b", "outcome": "P"}\n{"id": "c", "outcome": NaN}\n{"id": "d", "outcome": "I"}\n')
    line = _one_error_line(capsys, [str(path), "--labels", "inspect"], "line 2, item 'b'", "`outcome`", "partial credit", "--unscored")
    assert str(path) in line
    counts = {}
    for policy in ("abstain", "incorrect", "drop"):
        report = score_results(path, labels="inspect", read_options={"unscored": policy})
        counts[policy] = (report.n, report.n_correct, report.n_incorrect, report.n_abstain)
        assert any("2 unscored item(s)" in note and f"--unscored {policy}" in note for note in report.notes)
    assert counts == {"abstain": (4, 1, 1, 2), "incorrect": (4, 1, 3, 0), "drop": (2, 1, 1, 0)}
    assert main(["score", str(path), "--labels", "inspect", "--unscored", "drop"]) == 0
    assert "note: 2 unscored item(s) left out (--unscored drop)" in capsys.readouterr().out


def test_named_columns_and_dotted_paths(tmp_path):
    csv_path = tmp_path / "graded.csv"
    csv_path.write_text("question_id,grade_letter,p\nq1,A,0.9\nq2,B,0.2\nq3,C,\n")
    with pytest.raises(ResultsFileError, match="`id` must be a column of the file \\(the item id; name another with --id\\)"):
        read_results(csv_path)
    report = score_results(csv_path, labels="simpleqa", read_options={"columns": {"id": "question_id", "outcome": "grade_letter", "confidence": "p"}})
    assert (report.n_correct, report.n_incorrect, report.n_abstain) == (1, 1, 1)
    assert report.calibration.n == 2
    nested = tmp_path / "nested.jsonl"
    nested.write_text('{"sample": {"id": 1}, "scores": {"match": {"value": "C"}}}\n{"sample": {"id": 2}, "scores": {"match": {"value": "I"}}}\n')
    results = read_results(nested, labels="inspect", columns={"id": "sample.id", "outcome": "scores.match.value"})
    assert results.ids == ["1", "2"] and results.correct.tolist() == [True, False]
    with pytest.raises(ResultsFileError, match="`conf` must be a column of the file \\(the --confidence column\\)"):
        read_results(nested, labels="inspect", columns={"id": "sample.id", "outcome": "scores.match.value", "confidence": "conf"})


# -- input rules: stdin, gzip, other tools' files named ---------------------------------------
def test_stdin_and_gzip_are_read_from_one_stream(tmp_path):
    text = "id,outcome\n" + "".join(f"{i},{'correct' if i % 3 else 'incorrect'}\n" for i in range(5000))
    gz = tmp_path / "r.csv.gz"
    gz.write_bytes(gzip.compress(text.encode()))
    plain = tmp_path / "r.csv"
    plain.write_text(text)
    expected = score_results(plain)
    assert score_results(gz).to_dict()["counts"] == expected.to_dict()["counts"]
    # Through a pipe into standard input ('-'), gzipped: the command sees every row.
    command = [sys.executable, "-m", "hallusim.cli", "score", "-", "--json"]
    done = subprocess.run(command, input=gzip.compress(text.encode()), capture_output=True, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["n"] == 5000
    assert json.loads(done.stdout)["counts"] == expected.to_dict()["counts"]


def test_truncated_gzip_is_named(tmp_path, capsys):
    path = tmp_path / "r.csv.gz"
    path.write_bytes(gzip.compress(b"id,outcome\n1,correct\n" * 100)[:30])
    _one_error_line(capsys, [str(path)], str(path), "starts like gzip but does not decompress", "truncated")


def test_other_tools_files_are_named_not_misread(tmp_path, capsys):
    zipped = tmp_path / "log.csv"
    zipped.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    _one_error_line(capsys, [str(zipped), "--format", "table"], "this is an Inspect log, not a table; use --format inspect")
    _one_error_line(capsys, [str(HELM), "--format", "table"], "this is a HELM per_instance_stats.json, not a table; use --format helm")
    _one_error_line(capsys, [str(SIMPLE), "--format", "table"], "use --format simple-evals")
    doc = tmp_path / "doc.json"
    doc.write_text('{\n  "a": 1,\n  "b": 2\n}\n')
    _one_error_line(capsys, [str(doc)], "a JSON document \\(one object over several lines\\), not JSON Lines", "--format")


# -- issue 12, defects 5, 13 and 15 --------------------------------------------------------------
@pytest.mark.parametrize("bins", ["100000000", "99999999999999999999999", "11"])
def test_bins_bounded_by_the_items_and_named(tmp_path, capsys, bins):
    path = tmp_path / "r.csv"
    path.write_text("id,outcome,confidence\n1,correct,0.9\n2,incorrect,0.4\n3,correct,0.8\n4,correct,0.7\n")
    _one_error_line(capsys, [str(path), "--bins", bins], "`--bins` must be an integer from 1 to 10 \\(at most max\\(10, the number of items, 4\\)\\)")
    assert main(["score", str(path), "--bins", "10"]) == 0
    capsys.readouterr()


def test_bins_in_python_bounded_too():
    with pytest.raises(ValueError, match="`n_bins` must be an integer from 1 to 12"):
        score_results(["correct"] * 12, confidence=[0.5] * 12, n_bins=13)
    assert score_results(["correct"] * 12, confidence=[0.5] * 12, n_bins=12).calibration.counts.size == 12


def test_score_reads_gzip_instead_of_calling_it_not_utf8(tmp_path):
    path = tmp_path / "r.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"id": 1, "outcome": "correct"}\n'))
    assert score_results(path).n_correct == 1


# -- lm-evaluation-harness ---------------------------------------------------------------------------
def test_lm_eval_samples_file_by_hand():
    results = read_results(LMEVAL)
    assert results.ids == ["0", "1", "2"]
    assert results.correct.tolist() == [True, False, True] and results.answered.all()
    expected = [1 / (1 + math.exp(-1.5) + math.exp(-2.5)), 1 / (1 + math.exp(-0.8) + math.exp(-3.8)), 1 / (1 + math.exp(-1.4) + math.exp(-2.4))]
    np.testing.assert_allclose(results.confidence, expected, rtol=1e-12)
    assert any("filter 'none'" in n and "metric 'acc'" in n for n in results.notes)


def _lmeval_variant(tmp_path, edit):
    lines = [json.loads(line) for line in LMEVAL.read_text().splitlines()]
    for record in lines:
        edit(record)
    path = tmp_path / "samples_x.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    return path


def test_lm_eval_fractional_metric_and_filters(tmp_path, capsys):
    frac = _lmeval_variant(tmp_path, lambda r: r.update(acc=0.25) if r["doc_id"] == 1 else None)
    _one_error_line(capsys, [str(frac), "--metric", "acc"], "line 2 \\(doc_id 1\\), item '1'", "`acc`", "fractional value 0.25")
    assert score_results(frac, read_options={"metric": "acc", "unscored": "drop"}).n == 2

    def two_filters(record):
        record["filter"] = "strict-match"

    strict = _lmeval_variant(tmp_path, two_filters)
    both = tmp_path / "both.jsonl"
    both.write_text(strict.read_text() + LMEVAL.read_text().replace('"filter": "none"', '"filter": "flexible"'))
    _one_error_line(capsys, [str(both)], "`filter` must be chosen with --filter \\(the file's filters: strict-match, flexible\\)")
    assert read_results(both, filter_name="flexible").ids == ["0", "1", "2"]
    _one_error_line(capsys, [str(both), "--filter", "bogus"], "`filter` must be one of the file's filters")


# -- HELM ---------------------------------------------------------------------------------------------
def test_helm_per_instance_stats_by_hand():
    results = read_results(HELM)
    assert results.ids == ["id1", "id2", "id3", "id1|typo"]
    assert results.correct.tolist() == [True, False, True, False]
    assert results.confidence.tolist() == [0.9, 0.6, 0.7, 0.8]
    assert results.groups.tolist() == ["original", "original", "original", "typo"]
    report = score_results(results)
    assert report.groups["typo"].n_incorrect == 1 and report.groups["original"].n_correct == 2


def test_helm_fractional_exact_match_is_unscored(capsys):
    _one_error_line(capsys, [str(HELM_TIE)], "instance 'id9'", "`stats.exact_match.mean`", "fractional exact_match 0.5")
    assert score_results(HELM_TIE, read_options={"unscored": "incorrect"}).n_incorrect == 1


def test_helm_missing_stat(tmp_path, capsys):
    doc = json.loads(HELM.read_text())
    doc[1]["stats"] = [s for s in doc[1]["stats"] if s["name"]["name"] != "exact_match"]
    path = tmp_path / "per_instance_stats.json"
    path.write_text(json.dumps(doc))
    _one_error_line(capsys, [str(path)], "instance 'id2'", "`stats.exact_match` must be present")


# -- simple-evals ------------------------------------------------------------------------------------
def test_simple_evals_keeps_only_is_correct(capsys):
    line = _one_error_line(capsys, [str(SIMPLE)], "sample 1, item 'Capital of Australia\\?'", "`Score`", "only is_correct")
    assert str(SIMPLE) in line
    best = score_results(SIMPLE, read_options={"unscored": "abstain"})
    worst = score_results(SIMPLE, read_options={"unscored": "incorrect"})
    assert (best.n_correct, best.n_abstain, worst.n_incorrect) == (2, 2, 2)
    assert any("cannot be told apart" in note for note in best.notes)
    lettered = score_results(SIMPLE_LETTERED)
    assert (lettered.n_correct, lettered.n_incorrect, lettered.n_abstain) == (2, 1, 1)
    # simple-evals' own aggregates in the same file agree with the letters read per sample.
    metrics = json.loads(SIMPLE_LETTERED.read_text())["metrics"]
    assert lettered.simpleqa["correct"] == metrics["is_correct"] and lettered.simpleqa["incorrect"] == metrics["is_incorrect"]


# -- Inspect without inspect-ai --------------------------------------------------------------------
def test_inspect_without_the_client_says_what_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "inspect_ai", None)
    monkeypatch.setitem(sys.modules, "inspect_ai.log", None)
    path = tmp_path / "run.eval"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    _one_error_line(capsys, [str(path)], str(path), "needs inspect-ai", "pip install 'hallusim\\[evallogs-clients\\]'")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    _one_error_line(capsys, ["-"], "<stdin>: the file is empty")


# -- HELM's binning by hand; Inspect epochs (the reader's logic, on a stand-in for inspect-ai's log) --
def test_helm_binning_by_hand(tmp_path, capsys):
    from hallusim.posttraining.calibration import expected_calibration_error

    # Sorted 0.1, 0.2, 0.2, 0.9 in 2 groups [0.1, 0.2] [0.2, 0.9]: the cut is (0.2 + 0.2)/2 = 0.2,
    # so both 0.2s fall in the first bin (ties never split): bins {0.1, 0.2, 0.2} and {0.9}.
    cal = expected_calibration_error([0.2, 0.9, 0.1, 0.2], [1, 1, 0, 0], binning="helm", n_bins=2)
    assert cal.counts.tolist() == [3, 1]
    assert cal.ece == pytest.approx(0.75 * abs(1 / 3 - 0.5 / 3) + 0.25 * abs(1 - 0.9), abs=1e-12)
    # Equal-mass bins split the tie: {0.1, 0.2} and {0.2, 0.9}.
    assert expected_calibration_error([0.2, 0.9, 0.1, 0.2], [1, 1, 0, 0], binning="equal_mass", n_bins=2).counts.tolist() == [2, 2]
    assert main(["score", str(HELM), "--binning", "helm", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["groups"]["original"]["calibration"]["binning"] == "helm"


class _Score:
    def __init__(self, value):
        self.value = value


class _Sample:
    def __init__(self, sample_id, epoch, value, error=None):
        self.id, self.epoch, self.error, self.metadata = sample_id, epoch, error, {}
        self.scores = None if value is None else {"match": _Score(value)}


class _Log:
    def __init__(self, samples):
        self.samples = samples
        self.eval = type("Spec", (), {"task": "t", "model": "m"})()


def test_inspect_epochs_separate_or_majority(monkeypatch):
    from hallusim.evallogs import _inspect

    samples = [_Sample("a", 1, "C"), _Sample("a", 2, "C"), _Sample("a", 3, "I"),
               _Sample("b", 1, "I"), _Sample("b", 2, "N"), _Sample("b", 3, None, error="timeout")]
    monkeypatch.setattr(_inspect, "_load", lambda source, data, kind: _Log(samples))
    separate = _inspect.read_inspect("run.eval", b"", kind="zip", unscored="drop")
    assert separate.ids == ["a@1", "a@2", "a@3", "b@1", "b@2"]
    majority = _inspect.read_inspect("run.eval", b"", kind="zip", epochs="majority", unscored="drop")
    # a: C, C, I → correct; b: I, N, unscored → a three-way tie → unscored → dropped.
    assert majority.ids == ["a"] and majority.correct.tolist() == [True]
    with pytest.raises(ResultsFileError, match="sample 'b' epoch 3, item 'b@3': `scores.match.value` has no binary outcome \\(the sample failed with an error\\)"):
        _inspect.read_inspect("run.eval", b"", kind="zip")
    samples.append(_Sample("c", 1, None))
    with pytest.raises(ResultsFileError, match="run.eval, sample 'c' epoch 1: `scores.match` must be present in every sample"):
        _inspect.read_inspect("run.eval", b"", kind="zip", unscored="drop")


# -- every reader on damaged files: a one-line refusal (or a score), never a traceback -------------
_JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers(-3, 3) | st.floats(allow_nan=True) | st.text(max_size=5),
                            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=6)
_FIXTURES = [LMEVAL, SIMPLE, SIMPLE_LETTERED, HELM]


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, prefix + (index,))


def _replace(value, path, new):
    if not path:
        return new
    value[path[0]] = _replace(value[path[0]], path[1:], new)
    return value


def _check_refusal_or_score(capsys, path):
    status = main(["score", str(path), "--unscored", "drop"])
    captured = capsys.readouterr()
    assert status in (0, 2), captured.err
    if status == 2:
        assert captured.out == "" and len(captured.err.splitlines()) == 1 and str(path) in captured.err, captured.err


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fixture=st.sampled_from(_FIXTURES), pick=st.integers(0, 10**6), new=_JSON_VALUES)
def test_damaged_fields(tmp_path_factory, capsys, fixture, pick, new):
    text = fixture.read_text()
    if fixture == LMEVAL:
        records = [json.loads(line) for line in text.splitlines()]
        paths = [(i,) + p for i, r in enumerate(records) for p in _paths(r) if p]
        index = paths[pick % len(paths)]
        records[index[0]] = _replace(records[index[0]], index[1:], new)
        damaged = "".join(json.dumps(r) + "\n" for r in records)
    else:
        doc = json.loads(text)
        paths = [p for p in _paths(doc) if p]
        damaged = json.dumps(_replace(doc, paths[pick % len(paths)], new))
    path = tmp_path_factory.mktemp("damaged") / fixture.name
    path.write_text(damaged)
    _check_refusal_or_score(capsys, path)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fixture=st.sampled_from(_FIXTURES), cut=st.floats(0, 1))
def test_truncated_files(tmp_path_factory, capsys, fixture, cut):
    data = fixture.read_bytes()
    path = tmp_path_factory.mktemp("cut") / fixture.name
    path.write_bytes(data[: int(cut * len(data))])
    _check_refusal_or_score(capsys, path)
