"""The worked examples in the repository's top-level ``experiments/`` folder run on the public API.

Each script is executed as ``__main__`` would run it; a renamed or removed public name, or an
example whose printed numbers break a bound of the paper, fails here.
"""

import re
import runpy
from pathlib import Path

import pytest

from hallusim.experiments import available

EXAMPLES = Path(__file__).parents[2] / "experiments"


def test_one_example_per_experiment():
    assert sorted(p.stem for p in EXAMPLES.glob("*.py")) == available()


@pytest.mark.parametrize("name", available())
def test_example_runs_and_prints(name, capsys):
    runpy.run_path(str(EXAMPLES / f"{name}.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert out.strip(), f"experiments/{name}.py printed nothing"


def test_singleton_floor_example_obeys_theorem2(capsys):
    runpy.run_path(str(EXAMPLES / "singleton_floor.py"), run_name="__main__")
    out = capsys.readouterr().out
    rows = re.findall(r"err = ([0-9.]+), delta = [0-9.]+, Theorem 2 lower bound = ([-+0-9.]+)", out)
    assert len(rows) == 3
    for err, lower in rows:
        assert float(err) >= float(lower)
    upper = float(re.search(r"calibrated learner's err: ([0-9.]+)", out).group(1))
    assert float(rows[0][0]) <= upper
