"""Theorem 2 with a real language model: n-gram models trained on arbitrary facts as text.

An :class:`hallusim.ArbitraryFacts` world (Zipf or uniform prompt weights, 365 birthdays) is sampled and each
training example rendered as a sentence ``<name> was born on <DD-MM>`` (or ``… on unknown`` for
IDK). n-gram models are fitted on the text; for each prompt the model's next-token distribution
after ``<s> <name> was born on`` is its ``p̂(r | c)`` (every other token is nonsense, Section 5).
Hallucinations are measured two ways: exactly (``err`` from :func:`hallusim.dense_metrics`) and by
sampling generations for prompts drawn from ``μ`` (every generation counted, repeats included),
against the singleton rate and Theorem 2's lower bound with the model's own ``δ``.
"""

from __future__ import annotations

import datetime
import functools
from pathlib import Path

import numpy as np

from hallusim import bounds
from hallusim._validation import check_choice, fail
from hallusim.facts import ArbitraryFacts
from hallusim.iiv import dense_metrics
from hallusim.ngram import SMOOTHINGS, NgramModel
from hallusim.plotting.ngram import plot_fact_strings
from hallusim.runs import sweep, write_table

SUMMARY = "Figure: hallucination rate of n-gram models on birthday strings against the singleton rate (Theorem 2)."
OUTPUTS = ("figures/fact_strings.png", "figures/fact_strings.pdf", "results/fact_strings.csv")

# Every preset key: (meaning, unit); `hallusim run fact_strings --help` lists them with their preset values.
KEYS = {
    "n_prompts": ("people C (prompts)", "prompts"),
    "prompt_weights": ("μ: \"zipf\" (∝ c^(−exponent)) or \"uniform\"", ""),
    "exponent": ("Zipf exponent (unused with uniform weights)", ""),
    "n_responses": ("birthdays |R_c|, rendered DD-MM when 365", "responses"),
    "answer_prob": ("α: probability that a training sentence gives the birthday (the rest say \"unknown\")", "probability"),
    "n_examples": ("training sentences N", "sentences"),
    "orders": ("n-gram orders, all trained on the replicate's one corpus (order 5 sees the name, order 3 does not)", ""),
    "smoothing": ("n-gram smoothing: kneser_ney, witten_bell, laplace, lidstone (not mle)", ""),
    "discount": ("Kneser-Ney absolute discount", ""),
    "generations": ("sampled completions per model (prompts drawn from μ)", "completions"),
    "replicates": ("corpora per N", "corpora"),
    "seed": ("root seed", ""),
}

# Cost of each preset: (seconds, peak MB, how), from `/usr/bin/time -v hallusim run NAME --preset P --fresh`
# (--jobs 1, warm Numba cache) on the 2-core CI machine; "load" is the 1-minute load average then.
COST = {
    "quick": (2.5, 228, "measured, load 2.6"),
    "medium": (45.8, 1798, "measured, load 1.1-1.4"),
    "paper": (199, 3505, "measured, load 2.5-3.9"),
}



# Caption of each figure on the docs' experiments page: defines every symbol, line and number shown.
CAPTIONS = {
    "figures/fact_strings.png": (
        "Arbitrary facts (one birthday of 365 per person, Definition 1) rendered as sentences \"personC was "
        "born on DD-MM\" (or \"unknown\" with probability 1 − α) and learned by Kneser-Ney n-gram models. One "
        "point per order n and training-set size N (means over replicates); every order of a replicate is "
        "trained on the same corpus, so points of equal N share their singleton rate sr (the fraction of "
        "training sentences about a person mentioned exactly once). Hollow circles: the sampled hallucination rate "
        "(wrong dates and non-date tokens among completions for prompts drawn from μ); crosses: the exact err "
        "(p̂ of wrong and nonsense completions, Section 5); each cross is labelled with N and the model's δ "
        "(its calibration gap at the threshold 1/min_c |E_c|, Section 3.1). Dotted: err = sr. Theorem 2's "
        "lower bound sr − 2/min_c |E_c| − (35 + 6 ln N)/√N − δ (99% form, with each model's δ) is drawn as "
        "dashes where positive; the legend says \"vacuous\" (with its largest value) when it is negative at "
        "every point, as at the quick preset's sizes."
    ),
}

IDK_TOKEN = "unknown"
TEMPLATE = ("was", "born", "on")


def response_tokens(n_responses: int) -> list[str]:
    """Token of each response: ``DD-MM`` dates of a non-leap year when there are 365, else ``r<k>``.

    Parameters
    ----------
    n_responses : int

    Returns
    -------
    list of str
    """
    if n_responses == 365:
        start = datetime.date(2001, 1, 1)
        return [(start + datetime.timedelta(days=k)).strftime("%d-%m") for k in range(365)]
    return [f"r{k}" for k in range(n_responses)]


