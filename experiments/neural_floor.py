"""The neural_floor experiment as a plain script (see hallusim/experiments/neural_floor.py)."""

from hallusim.experiments import main_for

if __name__ == "__main__":
    raise SystemExit(main_for("neural_floor"))
