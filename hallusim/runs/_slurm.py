"""The SLURM backend of :func:`hallusim.runs.sweep`, driven by submitit (optional extra ``slurm``).

The rows still to compute are cut into chunks of ``rows_per_job`` and submitted as one SLURM job
array (one array task per chunk, at most ``max_parallel`` running at once). The process that
called :func:`sweep` stays the only writer of the results file: it appends a chunk's rows as soon
as that array task finishes. So the results file is the checkpoint twice over:

* an array task that SLURM preempts or times out is requeued by submitit (the task is
  checkpointable: its checkpoint is its own submission, since its rows depend only on their
  seeds) and loses at most the rows it was computing;
* if the driving process itself is stopped, running the same command again resumes from the
  rows in the file and submits only the others.

Each array task runs ``cpus`` Numba threads (``NUMBA_NUM_THREADS`` is exported in the job script
before Python starts, and ``numba.set_num_threads`` is called before each row), the cores SLURM
gave it, so rows are the same as serially, with any number of threads.
"""

from __future__ import annotations

import importlib.util
import math
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from hallusim._validation import check_int, fail

__all__ = ["SlurmScheduler", "parse_slurm_time"]

CLUSTERS = ("slurm", "local", "debug")
_TIME = re.compile(r"^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$")


def parse_slurm_time(value, name: str = "time") -> int:
    """Minutes of a SLURM time limit.

    Parameters
    ----------
    value : int or str
        Minutes (``90`` or ``"90"``), ``"HH:MM:SS"``, ``"D-HH"``, ``"D-HH:MM"`` or
        ``"D-HH:MM:SS"``, as sbatch's ``--time``; its ``"MM:SS"`` form is refused, because it is
        easily misread as hours and minutes.
    name : str
        The parameter named in the error message.

    Returns
    -------
    int
        Whole minutes, rounded up, at least 1.
    """
    if isinstance(value, bool):
        fail(name, "minutes (an int) or 'HH:MM:SS' / 'D-HH:MM:SS'", value)
    if isinstance(value, int):
        return check_int(name, value, minimum=1)
    match = _TIME.match(str(value).strip()) if isinstance(value, str) else None
    if match is None:
        fail(name, "minutes (an int) or 'HH:MM:SS' / 'D-HH:MM:SS'", value)
    days, first, second, third = match.groups()
    if days is None and second is None:
        minutes = int(first)
    elif days is None and third is None:
        fail(name, "minutes or 'HH:MM:SS' ('MM:SS' and 'HH:MM' are ambiguous: write 'HH:MM:00')", value)
    elif days is None:
        minutes = int(first) * 60 + int(second) + math.ceil(int(third) / 60)
    else:
        minutes = int(days) * 1440 + int(first) * 60 + int(second or 0) + math.ceil(int(third or 0) / 60)
    if minutes < 1:
        fail(name, "a time limit of at least 1 minute", value)
    return minutes