def render(prompts, responses, answers_text) -> list[list[str]]:
    """Sentences ``person<c> was born on <answer>`` (``unknown`` where the response is -1, IDK).

    Parameters
    ----------
    prompts, responses : int arrays
        As :meth:`hallusim.Corpus.examples` returns them.
    answers_text : list of str
        Token of each response index.

    Returns
    -------
    list of list of str
    """
    return [[f"person{c}", *TEMPLATE, answers_text[r] if r >= 0 else IDK_TOKEN] for c, r in zip(prompts.tolist(), responses.tolist())]


_PAIRS_PER_CALL = 1 << 22  # bounds the memory of one score_pairs call (contexts of order - 1 ids each)


def prompt_matrix(model: NgramModel, n_prompts: int, answers_text):
    """``p̂(r | c)`` of every prompt over the responses and IDK (columns ``0..R-1`` and ``R``).

    Vectorised: prompts whose model windows are equal (every unseen name is ``<unk>``) share one
    row, and the distinct windows × (R + 1) answers are scored with :meth:`NgramModel.score_pairs`
    in calls of at most 2^22 pairs — never a full-vocabulary distribution per prompt.

    Parameters
    ----------
    model : NgramModel
    n_prompts : int
    answers_text : list of str

    Returns
    -------
    numpy.ndarray, shape (n_prompts, R + 1)
    """
    answers = list(answers_text) + [IDK_TOKEN]
    ids = model.vocabulary_.encode(answers)
    contexts = model.prompt_contexts([[f"person{c}", *TEMPLATE] for c in range(n_prompts)])
    windows, which = np.unique(contexts, axis=0, return_inverse=True)
    per_call = max(1, _PAIRS_PER_CALL // ids.size)
    scores = np.empty((windows.shape[0], ids.size))
    for lo in range(0, windows.shape[0], per_call):
        block = windows[lo:lo + per_call]
        pairs = model.score_pairs(np.repeat(block, ids.size, axis=0), np.tile(ids, block.shape[0]))
        scores[lo:lo + block.shape[0]] = pairs.reshape(block.shape[0], ids.size)
    known = np.array([w in model.vocabulary_ for w in answers])
    scores[:, ~known] = 0.0  # never seen in training: p̂ of <unk>, which is not this response
    return scores[which.reshape(-1)]


def make_world(prompt_weights: str, n_prompts: int, exponent: float, n_responses: int, answer_prob: float):
    """The arbitrary-facts world: ``"zipf"`` (``μ(c) ∝ c^(−exponent)``) or ``"uniform"`` prompts.

    Parameters
    ----------
    prompt_weights : {"zipf", "uniform"}
    n_prompts, n_responses : int
    exponent : float
        Zipf exponent (unused for uniform weights).
    answer_prob : float
        α: probability that a training example answers (the rest say IDK).

    Returns
    -------
    hallusim.ArbitraryFacts
    """
    if prompt_weights == "uniform":
        return ArbitraryFacts.uniform(n_prompts, n_responses, answer_prob)
    return ArbitraryFacts.zipf(n_prompts, exponent, n_responses, answer_prob)


def replicate(params, seed, *, orders, n_prompts, exponent, n_responses, answer_prob, smoothing, discount,
              generations, prompt_weights="zipf"):
    """One N and replicate: sample the world and one corpus, then fit and evaluate every order on it.

    Every order is trained on the same corpus and sampled on the same prompts, so that the
    comparison between orders is paired. Returns flat keys ``o<order>_<metric>``
    (see :func:`order_rows`).
    """
    world = make_world(prompt_weights, n_prompts, exponent, n_responses, answer_prob)
    corpus_seed, order_seed, gen_seed = seed.spawn(3)
    corpus = world.sample(params["n_examples"], seed=corpus_seed)
    text = response_tokens(n_responses)
    sentences = render(*corpus.examples(seed=order_seed), text)
    answers = corpus.answers
    rows = np.arange(n_prompts)
    p = np.zeros((n_prompts, n_responses + 2))
    p[rows, answers] = answer_prob
    p[:, n_responses] = 1.0 - answer_prob
    valid = np.zeros_like(p, dtype=bool)
    valid[rows, answers] = True
    valid[:, n_responses] = True
    nonsense = np.zeros_like(valid)
    nonsense[:, n_responses + 1] = True
    # sampled generations: prompts from μ, every generation counted (repeats included), the same for every order
    draw_seed, *sample_seeds = gen_seed.spawn(1 + len(orders))
    drawn = np.random.default_rng(draw_seed).choice(n_prompts, size=generations, p=world.weights)
    index = {t: k for k, t in enumerate(text)}
    out = {}
    for order, sample_seed in zip(orders, sample_seeds):
        model = NgramModel(order, smoothing, discount=discount).fit(sentences)
        dense_hat = np.empty_like(p)  # (C, R + 2): the responses, IDK, and the nonsense remainder
        dense_hat[:, :-1] = prompt_matrix(model, n_prompts, text)
        dense_hat[:, -1] = np.clip(1.0 - dense_hat[:, :-1].sum(axis=1), 0.0, None)
        dense_hat /= dense_hat.sum(axis=1, keepdims=True)  # float rounding only: rows are distributions
        metrics = dense_metrics(world.weights, p, dense_hat, valid, nonsense)
        del dense_hat  # before the next order's matrix (each is C × (R + 2) floats)
        contexts = model.prompt_contexts([[f"person{c}", *TEMPLATE] for c in drawn])
        tokens = model.vocabulary_.decode(model.sample_ids(contexts, 1, seed=np.random.default_rng(sample_seed))[:, 0, 0])
        generated = np.array([index.get(t, -2 if t != IDK_TOKEN else -1) for t in tokens])
        wrong_answer = (generated >= 0) & (generated != answers[drawn])
        nonsense_generated = generated == -2
        metrics_of_order = {
            "singleton_rate": corpus.singleton_rate,
            "missing_mass": corpus.missing_mass,
            "err": metrics.err,
            "err_iiv": metrics.err_iiv,
            "delta": metrics.delta,
            "hallucination_rate": float(np.mean(wrong_answer | nonsense_generated)),
            "wrong_answer_rate": float(np.mean(wrong_answer)),
            "idk_rate": float(np.mean(generated == -1)),
            "theorem1_lower": metrics.theorem1_lower,
            "theorem2_lower": float(
                bounds.theorem2_lower(corpus.singleton_rate, world.min_errors, corpus.n_examples, metrics.delta)
            ),
        }
        out.update({f"o{order}_{key}": value for key, value in metrics_of_order.items()})
    return out


def order_rows(rows, orders) -> list[dict]:
    """One row per (N, order, replicate) from the sweep's rows of :func:`replicate`.

    Parameters
    ----------
    rows : list of dict
        Rows of the sweep over ``n_examples`` (keys ``o<order>_<metric>``).
    orders : sequence of int

    Returns
    -------
    list of dict
        ``n_examples``, ``order``, ``replicate``, ``root_seed`` and the metrics.
    """
    out = []
    for row in rows:
        for order in orders:
            prefix = f"o{order}_"
            metrics = {key[len(prefix):]: value for key, value in row.items() if key.startswith(prefix)}
            out.append({"n_examples": row["n_examples"], "order": order, "replicate": row["replicate"],
                        "root_seed": row["root_seed"], **metrics})
    return sorted(out, key=lambda r: (r["n_examples"], r["order"], r["replicate"]))


def check_config(config):
    """Reject values of ``config`` the experiment cannot run with (called before any output).

    Parameters
    ----------
    config : dict
        A preset with its overrides.
    """
    check_choice("smoothing", config["smoothing"], SMOOTHINGS)
    check_choice("prompt_weights", config["prompt_weights"], ("zipf", "uniform"))
    if config["smoothing"] == "mle":
        fail("smoothing", "a smoothed method (MLE gives unseen names no distribution)", config["smoothing"])
    for key in ("n_examples", "orders"):
        if not config[key] or not all(isinstance(v, int) and v >= 1 for v in config[key]):
            fail(key, "a non-empty list of positive integers", config[key])


def run(config, out_dir, *, sweep_options=None):
    """Run the sweep of ``config``, write the results table and the figure; return the rows.

    Parameters
    ----------
    config : dict
        The keys of ``fact_strings.toml``.
    out_dir : str or Path
        ``figures/`` and ``results/`` are written below it.
    sweep_options : dict, optional
        Passed to :func:`hallusim.runs.sweep`.

    Returns
    -------
    list of dict
    """
    check_config(config)
    orders = tuple(dict.fromkeys(int(n) for n in config["orders"]))
    func = functools.partial(
        replicate,
        orders=orders,
        n_prompts=int(config["n_prompts"]),
        exponent=float(config["exponent"]),
        n_responses=int(config["n_responses"]),
        answer_prob=float(config["answer_prob"]),
        smoothing=str(config["smoothing"]),
        discount=float(config["discount"]),
        generations=int(config["generations"]),
        prompt_weights=str(config["prompt_weights"]),
    )
    grid = {"n_examples": [int(n) for n in config["n_examples"]]}
    rows = sweep(func, grid, replicates=int(config["replicates"]), seed=int(config["seed"]),
                 cost=lambda params: params["n_examples"] * len(orders) + config["n_prompts"], **(sweep_options or {}))
    rows = order_rows(rows, orders)
    out_dir = Path(out_dir)
    write_table(rows, out_dir / "results" / "fact_strings.csv", provenance={"config": config})
    plot_fact_strings(rows, out_dir / "figures" / "fact_strings")
    return rows

