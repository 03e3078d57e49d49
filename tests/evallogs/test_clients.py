"""The evaluation tools themselves: logs written by inspect-ai and lm-eval in the test, HELM's
binning checked against the uncertainty-calibration package HELM calls.

These need the `evallogs-clients` extra (about 1 GB; CI installs it in a second virtual
environment, see .ci/run). Without it they are skipped, unless HALLUSIM_REQUIRE_CLIENTS=1 (set by
that CI step), where a missing client is a failure. Every run is offline.
"""

import json
import math
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from hallusim.cli import main
from hallusim.evallogs import read_results, score_results
from hallusim.posttraining.calibration import expected_calibration_error
from tests._clients import need

pytestmark = pytest.mark.clients


_INSPECT_RUN = textwrap.dedent('''
    import math, sys
    import tiktoken
    from inspect_ai import Task, eval as inspect_eval
    from inspect_ai.dataset import Sample
    from inspect_ai.model import ModelOutput, get_model
    from inspect_ai.model._providers.mockllm import MockLLM
    from inspect_ai.scorer import CORRECT, INCORRECT, NOANSWER, Score, accuracy, match, mean, scorer
    from inspect_ai.solver import generate

    # Offline: inspect-ai counts the mock model's input tokens with tiktoken's o200k_base, which
    # tiktoken downloads at run time. Count whitespace-separated words instead, and make any
    # other use of tiktoken fail loudly.
    async def count_words(self, text):
        return max(1, len(text.split()))
    MockLLM.count_text_tokens = count_words
    def no_download(*args, **kwargs):
        raise RuntimeError("the test must not need tiktoken's download")
    tiktoken.get_encoding = no_download

    @scorer(metrics=[accuracy()])
    def abstaining():
        async def score(state, target):
            text = state.output.completion
            if "don't know" in text:
                return Score(value=NOANSWER, answer=text)
            return Score(value=CORRECT if target.text in text else INCORRECT, answer=text)
        return score

    @scorer(metrics={"correct": [mean()], "incorrect": [mean()], "not_attempted": [mean()]})
    def triple():  # the shape of inspect_evals' SimpleQA scorer=original
        async def score(state, target):
            text = state.output.completion
            na = "don't know" in text
            ok = (not na) and target.text in text
            return Score(value={"correct": float(ok), "incorrect": float(not na and not ok), "not_attempted": float(na)})
        return score

    @scorer(metrics=[mean()])
    def numeric():  # 1, 0, NaN (not scored), 0.5 (partial credit)
        values = {"q0": 1.0, "q1": 0.0, "q2": math.nan, "q3": 0.5}
        async def score(state, target):
            return Score(value=values[state.sample_id])
        return score

    outputs = ["Paris", "Rome", "I don't know", "Madrid"]
    samples = [Sample(input=f"Capital {i}?", target=t, id=f"q{i}") for i, t in enumerate(["Paris", "Berlin", "Lisbon", "Madrid"])]
    task = Task(dataset=samples, solver=generate(), scorer=[match(), abstaining(), triple(), numeric()])
    model = get_model("mockllm/model", custom_outputs=[ModelOutput.from_content("mockllm", o) for o in outputs])
    log = inspect_eval(task, model=model, log_dir=sys.argv[1], log_format=sys.argv[2], display="none", max_connections=1)[0]
    assert log.status == "success", log.error
    print(log.location)
''')


@pytest.fixture(scope="module")
def inspect_logs(tmp_path_factory):
    need("inspect_ai")
    folder = tmp_path_factory.mktemp("inspect")
    script = folder / "run.py"
    script.write_text(_INSPECT_RUN)
    logs = {}
    env = {**os.environ, "INSPECT_LOG_DIR": str(folder), "NO_COLOR": "1"}
    for fmt in ("eval", "json"):
        done = subprocess.run([sys.executable, str(script), str(folder / fmt), fmt], capture_output=True, text=True, env=env, check=False)
        assert done.returncode == 0, done.stderr[-3000:]
        logs[fmt] = done.stdout.strip().splitlines()[-1].removeprefix("file://")
    return logs


@pytest.mark.parametrize("fmt", ["eval", "json"])
def test_inspect_log_written_by_inspect_ai(inspect_logs, fmt, capsys):
    path = inspect_logs[fmt]
    # match: q0 C, q1 I, q2 I ("I don't know" does not contain Lisbon), q3 C.
    match = read_results(path, scorer="match")
    assert match.ids == ["q0", "q1", "q2", "q3"]
    assert match.correct.tolist() == [True, False, False, True] and match.answered.all()
    # NOANSWER is an abstention; the dict-valued scorer gives the same three outcomes.
    for scorer in ("abstaining", "triple"):
        report = score_results(path, read_options={"scorer": scorer})
        assert (report.n_correct, report.n_incorrect, report.n_abstain) == (2, 1, 1)
    # Several scorers and none chosen; an unknown one; NaN and partial credit under --unscored error.
    for argv, patterns in (([], ["`scorer` must be named with --scorer", "match, abstaining, triple, numeric"]),
                           (["--scorer", "bogus"], ["`scorer` must be one of the log's scorers"]),
                           (["--scorer", "numeric"], ["sample 'q2' epoch 1, item 'q2'", "`scores.numeric.value`", "NaN"])):
        assert main(["score", path, *argv]) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and len(captured.err.splitlines()) == 1 and path in captured.err
        for pattern in patterns:
            assert re.search(pattern, captured.err), captured.err
    dropped = score_results(path, read_options={"scorer": "numeric", "unscored": "drop"})
    assert (dropped.n, dropped.n_correct) == (2, 1)


