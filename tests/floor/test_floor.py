"""Tests of hallusim.floor and the ``floor`` subcommand: fixture files of each kind (values counted
by hand), bad files (through the API and end to end through ``hallusim.cli.main``), chunk
boundaries, the byte scanners against plain-Python references, and the report's wording."""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallusim import cli
from hallusim.cli import _floor as cli_floor
from hallusim.floor import (
    FloorFileError,
    floor_from_file,
    floor_report,
    read_floor_counts,
)
from hallusim.floor import _counts as aggregates
from hallusim.floor import _kernels as kernels
from hallusim.floor import _read as read

DATA = Path(__file__).parents[1] / "data" / "floor"

# Counted by hand from the fixture files: (r, n_r, N, IDK examples or None if not given,
# distinct prompts, kind).
EXPECTED = {
    # counts 1, 2, 1, 0, 5 and IDK 0, 1, 0, 3, 0 (quoted key with a comma, one with a newline,
    # one with doubled quotes; CRLF line ends, a BOM and a blank line).
    "counts.csv": ([1, 2, 5], [2, 1, 1], 13, 4, 5, "per-fact counts"),
    # counts 3, 1, 1, 2, 1 under the names fact/answered; a nested extra field and a blank line;
    # no IDK field anywhere, so the IDK examples are not given.
    "counts.jsonl": ([1, 2, 3], [3, 1, 1], 8, None, 5, "per-fact counts"),
    # counts 1, 2, 1, 0; IDK absent on line 1 (0), 5 under `idk`, 2 under `n_idk`, absent (0):
    # N = 4 + 7 = 11.
    "counts_idk_later.jsonl": ([1, 2], [2, 1], 11, 7, 4, "per-fact counts"),
    # N = 6·1 + 3·2 + 2·3 + 1·5 + 1·9 = 32; prompts = 13 seen + 10 in the r = 0 row; no IDK column.
    "table.tsv": ([1, 2, 3, 5, 9], [6, 3, 2, 1, 1], 32, None, 23, "frequency-of-frequencies table"),
    # Alice 2, Bob IDK only, Carol 1, Dave 1 (+1 IDK), Eve IDK only, Frank 3.
    "pairs.csv": ([1, 2, 3], [2, 1, 1], 10, 3, 6, "training pairs"),
    # Alice 1, Bob 1 (+1 IDK), Carol 2, Dave IDK only; IDK marked by a boolean column.
    "pairs.jsonl": ([1, 2], [2, 1], 6, 2, 4, "training pairs"),
    # Weighted rows: Alice 2, Bob 1 (+1 IDK), Carol weight 0 (skipped), Dave 1 (+3 IDK): N = 8.
    "pairs_weighted.csv": ([1, 2], [2, 1], 8, 4, 3, "training pairs"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_files_are_read_as_counted_by_hand(name):
    r, n_r, n, n_idk, n_prompts, kind = EXPECTED[name]
    counts = read_floor_counts(DATA / name)
    assert counts.r.tolist() == r
    assert counts.n_r.tolist() == n_r
    assert (counts.n_examples, counts.n_idk, counts.n_prompts) == (n, n_idk, n_prompts)
    assert counts.detected.startswith(kind) and "detected" in counts.detected
    assert counts.source == str(DATA / name)


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 8, 13])
def test_chunk_boundaries_do_not_change_the_counts(name, chunk, monkeypatch):
    whole = read_floor_counts(DATA / name)
    monkeypatch.setattr(kernels, "CHUNK_BYTES", chunk)
    split = read_floor_counts(DATA / name)
    np.testing.assert_array_equal(split.r, whole.r)
    np.testing.assert_array_equal(split.n_r, whole.n_r)
    assert (split.n_examples, split.n_idk, split.n_prompts) == (whole.n_examples, whole.n_idk, whole.n_prompts)
    assert split.detected == whole.detected


def test_prompts_listed_without_examples(tmp_path):
    assert read_floor_counts(DATA / "table.tsv").n_prompts_without_examples == 10  # the r = 0 row
    assert read_floor_counts(DATA / "counts.csv").n_prompts_without_examples == 0  # dave has 3 IDK
    path = tmp_path / "c.csv"
    path.write_text("key,count,idk\na,0,0\nb,1,0\nc,0,2\nd,0,0\n")
    counts = read_floor_counts(path)
    assert (counts.n_prompts, counts.n_prompts_without_examples) == (4, 2)
    assert "(2 listed without any example)" in floor_report(counts).to_text()


def test_gzip_and_explicit_format(tmp_path):
    target = tmp_path / "counts.csv.gz"
    target.write_bytes(gzip.compress((DATA / "counts.csv").read_bytes()))
    counts = read_floor_counts(target, format="counts")
    assert counts.n_r.tolist() == EXPECTED["counts.csv"][1]
    assert "as requested" in counts.detected and "(gzip-compressed CSV" in counts.detected


def test_gzip_is_told_by_its_magic_bytes_not_its_name(tmp_path):
    hidden = tmp_path / "counts.csv"  # compressed, without .gz
    hidden.write_bytes(gzip.compress((DATA / "counts.csv").read_bytes()))
    counts = read_floor_counts(hidden)
    assert counts.n_r.tolist() == EXPECTED["counts.csv"][1] and "(gzip-compressed CSV" in counts.detected
    plain = tmp_path / "table.tsv.gz"  # plain text named .gz
    plain.write_bytes((DATA / "table.tsv").read_bytes())
    counts = read_floor_counts(plain)
    assert counts.n_r.tolist() == EXPECTED["table.tsv"][1] and "(TSV, detected" in counts.detected


