"""Poor representations (Section 3.3.2): counting a letter in words seen as characters or as BPE tokens.

Prompts "how many ``r``'s are in ``w``?" over English words (the ``web2`` list shipped by the
``english-words`` package, the optional extra ``words``). One learner family for both
representations: an additive counter that sees a word as a multiset of units and predicts
``round(Σ_u θ_u)``, with ``θ`` fitted by least squares on the training words and a budget of ``V``
distinguishable units (the ``V − 1`` most frequent, the rest sharing one ``<unk>`` parameter).
The units are either the letters (27 with the end marker) or the tokens of a byte-pair encoding
trained here on the training words (``num_merges`` merges, Sennrich et al.'s algorithm).

The truth is additive in both representations (a token's letter count is fixed), so without a
budget the family contains a perfect counter for both; with a budget, tokens that share ``<unk>``
cannot be told apart, and the in-family optimum becomes positive for tokens while it stays 0 for
letters once the letter is among the ``V − 1`` most frequent units. ``opt`` estimates it by the member fitted by
least squares on the test words themselves (not the exact 0-1 optimum, so it can exceed ``err`` by
a little). ``err`` is the held-out error; it also counts tokens never seen in training.
"""

from __future__ import annotations

import functools
import importlib.util
from collections import Counter
from pathlib import Path

import numpy as np

from hallusim import _rng
from hallusim._validation import check_choice, check_float, check_int, fail
from hallusim.plotting.replications import plot_letter_counting
from hallusim.runs import sweep, write_table

SUMMARY = "Figure: error of one additive counter family counting a letter over characters or BPE tokens, against its unit budget."
OUTPUTS = ("figures/letter_counting.png", "figures/letter_counting.pdf", "results/letter_counting.csv")
#: The caption of each figure on the docs' experiments page (every symbol defined).
CAPTIONS = {
    "figures/letter_counting.png": (
        "Poor representations: counting a letter in held-out words with one additive least-squares counter "
        "family, over letters or over BPE tokens (a BPE trained on the english-words list), against the unit "
        "budget V (the number of letters or tokens the counter may weigh): the held-out error err (small filled "
        "circles) and opt, the family's least-squares optimum on the test words (squares, dashed, open), an "
        "estimate of the in-family optimum opt(G) of Theorem 3. Quick preset."
    ),
}

# Every preset key: (meaning, unit); `hallusim run letter_counting --help` lists them with their preset values.
KEYS = {
    "representations": ("how the counter sees a word: \"characters\" (letters) or \"bpe\" (byte-pair-encoding tokens)", ""),
    "n_words": ("distinct words of the web2 list (length 4-12), split into training and test words", "words"),
    "train_fraction": ("fraction of the words used for training (the rest are the test words)", "fraction"),
    "num_merges": ("BPE merges learned on the training words", "merges"),
    "letter": ("the letter counted: \"how many <letter>'s are in <word>?\"", ""),
    "budgets": ("V: distinguishable units of the additive counter (the V − 1 most frequent, the rest share <unk>)", "units"),
    "replicates": ("independent word samples and splits per representation", "samples"),
    "seed": ("root seed of the sweep", ""),
}

# Cost of each preset: (seconds, peak MB, how), from `/usr/bin/time -v hallusim run NAME --preset P --fresh`
# (--jobs 1, warm Numba cache) on the 2-core CI machine; "load" is the 1-minute load average before-after.
# Measured on a heavily loaded machine (load ~10 on 2 cores): at load ~1 expect several times less.
COST = {
    "quick": (114, 256, "measured, load 11.3-10.8"),
    "medium": (285, 316, "measured, load 10.0-10.6"),
    "paper": (780, 350, "estimated from the medium run: the BPE trainer's work grows with merges × words, 2.8 times medium's (startup ~10 s at this load, measured with table2)"),
}

REPRESENTATIONS = ("characters", "bpe")
END = "</w>"


def word_list(n_words, seed, *, min_length=4, max_length=12):
    """``n_words`` distinct lower-case alphabetic words of the ``web2`` list, drawn by ``seed``.

    Parameters
    ----------
    n_words : int
    seed : int or SeedSequence
    min_length, max_length : int

    Returns
    -------
    list of str
    """
    try:
        # deferred: english-words is the optional extra `words`, needed only here
        from english_words import get_english_words_set
    except ModuleNotFoundError:
        raise ValueError("letter_counting needs the optional package english-words: pip install 'hallusim[words]'") from None
    words = sorted(w for w in get_english_words_set(["web2"], lower=True, alpha=True) if min_length <= len(w) <= max_length)
    if n_words > len(words):
        fail("n_words", f"at most {len(words)} (the words of length {min_length}-{max_length})", n_words)
    rng = np.random.default_rng(_rng.as_seed_sequence(seed))
    return [words[i] for i in rng.choice(len(words), size=n_words, replace=False)]


