"""Bad input to the floor reader: pipes, repeated columns, escaped keys, very long lines."""

from __future__ import annotations

import io
import os
import sys
import threading

import pytest

from hallusim.cli import main
from hallusim.floor import _kernels as kernels
from hallusim.floor import read_floor_counts
from hallusim.floor._counts import FloorFileError

ROWS = 2000


def _counts_csv() -> bytes:
    """2000 prompts, every 2nd seen once (1000 singletons), the others twice; more than 4 KB."""
    return b"key,count\n" + b"".join(b"prompt%d,%d\n" % (i, 1 + i % 2) for i in range(ROWS))


def _through_a_pipe(data: bytes):
    """A path (/dev/fd/N) that reads ``data`` from a pipe, as ``<(cat file)`` gives."""
    read_end, write_end = os.pipe()

    def feed():
        with os.fdopen(write_end, "wb") as fh:
            fh.write(data)

    thread = threading.Thread(target=feed)
    thread.start()
    return f"/dev/fd/{read_end}", read_end, thread


@pytest.mark.skipif(not os.path.exists("/dev/fd"), reason="needs /dev/fd")
def test_a_pipe_loses_nothing():
    path, fd, thread = _through_a_pipe(_counts_csv())
    try:
        counts = read_floor_counts(path)
    finally:
        thread.join()
        os.close(fd)
    assert counts.n_prompts == ROWS and counts.n_singletons == ROWS // 2


def test_stdin_as_dash(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(_counts_csv())))
    assert main(["floor", "-", "--json"]) == 0
    out = capsys.readouterr().out
    assert f'"n_prompts": {ROWS}' in out and f'"n_singletons": {ROWS // 2}' in out and '"source": "<stdin>"' in out


def test_repeated_count_column_is_refused(tmp_path, capsys):
    path = tmp_path / "d.csv"
    path.write_bytes(b"key,count,count\na,1,2\nb,2,3\n")
    assert main(["floor", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "column 'count' must appear once" in err and "d.csv, line 1" in err


def test_escaped_and_plain_json_keys_are_one_key(tmp_path):
    path = tmp_path / "e.jsonl"
    path.write_bytes(b'{"key":"\\u00e9","count":1}\n{"key":"\xc3\xa9","count":2}\n')
    with pytest.raises(FloorFileError, match=r"e\.jsonl, line 2: `key` must be distinct"):
        read_floor_counts(path)
    path.write_bytes(b'{"key":"\\u00e9","count":1}\n{"key":"\\u00e8","count":2}\n')
    assert read_floor_counts(path).n_prompts == 2


def test_a_long_line_is_scanned_a_bounded_number_of_times(tmp_path, monkeypatch):
    """Each byte reaches the scanner O(1) times, not once per chunk read before its line ends."""
    monkeypatch.setattr(kernels, "CHUNK_BYTES", 4096)
    path = tmp_path / "long.csv"
    data = b"key,count\n" + b"k" * 400_000 + b",1\nb,2\n"
    path.write_bytes(data)
    scanned = []
    scan = kernels.scan_csv

    def counting(buf, *args):
        scanned.append(buf.size)
        return scan(buf, *args)

    monkeypatch.setattr(kernels, "scan_csv", counting)
    assert read_floor_counts(path).n_prompts == 2
    assert sum(scanned) <= 2 * len(data)
