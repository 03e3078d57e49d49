"""The floor's forecast at ``t·N`` examples against the truth (``hallusim floor --forecast``).

Three comparisons that can fail: (1) for known worlds (Zipf prompts, Pareto repetition), the
forecast singleton rate from one training set of ``N`` examples against the exact ``E[sr]`` at
``t·N`` (Section 3.3.1), across ``t`` (exact subsampling below 1, Good–Toulmin and smoothed
Good–Toulmin above); (2) on real text, textblob's en-spelling word counts (1.1 M tokens; used only
if textblob is installed), the full corpus's singleton rate forecast from a random fraction of its
tokens; (3) Shakespeare's frequency-of-frequencies table (Efron & Thisted 1976, truncated at
``r = 100``, 884,647 words in all), the Good–Toulmin count of new words in a second corpus of
``t·884,647`` words against Efron & Thisted's published 11,430 (s.e. 178) at ``t = 1``.
"""

from __future__ import annotations

import functools
import importlib.resources
import importlib.util
from pathlib import Path

import numpy as np

from hallusim._validation import fail
from hallusim.experiments.floor_estimation import make_world, parse_world
from hallusim.floor import floor_report, forecast_floor
from hallusim.plotting.floors import plot_floor_forecast
from hallusim.runs import sweep, write_table

SUMMARY = ("Figure: the floor's forecast at t·N (subsampling, Good–Toulmin, smoothed Good–Toulmin) against exact "
           "E[sr] in known worlds, a real corpus's full size, and Efron & Thisted's Shakespeare estimate.")
OUTPUTS = ("figures/floor_forecast.png", "figures/floor_forecast.pdf", "results/floor_forecast.csv",
           "results/floor_forecast_real.csv", "results/floor_forecast_shakespeare.csv")
#: The caption of each figure on the docs' experiments page (every symbol defined).
CAPTIONS = {
    "figures/floor_forecast.png": (
        'Forecasting the floor at t·N examples. (a) Known worlds (Zipf, Pareto repetition): forecast '
        'singleton rate sr divided by the exact E[sr] at tN, by exact subsampling (t < 1), Good–Toulmin (1 < '
        't ≤ 2) and smoothed Good–Toulmin (larger t), with the 95% band shaded; dashed: exact; dotted: t = 1. '
        "(b) Real text (textblob's en-spelling word counts): the full corpus's sr forecast from a fraction "
        "1/t of it, with its band, against the truth (dashed). (c) Shakespeare's frequency-of-frequencies "
        "table: Good–Toulmin's number of new word types in a new corpus of t times 884,647 words, with its "
        "band, and Efron & Thisted's (1976) published estimate ± standard error (squares). Quick preset."
    ),
}

# Every preset key: (meaning, unit); `hallusim run floor_forecast --help` lists them with their preset values.
KEYS = {
    "worlds": ("known worlds: \"zipf:<exponent>\" or \"pareto:<tail index>\"", ""),
    "n_prompts": ("prompts C of each known world", "prompts"),
    "n_examples": ("training examples N the forecast starts from", "examples"),
    "ts": ("ratios t: forecast the singleton rate at t·N examples", ""),
    "fractions": ("fractions of the real corpus's tokens the full corpus is forecast from (textblob only)", "fraction"),
    "n_responses": ("|R_c|, responses per prompt", "responses"),
    "answer_prob": ("α: probability that an example answers", "probability"),
    "gamma": ("γ: failure probability of Theorem 2's bounds in the floor reports and forecasts", "probability"),
    "max_error": ("normalised RMS error the smoothed Good–Toulmin forecast must be guaranteed; sets the reach in t, beyond which forecasts are refused", ""),
    "replicates": ("training sets per (world, t)", "corpora"),
    "seed": ("root seed of the sweep and of the world", ""),
}

# Cost of each preset: (seconds, peak MB, how), from `/usr/bin/time -v hallusim run NAME --preset P --fresh`
# (--jobs 1, warm Numba cache) on the 2-core CI machine; "load" is the 1-minute load average before-after.
# Measured on a heavily loaded machine (load ~10 on 2 cores): at load ~1 expect several times less.
COST = {
    "quick": (83.1, 302, "measured, load 10.8-10.5"),
    "medium": (68.6, 302, "measured, load 10.2-10.0"),
    "paper": (300, 350, "estimated from the medium run: 660 rows against 330, each with 2.5 times the prompts (startup ~10 s at this load, measured with table2)"),
}

#: Efron & Thisted (1976), Biometrika 63:435–447, Table 1: word types used r = 1..100 times in
#: Shakespeare's works (884,647 words, 31,534 types; the 846 types used more than 100 times omitted).
SHAKESPEARE_N_R = (
    14376, 4343, 2292, 1463, 1043, 837, 638, 519, 430, 364, 305, 259, 242, 223, 187, 181, 179, 130, 127, 128,
    104, 105, 99, 112, 93, 74, 83, 76, 72, 63, 73, 47, 56, 59, 53, 45, 34, 49, 45, 52,
    49, 41, 30, 35, 37, 21, 41, 30, 28, 19, 25, 19, 28, 27, 31, 19, 19, 22, 23, 14,
    30, 19, 21, 18, 15, 10, 15, 14, 11, 16, 13, 12, 10, 16, 18, 11, 8, 15, 12, 7,
    13, 12, 11, 8, 10, 11, 7, 12, 9, 8, 4, 7, 6, 7, 10, 10, 15, 7, 7, 5,
)
SHAKESPEARE_WORDS = 884_647
#: Efron & Thisted's estimate of new word types in a second corpus of 884,647 words, and its s.e.
EFRON_THISTED_NEW_WORDS = (1.0, 11_430.0, 178.0)


