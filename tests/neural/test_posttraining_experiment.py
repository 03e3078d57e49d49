"""The neural_posttraining experiment: exact (sampling-free) calibration and audit, reproducible."""

import pytest

from hallusim.experiments import neural_posttraining

CONFIG = {"n_prompts": 20, "n_examples": 40, "exponent": 1.0, "n_responses": 4, "answer_prob": 0.8, "base_steps": 20,
          "d_model": 16, "n_layers": 1, "rewards": ["binary", "t=0.75"], "rl_steps": 4, "rl_batch_size": 8,
          "rl_lr": 1e-3, "kl_coef": 0.05, "record_every": 2, "audit_targets": 4, "n_bins": 5, "replicates": 1,
          "seed": 3}


def test_runs_and_repeats_with_no_sampling_key(tmp_path):
    assert "calibration_sample" not in neural_posttraining.KEYS
    rows = neural_posttraining.run(CONFIG, tmp_path / "a", sweep_options={"progress": "off"})
    again = neural_posttraining.run(CONFIG, tmp_path / "b", sweep_options={"progress": "off"})
    keys = ("before_ece", "after_ece", "before_deviation_at_t", "after_deviation_at_t", "after_err")
    assert [[r[k] for k in keys] for r in rows] == [[r[k] for k in keys] for r in again]
    # the base model is shared: its numbers are the same in every reward's row
    assert rows[0]["before_ece"] == rows[1]["before_ece"]
    assert [r["target"] for r in rows] == [0.0, 0.75]
    assert (tmp_path / "a" / "figures" / "neural_posttraining.png").exists()


def test_bad_audit_targets_names_the_key():
    with pytest.raises(ValueError, match="audit_targets"):
        neural_posttraining.check_config({**CONFIG, "audit_targets": 0})
