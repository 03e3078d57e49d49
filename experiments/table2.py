"""The paper's Table 2 (see hallusim/experiments/table2.py)."""

from hallusim.experiments import main_for

if __name__ == "__main__":
    raise SystemExit(main_for("table2"))
