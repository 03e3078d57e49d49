"""Theorem 2 with n-gram models trained on birthday facts as text (see hallusim/experiments/fact_strings.py)."""

from hallusim.experiments import main_for

if __name__ == "__main__":
    raise SystemExit(main_for("fact_strings"))
