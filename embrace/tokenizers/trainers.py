"""Trainers: learn a model's vocabulary from a corpus.

The :class:`~embrace.tokenizers.Tokenizer` drives a trainer in two calls::

    trainer.feed(sequences, process)      # process(text) -> list of words (normalize + pre-tokenize)
    special_tokens = trainer.train(model)  # fills `model` in place, returns the special tokens
    tokenizer.add_special_tokens(special_tokens)

``feed`` counts the words (a new call replaces the previous counts, like the reference);
``train`` builds the vocabulary. Special tokens always get the first ids.

The BPE and WordPiece trainers reproduce the reference's vocabulary, ids and merges
exactly (same pair counts, the most frequent pair first, ties broken by the smallest
pair of ids). Where the reference's result depends on its hash-map iteration order (the
ids of the ``continuing_subword_prefix`` / ``end_of_word_suffix`` variants of the
characters), words are visited in the order they were first seen. The Unigram trainer
follows the same EM + pruning recipe (SentencePiece's) and reaches a vocabulary of the
same size and quality.

Example:
    >>> from embrace.tokenizers.models import BPE
    >>> trainer = BpeTrainer(vocab_size=12, show_progress=False)
    >>> trainer.feed(["low lower lowest"], str.split)
    >>> model = BPE()
    >>> trainer.train(model)
    []
    >>> model.merges_list()[:2]
    [('l', 'o'), ('lo', 'w')]
"""

from __future__ import annotations

import heapq
import math
import os
from typing import Any, Callable, Iterable, Sequence

from embrace.errors import TokenizerError
from embrace.tokenizers.models import BPE, Model, Unigram, WordLevel, WordPiece

__all__ = ["Trainer", "BpeTrainer", "WordPieceTrainer", "WordLevelTrainer", "UnigramTrainer", "TRAINERS"]


# --- shared helpers ---------------------------------------------------------------------


def _progress_enabled(show: bool) -> bool:
    if not show:
        return False
    for var in ("EMBRACE_DISABLE_PROGRESS_BARS", "HF_HUB_DISABLE_PROGRESS_BARS"):
        if os.environ.get(var, "").strip().lower() in ("1", "true", "yes", "on"):
            return False
    return True


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _bar(show: bool, total: int | None, desc: str) -> Any:
    if not _progress_enabled(show):
        return _NoBar()
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is a runtime dependency, but a bar is never worth a crash
        return _NoBar()
    return tqdm(total=total, desc=desc, leave=False)


def _as_added_token(token: Any) -> Any:
    """Special tokens given as strings become special ``AddedToken``s (when available)."""
    if isinstance(token, str):
        from embrace.tokenizers.added_vocabulary import AddedToken

        return AddedToken(token, special=True)
    if isinstance(getattr(token, "content", None), str):
        return token
    raise TokenizerError(f"special tokens must be str or AddedToken, got {type(token).__name__}")


def _content(token: Any) -> str:
    return token if isinstance(token, str) else token.content


def _first_chars(alphabet: Iterable[str]) -> list[str]:
    """The reference keeps only the first character of each initial-alphabet entry."""
    out: list[str] = []
    for entry in alphabet:
        if not isinstance(entry, str):
            raise TokenizerError(f"initial_alphabet entries must be str, got {type(entry).__name__}")
        if entry and entry[0] not in out:
            out.append(entry[0])
    return out


class Trainer:
    """Base class of the trainers (see the module docstring for the protocol)."""

    model_type: type[Model] = Model

    def __init__(self, *, vocab_size: int, show_progress: bool, special_tokens: Sequence[Any]) -> None:
        self.vocab_size = int(vocab_size)
        self.show_progress = bool(show_progress)
        self.special_tokens = special_tokens  # type: ignore[assignment]
        self._words: dict[str, int] = {}

    @property
    def special_tokens(self) -> list[Any]:
        return list(self._special_tokens)

    @special_tokens.setter
    def special_tokens(self, tokens: Sequence[Any]) -> None:
        self._special_tokens = [_as_added_token(t) for t in (tokens or [])]

    def _special_contents(self) -> list[str]:
        return [_content(t) for t in self._special_tokens]

    def should_show_progress(self) -> bool:
        return _progress_enabled(self.show_progress)

    def feed(self, sequences: Iterable[str], process: Callable[[str], list[str]]) -> None:
        """Count the words of ``sequences``; ``process`` turns one sequence into its words.

        Words are remembered in first-seen order; the counts replace any earlier feed.
        """
        counts: dict[str, int] = {}
        get = counts.get
        for sequence in sequences:
            for word in process(sequence):
                counts[word] = get(word, 0) + 1
        self._words = counts

    def get_word_count(self) -> int:
        """The number of distinct words fed so far."""
        return len(self._words)

    def train(self, model: Model) -> list[Any]:
        """Fill ``model`` in place from the fed words; return the special tokens."""
        if not isinstance(model, self.model_type):
            raise TokenizerError(
                f"{type(self).__name__} trains {self.model_type.__name__} models, not {type(model).__name__}"
            )
        return self._train(model)

    def _train(self, model: Any) -> list[Any]:
        raise NotImplementedError

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self._options().items())
        return f"{type(self).__name__}({fields})"

    def _options(self) -> dict[str, Any]:
        return {"vocab_size": self.vocab_size, "show_progress": self.show_progress,
                "special_tokens": self._special_contents()}


