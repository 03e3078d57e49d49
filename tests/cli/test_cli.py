"""The `hallusim` command: help, list, run, reproduce, presets and overrides, one-line errors.

Experiments here are throwaway modules written to a temporary folder that replaces
``hallusim.experiments.__path__`` for the test, so the tests do not depend on which real
experiments exist.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid

import pytest

import hallusim.experiments as experiments
from hallusim.cli import main
from hallusim.experiments import load_config, parse_override
from hallusim.runs import read_provenance, read_rows

TOY = textwrap.dedent(
    '''
    """A throwaway experiment for the CLI tests."""
    from pathlib import Path

    import numpy as np

    from hallusim.runs import write_table
    from hallusim.runs import sweep

    SUMMARY = "Table: toy draws against n."
    OUTPUTS = ("results/{name}.csv", "figures/{name}.txt")
    CALLS = []


    def one(params, seed_seq):
        CALLS.append(params["n"])
        rng = np.random.default_rng(seed_seq)
        return {{"u": float(rng.random()) * params["n"], "scale": SCALE[0]}}


    SCALE = [1.0]


    def run(config, out_dir, *, sweep_options=None):
        if config["n"] and min(config["n"]) < 0:
            raise ValueError(f"`n` must be non-negative integers; got {{config['n']}}.")
        SCALE[0] = config["scale"]
        rows = sweep(one, {{"n": config["n"]}}, replicates=config["replicates"], seed=config["seed"],
                     **(sweep_options or {{}}))
        out_dir = Path(out_dir)
        write_table(rows, out_dir / "results" / "{name}.csv")
        (out_dir / "figures" / "{name}.txt").write_text(config["label"])
        return rows
    '''
)

TOY_TOML = textwrap.dedent(
    """
    # Presets of a throwaway experiment.
    [quick]
    n = [1, 2, 3]
    replicates = 2
    seed = 7
    scale = 1.0
    label = "quick"

    [paper]
    n = [1, 2, 3, 4]
    replicates = 3
    seed = 7
    scale = 1.0
    label = "paper"
    """
)


# Worker processes cannot import a module from the test's temporary folder: pickle it by value.
TOY_BY_VALUE = TOY.replace("    CALLS.append(params[\"n\"])\n", "") + textwrap.dedent(
    """
    import sys
    import cloudpickle
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    """
)


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """Make throwaway experiments; returns a function ``make(toml=TOY_TOML, source=TOY) -> name``."""
    folder = tmp_path / "experiments"
    folder.mkdir()
    monkeypatch.setattr(experiments, "__path__", [str(folder)])
    made = []

    def make(toml=TOY_TOML, source=TOY):
        name = f"toy_{uuid.uuid4().hex[:8]}"
        (folder / f"{name}.py").write_text(source.format(name=name))
        if toml is not None:
            (folder / f"{name}.toml").write_text(toml)
        made.append(name)
        return name

    yield make
    for name in made:
        sys.modules.pop(f"hallusim.experiments.{name}", None)


def one_line_error(capsys, code, *needles, after_progress=False):
    """Assert one line on stderr naming the problem (after progress lines, if allowed), no traceback."""
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]
    if after_progress:
        assert all(line.startswith("hallusim: ") and "error:" not in line for line in lines[:-1]), captured.err
        lines = lines[-1:]
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    assert lines[0].startswith("hallusim") and "error:" in lines[0]
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


# ---------------------------------------------------------------------------------------------
# Help and listing


@pytest.mark.parametrize(
    "argv", [["--help"], ["list", "--help"], ["run", "--help"], ["reproduce", "--help"], ["score", "--help"], ["floor", "--help"]],
)
def test_help_of_every_subcommand(argv, capsys):
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: hallusim")


def test_run_help_documents_the_options_and_the_numba_cache(capsys):
    main(["run", "--help"])
    out = capsys.readouterr().out
    for option in ("--preset", "--jobs", "--scheduler", "--out", "--set", "--fresh", "NUMBA_CACHE_DIR"):
        assert option in out


def test_list_prints_one_line_per_experiment(toy, capsys):
    first, second = sorted([toy(), toy()])
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [first, second]
    assert "Table: toy draws against n." in lines[0] and f"results/{first}.csv" in lines[0]


def test_list_reports_a_broken_experiment_and_goes_on(toy, capsys):
    good = toy()
    broken = toy(source="raise ImportError('half-written module')\n")
    assert main(["list"]) == 1
    out = capsys.readouterr().out
    assert f"{broken}" in out and "cannot be loaded: half-written module" in out and good in out


# ---------------------------------------------------------------------------------------------
# Running


def test_run_writes_outputs_provenance_and_resumes(toy, tmp_path, capsys):
    name = toy()
    out = tmp_path / "out"
    assert main(["run", name, "--out", str(out), "--progress", "off"]) == 0
    rows = read_rows(out / "results" / f"{name}.csv")
    assert len(rows) == 3 * 2 and (out / "figures" / f"{name}.txt").read_text() == "quick"
    # one sidecar per table, holding the run's record and the table's
    assert sorted(path.name for path in (out / "results").glob("*.provenance.json")) == [f"{name}.csv.provenance.json"]
    meta = read_provenance(out / "results" / f"{name}.csv")
    assert meta["experiment"] == name and meta["preset"] == "quick" and meta["config"]["replicates"] == 2
    assert meta["outputs"] == [f"results/{name}.csv", f"figures/{name}.txt"] and meta["format"] == "csv"
    assert meta["cwd"] and meta["command"]
    checkout = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True)
    if checkout.returncode == 0:  # run inside a git checkout (editable or not): its commit is recorded
        assert meta["git_commit"] == checkout.stdout.strip() and isinstance(meta["git_dirty"], bool)
    else:
        assert meta["git_commit"] is None or len(meta["git_commit"]) == 40
    assert meta["rows"] == 6 and meta["start_time"] <= meta["end_time"]
    stores = list((out / "results" / "sweeps").rglob("*.jsonl"))
    assert len(stores) == 1 and len(read_rows(stores[0])) == 6
    module = experiments.load(name)
    assert len(module.CALLS) == 6

    # The same command again resumes: nothing is recomputed, the rows are the same.
    assert main(["run", name, "--out", str(out), "--progress", "off"]) == 0
    assert len(module.CALLS) == 6
    assert read_rows(out / "results" / f"{name}.csv") == rows
    # --fresh recomputes.
    assert main(["run", name, "--out", str(out), "--progress", "off", "--fresh"]) == 0
    assert len(module.CALLS) == 12
    assert read_provenance(stores[0])["sessions"][-1]["rows_written"] == 6


def test_run_with_overrides_preset_and_two_jobs(toy, tmp_path):
    name = toy(source=TOY_BY_VALUE)
    out = tmp_path / "out"
    base = ["run", name, "--out", str(out), "--progress", "off"]
    assert main([*base, "--preset", "paper", "--set", "replicates=1", "--set", "n=[5, 6]", "--set", "scale=2"]) == 0
    rows = read_rows(out / "results" / f"{name}.csv")
    assert [(r["n"], r["replicate"], r["scale"]) for r in rows] == [(5, 0, 2.0), (6, 0, 2.0)]
    assert (out / "figures" / f"{name}.txt").read_text() == "paper"
    assert main([*base, "--preset", "paper", "--set", "replicates=1", "--set", "n=[5, 6]", "--jobs", "2", "--fresh"]) == 0
    again = read_rows(out / "results" / f"{name}.csv")
    assert [(r["n"], r["replicate"], r["u"], r["scale"]) for r in again] == [
        (r["n"], r["replicate"], r["u"], 1.0) for r in rows
    ]  # the same draws in two processes; scale back to its preset value


def test_more_jobs_than_cores_is_one_warning_line(toy, tmp_path, capsys):
    from hallusim.runs import available_cores

    name = toy(source=TOY_BY_VALUE)
    jobs = available_cores() + 1
    assert main(["run", name, "--out", str(tmp_path), "--progress", "off", "--jobs", str(jobs)]) == 0
    warning_lines = [line for line in capsys.readouterr().err.splitlines() if "warning" in line.lower()]
    assert warning_lines == [
        f"hallusim: warning: --jobs {jobs} is more than the {available_cores()} cores: each worker runs 1 Numba "
        f"thread and they share the cores (--jobs {available_cores()} or -1 is usually as fast)"
    ]


def test_run_on_a_local_dask_cluster_gives_the_serial_rows(toy, tmp_path):
    pytest.importorskip("distributed")
    name = toy(source=TOY_BY_VALUE)
    assert main(["run", name, "--out", str(tmp_path / "a"), "--progress", "off"]) == 0
    assert main(["run", name, "--out", str(tmp_path / "b"), "--progress", "off", "--scheduler", "local", "--jobs", "2"]) == 0
    assert read_rows(tmp_path / "a" / "results" / f"{name}.csv") == read_rows(tmp_path / "b" / "results" / f"{name}.csv")


def test_reproduce_runs_every_experiment(toy, tmp_path, capsys):
    names = sorted([toy(), toy()])
    out = tmp_path / "out"
    assert main(["reproduce", "--out", str(out), "--progress", "off"]) == 0
    for name in names:
        assert (out / "results" / f"{name}.csv").exists() and (out / "figures" / f"{name}.txt").exists()
    err = capsys.readouterr().err
    assert "[1/2]" in err and "[2/2]" in err and "reproduced 2 experiments" in err


# ---------------------------------------------------------------------------------------------
# Errors: exit status 2, one line, no traceback


def test_missing_experiment(toy, capsys):
    name = toy()
    assert main(["run", "no_such_experiment"]) == 2
    one_line_error(capsys, 2, "`experiment` must be one of", name, "'no_such_experiment'")


def test_unknown_preset(toy, capsys):
    name = toy()
    assert main(["run", name, "--preset", "huge"]) == 2
    one_line_error(capsys, 2, "`--preset` must be one of quick, paper", "'huge'")


def test_unknown_preset_key(toy, capsys):
    name = toy()
    assert main(["run", name, "--set", "replicatez=3"]) == 2
    line = one_line_error(capsys, 2, "unknown key `replicatez`", "known keys: label, n, replicates", f"hallusim run {name} --help")
    assert ".toml" not in line and "site-packages" not in line  # the keys, not a file inside the install


TOY_DESCRIBED = TOY + textwrap.dedent(
    """
    KEYS = {{"n": ("sizes of the draws", "draws"), "replicates": ("draws per size", ""), "seed": ("root seed", ""),
            "scale": ("a scale", "metres"), "label": ("what the figure says", "")}}
    COST = {{"quick": (2.0, 150, "measured"), "paper": (1800.0, 5800, "estimated from the quick preset")}}
    """
)


def test_run_help_describes_the_experiment_its_keys_and_costs(toy, capsys):
    name = toy(source=TOY_DESCRIBED)
    assert main(["run", name, "--help"]) == 0
    out = capsys.readouterr().out
    assert "usage: hallusim run" in out and "A throwaway experiment for the CLI tests." in out
    assert "Table: toy draws against n." in out and "results/" in out
    assert "  scale (float, metres): a scale" in out and "  n (list of int, draws): sizes of the draws" in out
    assert "      quick: [1, 2, 3]" in out and "      paper: [1, 2, 3, 4]" in out
    assert "  paper: about 30 min 00 s and 5.8 GB peak memory (estimated from the quick preset)" in out


def test_the_help_of_every_real_experiment_lists_each_key(capsys):
    for name in experiments.available():
        assert main(["run", name, "--help"]) == 0
        out = capsys.readouterr().out
        module = experiments.load(name)
        assert set(module.KEYS) == set(load_config(name, "quick")), name  # every key has a meaning
        for key in module.KEYS:
            assert f"\n  {key} (" in out, (name, key)
        for preset in experiments.PRESETS:
            assert f"\n  {preset}: about " in out, (name, preset)  # each preset's cost


def test_a_run_states_its_cost_before_it_starts(toy, tmp_path, capsys):
    name = toy(source=TOY_DESCRIBED)
    assert main(["run", name, "--preset", "paper", "--out", str(tmp_path), "--progress", "off"]) == 0
    first = capsys.readouterr().err.splitlines()[0]
    assert first == (f"hallusim: {name} (paper, expect about 30 min 00 s and 5.8 GB peak memory "
                     "(estimated from the quick preset)) ...")


@pytest.mark.parametrize(
    "override, needle",
    [
        ("replicates=abc", "key 'replicates' must be an integer like 2; got 'abc'"),
        ("replicates=2.5", "key 'replicates' must be an integer"),
        ("n=[1, 'x']", "key 'n' must be a list"),
        ("scale=true", "key 'scale' must be a number"),
        ("label=3", "key 'label' must be a string"),
        ("replicates", "`--set` must be of the form key=value"),
        ("=3", "`--set` must be of the form key=value with a non-empty key"),
        ("n=[]", "key 'n' must be a non-empty list like [1, 2, 3]; got []"),
    ],
)
def test_bad_set_value(toy, capsys, override, needle):
    name = toy()
    assert main(["run", name, "--set", override]) == 2
    line = one_line_error(capsys, 2, needle)
    if "key '" in needle:
        assert f"{name}.toml, line " in line  # where the key is set


TOY_CHECKED = TOY + textwrap.dedent(
    """

    def check_config(config):
        if min(config["n"]) < 0:
            raise ValueError(f"`n` must be non-negative integers; got {{config['n']}}.")
    """
)


def test_check_config_rejects_a_value_before_anything_runs(toy, capsys, tmp_path):
    name = toy(source=TOY_CHECKED)
    assert main(["run", name, "--set", "n=[-1]", "--out", str(tmp_path / "out")]) == 2
    one_line_error(capsys, 2, "`n` must be non-negative integers")  # one line: no status line first
    assert experiments.load(name).CALLS == [] and not (tmp_path / "out").exists()
    assert main(["reproduce", "--out", str(tmp_path / "out")]) == 0  # the preset itself is fine


def real_list_keys():
    """(experiment, key, value) of every non-empty list in the real experiments' quick presets."""
    found = []
    for name in experiments.available():
        for key, value in load_config(name, "quick").items():
            if isinstance(value, list) and value:
                found.append((name, key, value))
    return found


