"""The input rules of hallusim._inputs: one stream, gzip sniffed from it, bounded lines, sizes, umask."""

from __future__ import annotations

import gzip
import io
import os
import stat
import subprocess
import sys

import pytest

from hallusim import _inputs


def test_open_input_reads_stdin_once_and_sniffs_gzip_from_the_same_stream(monkeypatch):
    data = b"key,count\n" + b"".join(b"k%d,1\n" % i for i in range(5000))
    for payload in (data, gzip.compress(data)):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(payload)))
        with _inputs.open_input("-") as source:
            assert source.name == "<stdin>" and source.compressed == (payload != data)
            assert source.stream.read() == data


def test_open_input_on_a_folder_and_a_missing_file(tmp_path):
    with pytest.raises(ValueError, match=r": cannot be read \(is a folder, not a file\)\.$"):
        with _inputs.open_input(tmp_path):
            pass
    with pytest.raises(ValueError, match=r"nothing\.csv: cannot be read \(no such file or folder\)"):
        with _inputs.open_input(tmp_path / "nothing.csv"):
            pass


def test_line_chunks_copy_each_byte_a_bounded_number_of_times():
    line = b"x" * 100_000 + b"\n"
    chunks = list(_inputs.line_chunks(io.BytesIO(line * 3), "f", chunk_bytes=1000))
    assert b"".join(chunks) == line * 3
    assert all(chunk.endswith(b"\n") for chunk in chunks)
    assert sum(len(c) for c in chunks) == len(line) * 3  # each byte yielded once: linear


def test_line_chunks_refuse_a_line_beyond_the_maximum():
    data = b"ok\n" + b"y" * 5000
    with pytest.raises(ValueError, match=r"^f, line 2: a line longer than"):
        list(_inputs.line_chunks(io.BytesIO(data), "f", max_line_bytes=4096, chunk_bytes=1000))


def test_repeated_column_names_are_refused():
    _inputs.check_unique_names(["a", "b"], where="f")
    with pytest.raises(ValueError, match="column 'Count' must appear once"):
        _inputs.check_unique_names(["count", "Count"], where="f", normalize=str.lower)


def test_json_strings_compare_decoded():
    assert _inputs.json_string_bytes(rb"\u00e9") == "é".encode()
    assert _inputs.json_string_bytes(b"plain") == b"plain"


def test_check_allocation_names_the_parameter_and_the_estimate():
    _inputs.check_allocation("n", 1024)
    with pytest.raises(ValueError, match=r"^`n_examples` must be a size whose arrays fit in memory .*needs about 7\.11 PiB"):
        _inputs.check_allocation("n_examples", 8 * 10**15)


def test_check_count_bounds_by_64_bits():
    assert _inputs.check_count("n", 2**62) == 2**62
    with pytest.raises(ValueError, match=r"`n` must be an integer >= 0 and <= 2\*\*62.*got 9223372036854775808"):
        _inputs.check_count("n", 2**63)


@pytest.mark.parametrize("value", ["0", "-2", "abc", ""])
def test_bad_numba_num_threads_is_refused(value):
    with pytest.raises(ValueError, match="`NUMBA_NUM_THREADS` must be an integer >= 1"):
        _inputs.check_environment({"NUMBA_NUM_THREADS": value})
    _inputs.check_environment({"NUMBA_NUM_THREADS": "2"})


def test_atomic_writes_respect_the_umask(tmp_path):
    path = tmp_path / "t.txt"
    previous = os.umask(0o022)
    try:
        _inputs.write_text_atomic(path, "x")
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
        os.umask(0o027)
        _inputs.write_text_atomic(path, "y")
        assert stat.S_IMODE(path.stat().st_mode) == 0o640
    finally:
        os.umask(previous)
    assert path.read_text() == "y" and [p.name for p in tmp_path.iterdir()] == ["t.txt"]


def test_the_command_reports_a_bad_numba_num_threads_in_one_line():
    env = {**os.environ, "NUMBA_NUM_THREADS": "0"}
    done = subprocess.run([sys.executable, "-m", "hallusim.cli", "list"], env=env, capture_output=True, text=True)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        "hallusim: error: `NUMBA_NUM_THREADS` must be an integer >= 1 (Numba's thread count; unset it for one "
        "per core); got '0'."
    ]
