from hallusim.experiments import main_for

if __name__ == "__main__":
    raise SystemExit(main_for("floor_estimation"))