@pytest.mark.parametrize("name, key, value", real_list_keys())
def test_emptying_a_list_of_a_real_preset_is_a_one_line_error(name, key, value, capsys, tmp_path):
    assert main(["run", name, "--set", f"{key}=[]", "--out", str(tmp_path / "out")]) == 2
    line = one_line_error(capsys, 2, f"{name}.toml, line ", f"key {key!r} must be a non-empty list", "got []")
    assert not (tmp_path / "out").exists(), line


def test_a_value_the_experiment_rejects(toy, capsys, tmp_path):
    name = toy()
    assert main(["run", name, "--set", "n=[-1]", "--out", str(tmp_path)]) == 2
    one_line_error(capsys, 2, "`n` must be non-negative integers", after_progress=True)


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["run"], "the following arguments are required: NAME"),
        (["run", "x", "--jobs", "many"], "invalid int value: 'many'"),
        (["run", "x", "--progress", "loud"], "invalid choice: 'loud'"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        ([], "the following arguments are required: COMMAND"),
    ],
)
def test_usage_errors_are_one_line(argv, needle, capsys):
    assert main(argv) == 2
    one_line_error(capsys, 2, needle)


def test_jobs_zero(toy, capsys):
    name = toy()
    assert main(["run", name, "--jobs", "0"]) == 2
    one_line_error(capsys, 2, "`--jobs` must be an integer >= 1, or -1 for one per core; got 0")


