"""Bad options of ``hallusim run``: one line naming the option, exit status 2, nothing left in --out."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap

import pytest

from hallusim import experiments
from hallusim.cli import main


def one_line(capsys, *needles):
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip() and not line.endswith(" ...")]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("hallusim: error: "), err
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def test_out_pointing_at_a_file(tmp_path, capsys):
    target = tmp_path / "afile"
    target.write_text("x")
    assert main(["run", "table2", "--out", str(target)]) == 2
    one_line(capsys, "`--out` must be a folder", "which is a file")
    assert main(["run", "table2", "--out", str(target / "inside")]) == 2
    one_line(capsys, "`--out` must be a folder", "which is a file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root may write anywhere")
def test_out_that_cannot_be_written(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    assert main(["run", "table2", "--out", str(locked / "out")]) == 2
    one_line(capsys, "`--out` must be a folder you can write to")


def test_a_full_disk_names_the_file_and_what_to_do(tmp_path, capsys, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "results" / "table2.csv"))

    monkeypatch.setattr(experiments, "run_experiment", full)
    assert main(["run", "table2", "--out", str(tmp_path)]) == 2
    one_line(capsys, "table2.csv: no space left on the device: free some space")


def test_a_bogus_scheduler(tmp_path, capsys):
    assert main(["run", "table2", "--out", str(tmp_path / "out"), "--scheduler", "bogus://"]) == 2
    one_line(capsys, "`--scheduler` must be 'local' or the address of a running Dask scheduler", "'bogus://'")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "override, needles",
    [
        ("seed=-1", ["`seed` must be an integer >= 0; got -1."]),
        ("replicates=2\nseed = 99", ["`--set` must be one key=value on one line"]),
        ("n_examples=[1e15]", ["`n_examples` must be a size whose arrays fit in memory", "needs about"]),
        ("n_examples=[9223372036854775808]", ["`n_examples` must be an integer >= 1 and <= 2**62",
                                              "got 9223372036854775808"]),
    ],
)
def test_bad_overrides_fail_before_any_output(override, needles, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", "singleton_floor", "--out", str(out), "--set", override, "--progress", "off"]) == 2
    one_line(capsys, *needles)
    assert not out.exists()


def test_a_boolean_override_takes_python_spelling_or_says_true_false(tmp_path, capsys):
    assert experiments.load_config("table2", "quick", ["with_notes=False"])["with_notes"] is False
    assert main(["run", "table2", "--set", "with_notes=yes", "--out", str(tmp_path / "out")]) == 2
    one_line(capsys, "must be a boolean (true or false) like true; got 'yes'")


SIGTERM_RUN = textwrap.dedent(
    '''
    import os, signal, sys
    from pathlib import Path
    from hallusim import experiments
    from hallusim.cli import main

    folder = Path(sys.argv[1])
    (folder / "term.py").write_text(
        "import os, signal\\n"
        "from hallusim.runs import sweep\\n"
        "SUMMARY = 'toy'\\nOUTPUTS = ()\\n"
        "def one(params, seed_seq):\\n"
        "    if params['n'] == 2:\\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\\n"
        "    return {'u': 1.0}\\n"
        "def run(config, out_dir, *, sweep_options=None):\\n"
        "    return sweep(one, {'n': [1, 2, 3]}, seed=config['seed'], **(sweep_options or {}))\\n"
    )
    (folder / "term.toml").write_text("[quick]\\nseed = 1\\n[paper]\\nseed = 1\\n")
    experiments.__path__.append(str(folder))
    sys.exit(main(["run", "term", "--out", str(folder / "out"), "--progress", "off"]))
    '''
)


def test_sigterm_ends_a_run_like_ctrl_c(tmp_path):
    done = subprocess.run([sys.executable, "-c", SIGTERM_RUN, str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 143, done.stderr
    assert done.stderr.splitlines()[-1] == "hallusim: terminated (SIGTERM); run the same command again to resume"
    sidecars = list((tmp_path / "out" / "results" / "sweeps").rglob("*.provenance.json"))
    assert len(sidecars) == 1 and '"status": "interrupted"' in sidecars[0].read_text()