class _InitialAlphabet:
    """The ``initial_alphabet`` option of the BPE and Unigram trainers: characters always in
    the alphabet, kept as the first character of each given string."""

    @property
    def initial_alphabet(self) -> list[str]:
        return list(self._initial_alphabet)

    @initial_alphabet.setter
    def initial_alphabet(self, alphabet: Sequence[str]) -> None:
        self._initial_alphabet = _first_chars(alphabet or [])


# --- BPE ----------------------------------------------------------------------------


def _merge_in_word(
    syms: list[int], lens: list[int] | None, a: int, b: int, new_id: int, max_len: int
) -> list[tuple[tuple[int, int], int]]:
    """Replace every ``(a, b)`` in ``syms`` (left to right) by ``new_id``; return the pair
    count changes. New pairs are only counted while their length stays below ``max_len``."""
    changes: list[tuple[tuple[int, int], int]] = []
    i = 0
    n = len(syms)
    while i < n - 1:
        if syms[i] == a and syms[i + 1] == b:
            if lens is not None:
                new_len = lens[i] + lens[i + 1]
                if i > 0:
                    changes.append(((syms[i - 1], a), -1))
                    if lens[i - 1] + new_len < max_len:
                        changes.append(((syms[i - 1], new_id), 1))
                syms[i : i + 2] = [new_id]
                lens[i : i + 2] = [new_len]
                n -= 1
                if i < n - 1:
                    changes.append(((b, syms[i + 1]), -1))
                    if lens[i + 1] + new_len < max_len:
                        changes.append(((new_id, syms[i + 1]), 1))
            else:
                if i > 0:
                    changes.append(((syms[i - 1], a), -1))
                    changes.append(((syms[i - 1], new_id), 1))
                syms[i : i + 2] = [new_id]
                n -= 1
                if i < n - 1:
                    changes.append(((b, syms[i + 1]), -1))
                    changes.append(((new_id, syms[i + 1]), 1))
        i += 1
    return changes


