"""Corollary 2: n-gram completion error against order, distance and training size."""

from hallusim.experiments import main_for

if __name__ == "__main__":
    raise SystemExit(main_for("trigram_agreement"))
