"""Parameter sweeps: a grid of configurations × replicates, each mapped to one row of results.

Seeds come from ``numpy.random.SeedSequence`` keyed by the sweep's root seed, a hash of the
configuration and the replicate index, so a row never depends on which worker ran it, in which
order, or how many workers there were.

Backends
--------
* serial (the default): every row in this process;
* local processes (``n_jobs > 1`` or ``-1`` for one per core): joblib's loky executor;
* a Dask cluster (``scheduler=``; needs the ``dask`` extra, ``python -m pip install ".[dask]"``
  from the clone):
  ``"local"`` for a ``LocalCluster`` on this machine, a scheduler address such as
  ``"tcp://10.0.0.1:8786"``, or a ``distributed.Client``;
* SLURM job arrays (``scheduler=SlurmScheduler(...)``; needs the ``slurm`` extra, submitit), see
  :mod:`hallusim.runs._slurm`.

Each worker runs ``cores // workers`` Numba threads (``NUMBA_NUM_THREADS`` in the worker's
environment before it imports Numba, and ``numba.set_num_threads`` before each row), so workers ×
threads never oversubscribe the cores. On a Dask cluster the count is taken per host from the
workers' cores and threads. Asking for more local workers than cores gives each worker one Numba
thread; the workers then share the cores, and :class:`OversubscriptionWarning` says so.

Results files and resuming
--------------------------
With ``results=``, every row is appended to a results file as soon as it completes (see
:mod:`hallusim.runs`), with the seed material (``root_seed``, ``replicate`` and the
configuration's ``config_hash``). Running the same sweep again reads the rows already there and
computes only the others, so a sweep killed part-way (even with ``kill -9``) finishes where it
stopped. The file remembers a fingerprint of the sweep function (its code and the values it
captures) and of the hallusim sources: rows made by other code are never mixed in.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import re
import warnings

import numba
import numpy as np
from joblib import Parallel, delayed, parallel_config

from hallusim._validation import check_int, fail
from hallusim.runs._fingerprint import fingerprint, function_name, store_path
from hallusim.runs._progress import Progress
from hallusim.runs._results import ResultStore, plain
from hallusim.runs._signals import terminate_as_interrupt
from hallusim.runs._slurm import SlurmScheduler

__all__ = [
    "expand_grid",
    "config_hash",
    "config_seed",
    "sweep",
    "available_cores",
    "dask_client",
    "OversubscriptionWarning",
]

RESERVED = ("replicate", "root_seed", "config_hash")


# --------------------------------------------------------------------------------------------
# Grid and seeds


def expand_grid(grid) -> list[dict]:
    """The configurations of ``grid``.

    Parameters
    ----------
    grid : dict or list of dict
        A dict maps each parameter to a list of values (the Cartesian product is taken, in key
        order; a single value that is not a list or tuple is one value). A list of dicts lists
        the configurations themselves.

    Returns
    -------
    list of dict
        Configurations whose values are plain Python data (NumPy scalars become Python numbers).
    """
    if isinstance(grid, dict):
        keys = list(grid)
        values = [v if isinstance(v, (list, tuple, np.ndarray)) else [v] for v in grid.values()]
        configs = [dict(zip(keys, combo)) for combo in itertools.product(*values)]
    elif isinstance(grid, (list, tuple)) and all(isinstance(g, dict) for g in grid):
        configs = [dict(g) for g in grid]
    else:
        fail("grid", "a dict of lists or a list of dicts", grid)
    out = []
    for config in configs:
        for name in config:
            if not isinstance(name, str) or name in RESERVED:
                fail("grid", f"parameter names that are strings other than {', '.join(RESERVED)}", name)
        try:
            out.append(plain(config))
        except ValueError:
            fail("grid", "values that are numbers, booleans, strings, None or lists of them", config)
    return out


def _config_words(params: dict) -> tuple[int, ...]:
    text = json.dumps(plain(params), sort_keys=True)
    digest = hashlib.sha256(text.encode()).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))


def config_hash(params: dict) -> str:
    """Hex digest identifying a configuration: the words of its seed's spawn key.

    Parameters
    ----------
    params : dict
        One configuration.

    Returns
    -------
    str
        32 hexadecimal digits; equal configurations (as JSON, keys sorted) give equal hashes.
    """
    return "".join(f"{word:08x}" for word in _config_words(params))


def config_seed(root_seed: int, params: dict, replicate: int) -> np.random.SeedSequence:
    """The ``SeedSequence`` of one (configuration, replicate).

    Keyed by the root seed, a hash of the configuration and the replicate index (never
    ``seed + i``), so that it does not depend on the order or place a row is computed in.

    Parameters
    ----------
    root_seed : int
        Root seed of the sweep.
    params : dict
        The configuration.
    replicate : int
        Replicate index.

    Returns
    -------
    numpy.random.SeedSequence
    """
    return np.random.SeedSequence(root_seed, spawn_key=_config_words(params) + (replicate,))


# --------------------------------------------------------------------------------------------
# Running one row (in whichever process)


def available_cores() -> int:
    """Number of CPU cores this process may run on (its affinity mask where known).

    Returns
    -------
    int
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class OversubscriptionWarning(RuntimeWarning):
    """More local worker processes than cores: each runs one Numba thread and they share the cores."""


