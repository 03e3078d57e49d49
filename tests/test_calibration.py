"""ECE and reliability-diagram data against hand-computed examples and a loop reference."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallusim.calibration import expected_calibration_error, reliability_diagram, top_label


def test_ece_hand_computed_equal_width():
    # 10 equal-width bins. 0.1 -> bin 1 (conf 0.1, acc 0); 0.3, 0.35 -> bin 3 (conf 0.325, acc 1/2);
    # 0.9, 0.95, 1.0 -> bin 9 (conf 0.95, acc 2/3). ECE = (1·0.1 + 2·0.175 + 3·(0.95 − 2/3))/6 = 1.3/6.
    q = [0.3, 0.35, 0.9, 0.95, 1.0, 0.1]
    y = [1, 0, 1, 1, 0, 0]
    result = expected_calibration_error(q, y, n_bins=10)
    assert result.ece == pytest.approx(1.3 / 6, rel=1e-12)
    assert result.counts.tolist() == [0, 1, 0, 2, 0, 0, 0, 0, 0, 3]
    assert result.mean_confidence[3] == pytest.approx(0.325)
    assert result.accuracy[9] == pytest.approx(2 / 3)
    assert result.max_calibration_error == pytest.approx(0.95 - 2 / 3)
    assert np.isnan(result.accuracy[0])
    assert result.n == 6


def test_ece_hand_computed_equal_mass():
    # 7 predictions, 3 bins of sizes 3, 2, 2 by ascending probability:
    # {0.1, 0.2, 0.2} acc 1/3 conf 0.5/3; {0.6, 0.7} acc 1 conf 0.65; {0.8, 0.9} acc 1/2 conf 0.85.
    q = [0.9, 0.1, 0.6, 0.2, 0.8, 0.7, 0.2]
    y = [0, 0, 1, 1, 1, 1, 0]
    result = expected_calibration_error(q, y, n_bins=3, binning="equal_mass")
    assert result.counts.tolist() == [3, 2, 2]
    assert result.bin_lower.tolist() == [0.1, 0.6, 0.8]
    assert result.bin_upper.tolist() == [0.2, 0.7, 0.9]
    expected = (3 * abs(1 / 3 - 0.5 / 3) + 2 * abs(1 - 0.65) + 2 * abs(0.5 - 0.85)) / 7
    assert result.ece == pytest.approx(expected, rel=1e-12)


def test_equal_width_edge_rule():
    # A confidence equal to k/B opens bin k; 1 falls in the last bin, 0 in the first.
    result = reliability_diagram([0.0, 0.3, 0.7, 1.0, 0.29999], [1, 1, 1, 1, 1], n_bins=10)
    assert result.counts.tolist() == [1, 0, 1, 1, 0, 0, 0, 1, 0, 1]
    assert result.bin_lower[3] == 0.3 and result.bin_upper[9] == 1.0


def test_top_label_and_all_choices_by_hand():
    probs = np.array([[0.7, 0.1, 0.1, 0.1], [0.4, 0.6, 0.0, 0.0]])
    labels = np.array([0, 0])
    conf, correct = top_label(probs, labels)
    assert conf.tolist() == [0.7, 0.6] and correct.tolist() == [True, False]
    # Top-label: bins 7 (conf 0.7, acc 1) and 6 (conf 0.6, acc 0): ECE = (0.3 + 0.6)/2.
    assert reliability_diagram(probs, labels).ece == pytest.approx(0.45)
    # All choices: 8 (probability, is-label) pairs: bin 0 {0, 0} acc 0; bin 1 {0.1 x3} acc 0;
    # bin 4 {0.4} acc 1; bin 6 {0.6} acc 0; bin 7 {0.7} acc 1.
    pooled = reliability_diagram(probs, labels, variant="all_choices")
    assert pooled.counts.tolist() == [2, 3, 0, 0, 1, 0, 1, 1, 0, 0]
    assert pooled.ece == pytest.approx((3 * 0.1 + 0.6 + 0.6 + 0.3) / 8)


def _loop_ece(q, y, n_bins):
    """Plain-Python reference: equal-width bins [k/B, (k+1)/B), the last closed."""
    total = 0.0
    for k in range(n_bins):
        lo, hi = k / n_bins, (k + 1) / n_bins
        members = [i for i in range(len(q)) if lo <= q[i] < hi or (k == n_bins - 1 and q[i] == 1.0)]
        if members:
            conf = sum(q[i] for i in members) / len(members)
            acc = sum(y[i] for i in members) / len(members)
            total += len(members) / len(q) * abs(acc - conf)
    return total


@given(
    data=st.lists(st.tuples(st.floats(0.0, 1.0), st.booleans()), min_size=1, max_size=60),
    n_bins=st.integers(1, 20),
)
def test_ece_matches_loop_reference(data, n_bins):
    q = [d[0] for d in data]
    y = [int(d[1]) for d in data]
    result = expected_calibration_error(q, y, n_bins=n_bins)
    assert result.ece == pytest.approx(_loop_ece(q, y, n_bins), abs=1e-12)
    assert result.counts.sum() == len(q)


@given(
    data=st.lists(st.tuples(st.floats(0.0, 1.0), st.booleans()), min_size=1, max_size=60),
    n_bins=st.integers(1, 20),
)
def test_equal_mass_bins_sizes_and_order(data, n_bins):
    q = np.array([d[0] for d in data])
    y = np.array([d[1] for d in data])
    result = expected_calibration_error(q, y, n_bins=n_bins, binning="equal_mass")
    counts = result.counts
    assert counts.sum() == q.size and counts.max() - counts.min() <= 1
    assert np.all(np.diff(counts) <= 0)  # the extra items go to the first bins
    full = counts > 0
    assert np.all(result.bin_lower[full] <= result.bin_upper[full])
    assert np.all(np.diff(result.bin_upper[full]) >= 0)
    assert 0.0 <= result.ece <= 1.0


def test_calibration_error_is_not_a_hallucination_metric():
    # THEORY §6: always wrong at confidence 0 is perfectly calibrated; never wrong at 0 is maximally not.
    assert expected_calibration_error(np.zeros(50), np.zeros(50)).ece == 0.0
    assert expected_calibration_error(np.zeros(50), np.ones(50)).ece == 1.0


def test_exactly_calibrated_bins_have_zero_ece():
    q = np.repeat([0.2, 0.7], 10)
    y = np.array([1] * 2 + [0] * 8 + [1] * 7 + [0] * 3)
    assert expected_calibration_error(q, y).ece == pytest.approx(0.0, abs=1e-15)


def test_rows_and_gap():
    result = reliability_diagram([0.25, 0.75], [True, True], n_bins=2)
    assert result.gap.tolist() == [0.75, 0.25]
    assert result.rows()[1] == {"bin": 1, "lower": 0.5, "upper": 1.0, "count": 1, "mean_confidence": 0.75, "accuracy": 1.0}


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        (([0.5, 1.2], [1, 0]), {}, "`probabilities` must be probabilities in \\[0, 1\\]; got 1.2 at flat index 1"),
        (([0.5, 0.2], [1, 2]), {}, "`outcomes` must be booleans or 0/1 values"),
        (([0.5], [1, 0]), {}, "`outcomes` must be an array of length 1"),
        (([0.5], [1]), {"n_bins": 0}, "`n_bins` must be an integer >= 1"),
        (([0.5], [1]), {"binning": "log"}, "`binning` must be one of 'equal_width', 'equal_mass'"),
        (([[0.5, 0.6]], [0]), {}, "`probabilities` must be rows summing to 1"),
        (([[0.5, 0.5]], [2]), {}, "`labels` must be class indices in \\[0, 1\\]"),
        (([[0.5, 0.5]], [0]), {"variant": "binary"}, "`probabilities` must be a non-empty 1-D array"),
    ],
)
def test_validation(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        reliability_diagram(*args, **kwargs)
