"""Explicit confidence targets (see hallusim/experiments/confidence_targets.py)."""

from hallusim.experiments import main_for

if __name__ == "__main__":
    raise SystemExit(main_for("confidence_targets"))
