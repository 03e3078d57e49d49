"""``NgramModel``: an n-gram language model with an nltk.lm-like interface and vectorised scoring."""

from __future__ import annotations

import dataclasses

import numpy as np

from hallusim._rng import PURPOSE_STREAM, as_seed_sequence, block_states
from hallusim._validation import (
    NotFittedError,
    check_bool,
    check_choice,
    check_float,
    check_int,
    fail,
)
from hallusim.ngram import _kernels as kernels
from hallusim.ngram import _trie_kernels as trie_kernels
from hallusim.ngram._arpa import read_arpa_tables, write_arpa
from hallusim.ngram._counts import PADDINGS, count_ngrams, n_padding
from hallusim.ngram._smoothing import BACKOFF_FORM, SMOOTHINGS, build_tables
from hallusim.ngram._text import as_corpus, encode_sentences
from hallusim.ngram._vocabulary import BOS_ID, EOS_ID, Vocabulary

__all__ = ["NgramModel", "read_arpa", "MAX_ORDER"]

#: The highest n-gram order a model may have (KenLM's default build stops at 6; a huge order would
#: only allocate one table per order before anything is counted).
MAX_ORDER = 64
_BLOCK = 256  # rows per random stream in batch generation (fixed: thread-count independent)


class NgramModel:
    """An n-gram language model ``p̂(w | h)`` with the interface of ``nltk.lm``.

    Parameters
    ----------
    order : int
        n >= 1: the model conditions on the last ``n - 1`` tokens.
    smoothing : str, optional
        ``"mle"`` (relative frequencies; 0 for an unseen context, as nltk.lm), ``"lidstone"``
        (add ``gamma``), ``"laplace"`` (add one), ``"witten_bell"`` (interpolated Witten–Bell),
        ``"absolute_discounting"`` (interpolated, fixed ``discount``), ``"kneser_ney"``
        (interpolated Kneser–Ney, fixed ``discount``; the default) or ``"modified_kneser_ney"``
        (Chen & Goodman's three discounts per order, estimated from the numbers of n-grams with
        adjusted counts 1–4, as KenLM's ``lmplz``).
    gamma : float, optional
        Lidstone's additive constant (> 0). Default 1 for ``"lidstone"``.
    discount : float, optional
        Fixed discount in [0, 1] of absolute discounting and Kneser–Ney. Default 0.75.
    discounts : array-like of shape (3,) or (order, 3), optional
        Fixed modified-Kneser–Ney discounts ``D1, D2, D3+`` (all orders or per order) instead of
        estimating them.
    padding : {"sentence", "nltk", "none"}, optional
        ``"sentence"`` (default): one ``<s>`` (a context only) and one ``</s>`` per sentence, as
        SRILM and KenLM; ``"nltk"``: ``order - 1`` of each, all counted as tokens, as
        ``nltk.lm.preprocessing.padded_everygram_pipeline``; ``"none"``: sentences as given.
    uniform_base : bool, optional
        Interpolated methods: interpolate the unigram level with the uniform distribution over
        the event space, so that every word (``<unk>`` included) has positive probability (Chen &
        Goodman; KenLM). False ends the recursion at the undiscounted unigram distribution, as
        nltk.lm does (unseen words then get 0). Default True.
    min_count : int, optional
        Words seen fewer times in training become ``<unk>`` (NLTK's ``unk_cutoff``). Default 1.
    vocabulary : Vocabulary, optional
        Fixed vocabulary; built from the training text when omitted.

    Attributes
    ----------
    vocabulary_ : Vocabulary
    counts_ : NgramCounts
        All n-gram counts (None for a model read from an ARPA file).
    discounts_ : ndarray of shape (order, 3) or None
        Modified Kneser–Ney discounts used (row ``k-1`` for order ``k``; the unigram row is NaN
        when ``uniform_base`` is false, since the unigram level is then not discounted).
    n_events_ : int
        Size ``|V|`` of the event space (words that can be predicted).

    Examples
    --------
    >>> lm = NgramModel(2, "mle").fit([["a", "b"], ["a", "c"]])
    >>> lm.score("b", ["a"])
    0.5
    """

    def __init__(self, order, smoothing="kneser_ney", *, gamma=None, discount=0.75, discounts=None,
                 padding="sentence", uniform_base=True, min_count=1, vocabulary=None):
        self.order = order
        self.smoothing = smoothing
        self.gamma = gamma
        self.discount = discount
        self.discounts = discounts
        self.padding = padding
        self.uniform_base = uniform_base
        self.min_count = min_count
        self.vocabulary = vocabulary
        self._check_params()

    def _check_params(self):
        check_int("order", self.order, minimum=1, maximum=MAX_ORDER)
        check_choice("smoothing", self.smoothing, SMOOTHINGS + ("arpa",))
        check_choice("padding", self.padding, PADDINGS)
        check_float("discount", self.discount, low=0.0, high=1.0)
        check_int("min_count", self.min_count, minimum=1)
        if self.gamma is not None:
            check_float("gamma", self.gamma, low=0.0, low_open=True)
        if self.vocabulary is not None and not isinstance(self.vocabulary, Vocabulary):
            fail("vocabulary", "a hallusim.ngram.Vocabulary or None", self.vocabulary, error=TypeError)
        if self.discounts is not None:
            d = np.asarray(self.discounts, dtype=float)
            ok = d.shape in ((3,), (self.order, 3)) and np.all(np.isfinite(d)) and np.all(d >= 0) \
                and np.all(d <= np.array([1.0, 2.0, 3.0]))
            if not ok:
                fail("discounts", f"an array of shape (3,) or ({self.order}, 3) with D1 in [0, 1], D2 in [0, 2], D3+ in [0, 3]", self.discounts)

    # ------------------------------------------------------------------ fitting
    def fit(self, sentences, offsets=None):
        """Count all n-grams of a training corpus and estimate the smoothed model.

        Parameters
        ----------
        sentences : list of token lists, 2-D int array, or 1-D int array with ``offsets``
            Tokenised sentences: lists of str (as NLTK users pass them) or of int ids of
            ``vocabulary`` (without one, ids 0, 1, 2 are ``<unk>``, ``<s>``, ``</s>`` and the
            vocabulary is :meth:`Vocabulary.of_size`).
        offsets : 1-D int array, optional
            With a flat token array: sentence ``s`` is ``sentences[offsets[s]:offsets[s+1]]``.

        Returns
        -------
        NgramModel
            self, fitted.
        """
        self._check_params()
        if self.smoothing == "arpa":
            fail("smoothing", "a method to fit (a model read from an ARPA file cannot be refitted)", self.smoothing)
        tokens, offsets, vocabulary = as_corpus(sentences, offsets, self.vocabulary, self.min_count)
        return self._fit_counts(count_ngrams(tokens, offsets, self.order, len(vocabulary), self.padding), vocabulary)

    def _fit_counts(self, counts, vocabulary, keep_counts=True):
        """The second half of :meth:`fit`, from the n-gram counts (of ``vocabulary``'s ids, with
        this model's order and padding). The command line calls it after letting the text go,
        without ``keep_counts``: the counts' links are then let go while the tables are built,
        ``counts_`` is None and a backoff-form model keeps no raw counts either (:meth:`count`
        gives 0), as a model read from ARPA."""
        gamma = {"mle": 0.0, "laplace": 1.0}.get(self.smoothing, 1.0 if self.gamma is None else float(self.gamma))
        discounts = None
        if self.discounts is not None:
            discounts = np.broadcast_to(np.asarray(self.discounts, dtype=float), (self.order, 3))
        tables, used = build_tables(counts, self.smoothing, gamma=gamma, discount=float(self.discount), discounts=discounts,
                                    uniform_base=bool(self.uniform_base), raw_bos=self.padding == "sentence",
                                    release=not keep_counts)
        if not keep_counts and self.smoothing in BACKOFF_FORM:  # scored from prob and bow alone
            tables = dataclasses.replace(tables, count=np.zeros(tables.count.size, dtype=tables.count.dtype))
        self.vocabulary_, self.counts_, self.tables_ = vocabulary, counts if keep_counts else None, tables
        self.discounts_, self.n_events_, self.gamma_ = used, tables.n_events, gamma
        return self

    def _fitted(self):
        if not hasattr(self, "tables_"):
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet; call fit(sentences) first.")
        return self.tables_

    # ------------------------------------------------------------------ encoding
    @property
    def _width(self) -> int:
        return self.order - 1

    @property
    def _n_bos(self) -> int:
        return n_padding(self.padding, self.order)

    def _encode_contexts(self, contexts) -> np.ndarray:
        m = self._width
        if isinstance(contexts, np.ndarray) and contexts.ndim == 2 and contexts.dtype.kind in "iu":
            ctx = contexts.astype(np.int64)
            if ctx.shape[1] < m:
                ctx = np.hstack([np.full((ctx.shape[0], m - ctx.shape[1]), -1, dtype=np.int64), ctx])
            ctx = ctx[:, ctx.shape[1] - m:]
            if ctx.size and (ctx.max() >= len(self.vocabulary_) or ctx.min() < -1):
                fail("contexts", f"ids in [0, {len(self.vocabulary_) - 1}] (-1 for no token)", f"<ids in [{ctx.min()}, {ctx.max()}]>")
            return np.ascontiguousarray(ctx)
        n = len(contexts)
        ctx = np.full((n, m), -1, dtype=np.int64)
        if m == 0 or n == 0:
            return ctx
        tails = [list(c)[-m:] if c is not None else [] for c in contexts]
        lengths = np.fromiter((len(t) for t in tails), dtype=np.int64, count=n)
        ids = self.vocabulary_.encode([token for tail in tails for token in tail])
        rows = np.repeat(np.arange(n), lengths)
        within = np.arange(ids.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        ctx[rows, m - lengths[rows] + within] = ids
        return ctx

    def _encode_words(self, words) -> np.ndarray:
        if isinstance(words, np.ndarray) and words.dtype.kind in "iu":
            return self.vocabulary_.encode(words)
        return self.vocabulary_.encode(list(words))

    # ------------------------------------------------------------------ scoring
    def _score_ids(self, ctx: np.ndarray, words: np.ndarray) -> np.ndarray:
        t = self._fitted()
        out = np.empty(words.size, dtype=np.float64)
        if ctx.shape[0] != words.size:
            fail("contexts", f"as many contexts as words ({words.size})", f"<{ctx.shape[0]} contexts>")
        if self.smoothing in BACKOFF_FORM:
            kernels.score_backoff(ctx, words, *t.child_index, t.word_of, t.child_lo, t.child_hi, t.prob, t.bow, out)
        else:
            kernels.score_additive(ctx, words, t.word_of, t.child_lo, t.child_hi, t.count, t.total, t.root_total,
                             self.gamma_, t.n_events, t.in_events, out)
        return out

    def score(self, word, context=None) -> float:
        """Probability ``p̂(word | context)`` (nltk.lm's ``score``; unknown words count as ``<unk>``).

        Parameters
        ----------
        word : str or int
            A token, or its id.
        context : sequence of tokens, optional
            Only its last ``order - 1`` tokens are used.

        Returns
        -------
        float
        """
        self._fitted()
        ctx = self._encode_contexts([context])
        return float(self._score_ids(ctx, np.array([self.vocabulary_.id(word)], dtype=np.int64))[0])

    def logscore(self, word, context=None) -> float:
        """``log2 p̂(word | context)`` (nltk.lm's ``logscore``; -inf for probability 0).

        Parameters
        ----------
        word : str or int
        context : sequence of tokens, optional

        Returns
        -------
        float
        """
        return float(_log2(self.score(word, context)))

    def score_pairs(self, contexts, words) -> np.ndarray:
        """Vectorised ``p̂(words[q] | contexts[q])`` for many pairs.

        Parameters
        ----------
        contexts : list of token sequences, or 2-D int array
            An int array holds ids right-aligned, -1 where there is no token.
        words : sequence of tokens or 1-D int array

        Returns
        -------
        numpy.ndarray of float64
        """
        self._fitted()
        words = self._encode_words(words)
        return self._score_ids(self._encode_contexts(contexts), words)

    def logscore_pairs(self, contexts, words) -> np.ndarray:
        """``log2`` of :meth:`score_pairs` (-inf for probability 0).

        Parameters
        ----------
        contexts, words
            As for :meth:`score_pairs`.

        Returns
        -------
        numpy.ndarray of float64
        """
        return _log2(self.score_pairs(contexts, words))

    def _queries(self, sequences, predict_from):
        tokens = np.concatenate(sequences) if sequences else np.empty(0, dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum([s.size for s in sequences])]).astype(np.int64)
        return self._windows(tokens, offsets, predict_from)

    def _windows(self, tokens, offsets, predict_from):
        """(contexts, words, sentence of each) of every token of sentence ``s`` from its
        ``predict_from[s]``-th on."""
        starts = offsets[:-1] + np.asarray(predict_from, dtype=np.int64)
        n_q = int(np.sum(offsets[1:] - starts))
        ctx = np.empty((n_q, self._width), dtype=np.int64)
        words = np.empty(n_q, dtype=np.int64)
        owner = np.empty(n_q, dtype=np.int64)
        kernels.prediction_windows(tokens, offsets, starts, self._width, ctx, words, owner)
        return ctx, words, owner

    def logscore_responses(self, prompts, responses, *, bos=True, eos=False) -> np.ndarray:
        """``log2 p̂(r | c)`` of whole multi-token responses ``r`` given prompts ``c``, pairwise.

        Parameters
        ----------
        prompts, responses : lists of token sequences of equal length
            ``p̂(r | c) = Π_j p̂(r_j | c, r_1..r_{j-1})``.
        bos : bool, optional
            Start each prompt with the sentence-start padding used in training. Default True.
        eos : bool, optional
            Also score the sentence end after the response. Default False.

        Returns
        -------
        numpy.ndarray of float64
        """
        self._fitted()
        bos, eos = check_bool("bos", bos), check_bool("eos", eos)
        if len(prompts) != len(responses):
            fail("responses", f"one response per prompt ({len(prompts)})", f"<{len(responses)} responses>")
        pad = np.full(self._n_bos if bos else 0, BOS_ID, dtype=np.int64)
        end = np.array([EOS_ID] if eos else [], dtype=np.int64)
        sequences, predict_from = [], []
        for prompt, response in zip(prompts, responses):
            c = self.vocabulary_.encode(list(prompt))
            r = self.vocabulary_.encode(list(response))
            sequences.append(np.concatenate([pad, c, r, end]).astype(np.int64))
            predict_from.append(pad.size + c.size)
        ctx, words, owner = self._queries(sequences, predict_from)
        logp = _log2(self._score_ids(ctx, words))
        return np.bincount(owner, weights=logp, minlength=len(prompts)) if logp.size else np.zeros(len(prompts))

    def score_responses(self, prompts, responses, *, bos=True, eos=False) -> np.ndarray:
        """``p̂(r | c)`` of whole responses given prompts, pairwise.

        Parameters
        ----------
        prompts, responses, bos, eos
            As for :meth:`logscore_responses`.

        Returns
        -------
        numpy.ndarray of float64
        """
        return np.exp2(self.logscore_responses(prompts, responses, bos=bos, eos=eos))

    def _logscore_corpus(self, tokens, offsets, bos, eos) -> np.ndarray:
        """``log2 p̂`` of each sentence ``tokens[offsets[s]:offsets[s+1]]`` (ids), padded as asked."""
        t = self._fitted()
        n_bos = self._n_bos if bos else 0
        n_eos = self._n_bos if eos else 0
        out = np.empty(offsets.size - 1, dtype=np.float64)
        if self.smoothing in BACKOFF_FORM:
            kernels.logscore_sentences_backoff(tokens, offsets, n_bos, n_eos, BOS_ID, EOS_ID, self._width, t.suffix_closed,
                                               *t.child_index, t.word_of, t.child_lo, t.child_hi, t.prob, t.bow, out)
            return out
        padded = np.empty(tokens.size + (n_bos + n_eos) * out.size, dtype=np.int64)
        padded_offsets = np.empty(out.size + 1, dtype=np.int64)
        kernels.pad_sentences(tokens, offsets, n_bos, n_eos, BOS_ID, EOS_ID, padded, padded_offsets)
        ctx, words, owner = self._windows(padded, padded_offsets, np.full(out.size, n_bos))
        logp = _log2(self._score_ids(ctx, words))
        return np.bincount(owner, weights=logp, minlength=out.size) if logp.size else np.zeros(out.size)

    def logscore_sentences(self, sentences, offsets=None, *, bos=True, eos=True) -> np.ndarray:
        """``log2 p̂(sentence)`` of each of many sentences (``kenlm.Model.score``, in bits).

        Every token is predicted from its ``order - 1`` predecessors, after the start padding
        used in training and up to the end padding (with ``bos`` and ``eos``); unknown words
        count as ``<unk>``.

        Parameters
        ----------
        sentences : list of str, list of token sequences, or 1-D int array with ``offsets``
            A str is one sentence of whitespace-separated tokens (what ``kenlm.Model.score``
            takes); token sequences hold str tokens or int ids; with ``offsets``, sentence ``s``
            is ``sentences[offsets[s]:offsets[s+1]]`` (ids), as for :meth:`fit`.
        offsets : 1-D int array, optional
        bos : bool, optional
            Read each sentence after the start padding (default True).
        eos : bool, optional
            Predict the end padding after each sentence (default True).

        Returns
        -------
        numpy.ndarray of float64
            One value per sentence; ``-inf`` where a token has probability 0.
        """
        self._fitted()
        bos, eos = check_bool("bos", bos), check_bool("eos", eos)
        if offsets is None and isinstance(sentences, list) and all(isinstance(s, str) for s in sentences):
            tokens, offsets = encode_sentences(self.vocabulary_, sentences)
        else:
            tokens, offsets, _ = as_corpus(sentences, offsets, self.vocabulary_, 1)
        return self._logscore_corpus(tokens, offsets, bos, eos)

    def entropy(self, sentences) -> float:
        """Cross-entropy in bits per predicted token of test sentences, padded as in training.

        Every token after the start padding is predicted (``</s>`` included); unlike nltk.lm,
        which takes n-gram tuples, this takes sentences.

        Parameters
        ----------
        sentences : list of token sequences

        Returns
        -------
        float
        """
        self._fitted()
        tokens, offsets, _ = as_corpus(sentences, None, self.vocabulary_, 1)
        n_predicted = tokens.size + self._n_bos * (offsets.size - 1)
        return float(-np.sum(self._logscore_corpus(tokens, offsets, True, True)) / n_predicted)

    def perplexity(self, sentences) -> float:
        """Perplexity ``2 ** entropy`` of test sentences (see :meth:`entropy`).

        Parameters
        ----------
        sentences : list of token sequences

        Returns
        -------
        float
        """
        return float(2.0 ** self.entropy(sentences))

    def distribution(self, context=None) -> np.ndarray:
        """The whole next-token distribution ``p̂(· | context)`` as an array indexed by word id.

        Parameters
        ----------
        context : sequence of tokens, optional

        Returns
        -------
        numpy.ndarray of float64
            Entry ``w`` equals ``score(w, context)``, and :meth:`generate` samples from exactly
            this distribution, with one exception: for an MLE model whose context was never seen
            it is all zero, and :meth:`generate` then shortens the context until it is seen, as
            nltk.lm does. Lidstone and Laplace give an unseen context the uniform distribution
            over the event space, and sampling follows it.
        """
        t = self._fitted()
        ctx = self._encode_contexts([context])[0]
        out = np.empty(len(self.vocabulary_), dtype=np.float64)
        kernels.fill_distribution(ctx, self.smoothing in BACKOFF_FORM, False, t.word_of, t.child_lo, t.child_hi, t.prob, t.bow,
                            t.count, t.total, t.root_total, self.gamma_, t.n_events, t.in_events, out)
        return out

    def count(self, ngram) -> int:
        """Training count of one n-gram.

        Parameters
        ----------
        ngram : sequence of 1 to ``order`` tokens
            Unigrams count predicted positions (not the leading ``<s>`` of "sentence" padding).

        Returns
        -------
        int
        """
        t = self._fitted()
        ids = self.vocabulary_.encode(list(ngram))
        if not 1 <= ids.size <= self.order:
            fail("ngram", f"a sequence of 1 to {self.order} tokens", ngram)
        g = trie_kernels.find_context(t.word_of, t.child_lo, t.child_hi, ids, 0, ids.size)
        return int(t.count[g]) if g >= 0 else 0

    # ------------------------------------------------------------------ generation
    def sample_ids(self, contexts, num_words=1, *, n_samples=1, seed=None) -> np.ndarray:
        """Sample continuations of many contexts at once (ids).

        Parameters
        ----------
        contexts : list of token sequences or 2-D int array (right-aligned, -1 for none)
            Taken as given (no padding is added; see :meth:`prompt_contexts`).
        num_words : int
            Tokens to generate after each context.
        n_samples : int
            Independent continuations per context.
        seed : None, int, SeedSequence or Generator

        Returns
        -------
        numpy.ndarray of int64, shape (n_contexts, n_samples, num_words)
        """
        t = self._fitted()
        num_words = check_int("num_words", num_words, minimum=1)
        n_samples = check_int("n_samples", n_samples, minimum=1)
        ctx = self._encode_contexts(contexts)
        rows = np.repeat(ctx, n_samples, axis=0)
        n_blocks = max(1, -(-rows.shape[0] // _BLOCK))
        states = block_states(as_seed_sequence(seed), PURPOSE_STREAM, n_blocks)
        out = np.empty((rows.shape[0], num_words), dtype=np.int64)
        kernels.generate_tokens(rows, num_words, _BLOCK, states, self.smoothing in BACKOFF_FORM, t.word_of, t.child_lo,
                          t.child_hi, t.prob, t.bow, t.count, t.total, t.root_total, self.gamma_, t.n_events,
                          t.in_events, len(self.vocabulary_), out)
        return out.reshape(ctx.shape[0], n_samples, num_words)

    def prompt_contexts(self, prompts) -> np.ndarray:
        """Contexts of prompts that start a sentence: the training start padding, then the prompt.

        Parameters
        ----------
        prompts : list of token sequences

        Returns
        -------
        numpy.ndarray of int64, shape (len(prompts), order - 1)
            Right-aligned ids, -1 where there is no token (for :meth:`sample_ids`).
        """
        self._fitted()
        pad = [BOS_ID] * self._n_bos
        return self._encode_contexts([pad + list(self.vocabulary_.encode(list(p))) for p in prompts])

    def generate(self, num_words=1, text_seed=None, seed=None):
        """Generate words after ``text_seed`` (nltk.lm's ``generate``, with a ``seed``).

        Parameters
        ----------
        num_words : int
        text_seed : sequence of tokens, optional
            The context, taken as given (no padding added).
        seed : None, int, SeedSequence or Generator

        Returns
        -------
        str or list of str
            One word when ``num_words == 1``, else a list, as nltk.lm.
        """
        ids = self.sample_ids([list(text_seed) if text_seed is not None else []], num_words, seed=seed)[0, 0]
        words = self.vocabulary_.decode(ids)
        return words[0] if num_words == 1 else words

    # ------------------------------------------------------------------ ARPA
    def to_arpa(self, path) -> None:
        """Write the model as an ARPA file (log10 probabilities and backoff weights).

        Only backoff-form models (Witten–Bell, absolute discounting, Kneser–Ney, modified
        Kneser–Ney, ARPA) can be written exactly. The file does not record :attr:`padding`: read
        it back with ``from_arpa(path, padding=model.padding)``.

        Parameters
        ----------
        path : str or Path
        """
        write_arpa(self, path)

    @classmethod
    def from_arpa(cls, path, *, padding="sentence") -> "NgramModel":
        """Read a model from an ARPA file (as written by KenLM, SRILM or :meth:`to_arpa`).

        Parameters
        ----------
        path : str or Path
        padding : {"sentence", "nltk", "none"}, optional
            The padding the model was trained with (ARPA files do not record it; see
            :func:`hallusim.ngram.read_arpa`). Default ``"sentence"``.

        Returns
        -------
        NgramModel
        """
        return read_arpa(path, padding=padding)

    def __repr__(self) -> str:
        return f"NgramModel(order={self.order}, smoothing={self.smoothing!r}, padding={self.padding!r})"


def read_arpa(path, *, padding="sentence"):
    """Read an ARPA file into a fitted ``NgramModel`` (``smoothing == "arpa"``).

    Parameters
    ----------
    path : str or Path
    padding : {"sentence", "nltk", "none"}, optional
        The sentence padding the model was trained with (see :class:`NgramModel`); an ARPA file
        does not record it, and it decides the start padding of :meth:`NgramModel.prompt_contexts`,
        :meth:`NgramModel.score_responses` and :meth:`NgramModel.perplexity`. Default
        ``"sentence"`` (SRILM, KenLM); pass ``model.padding`` when reading back a file written by
        :func:`write_arpa`.

    Returns
    -------
    NgramModel

    Raises
    ------
    ValueError
        For a malformed file, naming the file and the line.
    """
    check_choice("padding", padding, PADDINGS)
    order, vocabulary, tables = read_arpa_tables(path)
    model = NgramModel(order, "arpa", padding=padding)
    model.vocabulary_, model.counts_, model.tables_ = vocabulary, None, tables
    model.discounts_, model.n_events_, model.gamma_ = None, tables.n_events, 0.0
    return model


def _log2(p):
    with np.errstate(divide="ignore"):
        return np.log2(p)