def train_bpe(words, num_merges):
    """Byte-pair-encoding merges learned from ``words`` (each word once, with an end marker).

    Parameters
    ----------
    words : list of str
    num_merges : int

    Returns
    -------
    list of tuple of str
        The merges in the order learned.
    """
    vocab = Counter(tuple(w) + (END,) for w in words)
    merges = []
    for _ in range(num_merges):
        pairs = Counter()
        for symbols, freq in vocab.items():
            for pair in zip(symbols, symbols[1:]):
                pairs[pair] += freq
        if not pairs:
            break
        best = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))[0]
        merges.append(best)
        merged = {}
        for symbols, freq in vocab.items():
            out, i = [], 0
            while i < len(symbols):
                if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == best:
                    out.append(symbols[i] + symbols[i + 1])
                    i += 2
                else:
                    out.append(symbols[i])
                    i += 1
            merged[tuple(out)] = merged.get(tuple(out), 0) + freq
        vocab = merged
    return merges


def apply_bpe(word, merges):
    """The BPE tokens of ``word`` (merges applied in the order learned)."""
    symbols = list(word) + [END]
    for a, b in merges:
        i, out = 0, []
        while i < len(symbols):
            if i + 1 < len(symbols) and symbols[i] == a and symbols[i + 1] == b:
                out.append(a + b)
                i += 2
            else:
                out.append(symbols[i])
                i += 1
        symbols = out
    return symbols


def _design(units_of_words, index, width):
    x = np.zeros((len(units_of_words), width))
    for row, units in enumerate(units_of_words):
        for u in units:
            x[row, index.get(u, width - 1)] += 1.0
    return x


def _fit_error(x_fit, y_fit, x_eval, y_eval):
    theta = np.linalg.lstsq(x_fit, y_fit, rcond=None)[0]
    return float(np.mean(np.rint(x_eval @ theta) != y_eval))


def replicate(params, seed, *, n_words, train_fraction, num_merges, letter, budgets):
    """One representation and replicate: words, units, then err and opt at every unit budget."""
    word_seed, split_seed = _rng.as_seed_sequence(seed).spawn(2)
    words = word_list(n_words, word_seed)
    order = np.random.default_rng(split_seed).permutation(n_words)
    n_train = max(1, int(round(train_fraction * n_words)))
    train = [words[i] for i in order[:n_train]]
    test = [words[i] for i in order[n_train:]]
    if params["representation"] == "bpe":
        merges = train_bpe(train, num_merges)
        to_units = functools.partial(apply_bpe, merges=merges)
    else:
        to_units = lambda w: list(w) + [END]  # noqa: E731
    u_train, u_test = [to_units(w) for w in train], [to_units(w) for w in test]
    y_train = np.array([w.count(letter) for w in train], dtype=float)
    y_test = np.array([w.count(letter) for w in test], dtype=float)
    frequency = Counter(u for units in u_train for u in units)
    ranked = [u for u, _ in sorted(frequency.items(), key=lambda kv: (-kv[1], kv[0]))]
    seen = set(frequency)
    unseen_share = float(np.mean([any(u not in seen for u in units) for units in u_test]))
    rows = []
    for budget in budgets:
        index = {u: i for i, u in enumerate(ranked[:budget - 1])}
        x_train, x_test = _design(u_train, index, budget), _design(u_test, index, budget)
        rows.append({
            "budget": budget,
            "n_units": len(ranked),
            "tokens_per_word": float(np.mean([len(u) for u in u_test])),
            "test_words_with_unseen_unit": unseen_share,
            "err": _fit_error(x_train, y_train, x_test, y_test),
            "opt": _fit_error(x_test, y_test, x_test, y_test),
        })
    return {"per_budget": rows}


def check_config(config):
    """Reject values of ``config`` the experiment cannot run with.

    Parameters
    ----------
    config : dict
    """
    for r in config["representations"]:
        check_choice("representations", r, REPRESENTATIONS)
    if importlib.util.find_spec("english_words") is None:
        fail("letter_counting", "the optional package english-words (pip install 'hallusim[words]')", "<not installed>")
    check_int("n_words", config["n_words"], minimum=10)
    check_float("train_fraction", config["train_fraction"], low=0.0, high=1.0, low_open=True, high_open=True)
    check_int("num_merges", config["num_merges"], minimum=0)
    if not (isinstance(config["letter"], str) and len(config["letter"]) == 1 and config["letter"].isalpha()):
        fail("letter", "one letter a-z", config["letter"])
    for b in config["budgets"]:
        check_int("budgets", b, minimum=2)
    check_int("replicates", config["replicates"], minimum=1)


def run(config, out_dir, *, sweep_options=None):
    """Run the sweep, write the table and the figure; return the rows (one per representation,
    replicate and budget).

    Parameters
    ----------
    config : dict
        A preset of ``letter_counting.toml``.
    out_dir : str or Path
    sweep_options : dict, optional

    Returns
    -------
    list of dict
    """
    check_config(config)
    func = functools.partial(replicate, n_words=int(config["n_words"]), train_fraction=float(config["train_fraction"]),
                             num_merges=int(config["num_merges"]), letter=str(config["letter"]).lower(),
                             budgets=tuple(int(b) for b in config["budgets"]))
    grid = {"representation": list(config["representations"])}
    swept = sweep(func, grid, replicates=int(config["replicates"]), seed=int(config["seed"]), **(sweep_options or {}))
    rows = [{k: v for k, v in row.items() if k != "per_budget"} | part for row in swept for part in row["per_budget"]]
    out_dir = Path(out_dir)
    write_table(rows, out_dir / "results" / "letter_counting.csv", provenance={"config": config})
    plot_letter_counting(rows, str(config["letter"]).lower(), out_dir / "figures" / "letter_counting")
    return rows
