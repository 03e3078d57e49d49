"""The other tools' own code in tests (the `clients` marker): skipped when missing, unless CI's
second environment sets HALLUSIM_REQUIRE_CLIENTS=1, where a missing tool is a failure."""

import os

import pytest


def need(module):
    """Import ``module``, or skip the test (fail under HALLUSIM_REQUIRE_CLIENTS=1) if it is absent."""
    if os.environ.get("HALLUSIM_REQUIRE_CLIENTS") == "1":
        return __import__(module)
    return pytest.importorskip(module)
