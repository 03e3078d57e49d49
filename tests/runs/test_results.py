"""Results files: round trips (JSON Lines and CSV), unfinished rows, provenance, arrays, pandas."""

from __future__ import annotations

import math
import subprocess

import numpy as np
import pytest

import hallusim.runs._provenance as provenance_module
from hallusim.runs import (
    ResultStore,
    environment,
    load_table,
    plain,
    provenance_path,
    read_provenance,
    read_rows,
    write_table,
)

TRICKY_ROWS = [
    {
        "i": 1,
        "x": 0.1,
        "tiny": 1e-300,
        "big": 2**62,
        "flag": True,
        "none": None,
        "text": "plain",
        "seq": [1, 2.5, "a"],
        "nan": float("nan"),
        "inf": float("-inf"),
    },
    {
        "i": -7,
        "x": 1.0,
        "tiny": -0.0,
        "big": 0,
        "flag": False,
        "none": None,
        "text": "1",  # a text that reads as a number
        "seq": [],
        "nan": 3.0,
        "inf": 1.5,
    },
    {
        "i": 0,
        "x": 2.5e10,
        "tiny": 5e-324,
        "big": -(2**40),
        "flag": True,
        "none": None,
        "text": 'a, "quoted"\nline\r\nbreak ☃ true',
        "seq": [[1], {"k": "v"}],
        "nan": 0.0,
        "inf": 0.0,
    },
    {"i": 3, "x": 3.25, "tiny": 0.0, "big": 1, "flag": False, "none": None, "text": "", "seq": [None], "nan": 1.0, "inf": 2.0},
    {"i": 4, "x": 4.0, "tiny": 0.0, "big": 1, "flag": False, "none": None, "text": "true", "seq": [], "nan": 1.0, "inf": 2.0},
    {
        # line breaks for str.splitlines but not for JSON: unescaped with ensure_ascii=False
        "i": 5,
        "x": 5.0,
        "tiny": 0.0,
        "big": 1,
        "flag": True,
        "none": None,
        "text": "line\u2028separator\u2029paragraph\x85next\x0bvt\x0cff\x1cfs\x1dgs\x1ers",
        "seq": ["\u2028", "\x85"],
        "nan": 1.0,
        "inf": 2.0,
    },
]