def test_tab_separated_text_is_called_tsv(tmp_path):
    path = tmp_path / "table.txt"
    path.write_bytes((DATA / "table.tsv").read_bytes())
    assert "(TSV, detected" in read_floor_counts(path).detected
    path = tmp_path / "counts.txt"
    path.write_text("key,count\na,1\n")
    assert "(CSV, detected" in read_floor_counts(path).detected


def test_unused_columns_and_weights_are_stated(tmp_path):
    weighted = read_floor_counts(DATA / "pairs_weighted.csv")
    assert "each row weighted by its count (the examples it stands for)" in weighted.detected
    path = tmp_path / "extra.csv"
    path.write_text("key,count,source,idk\na,1,wiki,0\nb,2,news,1\n")
    assert read_floor_counts(path).detected.endswith("; ignored: source)")
    path = tmp_path / "pairs.jsonl"  # the weight may be missing from some records (weight 1 there)
    path.write_text('{"prompt": "a", "response": "x"}\n{"prompt": "b", "response": "IDK", "count": 4}\n'
                    '{"prompt": "a", "response": "y", "weight": 2, "extra": 1}\n')
    counts = read_floor_counts(path)
    assert (counts.n_examples, counts.n_idk, counts.r.tolist(), counts.n_r.tolist()) == (7, 4, [3], [1])
    assert "2 of 3 records have one, the others weigh 1" in counts.detected


def test_report_figures_by_hand():
    # counts.csv: N = 13 with 4 IDK examples, |S| = 2, so sr = 2/13 and only Lemma 1 applies.
    rep = floor_from_file(DATA / "counts.csv", min_errors=364, gamma=0.05)
    n, sr = 13, 2 / 13
    assert rep.singleton_rate == pytest.approx(sr, rel=1e-15)
    assert rep.missing_mass.half_width == pytest.approx(4.42 * math.sqrt(math.log(5 / 0.05) / n), rel=1e-14)
    assert rep.good_turing is None
    slack = 2 / 364 + 6 * math.log(3 * n / 0.05) / math.sqrt(n)
    assert rep.lower_bound == pytest.approx(sr - slack, rel=1e-13)
    assert rep.upper_bound == pytest.approx(sr - sr / 365 + 5 * math.sqrt(math.log(5 / 0.05) / n), rel=1e-13)
    assert rep.vacuous and "vacuous at this N" in rep.reading
    # SGT's P0 is n_1/N_answered = 2/9; on the joint scale it is sr again.
    assert rep.sgt.p0 == pytest.approx(2 / 9, rel=1e-15)
    assert rep.to_dict()["simple_good_turing"]["missing_mass"] == pytest.approx(sr, rel=1e-15)


def test_idk_column_absent_from_the_first_json_record_is_still_read(tmp_path):
    # The reviewer's case: an IDK field first appearing on line 2 (truth N = 8, sr = 1/8).
    path = tmp_path / "late.jsonl"
    path.write_text('{"key":"a","count":1}\n{"key":"b","count":2,"idk":5}\n')
    rep = floor_from_file(path)
    assert (rep.counts.n_examples, rep.counts.n_idk) == (8, 5)
    assert rep.singleton_rate == 1 / 8
    assert "IDK counts in fields idk/idk_count/n_idk/abstentions in 1 of 2 records" in rep.counts.detected


def test_json_optional_field_spelled_as_in_the_first_record(tmp_path):
    path = tmp_path / "caps.jsonl"
    path.write_text('{"Key":"a","Count":1,"IDK":2}\n{"Key":"b","Count":2}\n')
    counts = read_floor_counts(path)
    assert (counts.n_examples, counts.n_idk) == (5, 2)


def test_two_idk_fields_in_one_json_record_is_an_error(tmp_path):
    path = tmp_path / "two.jsonl"
    path.write_text('{"key":"a","count":1}\n{"key":"b","count":2,"idk":5,"n_idk":1}\n')
    with pytest.raises(FloorFileError, match=r"two\.jsonl, line 2: the record must have one field for `idk`.*got a second one, 'n_idk'"):
        read_floor_counts(path)


def test_report_without_idk_adds_corollary3_interval(tmp_path):
    rep = floor_from_file(DATA / "pairs.jsonl")  # IDK given: 2, so Lemma 1 only
    assert rep.good_turing is None
    path = tmp_path / "no_idk.csv"
    path.write_text("prompt,response\na,x\nb,y\nb,y\n")  # pairs with no IDK response: IDK given as 0
    rep = floor_report(read_floor_counts(path), gamma=0.01)
    assert rep.counts.n_idk == 0
    assert rep.good_turing.half_width == pytest.approx(1 / 3 + 2.42 * math.sqrt(math.log(400) / 3), rel=1e-14)
    assert "(Corollary 3, no IDK examples)" in rep.to_text()


