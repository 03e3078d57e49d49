"""``hallusim list``, ``hallusim run`` and ``hallusim reproduce``: argument parsing and printing.

The work itself is :func:`hallusim.experiments.run_experiment`; this module turns the options into
its arguments and reports progress on standard error.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
import time
import warnings
from pathlib import Path

from hallusim import experiments
from hallusim._inputs import check_output_folder
from hallusim._validation import check_int, fail
from hallusim.cli._common import ENVIRONMENT_HELP, one_line
from hallusim.runs import (
    PROGRESS_MODES,
    OversubscriptionWarning,
    SlurmScheduler,
    available_cores,
    dask_client,
    format_duration,
)

__all__ = ["add_parsers"]


def add_parsers(commands) -> None:
    """Add the ``list``, ``run`` and ``reproduce`` subcommands to ``commands`` (argparse subparsers)."""
    listing = commands.add_parser(
        "list", help="list the experiments and what each produces", description="List the experiments, one per line."
    )
    listing.set_defaults(func=_list)

    run = commands.add_parser(
        "run",
        help="run one experiment",
        description="Run one experiment with a preset, writing its figures and tables. "
        "`hallusim run NAME --help` also describes experiment NAME: what it shows, its preset keys and costs.",
        epilog=ENVIRONMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        add_help=False,
    )
    run.add_argument(
        "-h", "--help", action=_ExperimentHelp, help="show this help (and, after NAME, the experiment's) and exit"
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


def _add_experiment_options(parser, *, overrides: bool) -> None:
    parser.add_argument(
        "--preset",
        default="quick",
        help="preset of the experiment: quick (seconds), medium (minutes, sizes where the Theorem 2 lower "
        "bound is informative, <= 2 GB) or paper (the paper's sizes; see `hallusim run NAME --help` for "
        "each preset's cost) (default: quick)",
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
        "address such as tcp://10.0.0.1:8786 (needs the dask extra); or 'slurm' to submit each sweep as "
        "a SLURM job array from a login node ('slurm-local' runs the same job array on this machine; "
        "both need the slurm extra)",
    )
    slurm = parser.add_argument_group("SLURM (with --scheduler slurm; job logs in DIR/results/slurm/)")
    slurm.add_argument("--partition", metavar="NAME", help="SLURM partition (default: the cluster's default)")
    slurm.add_argument(
        "--time", metavar="LIMIT", help="time limit per array task: minutes or HH:MM:SS or D-HH:MM:SS (default: 60)"
    )
    slurm.add_argument("--cpus", type=int, metavar="N", help="CPUs (and Numba threads) per array task (default: 1)")
    slurm.add_argument("--mem", type=float, metavar="GB", help="memory per array task in GB (default: the partition's)")
    slurm.add_argument(
        "--rows-per-job", type=int, metavar="N", help="sweep rows per array task, computed in turn (default: 1)"
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


@contextlib.contextmanager
def _sweep_options(args):
    """The sweep options of the command line; a Dask cluster lives as long as the command."""
    jobs = check_int("--jobs", args.jobs, minimum=-1)
    if jobs == 0:
        fail("--jobs", "an integer >= 1, or -1 for one per core", jobs)
    options = {"n_jobs": jobs, "resume": not args.fresh, "progress": args.progress}
    cores = available_cores()
    if jobs > cores and (args.scheduler is None or args.scheduler == "local"):
        print(
            f"hallusim: warning: --jobs {jobs} is more than the {cores} cores: each worker runs 1 Numba thread "
            f"and they share the cores (--jobs {cores} or -1 is usually as fast)",
            file=sys.stderr,
        )
    slurm = _slurm_scheduler(args)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OversubscriptionWarning)  # said once above, not per sweep
        if slurm is not None:
            yield {**options, "scheduler": slurm}
            return
        if args.scheduler is None:
            yield options
            return
        client, cleanup = dask_client(args.scheduler, cores if jobs == -1 else jobs, name="--scheduler")
        try:
            yield {**options, "scheduler": client}
        finally:
            cleanup()


class _ExperimentHelp(argparse.Action):
    """``-h/--help`` of ``hallusim run``: the command's help, then experiment NAME's when given."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        parser.print_help()
        name = getattr(namespace, "name", None)
        if name is not None:
            print("\n" + experiments.describe(name))
        parser.exit()


