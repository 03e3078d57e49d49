"""Running experiments at scale: parameter sweeps, the results store, provenance and progress.

Not a section of the paper but what makes its figures reproducible: a sweep maps a grid of
configurations × replicates to one row each, with seeds derived from (root seed, configuration,
replicate) so that rows never depend on the worker that computed them; rows are appended to a
results file as they complete (resumable after ``kill -9``), beside a JSON provenance sidecar.

* ``_sweep``: :func:`sweep`, :func:`expand_grid`, seeds (:func:`config_seed`), backends (serial,
  local processes, Dask);
* ``_slurm``: :class:`SlurmScheduler`, the SLURM job-array backend (submitit);
* ``_results``: the append-only :class:`ResultStore`, :func:`write_table`, :func:`read_rows`,
  :func:`load_table`;
* ``_provenance``: the sidecar (versions, git commit, command line) and atomic writes;
* ``_progress``: progress bars and plain log lines;
* ``_signals``: SIGTERM handled like Ctrl-C (:func:`terminate_as_interrupt`).
"""

from hallusim.runs._progress import PROGRESS_MODES, Progress, format_duration
from hallusim.runs._provenance import (
    environment,
    provenance_path,
    read_provenance,
    utc_timestamp,
    write_json_atomic,
    write_text_atomic,
)
from hallusim.runs._results import (
    TABLE_SUFFIXES,
    ResultStore,
    ResultTable,
    format_of,
    load_table,
    plain,
    read_rows,
    write_table,
)
from hallusim.runs._signals import Terminated, terminate_as_interrupt
from hallusim.runs._slurm import SlurmScheduler, parse_slurm_time
from hallusim.runs._sweep import (
    OversubscriptionWarning,
    available_cores,
    config_hash,
    config_seed,
    dask_client,
    expand_grid,
    sweep,
)

__all__ = [
    "sweep",
    "expand_grid",
    "config_hash",
    "config_seed",
    "available_cores",
    "dask_client",
    "OversubscriptionWarning",
    "SlurmScheduler",
    "parse_slurm_time",
    "Terminated",
    "terminate_as_interrupt",
    "ResultStore",
    "ResultTable",
    "TABLE_SUFFIXES",
    "format_of",
    "load_table",
    "plain",
    "read_rows",
    "write_table",
    "environment",
    "provenance_path",
    "read_provenance",
    "utc_timestamp",
    "write_json_atomic",
    "write_text_atomic",
    "PROGRESS_MODES",
    "Progress",
    "format_duration",
]