def test_idk_not_given_is_said_and_the_intervals_follow(capsys):
    # A table cannot carry IDK examples: N = 32 answered examples, IDK not given.
    rep = floor_from_file(DATA / "table.tsv", gamma=0.01)
    assert rep.counts.n_idk is None and not rep.counts.idk_given
    assert rep.singleton_rate == 6 / 32
    # Corollary 3 around n_1/N_answered covers the answered examples' missing mass whatever the IDK.
    assert rep.good_turing.half_width == pytest.approx(1 / 32 + 2.42 * math.sqrt(math.log(400) / 32), rel=1e-14)
    text = rep.to_text()
    assert "IDK: not given" in text and " 0 IDK" not in text
    assert "(Lemma 1, if there are no IDK examples)" in text
    assert "the missing mass of the answered examples" in text and "assumes no IDK examples" in text
    assert "IDK examples were not given" in rep.reading
    assert rep.to_dict()["n_idk"] is None and rep.to_dict()["theorem2_lower"]["assumes_no_idk"]
    # With --idk-examples 8: N = 40, sr = 6/40, IDK given, Lemma 1 only.
    assert cli.main(["floor", str(DATA / "table.tsv"), "--idk-examples", "8", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["n_examples"], report["n_idk"], report["idk_given"]) == (40, 8, True)
    assert report["singleton_rate"] == 6 / 40 and report["good_turing"] is None
    assert report["missing_mass"]["half_width"] == pytest.approx(4.42 * math.sqrt(math.log(500) / 40), rel=1e-14)
    # --idk-examples 0: IDK given as none, so Corollary 3 covers MM itself.
    rep = floor_from_file(DATA / "table.tsv", idk_examples=0)
    assert rep.counts.n_idk == 0 and "(Corollary 3, no IDK examples)" in rep.to_text()


def test_idk_examples_only_where_the_input_lacks_them():
    with pytest.raises(ValueError, match=r"`idk_examples` must be omitted: the input gives its IDK examples itself \(3\); got 2"):
        floor_from_file(DATA / "pairs.csv", idk_examples=2)
    with pytest.raises(ValueError, match="`idk_examples` must be omitted when `n_examples` is given"):
        floor_report(([1, 2], [3, 1]), n_examples=10, idk_examples=5)
    with pytest.raises(ValueError, match="`idk_examples` must be an integer >= 0"):
        floor_report(([1, 2], [3, 1]), idk_examples=-1)
    arrays = floor_report(([1, 2], [3, 1]))  # N = 5 answered, IDK not given
    assert arrays.counts.n_idk is None and arrays.singleton_rate == 3 / 5
    given = floor_report(([1, 2], [3, 1]), idk_examples=5)
    assert (given.counts.n_examples, given.counts.n_idk, given.singleton_rate) == (10, 5, 3 / 10)
    assert floor_report(([1, 2], [3, 1]), n_examples=10).counts.n_idk == 5


def test_informative_bound_and_reading():
    # 500,000 singletons and 100,000 prompts seen 5 times: N = 10^6, sr = 0.5, no IDK examples.
    rep = floor_report(([1, 5], [500_000, 100_000]), idk_examples=0, min_errors=364, gamma=0.01)
    slack = 2 / 364 + 6 * math.log(3e6 / 0.01) / 1e3
    upper = 0.5 - 0.5 / 365 + 5 * math.sqrt(math.log(500) / 1e6)
    assert rep.lower_bound == pytest.approx(0.5 - slack, rel=1e-13)
    assert not rep.vacuous and "vacuous" not in rep.reading
    assert rep.n_informative < 1e6
    # Theorem 2 is "for any algorithm, with probability >= 1 − γ: err >= ... − δ"; the two bounds
    # each hold with probability >= 1 − γ, together (union bound) with >= 1 − 2γ.
    reading = rep.reading
    assert reading.startswith("For any training algorithm, with probability at least 0.99")
    assert f"at least {0.5 - slack:.2%} minus its calibration gap delta" in reading
    assert f"separately, also with probability at least 0.99, the calibrated learner of Appendix B errs at most {upper:.2%}" in reading
    assert "together with probability at least 0.98" in reading
    assert "every calibrated model" not in reading and "every model" not in reading


def test_vacuous_reading_claims_only_what_the_bounds_say():
    rep = floor_from_file(DATA / "counts.csv", gamma=0.05)  # N = 13: vacuous, IDK given
    reading = rep.reading
    assert "approaches" not in reading
    sr, n = 2 / 13, 13
    # The lower bound tends to sr − 2/min|E_c| (at a fixed sr) ...
    assert f"tend to sr - 2/min_c |E_c| = {sr - 2 / 364:.2%} as N grows" in reading
    # ... and Appendix B's learner errs at most MM·L/(L+1) <= (Lemma 1's upper end)·L/(L+1).
    high = min(1.0, sr + 4.42 * math.sqrt(math.log(5 / 0.05) / n))
    assert f"at most {high:.2%} (Lemma 1)" in reading and f"errs at most {high * 364 / 365:.2%}" in reading
    assert "with probability at least 0.95" in reading
    # IDK examples not given: the MM bound comes from Corollary 3 (valid whatever the IDK).
    table = floor_from_file(DATA / "table.tsv", gamma=0.05).reading
    high = min(1.0, 6 / 32 + 1 / 32 + 2.42 * math.sqrt(math.log(4 / 0.05) / 32))
    assert f"at most {high:.2%} (Corollary 3, whatever the IDK examples)" in table


def test_n_informative_is_where_the_slack_meets_sr():
    rep = floor_report(([1, 2], [60, 20]), n_examples=200)  # sr = 0.3, N = 200: vacuous
    n = rep.n_informative
    slack = lambda m: 2 / 364 + 6 * math.log(3 * m / 0.01) / math.sqrt(m)  # noqa: E731
    assert slack(n * 1.001) < 0.3 <= slack(n * 0.999)
    assert floor_report(([1, 2], [1, 20]), n_examples=10**6).n_informative is None  # sr < 2/364


def test_floor_report_array_validation():
    with pytest.raises(ValueError, match="`n_examples` must be an integer >= 100"):
        floor_report(([1, 2], [60, 20]), n_examples=99)
    with pytest.raises(ValueError, match="`max_errors` must be an integer >= 364"):
        floor_report(([1, 2], [60, 20]), max_errors=10)
    with pytest.raises(ValueError, match="`gamma` must be"):
        floor_report(([1, 2], [60, 20]), gamma=1.5)


def test_repeated_keys_are_an_error_by_default(tmp_path):
    # The reviewer's case: a repeated key turns one prompt answered twice into 2 "singletons".
    path = tmp_path / "dup.csv"
    path.write_text("key,count\na,1\na,1\nb,3\n")
    with pytest.raises(FloorFileError, match=r"dup\.csv, line 3: `key` must be distinct on every row; got the key of line 2"):
        read_floor_counts(path)
    unchecked = read_floor_counts(path, check_keys=False)  # the opt-out reads rows as prompts, and says so
    assert unchecked.n_singletons == 2 and "keys in column 'key' (NOT checked to be distinct)" in unchecked.detected
    detected = read_floor_counts(DATA / "counts.csv").detected
    assert "keys in column 'key' (checked to be distinct), counts in column 'count', IDK counts in column 'idk'" in detected


def test_the_earliest_of_several_repeated_keys_is_reported(tmp_path):
    path = tmp_path / "dups.jsonl"
    rows = ["x", "y", "z", "y", "x", "z"]  # first repeat: y on line 4 (of line 2)
    path.write_text("".join(json.dumps({"key": k, "count": 1}) + "\n" for k in rows))
    with pytest.raises(FloorFileError, match=r"line 4: `key` must be distinct on every row; got the key of line 2"):
        read_floor_counts(path)


@pytest.mark.parametrize("chunk", [3, 16, 1 << 20])
def test_a_repeated_key_before_a_bad_value_is_reported_first(tmp_path, chunk, monkeypatch):
    monkeypatch.setattr(kernels, "CHUNK_BYTES", chunk)
    path = tmp_path / "both.csv"
    path.write_text("key,count\na,1\nb,1\na,2\nc,1\nd,-1\n")
    with pytest.raises(FloorFileError, match=r"line 4: `key` must be distinct"):
        read_floor_counts(path)


def test_the_first_bad_line_is_reported_across_columns(tmp_path):
    # The reviewer's case: line 2's idk is bad, line 3's count is bad; line 2 comes first.
    path = tmp_path / "cols.csv"
    path.write_text("key,count,idk\na,1,x\nb,y,0\n")
    with pytest.raises(FloorFileError, match=r"cols\.csv, line 2: `idk` must be a non-negative integer; got 'x'"):
        read_floor_counts(path)


def test_convert_reports_the_smallest_bad_record_like_its_python_reference():
    buf = np.frombuffer(b"1x2y3", np.uint8)
    # Two slots over three records: slot 0 is bad at record 2, slot 1 at record 1.
    starts = np.array([[0, 2, 1], [4, 3, 0]], np.int64)
    ends = starts + 1
    kinds = np.array([kernels.KIND_INT, kernels.KIND_INT], np.int64)
    span_kinds = np.zeros((2, 3), np.uint8)
    results = []
    for kernel in (kernels.convert, kernels.convert.py_func):
        out, err = np.zeros((2, 3), np.int64), np.zeros(6, np.int64)
        kernel(buf, kinds, np.zeros(0, np.uint8), starts, ends, span_kinds, 3, out, err)
        results.append((out[:, :1].tolist(), err.tolist()))
    assert results[0] == results[1]
    assert results[0][1][:3] == [kernels.ERR_INT, 1, 1]  # slot 1, record 1
    assert results[0][0] == [[1], [3]]  # record 0 converted in full


def test_all_zero_counts_are_a_one_line_error(tmp_path):
    path = tmp_path / "zero.csv"
    path.write_text("key,count\na,0\n")
    with pytest.raises(FloorFileError, match=r"zero\.csv: no examples: every count is 0"):
        read_floor_counts(path)
    zero = read.FloorCounts(np.zeros(0, np.int64), np.zeros(0, np.int64), 0, 0, 1, "z.csv", "")
    with pytest.raises(ValueError, match=r"`counts` must be counts of at least one example \(in z\.csv\); got no examples"):
        floor_report(zero)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("r,n_r\n1,1\n4611686018427387904,4\n", r"`r·n_r` must add up to at most 2\*\*63 - 1 examples; got 18446744073709551617\."),
        ("key,count\na,4611686018427387904\nb,4611686018427387904\n", r"`count` must add up to at most 2\*\*63 - 1 examples; got 9223372036854775808\."),
        ("key,count,idk\na,4611686018427387904,4611686018427387904\n", r"`count \+ idk` must add up to at most 2\*\*63 - 1 examples; got 9223372036854775808\."),
        ("prompt,response,count\na,x,4611686018427387904\nb,y,4611686018427387904\n", r"`count` must add up to at most 2\*\*63 - 1 examples; got 9223372036854775808\."),
    ],
    ids=["table", "counts", "counts+idk", "pairs"],
)
def test_totals_above_2_63_are_refused_not_wrapped(tmp_path, content, message):
    path = tmp_path / "big.csv"
    path.write_text(content)
    with pytest.raises(FloorFileError, match=message):
        read_floor_counts(path)