class BpeTrainer(_InitialAlphabet, Trainer):
    """Learn a :class:`~embrace.tokenizers.models.BPE` model.

    Args:
        vocab_size: target size, special tokens and alphabet included.
        min_frequency: a pair seen fewer times is never merged.
        show_progress: show progress bars.
        special_tokens: tokens that get the first ids.
        limit_alphabet: keep at most this many (most frequent) characters.
        initial_alphabet: characters always in the alphabet (first char of each entry).
        continuing_subword_prefix: prefix of non-initial subwords.
        end_of_word_suffix: suffix of word-final subwords.
        max_token_length: never create longer tokens (in characters).

    Example:
        >>> trainer = BpeTrainer(vocab_size=10, special_tokens=["<unk>"], show_progress=False)
        >>> trainer.feed(["aab aab ab"], str.split)
        >>> model = BPE(unk_token="<unk>")
        >>> [str(getattr(t, "content", t)) for t in trainer.train(model)]
        ['<unk>']
        >>> model.get_vocab()
        {'<unk>': 0, 'a': 1, 'b': 2, 'ab': 3, 'aab': 4}
    """

    model_type = BPE

    def __init__(
        self,
        *,
        vocab_size: int = 30000,
        min_frequency: int = 0,
        show_progress: bool = True,
        progress_format: str = "indicatif",
        special_tokens: Sequence[Any] = (),
        limit_alphabet: int | None = None,
        initial_alphabet: Sequence[str] = (),
        continuing_subword_prefix: str | None = None,
        end_of_word_suffix: str | None = None,
        max_token_length: int | None = None,
    ) -> None:
        super().__init__(vocab_size=vocab_size, show_progress=show_progress, special_tokens=special_tokens)
        self.progress_format = progress_format
        self.min_frequency = int(min_frequency)
        self.limit_alphabet = limit_alphabet
        self.initial_alphabet = initial_alphabet  # type: ignore[assignment]
        self.continuing_subword_prefix = continuing_subword_prefix
        self.end_of_word_suffix = end_of_word_suffix
        self.max_token_length = max_token_length

    @property
    def progress_format(self) -> str:
        """How progress is shown: ``"indicatif"`` (a bar), ``"json"`` (also a bar here) or
        ``"silent"``."""
        return self._progress_format

    @progress_format.setter
    def progress_format(self, value: str) -> None:
        if value not in ("indicatif", "json", "silent"):
            raise TokenizerError(f"progress_format must be 'indicatif', 'json' or 'silent', got {value!r}")
        self._progress_format = value

    def should_show_progress(self) -> bool:
        return self._progress_format != "silent" and super().should_show_progress()

    def _options(self) -> dict[str, Any]:
        return {
            **super()._options(),
            "min_frequency": self.min_frequency,
            "limit_alphabet": self.limit_alphabet,
            "initial_alphabet": self.initial_alphabet,
            "continuing_subword_prefix": self.continuing_subword_prefix,
            "end_of_word_suffix": self.end_of_word_suffix,
            "max_token_length": self.max_token_length,
        }

    # the algorithm ------------------------------------------------------------------------
    def _alphabet(self, words: dict[str, int]) -> list[str]:
        counts: dict[str, float] = {}
        for word, count in words.items():
            for c in word:
                counts[c] = counts.get(c, 0) + count
        for c in self._initial_alphabet:
            counts[c] = math.inf
        kept = list(counts.items())
        if self.limit_alphabet is not None and len(counts) > self.limit_alphabet:
            to_remove = len(counts) - self.limit_alphabet
            # least frequent first (ties: the reference's order is arbitrary; use code points)
            kept.sort(key=lambda kv: (kv[1], kv[0]))
            kept = kept[to_remove:]
        return sorted(c for c, _ in kept)

    def _learn(self, words: dict[str, int]) -> tuple[dict[str, int], list[str], list[tuple[tuple[int, int], int]]]:
        """Run BPE on the word counts; return ``(token_to_id, id_to_token, merges)``."""
        w2id: dict[str, int] = {}
        id2w: list[str] = []

        def add(token: str) -> int:
            idx = w2id.get(token)
            if idx is None:
                idx = len(id2w)
                id2w.append(token)
                w2id[token] = idx
            return idx

        for token in self._special_contents():
            add(token)
        for c in self._alphabet(words):
            add(c)

        prefix = self.continuing_subword_prefix
        suffix = self.end_of_word_suffix
        max_len = self.max_token_length
        track_len = max_len is not None
        show = self.should_show_progress()
        bar = _bar(show, len(words), "Tokenize words")
        seqs: list[list[int]] = []
        lens: list[list[int] | None] = []
        counts: list[int] = []
        for word, count in words.items():
            syms: list[int] = []
            last = len(word) - 1
            for k, c in enumerate(word):
                if c not in w2id:
                    continue  # outside the (limited) alphabet
                s = c
                if k and prefix is not None:
                    s = prefix + s
                if k == last and suffix is not None:
                    s = s + suffix
                syms.append(add(s))
            seqs.append(syms)
            lens.append([1] * len(syms) if track_len else None)
            counts.append(count)
            bar.update()
        bar.close()

        bar = _bar(show, len(seqs), "Count pairs")
        pair_counts: dict[tuple[int, int], int] = {}
        where: dict[tuple[int, int], set[int]] = {}
        for i, syms in enumerate(seqs):
            count = counts[i]
            for k in range(len(syms) - 1):
                pair = (syms[k], syms[k + 1])
                pair_counts[pair] = pair_counts.get(pair, 0) + count
                positions = where.get(pair)
                if positions is None:
                    where[pair] = {i}
                else:
                    positions.add(i)
            bar.update()
        bar.close()

        # Max-heap on the count, then the smallest pair: entries are (-count, a, b, seq, positions).
        heap: list[tuple[int, int, int, int, set[int]]] = []
        serial = 0
        for pair, positions in where.items():
            count = pair_counts[pair]
            if count > 0:
                heap.append((-count, pair[0], pair[1], serial, positions))
                serial += 1
        heapq.heapify(heap)
        where = {}

        merges: list[tuple[tuple[int, int], int]] = []
        limit = max_len if max_len is not None else 0
        bar = _bar(show, self.vocab_size, "Compute merges")
        while len(w2id) < self.vocab_size and heap:
            neg, a, b, ser, positions = heapq.heappop(heap)
            current = pair_counts[(a, b)]
            if -neg != current:
                heapq.heappush(heap, (-current, a, b, ser, positions))
                continue
            if current < 1 or self.min_frequency > current:
                break
            part_b = id2w[b]
            if prefix is not None and part_b.startswith(prefix):
                part_b = part_b[len(prefix) :]
            new_id = add(id2w[a] + part_b)
            merges.append(((a, b), new_id))
            for i in positions:
                for pair, change in _merge_in_word(seqs[i], lens[i], a, b, new_id, limit):
                    pair_counts[pair] = pair_counts.get(pair, 0) + change * counts[i]
                    if change > 0:
                        found = where.get(pair)
                        if found is None:
                            where[pair] = {i}
                        else:
                            found.add(i)
            for pair, found in where.items():
                count = pair_counts[pair]
                if count > 0:
                    heapq.heappush(heap, (-count, pair[0], pair[1], serial, found))
                    serial += 1
            where = {}
            bar.update()
        bar.close()
        return w2id, id2w, merges

    def _train(self, model: BPE) -> list[Any]:
        w2id, id2w, merges = self._learn(self._words)
        model._vocab = dict(w2id)
        model._vocab_r = {i: t for i, t in enumerate(id2w)}
        merge_map: dict[tuple[int, int], tuple[int, int]] = {}
        for rank, (pair, new_id) in enumerate(merges):
            merge_map[pair] = (rank, new_id)
        model._merges = merge_map
        model._continuing_subword_prefix = self.continuing_subword_prefix
        model._end_of_word_suffix = self.end_of_word_suffix
        model._cache.clear()
        return self.special_tokens


