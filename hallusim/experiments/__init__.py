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
* ``KEYS``: for every preset key, ``(meaning, unit)`` (``""`` for a unitless key), which
  ``hallusim run NAME --help`` lists with the key's type and preset values;
* ``COST``: per preset, ``(seconds, peak_megabytes, how)`` of ``hallusim run NAME --preset P
  --fresh`` on a 2-core machine (``how`` says whether it was measured or estimated, and how);

and a preset file ``hallusim/experiments/<name>.toml`` with one table per preset (``[quick]``,
``[medium]``, ``[paper]``), each holding every key the experiment reads (the same keys in every table).
The repository's top-level ``experiments/<name>.py`` is a short worked example of the same
question on the public API, to read and edit; :func:`run_experiment` is the one runner that
``hallusim run``, ``hallusim reproduce`` and any script call.

Experiments are found on this package's ``__path__``, so a folder appended to
``hallusim.experiments.__path__`` adds experiments (the tests use this for throwaway ones).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import pkgutil
import re
import time
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from hallusim._inputs import check_allocation, check_count
from hallusim._validation import check_int, fail
from hallusim.facts import BYTES_PER_PROMPT
from hallusim.runs import (
    TABLE_SUFFIXES,
    environment,
    format_duration,
    provenance_path,
    read_provenance,
    utc_timestamp,
    write_json_atomic,
)

__all__ = [
    "PRESETS",
    "ExperimentError",
    "available",
    "cost_text",
    "describe",
    "load",
    "load_config",
    "parse_override",
    "preset_path",
    "run_experiment",
]