def test_totals_just_below_2_63_are_exact(tmp_path):
    path = tmp_path / "edge.csv"
    path.write_text("key,count\na,4611686018427387904\nb,4611686018427387903\n")  # 2^62 + 2^62 − 1
    counts = read_floor_counts(path)
    assert counts.n_examples == 2**63 - 1 and counts.n_answered == 2**63 - 1


# ----------------------------------------------------------------------------------------------
# Bad files: one-line errors naming the file, the line and the field
# ----------------------------------------------------------------------------------------------

BAD = [
    ("empty.csv", "", r"empty\.csv: empty file"),
    ("blank.jsonl", "\n  \n", r"blank\.jsonl: empty file"),
    ("header_only.csv", "key,count\n", r"header_only\.csv: no data rows"),
    ("no_columns.csv", "a,b\n1,2\n", r"no_columns\.csv: cannot tell the format from the columns \(a, b\)"),
    ("negative.csv", "key,count\na,1\nb,-3\n", r"negative\.csv, line 3: `count` must be a non-negative integer; got '-3'"),
    ("fraction.csv", "key,count\na,1.5\n", r"fraction\.csv, line 2: `count` must be a non-negative integer; got '1\.5'"),
    ("missing.csv", "key,count\na,\n", r"missing\.csv, line 2: `count` must be a non-negative integer; got ''"),
    ("fields.csv", "key,count\na,1\nb\n", r"fields\.csv, line 3: the record must have 2 fields"),
    ("quote.csv", 'key,count\n"a"x,1\n', r"quote\.csv, line 2: malformed quoted field"),
    ("open_quote.csv", 'key,count\na,1\n"b,2\n', r"open_quote\.csv, line 3: malformed quoted field"),
    ("idk.csv", "key,count,idk\na,1,x\n", r"idk\.csv, line 2: `idk` must be a non-negative integer; got 'x'"),
    ("huge.csv", "key,count\na,99999999999999999999\n", r"huge\.csv, line 2: `count` must be an integer below 2\*\*62"),
    ("table_dup.csv", "r,n_r\n1,5\n2,1\n1,3\n", r"table_dup\.csv, line 4: `r` must be distinct on every row; got 1 again \(first on line 2\)"),
    ("table_neg.csv", "r,n_r\n1,5\n2,-1\n", r"table_neg\.csv, line 3: `n_r` must be a non-negative integer"),
    ("bad_json.jsonl", '{"key": "a", "count": 1}\n{"key": "b", "count": 2\n', r"bad_json\.jsonl, line 2: not a flat JSON object"),
    ("first_bad.jsonl", "[1, 2]\n", r"first_bad\.jsonl, line 1: each line must be a JSON object; got a JSON list"),
    ("json_missing.jsonl", '{"key": "a", "count": 1}\n\n{"key": "b"}\n', r"json_missing\.jsonl, line 3: `count` must be present in every record"),
    ("json_nested.jsonl", '{"key": "a", "count": [1]}\n', r"json_nested\.jsonl, line 1: `count` must be a string or a number"),
    ("json_float.jsonl", '{"key": "a", "count": 2e3}\n', r"json_float\.jsonl, line 1: `count` must be a non-negative integer; got '2e3'"),
    ("flag.jsonl", '{"prompt": "a", "response": "b", "idk": "maybe"}\n', r"flag\.jsonl, line 1: `idk` must be a boolean"),
    ("pairs_missing.csv", "prompt,answer\na,b\n", r"pairs_missing\.csv: cannot tell the format"),
    ("zero.csv", "key,count\na,0\n", r"zero\.csv: no examples: every count is 0\."),
    ("zero_idk.csv", "key,count,idk\na,0,0\nb,0,0\n", r"zero_idk\.csv: no examples: every count and IDK count is 0\."),
    ("table_zero.csv", "r,n_r\n0,5\n3,0\n", r"table_zero\.csv: no examples: every row has r = 0 or n_r = 0"),
    ("dup.csv", "key,count\na,1\na,1\nb,3\n", r"dup\.csv, line 3: `key` must be distinct on every row; got the key of line 2"),
    ("cols.csv", "key,count,idk\na,1,x\nb,y,0\n", r"cols\.csv, line 2: `idk` must be a non-negative integer; got 'x'"),
    ("big.csv", "r,n_r\n1,1\n4611686018427387904,4\n", r"big\.csv: `r·n_r` must add up to at most 2\*\*63 - 1 examples"),
    ("json_alias.jsonl", '{"key": "a", "count": 1}\n{"key": "b", "count": 1, "n_idk": -2}\n',
     r"json_alias\.jsonl, line 2: `n_idk` must be a non-negative integer; got '-2'"),
    ("json_dup.jsonl", '{"key": "a", "count": 1, "count": 2}\n', r"json_dup\.jsonl, line 1: the record must have one field for `count`"),
]