# --- WordPiece --------------------------------------------------------------------------


class WordPieceTrainer(BpeTrainer):
    """Learn a :class:`~embrace.tokenizers.models.WordPiece` vocabulary (learned like BPE,
    with ``continuing_subword_prefix="##"`` by default).

    Example:
        >>> trainer = WordPieceTrainer(vocab_size=12, special_tokens=["[UNK]"], show_progress=False)
        >>> trainer.feed(["hug hugs pug"], str.split)
        >>> model = WordPiece()
        >>> _ = trainer.train(model)
        >>> sorted(model.get_vocab(), key=model.get_vocab().get)[:4]
        ['[UNK]', 'g', 'h', 'p']
    """

    model_type = WordPiece  # type: ignore[assignment]

    def __init__(
        self,
        *,
        vocab_size: int = 30000,
        min_frequency: int = 0,
        show_progress: bool = True,
        special_tokens: Sequence[Any] = (),
        limit_alphabet: int | None = None,
        initial_alphabet: Sequence[str] = (),
        continuing_subword_prefix: str | None = "##",
        end_of_word_suffix: str | None = None,
    ) -> None:
        super().__init__(
            vocab_size=vocab_size,
            min_frequency=min_frequency,
            show_progress=show_progress,
            special_tokens=special_tokens,
            limit_alphabet=limit_alphabet,
            initial_alphabet=initial_alphabet,
            continuing_subword_prefix=continuing_subword_prefix,
            end_of_word_suffix=end_of_word_suffix,
        )

    def _options(self) -> dict[str, Any]:
        options = super()._options()
        options.pop("max_token_length")
        return options

    def _train(self, model: WordPiece) -> list[Any]:  # type: ignore[override]
        w2id, _, _ = self._learn(self._words)
        model._set_vocab(dict(w2id))
        # Like the reference, the prefix falls back to "##" when the trainer has none.
        model._continuing_subword_prefix = (
            self.continuing_subword_prefix if self.continuing_subword_prefix is not None else "##"
        )
        return self.special_tokens


# --- WordLevel --------------------------------------------------------------------------


class WordLevelTrainer(Trainer):
    """Learn a :class:`~embrace.tokenizers.models.WordLevel` vocabulary: special tokens,
    then the words by decreasing count (ties in code-point order).

    Example:
        >>> trainer = WordLevelTrainer(special_tokens=["<unk>"], show_progress=False)
        >>> trainer.feed(["b a b c b a"], str.split)
        >>> model = WordLevel()
        >>> _ = trainer.train(model)
        >>> model.get_vocab()
        {'<unk>': 0, 'b': 1, 'a': 2, 'c': 3}
    """

    model_type = WordLevel

    def __init__(
        self,
        *,
        vocab_size: int = 30000,
        min_frequency: int = 0,
        show_progress: bool = True,
        special_tokens: Sequence[Any] = (),
    ) -> None:
        super().__init__(vocab_size=vocab_size, show_progress=show_progress, special_tokens=special_tokens)
        self.min_frequency = int(min_frequency)

    def _options(self) -> dict[str, Any]:
        return {**super()._options(), "min_frequency": self.min_frequency}

    def _train(self, model: WordLevel) -> list[Any]:
        ordered = sorted(self._words.items(), key=lambda kv: (-kv[1], kv[0]))
        tokens = self._special_contents() + [w for w, n in ordered if n >= self.min_frequency]
        vocab: dict[str, int] = {}
        for idx, token in enumerate(tokens[: max(self.vocab_size, 0)]):
            vocab[token] = idx
        model._set_vocab(vocab)
        return self.special_tokens


# --- Unigram ----------------------------------------------------------------------------

_SEED_SIZE = 1_000_000
_EXPECTED_FREQUENCY_THRESHOLD = 0.5
_TRAIN_UNK = "<UNK>"


def _digamma(x: Any) -> Any:
    """Digamma function (asymptotic series after shifting the argument above 7)."""
    import numpy as np

    x = np.array(x, dtype=np.float64, copy=True)
    result = np.zeros_like(x)
    small = x < 7.0
    while small.any():
        result[small] -= 1.0 / x[small]
        x[small] += 1.0
        small = x < 7.0
    x = x - 0.5
    xx = 1.0 / x
    xx2 = xx * xx
    xx4 = xx2 * xx2
    result += np.log(x) + xx2 / 24.0 - 7.0 / 960.0 * xx4 + 31.0 / 8064.0 * xx4 * xx2 - 127.0 / 30720.0 * xx4 * xx4
    return result