def same(a, b) -> bool:
    """Equality that treats NaN as equal to NaN and checks types (1 is not 1.0, True is not 1)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return a == b


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_store_round_trip_keeps_values_and_types(tmp_path, suffix):
    path = tmp_path / f"rows{suffix}"
    with ResultStore(path, columns=["i"]) as store:
        for row in TRICKY_ROWS:
            store.append(row)
    back = read_rows(path)
    assert len(back) == len(TRICKY_ROWS)
    for written, read in zip(TRICKY_ROWS, back):
        assert same(written, read), (written, read)


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_write_table_round_trip_and_atomicity(tmp_path, suffix):
    path = tmp_path / "sub" / f"table{suffix}"
    write_table(TRICKY_ROWS, path, provenance={"config": {"a": 1}})
    table = load_table(path)
    assert all(same(w, r) for w, r in zip(TRICKY_ROWS, table.rows))
    assert table.provenance["config"] == {"a": 1} and table.provenance["rows"] == len(TRICKY_ROWS)
    assert sorted(p.name for p in path.parent.iterdir()) == sorted([path.name, provenance_path(path).name])


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_resume_reads_back_texts_with_unicode_line_separators(tmp_path, suffix):
    path = tmp_path / f"rows{suffix}"
    with ResultStore(path, columns=["i"]) as store:
        for row in TRICKY_ROWS[:3]:
            store.append(row)
    with ResultStore(path, columns=["i"]) as store:  # resume, then append the rest
        assert len(store.rows) == 3
        for row in TRICKY_ROWS[3:]:
            store.append(row)
    with ResultStore(path, columns=["i"]) as store:  # and resume once more after them
        assert len(store.rows) == len(TRICKY_ROWS)
    assert all(same(w, r) for w, r in zip(TRICKY_ROWS, read_rows(path)))


def test_numpy_values_become_plain_data():
    row = plain({"a": np.int64(3), "b": np.float32(0.5), "c": np.arange(3), "d": np.bool_(True), "e": (1, 2)})
    assert same(row, {"a": 3, "b": 0.5, "c": [0, 1, 2], "d": True, "e": [1, 2]})
    with pytest.raises(ValueError, match="^`value` must be a number, bool, str, None"):
        plain({"a": object()})
    with pytest.raises(ValueError, match="^`value` must be"):
        plain({1: 2})


def test_missing_cells_and_varying_columns(tmp_path):
    jsonl = tmp_path / "rows.jsonl"
    with ResultStore(jsonl) as store:
        store.append({"a": 1, "b": 2})
        store.append({"a": 3, "c": "x"})  # JSON Lines rows are free-form
    table = load_table(jsonl)
    assert table.columns == ["a", "b", "c"]
    assert np.isnan(table.column("b")[1]) and table.column("b")[0] == 2.0
    assert table.column("c").tolist() == [None, "x"]

    csv_path = tmp_path / "rows.csv"
    with ResultStore(csv_path) as store:
        store.append({"a": 1, "b": 2})
        store.append({"a": 3})  # a missing cell is allowed
        with pytest.raises(ValueError, match="^`row` must be a row with the CSV columns"):
            store.append({"a": 4, "c": 5})  # a new column is not
    assert read_rows(csv_path) == [{"a": 1, "b": 2}, {"a": 3}]


def test_columns_as_numpy_arrays_with_their_dtypes(tmp_path):
    path = tmp_path / "rows.jsonl"
    write_table([{"n": 1, "x": 0.5, "ok": True, "s": "a"}, {"n": 2, "x": 1, "ok": False, "s": "bc"}], path)
    table = load_table(path)
    arrays = table.arrays()
    assert arrays["n"].dtype == np.int64 and arrays["n"].tolist() == [1, 2]
    assert arrays["x"].dtype == np.float64 and arrays["x"].tolist() == [0.5, 1.0]
    assert arrays["ok"].dtype == bool and arrays["s"].tolist() == ["a", "bc"] and arrays["s"].dtype.kind == "U"
    assert table["n"].tolist() == [1, 2] and len(table) == 2
    with pytest.raises(KeyError):
        table.column("missing")


def test_to_pandas(tmp_path):
    pd = pytest.importorskip("pandas")
    path = tmp_path / "rows.csv"
    write_table([{"n": 1, "x": 0.5}, {"n": 2, "x": 1.5}], path)
    frame = load_table(path).to_pandas()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["n", "x"] and frame["x"].sum() == 2.0


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_a_reader_never_sees_a_half_written_row(tmp_path, suffix):
    path = tmp_path / f"rows{suffix}"
    with ResultStore(path) as store:
        store.append({"a": 1, "b": "x"})
        store.append({"a": 2, "b": "y"})
    complete = path.read_bytes()
    with open(path, "ab") as fh:  # the state after kill -9 in the middle of a write
        fh.write(b'{"a":3,"b' if suffix == ".jsonl" else b"3,")
    assert read_rows(path) == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]
    with ResultStore(path) as store:  # resuming cuts the unfinished row off
        assert len(store.rows) == 2
        store.append({"a": 3, "b": "z"})
    assert path.read_bytes().startswith(complete)
    assert read_rows(path)[-1] == {"a": 3, "b": "z"}


def test_a_header_cut_in_half_starts_the_csv_afresh(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_bytes(b"a,b")  # no newline: nothing complete
    with ResultStore(path) as store:
        store.append({"a": 1, "b": 2})
    assert path.read_text() == "a,b\n1,2\n"


def test_malformed_lines_name_the_file_and_line(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"a": 1}\nnot json\n')
    with pytest.raises(ValueError, match=r"rows\.jsonl, line 2: not a JSON object"):
        read_rows(path)
    csv_path = tmp_path / "rows.csv"
    csv_path.write_text("a,b\n1,2\n1,2,3\n")
    with pytest.raises(ValueError, match=r"rows\.csv, line 3: 3 cells for 2 columns"):
        read_rows(csv_path)
    with pytest.raises(ValueError, match="^`results` must be a path ending in .jsonl or .csv"):
        read_rows(tmp_path / "rows.txt")


def test_provenance_sidecar_records_every_session(tmp_path):
    path = tmp_path / "rows.jsonl"
    with ResultStore(path, fingerprint="f" * 64, session={"root_seed": 3}) as store:
        store.append({"a": 1})
        meta = read_provenance(path)
        assert meta["status"] == "running" and meta["end_time"] is None
    with ResultStore(path, fingerprint="f" * 64, session={"root_seed": 3}) as store:
        store.append({"a": 2})
    meta = read_provenance(path)
    assert meta["status"] == "complete" and meta["rows"] == 2 and meta["root_seed"] == 3
    assert [s["rows_written"] for s in meta["sessions"]] == [1, 1]
    assert meta["start_time"] == meta["sessions"][0]["start_time"] <= meta["end_time"]
    for key in ("hallusim", "numpy", "numba", "python", "git_commit", "git_dirty", "command"):
        assert key in meta and key in environment()
    with pytest.raises(ValueError, match="^`results` must be a file written by the same sweep function"):
        ResultStore(path, fingerprint="0" * 64).open()
    with ResultStore(path, resume=False) as store:  # starting afresh discards rows and sessions
        assert store.rows == []
    assert read_rows(path) == [] and len(read_provenance(path)["sessions"]) == 1


def test_the_store_must_be_open_to_append(tmp_path):
    store = ResultStore(tmp_path / "rows.jsonl")
    with pytest.raises(ValueError, match="not open"):
        store.append({"a": 1})


def test_git_commit_of_the_working_directory_for_a_non_editable_install(tmp_path, monkeypatch):
    """``pip install .`` puts the sources in site-packages, away from the clone's .git."""
    if subprocess.run(["git", "--version"], capture_output=True).returncode != 0:
        pytest.skip("git is not installed")
    repo = tmp_path / "clone"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    (repo / "a.txt").write_text("one\n")
    subprocess.run([*git, "add", "a.txt"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "first"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()

    site_packages = tmp_path / "site-packages"  # where a non-editable install lives: no .git
    site_packages.mkdir()
    monkeypatch.setattr(provenance_module, "_SOURCE_ROOT", site_packages)
    (repo / "sub").mkdir()
    monkeypatch.chdir(repo / "sub")
    provenance_module._git_state_at.cache_clear()
    env = environment()
    assert env["git_commit"] == head and env["git_dirty"] is False
    assert env["git_repository"] == str(repo.resolve())

    (repo / "a.txt").write_text("two\n")
    provenance_module._git_state_at.cache_clear()
    assert environment()["git_dirty"] is True

    monkeypatch.chdir(tmp_path)  # outside any git work tree: nothing to record
    provenance_module._git_state_at.cache_clear()
    if subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True).returncode != 0:
        assert environment()["git_commit"] is None
    provenance_module._git_state_at.cache_clear()


def test_sidecar_counts_follow_the_rows_while_appending(tmp_path):
    path = tmp_path / "rows.jsonl"
    with ResultStore(path, provenance_interval=0) as store:  # update after every row
        for i in range(3):
            store.append({"i": i})
            meta = read_provenance(path)
            assert meta["status"] == "running" and meta["rows"] == i + 1
            assert meta["sessions"][-1]["rows_written"] == i + 1
    with ResultStore(path, provenance_interval=3600) as store:  # not yet due: counts at open
        store.append({"i": 3})
        assert read_provenance(path)["rows"] == 3 and read_rows(path)[-1] == {"i": 3}
    assert read_provenance(path)["rows"] == 4  # close brings them up to date


def test_environment_records_the_full_command_and_working_directory(tmp_path, monkeypatch):
    import os
    import shlex
    import sys

    monkeypatch.chdir(tmp_path)
    env = environment()
    assert env["cwd"] == os.getcwd()
    expected = getattr(sys, "orig_argv", None) or [sys.executable, *sys.argv]
    assert shlex.split(env["command"]) == list(expected)
    assert shlex.split(env["command"])[0] == expected[0]  # the interpreter, not just the script name
