"""The neural_posttraining experiment as a plain script (see hallusim/experiments/neural_posttraining.py)."""

from hallusim.experiments import main_for

if __name__ == "__main__":
    raise SystemExit(main_for("neural_posttraining"))