def test_malformed_toml_names_file_and_line(toy, capsys):
    name = toy(toml="[quick]\nn = [1, 2\nreplicates = 2\n")
    assert main(["run", name]) == 2
    one_line_error(capsys, 2, f"{name}.toml: malformed TOML", "line 3")


def test_presets_with_different_keys_name_file_key_and_line(toy, capsys):
    name = toy(toml="[quick]\nn = [1]\nreplicates = 1\n\n[paper]\nn = [1]\nreplicats = 1\n")
    assert main(["run", name]) == 2
    one_line_error(capsys, 2, f"{name}.toml, line", "key 'replicat")


def test_key_outside_a_table(toy, capsys):
    name = toy(toml="seed = 3\n[quick]\nn = [1]\n")
    assert main(["run", name]) == 2
    one_line_error(capsys, 2, f"{name}.toml, line 1: key 'seed' is outside any preset table")


def test_missing_preset_file(toy, capsys):
    name = toy(toml=None)
    assert main(["run", name]) == 2
    one_line_error(capsys, 2, f"{name}.toml: the preset file of experiment '{name}' is missing")


def test_unwritable_output_folder(toy, tmp_path, capsys):
    name = toy()
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["run", name, "--out", str(blocker / "out")]) == 2
    one_line_error(capsys, 2, str(blocker), after_progress=True)


