"""The calibration trade-off (see hallusim/experiments/calibration_tradeoff.py)."""

from hallusim.experiments import main_for

if __name__ == "__main__":
    raise SystemExit(main_for("calibration_tradeoff"))
