"""Letter counting on a few words: BPE tokens hide the letters that a character view shows.

A worked example on the public API (seconds; needs ``pip install 'hallusim[words]'``). The full
experiment, an additive counter over letters or BPE tokens against its unit budget with a figure,
is ``hallusim run letter_counting`` (its code: ``hallusim/experiments/letter_counting.py``).
"""

from hallusim.experiments.letter_counting import (
    apply_bpe,
    replicate,
    train_bpe,
    word_list,
)

words = word_list(2000, seed=0)
merges = train_bpe(words, 200)
for word in words[:4]:
    print(f"{word!r}: {word.count('r')} r's; BPE tokens {apply_bpe(word, merges)}")
for representation in ("characters", "bpe"):
    rows = replicate({"representation": representation}, 0, n_words=2000, train_fraction=0.8, num_merges=200,
                     letter="r", budgets=(16, 64))["per_budget"]
    print(representation, ", ".join(f"V = {r['budget']}: err {r['err']:.3f} (opt {r['opt']:.3f})" for r in rows))
