"""The experiments that regenerate the paper-style figures and tables.

Each experiment is a module ``hallusim.experiments.<name>`` with

* ``SUMMARY``: one line, saying which figure or table it produces;
* ``OUTPUTS``: the files it writes, relative to the output directory;
* ``run(config, out_dir, *, sweep_options=None) -> list[dict]``: runs the experiment with a
  configuration dict, writes its figures and tables under ``out_dir`` and returns the rows.
  ``sweep_options`` holds the backend options of the command line (``n_jobs``, ``scheduler``,
  ``results``, ``resume``, ``progress``), which ``run`` passes on as
  ``sweep(..., **(sweep_options or {}))``;
* optionally ``check_config(config)``: raises ``ValueError`` (the usual template) for values
  ``run`` cannot work with; :func:`load_config` calls it, so a bad ``--set`` fails before the
  experiment starts computing;

and a preset file ``hallusim/experiments/<name>.toml`` with one table per preset (``[quick]``,
``[paper]``), each holding every key the experiment reads (the same keys in every table).
``experiments/<name>.py`` at the top of the repository is the same experiment as a plain script.

Experiments are found on this package's ``__path__``, so a folder appended to
``hallusim.experiments.__path__`` adds experiments (the tests use this for throwaway ones).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from hallusim._validation import fail

__all__ = ["available", "load", "load_config", "parse_override", "preset_path", "main_for", "PRESETS"]

PRESETS = ("quick", "paper")


def available() -> list[str]:
    """Names of all experiments, sorted.

    Returns
    -------
    list of str
    """
    return sorted({m.name for m in pkgutil.iter_modules(list(__path__)) if not m.name.startswith("_")})


def load(name: str):
    """Import and return the experiment module ``name``.

    Parameters
    ----------
    name : str
        One of :func:`available`.

    Returns
    -------
    module
    """
    importlib.invalidate_caches()
    names = available()
    if name not in names:
        fail("experiment", "one of " + ", ".join(names) if names else "an experiment (none is installed)", name)
    return importlib.import_module(f"{__name__}.{name}")


def preset_path(name: str) -> Path:
    """Path of the TOML preset file of experiment ``name`` (beside its module).

    Parameters
    ----------
    name : str

    Returns
    -------
    Path
    """
    folders = [Path(folder) for folder in __path__]
    for folder in folders:
        if (folder / f"{name}.py").exists() or (folder / f"{name}.toml").exists():
            return folder / f"{name}.toml"
    return folders[0] / f"{name}.toml"


def parse_override(text: str):
    """Parse one ``key=value`` override.

    Parameters
    ----------
    text : str
        ``key=value``; the value is read as a TOML value (``3``, ``0.5``, ``true``,
        ``[1, 2]``, ``"text"``), and a value that is not TOML is taken as a bare string.

    Returns
    -------
    tuple
        ``(key, value)``.
    """
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


def _key_line(path: Path, table: str, key: str) -> int | None:
    """Line number (1-based) where ``key`` is set in ``[table]`` of TOML file ``path``, if found."""
    header = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
    assignment = re.compile(r"^\s*(?:\"([^\"]+)\"|'([^']+)'|([A-Za-z0-9_-]+))\s*=")
    current = None
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for number, line in enumerate(lines, start=1):
        match = header.match(line)
        if match:
            current = match.group(1).strip().strip("\"'")
            continue
        match = assignment.match(line)
        if match and current == table and key in match.groups():
            return number
    return None


def _where(path: Path, table: str, key: str) -> str:
    line = _key_line(path, table, key)
    return f"{path}, line {line}" if line else str(path)


def _read_presets(name: str, path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            presets = tomllib.load(fh)
    except FileNotFoundError:
        raise ValueError(f"{path}: the preset file of experiment {name!r} is missing.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: malformed TOML: {exc}.") from None
    tables = {table: values for table, values in presets.items() if isinstance(values, dict)}
    stray = [key for key in presets if key not in tables]
    if stray:
        raise ValueError(
            f"{_where(path, None, stray[0])}: key {stray[0]!r} is outside any preset table "
            f"([{'], ['.join(PRESETS)}])."
        )
    names = list(tables)
    for table in names[1:]:
        for key in set(tables[table]) ^ set(tables[names[0]]):
            has, lacks = (table, names[0]) if key in tables[table] else (names[0], table)
            raise ValueError(
                f"{_where(path, has, key)}: key {key!r} of [{has}] is missing from [{lacks}]; "
                "every preset must set the same keys."
            )
    return tables


def load_config(name: str, preset: str = "quick", overrides=()) -> dict:
    """Read the preset ``preset`` of experiment ``name`` and apply ``key=value`` overrides.

    Parameters
    ----------
    name : str
        Experiment name.
    preset : {"quick", "paper"}
        Which table of the preset file to use.
    overrides : iterable of str or of (key, value) pairs
        Each key must already exist in the preset; the value must have a compatible type (an
        int key takes an integer, a float key any number, a list key a list or one value; a
        list the preset gives items may not be made empty).

    Returns
    -------
    dict

    Raises
    ------
    ValueError
        For a missing or malformed preset file, an unknown preset or key, a value of the wrong
        type or an empty list; the message names the file and, where it can, the line. Also
        whatever the experiment's optional ``check_config(config)`` raises for values it cannot
        run with, so that a bad configuration fails before any computing starts.
    """
    module = load(name)
    path = preset_path(name)
    presets = _read_presets(name, path)
    if preset not in presets:
        fail("preset", f"one of {', '.join(presets)} (the tables of {path})", preset)
    config = dict(presets[preset])
    for item in overrides:
        key, value = parse_override(item) if isinstance(item, str) else item
        if key not in config:
            raise ValueError(
                f"{path}: unknown key {key!r} for experiment {name!r}; known keys: {', '.join(sorted(config))}."
            )
        if isinstance(config[key], list) and config[key] and isinstance(value, list) and not value:
            raise ValueError(
                f"{_where(path, preset, key)}: key {key!r} must be a non-empty list like {config[key]!r}; got []."
            )
        try:
            config[key] = _coerce(config[key], value)
        except TypeError:
            raise ValueError(
                f"{_where(path, preset, key)}: key {key!r} must be {_kind(config[key])} like "
                f"{config[key]!r}; got {value!r}."
            ) from None
    check = getattr(module, "check_config", None)
    if check is not None:
        check(dict(config))
    return config


def _kind(value) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"


def _coerce(old, new):
    """``new`` converted to the type of the preset value ``old``; ``TypeError`` if it cannot be."""
    if isinstance(old, bool) or isinstance(new, bool):
        if isinstance(old, bool) and isinstance(new, bool):
            return new
    elif isinstance(old, int) and isinstance(new, (int, float)):
        if float(new).is_integer():
            return int(new)
    elif isinstance(old, float) and isinstance(new, (int, float)):
        return float(new)
    elif isinstance(old, str) and isinstance(new, str):
        return new
    elif isinstance(old, list):
        items = new if isinstance(new, list) else [new]
        if not old:
            return items
        prototype = next((v for v in old if isinstance(v, float)), old[0])
        return [_coerce(prototype, item) for item in items]
    elif isinstance(old, dict) and isinstance(new, dict):
        unknown = set(new) - set(old)
        if not unknown:
            return {**old, **{key: _coerce(old[key], value) for key, value in new.items()}}
    elif type(old) is type(new):
        return new
    raise TypeError(f"cannot use {new!r} for {old!r}")


def main_for(name: str, argv=None) -> int:
    """Command-line entry of ``experiments/<name>.py``; the options of ``hallusim run NAME``.

    Parameters
    ----------
    name : str
        The experiment.
    argv : list of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 on success, 2 after a one-line error message.
    """
    from hallusim.cli import experiment_main

    return experiment_main(name, argv)