def check_config(config):
    """Refuse values ``run`` cannot work with (the usual message template)."""
    for spec in config["worlds"]:
        parse_world(spec)
    if any(float(t) <= 0 for t in config["ts"]):
        fail("ts", "ratios t > 0", config["ts"])
    if any(not 0 < float(f) <= 1 for f in config["fractions"]):
        fail("fractions", "fractions in (0, 1]", config["fractions"])


def replicate(params, seed, *, n_prompts, n_examples, n_responses, answer_prob, gamma, max_error, world_seed):
    """One world, ratio ``t`` and replicate: sample ``N`` examples, forecast at ``t·N``, compare."""
    world = make_world(params["world"], n_prompts=n_prompts, n_responses=n_responses, answer_prob=answer_prob,
                       world_seed=world_seed)
    corpus = world.sample(n_examples, seed=seed)
    counts = floor_report(corpus.answered_counts, n_examples=corpus.n_examples, gamma=gamma).counts
    row = forecast_floor(counts, [params["t"]], gamma=gamma, max_error=max_error).rows[0]
    if row.refused:
        nan = float("nan")
        return {"method": "refused", "forecast": nan, "low": nan, "high": nan, "se": nan,
                "exact_sr": world.expected_singleton_rate(row.n_examples), "covered": False}
    exact = world.expected_singleton_rate(row.n_examples)
    low, high = row.band
    return {"method": row.method, "forecast": row.singleton_rate, "low": low, "high": high,
            "se": row.singleton_rate_se, "exact_sr": exact,
            "exact_mm": world.expected_missing_mass(row.n_examples), "covered": bool(low <= exact <= high)}


def en_spelling_counts():
    """textblob's en-spelling word counts (MIT licence), or None when textblob is not installed."""
    if importlib.util.find_spec("textblob") is None:
        return None
    text = (importlib.resources.files("textblob") / "en" / "en-spelling.txt").read_text("utf-8")
    return np.asarray([int(line.split()[1]) for line in text.splitlines()
                       if line.strip() and not line.startswith(";;;")], np.int64)


def real_rows(fractions, seed, gamma, max_error):
    """The full corpus's sr forecast from each fraction of its tokens (a multivariate hypergeometric draw)."""
    counts = en_spelling_counts()
    if counts is None:
        return []
    n = int(counts.sum())
    truth = float(np.sum(counts == 1)) / n
    rng = np.random.default_rng(seed)
    rows = []
    for fraction in fractions:
        part = rng.multivariate_hypergeometric(counts, max(2, round(fraction * n)))
        r, n_r = np.unique(part[part > 0], return_counts=True)
        table = floor_report((r, n_r), gamma=gamma).counts
        row = forecast_floor(table, [n / table.n_examples], gamma=gamma, max_error=max_error).rows[0]
        low, high = row.band if not row.refused else (float("nan"), float("nan"))
        rows.append({"fraction": float(fraction), "n_examples": table.n_examples, "t": row.t, "method": row.method,
                     "forecast": row.singleton_rate, "low": low, "high": high, "truth": truth,
                     "covered": bool(low <= truth <= high)})
    return rows


def shakespeare(gamma, max_error):
    """Good–Toulmin's new words in ``t·884,647`` more words, ``t`` in (0, 1], and the published value."""
    r = np.arange(1, len(SHAKESPEARE_N_R) + 1)
    table = floor_report((r, np.asarray(SHAKESPEARE_N_R)), total_examples=SHAKESPEARE_WORDS, gamma=gamma).counts
    ts = np.linspace(0.05, 1.0, 20)
    rows = forecast_floor(table, (1.0 + ts).tolist(), gamma=gamma, max_error=max_error).rows
    t_pub, value, se = EFRON_THISTED_NEW_WORDS
    return {"t": ts, "good_toulmin": np.array([row.new_prompts for row in rows]),
            "good_toulmin_se": np.array([row.new_prompts_se for row in rows]),
            "published_t": [t_pub], "published": [value], "published_se": [se]}


def run(config, out_dir, *, sweep_options=None):
    """Run the three comparisons of ``config``, write the tables and the figure; return the rows."""
    check_config(config)
    func = functools.partial(
        replicate, n_prompts=int(config["n_prompts"]), n_examples=int(config["n_examples"]),
        n_responses=int(config["n_responses"]), answer_prob=float(config["answer_prob"]),
        gamma=float(config["gamma"]), max_error=float(config["max_error"]), world_seed=int(config["seed"]),
    )
    grid = {"world": list(config["worlds"]), "t": [float(t) for t in config["ts"]]}
    rows = sweep(func, grid, replicates=int(config["replicates"]), seed=int(config["seed"]), **(sweep_options or {}))
    real = real_rows([float(f) for f in config["fractions"]], int(config["seed"]), float(config["gamma"]),
                     float(config["max_error"]))
    shake = shakespeare(float(config["gamma"]), float(config["max_error"]))
    out_dir = Path(out_dir)
    write_table(rows, out_dir / "results" / "floor_forecast.csv", provenance={"config": config})
    if real:
        write_table(real, out_dir / "results" / "floor_forecast_real.csv", provenance={"config": config})
    shake_rows = [{"t": float(t), "good_toulmin": float(u), "good_toulmin_se": float(s)}
                  for t, u, s in zip(shake["t"], shake["good_toulmin"], shake["good_toulmin_se"])]
    write_table(shake_rows, out_dir / "results" / "floor_forecast_shakespeare.csv", provenance={"config": config})
    plot_floor_forecast([row for row in rows if row["method"] != "refused"], real, shake,
                        out_dir / "figures" / "floor_forecast")
    return rows
