"""The package's layout is a contract: data flows one way, from the foundations up to the command.

Read from the source with :mod:`ast` (nothing is imported), so the test sees every import,
including those inside functions. The layers, top to bottom, are :data:`LAYERS`; a unit may
import only units in layers below its own, never a sibling in its own layer, never the root
``hallusim`` package (whose ``__init__`` curates the public API from above).
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "hallusim"

#: Top to bottom. A "unit" is a first-level module or subpackage of ``hallusim``; the units of
#: one layer are independent of each other.
LAYERS = (
    {"cli"},
    {"experiments"},
    {"plotting"},
    {"neural", "evallogs", "floor"},  # applications: a trained network, real logs, real counts
    {"posttraining", "ngram"},
    {"multiple_choice", "streaming"},  # multiple choice (Section 3.4); the pipeline one part of the prompts at a time
    {"learners"},
    {"iiv"},
    {"facts"},
    {"models"},
    {"corpus"},
    {"goodturing"},
    {"bounds", "runs"},  # the paper's formulas; the sweep/results machinery (no domain imports)
    {"_kernels"},
    {"_rng", "_inputs"},  # seeded streams; the input/output rules every reader and option follows
    {"_jit", "_validation", "_version"},
)
LAYER_OF = {unit: depth for depth, layer in enumerate(LAYERS) for unit in layer}
FOUNDATIONS = {"_jit", "_rng", "_inputs", "_validation", "_version", "_kernels"}
MAX_LINES = 600


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _resolve(module: str, node: ast.ImportFrom) -> str:
    """Absolute name of the module ``node`` imports from, inside ``module``."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not _is_package(module):
        base.pop()
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: str):
    """``(target, node, imported_names)`` for every import of a hallusim module in ``module``.

    ``from hallusim.a import b`` where ``b`` is a submodule counts as an import of ``hallusim.a.b``.
    """
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "hallusim":
                    yield alias.name, node, ()
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, node)
            if target.split(".")[0] != "hallusim":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in MODULES:
                    yield sub, node, ()
                else:
                    yield target, node, (alias.name,)


def _unit(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "hallusim"


EDGES = sorted({(m, t) for m in MODULES for t, _, _ in _imports(m) if t != m})


def test_every_unit_has_a_layer():
    units = {_unit(m) for m in MODULES} - {"hallusim"}
    assert units <= set(LAYER_OF), f"units without a layer in LAYERS: {sorted(units - set(LAYER_OF))}"


def test_imports_run_down_the_layers():
    upward = []
    for module, target in EDGES:
        source, dest = _unit(module), _unit(target)
        if source == dest or source == "hallusim":
            continue
        if dest == "hallusim":
            upward.append(f"{module} imports the root package")
        elif LAYER_OF[dest] <= LAYER_OF[source]:
            upward.append(f"{module} -> {target}")
    assert not upward, "imports that do not run down the layers:\n" + "\n".join(upward)


def test_no_import_cycle():
    graph = {m: set() for m in MODULES}
    for module, target in EDGES:
        # a submodule's import of its own package's __init__ is not an edge of the data flow
        if target in MODULES and not module.startswith(target + "."):
            graph[module].add(target)
    state, cycles = {}, []

    def visit(node, stack):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_private_modules_stay_inside_their_package():
    leaks = []
    for module, target in EDGES:
        parts = target.split(".")
        private = [i for i, part in enumerate(parts) if part.startswith("_") and i >= 2]
        if private:
            owner = ".".join(parts[: private[0]])
            if not (module == owner or module.startswith(owner + ".")):
                leaks.append(f"{module} imports {target}")
    assert not leaks, "private modules imported from outside their package:\n" + "\n".join(leaks)


def test_no_private_name_crosses_a_unit():
    leaks = []
    for module in MODULES:
        for target, _, names in _imports(module):
            if _unit(target) == _unit(module) or _unit(target) in FOUNDATIONS:
                continue
            leaks += [f"{module}: from {target} import {n}" for n in names if n.startswith("_")]
    assert not leaks, "private names imported across units:\n" + "\n".join(leaks)


def _function_imports(module: str):
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    for func in ast.walk(tree):
        if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(func):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    yield node


def test_imports_inside_functions_only_defer_optional_dependencies():
    bad = []
    for module, path in MODULES.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in _function_imports(module):
            above = lines[node.lineno - 2] if node.lineno >= 2 else ""
            if "# deferred:" not in above and "# deferred:" not in lines[node.lineno - 1]:
                bad.append(f"{module}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    assert not bad, "imports inside functions without a '# deferred: why' comment:\n" + "\n".join(bad)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_length(module):
    n_lines = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert n_lines <= MAX_LINES, f"{module} has {n_lines} lines (at most {MAX_LINES})"


@pytest.mark.parametrize("package", sorted(m for m in MODULES if _is_package(m)))
def test_every_package_says_what_it_holds(package):
    docstring = ast.get_docstring(ast.parse(MODULES[package].read_text(encoding="utf-8")))
    assert docstring and len(docstring.split()) >= 8, f"{package}/__init__.py needs a docstring"


def test_contract_sees_the_known_edges():
    # guards the parser itself: these imports exist, so a resolver that lost them would pass vacuously
    assert ("hallusim.facts", "hallusim.corpus") in EDGES
    assert any(m.startswith("hallusim.cli") and t.startswith("hallusim.experiments") for m, t in EDGES)
    assert any(m.startswith("hallusim.ngram._model") and t == "hallusim.ngram._arpa" for m, t in EDGES)
