"""Miao & Kearns (2025), "Hallucination, Monofacts, and Miscalibration": their n-gram experiment.

Reproduced from their code (github mmiao2/Hallucination, commit 7647c90, ``ngram/ngram_main_results.ipynb``
cell 3 and ``ngram/miscal_ngram_experiment.ipynb`` cell 1), on synthetic fact strings of the shape
of theirs (``actor, costar, movie, director, genre, year``; their IMDb strings are not available):

* **Pareto repetition**: fact ``c`` of ``C`` is repeated ``k_c = floor(X_c)`` times, ``X_c`` Pareto
  with minimum 1 and shape γ (their ``int(pareto.rvs(b=γ, scale=1))``;
  :meth:`hallusim.ArbitraryFacts.pareto_repetition`); the training set is ``n`` draws *without*
  replacement from that multiset (their ``random.sample``), i.e. multivariate hypergeometric counts.
* **monofact rate**: facts seen exactly once in training, divided by ``n``.
* **model**: their order-2 Markov chain over whitespace tokens with MLE transitions, started by a
  draw of the first two tokens: :class:`hallusim.ngram.NgramModel` of order 3, ``"mle"``, NLTK padding
  (``p̂(w1|<s><s>)·p̂(w2|<s>w1)`` is their start probability).
* **hallucination rate**: distinct generated strings that are not facts, divided by the number of
  generations (their ``len(set(generated) − F)/len(generated)``); the occurrence-counted rate is
  reported beside it.
* **miscalibration**: ε-induced bins ``[(1−ε)^(i+1), (1−ε)^i)`` (ε = 0.1) of the normalised model
  probability ``g``; ``½ Σ_B |p(B) − g(B)|``. Their code sums over the *list* of facts with
  repeats, so fact ``c`` enters ``k_c`` times: ``p(c) ∝ k_c²`` and ``g(c) ∝ k_c ĝ(c)`` after their
  normalisation. Reproduced as written ("as coded") and also per distinct fact ("per fact").
* **KL regret**: the same bins over the training list: ``Σ_B p_B ln(p_B / g_B)``.
* **upweighting**: the first ``k`` training examples get extra weight. Their ``upweight_train`` adds
  the raw counts of those facts to the already normalised transition probabilities and
  renormalises; an :class:`~hallusim.ngram.NgramModel` is fitted on counts, so here the ``k`` facts
  are repeated ``upweight_repeats`` times in the training text instead. Their rule is, per state
  ``h``, repeating the upweighted n-grams ``C(h)`` times (the state's training count), so it is strongest
  on the shared contexts where the chain splices facts; 1000 copies come closest (see the docs' table).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from hallusim import _rng
from hallusim._validation import check_float, check_int, fail
from hallusim.facts import ArbitraryFacts
from hallusim.ngram import NgramModel
from hallusim.plotting.replications import plot_miao_kearns
from hallusim.runs import sweep, write_table

SUMMARY = "Figure and table: Miao & Kearns's n-gram experiment (monofact rate, hallucination, miscalibration, KL regret, upweighting)."
OUTPUTS = ("figures/miao_kearns.png", "figures/miao_kearns.pdf", "results/miao_kearns.csv")
#: The caption of each figure on the docs' experiments page (every symbol defined).
CAPTIONS = {
    "figures/miao_kearns.png": (
        "Miao & Kearns's n-gram experiment against the Pareto shape γ of the fact repetition counts, on "
        "synthetic fact strings of their shape: the monofact rate (fraction of training facts seen once), the "
        "hallucination rate (fraction of generated distinct strings that are not facts), their bin-wise "
        "miscalibration with ε = 0.1 bins (as coded, and per fact), and the KL regret, in four stacked panels "
        "with one legend. Lines with circles: ours (dashed, open: after upweighting about 5% of training facts; "
        "dotted squares: miscalibration per fact); the values printed in their notebooks are stars (upweighting "
        "figure titles; open: after upweighting), crosses (main sweep, read off their figure) and plus signs "
        "(printed table), drawn under ours (see the replications page for commit and cell). Quick preset."
    ),
}

# Every preset key: (meaning, unit); `hallusim run miao_kearns --help` lists them with their preset values.
KEYS = {
    "shapes": ("Pareto shapes γ of the repetition counts k_c = floor(X_c), X_c Pareto(minimum 1, shape γ)", ""),
    "n_facts": ("distinct facts C (theirs: 19,999 IMDb facts)", "facts"),
    "n_train": ("training draws n without replacement from the repeated facts (theirs: 5000)", "examples"),
    "generations": ("strings sampled from each trigram model (theirs: 5000)", "strings"),
    "epsilon": ("ε of the ε-induced probability bins [(1−ε)^(i+1), (1−ε)^i)", ""),
    "upweight_fraction": ("fraction of the training examples (the first ones) upweighted", "fraction"),
    "upweight_repeats": ("extra copies of each upweighted example in the training text", "copies"),
    "replicates": ("independent worlds and training samples per shape", "samples"),
    "seed": ("root seed of the sweep", ""),
}

# Cost of each preset: (seconds, peak MB, how), from `/usr/bin/time -v hallusim run NAME --preset P --fresh`
# (--jobs 1, warm Numba cache) on the 2-core CI machine; "load" is the 1-minute load average before-after.
# Measured on a heavily loaded machine (load ~10 on 2 cores): at load ~1 expect several times less.
COST = {
    "quick": (54.0, 297, "measured, load 9.2-10.1"),
    "medium": (89.0, 362, "measured, load 10.6-9.1"),
    "paper": (370, 550, "estimated from the medium run: 27 rows against 12, each about twice the facts, draws and generations (startup ~10 s at this load, measured with table2)"),
}

#: Values printed in their notebooks at commit 7647c90.
#: ``ngram/miscal_ngram_experiment.ipynb`` cell 5 (figure titles and curves, read off the plot):
#: shape γ -> (monofact rate, hallucination before, miscalibration before, hallucination after
#: upweighting the first 312 of 5000 training examples). The code of cell 3 lists shapes
#: [1, 1.25, 1.5, 2.25, 2.5, 4] while the figure titles say 2 and 2.25; the titles are used.
PUBLISHED_UPWEIGHT = {
    1.0: (0.355, 0.20, 0.033, 0.07),
    1.25: (0.567, 0.32, 0.155, 0.12),
    1.5: (0.670, 0.38, 0.16, 0.14),
    2.0: (0.788, 0.42, 0.54, 0.14),
    2.25: (0.807, 0.42, 0.47, 0.16),
    4.0: (0.869, 0.44, 0.78, 0.18),
}
#: ``ngram/ngram_main_results.ipynb`` cell 6 (printed table): total miscalibration and total KL
#: regret at the first and last shapes of their sweep γ = 1.00 … 3.99.
PUBLISHED_TOTALS = {1.0: (0.021438, 0.004266), 3.99: (0.726294, 0.554783)}

#: ``ngram/ngram_trends.ipynb`` cell 1, second panel (their main sweep of 300 shapes; read off
#: the plot, ±0.03): monofact rate of the training sample against the shape γ.
PUBLISHED_TREND = {1.0: 0.25, 1.5: 0.55, 2.0: 0.70, 2.5: 0.82, 3.0: 0.88, 3.5: 0.93, 4.0: 0.95}

_GENRES = ("Drama", "Comedy", "Action", "Thriller", "Romance", "Horror", "Crime", "Adventure",
           "Documentary", "Animation", "Family", "Fantasy", "Mystery", "Biography", "Western", "Music")


def fact_strings(n_facts, seed, *, cast_per_movie=4, n_actors=6000, n_directors=2500, n_title_words=3000):
    """Synthetic facts ``"First Last, First Last, Title words, First Last, Genre, Year"``.

    Movies have a cast drawn from a Zipf-popular pool of actors; each fact is one (actor, costar)
    pair of one movie, so facts of a movie share its title, director, genre and year, as the IMDb
    facts of Miao & Kearns do.

    Parameters
    ----------
    n_facts : int
    seed : int or SeedSequence
    cast_per_movie, n_actors, n_directors, n_title_words : int

    Returns
    -------
    list of list of str
        Whitespace tokens of each distinct fact.
    """
    rng = np.random.default_rng(_rng.as_seed_sequence(seed))
    firsts = [f"F{i}" for i in range(800)]
    lasts = [f"L{i}" for i in range(4000)]
    people = lambda k: [f"{firsts[a]} {lasts[b]}" for a, b in zip(rng.integers(0, 800, k), rng.integers(0, 4000, k))]  # noqa: E731
    actors, directors = people(n_actors), people(n_directors)
    popularity = 1.0 / np.arange(1, n_actors + 1)
    popularity /= popularity.sum()
    facts, seen = [], set()
    while len(facts) < n_facts:
        title = " ".join(f"w{t}" for t in rng.integers(0, n_title_words, rng.integers(1, 4)))
        director, genre, year = directors[rng.integers(n_directors)], _GENRES[rng.integers(len(_GENRES))], int(rng.integers(1950, 2021))
        cast = rng.choice(n_actors, size=cast_per_movie, replace=False, p=popularity)
        for i in range(cast_per_movie):
            for j in range(i + 1, cast_per_movie):
                text = f"{actors[cast[i]]}, {actors[cast[j]]}, {title}, {director}, {genre}, {year}"
                if text not in seen and len(facts) < n_facts:
                    seen.add(text)
                    facts.append(text.split())
    return facts


def _bins(g, epsilon):
    """Index of the ε-induced bin ``[(1−ε)^(i+1), (1−ε)^i)`` of each ``g`` (the last bin takes the rest)."""
    edges = []
    i = 0
    while True:
        lower = (1 - epsilon) ** (i + 1)
        if lower < 1e-10:
            break
        edges.append(lower)
        i += 1
    last = len(edges)
    idx = np.full(g.shape, last, dtype=np.int64)
    with np.errstate(divide="ignore"):
        k = np.floor(np.log(np.where(g > 0, g, 1.0)) / np.log(1 - epsilon)).astype(np.int64)
    ok = (g > 0) & (g < 1.0) & (k < last)
    idx[ok] = k[ok]
    idx[g >= 1.0] = last  # their bins are half-open below 1: g = 1 falls through to the last bin
    return idx, last + 1


def binned_miscalibration(p, g, epsilon):
    """Miao & Kearns's bin-wise miscalibration ``½ Σ_B |p(B) − g(B)|`` on ε-induced bins of ``g``.

    Parameters
    ----------
    p, g : ndarray
        True and model probabilities, each normalised to sum to one.
    epsilon : float

    Returns
    -------
    float
    """
    idx, n_bins = _bins(g, epsilon)
    return 0.5 * float(np.abs(np.bincount(idx, p, n_bins) - np.bincount(idx, g, n_bins)).sum())


def binned_regret(p, g, epsilon):
    """Miao & Kearns's bin-wise KL regret ``Σ_B p_B ln(p_B / g_B)`` on ε-induced bins of ``g``.

    Parameters
    ----------
    p, g : ndarray
        Empirical and model probabilities of the training examples, each normalised.
    epsilon : float

    Returns
    -------
    float
        ``inf`` when a bin has empirical mass and no model mass, as their code returns.
    """
    idx, n_bins = _bins(g, epsilon)
    pb, gb = np.bincount(idx, p, n_bins), np.bincount(idx, g, n_bins)
    keep = pb > 0
    if np.any(gb[keep] == 0):
        return float("inf")
    return float(np.sum(pb[keep] * np.log(pb[keep] / gb[keep])))


def _normalise(x):
    s = x.sum()
    return x / s if s > 0 else x


def _measure(model, facts, index, repetitions, train_counts, generations, epsilon, seed, max_len):
    g_fact = np.exp2(model.logscore_responses([[]] * len(facts), facts, eos=True))
    sampled = model.sample_ids(model.prompt_contexts([[]]), max_len + 1, n_samples=generations, seed=seed)[0]
    strings = []
    for row in sampled:
        stop = np.flatnonzero(row == 2)  # EOS id
        strings.append(None if stop.size == 0 else " ".join(model.vocabulary_.decode(row[:stop[0]])))
    is_fact = np.array([s is not None and s in index for s in strings])
    distinct_false = len({s if s is not None else f"<long {i}>" for i, s in enumerate(strings) if not is_fact[i]})
    k = repetitions.astype(float)
    seen = train_counts > 0
    nc = train_counts[seen].astype(float)
    return {
        "hallucination_rate": distinct_false / generations,
        "hallucination_rate_occurrences": float(1.0 - is_fact.mean()),
        "miscalibration": binned_miscalibration(_normalise(k * k), _normalise(k * g_fact), epsilon),
        "miscalibration_per_fact": binned_miscalibration(_normalise(k), _normalise(g_fact), epsilon),
        "kl_regret": binned_regret(_normalise(nc * nc), _normalise(nc * g_fact[seen]), epsilon),
    }


def replicate(params, seed, *, n_facts, n_train, generations, epsilon, upweight_fraction, upweight_repeats):
    """One Pareto shape and replicate: world, training sample, model, measures before/after upweighting."""
    seq = _rng.as_seed_sequence(seed)
    facts_seed, world_seed, sample_seed, gen_seed, order_seed = seq.spawn(5)
    facts = fact_strings(n_facts, facts_seed)
    world = ArbitraryFacts.pareto_repetition(n_facts, params["shape"], seed=world_seed)
    ratio = world.weights / world.weights.min()
    repetitions = np.rint(ratio).astype(np.int64)
    if not np.allclose(ratio, repetitions, rtol=1e-9, atol=0):
        fail("shape", "a shape whose smallest repetition count is 1 (raise n_facts)", params["shape"])
    if n_train > repetitions.sum():
        fail("n_train", f"at most the {repetitions.sum()} fact occurrences of the world", n_train)
    rng = np.random.default_rng(sample_seed)
    counts = rng.multivariate_hypergeometric(repetitions, n_train)
    train = np.repeat(np.arange(n_facts), counts)
    rng.shuffle(train)  # their random.sample returns the draws in random order
    text = [facts[c] for c in train]
    index = {" ".join(f) for f in facts}
    max_len = max(len(f) for f in facts) * 2
    row = {
        "monofact_rate": float(np.sum(counts == 1)) / n_train,
        "monofact_rate_population": float(np.sum(repetitions == 1)) / float(repetitions.sum()),
        "n_occurrences": int(repetitions.sum()),
    }
    base = NgramModel(3, "mle", padding="nltk").fit(text)
    for key, value in _measure(base, facts, index, repetitions, counts, generations, epsilon, gen_seed, max_len).items():
        row[key] = value
    k = int(round(upweight_fraction * n_train))
    up = NgramModel(3, "mle", padding="nltk").fit(text + text[:k] * upweight_repeats)
    for key, value in _measure(up, facts, index, repetitions, counts, generations, epsilon, gen_seed, max_len).items():
        row[f"{key}_upweighted"] = value
    row["upweighted_examples"] = k
    return row


def check_config(config):
    """Reject values of ``config`` the experiment cannot run with.

    Parameters
    ----------
    config : dict
    """
    for s in config["shapes"]:
        check_float("shapes", s, low=0.0, low_open=True)
    check_int("n_facts", config["n_facts"], minimum=10)
    check_int("n_train", config["n_train"], minimum=1)
    check_int("generations", config["generations"], minimum=1)
    check_float("epsilon", config["epsilon"], low=0.0, high=1.0, low_open=True, high_open=True)
    check_float("upweight_fraction", config["upweight_fraction"], low=0.0, high=1.0)
    check_int("upweight_repeats", config["upweight_repeats"], minimum=1)
    check_int("replicates", config["replicates"], minimum=1)


def run(config, out_dir, *, sweep_options=None):
    """Run the sweep over Pareto shapes, write the table and the figure; return the rows.

    Parameters
    ----------
    config : dict
        A preset of ``miao_kearns.toml``.
    out_dir : str or Path
    sweep_options : dict, optional

    Returns
    -------
    list of dict
    """
    check_config(config)
    func = functools.partial(replicate, n_facts=int(config["n_facts"]), n_train=int(config["n_train"]),
                             generations=int(config["generations"]), epsilon=float(config["epsilon"]),
                             upweight_fraction=float(config["upweight_fraction"]),
                             upweight_repeats=int(config["upweight_repeats"]))
    grid = {"shape": [float(s) for s in config["shapes"]]}
    rows = sweep(func, grid, replicates=int(config["replicates"]), seed=int(config["seed"]), **(sweep_options or {}))
    out_dir = Path(out_dir)
    write_table(rows, out_dir / "results" / "miao_kearns.csv", provenance={"config": config})
    plot_miao_kearns(rows, PUBLISHED_UPWEIGHT, PUBLISHED_TOTALS, PUBLISHED_TREND, out_dir / "figures" / "miao_kearns")
    return rows