def _warn_if_oversubscribed(n_workers: int) -> None:
    cores = available_cores()
    if n_workers > cores:
        warnings.warn(
            f"{n_workers} worker processes on {cores} cores: each runs 1 Numba thread and they share the "
            f"cores; n_jobs={cores} (or -1) is usually as fast",
            OversubscriptionWarning,
            stacklevel=3,
        )


def _set_numba_threads(threads) -> int | None:
    """Set Numba's thread count for this thread (capped by its pool); return the previous one."""
    if threads is None:
        return None
    previous = numba.get_num_threads()
    numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
    return previous


def _compute(func, params: dict, replicate: int, root_seed: int) -> dict:
    metrics = func(dict(params), config_seed(root_seed, params, replicate))
    if not isinstance(metrics, dict):
        fail("func", "a function returning a dict of metrics", f"<a {type(metrics).__name__} from {function_name(func)}>")
    clash = [key for key in metrics if key in params or key in RESERVED]
    if clash:
        fail("func", "a function whose metric names differ from the parameters and " + ", ".join(RESERVED), clash)
    try:
        return plain(metrics)
    except ValueError:
        fail("func", "a function returning numbers, booleans, strings, None, arrays or lists", metrics)


def _run_task(func, index: int, params: dict, replicate: int, root_seed: int, threads):
    """One row in a worker: limit Numba's threads, then compute. Returns (index, metrics)."""
    _set_numba_threads(threads)
    return index, _compute(func, params, replicate, root_seed)


def _run_dask_task(func, index, params, replicate, root_seed, threads_by_worker):
    # deferred: dask is an optional extra
    from distributed import get_worker

    threads = threads_by_worker.get(get_worker().address, 1)
    return _run_task(func, index, params, replicate, root_seed, threads)


# --------------------------------------------------------------------------------------------
# Backends: each yields (index, metrics) as rows complete, in any order.


def _serial(func, tasks, root_seed, numba_threads):
    previous = _set_numba_threads(numba_threads)
    try:
        for index, params, replicate in tasks:
            yield index, _compute(func, params, replicate, root_seed)
    finally:
        _set_numba_threads(previous)