PRESETS = ("quick", "medium", "paper")


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
        ``key=value`` on one line; the value is read as a TOML value (``3``, ``0.5``, ``true``,
        ``[1, 2]``, ``"text"``), and a value that is not TOML is taken as a bare string (so a
        boolean key also takes Python's ``True`` / ``False``).

    Returns
    -------
    tuple
        ``(key, value)``.
    """
    if "=" not in text:
        fail("--set", "of the form key=value", text)
    if "\n" in text or "\r" in text:
        fail("--set", "one key=value on one line (pass --set once per key)", text)
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
    preset : {"quick", "medium", "paper"}
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
                f"`--set`: unknown key `{key}` for experiment {name!r}; known keys: {', '.join(sorted(config))} "
                f"(see hallusim run {name} --help)."
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
                f"{json.dumps(config[key]) if isinstance(config[key], bool) else repr(config[key])}; got {value!r}."
            ) from None
    _check_common(config, streamed=getattr(module, "STREAMED", False))
    check = getattr(module, "check_config", None)
    if check is not None:
        check(dict(config))
    return config


def cost_text(name: str, preset: str) -> str | None:
    """What running ``preset`` of experiment ``name`` costs, as its ``COST`` states it, or ``None``.

    Parameters
    ----------
    name, preset : str

    Returns
    -------
    str or None
        E.g. ``"about 5 s and 264 MB peak (measured: ...)"``.
    """
    cost = getattr(load(name), "COST", {}).get(preset)
    if cost is None:
        return None
    seconds, megabytes, how = cost
    return f"about {format_duration(seconds)} and {_megabytes(megabytes)} peak memory ({how})"


def _megabytes(megabytes: float) -> str:
    return f"{megabytes / 1000:.1f} GB" if megabytes >= 1000 else f"{megabytes:.0f} MB"


def _type_name(value) -> str:
    if isinstance(value, list):
        kinds = sorted({_type_name(v) for v in value})
        return "list of " + (" or ".join(kinds) if kinds else "values")
    return {bool: "boolean", int: "int", float: "float", str: "string", dict: "table"}.get(type(value), type(value).__name__)


def describe(name: str) -> str:
    """What ``hallusim run NAME --help`` says about experiment ``name``.

    What it shows (``SUMMARY`` and the module docstring), its outputs, every preset key with its
    meaning, type, unit and value in each preset, and each preset's cost (``COST``).

    Parameters
    ----------
    name : str

    Returns
    -------
    str
    """
    module = load(name)
    presets = _read_presets(name, preset_path(name))
    order = [p for p in PRESETS if p in presets] + [p for p in presets if p not in PRESETS]
    lines = [f"{name}: {getattr(module, 'SUMMARY', '').strip()}", ""]
    doc = (module.__doc__ or "").strip()
    if doc:
        lines += [doc, ""]
    outputs = getattr(module, "OUTPUTS", ())
    if outputs:
        lines += ["Outputs (below --out): " + ", ".join(outputs), ""]
    keys = getattr(module, "KEYS", {})
    first = presets[order[0]] if order else {}
    lines.append("Preset keys (--set KEY=VALUE), with the value of each preset (" + ", ".join(order) + "):")
    for key in first:
        meaning, unit = keys.get(key, ("", ""))
        kind = _type_name(first[key]) + (f", {unit}" if unit else "")
        lines.append(f"  {key} ({kind}): {meaning}" if meaning else f"  {key} ({kind})")
        lines += [f"      {p}: {presets[p][key]!r}" for p in order]
    costs = [(p, cost_text(name, p)) for p in order]
    if any(text for _, text in costs):
        lines += ["", "Cost of each preset (hallusim run NAME --preset P --fresh, --jobs 1, 2-core machine):"]
        lines += [f"  {p}: {text or 'not stated'}" for p, text in costs]
    return "\n".join(lines)


def _check_common(config: dict, *, streamed: bool = False) -> None:
    """Check the keys many experiments share, before anything runs: seeds, replicates, sizes.

    Sizes are bounded by :data:`hallusim._inputs.MAX_COUNT` and by memory: a world of
    ``n_prompts`` (or ``prompts_per_example · n_examples``) prompts needs about
    ``BYTES_PER_PROMPT`` bytes per prompt (:func:`hallusim._inputs.check_allocation`), unless the
    experiment is ``streamed`` (its module sets ``STREAMED = True``): it holds one part of the
    prompts at a time and its own ``check_config`` checks that part's memory.
    """
    if "seed" in config:
        check_int("seed", config["seed"], minimum=0)
    if "replicates" in config:
        check_int("replicates", config["replicates"], minimum=1)
    if isinstance(config.get("n_responses"), int):
        check_count("n_responses", config["n_responses"], minimum=2)
    sizes = {}
    for key in ("n_examples", "n_prompts"):
        if key in config:
            values = config[key] if isinstance(config[key], list) else [config[key]]
            sizes[key] = [check_count(key, value, minimum=0 if key == "n_prompts" else 1) for value in values]
    if streamed:
        return
    per_example = config.get("prompts_per_example")
    if isinstance(per_example, (int, float)) and not isinstance(per_example, bool) and per_example > 0:
        for n in sizes.get("n_examples", []):
            check_allocation("n_examples", per_example * n * BYTES_PER_PROMPT)
    for n in sizes.get("n_prompts", []):
        check_allocation("n_prompts", n * BYTES_PER_PROMPT)


def _kind(value) -> str:
    if isinstance(value, bool):
        return "a boolean (true or false)"
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
        if isinstance(old, bool) and isinstance(new, str) and new in ("True", "False"):  # Python spelling
            return new == "True"
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


# --------------------------------------------------------------------------------------------
# Running one experiment


class ExperimentError(RuntimeError):
    """An experiment broke its contract (e.g. did not write a file it declares in ``OUTPUTS``)."""


def _config_digest(config: dict) -> str:
    text = json.dumps(config, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _remove_if_empty(*folders) -> None:
    """Remove the folders that are empty, deepest first (the sweeps folder and its parent first)."""
    sweeps = Path(folders[0])
    for folder in (sweeps, sweeps.parent, *folders[1:]):
        try:
            folder.rmdir()
        except OSError:  # not empty, not there, or not a folder
            pass


def run_experiment(name: str, config: dict, out, *, preset: str = "quick", sweep_options=None) -> list[dict]:
    """Run experiment ``name`` with ``config``, writing its outputs and a provenance record.

    What ``hallusim run`` and ``hallusim reproduce`` call.

    Parameters
    ----------
    name : str
        The experiment.
    config : dict
        Its configuration (see :func:`load_config`).
    out : str or Path
        Output folder: figures go to ``out/figures``, tables to ``out/results``.
    preset : str
        Name of the preset the configuration came from (recorded only).
    sweep_options : dict, optional
        Backend options for :func:`hallusim.runs.sweep` (``n_jobs``, ``scheduler``, ``resume``,
        ``progress``). ``results`` defaults to ``out/results/sweeps/<name>-<config digest>``, so
        that running the same configuration again resumes it.

    Returns
    -------
    list of dict
        The experiment's rows.

    Raises
    ------
    ExperimentError
        If the experiment did not write every output it declares.

    Notes
    -----
    Adds the experiment, preset, configuration, declared outputs, start and end times to the
    provenance sidecar of every table it declares (``out/results/<table>.provenance.json``,
    beside the versions, git commit and command line that :func:`hallusim.runs.write_table`
    records), so each table has one sidecar. An experiment that declares no ``.csv`` or
    ``.jsonl`` table gets ``out/results/<name>.provenance.json`` instead.
    """
    module = load(name)
    out = Path(out)
    created = [folder for folder in (out, out / "figures", out / "results") if not folder.exists()]
    for folder in ("figures", "results"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    options = dict(sweep_options or {})
    options.setdefault("results", out / "results" / "sweeps" / f"{name}-{_config_digest(config)}")
    start, clock = utc_timestamp(), time.monotonic()
    try:
        rows = module.run(dict(config), out, sweep_options=options)
    except Exception:
        _remove_if_empty(options["results"], *reversed(created))  # a failed start leaves nothing behind
        raise
    outputs = list(getattr(module, "OUTPUTS", ()))
    missing = [item for item in outputs if not (out / item).exists()]
    if missing:
        raise ExperimentError(f"experiment {name!r} did not write its declared outputs: {', '.join(missing)}")
    record = {
        **environment(),
        "experiment": name,
        "summary": getattr(module, "SUMMARY", ""),
        "preset": preset,
        "config": config,
        "outputs": outputs,
        "sweeps": str(options["results"]),
        "start_time": start,
        "end_time": utc_timestamp(),
        "seconds": round(time.monotonic() - clock, 3),
    }
    tables = [out / item for item in outputs if Path(item).suffix.lower() in TABLE_SUFFIXES]
    for table in tables:
        write_json_atomic(provenance_path(table), {**read_provenance(table), **record})
    if not tables:
        record["rows"] = len(rows) if rows is not None else None
        write_json_atomic(out / "results" / f"{name}.provenance.json", record)
    return rows
