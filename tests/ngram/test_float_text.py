"""The ARPA writer's float formatting kernel (Grisu2): every text reads back as the same float64."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hallusim.ngram._float_text import STRIDE, format_floats


def _texts(values):
    buf, lengths = format_floats(np.asarray(values, dtype=np.float64))
    return [bytes(buf[STRIDE * i:STRIDE * i + n]).decode("ascii") for i, n in enumerate(lengths)]


EDGES = [-99.0, -1.0, -0.5, -1e-5, -1.5e-17, 5e-324, 1.5e-323, 2.2250738585072014e-308, 2.225073858507201e-308,
         1.7976931348623157e308, 1e21, 1e22, 123456.0, 0.1, 0.3, 1e-7, 0.0, 100.0, 1e16, 9007199254740993.0,
         -0.30102999566398120, 2.0 ** -1022, 2.0 ** 60]


def test_edge_values_read_back_exactly():
    assert [float(t) for t in _texts(EDGES)] == EDGES
    assert _texts([-99.0, 0.0, -0.5, 1e22]) == ["-99", "0", "-0.5", "1e+22"]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=50))
def test_any_finite_float_reads_back_exactly(values):
    assert [float(t) for t in _texts(values)] == [v + 0.0 for v in values]  # -0.0 prints as 0


def test_many_log_probabilities_read_back_exactly_and_mostly_shortest():
    values = np.log10(np.random.default_rng(0).random(200_000))
    texts = _texts(values)
    np.testing.assert_array_equal(np.array([float(t) for t in texts]), values)
    # Grisu2 is shortest for all but a small fraction: no more digits than repr's in > 99% of values
    longer = sum(len(t) > len(repr(v)) for t, v in zip(texts, values.tolist()))
    assert longer < 0.01 * values.size
