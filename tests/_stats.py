"""Statistical helpers for the tests: goodness-of-fit with stated significance levels."""

import numpy as np
from scipy import stats


def chisquare_gof(samples, dist, *, min_expected=5.0):
    """Pearson χ² test of integer ``samples`` against a frozen scipy discrete ``dist``.

    Bins are consecutive support points merged until each expects >= ``min_expected`` draws;
    the two tails are bins of their own. Returns the p-value.
    """
    samples = np.asarray(samples)
    n = samples.size
    lo = int(dist.ppf(1e-12)) - 1
    hi = int(dist.ppf(1 - 1e-12)) + 1
    support = np.arange(lo, hi + 1)
    pmf = dist.pmf(support)
    edges = [lo]  # bin i covers [edges[i], edges[i+1])
    acc = dist.cdf(lo - 1)  # left tail folded into the first bin
    for k, mass in zip(support, pmf):
        acc += mass
        if acc * n >= min_expected:
            edges.append(k + 1)
            acc = 0.0
    if len(edges) < 3:
        raise AssertionError("distribution too concentrated for a chi-square test")
    edges[-1] = hi + 1  # fold the remainder into the last bin
    edges = np.array(edges)
    expected = np.diff(np.r_[0.0, dist.cdf(edges[1:-1] - 1), 1.0]) * n
    clipped = np.clip(samples, lo, hi)
    observed = np.histogram(clipped, bins=np.r_[-np.inf, edges[1:-1] - 0.5, np.inf])[0]
    chi2 = float(np.sum((observed - expected) ** 2 / expected))
    return float(stats.chi2.sf(chi2, df=len(expected) - 1))


def z_score(sample_mean, expected, variance, n_samples):
    """Standardised difference of a sample mean from its exact expectation."""
    return (sample_mean - expected) / np.sqrt(variance / n_samples)