def test_truncated_inspect_log(inspect_logs, tmp_path, capsys):
    data = Path(inspect_logs["eval"]).read_bytes()
    cut = tmp_path / "cut.eval"
    cut.write_bytes(data[: len(data) // 2])
    assert main(["score", str(cut), "--scorer", "match"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.splitlines()) == 1
    assert f"{cut}: not a readable Inspect log" in captured.err and "truncated" in captured.err


def test_inspect_log_from_stdin_and_compared(inspect_logs, capsys, monkeypatch):
    import io

    data = Path(inspect_logs["eval"]).read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["score", "-", "--scorer", "abstaining", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"] == {"correct": 2, "incorrect": 1, "abstain": 1}
    assert main(["score", inspect_logs["eval"], inspect_logs["json"], "--scorer", "abstaining", "--names", "e,j", "--json"]) == 0
    comparison = json.loads(capsys.readouterr().out)["comparison"]
    assert comparison["n_items"] == 4 and comparison["crossovers"] == []


_LMEVAL_RUN = textwrap.dedent('''
    import sys
    from lm_eval import simple_evaluate
    from lm_eval.api.model import LM
    from lm_eval.loggers import EvaluationTracker
    from lm_eval.tasks import TaskManager

    LL = {"3": -2.0, "4": -0.5, "5": -3.0, "Paris": -1.0, "Rome": -0.2, "Oslo": -4.0, "Mars": -1.5, "Venus": -2.5, "Jupiter": -0.1}

    class FixedLM(LM):
        """Fixed log-likelihood per continuation: no weights, no network."""
        def loglikelihood(self, requests, disable_tqdm=False):
            return [(LL[r.args[1].strip()], False) for r in requests]
        def loglikelihood_rolling(self, requests, disable_tqdm=False):
            raise NotImplementedError
        def generate_until(self, requests, disable_tqdm=False):
            raise NotImplementedError

    results = simple_evaluate(model=FixedLM(), tasks=["tiny_mc"], task_manager=TaskManager(include_path=sys.argv[1]), log_samples=True)
    tracker = EvaluationTracker(output_path=sys.argv[2])
    tracker.general_config_tracker.model_name_sanitized = "fixed"
    # As lm-eval's command line does: the aggregate first (it sets the files' date id), then the samples.
    tracker.save_results_aggregated(results=results, samples=results["samples"])
    for name in results["configs"]:
        tracker.save_results_samples(task_name=name, samples=results["samples"][name])
''')


def test_lm_eval_real_samples_file(tmp_path):
    need("lm_eval")
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    rows = [{"question": "2+2?", "choices": ["3", "4", "5"], "answer": 1},
            {"question": "Capital of France?", "choices": ["Paris", "Rome", "Oslo"], "answer": 0},
            {"question": "Largest planet?", "choices": ["Mars", "Venus", "Jupiter"], "answer": 2}]
    (tasks / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tasks / "tiny_mc.yaml").write_text(textwrap.dedent(f"""\
        task: tiny_mc
        dataset_path: json
        dataset_kwargs:
          data_files:
            test: {tasks / 'data.jsonl'}
        test_split: test
        output_type: multiple_choice
        doc_to_text: "{{{{question}}}}"
        doc_to_choice: "{{{{choices}}}}"
        doc_to_target: answer
        metric_list:
          - metric: acc
            aggregation: mean
            higher_is_better: true
        """))
    script = tmp_path / "run.py"
    script.write_text(_LMEVAL_RUN)
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    done = subprocess.run([sys.executable, str(script), str(tasks), str(tmp_path / "out")], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    (path,) = (tmp_path / "out" / "fixed").glob("samples_tiny_mc_*.jsonl")
    results = read_results(path)
    assert results.correct.tolist() == [True, False, True]
    expected = [1 / (1 + math.exp(-1.5) + math.exp(-2.5)), 1 / (1 + math.exp(-0.8) + math.exp(-3.8)), 1 / (1 + math.exp(-1.4) + math.exp(-2.4))]
    np.testing.assert_allclose(results.confidence, expected, rtol=1e-12)
    # The stored fixture has the same record structure as this fresh file.
    fixture = Path(__file__).parents[1] / "data" / "evallogs" / "samples_tiny_mc_2026-12-02T14-57-26.493431.jsonl"
    fresh = [set(json.loads(line)) for line in path.read_text().splitlines()]
    stored = [set(json.loads(line)) for line in fixture.read_text().splitlines()]
    assert fresh == stored


@pytest.mark.parametrize("seed", range(6))
def test_helm_binning_matches_uncertainty_calibration(seed):
    calibration = need("calibration")
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 400))
    # Rounded probabilities, so ties (which HELM's bins never split) are common.
    probs = np.round(rng.uniform(0.2, 1.0, n), int(rng.integers(1, 4)))
    labels = (rng.uniform(size=n) < probs).astype(np.int64)
    ours = expected_calibration_error(probs, labels, binning="helm", n_bins=10).ece
    theirs = calibration.get_ece_em(probs, labels, num_bins=10)
    assert ours == pytest.approx(theirs, abs=1e-12)
