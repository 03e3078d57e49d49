"""Tests of hallusim.floor and the ``floor`` subcommand: fixture files of each kind (values counted
by hand), bad files, chunk boundaries, and the byte scanners against plain-Python references."""

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

from hallusim import _cli_floor
from hallusim import _floor_scan as scan
from hallusim.floor import FloorFileError, floor_from_file, floor_report, read_floor_counts

DATA = Path(__file__).parent / "data" / "floor"

# Counted by hand from the fixture files: (r, n_r, N, IDK examples, distinct prompts, kind).
EXPECTED = {
    # counts 1, 2, 1, 0, 5 and IDK 0, 1, 0, 3, 0 (quoted key with a comma, one with a newline,
    # one with doubled quotes; CRLF line ends, a BOM and a blank line).
    "counts.csv": ([1, 2, 5], [2, 1, 1], 13, 4, 5, "per-fact counts"),
    # counts 3, 1, 1, 2, 1 under the names fact/answered; a nested extra field and a blank line.
    "counts.jsonl": ([1, 2, 3], [3, 1, 1], 8, 0, 5, "per-fact counts"),
    # N = 6·1 + 3·2 + 2·3 + 1·5 + 1·9 = 32; prompts = 13 seen + 10 in the r = 0 row.
    "table.tsv": ([1, 2, 3, 5, 9], [6, 3, 2, 1, 1], 32, 0, 23, "frequency-of-frequencies table"),
    # Alice 2, Bob IDK only, Carol 1, Dave 1 (+1 IDK), Eve IDK only, Frank 3.
    "pairs.csv": ([1, 2, 3], [2, 1, 1], 10, 3, 6, "training pairs"),
    # Alice 1, Bob 1 (+1 IDK), Carol 2, Dave IDK only; IDK marked by a boolean column.
    "pairs.jsonl": ([1, 2], [2, 1], 6, 2, 4, "training pairs"),
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
    monkeypatch.setattr(scan, "CHUNK_BYTES", chunk)
    split = read_floor_counts(DATA / name)
    np.testing.assert_array_equal(split.r, whole.r)
    np.testing.assert_array_equal(split.n_r, whole.n_r)
    assert (split.n_examples, split.n_idk, split.n_prompts) == (whole.n_examples, whole.n_idk, whole.n_prompts)


def test_prompts_listed_without_examples(tmp_path):
    assert read_floor_counts(DATA / "table.tsv").n_prompts_without_examples == 10  # the r = 0 row
    assert read_floor_counts(DATA / "counts.csv").n_prompts_without_examples == 0  # dave has 3 IDK
    path = tmp_path / "c.csv"
    path.write_text("key,count,idk\na,0,0\nb,1,0\nc,0,2\nd,0,0\n")
    counts = read_floor_counts(path)
    assert (counts.n_prompts, counts.n_prompts_without_examples) == (4, 2)
    assert "(2 listed without any example)" in floor_report(counts).format_text()


def test_gzip_and_explicit_format(tmp_path):
    target = tmp_path / "counts.csv.gz"
    target.write_bytes(gzip.compress((DATA / "counts.csv").read_bytes()))
    counts = read_floor_counts(target, format="counts")
    assert counts.n_r.tolist() == EXPECTED["counts.csv"][1]
    assert "as requested" in counts.detected


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


def test_report_without_idk_adds_corollary3_interval():
    rep = floor_from_file(DATA / "table.tsv", gamma=0.01)
    assert rep.singleton_rate == pytest.approx(6 / 32, rel=1e-15)
    assert rep.good_turing.half_width == pytest.approx(1 / 32 + 2.42 * math.sqrt(math.log(400) / 32), rel=1e-14)
    assert rep.good_turing.half_width < rep.missing_mass.half_width


def test_informative_bound_and_reading():
    # 500,000 singletons and 100,000 prompts seen 5 times: N = 10^6, sr = 0.5.
    rep = floor_report(([1, 5], [500_000, 100_000]), min_errors=364, gamma=0.01)
    slack = 2 / 364 + 6 * math.log(3e6 / 0.01) / 1e3
    assert rep.lower_bound == pytest.approx(0.5 - slack, rel=1e-13)
    assert not rep.vacuous and "vacuous" not in rep.reading
    assert f"{0.5 - slack:.2%}" in rep.reading
    assert rep.n_informative < 1e6


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


def test_check_keys_finds_a_repeated_key(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("key,count\na,1\nb,2\na,3\n")
    read_floor_counts(path)  # keys are not checked by default
    with pytest.raises(FloorFileError, match=r"dup\.csv, line 4: `key` must be distinct on every row; got the key of line 2"):
        read_floor_counts(path, check_keys=True)


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
]


@pytest.mark.parametrize(("name", "content", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_files_name_file_line_and_field(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(FloorFileError, match=message) as info:
        floor_from_file(path)
    assert "\n" not in str(info.value)


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
    """Run a splitter then :func:`scan.convert`; fail the test on any error."""
    capacity = int(np.count_nonzero(buf == 10)) + 1
    starts = np.empty((kinds.size, capacity), np.int64)
    ends = np.empty((kinds.size, capacity), np.int64)
    span_kinds = np.empty((kinds.size, capacity), np.uint8)
    lines = np.empty(capacity, np.int64)
    err = np.zeros(6, np.int64)
    consumed, n_records, _ = split(starts, ends, span_kinds, lines, err)
    assert err[0] == 0, f"splitter error {err.tolist()} on {bytes(buf)!r}"
    out = np.empty((kinds.size, n_records), np.int64)
    scan.convert(buf, kinds, token, starts, ends, span_kinds, n_records, out, err)
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
    kinds = np.array([scan.KIND_HASH, scan.KIND_INT, scan.KIND_TOKEN], np.int64)
    token = np.frombuffer(b"IDK", np.uint8).copy()
    buf = np.frombuffer(data, np.uint8)
    consumed, n_records, out = _split_and_convert(buf, kinds, token, lambda *arrays: scan.scan_csv(
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


@given(st.lists(st.tuples(_TEXT, st.integers(0, 10**12), st.booleans()), min_size=1, max_size=25))
def test_jsonl_scanner_matches_python_json(records):
    text = "".join(json.dumps({"n": count, "p": [1, {"x": "}"}], "prompt": key, "idk": flag}) + "\n"
                   for key, count, flag in records)
    data = text.encode("utf-8")
    names = np.frombuffer(b"promptnidk", np.uint8).copy()
    starts = np.array([0, 6, 7, 10], np.int64)
    kinds = np.array([scan.KIND_HASH, scan.KIND_INT, scan.KIND_FLAG], np.int64)
    buf = np.frombuffer(data, np.uint8)
    consumed, n_records, out = _split_and_convert(buf, kinds, np.zeros(0, np.uint8), lambda *arrays: scan.scan_jsonl(
        buf, True, names, starts, *arrays))
    assert consumed == len(data) and n_records == len(records)
    for k, (key, count, flag) in enumerate(records):
        assert out[0, k] == _fnv1a(json.dumps(key)[1:-1].encode("utf-8"))  # JSON strings are hashed as written
        assert out[1, k] == count
        assert out[2, k] == int(flag)


def test_python_references_of_the_scalar_kernels():
    buf = np.frombuffer(b" 42 |-7|+3|x1|TRUE|No|maybe", np.uint8)
    assert scan._parse_int.py_func(buf, 0, 4) == (42, scan.ERR_NONE) == scan._parse_int(buf, 0, 4)
    assert scan._parse_int(buf, 5, 7)[1] == scan.ERR_NEGATIVE
    assert scan._parse_int(buf, 8, 10)[1] == scan.ERR_INT  # no sign allowed
    assert scan._parse_int(buf, 0, 4) == scan._parse_int.py_func(buf, 0, 4)
    assert scan._parse_int(buf, 11, 13)[1] == scan.ERR_INT
    assert scan._parse_flag(buf, 14, 18) == (1, scan.ERR_NONE) == scan._parse_flag.py_func(buf, 14, 18)
    assert scan._parse_flag(buf, 19, 21) == (0, scan.ERR_NONE)
    assert scan._parse_flag(buf, 22, 27)[1] == scan.ERR_FLAG
    assert np.int64(scan._fnv1a(buf, 0, 27, False)) == _fnv1a(bytes(buf))


# ----------------------------------------------------------------------------------------------
# The subcommand
# ----------------------------------------------------------------------------------------------


def _args(argv):
    parser = argparse.ArgumentParser()
    _cli_floor.add_parser(parser.add_subparsers())
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
    value, code = scan._parse_int(buf, 0, buf.size)
    expected = int(digits)
    if expected <= 2**62:
        assert (value, code) == (expected, scan.ERR_NONE)
    else:
        assert code == scan.ERR_OVERFLOW


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
        assert row["mm_low"] <= row["sr"] <= row["mm_high"]
        # The calibrated learner's error is exactly Σ_{c∈U} μ'(c)(|R_c|−1)/|R_c| = MM·364/365 here.
        assert row["calibrated_err"] == pytest.approx(row["true_missing_mass"] * 364 / 365, rel=1e-9)
        assert row["interval_covers_mm"] and row["bounds_hold"]
    with pytest.raises(ValueError, match="`worlds` must be entries like 'zipf:1.1'"):
        module.run({**config, "worlds": ["gauss:1"]}, tmp_path)
