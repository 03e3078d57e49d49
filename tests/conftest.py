"""Shared pytest configuration: the hypothesis profiles."""

import os

from hypothesis import HealthCheck, settings

# "default": reproducible (derandomize), no deadline (the first call of a kernel compiles it).
settings.register_profile(
    "default",
    derandomize=True,
    deadline=None,
    database=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
)
# "thorough": many more random examples, for a long run by hand or a nightly job.
settings.register_profile(
    "thorough",
    derandomize=False,
    deadline=None,
    database=None,
    max_examples=2000,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HALLUSIM_HYPOTHESIS_PROFILE", "default"))