def _group_logsumexp(vals: Any, starts: Any, lo: int) -> Any:
    """log(sum(exp(vals))) of each group of ``vals`` (groups begin at ``starts``); -inf for a
    group with no finite value."""
    import numpy as np

    m = np.maximum.reduceat(vals, starts)
    finite = np.isfinite(m)
    safe_m = np.where(finite, m, 0.0)
    tot = np.add.reduceat(np.exp(vals - np.repeat(safe_m, np.diff(np.append(starts, len(vals))))), starts)
    return np.where(finite, safe_m + np.log(tot), -np.inf)


class _Lattices:
    """Every segmentation edge of a set of strings, as flat numpy arrays.

    ``edges`` are ``(string, start, end, piece)`` over *all* candidate pieces (seed ids);
    each EM step masks the pieces that are still alive. Positions count characters.
    Strings are processed together, one end position at a time.
    """

    def __init__(self, strings: list[str], piece_ids: dict[str, int], max_len: int, char_ids: dict[str, int],
                 skip_whole: bool = False) -> None:
        import numpy as np

        ew: list[int] = []
        es: list[int] = []
        ee: list[int] = []
        eg: list[int] = []
        pw: list[int] = []
        pp: list[int] = []
        pg: list[int] = []
        lengths = []
        for w, text in enumerate(strings):
            n = len(text)
            lengths.append(n)
            for s in range(n):
                pw.append(w)
                pp.append(s)
                pg.append(char_ids.get(text[s], -1))
                top = min(n, s + max_len)
                for e in range(s + 1, top + 1):
                    g = piece_ids.get(text[s:e])
                    if g is not None and not (skip_whole and s == 0 and e == n):
                        ew.append(w)
                        es.append(s)
                        ee.append(e)
                        eg.append(g)
        self.n = len(strings)
        self.lengths = np.array(lengths, dtype=np.int64)
        self.max_length = int(self.lengths.max()) if self.n else 0
        self.edge_w = np.array(ew, dtype=np.int64)
        self.edge_s = np.array(es, dtype=np.int64)
        self.edge_e = np.array(ee, dtype=np.int64)
        self.edge_g = np.array(eg, dtype=np.int64)
        # single-character positions: an unknown edge is added where the char piece is gone
        self.pos_w = np.array(pw, dtype=np.int64)
        self.pos_s = np.array(pp, dtype=np.int64)
        self.pos_g = np.array(pg, dtype=np.int64)

    def edges(self, alive: Any, scores: Any, unk_score: float) -> tuple[Any, Any, Any, Any, Any]:
        """The live edges (with unknown-char edges added), sorted by (end, string, start)."""
        import numpy as np

        keep = alive[self.edge_g]
        w, s, e, g = self.edge_w[keep], self.edge_s[keep], self.edge_e[keep], self.edge_g[keep]
        sc = scores[g]
        missing = self.pos_g < 0
        missing[~missing] = ~alive[self.pos_g[~missing]]
        if missing.any():
            uw, us = self.pos_w[missing], self.pos_s[missing]
            w = np.concatenate([w, uw])
            s = np.concatenate([s, us])
            e = np.concatenate([e, us + 1])
            g = np.concatenate([g, np.zeros(len(uw), dtype=np.int64)])
            sc = np.concatenate([sc, np.full(len(uw), unk_score)])
        order = np.lexsort((s, w, e))
        return w[order], s[order], e[order], g[order], sc[order]

    @staticmethod
    def _groups(keys: Any) -> Any:
        import numpy as np

        if len(keys) == 0:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))

    def _layout(self) -> tuple[Any, int]:
        """Flat position index: string ``w``, position ``k`` -> ``base[w] + k`` (memory
        grows with the total length, not with strings x longest string)."""
        import numpy as np

        base = np.zeros(self.n, dtype=np.int64)
        if self.n:
            base[1:] = np.cumsum(self.lengths[:-1] + 1)
        return base, int((self.lengths + 1).sum())

    def _sweep(self, table: Any, base: Any, w: Any, at: Any, other: Any, sc: Any, positions: Iterable[int],
               reduce: Callable[[Any, Any, int], Any]) -> None:
        """One dynamic-programming pass: for each position ``p`` in order, every string's
        ``table[p] = reduce(table[other] + score)`` over its edges whose ``at`` end is ``p``.

        The edges must be sorted by ``at``, then string. ``reduce(vals, starts, lo)`` gets
        the candidate values of all strings at once (``starts`` = where each string's group
        begins, ``lo`` = the first edge's index) and returns one value per string.
        """
        import numpy as np

        bounds = np.searchsorted(at, np.arange(self.max_length + 2))
        for p in positions:
            lo, hi = bounds[p], bounds[p + 1]
            if lo == hi:
                continue
            ws = w[lo:hi]
            vals = table[base[ws] + other[lo:hi]] + sc[lo:hi]
            starts = self._groups(ws)
            table[base[ws[starts]] + p] = reduce(vals, starts, lo)

    def marginals(self, alive: Any, scores: Any, unk_score: float, weights: Any) -> tuple[Any, Any]:
        """Forward-backward: expected count of every piece, and each string's log Z."""
        import numpy as np

        w, s, e, g, sc = self.edges(alive, scores, unk_score)
        base, size = self._layout()
        L = self.max_length
        alpha = np.full(size, -np.inf)
        alpha[base] = 0.0
        self._sweep(alpha, base, w, e, s, sc, range(1, L + 1), _group_logsumexp)
        beta = np.full(size, -np.inf)
        beta[base + self.lengths] = 0.0
        order = np.lexsort((e, w, s))
        self._sweep(beta, base, w[order], s[order], e[order], sc[order], range(L - 1, -1, -1), _group_logsumexp)
        z = alpha[base + self.lengths]
        post = np.exp(alpha[base[w] + s] + sc + beta[base[w] + e] - z[w]) * weights[w]
        return np.bincount(g, weights=post, minlength=len(alive)), z

    def viterbi(self, alive: Any, scores: Any, unk_score: float) -> tuple[Any, Any, Any]:
        """Best path of every string: ``(string index, piece)`` of each node, and scores."""
        import numpy as np

        w, s, e, g, sc = self.edges(alive, scores, unk_score)
        base, size = self._layout()
        delta = np.full(size, -np.inf)
        delta[base] = 0.0
        back = np.full(size, -1, dtype=np.int64)

        def best_edge(vals: Any, starts: Any, lo: int) -> Any:
            m = np.maximum.reduceat(vals, starts)
            group_of = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(vals))))
            winners = np.flatnonzero(vals == m[group_of])
            # first winner of each group = smallest start (the reference keeps the first best)
            _, first = np.unique(group_of[winners], return_index=True)
            best = winners[first] + lo
            back[base[w[best]] + e[best]] = best
            return vals[best - lo]

        self._sweep(delta, base, w, e, s, sc, range(1, self.max_length + 1), best_edge)
        node_w: list[Any] = []
        node_g: list[Any] = []
        cur = self.lengths.copy()
        active = np.flatnonzero(cur > 0)
        while len(active):
            idx = back[base[active] + cur[active]]
            ok = idx >= 0
            active, idx = active[ok], idx[ok]
            node_w.append(active)
            node_g.append(g[idx])
            cur[active] = s[idx]
            active = active[cur[active] > 0]
        best_scores = delta[base + self.lengths]
        if node_w:
            return np.concatenate(node_w), np.concatenate(node_g), best_scores
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), best_scores


