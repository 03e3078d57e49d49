"""Theorem 2 in simulation (see hallusim/experiments/singleton_floor.py)."""

from hallusim.experiments import main_for

if __name__ == "__main__":
    raise SystemExit(main_for("singleton_floor"))
