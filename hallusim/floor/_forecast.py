"""Forecasting the floor: the singleton rate, missing mass and Theorem 2 floor at ``t·N`` examples.

A training set of ``N`` examples says, through its frequency of frequencies ``n_r`` alone, what a
training set of ``t·N`` examples from the same source would look like on average:

* ``t < 1`` (less data): exact. Drawing ``m = t·N`` of the ``N`` examples without replacement, a
  prompt seen ``r`` times is a singleton of the subsample with the hypergeometric probability
  ``h_r = P(Hyp(N, r, m) = 1)``, so ``Σ_r n_r h_r`` is an unbiased estimate of ``E[|S|]`` at
  ``m`` for iid sampling (``E[sr] = Σ_c μ'(c)(1 − μ'(c))^(m−1)``, Section 3.3.1), and
  ``E[MM]`` at ``m`` is ``E[|S|]`` at ``m + 1`` divided by ``m + 1``.
* ``1 < t <= 2``: Good–Toulmin (1956). With ``s = t − 1`` and Poisson sampling,
  ``E[|S|(t·N)] = t Σ_r r (−s)^(r−1) E[n_r]``, an unbiased series; the prompts first seen in the
  ``s·N`` new examples are ``U = −Σ_r (−s)^r n_r``.
* ``t > 2``: smoothed Good–Toulmin (Orlitsky, Suresh & Wu, PNAS 113:13283, 2016): the ``r``-th
  term is weighted by ``P(L >= r)`` for ``L ~ Binomial(k, q)``, ``q = 2/(s + 2)``,
  ``k = ⌈½ log_3(N s²/(s − 1))⌉``, whose worst-case normalised mean-square error
  ``E[(Û − U)²]/(N s)² ≲ N^(−log_3(1 + 2/s))`` (their Table 1, up to a universal constant they do
  not state). The forecast is refused where that rate exceeds ``max_error²`` (default: normalised
  RMS error 0.1): a rule of thumb, not a guarantee, since the constant is unknown and the error is
  normalised by ``N s``, not by ``U``. Beyond ``t ≈ log N`` no estimator can do well (ibid.).
  The singleton count at ``t·N`` puts the same kind of weights on its own series
  (``E[|S|(tN)] = t·dE[U]/ds``) with a smoothing length of our choosing; the paper's guarantee
  covers ``U`` only, not this series, which is why the validation of ``floor_forecast`` measures it.

  The parameters were checked against two public implementations (the sign, ``q = 2/(s + 2)`` and
  ``k = ½ log_3(N s²/(s − 1))``); they round ``k`` down where we round it up, a change of at most one
  in ``k`` that leaves the rate unchanged.

Each estimate is linear in the ``n_r``, ``Σ_r c_r n_r``; under Poisson sampling its variance is at
most ``E[Σ_r c_r² n_r]``, estimated by ``Σ_r c_r² n_r``: the standard error given with each
forecast (sampling error only; the smoothed estimator's bias is bounded by the paper's bound).
``E[MM] = E[sr]`` under Poisson sampling, so for ``t > 1`` the same figure estimates both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hallusim import bounds
from hallusim._validation import check_float, check_gamma, check_int, fail
from hallusim.floor._counts import FloorCounts

__all__ = ["FloorForecast", "Forecasts", "forecast_floor", "smoothing_reach", "DEFAULT_MAX_ERROR"]

DEFAULT_MAX_ERROR = 0.1  # the normalised RMS error rate of U (up to its unknown constant) the reach allows
_Z = 1.959963984540054  # the 97.5% normal quantile: bands are estimate ± 1.96 se


@dataclass(frozen=True)
class FloorForecast:
    """The forecast at ``t·N`` examples (see :func:`forecast_floor`).

    Attributes
    ----------
    t : float
        The ratio of the forecast training set's size to the present one's.
    n_examples : int
        ``m = round(t·N)``.
    method : str
        ``"subsample"``, ``"observed"`` (t = 1), ``"good-toulmin"``, ``"smoothed good-toulmin"``, or
        ``"refused"``.
    singleton_rate, singleton_rate_se : float
        Estimated ``E[sr]`` at ``m`` (Definition 2) and its standard error.
    missing_mass : float
        Estimated ``E[MM]`` at ``m``.
    new_prompts, new_prompts_se : float or None
        ``t > 1``: estimated prompts first seen in the ``(t − 1)·N`` new examples, and its
        standard error.
    lower_bound : float
        Theorem 2's lower bound (δ = 0) at the forecast ``sr`` and ``m``: the floor.
    truncation : float
        A bound on how much the items a truncated table omits can move ``singleton_rate`` (0 for a
        complete table).
    guarantee : str
        The estimator's stated guarantee at this ``t``, in words.
    refused : str or None
        Why no forecast is given at this ``t`` (then the figures are NaN).
    """

    t: float
    n_examples: int
    method: str
    singleton_rate: float
    singleton_rate_se: float
    missing_mass: float
    new_prompts: float | None
    new_prompts_se: float | None
    lower_bound: float
    truncation: float
    guarantee: str
    refused: str | None = None

    @property
    def band(self) -> tuple[float, float]:
        """``sr ± 1.96·se`` widened by the truncation bound, clipped to [0, 1]."""
        half = _Z * self.singleton_rate_se + self.truncation
        return max(0.0, self.singleton_rate - half), min(1.0, self.singleton_rate + half)

    def to_dict(self) -> dict:
        """A JSON-ready dictionary of the forecast (NaN as None)."""
        def clean(x):
            return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else x
        low, high = self.band
        return {"t": self.t, "n_examples": self.n_examples, "method": self.method,
                "singleton_rate": clean(self.singleton_rate), "singleton_rate_se": clean(self.singleton_rate_se),
                "band": [clean(low), clean(high)], "missing_mass": clean(self.missing_mass),
                "new_prompts": clean(self.new_prompts), "new_prompts_se": clean(self.new_prompts_se),
                "theorem2_lower": clean(self.lower_bound), "truncation": self.truncation,
                "guarantee": self.guarantee, "refused": self.refused}


@dataclass(frozen=True)
class Forecasts:
    """Forecasts at several ``t``, the reach of the estimators and the answer to a target floor.

    Attributes
    ----------
    n_examples : int
        ``N`` of the present training set.
    rows : tuple of FloorForecast
        One forecast per ``t`` asked for.
    t_max : float
        The reach (:func:`smoothing_reach`): forecasts beyond it are refused.
    max_error : float
        The normalised RMS error rate of the new-prompt count the reach allows (up to its unknown constant).
    target, target_t, target_text : float, float, str, or None
        The target singleton rate asked for, the ``t`` at which the forecast reaches it (None if
        out of reach), and the answer in words.
    """

    n_examples: int
    rows: tuple
    t_max: float
    max_error: float
    target: float | None = None
    target_t: float | None = None
    target_text: str | None = None

    def to_dict(self) -> dict:
        """A JSON-ready dictionary."""
        return {"n_examples": self.n_examples, "t_max": self.t_max, "max_error": self.max_error,
                "forecasts": [row.to_dict() for row in self.rows], "target_floor": self.target,
                "target_t": self.target_t, "target": self.target_text}

    def to_text(self) -> str:
        """The forecast table as aligned text."""
        lines = [f"forecast (N = {self.n_examples:,}; extrapolation reach t <= {self.t_max:.3g}, where the smoothed "
                 f"Good-Toulmin error rate of new prompts, up to its unknown constant, stays below {self.max_error:g}):",
                 f"  {'t':>7} {'examples':>14} {'sr (95% band)':>30} {'Theorem 2 floor':>16}  method"]
        for row in self.rows:
            if row.refused:
                lines.append(f"  {row.t:>7.4g} {row.n_examples:>14,} {'refused: ' + row.refused}")
                continue
            low, high = row.band
            band = f"{row.singleton_rate:.5g} [{low:.4g}, {high:.4g}]"
            lines.append(f"  {row.t:>7.4g} {row.n_examples:>14,} {band:>30} {row.lower_bound:>16.5g}  {row.method}")
        if self.target_text:
            lines.append(f"target floor:         {self.target_text}")
        return "\n".join(lines)


def smoothing_reach(n_examples, max_error: float = DEFAULT_MAX_ERROR) -> float:
    """The largest ``t`` at which the smoothed Good–Toulmin error rate is within ``max_error``.

    Orlitsky, Suresh & Wu (2016, Table 1, binomial smoothing with ``q = 2/(s+2)``) bound the
    normalised mean-square error of the new-prompt count at ``s = t − 1`` by ``N^(−log_3(1 + 2/s))``
    up to a universal constant they do not state, so this reach is a rule of thumb, not a
    guarantee; the rate is at most ``max_error²`` iff
    ``s <= 2 / (3^(2 ln(1/max_error)/ln N) − 1)``.

    Parameters
    ----------
    n_examples : int
        ``N``.
    max_error : float in (0, 1)
        The normalised RMS error the rate must stay within.

    Returns
    -------
    float
        ``t_max = 1 + s_max`` (at least 2: Good–Toulmin's own range).
    """
    n = check_int("n_examples", n_examples, minimum=2)
    max_error = check_float("max_error", max_error, low=0.0, high=1.0, low_open=True, high_open=True)
    exponent = 2.0 * math.log(1.0 / max_error) / math.log(n)
    s_max = 2.0 / (3.0**exponent - 1.0)
    return max(2.0, 1.0 + s_max)


def _coefficients(r: np.ndarray, n: int, t: float):
    """Coefficients ``(c_r for |S|, d_r for U or None, method, guarantee)`` at ``t``."""
    from scipy import stats  # deferred: scipy.stats takes 0.3 s, a third of `import hallusim`

    rf = r.astype(np.float64)
    if t < 1:
        m = max(1, round(t * n))
        return stats.hypergeom.pmf(1, n, r, m), None, "subsample", "exact (unbiased) for iid sampling"
    if t == 1:
        return (r == 1).astype(np.float64), np.zeros_like(rf), "observed", "the training set itself"
    s = t - 1.0
    # Every coefficient is sign · exp(log-magnitude), so that s^r · P(L >= r) underflows to 0 for
    # large r instead of overflowing to inf · 0.
    sign = np.where(r % 2 == 0, 1.0, -1.0)  # (−1)^r
    log_s = math.log(s)
    # The singleton series t·Σ r(−s)^(r−1) n_r has variance Σ r² s^(2r−2) n_r, unbounded as s → 1, so
    # it is always smoothed, with q = 2/(s + 2) and k_sr = ⌈½ log_3(N s²/(s + 1))⌉ (our choice, close
    # to OSW's k away from s = 1 and finite at s = 1; validated in the floor_forecast experiment).
    q = 2.0 / (s + 2.0)
    k_sr = max(1, math.ceil(0.5 * math.log(max(3.0, n * s * s / (s + 1.0)), 3)))
    if t <= 2:
        log_weights = np.zeros_like(rf)
        method = "good-toulmin"
        guarantee = (f"new prompts U: Good-Toulmin, unbiased under Poisson sampling; sr: binomially smoothed "
                     f"series, k = {k_sr}, q = {q:.3g}")
    else:
        k = math.ceil(0.5 * math.log(n * s * s / (s - 1.0), 3))
        log_weights = stats.binom.logsf(r - 1, k, q)
        bound = n ** (-0.5 * math.log(1 + 2 / s, 3))
        method = "smoothed good-toulmin"
        guarantee = (f"new prompts U: binomial smoothing k = {k}, q = {q:.3g}, normalised RMS error "
                     f"<~ N^(-log3(1+2/s)/2) = {bound:.3g} (Orlitsky, Suresh & Wu 2016); sr: the same smoothing "
                     f"with k = {k_sr}")
    with np.errstate(divide="ignore"):
        log_c = math.log(t) + np.log(rf) + (rf - 1) * log_s + stats.binom.logsf(r - 1, k_sr, q)
        c = sign * -1.0 * np.exp(log_c)  # t · r · (−s)^(r−1) · P(L_sr >= r)
        d = -sign * np.exp(rf * log_s + log_weights)  # −(−s)^r · P(L >= r)
    return c, d, method, guarantee


def _forecast_one(counts: FloorCounts, t: float, t_max: float, min_errors: int, gamma: float) -> FloorForecast:
    from scipy import stats  # deferred: as in _coefficients

    n = counts.n_examples
    m = max(1, round(t * n))
    r, n_r = counts.r, counts.n_r.astype(np.float64)
    if t > t_max:
        reason = (f"t = {t:g} is beyond the reach t <= {t_max:.3g} where the smoothed Good-Toulmin estimator's "
                  "error rate (Orlitsky, Suresh & Wu 2016) is within max_error at this N; more data, or a larger "
                  "max_error, extends it")
        nan = float("nan")
        return FloorForecast(t, m, "refused", nan, nan, nan, None, None, nan, 0.0, "", reason)
    c, d, method, guarantee = _coefficients(r, n, t)
    singletons = float(np.dot(c, n_r))
    se = math.sqrt(float(np.dot(c * c, n_r)))
    sr = max(0.0, singletons) / m
    if t < 1:  # E[MM](m) = E|S|(m + 1)/(m + 1); at m + 1 = N that is the observed singleton rate
        mm = (float(stats.hypergeom.pmf(1, n, r, m + 1) @ n_r) / (m + 1) if m + 1 < n
              else counts.n_singletons / n)
    else:
        mm = sr
    truncation = _truncation(counts, t, m, method)
    new = new_se = None
    if d is not None:
        new = float(np.dot(d, n_r))
        new_se = math.sqrt(float(np.dot(d * d, n_r)) + max(new, 0.0))  # + Var(U) <= E[U] (Poisson)
    lower = float(bounds.theorem2_lower(sr, min_errors, m, delta=0.0, gamma=gamma))
    return FloorForecast(t, m, method, sr, se / m, mm, new, new_se, lower, truncation, guarantee)


def _truncation(counts: FloorCounts, t: float, m: int, method: str) -> float:
    """Bound on the singleton rate's change from the items a truncated table omits."""
    omitted = counts.omitted_examples
    if not omitted:
        return 0.0
    r_top = int(counts.r[-1]) if counts.r.size else 0
    grid = np.unique(np.geomspace(r_top + 1, max(r_top + 1, omitted), 2000).astype(np.int64))
    c, *_ = _coefficients(grid, counts.n_examples, t)
    # At most omitted/(r_top + 1) omitted items, each changing |S| by at most max |c_r| over r > r_top.
    # (The coefficients are evaluated on a dense geometric grid of r; they vary smoothly in r.)
    return float(np.max(np.abs(c))) * omitted / (r_top + 1) / m


def forecast_floor(counts: FloorCounts, ts, *, min_errors: int = 364, gamma: float = 0.01,
                   max_error: float = DEFAULT_MAX_ERROR, target_floor: float | None = None) -> Forecasts:
    """Forecast ``E[sr]``, ``E[MM]`` and Theorem 2's floor at ``t·N`` examples for each ``t``.

    Parameters
    ----------
    counts : FloorCounts
        The present training set's statistics (from :func:`read_floor_counts`).
    ts : sequence of float
        The ratios ``t > 0``; ``t < 1`` is exact subsampling, ``1 < t <= 2`` Good–Toulmin,
        ``t > 2`` smoothed Good–Toulmin (see the module docstring), refused beyond
        :func:`smoothing_reach`.
    min_errors : int
        ``min_c |E_c|`` for Theorem 2's lower bound.
    gamma : float
        Theorem 2's failure probability.
    max_error : float in (0, 1)
        The normalised RMS error of the new-prompt count that the smoothed estimator must be
        guaranteed (default 0.1); it sets the reach.
    target_floor : float, optional
        A singleton rate (the floor a calibrated model tends to, Theorem 2) to reach: the answer
        says at about which ``t`` the forecast falls to it, or that it is out of reach.

    Returns
    -------
    Forecasts
    """
    min_errors = check_int("min_errors", min_errors, minimum=1)
    gamma = check_gamma("gamma", gamma)
    values = []
    for t in ts:
        values.append(check_float("t", t, low=0.0, low_open=True))
    if not values and target_floor is None:
        fail("ts", "at least one ratio t > 0 (or a target floor)", list(ts))
    n = counts.n_examples
    if n < 2:
        fail("counts", "at least two examples to forecast from", f"<N = {n}>")
    t_max = smoothing_reach(n, max_error)
    rows = tuple(_forecast_one(counts, t, t_max, min_errors, gamma) for t in values)
    if target_floor is None:
        return Forecasts(n, rows, t_max, max_error)
    target = check_float("target_floor", target_floor, low=0.0, high=1.0)
    t_found, text = _target(counts, target, t_max, min_errors, gamma)
    return Forecasts(n, rows, t_max, max_error, target, t_found, text)


def _target(counts, target, t_max, min_errors, gamma):
    """The smallest forecast ``t`` (on a fine grid up to ``t_max``) whose ``sr`` is at most ``target``."""
    n = counts.n_examples
    grid = np.unique(np.concatenate([np.geomspace(2.0 / n, 1.0, 200), np.linspace(1.0, t_max, 200)]))
    for t in grid:
        row = _forecast_one(counts, float(t), t_max, min_errors, gamma)
        if row.singleton_rate <= target:
            low, high = row.band
            return float(t), (f"sr falls to {target:g} at about t = {t:.3g} (N = {row.n_examples:,} examples; "
                              f"forecast sr {row.singleton_rate:.4g}, band [{low:.4g}, {high:.4g}], {row.method})")
    last = _forecast_one(counts, float(t_max), t_max, min_errors, gamma)
    return None, (f"out of reach: at the largest t the estimators can forecast, t = {t_max:.3g} "
                  f"({last.n_examples:,} examples), sr is still about {last.singleton_rate:.4g} > {target:g}")
