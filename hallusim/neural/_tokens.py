"""An arbitrary-facts corpus as token sequences (private)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hallusim._rng import as_seed_sequence
from hallusim._validation import check_choice, check_int, fail

ANSWER_TOKENS = ("single", "month_day")
#: Days in each month of a non-leap year (the 365-day calendar of ``answer_tokens="month_day"``).
MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
N_MONTHS, N_DAYS = 12, 31
#: Largest ``|R_c|`` a month-day answer can take: every (month, day) cell of the 12 × 31 grid.
MAX_MONTH_DAY = N_MONTHS * N_DAYS


def month_day(index, n_responses):
    """The (month, day) of response ``index`` of a prompt with ``n_responses`` answers.

    With ``n_responses == 365`` the real non-leap calendar: response ``i`` is the ``i``-th day of
    the year (0 = 1 January, 58 = 28 February, 59 = 1 March, 364 = 31 December). Otherwise the
    12 × 31 grid row by row: response ``i`` is month ``i // 31``, day ``i mod 31`` (so 30
    February is a valid answer when ``n_responses > 60``); ``n_responses <= 372``.

    Parameters
    ----------
    index : array of int
        Response ids in ``[0, n_responses)``.
    n_responses : int or array of int
        ``|R_c|`` (broadcast against ``index``).

    Returns
    -------
    month, day : ndarray of int
        ``0 … 11`` and ``0 … 30`` (day ``d`` is the ``(d + 1)``-th of the month).
    """
    index = np.asarray(index, dtype=np.int64)
    calendar = np.broadcast_to(np.asarray(n_responses) == 365, index.shape)
    starts = np.concatenate(([0], np.cumsum(MONTH_DAYS)))
    cal_month = np.clip(np.searchsorted(starts, index, side="right") - 1, 0, N_MONTHS - 1)
    month = np.where(calendar, cal_month, index // N_DAYS)
    day = np.where(calendar, index - starts[cal_month], index % N_DAYS)
    return month, day


def month_day_table(n_responses):
    """``table[m, d]``: the response id of (month ``m``, day ``d``), ``−1`` where it is not in ``R_c``.

    Parameters
    ----------
    n_responses : int
        ``|R_c|`` (<= 372).

    Returns
    -------
    ndarray of int, shape (12, 31)
    """
    table = np.full((N_MONTHS, N_DAYS), -1, dtype=np.int64)
    ids = np.arange(int(n_responses))
    month, day = month_day(ids, int(n_responses))
    table[month, day] = ids
    return table


@dataclass(frozen=True, eq=False)
class TokenLayout:
    """The vocabulary and the prompt names of a world.

    Token ids with ``answer_tokens="single"``: ``0 … R−1`` the answer tokens (``R = max_c |R_c|``;
    prompt ``c``'s responses are ``0 … |R_c|−1``), ``R`` IDK, ``R+1`` the separator, then
    ``n_subwords`` name sub-words. With ``"month_day"`` an answer is two tokens, a month then a
    day (:func:`month_day` maps a response id to them): ``0 … 11`` the months, ``12 … 42`` the
    days 1–31, ``43`` IDK, ``44`` the separator, ``45`` the end token that follows IDK (so every
    example has the same length), then the sub-words. Each prompt's name is ``name_length``
    sub-words, distinct across prompts, drawn at random so the model has to learn each association
    rather than read a prompt id.

    Attributes
    ----------
    n_responses : ndarray of int, shape (C,)
        ``|R_c|``.
    names : ndarray of int, shape (C, name_length)
        Token ids of each prompt's name.
    n_subwords : int
    answer_tokens : {"single", "month_day"}
    """

    n_responses: np.ndarray
    names: np.ndarray
    n_subwords: int
    answer_tokens: str = "single"

    @classmethod
    def for_world(cls, world, *, name_length=3, n_subwords=None, seed=0, answer_tokens="single"):
        """Draw the names of ``world``'s prompts.

        Parameters
        ----------
        world : ArbitraryFacts
        name_length : int, optional
            Sub-words per name (>= 1).
        n_subwords : int, optional
            Size of the sub-word vocabulary; default the smallest ``n >= 8`` with
            ``n^name_length >= 4 C``.
        seed : int or SeedSequence, optional
            Seed of the names.
        answer_tokens : {"single", "month_day"}, optional
            One answer token per response, or a month token then a day token (needs every
            ``|R_c| <= 372``).

        Returns
        -------
        TokenLayout
        """
        length = check_int("name_length", name_length, minimum=1)
        check_choice("answer_tokens", answer_tokens, ANSWER_TOKENS)
        n_prompts = world.n_prompts
        if n_subwords is None:
            n_subwords = max(8, math.ceil((4 * n_prompts) ** (1.0 / length) - 1e-9))
            while n_subwords**length < 4 * n_prompts:
                n_subwords += 1
        n_subwords = check_int("n_subwords", n_subwords, minimum=2)
        if n_subwords**length < n_prompts:
            fail("n_subwords", f"at least {math.ceil(n_prompts ** (1 / length))} (C^(1/name_length)) so names are unique",
                 n_subwords)
        rng = np.random.default_rng(as_seed_sequence(seed))
        codes = rng.choice(n_subwords**length, size=n_prompts, replace=False)
        digits = (codes[:, None] // n_subwords ** np.arange(length)[None, :]) % n_subwords
        n_resp = np.broadcast_to(np.asarray(world.n_responses, dtype=np.int64), (n_prompts,)).copy()
        if answer_tokens == "month_day" and n_resp.max() > MAX_MONTH_DAY:
            fail("n_responses", f"|R_c| <= {MAX_MONTH_DAY} (12 months × 31 days) with answer_tokens='month_day'",
                 int(n_resp.max()))
        layout = cls(n_resp, np.zeros((n_prompts, length), np.int32), n_subwords, answer_tokens)
        return cls(n_resp, (digits + layout.first_subword).astype(np.int32), n_subwords, answer_tokens)

    @property
    def width(self) -> int:
        """The number of answer tokens: ``R = max_c |R_c|``, or 12 months + 31 days."""
        return N_MONTHS + N_DAYS if self.answer_tokens == "month_day" else int(self.n_responses.max())

    @property
    def idk(self) -> int:
        """Token id of IDK."""
        return self.width

    @property
    def separator(self) -> int:
        """Token id of the separator."""
        return self.width + 1

    @property
    def end(self) -> int:
        """Token id of the end token after IDK (``"month_day"`` only; −1 otherwise)."""
        return self.width + 2 if self.answer_tokens == "month_day" else -1

    @property
    def first_subword(self) -> int:
        """Token id of the first name sub-word."""
        return self.width + (3 if self.answer_tokens == "month_day" else 2)

    @property
    def answer_length(self) -> int:
        """Tokens per answer: 1, or 2 (month, day)."""
        return 2 if self.answer_tokens == "month_day" else 1

    @property
    def vocab_size(self) -> int:
        """Number of tokens."""
        return self.first_subword + self.n_subwords

    @property
    def seq_len(self) -> int:
        """Tokens per example: the name, the separator and the answer."""
        return self.names.shape[1] + 1 + self.answer_length

    def answer_tokens_of(self, prompts, responses):
        """Token ids of response ``responses[i]`` to prompt ``prompts[i]``.

        Parameters
        ----------
        prompts : ndarray of int, shape (n,)
        responses : ndarray of int, shape (n,)
            Response ids in ``[0, |R_c|)``, or ``−1`` for IDK.

        Returns
        -------
        ndarray of int32, shape (n, answer_length)
            The answer token (or IDK); with month-day answers the month and the day tokens (or
            IDK and the end token).
        """
        responses = np.asarray(responses, dtype=np.int64)
        idk = responses < 0
        if self.answer_tokens == "single":
            return np.where(idk, self.idk, responses).astype(np.int32)[:, None]
        month, day = month_day(np.where(idk, 0, responses), self.n_responses[np.asarray(prompts)])
        first = np.where(idk, self.idk, month)
        second = np.where(idk, self.end, N_MONTHS + day)
        return np.stack([first, second], axis=1).astype(np.int32)

    def prefixes(self) -> np.ndarray:
        """Every prompt's name and separator, shape (C, name_length + 1): the answer's first token is predicted at the last position."""
        sep = np.full((self.names.shape[0], 1), self.separator, dtype=np.int32)
        return np.hstack([self.names, sep])


def render_corpus(corpus, layout, *, seed=None):
    """The corpus's ``N`` examples as token sequences, in the corpus's example order.

    Parameters
    ----------
    corpus : Corpus
    layout : TokenLayout
        Of the corpus's world.
    seed : optional
        Order of the examples (see :meth:`hallusim.Corpus.examples`).

    Returns
    -------
    tokens : ndarray of int32, shape (N, seq_len)
        Name, separator, then ``a_c`` (one token, or its month and day) or IDK (followed by the
        end token with month-day answers).
    prompts : ndarray of int64, shape (N,)
    """
    if layout.names.shape[0] != corpus.world.n_prompts:
        fail("layout", f"a layout of the corpus's {corpus.world.n_prompts} prompts", f"<{layout.names.shape[0]} prompts>")
    prompts, responses = corpus.examples(seed)
    return np.hstack([layout.prefixes()[prompts], layout.answer_tokens_of(prompts, responses)]), prompts