def test_undeclared_output_is_an_error(toy, tmp_path, capsys):
    name = toy(source=TOY.replace('OUTPUTS = ("results/{name}.csv", ', 'OUTPUTS = ("results/{name}.csv", "figures/never.png", '))
    assert main(["run", name, "--out", str(tmp_path), "--progress", "off"]) == 1
    one_line_error(capsys, 1, "did not write its declared outputs: figures/never.png", after_progress=True)


def test_a_real_process_prints_one_line_and_no_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "hallusim.cli", "run", "no_such_experiment", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("hallusim: error: `experiment` must be one of")
    assert list(tmp_path.iterdir()) == []  # nothing written


# ---------------------------------------------------------------------------------------------
# Preset loading as a library


def test_load_config_and_parse_override(toy):
    name = toy()
    assert load_config(name, "quick") == {"n": [1, 2, 3], "replicates": 2, "seed": 7, "scale": 1.0, "label": "quick"}
    config = load_config(name, "quick", [("n", 4), "scale=3", "label=hello world"])
    assert config["n"] == [4] and config["scale"] == 3.0 and isinstance(config["scale"], float)
    assert config["label"] == "hello world"
    assert parse_override("a = [1, 2]") == ("a", [1, 2])
    assert parse_override("b=1e6") == ("b", 1e6)
    assert load_config(name, "quick", ["replicates=1e1"])["replicates"] == 10


# ---------------------------------------------------------------------------------------------
# The real experiments honour the contract (static checks; running them is their own tests' job)


@pytest.mark.parametrize("name", experiments.available())
def test_every_experiment_honours_the_contract(name):
    import inspect
    from pathlib import Path

    module = experiments.load(name)
    assert isinstance(module.SUMMARY, str) and module.SUMMARY.strip() and "\n" not in module.SUMMARY.strip()
    assert module.OUTPUTS and all(item.startswith(("figures/", "results/")) for item in module.OUTPUTS)
    assert list(inspect.signature(module.run).parameters) == ["config", "out_dir", "sweep_options"]
    quick, paper = load_config(name, "quick"), load_config(name, "paper")
    assert quick.keys() == paper.keys()
    script = Path(__file__).resolve().parents[2] / "experiments" / f"{name}.py"
    assert script.exists(), f"experiments/{name}.py (its worked example) is missing"