class UnigramTrainer(_InitialAlphabet, Trainer):
    """Learn a :class:`~embrace.tokenizers.models.Unigram` model (SentencePiece's recipe).

    Seed pieces are the frequent substrings of the words (plus every character); EM
    re-estimates their log probabilities, and each round prunes the pieces whose removal
    costs the least likelihood (``shrinking_factor`` of them survive) until about
    ``vocab_size`` remain. Every character of the corpus stays in the vocabulary.

    Args:
        vocab_size: target size, special tokens included.
        show_progress: show progress bars.
        special_tokens: tokens that get the first ids (score 0).
        shrinking_factor: share of pieces kept at each pruning round.
        unk_token: the unknown token (added first if it is not a special token).
        max_piece_length: longest piece, in characters.
        n_sub_iterations: EM iterations between two prunings.
        initial_alphabet: characters always in the vocabulary.

    Example:
        >>> trainer = UnigramTrainer(vocab_size=12, unk_token="<unk>", special_tokens=["<unk>"], show_progress=False)
        >>> trainer.feed(["hug hugs pug pun bun hugs"] * 5, str.split)
        >>> model = Unigram()
        >>> _ = trainer.train(model)
        >>> model.get_vocab_size(), model.id_to_token(0), sorted(model.get_vocab())[:4]
        (11, '<unk>', ['<unk>', 'b', 'g', 'h'])
    """

    model_type = Unigram

    def __init__(
        self,
        *,
        vocab_size: int = 8000,
        show_progress: bool = True,
        special_tokens: Sequence[Any] = (),
        shrinking_factor: float = 0.75,
        unk_token: str | None = None,
        max_piece_length: int = 16,
        n_sub_iterations: int = 2,
        initial_alphabet: Sequence[str] = (),
    ) -> None:
        super().__init__(vocab_size=vocab_size, show_progress=show_progress, special_tokens=special_tokens)
        if not 0.0 < float(shrinking_factor) < 1.0:
            raise TokenizerError(f"UnigramTrainer shrinking_factor must be in (0, 1), got {shrinking_factor!r}")
        if int(max_piece_length) < 1:
            raise TokenizerError(f"UnigramTrainer max_piece_length must be >= 1, got {max_piece_length!r}")
        self.shrinking_factor = float(shrinking_factor)
        self.unk_token = unk_token
        self.max_piece_length = int(max_piece_length)
        self.n_sub_iterations = int(n_sub_iterations)
        self.initial_alphabet = initial_alphabet  # type: ignore[assignment]

    def _options(self) -> dict[str, Any]:
        return {
            **super()._options(),
            "shrinking_factor": self.shrinking_factor,
            "unk_token": self.unk_token,
            "max_piece_length": self.max_piece_length,
            "n_sub_iterations": self.n_sub_iterations,
            "initial_alphabet": self.initial_alphabet,
        }

    # seeds ----------------------------------------------------------------------------------
    def _seed_pieces(self, words: list[tuple[str, int]]) -> list[tuple[str, float]]:
        """Every character (weighted count) and the substrings that occur at least twice
        with two different continuations (scored occurrences x length), as log probs."""
        char_counts: dict[str, int] = {}
        # substring -> [occurrences, first following char, branches]
        stats: dict[str, list[Any]] = {}
        max_len = self.max_piece_length
        for word, count in words:
            for c in word:
                if c != "\0":
                    char_counts[c] = char_counts.get(c, 0) + count
            n = len(word)
            for s in range(n):
                top = min(n, s + max_len)
                for e in range(s + 2, top + 1):
                    piece = word[s:e]
                    follow = word[e] if e < n else "\0"
                    entry = stats.get(piece)
                    if entry is None:
                        stats[piece] = [1, follow, False]
                    else:
                        entry[0] += 1
                        if not entry[2] and entry[1] != follow:
                            entry[2] = True
        chars = sorted(char_counts.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
        seeds: list[tuple[str, float]] = [(c, float(n)) for c, n in chars]
        substrings = [
            (entry[0] * len(piece), piece)
            for piece, entry in stats.items()
            if entry[2] and entry[0] >= 2 and "\0" not in piece
        ]
        substrings.sort(key=lambda sp: (-sp[0], sp[1]))
        for score, piece in substrings:
            if len(seeds) >= _SEED_SIZE:
                break
            seeds.append((piece, float(score)))
        total = math.fsum(score for _, score in seeds)
        logsum = math.log(total) if total > 0 else 0.0
        return [(piece, math.log(score) - logsum) for piece, score in seeds]

    # training -------------------------------------------------------------------------------
    def _train(self, model: Unigram) -> list[Any]:
        import numpy as np

        words = [(w, c) for w, c in self._words.items() if w]
        required: list[str] = []
        seen: set[str] = set()
        for w, _ in words:
            for c in w:
                if c not in seen:
                    seen.add(c)
                    required.append(c)
        for c in self._initial_alphabet:
            if c not in seen:
                seen.add(c)
                required.append(c)
        if len(required) > self.vocab_size:
            raise TokenizerError(
                f"UnigramTrainer: the corpus has {len(required)} distinct characters, more than "
                f"vocab_size={self.vocab_size}; raise vocab_size"
            )

        show = self.should_show_progress()
        bar = _bar(show, len(words), "Suffix array seeds")
        seeds = self._seed_pieces(words)
        bar.update(len(words))
        bar.close()

        # global ids: 0 is the training-time unknown piece, then the seeds
        strings = [_TRAIN_UNK] + [p for p, _ in seeds]
        scores = np.array([math.nan] + [s for _, s in seeds], dtype=np.float64)
        piece_ids = {p: i for i, p in enumerate(strings) if i > 0}
        char_ids = {p: i for p, i in piece_ids.items() if len(p) == 1}
        order = list(range(len(strings)))  # the current pieces, in model order
        alive = np.ones(len(strings), dtype=bool)

        max_len = max((len(p) for p in piece_ids), default=1)
        corpus = _Lattices([w for w, _ in words], piece_ids, max_len, char_ids)
        weights = np.array([c for _, c in words], dtype=np.float64)
        total_freq = float(weights.sum())
        piece_lattices: _Lattices | None = None

        desired = self.vocab_size * 11 // 10
        expected_loops = int((math.log(desired) - math.log(len(order))) / math.log(self.shrinking_factor)) + 1 \
            if len(order) > desired else 1
        bar = _bar(show, max(expected_loops, 1) * self.n_sub_iterations, "EM training")

        def min_score() -> float:
            live = scores[np.array(order[1:], dtype=np.int64)] if len(order) > 1 else np.zeros(0)
            live = live[~np.isnan(live)]
            return float(live.min()) if len(live) else math.inf

        while True:
            for _ in range(self.n_sub_iterations):
                expected, _z = corpus.marginals(alive, scores, min_score() - 10.0, weights)
                # M step: drop rare pieces, Bayesian (digamma) re-estimate of the others
                kept = [order[0]]
                freqs = []
                for gid in order[1:]:
                    f = expected[gid]
                    if f < _EXPECTED_FREQUENCY_THRESHOLD:
                        alive[gid] = False
                        continue
                    kept.append(gid)
                    freqs.append(f)
                order = kept
                if freqs:
                    f_arr = np.array(freqs)
                    scores[np.array(order[1:], dtype=np.int64)] = _digamma(f_arr) - _digamma(float(np.sum(f_arr)))
                bar.update()
            if len(order) <= desired:
                break
            if piece_lattices is None:
                piece_lattices = _Lattices(strings, piece_ids, max_len, char_ids, skip_whole=True)
            order = self._prune(order, alive, scores, strings, corpus, piece_lattices, weights, total_freq,
                                min_score() - 10.0)
        bar.close()
        self._finalize(model, order, scores, strings, required, min_score())
        return self.special_tokens

    def _prune(self, order: list[int], alive: Any, scores: Any, strings: list[str], corpus: _Lattices,
               pieces: _Lattices, weights: Any, vsum: float, unk_score: float) -> list[int]:
        import numpy as np

        n_global = len(strings)
        # 1. How would each piece be segmented without itself? (its second-best path)
        node_w, node_g, best_alt = pieces.viterbi(alive, scores, unk_score)
        always_keep = np.ones(n_global, dtype=bool)
        has_alt = np.zeros(n_global, dtype=bool)
        live_ids = np.array(order[1:], dtype=np.int64)
        multi = live_ids[np.array([len(strings[i]) > 1 for i in live_ids], dtype=bool)] if len(live_ids) else live_ids
        own_best = scores[multi] >= best_alt[multi]
        always_keep[multi[~own_best]] = False
        has_alt[multi[own_best]] = True
        alternatives: dict[int, list[int]] = {}
        if len(node_w):
            sel = has_alt[node_w]
            for wi, gi in zip(node_w[sel].tolist(), node_g[sel].tolist()):
                alternatives.setdefault(wi, []).append(gi)

        # 2. Piece frequencies on the Viterbi segmentation of the corpus
        cw, cg, _ = corpus.viterbi(alive, scores, unk_score)
        freq = np.bincount(cg, weights=weights[cw], minlength=n_global) if len(cw) else np.zeros(n_global)
        total = float(freq[np.array(order, dtype=np.int64)].sum())
        logsum = math.log(total) if total > 0 else 0.0

        # 3. Loss of likelihood when a piece is replaced by its alternatives
        new_order = [order[0]]
        candidates: list[tuple[int, float]] = []
        n_pieces = len(order)
        for gid in order[1:]:
            f_id = float(freq[gid])
            if f_id == 0.0 and not always_keep[gid]:
                alive[gid] = False
                continue
            alts = alternatives.get(gid) if has_alt[gid] else None
            if not alts:
                new_order.append(gid)
                continue
            f = f_id / vsum if vsum else 0.0
            if f == 0.0 or f != f:
                alive[gid] = False
                continue
            logprob_sp = math.log(f_id) - logsum
            # The reference scales by the number of *pieces* here (not of alternatives).
            logsum_alt = math.log(total + f_id * (n_pieces - 1))
            logprob_alt = 0.0
            for alt in alts:
                logprob_alt += math.log(float(freq[alt]) + f_id) - logsum_alt
            candidates.append((gid, f * (logprob_sp - logprob_alt)))
        desired = self.vocab_size * 11 // 10
        pruned_size = max(desired, int(len(order) * self.shrinking_factor))
        candidates.sort(key=lambda c: -c[1])
        for gid, _ in candidates:
            if len(new_order) >= pruned_size:
                alive[gid] = False
                continue
            new_order.append(gid)
        return new_order

    def _finalize(self, model: Unigram, order: list[int], scores: Any, strings: list[str],
                  required: list[str], min_score: float) -> None:
        penalty = 0.0
        pieces: list[tuple[str, float]] = []
        inserted = {_TRAIN_UNK}
        current = {strings[g]: float(scores[g]) for g in order[1:]}
        for c in required:
            if c in current:
                pieces.append((c, current[c]))
            else:
                pieces.append((c, min_score + penalty))
                penalty += 0.0001
            inserted.add(c)
        specials = self._special_contents()
        unk_id: int | None = None
        need_unk = False
        if self.unk_token is not None:
            if self.unk_token in specials:
                unk_id = specials.index(self.unk_token)
            else:
                unk_id, need_unk = 0, True
        budget = self.vocab_size - len(specials) - (1 if need_unk else 0)
        for g in order:
            piece = strings[g]
            if piece in inserted:
                continue
            inserted.add(piece)
            score = float(scores[g])
            pieces.append((piece, 0.0 if score != score else score))
            if len(pieces) == budget:
                break
        pieces.sort(key=lambda ps: -ps[1])
        head = [(t, 0.0) for t in specials]
        if need_unk:
            head.insert(0, (self.unk_token, 0.0))  # type: ignore[arg-type]
        model._byte_fallback = False
        model._set_pieces(head + pieces, unk_id)


TRAINERS: dict[str, type[Trainer]] = {
    "BpeTrainer": BpeTrainer,
    "WordPieceTrainer": WordPieceTrainer,
    "WordLevelTrainer": WordLevelTrainer,
    "UnigramTrainer": UnigramTrainer,
}


def trainer_for_model(model: Model) -> Trainer:
    """A default trainer for ``model`` (what ``model.get_trainer()`` returns)."""
    for trainer_cls in (WordPieceTrainer, BpeTrainer, WordLevelTrainer, UnigramTrainer):
        if type(model) is trainer_cls.model_type:
            return trainer_cls()
    raise TokenizerError(f"no trainer for {type(model).__name__}")