def _processes(func, tasks, root_seed, n_workers, numba_threads):
    threads = numba_threads or max(1, available_cores() // n_workers)
    with parallel_config(backend="loky", inner_max_num_threads=threads):
        parallel = Parallel(n_jobs=n_workers, return_as="generator_unordered")
        yield from parallel(
            delayed(_run_task)(func, index, params, replicate, root_seed, threads) for index, params, replicate in tasks
        )


@contextlib.contextmanager
def _numba_threads_in_environ(threads: int):
    """``NUMBA_NUM_THREADS=threads`` in this process's environment for the duration, then restored.

    Worker processes started inside the block inherit it from their first instruction on: a
    spawned worker imports the parent's main module (and with it hallusim and Numba) before
    Dask applies a ``LocalCluster``'s ``env=``, so ``env=`` alone leaves Numba configured with
    the parent's thread count while the environment says otherwise, and the worker's next
    compilation fails. The parent's own value is restored (or removed) right after, because a
    changed ``NUMBA_NUM_THREADS`` makes the parent's next compilation fail in the same way.
    """
    previous = os.environ.get("NUMBA_NUM_THREADS")
    os.environ["NUMBA_NUM_THREADS"] = str(threads)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("NUMBA_NUM_THREADS", None)
        else:
            os.environ["NUMBA_NUM_THREADS"] = previous


_SCHEDULER_ADDRESS = re.compile(r"^(?:(?:tcp|tls|inproc|ucx|ws|wss)://)?[A-Za-z0-9_.\-\[\]:]+:\d+/?$")


def dask_client(scheduler, n_jobs: int, numba_threads: int | None = None, *, name: str = "scheduler"):
    """A Dask client for ``scheduler`` and a function that closes what this call opened.

    Parameters
    ----------
    scheduler : str or distributed.Client
        ``"local"`` (a ``LocalCluster`` of ``n_jobs`` worker processes), a scheduler address such
        as ``"tcp://10.0.0.1:8786"``, or a client (used as is, never closed).
    n_jobs : int
        Workers of a local cluster (``-1`` or ``1``: one per core).
    numba_threads : int, optional
        Numba threads per local worker (default: the cores shared among the workers).
    name : str, optional
        The parameter (or command-line option) named in messages.

    Returns
    -------
    client : distributed.Client
    cleanup : callable
        Closes the client and cluster this call created (nothing for a given client).
    """
    try:
        # deferred: dask is an optional extra
        from distributed import Client, LocalCluster
    except ImportError:
        raise ValueError(
            "`scheduler` needs dask.distributed, which is not installed: run "
            "python -m pip install \".[dask]\" in the hallusim clone (or python -m pip install \"dask[distributed]\")."
        ) from None
    if isinstance(scheduler, Client):
        return scheduler, lambda: None
    if scheduler == "local":
        n_workers = n_jobs if n_jobs > 1 else available_cores()
        _warn_if_oversubscribed(n_workers)
        threads = numba_threads or max(1, available_cores() // n_workers)
        with _numba_threads_in_environ(threads):
            cluster = LocalCluster(
                n_workers=n_workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=40,
                env={"NUMBA_NUM_THREADS": str(threads)},  # for workers the nannies restart later
            )
        client = Client(cluster)

        def cleanup():
            client.close()
            cluster.close()

        return client, cleanup
    if isinstance(scheduler, str):
        allowed = "'local' or the address of a running Dask scheduler, such as tcp://10.0.0.1:8786"
        if not _SCHEDULER_ADDRESS.match(scheduler):
            fail(name, allowed, scheduler)
        try:
            client = Client(scheduler, timeout=20)
        except (OSError, TimeoutError, ValueError) as exc:
            fail(name, allowed, f"<{scheduler!r} ({' '.join(str(exc).split())})>")
        return client, client.close
    fail(name, "None, 'local', a Dask scheduler address or a distributed.Client", scheduler)


def _cores_of_worker() -> int:
    return available_cores()


def _dask_threads(client, numba_threads) -> dict:
    """Numba threads per Dask worker: the host's cores shared among all task threads on it."""
    try:
        workers = client.scheduler_info(n_workers=-1)["workers"]  # distributed >= 2025.2 lists 5 by default
    except TypeError:
        workers = client.scheduler_info()["workers"]
    if numba_threads is not None:
        return {address: numba_threads for address in workers}
    cores = client.run(_cores_of_worker)
    per_host: dict = {}
    for info in workers.values():
        per_host[info["host"]] = per_host.get(info["host"], 0) + info["nthreads"]
    return {address: max(1, cores.get(address, 1) // per_host[info["host"]]) for address, info in workers.items()}


def _dask(func, tasks, root_seed, scheduler, n_jobs, numba_threads):
    client, cleanup = dask_client(scheduler, n_jobs, numba_threads)  # first: it explains a missing dask
    try:
        # deferred: dask is an optional extra
        from distributed import as_completed

        threads = _dask_threads(client, numba_threads)
        [remote_func] = client.scatter([func], broadcast=True, hash=False)
        futures = [
            client.submit(_run_dask_task, remote_func, index, params, replicate, root_seed, threads, pure=False)
            for index, params, replicate in tasks
        ]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            client.cancel(futures)
    finally:
        cleanup()


# --------------------------------------------------------------------------------------------
# Results file


def _refuse_metric_names(path, stored: set, computed: set):
    missing, extra = sorted(stored - computed), sorted(computed - stored)
    parts = ([f"lack {', '.join(extra)}"] if extra else []) + ([f"have {', '.join(missing)} as well"] if missing else [])
    difference = " and ".join(parts)
    fail("results", "a file whose rows have the metrics this sweep computes (start afresh: resume=False, or "
         "--fresh on the command line)", f"<{path}, whose rows {difference}>")


def _check_metric_names(path, done: dict) -> set | None:
    """The metric names of the stored rows to reuse, refusing rows that lack some of them."""
    names = None
    for metrics in done.values():
        if names is None:
            names = set(metrics)
        elif set(metrics) != names:
            lacking = ", ".join(sorted(names ^ set(metrics)))
            fail("results", "a file whose rows all have the same metrics (start afresh: resume=False, or --fresh "
                 "on the command line)", f"<{path}, where some rows lack {lacking}>")
    return names


# --------------------------------------------------------------------------------------------
# The sweep


def _backend_name(scheduler, n_jobs: int) -> str:
    if isinstance(scheduler, SlurmScheduler):
        return "slurm" if scheduler.cluster == "slurm" else f"submitit-{scheduler.cluster}"
    if scheduler is not None:
        return "dask"
    return "processes" if n_jobs > 1 else "serial"


def sweep(
    func,
    grid,
    *,
    replicates: int = 1,
    seed: int = 0,
    n_jobs: int = 1,
    scheduler=None,
    results=None,
    resume: bool = True,
    progress="auto",
    numba_threads: int | None = None,
    description: str | None = None,
    cost=None,
) -> list[dict]:
    """Run ``func(params, seed_sequence) -> dict`` on every configuration and replicate.

    Parameters
    ----------
    func : callable
        Maps one configuration (dict) and its ``SeedSequence`` (from :func:`config_seed`) to a
        dict of metrics. It must draw all its randomness from that seed sequence. With
        ``n_jobs > 1`` or a ``scheduler`` it is pickled (cloudpickle: closures are fine).
    grid : dict of lists or list of dicts
        The configurations (see :func:`expand_grid`).
    replicates : int
        Independent replicates per configuration.
    seed : int
        Root seed of the sweep.
    n_jobs : int
        Worker processes: 1 runs serially in this process, -1 uses one per core. With
        ``scheduler="local"``, the number of Dask workers. More than the cores warns
        (:class:`OversubscriptionWarning`): each worker then runs one Numba thread.
    scheduler : None, "local", str, distributed.Client or SlurmScheduler
        Run on Dask (optional extra ``dask``): ``"local"`` starts a ``LocalCluster`` for this
        sweep; a string is a scheduler address; a ``Client`` is used as is and left open. A
        :class:`SlurmScheduler` submits the rows as a SLURM job array (optional extra ``slurm``);
        with ``results``, this process appends each array task's rows as it finishes, so a
        stopped sweep resumes from the file.
    results : str or Path, optional
        Write rows as they complete to this ``.jsonl`` or ``.csv`` file (with a provenance
        sidecar, see :mod:`hallusim.runs`), or, for any other path, to a JSON Lines file in
        that folder named after ``func`` and its fingerprint.
    resume : bool
        With ``results``: keep the rows already in the file and compute only the missing ones
        (if false, the file is started afresh).
    progress : {"auto", "bar", "log", "off"} or bool
        A tqdm bar on a terminal, a plain line every few seconds in a log (``"auto"``).
    numba_threads : int, optional
        Numba threads per worker; by default the cores divided among the workers (and Numba's
        own setting when serial).
    description : str, optional
        Label for progress lines; by default the function's name.
    cost : callable, optional
        ``cost(params) -> float``: a configuration's running time in any unit (e.g. its ``N``),
        from which the progress estimates the time left; one per row by default.

    Returns
    -------
    list of dict
        One row per (configuration, replicate), in grid order (replicates innermost): the
        parameters, ``replicate``, ``root_seed`` and the metrics, as plain Python data. The rows
        do not depend on the backend, the number of workers or the order rows completed in.
    """
    if not callable(func):
        fail("func", "a callable", func)
    replicates = check_int("replicates", replicates, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    n_jobs = check_int("n_jobs", n_jobs, minimum=-1)
    if n_jobs == 0:
        fail("n_jobs", "an integer >= 1, or -1 for one per core", n_jobs)
    n_jobs = available_cores() if n_jobs == -1 else n_jobs
    if numba_threads is not None:
        numba_threads = check_int("numba_threads", numba_threads, minimum=1)
    configs = expand_grid(grid)
    hashes = [config_hash(params) for params in configs]
    description = description or function_name(func).replace("<locals>.", "").removeprefix("hallusim.experiments.")

    # Distinct (configuration, replicate) keys, in grid order.
    keys = list(dict.fromkeys((h, rep) for h in hashes for rep in range(replicates)))
    params_of = dict(zip(hashes, configs))

    store, done, metric_names = None, {}, None
    stack = contextlib.ExitStack()
    if results is not None:
        code_digest = fingerprint(func)
        store = ResultStore(
            store_path(results, func, code_digest),
            resume=resume,
            fingerprint=code_digest,
            columns=[*dict.fromkeys(k for c in configs for k in c), *RESERVED],
            identity={"root_seed": seed},
            required=list(RESERVED),
            session={
                "function": function_name(func),
                "root_seed": seed,
                "replicates": replicates,
                "backend": _backend_name(scheduler, n_jobs),
                "n_jobs": n_jobs,
            },
        ).open()
        wanted = set(keys)
        for row in store.rows:
            key = (row.get("config_hash"), row.get("replicate"))
            if key in wanted and key not in done:
                done[key] = {k: v for k, v in row.items() if k not in params_of[key[0]] and k not in RESERVED}
        metric_names = _check_metric_names(store.path, done)

    pending = [key for key in keys if key not in done]
    tasks = [(i, params_of[h], rep) for i, (h, rep) in enumerate(pending)]
    if cost is not None and not callable(cost):
        fail("cost", "a callable cost(params) -> float, or None", cost)
    row_cost = {h: (1.0 if cost is None else float(cost(params))) for h, params in params_of.items()}
    report = Progress(
        len(keys),
        description,
        mode=progress,
        done=len(done),
        total_cost=sum(row_cost[h] for h, _ in keys),
        done_cost=sum(row_cost[h] for h, _ in done),
    )
    status = "failed"
    try:
        stack.enter_context(terminate_as_interrupt())
        if not tasks:
            completed = iter(())
        elif isinstance(scheduler, SlurmScheduler):
            completed = scheduler._run(_run_task, func, tasks, seed, numba_threads)
        elif scheduler is not None:
            completed = _dask(func, tasks, seed, scheduler, n_jobs, numba_threads)
        elif n_jobs > 1:
            _warn_if_oversubscribed(min(n_jobs, len(tasks)))
            completed = _processes(func, tasks, seed, min(n_jobs, len(tasks)), numba_threads)
        else:
            completed = _serial(func, tasks, seed, numba_threads)
        for index, metrics in completed:
            h, rep = pending[index]
            done[(h, rep)] = metrics
            if metric_names is not None and set(metrics) != metric_names:
                _refuse_metric_names(store.path, metric_names, set(metrics))
            if store is not None:
                store.append({**params_of[h], "replicate": rep, "root_seed": seed, "config_hash": h, **metrics})
            report.update(cost=row_cost[h])
        status = "complete"
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    finally:
        stack.close()
        report.close()
        if store is not None:
            store.close(status)
    return [
        {**params, "replicate": rep, "root_seed": seed, **done[(h, rep)]}
        for params, h in zip(configs, hashes)
        for rep in range(replicates)
    ]