@dataclass(frozen=True)
class SlurmScheduler:
    """Where and how :func:`hallusim.runs.sweep` submits rows to SLURM (through submitit).

    Parameters
    ----------
    folder : str or Path
        Where submitit keeps each job's pickles and logs (``%j`` expands to the job id).
    partition : str, optional
        SLURM partition (``sbatch --partition``); the cluster's default if None.
    time : int or str
        Time limit of one array task: minutes, or ``"HH:MM:SS"`` / ``"D-HH:MM:SS"`` (default 60).
    cpus : int
        CPUs per array task (``--cpus-per-task``), also its Numba threads (default 1).
    mem_gb : float, optional
        Memory per array task in GB (``--mem``); the partition's default if None.
    rows_per_job : int
        Rows computed by one array task, one after another (default 1). Larger chunks mean fewer,
        longer jobs; a preempted task loses at most this many rows.
    max_parallel : int
        Array tasks running at once (``--array=...%max_parallel``; default 64).
    cluster : {"slurm", "local", "debug"}
        ``"slurm"`` submits with sbatch; ``"local"`` runs the same job array as processes on this
        machine and ``"debug"`` in this process (submitit's local and debug executors, for tests
        and for trying a sweep out before a cluster run).
    poll_seconds : float, optional
        How often the driving process asks for finished tasks (default 15 s on SLURM, so as not
        to load the scheduler; 0.2 s locally).
    """

    folder: str | Path = "slurm-jobs/%j"
    partition: str | None = None
    time: int | str = 60
    cpus: int = 1
    mem_gb: float | None = None
    rows_per_job: int = 1
    max_parallel: int = 64
    cluster: str = "slurm"
    poll_seconds: float | None = None

    def __post_init__(self):
        if self.cluster not in CLUSTERS:
            fail("cluster", "one of " + ", ".join(map(repr, CLUSTERS)), self.cluster)
        if self.partition is not None and (not isinstance(self.partition, str) or not self.partition.strip()):
            fail("partition", "None or a partition name", self.partition)
        parse_slurm_time(self.time)
        check_int("cpus", self.cpus, minimum=1)
        check_int("rows_per_job", self.rows_per_job, minimum=1)
        check_int("max_parallel", self.max_parallel, minimum=1)
        if self.mem_gb is not None and (isinstance(self.mem_gb, bool) or not isinstance(self.mem_gb, (int, float))
                                        or not self.mem_gb > 0):
            fail("mem_gb", "None or a number of GB > 0", self.mem_gb)
        if self.poll_seconds is not None and (isinstance(self.poll_seconds, bool)
                                              or not isinstance(self.poll_seconds, (int, float))
                                              or not self.poll_seconds > 0):
            fail("poll_seconds", "None or a number of seconds > 0", self.poll_seconds)
        if importlib.util.find_spec("submitit") is None:
            raise ValueError(
                "a SLURM scheduler needs submitit, which is not installed: run python -m pip install \".[slurm]\" "
                "in the hallusim clone (or python -m pip install submitit)."
            )
        if self.cluster == "slurm" and shutil.which("sbatch") is None:
            fail("cluster", "'slurm' only where SLURM's sbatch is on the PATH (a login node); 'local' or 'debug' "
                 "run the job array on this machine", "<'slurm' with no sbatch here>")

    def _executor(self, threads: int):
        # deferred: submitit is an optional extra (__post_init__ checked that it is installed)
        import submitit

        executor = submitit.AutoExecutor(folder=str(self.folder), cluster=self.cluster)
        params = {"timeout_min": parse_slurm_time(self.time), "cpus_per_task": self.cpus, "name": "hallusim-sweep"}
        if self.mem_gb is not None:
            params["mem_gb"] = self.mem_gb
        if self.cluster == "slurm":
            params["slurm_array_parallelism"] = self.max_parallel
            params["slurm_setup"] = [f"export NUMBA_NUM_THREADS={threads}"]
            if self.partition is not None:
                params["slurm_partition"] = self.partition
        executor.update_parameters(**params)
        return executor

    def _run(self, run_task, func, tasks, root_seed, numba_threads):
        """Yield ``(index, metrics)`` of every task as the array tasks finish (used by ``sweep``)."""
        threads = numba_threads or self.cpus
        executor = self._executor(threads)
        # deferred: submitit is an optional extra
        import submitit

        chunks = [tasks[i:i + self.rows_per_job] for i in range(0, len(tasks), self.rows_per_job)]
        jobs = executor.map_array(_Rows(), [run_task] * len(chunks), [func] * len(chunks), chunks,
                                  [root_seed] * len(chunks), [threads] * len(chunks))
        poll = self.poll_seconds or (15.0 if self.cluster == "slurm" else 0.2)
        try:
            for job in submitit.helpers.as_completed(jobs, poll_frequency=poll):
                yield from job.result()
        finally:
            for job in jobs:
                if not job.done():
                    job.cancel(check=False)


class _Rows:
    """One array task: its chunk of rows, in order. Checkpointable (submitit requeues it on
    preemption or time-out): its checkpoint is its own submission, because a row depends only on
    its seed."""

    def __call__(self, run_task, func, chunk, root_seed, threads):
        return [run_task(func, index, params, replicate, root_seed, threads) for index, params, replicate in chunk]

    def checkpoint(self, *args, **kwargs):
        # deferred: runs inside a submitit job, where submitit is installed
        from submitit.helpers import DelayedSubmission

        return DelayedSubmission(self, *args, **kwargs)
