"""Resuming refuses rows it cannot trust; SIGTERM is an interruption; files keep the umask."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from hallusim.runs import ResultStore, read_provenance, read_rows, sweep, write_table

GRID = {"n": [1, 2, 3]}


def draw(params, seed_seq):
    rng = np.random.default_rng(seed_seq)
    return {"u": float(rng.random()) * params["n"], "v": int(rng.integers(0, 100))}


def test_resume_refuses_rows_of_another_seed_and_leaves_the_file_alone(tmp_path):
    path = tmp_path / "rows.jsonl"
    sweep(draw, GRID, seed=1, results=path, progress="off")
    before = path.read_bytes()
    with pytest.raises(ValueError, match=r"^`results` must be a file whose rows all have root_seed 2 .*--fresh.*"
                                         r"row 1 has root_seed 1>?\.$"):
        sweep(draw, GRID, seed=2, results=path, progress="off")
    assert path.read_bytes() == before
    rows = sweep(draw, GRID, seed=2, results=path, resume=False, progress="off")
    assert {row["root_seed"] for row in read_rows(path)} == {2} and len(rows) == 3


def test_resume_refuses_a_stored_row_lacking_a_metric(tmp_path):
    path = tmp_path / "rows.jsonl"
    sweep(draw, GRID, seed=1, results=path, progress="off")
    lines = path.read_text().splitlines()
    row = json.loads(lines[1])
    del row["u"]
    path.write_text("\n".join([lines[0], json.dumps(row), lines[2]]) + "\n")
    with pytest.raises(ValueError, match=r"^`results` must be a file whose rows all have the same metrics.*lack u"):
        sweep(draw, GRID, seed=1, results=path, progress="off")


def test_resume_refuses_stored_rows_whose_metrics_differ_from_the_computed_ones(tmp_path):
    path = tmp_path / "rows.jsonl"
    sweep(draw, {"n": [1]}, seed=1, results=path, progress="off")
    row = json.loads(path.read_text())
    del row["u"]
    path.write_text(json.dumps(row) + "\n")
    with pytest.raises(ValueError, match=r"metrics this sweep computes.*whose rows lack u"):
        sweep(draw, {"n": [1, 2]}, seed=1, results=path, progress="off")


def test_a_fingerprint_mismatch_tells_the_command_line_user_about_fresh(tmp_path):
    path = tmp_path / "rows.jsonl"
    sweep(draw, GRID, seed=1, results=path, progress="off")
    with pytest.raises(ValueError, match="--fresh on the command line"):
        sweep(lambda p, s: {"u": 0.0}, GRID, seed=1, results=path, progress="off")


def test_a_sweep_that_fails_before_any_row_leaves_no_file(tmp_path):
    def broken(params, seed_seq):
        raise ValueError("`n` must be small; got 1.")

    with pytest.raises(ValueError, match="must be small"):
        sweep(broken, GRID, seed=1, results=tmp_path / "rows.jsonl", progress="off")
    assert list(tmp_path.iterdir()) == []


def test_result_files_and_sidecars_get_the_umask_permissions(tmp_path):
    previous = os.umask(0o022)
    try:
        path = write_table([{"a": 1}], tmp_path / "t.csv")
        with ResultStore(tmp_path / "s.jsonl") as store:
            store.append({"a": 1})
    finally:
        os.umask(previous)
    for name in ("t.csv", "t.csv.provenance.json", "s.jsonl", "s.jsonl.provenance.json"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644, name
    assert path.exists()


SIGTERM_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    from hallusim.runs import sweep

    def work(params, seed_seq):
        if params["n"] == 3:
            os.kill(os.getpid(), signal.SIGTERM)  # a scheduler ending the job
        return {"u": float(params["n"])}

    sweep(work, {"n": [1, 2, 3, 4]}, seed=0, results=sys.argv[1], progress="off")
    """
)


def test_sigterm_is_recorded_as_an_interruption_and_resumes(tmp_path):
    path = tmp_path / "rows.jsonl"
    done = subprocess.run([sys.executable, "-c", SIGTERM_SCRIPT, str(path)], capture_output=True, text=True)
    assert done.returncode != -15, "SIGTERM ended the process without recording anything"
    assert read_provenance(path)["status"] == "interrupted"
    assert [row["n"] for row in read_rows(path)] == [1, 2]