# Damaged gzip files (a truncated stream, a corrupted one) and a plain file the reader cannot open.
_GZ = gzip.compress(b"key,count\n" + b"".join(b"k%d,%d\n" % (i, i % 7) for i in range(2000)))
BAD_BYTES = [
    ("truncated.csv.gz", _GZ[: len(_GZ) // 2], r"truncated\.csv\.gz: damaged gzip data \(Compressed file ended"),
    ("corrupted.csv.gz", _GZ[:40] + bytes(b ^ 0x5A for b in _GZ[40:80]) + _GZ[80:], r"corrupted\.csv\.gz: damaged gzip data \("),
]


@pytest.mark.parametrize(("name", "content", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_files_name_file_line_and_field(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(FloorFileError, match=message) as info:
        floor_from_file(path)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("name", "content", "message"), BAD_BYTES, ids=[b[0] for b in BAD_BYTES])
def test_damaged_gzip_is_a_file_error(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(FloorFileError, match=message) as info:
        floor_from_file(path)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("name", "content", "message"), BAD + BAD_BYTES, ids=[b[0] for b in BAD + BAD_BYTES])
def test_cli_bad_files_exit_2_with_one_line_and_no_traceback(tmp_path, capsys, name, content, message):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    assert cli.main(["floor", str(path), "--plot", str(tmp_path / "never")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("hallusim: error: ")
    assert "Traceback" not in captured.err
    assert __import__("re").search(message, lines[0])
    assert not list(tmp_path.glob("never*"))


def test_cli_bad_options_exit_2_before_reading(tmp_path, capsys):
    for argv, message in [(["--idk-examples", "-1"], "`--idk-examples` must be an integer >= 0"),
                          (["--gamma", "0"], "`--gamma` must be"), (["--min-errors", "0"], "`--min-errors` must be"),
                          (["--confidence", "-1"], "`--confidence` must be"),
                          (["--idk-examples", "2"], "`--idk-examples` must be omitted: the input gives its IDK examples")]:
        assert cli.main(["floor", str(DATA / "pairs.csv"), *argv]) == 2
        err = capsys.readouterr().err
        assert len(err.splitlines()) == 1 and message in err


def test_cli_help_says_keys_are_checked_by_default(capsys):
    assert cli.main(["floor", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--no-check-keys" in text and "(default: on; costs about 20 bytes of memory per row" in text
    assert "--idk-examples K" in text


def test_cli_plot_errors_name_the_option(tmp_path, capsys):
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    target = blocker / "plot"  # a path under a regular file cannot be created
    assert cli.main(["floor", str(DATA / "table.tsv"), "--plot", str(target)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.splitlines()) == 1
    assert captured.err.startswith(f"hallusim: error: --plot {target}: ")


def test_format_mismatch_names_the_missing_column():
    with pytest.raises(FloorFileError, match=r"counts\.csv, line 1: `r` must be a column of a table file"):
        read_floor_counts(DATA / "counts.csv", format="table")


def test_unreadable_and_non_utf8_files(tmp_path):
    with pytest.raises(FloorFileError, match=r"nothing\.csv: cannot be read"):
        read_floor_counts(tmp_path / "nothing.csv")
    path = tmp_path / "latin1.csv"
    path.write_bytes("kéy,count\n".encode("latin-1"))
    with pytest.raises(FloorFileError, match=r"latin1\.csv: not UTF-8 text"):
        read_floor_counts(path)
    with pytest.raises(ValueError, match="`format` must be one of"):
        read_floor_counts(DATA / "counts.csv", format="parquet")


# ----------------------------------------------------------------------------------------------
# The scanners against plain-Python references (csv / json modules and a Python FNV-1a)
# ----------------------------------------------------------------------------------------------


def _fnv1a(data: bytes) -> int:
    h = 14695981039346656037
    for byte in data:
        h = ((h ^ byte) * 1099511628211) % 2**64
    return h - 2**64 if h >= 2**63 else h  # as the kernel stores it (int64)


def _split_and_convert(buf, kinds, token, split):
    """Run a splitter then :func:`kernels.convert`; fail the test on any error."""
    capacity = int(np.count_nonzero(buf == 10)) + 1
    starts = np.empty((kinds.size, capacity), np.int64)
    ends = np.empty((kinds.size, capacity), np.int64)
    span_kinds = np.empty((kinds.size, capacity), np.uint8)
    lines = np.empty(capacity, np.int64)
    err = np.zeros(6, np.int64)
    consumed, n_records, _ = split(starts, ends, span_kinds, lines, err)
    assert err[0] == 0, f"splitter error {err.tolist()} on {bytes(buf)!r}"
    out = np.empty((kinds.size, n_records), np.int64)
    kernels.convert(buf, kinds, token, starts, ends, span_kinds, n_records, out, err)
    assert err[0] == 0, f"conversion error {err.tolist()} on {bytes(buf)!r}"
    return consumed, n_records, out


_TEXT = st.text(alphabet=st.sampled_from(list('ab ,"\n\r\tIDKé')), max_size=12)


@given(st.lists(st.tuples(_TEXT, st.integers(0, 10**12), _TEXT), min_size=1, max_size=25), st.sampled_from(["\n", "\r\n"]))
def test_csv_scanner_matches_python_csv(records, terminator):
    if terminator == "\n":  # csv.writer leaves a lone \r unquoted then, which csv.reader splits on
        records = [(key.replace("\r", ""), count, response.replace("\r", "")) for key, count, response in records]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=terminator)
    writer.writerows(records)
    data = buffer.getvalue().encode("utf-8")
    parsed = list(csv.reader(io.StringIO(buffer.getvalue(), newline=""), strict=True))
    kinds = np.array([kernels.KIND_HASH, kernels.KIND_INT, kernels.KIND_TOKEN], np.int64)
    token = np.frombuffer(b"IDK", np.uint8).copy()
    buf = np.frombuffer(data, np.uint8)
    consumed, n_records, out = _split_and_convert(buf, kinds, token, lambda *arrays: kernels.scan_csv(
        buf, True, ord(","), 3, np.arange(3), *arrays))
    # A record made of one empty field is a blank line to both readers; the csv module still
    # returns it when quoted. Compare on the records the csv module sees as non-blank.
    expected = [row for row in parsed if row != [] and row != [""]]
    assert consumed == len(data)
    assert n_records == len(expected)
    for k, (key, count, response) in enumerate(expected):
        assert out[0, k] == _fnv1a(key.encode("utf-8"))
        assert out[1, k] == int(count)
        assert out[2, k] == (response.strip(" \t") == "IDK")


@given(st.lists(st.tuples(_TEXT, st.integers(0, 10**12), st.sampled_from([None, False, True]), st.sampled_from(["idk", "is_idk"])),
                min_size=1, max_size=25))
def test_jsonl_scanner_matches_python_json(records):
    # The flag is optional and has two accepted names; absent flags come out as -1.
    lines = []
    for key, count, flag, alias in records:
        record = {"n": count, "p": [1, {"x": "}"}], "prompt": key}
        if flag is not None:
            record[alias] = flag
        lines.append(json.dumps(record) + "\n")
    data = "".join(lines).encode("utf-8")
    names = np.frombuffer(b"promptnidkis_idk", np.uint8).copy()
    starts = np.array([0, 6, 7, 10, 16], np.int64)
    name_slots = np.array([0, 1, 2, 2], np.int64)
    optional = np.array([False, False, True])
    kinds = np.array([kernels.KIND_HASH, kernels.KIND_INT, kernels.KIND_FLAG], np.int64)
    buf = np.frombuffer(data, np.uint8)
    consumed, n_records, out = _split_and_convert(buf, kinds, np.zeros(0, np.uint8), lambda *arrays: kernels.scan_jsonl(
        buf, True, names, starts, name_slots, optional, *arrays))
    assert consumed == len(data) and n_records == len(records)
    for k, (key, count, flag, _) in enumerate(records):
        assert out[0, k] == _fnv1a(json.dumps(key)[1:-1].encode("utf-8"))  # JSON strings are hashed as written
        assert out[1, k] == count
        assert out[2, k] == (-1 if flag is None else int(flag))


@given(st.lists(st.integers(-50, 50), max_size=40), st.lists(st.integers(-50, 50), max_size=40),
       st.lists(st.integers(0, 10**15), min_size=80, max_size=80))
def test_merge_counts_matches_a_dictionary(keys_a, keys_b, counts):
    a, b = np.unique(np.asarray(keys_a, np.int64)), np.unique(np.asarray(keys_b, np.int64))
    ca, cb = np.asarray(counts[: a.size], np.int64), np.asarray(counts[40 : 40 + b.size], np.int64)
    expected = {}
    for keys, values in ((a, ca), (b, cb)):
        for key, value in zip(keys.tolist(), values.tolist()):
            expected[key] = expected.get(key, 0) + value
    for kernel in (kernels.merge_counts, kernels.merge_counts.py_func):
        out_keys, out_counts = np.empty(a.size + b.size, np.int64), np.empty(a.size + b.size, np.int64)
        n = kernel(a, ca, b, cb, out_keys, out_counts)
        assert out_keys[:n].tolist() == sorted(expected)
        assert out_counts[:n].tolist() == [expected[key] for key in sorted(expected)]


@given(st.lists(st.lists(st.integers(-30, 30), max_size=30), max_size=20))
def test_running_tally_matches_a_counter(chunks):
    from collections import Counter

    tally, expected = aggregates._Tally(), Counter()
    for chunk in chunks:
        tally.add(np.asarray(chunk, np.int64))
        expected.update(chunk)
        stored = sum(keys.size for keys, _ in tally._levels)
        assert stored <= 2 * len(expected) + len(set(chunk))  # at most about twice the distinct keys
    assert tally.keys.tolist() == sorted(expected)
    assert tally.counts.tolist() == [expected[k] for k in sorted(expected)]


def test_pairs_memory_follows_distinct_prompts_not_rows():
    # 200 chunks of 1000 rows over the same 3 prompts: the aggregate holds 3 keys, not 200 x 3.
    schema = read._schema("p.csv", ["prompt", "response"], "pairs", "IDK", True, False)
    aggregate = aggregates._PairsAggregate("p.csv", schema)
    hashes = np.tile(np.array([11, 22, 33], np.int64), 334)[:1000]
    for _ in range(200):
        aggregate.add(np.vstack([hashes, np.zeros(1000, np.int64)]), np.arange(1000))
        assert sum(keys.size for keys, _ in aggregate.prompts._levels) <= 2 * 3
        assert aggregate.prompts.keys.size == 3
    assert aggregate.prompts.counts.tolist() == [200 * 334, 200 * 333, 200 * 333]


def test_python_references_of_the_scalar_kernels():
    buf = np.frombuffer(b" 42 |-7|+3|x1|TRUE|No|maybe", np.uint8)
    assert kernels._parse_int.py_func(buf, 0, 4) == (42, kernels.ERR_NONE) == kernels._parse_int(buf, 0, 4)
    assert kernels._parse_int(buf, 5, 7)[1] == kernels.ERR_NEGATIVE
    assert kernels._parse_int(buf, 8, 10)[1] == kernels.ERR_INT  # no sign allowed
    assert kernels._parse_int(buf, 5, 7) == kernels._parse_int.py_func(buf, 5, 7)
    assert kernels._parse_int(buf, 11, 13)[1] == kernels.ERR_INT
    assert kernels._parse_flag(buf, 14, 18) == (1, kernels.ERR_NONE) == kernels._parse_flag.py_func(buf, 14, 18)
    assert kernels._parse_flag(buf, 19, 21) == (0, kernels.ERR_NONE)
    assert kernels._parse_flag(buf, 22, 27)[1] == kernels.ERR_FLAG
    assert np.int64(kernels._fnv1a(buf, 0, 27, False)) == _fnv1a(bytes(buf))


# ----------------------------------------------------------------------------------------------
# The subcommand
# ----------------------------------------------------------------------------------------------


def _args(argv):
    parser = argparse.ArgumentParser()
    cli_floor.add_parsers(parser.add_subparsers())
    return parser.parse_args(["floor", *argv])


def test_cli_text_output(capsys):
    args = _args([str(DATA / "pairs.csv"), "--min-errors", "100"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "read as:              training pairs (CSV, detected" in out
    assert "examples N:           10 (7 answered, 3 IDK)" in out
    assert "singletons |S|:       2" in out
    assert "min_c |E_c|:          100" in out
    assert "vacuous at this N" in out


def test_cli_json_and_plot(tmp_path, capsys):
    plot = tmp_path / "fof.png"
    args = _args([str(DATA / "table.tsv"), "--json", "--gamma", "0.05", "--plot", str(plot)])
    assert args.func(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n_examples"] == 32 and report["n_singletons"] == 6
    assert report["gamma"] == 0.05 and report["theorem2_lower"]["gamma"] == 0.05
    assert report["good_turing"]["bound"] == "corollary3"
    assert plot.exists() and plot.with_suffix(".pdf").exists()


def test_cli_bad_file_raises_value_error(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("key,count\na,-1\n")
    args = _args([str(path), "--plot", str(tmp_path / "never.png")])
    with pytest.raises(ValueError, match="line 2"):
        args.func(args)
    assert capsys.readouterr().out == ""
    assert not list(tmp_path.glob("never*"))


@pytest.mark.parametrize("digits", ["4611686018427387904", "4611686018427387905", "9223372036854775808", "9" * 30])
def test_parse_int_refuses_counts_above_2_62_without_wrapping(digits):
    buf = np.frombuffer(digits.encode(), np.uint8)
    value, code = kernels._parse_int(buf, 0, buf.size)
    expected = int(digits)
    if expected <= 2**62:
        assert (value, code) == (expected, kernels.ERR_NONE)
    else:
        assert code == kernels.ERR_OVERFLOW


# ----------------------------------------------------------------------------------------------
# The floor_estimation experiment (small configuration)
# ----------------------------------------------------------------------------------------------


def test_floor_estimation_experiment_small(tmp_path):
    from hallusim.experiments import load, load_config

    module = load("floor_estimation")
    config = load_config("floor_estimation", "quick", ["n_examples=[2000, 20000]", "replicates=1",
                                                       "worlds=['zipf:1.1', 'pareto:1.5']"])
    rows = module.run(config, tmp_path)
    assert len(rows) == 4
    for name in module.OUTPUTS:
        assert (tmp_path / name).exists()
    for row in rows:
        # The Lemma 1 interval at the corpus's N (IDK examples included), clipped to [0, 1].
        half = 4.42 * math.sqrt(math.log(5 / config["gamma"]) / row["n_examples"])
        assert row["mm_low"] == pytest.approx(max(0.0, row["sr"] - half), rel=1e-12, abs=1e-15)
        assert row["mm_high"] == pytest.approx(min(1.0, row["sr"] + half), rel=1e-12)
        # The calibrated learner's error is exactly Σ_{c∈U} μ'(c)(|R_c|−1)/|R_c| = MM·364/365 here.
        assert row["calibrated_err"] == pytest.approx(row["true_missing_mass"] * 364 / 365, rel=1e-9)
        assert row["interval_covers_mm"] and row["bounds_hold"]
    with pytest.raises(ValueError, match="`worlds` must be entries like 'zipf:1.1'"):
        module.run({**config, "worlds": ["gauss:1"]}, tmp_path)
