"""The SLURM backend (submitit): job arrays run with submitit's local and debug executors give the
serial rows, resume from the results file, and are requeued as themselves; bad options refused."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import cloudpickle
import numpy as np
import pytest

from hallusim.cli import main
from hallusim.runs import SlurmScheduler, parse_slurm_time, read_rows, sweep

pytest.importorskip("submitit")

# submitit's debug executor leaves its log files open, and its local executor drops the Popen of a
# task whose result is in while the process is still exiting: ResourceWarnings at collection time,
# from submitit, not from what these tests check.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning",
                                        "ignore::ResourceWarning")

GRID = {"n": [1, 2, 3], "scale": [0.5, 2.0]}

# submitit's job processes cannot import this test module: its functions travel by value
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def draw(params, seed_seq):
    """Metrics that depend on the configuration and on every bit of the seed sequence."""
    rng = np.random.default_rng(seed_seq)
    return {"u": float(rng.random()) * params["scale"], "k": int(rng.integers(0, 10**9)) + params["n"]}


def numba_threads(params, seed_seq):
    import numba

    return {"threads": numba.get_num_threads()}


@pytest.mark.parametrize("cluster,rows_per_job", [("debug", 1), ("local", 4)])
def test_job_array_gives_the_serial_rows(tmp_path, cluster, rows_per_job):
    serial = sweep(draw, GRID, replicates=2, seed=11, progress="off")
    scheduler = SlurmScheduler(folder=tmp_path / "jobs" / "%j", cluster=cluster, rows_per_job=rows_per_job,
                               max_parallel=2)
    rows = sweep(draw, GRID, replicates=2, seed=11, progress="off", scheduler=scheduler,
                 results=tmp_path / "rows.jsonl")
    assert rows == serial
    stored = sorted(read_rows(tmp_path / "rows.jsonl"), key=lambda r: (r["n"], r["scale"], r["replicate"]))
    assert [{k: v for k, v in r.items() if k != "config_hash"} for r in stored] == sorted(
        serial, key=lambda r: (r["n"], r["scale"], r["replicate"]))


def test_each_array_task_runs_cpus_numba_threads(tmp_path):
    rows = sweep(numba_threads, {"n": [1, 2]}, progress="off",
                 scheduler=SlurmScheduler(folder=tmp_path / "%j", cluster="local", cpus=1))
    assert [r["threads"] for r in rows] == [1, 1]


def test_resume_submits_only_the_missing_rows(tmp_path):
    results = tmp_path / "rows.jsonl"
    first = sweep(draw, {"n": [1, 2], "scale": [0.5, 2.0]}, seed=3, progress="off", results=results)
    folder = tmp_path / "jobs"
    rows = sweep(draw, GRID, seed=3, progress="off", results=results,
                 scheduler=SlurmScheduler(folder=folder / "%j", cluster="local", max_parallel=2))
    assert rows == sweep(draw, GRID, seed=3, progress="off")
    assert rows[:4] == first
    # one array task per missing row (n = 3 with both scales), none for the four already stored
    tasks = {p.name.removesuffix("_submitted.pkl") for p in folder.rglob("*_submitted.pkl")}
    assert len(tasks) == 2, tasks


def test_a_preempted_task_is_requeued_as_itself(tmp_path):
    from hallusim.runs import _slurm
    from hallusim.runs._sweep import _run_task

    task = _slurm._Rows()
    chunk = [(0, {"n": 1, "scale": 0.5}, 0), (1, {"n": 2, "scale": 2.0}, 1)]
    again = task.checkpoint(_run_task, draw, chunk, 7, 1)
    assert again.function is task and again.args == (_run_task, draw, chunk, 7, 1)
    assert again.result() == task(_run_task, draw, chunk, 7, 1)


@pytest.mark.parametrize(
    "value,minutes",
    [(90, 90), ("90", 90), ("01:30:00", 90), ("00:00:01", 1), ("1-00", 1440), ("2-01:30", 2970), ("1-00:00:30", 1441)],
)
def test_slurm_time_forms(value, minutes):
    assert parse_slurm_time(value) == minutes


@pytest.mark.parametrize(
    "kwargs,needle",
    [
        ({"cluster": "pbs"}, "`cluster` must be one of 'slurm', 'local', 'debug'"),
        ({"time": "10:30"}, "'MM:SS' and 'HH:MM' are ambiguous"),
        ({"time": 0}, "`time` must be an integer >= 1"),
        ({"time": "soon"}, "`time` must be minutes"),
        ({"cpus": 0}, "`cpus` must be an integer >= 1"),
        ({"mem_gb": -4}, "`mem_gb` must be None or a number of GB > 0"),
        ({"rows_per_job": 0}, "`rows_per_job` must be an integer >= 1"),
        ({"partition": ""}, "`partition` must be None or a partition name"),
    ],
)
def test_bad_options_are_refused(tmp_path, kwargs, needle):
    with pytest.raises(ValueError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        SlurmScheduler(folder=tmp_path, **{"cluster": "local", **kwargs})


@pytest.mark.skipif(shutil.which("sbatch") is not None, reason="this machine has SLURM")
def test_slurm_without_sbatch_says_so(tmp_path):
    with pytest.raises(ValueError, match="sbatch is on the PATH"):
        SlurmScheduler(folder=tmp_path)


# ---------------------------------------------------------------------------------------------
# The command line


TOY = '''
"""A throwaway experiment for the SLURM CLI tests."""
from pathlib import Path

import numpy as np

from hallusim.runs import sweep, write_table

SUMMARY = "Table: toy draws."
OUTPUTS = ("results/slurmtoy.csv",)


def one(params, seed_seq):
    return {"u": float(np.random.default_rng(seed_seq).random()) * params["n"]}


def run(config, out_dir, *, sweep_options=None):
    rows = sweep(one, {"n": config["n"]}, replicates=2, seed=1, **(sweep_options or {}))
    write_table(rows, Path(out_dir) / "results" / "slurmtoy.csv")
    return rows


# the job processes cannot import this module from the test's folder: it travels by value
import sys  # noqa: E402
import cloudpickle  # noqa: E402
cloudpickle.register_pickle_by_value(sys.modules[__name__])
'''


@pytest.fixture
def slurmtoy(tmp_path, monkeypatch):
    import hallusim.experiments as experiments

    folder = tmp_path / "exps"
    folder.mkdir()
    (folder / "slurmtoy.py").write_text(TOY)
    (folder / "slurmtoy.toml").write_text("[quick]\nn = [1, 2]\n\n[paper]\nn = [1, 2, 3]\n")
    monkeypatch.setattr(experiments, "__path__", [str(folder)])
    monkeypatch.syspath_prepend(str(folder))
    return "slurmtoy"


def test_cli_slurm_local_gives_the_serial_rows(slurmtoy, tmp_path):
    assert main(["run", slurmtoy, "--out", str(tmp_path / "a"), "--progress", "off"]) == 0
    argv = ["run", slurmtoy, "--out", str(tmp_path / "b"), "--progress", "off", "--scheduler", "slurm-local",
            "--time", "00:10:00", "--cpus", "1", "--mem", "1", "--rows-per-job", "3"]
    assert main(argv) == 0
    table = Path("results") / "slurmtoy.csv"
    assert read_rows(tmp_path / "a" / table) == read_rows(tmp_path / "b" / table)
    assert any((tmp_path / "b" / "results" / "slurm").rglob("*_log.out"))


@pytest.mark.parametrize(
    "extra,needle",
    [
        (["--partition", "gpu"], "`--partition` must be used with --scheduler slurm (or slurm-local); got --partition "
                                 "with --scheduler (none)."),
        (["--scheduler", "local", "--cpus", "2"], "`--cpus` must be used with --scheduler slurm"),
        (["--scheduler", "slurm-local", "--time", "10:30"], "`--time` must be minutes or 'HH:MM:SS'"),
        (["--scheduler", "slurm-local", "--mem", "0"], "`--mem` must be None or a number of GB > 0"),
    ],
)
def test_cli_bad_slurm_options_are_one_line(slurmtoy, tmp_path, capsys, extra, needle):
    assert main(["run", slurmtoy, "--out", str(tmp_path), *extra]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err, err
    assert not (tmp_path / "results").exists()
