"""The paper's Figure 2 in simulation (see hallusim/experiments/calibration_histograms.py)."""

from hallusim.experiments import main_for

if __name__ == "__main__":
    raise SystemExit(main_for("calibration_histograms"))
