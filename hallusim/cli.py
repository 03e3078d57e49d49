"""The ``hallusim`` command.

``hallusim list``
    The experiments, one per line, with the figure or table each produces.
``hallusim run NAME [--preset quick|paper] [--jobs N] [--scheduler ADDRESS] [--out DIR] [--set KEY=VALUE ...]``
    One experiment: figures into ``DIR/figures``, tables into ``DIR/results``.
``hallusim reproduce [--preset quick|paper] [--jobs N] [--out DIR]``
    Every experiment.
``hallusim score FILE ...``
    Score graded evaluation results (see :mod:`hallusim.scoring`).
``hallusim floor ...``
    Theorem 2's error floor of a training set (see :mod:`hallusim.floor`).

Every sweep's rows are also appended, as they complete, to a JSON Lines file under
``DIR/results/sweeps/`` (one folder per experiment and configuration); running the same command
again resumes from it (``--fresh`` recomputes everything). Bad input ends with a one-line
``hallusim: error: ...`` on standard error and exit status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
import warnings
from pathlib import Path

from hallusim import experiments
from hallusim._progress import PROGRESS_MODES, _duration
from hallusim._validation import check_int, fail

__all__ = ["main", "build_parser", "run_experiment", "experiment_main", "ExperimentError"]

ENVIRONMENT_HELP = """\
environment:
  NUMBA_CACHE_DIR       where Numba caches compiled kernels (default: __pycache__ beside the
                        sources); set it to a writable folder on read-only installs
  HALLUSIM_NUMBA_CACHE  set to 0 to switch the compiled-kernel cache off
