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

import importlib

# Names are imported from their modules when first used (PEP 562): the command line imports
# ``_signals`` for every command, and only a sweep needs ``_sweep`` (and joblib, 0.1 s).
_MODULE_OF = {
    **dict.fromkeys(("PROGRESS_MODES", "Progress", "format_duration"), "_progress"),
    **dict.fromkeys(("environment", "provenance_path", "read_provenance", "utc_timestamp", "write_json_atomic",
                     "write_text_atomic"), "_provenance"),
    **dict.fromkeys(("TABLE_SUFFIXES", "ResultStore", "ResultTable", "format_of", "load_table", "plain", "read_rows",
                     "write_table"), "_results"),
    **dict.fromkeys(("Terminated", "terminate_as_interrupt"), "_signals"),
    **dict.fromkeys(("SlurmScheduler", "parse_slurm_time"), "_slurm"),
    **dict.fromkeys(("OversubscriptionWarning", "available_cores", "config_hash", "config_seed", "dask_client",
                     "expand_grid", "sweep"), "_sweep"),
}


def __getattr__(name):
    if name in _MODULE_OF:
        value = getattr(importlib.import_module(f"hallusim.runs.{_MODULE_OF[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'hallusim.runs' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))


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
