"""The experiments that regenerate the paper-style figures and tables.

Each experiment is a module ``hallusim.experiments.<name>`` with

* ``SUMMARY``: one line, saying which figure or table it produces;
* ``OUTPUTS``: the files it writes, relative to the output directory;
* ``run(config, out_dir, *, sweep_options=None) -> list[dict]``: runs the experiment with a
  configuration dict, writes its figures and tables under ``out_dir`` and returns the rows;

and a preset file ``hallusim/experiments/<name>.toml`` with one table per preset (``[quick]``,
``[paper]``), each holding every key the experiment reads. ``experiments/<name>.py`` at the top
of the repository is the same experiment as a plain script.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from hallusim._validation import fail

__all__ = ["available", "load", "load_config", "parse_override", "main_for"]

PRESETS = ("quick", "paper")


def available() -> list[str]:
    """Names of all experiments, sorted."""
    here = Path(__file__).parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))


def load(name: str):
    """Import and return the experiment module ``name``."""
    names = available()
    if name not in names:
        fail("experiment", "one of " + ", ".join(names), name)
    return importlib.import_module(f"hallusim.experiments.{name}")


def preset_path(name: str) -> Path:
    """Path of the TOML preset file of experiment ``name``."""
    return Path(__file__).with_name(f"{name}.toml")


def parse_override(text: str):
    """Parse one ``key=value`` override; the value is read as a TOML value (bare words are strings)."""
    if "=" not in text:
        fail("--set", "of the form key=value", text)
    key, _, raw = text.partition("=")
    key = key.strip()
    if not key:
        fail("--set", "of the form key=value with a non-empty key", text)
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return key, value


def load_config(name: str, preset: str = "quick", overrides=()) -> dict:
    """Read the preset ``preset`` of experiment ``name`` and apply ``key=value`` overrides.

    Parameters
    ----------
    name : str
        Experiment name.
    preset : {"quick", "paper"}
        Which table of the preset file to use.
    overrides : iterable of str or of (key, value) pairs
        Each key must already exist in the preset; the value must have a compatible type.

    Returns
    -------
    dict
    """
    path = preset_path(name)
    try:
        with open(path, "rb") as fh:
            presets = tomllib.load(fh)
    except FileNotFoundError:
        raise ValueError(f"{path}: the preset file of experiment {name!r} is missing.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: malformed TOML: {exc}.") from None
    if preset not in presets:
        fail("preset", f"one of {', '.join(sorted(presets))} (the tables of {path})", preset)
    config = dict(presets[preset])
    for item in overrides:
        key, value = parse_override(item) if isinstance(item, str) else item
        if key not in config:
            raise ValueError(
                f"{path}: unknown key {key!r} for experiment {name!r}; known keys: {', '.join(sorted(config))}."
            )
        config[key] = _coerce(path, key, config[key], value)
    return config


def _coerce(path, key, old, new):
    if isinstance(old, bool) or isinstance(new, bool):
        if isinstance(old, bool) and isinstance(new, bool):
            return new
    elif isinstance(old, (int, float)) and isinstance(new, (int, float)):
        return type(old)(new) if isinstance(old, float) or float(new).is_integer() else new
    elif isinstance(old, list) and isinstance(new, list):
        return new
    elif isinstance(old, str) and isinstance(new, str):
        return new
    elif isinstance(old, list) and isinstance(new, (int, float, str)):
        return [new]
    raise ValueError(f"{path}: key {key!r} must be a {type(old).__name__} like {old!r}; got {new!r}.")


def main_for(name: str, argv=None) -> int:
    """Command-line entry of ``experiments/<name>.py``: ``[--preset P] [--out DIR] [--set k=v ...]``."""
    parser = argparse.ArgumentParser(prog=f"{name}.py", description=load(name).SUMMARY)
    parser.add_argument("--preset", default="quick", choices=PRESETS)
    parser.add_argument("--out", default=".", help="output directory (figures/ and results/ go below it)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    try:
        config = load_config(name, args.preset, args.overrides)
        load(name).run(config, Path(args.out))
    except ValueError as exc:
        print(f"{name}: error: {exc}", file=sys.stderr)
        return 2
    return 0