"""


class ExperimentError(RuntimeError):
    """An experiment broke its contract (e.g. did not write a file it declares in ``OUTPUTS``)."""


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors are one line (and exit status 2)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _add_experiment_options(parser, *, overrides: bool) -> None:
    parser.add_argument(
        "--preset", default="quick", help="preset table of the experiment's TOML file: quick or paper (default: quick)"
    )
    parser.add_argument(
        "--out",
        default=".",
        type=Path,
        metavar="DIR",
        help="output folder; figures go to DIR/figures, tables to DIR/results (default: the current folder)",
    )
    if overrides:
        parser.add_argument(
            "--set",
            dest="overrides",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="override one preset key, e.g. --set replicates=10 or --set 'exponents=[1.0, 1.5]' (repeatable)",
        )
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="worker processes, -1 for one per core (default: 1); each runs cores/N Numba threads, "
        "and more workers than cores run one thread each (with a warning)",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run sweeps on Dask: 'local' for a local cluster of --jobs workers, or a scheduler "
        "address such as tcp://10.0.0.1:8786 (needs the dask extra)",
    )
    parser.add_argument(
        "--fresh", action="store_true", help="recompute every row instead of resuming from DIR/results/sweeps/"
    )
    parser.add_argument(
        "--progress",
        default="auto",
        choices=PROGRESS_MODES,
        help="progress bar (on a terminal), plain log lines, or off (default: auto)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``hallusim`` argument parser with every subcommand.

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = _Parser(
        prog="hallusim",
        description="Simulate and measure why language models hallucinate: run the experiments "
        "that regenerate the figures and tables of Kalai, Nachum, Vempala & Zhang (2025).",
        epilog=ENVIRONMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    listing = commands.add_parser(
        "list", help="list the experiments and what each produces", description="List the experiments, one per line."
    )
    listing.set_defaults(func=_list)

    run = commands.add_parser(
        "run",
        help="run one experiment",
        description="Run one experiment with a preset, writing its figures and tables.",
        epilog=ENVIRONMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("name", metavar="NAME", help="the experiment (see `hallusim list`)")
    _add_experiment_options(run, overrides=True)
    run.set_defaults(func=_run)

    reproduce = commands.add_parser(
        "reproduce",
        help="run every experiment",
        description="Run every experiment with a preset: every figure into DIR/figures, every table into DIR/results.",
        epilog=ENVIRONMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_experiment_options(reproduce, overrides=False)
    reproduce.set_defaults(func=_reproduce)

    from hallusim import _cli_floor, _cli_score

    _cli_score.add_parser(commands)
    _cli_floor.add_parser(commands)
    return parser


# --------------------------------------------------------------------------------------------
# Running experiments


def _config_digest(config: dict) -> str:
    import hashlib

    text = json.dumps(config, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def run_experiment(name: str, config: dict, out, *, preset: str = "quick", sweep_options=None) -> list[dict]:
    """Run experiment ``name`` with ``config``, writing its outputs and a provenance record.

    Parameters
    ----------
    name : str
        The experiment.
    config : dict
        Its configuration (see :func:`hallusim.experiments.load_config`).
    out : str or Path
        Output folder: figures go to ``out/figures``, tables to ``out/results``.
    preset : str
        Name of the preset the configuration came from (recorded only).
    sweep_options : dict, optional
        Backend options for :func:`hallusim.sweep.sweep` (``n_jobs``, ``scheduler``, ``resume``,
        ``progress``). ``results`` defaults to ``out/results/sweeps/<name>-<config digest>``, so
        that running the same configuration again resumes it.

    Returns
    -------
    list of dict
        The experiment's rows.

    Notes
    -----
    Adds the experiment, preset, configuration, declared outputs, start and end times to the
    provenance sidecar of every table it declares (``out/results/<table>.provenance.json``,
    beside the versions, git commit and command line that :func:`hallusim.results.write_table`
    records), so each table has one sidecar. An experiment that declares no ``.csv`` or
    ``.jsonl`` table gets ``out/results/<name>.provenance.json`` instead.
    """
    from hallusim._provenance import _now, environment, provenance_path, read_provenance, write_json_atomic
    from hallusim.results import FORMATS

    module = experiments.load(name)
    out = Path(out)
    for folder in ("figures", "results"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    options = dict(sweep_options or {})
    options.setdefault("results", out / "results" / "sweeps" / f"{name}-{_config_digest(config)}")
    start, clock = _now(), time.monotonic()
    rows = module.run(dict(config), out, sweep_options=options)
    outputs = list(getattr(module, "OUTPUTS", ()))
    missing = [item for item in outputs if not (out / item).exists()]
    if missing:
        raise ExperimentError(f"experiment {name!r} did not write its declared outputs: {', '.join(missing)}")
    record = {
        **environment(),
        "experiment": name,
        "summary": getattr(module, "SUMMARY", ""),
        "preset": preset,
        "config": config,
        "outputs": outputs,
        "sweeps": str(options["results"]),
        "start_time": start,
        "end_time": _now(),
        "seconds": round(time.monotonic() - clock, 3),
    }
    tables = [out / item for item in outputs if Path(item).suffix.lower() in FORMATS]
    for table in tables:
        write_json_atomic(provenance_path(table), {**read_provenance(table), **record})
    if not tables:
        record["rows"] = len(rows) if rows is not None else None
        write_json_atomic(out / "results" / f"{name}.provenance.json", record)
    return rows


@contextlib.contextmanager
def _sweep_options(args):
    """The sweep options of the command line; a Dask cluster lives as long as the command."""
    jobs = check_int("--jobs", args.jobs, minimum=-1)
    if jobs == 0:
        fail("--jobs", "an integer >= 1, or -1 for one per core", jobs)
    options = {"n_jobs": jobs, "resume": not args.fresh, "progress": args.progress}
    from hallusim.sweep import OversubscriptionWarning, _dask_client, available_cores

    cores = available_cores()
    if jobs > cores and (args.scheduler is None or args.scheduler == "local"):
        print(
            f"hallusim: warning: --jobs {jobs} is more than the {cores} cores: each worker runs 1 Numba thread "
            f"and they share the cores (--jobs {cores} or -1 is usually as fast)",
            file=sys.stderr,
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OversubscriptionWarning)  # said once above, not per sweep
        if args.scheduler is None:
            yield options
            return
        client, cleanup = _dask_client(args.scheduler, cores if jobs == -1 else jobs)
        try:
            yield {**options, "scheduler": client}
        finally:
            cleanup()


def _run_one(name, config, args, options, label="") -> None:
    """Run one experiment whose configuration has already been validated (no output before that)."""
    print(f"hallusim: {label}{name} ({args.preset}) ...", file=sys.stderr, flush=True)
    clock = time.monotonic()
    run_experiment(name, config, args.out, preset=args.preset, sweep_options=options)
    module = experiments.load(name)
    outputs = ", ".join(str(args.out / item) for item in getattr(module, "OUTPUTS", ()))
    print(f"hallusim: {label}{name} done in {_duration(time.monotonic() - clock)}: {outputs}", file=sys.stderr)


def _list(args) -> int:
    names = experiments.available()
    width = max((len(n) for n in names), default=0)
    status = 0
    for name in names:
        try:
            module = experiments.load(name)
        except Exception as exc:  # noqa: BLE001 - report a broken experiment and go on listing
            print(f"{name:<{width}}  (cannot be loaded: {_one_line(exc)})")
            status = 1
            continue
        outputs = ", ".join(getattr(module, "OUTPUTS", ()))
        print(f"{name:<{width}}  {getattr(module, 'SUMMARY', '').strip()}  [{outputs}]")
    return status


def _run(args) -> int:
    config = experiments.load_config(args.name, args.preset, args.overrides)  # fails before any output
    with _sweep_options(args) as options:
        _run_one(args.name, config, args, options)
    return 0


def _reproduce(args) -> int:
    names = experiments.available()
    if not names:
        fail("experiments", "at least one installed experiment", "none")
    # fail early on a bad preset, before hours of computing
    configs = {name: experiments.load_config(name, args.preset) for name in names}
    clock = time.monotonic()
    with _sweep_options(args) as options:
        for i, name in enumerate(names, start=1):
            _run_one(name, configs[name], args, options, label=f"[{i}/{len(names)}] ")
    print(
        f"hallusim: reproduced {len(names)} experiments ({args.preset}) in {_duration(time.monotonic() - clock)}: "
        f"figures in {args.out / 'figures'}, tables in {args.out / 'results'}",
        file=sys.stderr,
    )
    return 0


# --------------------------------------------------------------------------------------------
# Entry points


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _dispatch(parser, argv) -> int:
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error already reported in one line
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    try:
        return int(args.func(args) or 0)
    except (ValueError, OSError) as exc:
        print(f"hallusim: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except ExperimentError as exc:
        print(f"hallusim: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("hallusim: interrupted; run the same command again to resume", file=sys.stderr)
        return 130


def main(argv=None) -> int:
    """Entry point of the ``hallusim`` command.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 on success, 2 after a one-line error message (bad arguments, presets,
        files), 130 when interrupted.
    """
    return _dispatch(build_parser(), argv)


def experiment_main(name: str, argv=None) -> int:
    """Entry point of the script ``experiments/<name>.py``: ``hallusim run NAME`` by another name.

    Parameters
    ----------
    name : str
        The experiment.
    argv : list of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status, as for :func:`main`.
    """
    try:
        summary = experiments.load(name).SUMMARY
    except (ValueError, ImportError) as exc:
        print(f"hallusim: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    parser = _Parser(
        prog=f"{name}.py", description=summary, epilog=ENVIRONMENT_HELP, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    _add_experiment_options(parser, overrides=True)
    parser.set_defaults(func=_run, name=name)
    return _dispatch(parser, argv)


if __name__ == "__main__":
    sys.exit(main())
