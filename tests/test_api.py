"""The public surface: what ``import hallusim`` exports, and numpydoc docstrings on everything
public (every function, class and public method names its parameters in a Parameters section)."""

import importlib
import inspect
import pkgutil

import pytest

import hallusim

EXPECTED_TOP_LEVEL = {
    "__version__",
    "ArbitraryFacts",
    "Corpus",
    "CompactModel",
    "Evaluation",
    "IIVMetrics",
    "NotFittedError",
    "ThresholdCurve",
    "evaluate",
    "dense_metrics",
    "threshold_curve",
    "bounds",
    "evallogs",
    "floor",
    "goodturing",
    "iiv",
    "learners",
    "models",
    "multiple_choice",
    "ngram",
    "posttraining",
    "runs",
    "streaming",
}


def test_top_level_api_is_pinned():
    assert set(hallusim.__all__) == EXPECTED_TOP_LEVEL
    for name in hallusim.__all__:
        assert hasattr(hallusim, name), name


def _public_modules():
    names = ["hallusim"]
    for info in pkgutil.walk_packages(hallusim.__path__, "hallusim."):
        if not any(part.startswith("_") for part in info.name.split(".")[1:]):
            names.append(info.name)
    return names


def _public_objects():
    for module_name in _public_modules():
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if inspect.ismodule(obj) or not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            if getattr(obj, "__module__", "").split(".")[0] != "hallusim":
                continue
            yield f"{module_name}.{name}", obj
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if not attr.startswith("_") and inspect.isfunction(member):
                        yield f"{module_name}.{name}.{attr}", member


def _parameters(obj):
    target = obj.__init__ if inspect.isclass(obj) else obj
    try:
        params = inspect.signature(target).parameters
    except (TypeError, ValueError):
        return []
    return [p for p in params if p not in ("self", "cls")]


@pytest.mark.parametrize("qualname,obj", list(_public_objects()), ids=lambda x: x if isinstance(x, str) else "")
def test_public_objects_have_numpydoc_docstrings(qualname, obj):
    doc = inspect.getdoc(obj)
    assert doc and doc.strip(), f"{qualname} has no docstring"
    if inspect.isclass(obj):
        # a class documents its constructor's parameters, or (a result dataclass) its attributes
        if "__init__" in vars(obj) and _parameters(obj):
            assert "Parameters\n----------" in doc or "Attributes\n----------" in doc, qualname
    elif _parameters(obj):
        assert "Parameters\n----------" in doc, f"{qualname} takes parameters but documents none"


def test_every_public_module_has_a_docstring():
    for name in _public_modules():
        assert importlib.import_module(name).__doc__, name
