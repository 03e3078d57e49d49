"""n-gram language models (Section 3.3.2 of the paper): vocabulary, counting, smoothing, scoring, ARPA files.

``NgramModel(order, smoothing=...)`` follows ``nltk.lm`` (``fit``, ``score``, ``logscore``,
``perplexity``, ``generate``) and adds vectorised scoring of many (context, word) pairs and of whole
responses given prompts (``p̂(r | c)``), which the poor-model bounds of Theorems 3–4 need.
Counting runs in Numba kernels over int arrays (a radix-sorted trie, no Python dict per n-gram).
:func:`read_text` reads a training text file into ids, :func:`write_arpa` and :func:`read_arpa`
write and read ARPA files (KenLM's and SRILM's format); ``hallusim ngram fit TEXT --order N
--arpa OUT`` does all three, as KenLM's ``lmplz`` does.
"""

from hallusim.ngram._agreement import AgreementWorld
from hallusim.ngram._arpa import write_arpa
from hallusim.ngram._counts import PADDINGS, NgramCounts, count_ngrams, count_padded_ngrams, pad_corpus
from hallusim.ngram._model import MAX_ORDER, NgramModel, read_arpa
from hallusim.ngram._opt import NgramOpt, ngram_opt
from hallusim.ngram._smoothing import BACKOFF_FORM, SMOOTHINGS, modified_kn_discounts
from hallusim.ngram._text import TextCorpus, read_text
from hallusim.ngram._vocabulary import BOS, EOS, UNK, Vocabulary

__all__ = [
    "MAX_ORDER",
    "NgramModel",
    "AgreementWorld",
    "NgramOpt",
    "ngram_opt",
    "Vocabulary",
    "NgramCounts",
    "count_ngrams",
    "count_padded_ngrams",
    "pad_corpus",
    "modified_kn_discounts",
    "read_arpa",
    "write_arpa",
    "read_text",
    "TextCorpus",
    "BACKOFF_FORM",
    "SMOOTHINGS",
    "PADDINGS",
    "UNK",
    "BOS",
    "EOS",
]
