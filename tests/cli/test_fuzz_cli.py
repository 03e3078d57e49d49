"""Fuzz the command line with generated bad inputs and options.

Every subcommand gets bad files (truncated, repeated columns, odd encodings, huge or negative
numbers, damaged gzip, binary junk, folders, missing files, standard input) and bad option values;
every try must end with exit status 2 and one line on standard error naming the option, file or
field, with no traceback and no new file in ``--out``. A few tries run in a subprocess under an
address-space limit (``resource.setrlimit``), so a runaway allocation fails the test instead of the
machine. The kinds of bad input are listed in ``FILE_KINDS`` and ``OPTION_KINDS``.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hallusim.cli import main

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)

GOOD_FLOOR = b"key,count\n" + b"".join(b"k%d,%d\n" % (i, 1 + i % 3) for i in range(50))
GOOD_SCORE = b"id,outcome\n" + b"".join(b"q%d,%s\n" % (i, (b"correct", b"incorrect", b"abstain")[i % 3]) for i in range(50))
HUGE = st.sampled_from(["9223372036854775808", "1" + "0" * 30, "99999999999999999999999", "-1", "1e400", "nan"])


def _bad_file(good: bytes, header: bytes):
    """(bytes, what the message must name: a field or None for the file name) of one bad kind."""
    first_column = header.split(b",")[0]
    return st.one_of(
        # truncated inside the header (the reader must refuse, not guess)
        st.integers(0, len(header) - 1).map(lambda n: (good[:n], None)),
        # repeated column names
        st.just((header.split(b"\n")[0] + b"," + header.split(b",")[1].strip() + b"\n" + good.split(b"\n", 1)[1]
                 .replace(b"\n", b",1\n"), None)),
        # odd encodings: Latin-1 and UTF-16 text
        st.just((("\u00e9" + header.decode()).encode("latin-1") + good.split(b"\n", 1)[1], None)),
        st.just((good.decode().encode("utf-16"), None)),
        # huge, negative or non-integer counts (floor) / unknown labels (score)
        HUGE.map(lambda v: (header + first_column + b"x," + v.encode() + b"\n", None)),
        # damaged gzip
        st.integers(10, 40).map(lambda n: (gzip.compress(good)[:n], None)),
        # binary junk
        st.binary(min_size=1, max_size=64).filter(lambda b: b"\n" in b or b"\x00" in b).map(lambda b: (b"\xff" + b, None)),
        # a JSON line that is not a flat object
        st.sampled_from([b"[1, 2]\n", b'{"key": {"a": 1}, "count": 1}\n', b"{not json\n"]).map(lambda b: (b, None)),
    )


FILE_KINDS = ("truncated header", "repeated column", "Latin-1", "UTF-16", "huge/negative/non-integer number",
              "damaged gzip", "binary junk", "JSON not a flat object", "folder", "missing file", "stdin")


def _run(argv, stdin: bytes | None = None):
    """``main(argv)`` in this process: (exit status, stderr text)."""
    err, out = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin))
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            code = main(argv)
    finally:
        sys.stdin = old_stdin
    return code, err.getvalue()


def _assert_one_line_error(code, err, *names):
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, (code, err)
    assert "Traceback" not in err, err
    assert len(lines) == 1, err
    assert lines[0].startswith("hallusim"), err
    names = [*names, *(f"`{name.lstrip('-')}`" for name in names if name.startswith("--"))]  # option or parameter
    assert any(name in lines[0] for name in names), (names, lines[0])


@pytest.mark.parametrize("command, good, suffix", [("floor", GOOD_FLOOR, ".csv"), ("score", GOOD_SCORE, ".csv")])
@FUZZ
@given(case=st.data())
def test_bad_files(command, good, suffix, case):
    header = good.split(b"\n")[0] + b"\n"
    data, _ = case.draw(_bad_file(good, header))
    name_suffix = case.draw(st.sampled_from([suffix, ".jsonl", ""]))
    via_stdin = case.draw(st.booleans())
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"bad{name_suffix}"
        path.write_bytes(data)
        if via_stdin and command == "floor":  # `score -` belongs to the evaluation-log readers
            code, err = _run([command, "-"], stdin=data)
            _assert_one_line_error(code, err, "<stdin>", "`")
        else:
            code, err = _run([command, str(path)])
            _assert_one_line_error(code, err, str(path))
        assert sorted(os.listdir(folder)) == [path.name]


@pytest.mark.parametrize("command", ["floor", "score"])
def test_folders_and_missing_files(command, tmp_path):
    for target in (tmp_path, tmp_path / "missing.csv"):
        _assert_one_line_error(*_run([command, str(target)]), str(target))


OPTION_KINDS = ("negative", "zero", "huge integer", "not a number", "out of range float", "unknown choice",
                "newline in --set", "unknown --set key", "empty --set list", "wrong --set type", "--out a file",
                "bogus --scheduler", "empty list item", "option without the option it needs",
                "output file in a missing folder or on a folder", "bad SLURM resources")

FLOOR_OPTIONS = {
    "--min-errors": st.one_of(HUGE, st.sampled_from(["0", "-5", "abc"])),
    "--max-errors": st.sampled_from(["0", "-1", "abc"]),
    "--gamma": st.sampled_from(["0", "-0.5", "1.5", "nan", "inf", "abc"]),
    "--idk-examples": st.sampled_from(["-1", "abc", "1.5"]),
    "--confidence": st.sampled_from(["-1", "nan", "abc"]),
    "--format": st.sampled_from(["bogus", ""]),
    "--forecast": st.sampled_from(["abc", "0", "-1", "2,,3", "nan", "inf", ","]),
    "--target-floor": st.sampled_from(["-0.1", "2", "nan", "abc"]),
    "--total-examples": st.one_of(HUGE, st.sampled_from(["0", "-1", "abc", "30"])),  # 30: fewer than listed
    "--max-error": st.sampled_from(["0", "1", "-0.5", "nan", "abc"]),
    "--context-order": st.sampled_from(["0", "3"]),  # without --text
}


@FUZZ
@given(option=st.sampled_from(sorted(FLOOR_OPTIONS)), data=st.data())
def test_bad_floor_options(option, data, tmp_path_factory):
    value = data.draw(FLOOR_OPTIONS[option])
    path = tmp_path_factory.getbasetemp() / "good_floor.csv"
    path.write_bytes(GOOD_FLOOR)
    code, err = _run(["floor", str(path), option, value])
    _assert_one_line_error(code, err, option)


@pytest.mark.parametrize("value", ["-1", "abc", "99999999999999999999", "65"])
def test_bad_context_order_with_text(value, tmp_path):
    path = tmp_path / "text.txt"
    path.write_text("the cat sat\nthe dog ran\n")
    _assert_one_line_error(*_run(["floor", str(path), "--text", "--context-order", value]), "--context-order")


SCORE_OPTIONS = {
    "--targets": st.sampled_from(["1.0", "-0.1", "abc", ",", "0.5,,0.9", "nan"]),
    "--bins": st.one_of(HUGE, st.sampled_from(["0", "-1", "abc"])),
    "--bootstrap": st.sampled_from(["-1", "abc", "1e9", "10000001"]),
    "--level": st.sampled_from(["0", "1", "1.5", "nan", "abc"]),
    "--seed": st.sampled_from(["-1", "abc", "1.5"]),
    "--names": st.sampled_from(["a,b", ""]),
    "--binning": st.sampled_from(["bogus"]),
    "--group-by": st.sampled_from(["nosuch"]),
    "--unscored": st.sampled_from(["bogus"]),
    "--labels": st.sampled_from(["bogus"]),
}


@FUZZ
@given(option=st.sampled_from(sorted(SCORE_OPTIONS)), data=st.data())
def test_bad_score_options(option, data, tmp_path_factory):
    value = data.draw(SCORE_OPTIONS[option])
    path = tmp_path_factory.getbasetemp() / "good_score.csv"
    path.write_bytes(GOOD_SCORE)
    code, err = _run(["score", str(path), option, value])
    _assert_one_line_error(code, err, option, str(path))


GOOD_TEXT = b"".join(b"w%d w%d w%d\n" % (i % 7, i % 5, i % 3) for i in range(200))
NGRAM_OPTIONS = {
    "--order": st.one_of(HUGE, st.sampled_from(["0", "-2", "abc"])),
    "--min-count": st.one_of(HUGE, st.sampled_from(["0", "-1", "abc"])),
    "--smoothing": st.sampled_from(["bogus", ""]),
    "--discounts": st.sampled_from(["a", "1,2", "5,1,1", "0.5,1,nan", "0.5,1,1.5,2"]),
}


@FUZZ
@given(option=st.sampled_from(sorted(NGRAM_OPTIONS)), data=st.data())
def test_bad_ngram_fit_options(option, data, tmp_path_factory):
    value = data.draw(NGRAM_OPTIONS[option])
    folder = Path(tempfile.mkdtemp(dir=tmp_path_factory.getbasetemp()))
    text = folder / "text.txt"
    text.write_bytes(GOOD_TEXT)
    argv = {"--order": "3", "--arpa": str(folder / "lm.arpa")}
    argv[option] = value
    code, err = _run(["ngram", "fit", str(text), *[x for kv in argv.items() for x in kv]])
    _assert_one_line_error(code, err, option)
    assert sorted(os.listdir(folder)) == ["text.txt"]


@pytest.mark.parametrize("target", ["missing_folder/lm.arpa", ".", "text.txt/lm.arpa"])
def test_ngram_fit_refuses_an_unwritable_arpa_before_fitting(target, tmp_path):
    text = tmp_path / "text.txt"
    text.write_bytes(GOOD_TEXT)
    _assert_one_line_error(*_run(["ngram", "fit", str(text), "--order", "3", "--arpa", str(tmp_path / target)]), "--arpa")
    assert sorted(os.listdir(tmp_path)) == ["text.txt"]


@FUZZ
@given(case=st.data())
def test_bad_ngram_fit_files(case):
    data, _ = case.draw(st.one_of(
        st.just((GOOD_TEXT.decode().encode("utf-16"), None)),
        st.integers(10, 40).map(lambda n: (gzip.compress(GOOD_TEXT)[:n], None)),
        st.binary(min_size=1, max_size=64).map(lambda b: (b"\xff" + b, None)),
        st.just((b"", None)),
        st.just((b"<s> </s> <unk>\n", None)),
    ))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bad.txt"
        path.write_bytes(data)
        code, err = _run(["ngram", "fit", str(path), "--order", "3", "--arpa", str(Path(folder) / "lm.arpa")])
        _assert_one_line_error(code, err, str(path), "`")
        assert sorted(os.listdir(folder)) == ["bad.txt"]


SLURM_OPTIONS = st.sampled_from([["--cpus", "0"], ["--cpus", "abc"], ["--mem", "-1"], ["--mem", "abc"],
                                 ["--time", "bogus"], ["--time", "0"], ["--rows-per-job", "0"],
                                 ["--rows-per-job", "abc"], ["--partition", ""]])


@settings(max_examples=12, deadline=None, derandomize=True)
@given(extra=SLURM_OPTIONS)
def test_bad_slurm_options_leave_out_untouched(extra):
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "out"
        code, err = _run(["run", "table2", "--out", str(out), "--progress", "off", "--scheduler", "slurm-local", *extra])
        _assert_one_line_error(code, err, extra[0])
        assert not out.exists()


@pytest.mark.parametrize("option", [["--cpus", "2"], ["--mem", "4"], ["--rows-per-job", "3"], ["--time", "10"]])
def test_slurm_options_need_a_slurm_scheduler(option, tmp_path):
    _assert_one_line_error(*_run(["run", "table2", "--out", str(tmp_path / "out"), *option]), option[0])
    assert not (tmp_path / "out").exists()


SET_VALUES = st.one_of(
    st.sampled_from(["seed=-1", "seed=1.5", "seed=abc", "replicates=0", "replicates=-3", "n_examples=[]",
                     "n_examples=[0]", "n_examples=[-5]", "n_examples=[1e15]", "n_examples=[9223372036854775808]",
                     "exponents=abc", "answer_prob=2", "n_responses=1", "learners=[\"bogus\"]", "bogus=1", "=1",
                     "noequals", "replicates=2\nseed=9", "prompts_per_example=0"]),
    HUGE.map(lambda v: f"n_examples=[{v}]"),
    HUGE.map(lambda v: f"seed={v}" if v.startswith("-") else f"n_responses={v}"),
)
RUN_OPTIONS = st.one_of(
    SET_VALUES.map(lambda v: ["--set", v]),
    st.sampled_from([["--jobs", "0"], ["--jobs", "-7"], ["--jobs", "abc"], ["--preset", "bogus"],
                     ["--scheduler", "bogus://"], ["--scheduler", "tcp//x"], ["--progress", "bogus"]]),
)


@FUZZ
@given(extra=RUN_OPTIONS)
def test_bad_run_options_leave_out_untouched(extra):
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "out"
        code, err = _run(["run", "singleton_floor", "--out", str(out), "--progress", "off", *extra])
        key = extra[1].partition("=")[0].strip() if extra[0] == "--set" else extra[0]
        _assert_one_line_error(code, err, f"`{key}`", extra[0], "singleton_floor.toml")
        assert not out.exists()


@pytest.mark.parametrize("extra", [["--preset", "bogus"], ["--jobs", "0"], ["--jobs", "x"]])
def test_bad_reproduce_options(extra, tmp_path):
    code, err = _run(["reproduce", "--out", str(tmp_path / "out"), *extra])
    _assert_one_line_error(code, err, extra[0])
    assert not (tmp_path / "out").exists()


def test_out_pointing_at_a_file_for_run_and_reproduce(tmp_path):
    target = tmp_path / "afile"
    target.write_text("x")
    for argv in (["run", "table2"], ["reproduce"]):
        _assert_one_line_error(*_run([*argv, "--out", str(target)]), "--out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


LIMITED = """
import resource, sys
limit = 3 << 30
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from hallusim.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize(
    "argv, name",
    [
        (["run", "singleton_floor", "--set", "n_examples=[1e15]"], "`n_examples`"),
        # streamed, 10^9 prompts need well under 1 GB; 10^12 would need about 15 GB of block sums
        (["run", "singleton_floor", "--set", "n_examples=[1e12]", "--set", "exponents=[1.0]"], "`n_examples`"),
        (["run", "fact_strings", "--set", "n_prompts=100000000000"], "`n_prompts`"),
        (["floor", "{file}", "--min-errors", "1" + "0" * 30], "--min-errors"),
    ],
)
def test_sizes_beyond_memory_are_refused_under_a_memory_limit(argv, name, tmp_path):
    pytest.importorskip("resource")
    path = tmp_path / "good.csv"
    path.write_bytes(GOOD_FLOOR)
    out = tmp_path / "out"
    argv = [a.replace("{file}", str(path)) for a in argv]
    if argv[0] == "run":
        argv += ["--out", str(out), "--progress", "off"]
    done = subprocess.run([sys.executable, "-c", LIMITED, *argv], capture_output=True, text=True, timeout=600)
    _assert_one_line_error(done.returncode, done.stderr, name)
    assert not out.exists()