# SlurmScheduler's parameter: (the option's attribute on args, the option, its default)
_SLURM_OPTIONS = {
    "partition": ("partition", "--partition", None),
    "time": ("time", "--time", 60),
    "cpus": ("cpus", "--cpus", 1),
    "mem_gb": ("mem", "--mem", None),
    "rows_per_job": ("rows_per_job", "--rows-per-job", 1),
}


def _slurm_scheduler(args):
    """The SlurmScheduler of ``--scheduler slurm`` (or ``slurm-local``) and its options, else None."""
    given = [flag for dest, flag, _ in _SLURM_OPTIONS.values() if getattr(args, dest) is not None]
    if args.scheduler not in ("slurm", "slurm-local"):
        if given:
            fail(given[0], "used with --scheduler slurm (or slurm-local)",
                 f"<{given[0]} with --scheduler {args.scheduler or '(none)'}>")
        return None
    if args.scheduler == "slurm" and shutil.which("sbatch") is None:
        fail("--scheduler", "'slurm' only where SLURM's sbatch is on the PATH (a login node); --scheduler "
             "slurm-local runs the same job array on this machine", "<'slurm' with no sbatch here>")
    values = {name: default if getattr(args, dest) is None else getattr(args, dest)
              for name, (dest, _, default) in _SLURM_OPTIONS.items()}
    try:
        return SlurmScheduler(folder=args.out / "results" / "slurm" / "%j",
                              cluster="slurm" if args.scheduler == "slurm" else "local", **values)
    except ValueError as exc:  # SlurmScheduler checks every value: name the option, not the parameter
        message = str(exc)
        for name, (_, flag, _) in _SLURM_OPTIONS.items():
            message = message.replace(f"`{name}`", f"`{flag}`")
        raise ValueError(message) from None


def _run_one(name, config, args, options, label="") -> None:
    """Run one experiment whose configuration has already been validated (no output before that)."""
    cost = experiments.cost_text(name, args.preset)
    expect = f", expect {cost}" if cost else ""
    print(f"hallusim: {label}{name} ({args.preset}{expect}) ...", file=sys.stderr, flush=True)
    clock = time.monotonic()
    experiments.run_experiment(name, config, args.out, preset=args.preset, sweep_options=options)
    module = experiments.load(name)
    outputs = ", ".join(str(args.out / item) for item in getattr(module, "OUTPUTS", ()))
    print(f"hallusim: {label}{name} done in {format_duration(time.monotonic() - clock)}: {outputs}", file=sys.stderr)


def _list(args) -> int:
    names = experiments.available()
    width = max((len(n) for n in names), default=0)
    status = 0
    for name in names:
        try:
            module = experiments.load(name)
        except Exception as exc:  # noqa: BLE001 - report a broken experiment and go on listing
            print(f"{name:<{width}}  (cannot be loaded: {one_line(exc)})")
            status = 1
            continue
        outputs = ", ".join(getattr(module, "OUTPUTS", ()))
        print(f"{name:<{width}}  {getattr(module, 'SUMMARY', '').strip()}  [{outputs}]")
    return status


def _run(args) -> int:
    config = experiments.load_config(args.name, args.preset, args.overrides)  # fails before any output
    check_output_folder("--out", args.out)
    with _sweep_options(args) as options:
        _run_one(args.name, config, args, options)
    return 0


def _reproduce(args) -> int:
    names = experiments.available()
    if not names:
        fail("experiments", "at least one installed experiment", "none")
    # fail early on a bad preset, before hours of computing
    configs = {name: experiments.load_config(name, args.preset) for name in names}
    check_output_folder("--out", args.out)
    clock = time.monotonic()
    with _sweep_options(args) as options:  # the options are checked before the cost is stated
        costs = [getattr(experiments.load(name), "COST", {}).get(args.preset) for name in names]
        if all(costs):
            print(
                f"hallusim: {len(names)} experiments ({args.preset}): expect about "
                f"{format_duration(sum(c[0] for c in costs))} in all, at most "
                f"{max(c[1] for c in costs) / 1000:.1f} GB peak memory (one experiment at a time; see "
                "`hallusim run NAME --help`)",
                file=sys.stderr,
                flush=True,
            )
        for i, name in enumerate(names, start=1):
            _run_one(name, configs[name], args, options, label=f"[{i}/{len(names)}] ")
    print(
        f"hallusim: reproduced {len(names)} experiments ({args.preset}) in {format_duration(time.monotonic() - clock)}: "
        f"figures in {args.out / 'figures'}, tables in {args.out / 'results'}",
        file=sys.stderr,
    )
    return 0
