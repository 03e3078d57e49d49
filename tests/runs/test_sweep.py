"""Sweeps: seeding, backends (serial, processes, Dask), Numba thread control, resume, progress."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from hallusim.runs import (
    ResultStore,
    available_cores,
    config_hash,
    config_seed,
    expand_grid,
    read_provenance,
    read_rows,
    sweep,
)
from hallusim.runs._progress import Progress

GRID = {"n": [1, 2, 3], "scale": [0.5, 2.0], "kind": ["a", "b"]}


def draw(params, seed_seq):
    """Metrics that depend on the configuration and on every bit of the seed sequence."""
    rng = np.random.default_rng(seed_seq)
    return {
        "u": float(rng.random()) * params["scale"],
        "k": int(rng.integers(0, 10**9)) + params["n"],
        "vec": rng.normal(size=2),
    }


def numba_threads_seen(params, seed_seq):
    import numba

    return {"threads": numba.get_num_threads(), "env": os.environ.get("NUMBA_NUM_THREADS", "")}


# ---------------------------------------------------------------------------------------------
# Grid and seeds


def test_expand_grid_product_in_key_order_and_list_of_dicts():
    configs = expand_grid({"a": [1, 2], "b": "x", "c": (True, False)})
    assert configs == [
        {"a": 1, "b": "x", "c": True},
        {"a": 1, "b": "x", "c": False},
        {"a": 2, "b": "x", "c": True},
        {"a": 2, "b": "x", "c": False},
    ]
    assert expand_grid([{"a": 1}, {"b": np.int64(2)}]) == [{"a": 1}, {"b": 2}]
    assert type(expand_grid({"b": np.arange(2)})[1]["b"]) is int


@pytest.mark.parametrize(
    "grid", [3, "abc", [1, 2], {"replicate": [1]}, {"root_seed": [1]}, {"x": [object()]}, {1: [2]}]
)
def test_expand_grid_rejects_bad_grids(grid):
    with pytest.raises(ValueError, match="^`grid` must be"):
        expand_grid(grid)


def test_config_seed_keyed_by_config_and_replicate_not_position():
    a = config_seed(7, {"x": 1, "y": "z"}, 0)
    assert a.entropy == 7
    same = config_seed(7, {"y": "z", "x": 1}, 0)  # key order does not matter
    assert a.generate_state(4).tolist() == same.generate_state(4).tolist()
    # NumPy and Python numbers are the same configuration.
    assert config_hash({"x": np.int64(1), "y": "z"}) == config_hash({"x": 1, "y": "z"})
    others = [config_seed(7, {"x": 2, "y": "z"}, 0), config_seed(7, {"x": 1, "y": "z"}, 1), config_seed(8, {"x": 1, "y": "z"}, 0)]
    states = {tuple(s.generate_state(4).tolist()) for s in [a, *others]}
    assert len(states) == 4


def test_rows_in_grid_order_and_independent_of_the_rest_of_the_grid():
    rows = sweep(draw, GRID, replicates=2, seed=11, progress="off")
    assert len(rows) == 3 * 2 * 2 * 2
    assert [(r["n"], r["scale"], r["kind"], r["replicate"]) for r in rows[:3]] == [
        (1, 0.5, "a", 0),
        (1, 0.5, "a", 1),
        (1, 0.5, "b", 0),
    ]
    assert all(r["root_seed"] == 11 for r in rows)
    assert all(isinstance(r["vec"], list) for r in rows)  # rows hold plain data
    # A row does not depend on which other configurations are swept, or where it sits.
    sub = sweep(draw, [{"kind": "b", "scale": 2.0, "n": 3}, {"n": 1, "scale": 0.5, "kind": "a"}], replicates=2, seed=11)
    by_key = {(r["n"], r["scale"], r["kind"], r["replicate"]): r for r in rows}
    for row in sub:
        assert row == by_key[(row["n"], row["scale"], row["kind"], row["replicate"])]
    # Another root seed gives other draws.
    assert sweep(draw, GRID, replicates=2, seed=12)[0]["u"] != rows[0]["u"]


def test_duplicate_configurations_give_identical_rows():
    calls = []

    def counted(params, seed_seq):
        calls.append(params["a"])
        return draw({"n": 0, "scale": 1.0}, seed_seq)

    rows = sweep(counted, {"a": [1, 1]}, replicates=1, seed=0, progress="off")
    assert rows[0] == rows[1] and calls == [1]


def test_bad_arguments_raise_the_template():
    with pytest.raises(ValueError, match="^`replicates` must be an integer >= 1; got 0"):
        sweep(draw, GRID, replicates=0)
    with pytest.raises(ValueError, match="^`n_jobs` must be"):
        sweep(draw, GRID, n_jobs=0)
    with pytest.raises(ValueError, match="^`seed` must be"):
        sweep(draw, GRID, seed=-1)
    with pytest.raises(ValueError, match="^`progress` must be one of"):
        sweep(draw, GRID, progress="loud")
    with pytest.raises(ValueError, match="^`func` must be a function returning a dict"):
        sweep(lambda p, s: 3.0, GRID)
    with pytest.raises(ValueError, match="^`func` must be a function whose metric names differ"):
        sweep(lambda p, s: {"n": 1}, GRID)
    with pytest.raises(ValueError, match="^`func` must be a function whose metric names differ"):
        sweep(lambda p, s: {"replicate": 1}, GRID)
    with pytest.raises(ValueError, match="^`results` must be a .jsonl or .csv file, or a folder"):
        sweep(draw, GRID, results=__file__)


# ---------------------------------------------------------------------------------------------
# Backends give the same rows


def test_two_processes_give_the_serial_rows():
    serial = sweep(draw, GRID, replicates=2, seed=3, progress="off")
    parallel = sweep(draw, GRID, replicates=2, seed=3, n_jobs=2, progress="off")
    assert parallel == serial


def test_dask_local_cluster_gives_the_serial_rows():
    pytest.importorskip("distributed")
    serial = sweep(draw, GRID, replicates=2, seed=3, progress="off")
    before = os.environ.get("NUMBA_NUM_THREADS")
    on_dask = sweep(draw, GRID, replicates=2, seed=3, scheduler="local", n_jobs=2, progress="off")
    assert on_dask == serial
    # the workers' thread limit must not leak into this process: a changed NUMBA_NUM_THREADS
    # makes Numba's next compilation here fail
    assert os.environ.get("NUMBA_NUM_THREADS") == before


DASK_COMPILE_SCRIPT = textwrap.dedent(
    """
    import json, os, sys

    import hallusim  # spawned workers re-import this script, hence hallusim and Numba, first
    import numba
    from hallusim.runs import sweep


    def compile_in_worker(params, seed_seq):
        # sweep has launched the worker's Numba threads (set_num_threads); a fresh compilation
        # now re-reads NUMBA_NUM_THREADS and fails if it disagrees with the imported config
        @numba.njit(parallel=True, cache=False)
        def total(n):
            acc = 0
            for i in numba.prange(n):
                acc += i
            return acc

        return {
            "total": int(total(params["n"])),
            "config_threads": numba.config.NUMBA_NUM_THREADS,
            "threads": numba.get_num_threads(),
        }


    if __name__ == "__main__":
        before = os.environ.get("NUMBA_NUM_THREADS")
        rows = sweep(compile_in_worker, {"n": [10, 20, 30, 40]}, scheduler="local", n_jobs=2, progress="off")

        @numba.njit(cache=False)
        def twice(x):  # and the parent still compiles afterwards
            return 2 * x

        print(json.dumps({"rows": rows, "env_after": os.environ.get("NUMBA_NUM_THREADS"),
                          "env_before": before, "parent": twice(21)}))
    """
)


def test_dask_workers_compile_numba_kernels_when_the_main_script_imports_hallusim(tmp_path):
    """The ``hallusim run --scheduler local`` crash: workers re-import the main script, and with
    it Numba, before LocalCluster's ``env=`` is applied; their next compilation raised
    "Cannot set NUMBA_NUM_THREADS to a different value once the threads have been launched"."""
    pytest.importorskip("distributed")
    script = tmp_path / "dask_compile.py"
    script.write_text(DASK_COMPILE_SCRIPT)
    env = {key: value for key, value in os.environ.items() if key != "NUMBA_NUM_THREADS"}
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "numba-cache")  # nothing compiled yet
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    expected = max(1, available_cores() // 2)
    assert [r["total"] for r in result["rows"]] == [n * (n - 1) // 2 for n in (10, 20, 30, 40)]
    assert {r["config_threads"] for r in result["rows"]} == {expected}
    assert {r["threads"] for r in result["rows"]} == {expected}
    assert result["env_before"] is None and result["env_after"] is None  # parent's environment untouched
    assert result["parent"] == 42


def test_dask_workers_get_their_numba_thread_limit():
    pytest.importorskip("distributed")
    rows = sweep(numba_threads_seen, {"i": [0, 1]}, scheduler="local", n_jobs=2, progress="off")
    expected = max(1, available_cores() // 2)
    assert {r["env"] for r in rows} == {str(expected)}


def test_workers_times_numba_threads_never_exceed_the_cores():
    cores = available_cores()
    rows = sweep(numba_threads_seen, {"i": list(range(4))}, n_jobs=2, progress="off")
    expected = max(1, cores // 2)
    assert {r["threads"] for r in rows} == {expected}
    assert {r["env"] for r in rows} == {str(expected)}  # set before the worker imported Numba
    if cores >= 2:
        assert 2 * expected <= cores
    rows = sweep(numba_threads_seen, {"i": [0, 1]}, n_jobs=2, numba_threads=1, progress="off")
    assert {r["threads"] for r in rows} == {1}


def test_more_workers_than_cores_warns_and_runs_one_numba_thread_each():
    from hallusim.runs import OversubscriptionWarning

    workers = available_cores() + 1
    with pytest.warns(OversubscriptionWarning, match=f"{workers} worker processes on {available_cores()} cores"):
        rows = sweep(numba_threads_seen, {"i": list(range(workers))}, n_jobs=workers, progress="off")
    assert {r["threads"] for r in rows} == {1}


def test_a_missing_dask_names_the_install_command_from_the_clone(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_distributed(name, *args, **kwargs):
        if name == "distributed" or name.startswith("distributed."):
            raise ImportError("No module named 'distributed'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_distributed)
    with pytest.raises(ValueError, match=r'python -m pip install "\.\[dask\]" in the hallusim clone'):
        sweep(draw, GRID, scheduler="local", progress="off")


def test_serial_numba_threads_are_restored():
    import numba

    before = numba.get_num_threads()
    rows = sweep(numba_threads_seen, {"i": [0]}, numba_threads=1, progress="off")
    assert rows[0]["threads"] == 1
    assert numba.get_num_threads() == before


# ---------------------------------------------------------------------------------------------
# Results files and resuming


def test_results_file_holds_every_row_with_its_seed_material(tmp_path):
    path = tmp_path / "rows.jsonl"
    rows = sweep(draw, GRID, replicates=2, seed=5, results=path, progress="off")
    stored = read_rows(path)
    assert len(stored) == len(rows)
    for row, saved in zip(rows, stored):
        assert saved["config_hash"] == config_hash({k: row[k] for k in GRID})
        assert {k: v for k, v in saved.items() if k != "config_hash"} == row
    meta = read_provenance(path)
    assert meta["status"] == "complete" and meta["root_seed"] == 5 and meta["rows"] == len(rows)
    assert meta["sessions"][0]["rows_written"] == len(rows)


CRASH = {"after": None, "calls": 0}


def crash_after(params, seed_seq):
    """``draw``, raising once ``CRASH["after"]`` rows have been computed (a simulated crash)."""
    if CRASH["calls"] == CRASH["after"]:
        raise RuntimeError("simulated crash")
    CRASH["calls"] += 1
    return draw(params, seed_seq)


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_resume_after_a_crash_computes_only_the_missing_rows(tmp_path, suffix, monkeypatch):
    path = tmp_path / f"rows{suffix}"
    expected = sweep(draw, GRID, replicates=2, seed=9, progress="off")
    monkeypatch.setitem(CRASH, "after", 7)
    monkeypatch.setitem(CRASH, "calls", 0)
    with pytest.raises(RuntimeError, match="simulated crash"):
        sweep(crash_after, GRID, replicates=2, seed=9, results=path, progress="off")
    assert len(read_rows(path)) == 7
    assert read_provenance(path)["status"] == "failed"

    monkeypatch.setitem(CRASH, "after", None)
    monkeypatch.setitem(CRASH, "calls", 0)
    resumed = sweep(crash_after, GRID, replicates=2, seed=9, results=path, progress="off")
    assert resumed == expected
    assert CRASH["calls"] == len(expected) - 7
    assert len(read_rows(path)) == len(expected)


def test_an_unfinished_last_line_is_ignored_then_cut_off(tmp_path):
    path = tmp_path / "rows.jsonl"
    full = sweep(draw, GRID, seed=1, results=path, progress="off")
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:5]) + lines[5][: len(lines[5]) // 2])  # killed mid-write
    assert len(read_rows(path)) == 5
    assert sweep(draw, GRID, seed=1, results=path, progress="off") == full
    assert len(read_rows(path)) == len(full)
    assert path.read_text().endswith("\n")


def test_resume_refuses_rows_of_another_function_unless_fresh(tmp_path):
    path = tmp_path / "rows.jsonl"
    sweep(draw, GRID, seed=1, results=path, progress="off")

    def other(params, seed_seq):
        return {"u": 0.0}

    with pytest.raises(ValueError, match="^`results` must be a file written by the same sweep function"):
        sweep(other, GRID, seed=1, results=path, progress="off")
    rows = sweep(other, GRID, seed=1, results=path, resume=False, progress="off")
    assert read_rows(path) == [{**r, "config_hash": config_hash({k: r[k] for k in GRID})} for r in rows]


def test_a_folder_gets_one_file_per_function_and_captured_values(tmp_path):
    def make(offset):
        def shifted(params, seed_seq):
            return {"v": params["n"] + offset}

        return shifted

    a = sweep(make(1), {"n": [1, 2]}, results=tmp_path, progress="off")
    b = sweep(make(2), {"n": [1, 2]}, results=tmp_path, progress="off")
    assert [r["v"] for r in a] == [2, 3] and [r["v"] for r in b] == [3, 4]
    assert len(list(tmp_path.glob("*.jsonl"))) == 2


def test_one_writer_at_a_time(tmp_path):
    path = tmp_path / "rows.jsonl"
    with ResultStore(path):
        with pytest.raises(ValueError, match="^`results` must be a file that no other running sweep is writing"):
            sweep(draw, GRID, results=path, progress="off")


KILLED_SCRIPT = textwrap.dedent(
    """
    import os, sys, time
    import numpy as np
    import hallusim.runs._results as results_module
    from hallusim.runs import sweep

    results_module.PROVENANCE_INTERVAL = float(os.environ.get("PROVENANCE_SECONDS", "5"))

    def work(params, seed_seq):
        time.sleep(float(os.environ.get("ROW_SECONDS", "0")))
        rng = np.random.default_rng(seed_seq)
        return {"u": float(rng.random()), "k": int(rng.integers(0, 10**9))}

    GRID = {"a": list(range(8)), "b": [0.5, 1.5]}

    if __name__ == "__main__":
        sweep(work, GRID, replicates=2, seed=42, results=sys.argv[1], n_jobs=int(sys.argv[2]), progress="log")
    """
)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_sigkill_mid_sweep_then_rerun_gives_exactly_the_full_rows(tmp_path, n_jobs):
    script = tmp_path / "killed_sweep.py"
    script.write_text(KILLED_SCRIPT)
    path = tmp_path / "rows.jsonl"
    total = 8 * 2 * 2
    env = {**os.environ, "ROW_SECONDS": "0.15", "PROVENANCE_SECONDS": "0"}  # sidecar after every row
    proc = subprocess.Popen(
        [sys.executable, str(script), str(path), str(n_jobs)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 120  # a guard against a hung child, not a timing assertion
        while time.monotonic() < deadline and proc.poll() is None:
            if path.exists() and len(read_rows(path)) >= 6:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the sweep finished before it could be killed: " + proc.stderr.read().decode()
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    survived = len(read_rows(path))
    assert 6 <= survived < total
    killed = read_provenance(path)
    assert killed["status"] == "running"  # the killed session never closed
    # its counts were kept up to date (the kill may fall between a row and its sidecar update)
    assert survived - 1 <= killed["sessions"][-1]["rows_written"] == killed["rows"] <= survived

    done = subprocess.run(
        [sys.executable, str(script), str(path), str(n_jobs)], env={**os.environ, "ROW_SECONDS": "0"}, capture_output=True
    )
    assert done.returncode == 0, done.stderr.decode()
    rows = read_rows(path)
    keys = [(r["config_hash"], r["replicate"], r["root_seed"]) for r in rows]
    assert len(rows) == total and len(set(keys)) == total
    meta = read_provenance(path)
    assert meta["status"] == "complete" and meta["sessions"][-1]["rows_written"] == total - survived

    # The rows equal those of an uninterrupted run.
    namespace = {}
    exec(compile(KILLED_SCRIPT, "killed_sweep", "exec"), namespace)
    expected = sweep(namespace["work"], namespace["GRID"], replicates=2, seed=42, progress="off")
    by_key = {(config_hash({"a": r["a"], "b": r["b"]}), r["replicate"]): r for r in expected}
    for row in rows:
        assert {k: v for k, v in row.items() if k != "config_hash"} == by_key[(row["config_hash"], row["replicate"])]


# ---------------------------------------------------------------------------------------------
# Progress


def test_progress_log_mode_prints_plain_lines():
    stream = io.StringIO()
    report = Progress(4, "demo", mode="log", interval=0.0, stream=stream, done=1)
    for _ in range(3):
        report.update()
    report.close()
    text = stream.getvalue()
    assert "\r" not in text
    lines = text.splitlines()
    assert lines[0] == "demo: resuming, 1/4 rows already done"
    assert lines[-1].startswith("demo: 4/4 rows (100%)")
    assert all(line.startswith("demo: ") for line in lines)


def test_progress_estimates_time_left_from_the_rows_cost(monkeypatch):
    """Rows of cost 1, 1, 10, 10 done at a steady 1 cost unit per second: after the first two,
    20 units (20 s) are left, not 2 rows at one row per second (2 s)."""
    import hallusim.runs._progress as progress_module

    now = [0.0]
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: now[0])
    report = Progress(4, "sized", mode="off", total_cost=22.0)
    now[0] = 1.0
    report.update(cost=1.0)
    now[0] = 2.0
    report.update(cost=1.0)
    assert report._status(2.0).endswith("about 20 s left")
    # while the next (long) row is in flight, the estimate counts down instead of growing
    assert report._status(7.0).endswith("about 15 s left")
    assert report._status(30.0).endswith("about 0 s left")


def test_sweep_passes_the_rows_cost_to_the_progress(monkeypatch):
    import hallusim.runs._progress as progress_module

    seen = {}
    real = progress_module.Progress.update

    def update(self, n=1, cost=None):
        seen.setdefault("total", self.total_cost)
        seen.setdefault("costs", []).append(cost)
        real(self, n, cost)

    monkeypatch.setattr(progress_module.Progress, "update", update)
    sweep(lambda params, seed: {}, {"n": [1, 10]}, replicates=2, progress="off", cost=lambda params: params["n"])
    assert seen == {"total": 22.0, "costs": [1.0, 1.0, 10.0, 10.0]}


def test_progress_off_and_auto_on_a_non_terminal_stream():
    stream = io.StringIO()
    report = Progress(3, "quiet", mode="off", stream=stream)
    report.update(3)
    report.close()
    assert stream.getvalue() == ""
    assert Progress(3, "x", mode="auto", stream=io.StringIO()).mode == "log"
    assert Progress(3, "x", mode=False, stream=io.StringIO()).mode == "off"


def test_progress_bar_mode_uses_tqdm():
    pytest.importorskip("tqdm")
    stream = io.StringIO()
    report = Progress(3, "bar", mode="bar", stream=stream)
    report.update(3)
    report.close()
    assert report.mode == "bar"
    assert stream.getvalue().startswith("\rbar:")  # a redrawn bar, not log lines


def wait_for(predicate, guard_seconds=60.0) -> bool:
    """Poll ``predicate`` until true; the guard only stops a hung test, it asserts no timing."""
    deadline = time.monotonic() + guard_seconds
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_progress_log_lines_come_from_a_timer_while_rows_are_in_flight():
    stream = io.StringIO()
    report = Progress(3, "slow", mode="log", interval=0.02, stream=stream)
    try:  # no row completes, yet plain lines keep coming
        assert wait_for(lambda: stream.getvalue().count("\n") >= 2), "no periodic line while rows were in flight"
    finally:
        report.close()
    lines = stream.getvalue().splitlines()
    assert all(line.startswith("slow: 0/3 rows (0%), ") for line in lines), lines
    assert report._timer is None  # stopped by close
    after = stream.getvalue()
    time.sleep(0.1)
    assert stream.getvalue() == after  # and silent afterwards


def test_sweep_progress_lines_go_to_stderr_while_a_long_row_runs(monkeypatch):
    """In a log, a sweep whose first row is still running prints a plain status line to stderr."""
    import hallusim.runs._progress as progress_module

    monkeypatch.setattr(progress_module, "LOG_INTERVAL", 0.02)
    err, out = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(sys, "stdout", out)
    seen_while_running = []

    def slow_first_row(params, seed_seq):
        if params["i"] == 0:  # returns once a status line has appeared (or after the guard)
            seen_while_running.append(wait_for(lambda: "demo-sweep: 0/2 rows" in err.getvalue()))
        return {"v": params["i"]}

    rows = sweep(slow_first_row, {"i": [0, 1]}, progress="log", description="demo-sweep")
    assert [r["v"] for r in rows] == [0, 1]
    assert seen_while_running == [True], err.getvalue()
    assert out.getvalue() == "" and "\r" not in err.getvalue()
    assert err.getvalue().splitlines()[-1].startswith("demo-sweep: 2/2 rows (100%)")


def test_provenance_json_is_valid(tmp_path):
    path = tmp_path / "rows.csv"
    sweep(draw, {"n": [1], "scale": [1.0]}, results=path, progress="off")
    meta = json.loads((tmp_path / "rows.csv.provenance.json").read_text())
    for key in ("hallusim", "numpy", "numba", "python", "git_commit", "command", "root_seed", "start_time", "end_time"):
        assert key in meta
