"""Tokenization models: the stage that cuts one pre-tokenized word into vocabulary tokens.

Four models, one per ``"type"`` of a ``tokenizer.json`` ``"model"`` object:

* :class:`BPE` -- byte-pair encoding: start from characters, apply merges by rank.
* :class:`WordPiece` -- greedy longest-match-first with a continuing-subword prefix.
* :class:`WordLevel` -- whole words looked up in a vocabulary.
* :class:`Unigram` -- the best (Viterbi) segmentation under a unigram language model.

Every model answers the same small interface, which is all the :class:`Tokenizer`
pipeline uses (a native core can replace ``tokenize`` later without touching callers):
``tokenize(sequence) -> list[Token]``, ``token_to_id``, ``id_to_token``, ``get_vocab``,
``get_vocab_size``, ``to_dict`` / ``from_dict`` (the ``tokenizer.json`` object, same keys
and order as the reference writes), and ``save(folder, prefix)`` (``vocab.json`` +
``merges.txt``, ``vocab.txt``, ``unigram.json``).

Offsets of the returned tokens are *character* offsets into the given sequence. Where
the reference works on bytes inside a character (byte-fallback tokens, dropped unknown
characters), a token covering part of a character gets the span of the whole character,
which is what the reference reports once offsets are turned into characters.

Example:
    >>> from embrace.tokenizers.models import BPE
    >>> bpe = BPE({"a": 0, "b": 1, "ab": 2}, [("a", "b")])
    >>> [t.value for t in bpe.tokenize("abba")]
    ['ab', 'b', 'a']
"""

from __future__ import annotations

import heapq
import json
import math
import os
import random
from typing import Any, Callable, ClassVar, Mapping, Sequence

from embrace.errors import TokenizerError, unknown_key
from embrace.tokenizers.normalized import Token

__all__ = ["Model", "BPE", "WordPiece", "WordLevel", "Unigram", "MODELS", "format_json_float"]

# Words at least this long (in characters) are not cached: they are rare and big.
_CACHE_MAX_LENGTH = 256
_DEFAULT_CACHE_CAPACITY = 10_000
# BPE: words with more starting symbols than this use the priority-queue merge loop.
_LONG_WORD = 48
# "No merge for this pair": a rank larger than any real one, with no merged id.
_NO_RANK = 1 << 62
_NO_MERGE = (_NO_RANK, -1)
# Unigram: an unknown character scores this much below the worst vocabulary entry.
_UNK_PENALTY = 10.0


# --- helpers shared by the models ---------------------------------------------------


def format_json_float(value: float) -> str:
    """Format a float the way the reference's JSON writer does.

    Shortest round-trip digits like :func:`repr`, but plain decimals down to ``1e-5``
    (``0.00001``) and exponents without zero padding (``1e-7``, ``1e+16``). Non-finite
    values become ``null``.

    Example:
        >>> format_json_float(-1.5e-7), format_json_float(1e-5), format_json_float(2.0)
        ('-1.5e-7', '0.00001', '2.0')
    """
    if value != value or value in (math.inf, -math.inf):
        return "null"
    text = repr(float(value))
    if "e" not in text:
        return text
    mantissa, exponent_text = text.split("e")
    exponent = int(exponent_text)
    if exponent >= 0:
        return f"{mantissa}e+{exponent}"
    if exponent == -5:
        sign = "-" if mantissa.startswith("-") else ""
        digits = mantissa.lstrip("-").replace(".", "")
        return f"{sign}0.0000{digits}"
    return f"{mantissa}e{exponent}"


def _dump_json_compact(obj: Any) -> str:
    """Compact JSON like the reference's writer (no spaces, non-ASCII kept as is)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _dump_json_pretty(obj: Any, indent: str = "") -> str:
    """Pretty JSON with two-space indentation and reference float formatting."""
    inner = indent + "  "
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {_dump_json_pretty(v, inner)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(obj, (list, tuple)):
        if not obj:
            return "[]"
        items = [f"{inner}{_dump_json_pretty(v, inner)}" for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + indent + "]"
    if isinstance(obj, bool) or obj is None:
        return json.dumps(obj)
    if isinstance(obj, float):
        return format_json_float(obj)
    return json.dumps(obj, ensure_ascii=False)


def _ordered_vocab(vocab_r: Mapping[int, str]) -> dict[str, int]:
    """The vocabulary ordered by id, one token per id (what the reference serializes)."""
    return {vocab_r[i]: i for i in sorted(vocab_r)}


def _reverse_vocab(vocab: Mapping[str, int]) -> dict[int, str]:
    return {i: token for token, i in vocab.items()}


def _check_vocab(vocab: Any, where: str) -> dict[str, int]:
    if not isinstance(vocab, Mapping):
        raise TokenizerError(f"{where}: vocab must be a dict of token -> id, got {type(vocab).__name__}")
    out = dict(vocab)
    # Fast path: one pass over the types, the per-entry loop only to name a bad entry.
    if out and (
        {type(k) for k in out} != {str} or {type(v) for v in out.values()} != {int} or min(out.values()) < 0
    ):
        for token, idx in out.items():
            if not isinstance(token, str) or type(idx) is not int or idx < 0:
                raise TokenizerError(
                    f"{where}: vocab entry {token!r}: {idx!r} must map a str to a non-negative int"
                )
    return out


def _read_vocab_json(path: str | os.PathLike[str]) -> dict[str, int]:
    """Read a ``vocab.json`` (token -> id); non-integer values are skipped like the reference."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except json.JSONDecodeError as exc:
        raise TokenizerError(f"{os.fspath(path)}: not a valid vocab.json ({exc})") from exc
    if not isinstance(data, dict):
        raise TokenizerError(f"{os.fspath(path)}: vocab.json must hold a JSON object of token -> id")
    vocab: dict[str, int] = {}
    for token, idx in data.items():
        if isinstance(idx, bool) or not isinstance(idx, (int, float)):
            continue
        if isinstance(idx, float) or idx < 0:
            raise TokenizerError(f"{os.fspath(path)}: id of {token!r} must be a non-negative integer, got {idx!r}")
        vocab[token] = idx
    return vocab


def _text_lines(path: str | os.PathLike[str]) -> list[str]:
    """Lines of a UTF-8 text file without their ``\\n`` / ``\\r\\n`` endings."""
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TokenizerError(f"{os.fspath(path)}: not valid UTF-8 ({exc})") from exc
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def _file_name(folder: str | os.PathLike[str], prefix: str | None, name: str) -> str:
    if os.path.exists(folder) and not os.path.isdir(folder):
        from embrace.errors import DirectoryExpectedError

        raise DirectoryExpectedError(f"{os.fspath(folder)} is a file; save() needs a folder")
    return os.path.join(os.fspath(folder), f"{prefix}-{name}" if prefix else name)


def _byte_to_char_offsets(word: str, lens: list[int]) -> list[tuple[int, int]]:
    """Turn consecutive byte lengths into character spans of ``word``.

    A span that starts or ends inside a character is widened to the whole character;
    spans running past the end of the word are clamped to it.
    """
    char_of_byte: list[int] = []
    for ci, ch in enumerate(word):
        char_of_byte.extend([ci] * len(ch.encode("utf-8")))
    nbytes = len(char_of_byte)
    nchars = len(word)
    out: list[tuple[int, int]] = []
    pos = 0
    for length in lens:
        start, end = pos, pos + length
        s = char_of_byte[start] if start < nbytes else nchars
        e = char_of_byte[end - 1] + 1 if 0 < end <= nbytes else (nchars if end > nbytes else s)
        out.append((s, max(s, e)))
        pos = end
    return out


def _byte_token(byte: int) -> str:
    return f"<0x{byte:02X}>"


# --- base class ---------------------------------------------------------------------


class _CacheKeyed:
    """A model option the per-word cache depends on: stored as ``_<name>``, and setting it
    (through the public name) clears ``_cache`` so no stale split is ever served.

    ``convert`` normalises the assigned value (``bool``, ``int``); ``None`` stores it as is.
    """

    def __init__(self, convert: Callable[[Any], Any] | None = None) -> None:
        self.convert = convert

    def __set_name__(self, owner: type, name: str) -> None:
        self.attr = "_" + name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        return self if obj is None else getattr(obj, self.attr)

    def __set__(self, obj: Any, value: Any) -> None:
        setattr(obj, self.attr, value if self.convert is None else self.convert(value))
        obj._cache.clear()


class Model:
    """Base class of the tokenization models.

    ``Model.from_dict(d)`` builds the model named by ``d["type"]``.

    Example:
        >>> Model.from_dict({"type": "WordLevel", "vocab": {"hi": 0, "<unk>": 1}, "unk_token": "<unk>"})
        WordLevel(vocab={"hi":0, "<unk>":1}, unk_token="<unk>")
    """

    type_name: ClassVar[str] = ""

    # subclasses implement these ---------------------------------------------------
    def tokenize(self, sequence: str) -> list[Token]:
        """Cut one (normalized, pre-tokenized) word into tokens with character offsets."""
        raise NotImplementedError

    def token_to_id(self, token: str) -> int | None:
        """The id of ``token``, or ``None`` when it is not in the vocabulary."""
        raise NotImplementedError

    def id_to_token(self, id: int) -> str | None:  # noqa: A002 - reference argument name
        """The token with this id, or ``None``."""
        raise NotImplementedError

    def get_vocab(self) -> dict[str, int]:
        """A copy of the vocabulary (token -> id)."""
        raise NotImplementedError

    def get_vocab_size(self) -> int:
        """The number of entries in the vocabulary."""
        return len(self.get_vocab())

    def to_dict(self) -> dict[str, Any]:
        """The ``"model"`` object of ``tokenizer.json``."""
        raise NotImplementedError

    def save(self, folder: str | os.PathLike[str], prefix: str | None = None, name: str | None = None) -> list[str]:
        """Write the model's vocabulary files into ``folder``; return their paths."""
        raise NotImplementedError

    def get_trainer(self) -> Any:
        """A trainer with default settings for this kind of model."""
        from embrace.tokenizers import trainers

        return trainers.trainer_for_model(self)

    # construction ------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Model":
        """Build a model from its ``tokenizer.json`` object (dispatching on ``"type"``)."""
        if not isinstance(data, Mapping):
            raise TokenizerError(f"model must be a JSON object, got {type(data).__name__}")
        kind = data.get("type")
        if kind is None:
            kind = _guess_model_type(data)
        target = MODELS.get(kind) if isinstance(kind, str) else None
        if target is None:
            raise unknown_key("model type", kind, MODELS)
        if cls is not Model and target is not cls:
            raise TokenizerError(f"expected a model of type {cls.type_name!r}, got {kind!r}")
        return target._from_dict(data)

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> "Model":
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.to_dict() == self.to_dict()  # type: ignore[union-attr]

    __hash__ = None  # type: ignore[assignment]

    def __getstate__(self) -> dict[str, Any]:
        return self.to_dict()

    def __setstate__(self, state: dict[str, Any]) -> None:
        fresh = type(self)._from_dict(state)
        self.__dict__.update(fresh.__dict__)


def _guess_model_type(data: Mapping[str, Any]) -> str:
    """Old ``tokenizer.json`` files may omit ``"type"``; infer it from the fields."""
    if "merges" in data:
        return "BPE"
    if isinstance(data.get("vocab"), list):
        return "Unigram"
    if "continuing_subword_prefix" in data or "max_input_chars_per_word" in data:
        return "WordPiece"
    return "WordLevel"


def _opt_str(data: Mapping[str, Any], key: str, where: str, default: Any = None) -> Any:
    value = data.get(key, default)
    if value is not None and not isinstance(value, str):
        raise TokenizerError(f"{where}: {key!r} must be a string or null, got {value!r}")
    return value


class _DictVocabModel(Model):
    """A model whose vocabulary is a token -> id dict (``_vocab``) and its reverse
    (``_vocab_r``): BPE, WordPiece and WordLevel answer vocabulary lookups alike."""

    _vocab: dict[str, int]
    _vocab_r: dict[int, str]

    def _set_vocab(self, vocab: dict[str, int]) -> None:
        self._vocab = vocab
        self._vocab_r = _reverse_vocab(vocab)

    def token_to_id(self, token: str) -> int | None:
        return self._vocab.get(token)

    def id_to_token(self, id: int) -> str | None:  # noqa: A002
        return self._vocab_r.get(id)

    def get_vocab(self) -> dict[str, int]:
        return dict(self._vocab)

    def get_vocab_size(self) -> int:
        return len(self._vocab)


class _WordCacheModel(_DictVocabModel):
    """A dict-vocabulary model that remembers the tokens of up to ``_cache_capacity`` words
    (``_cache``): real text repeats words a lot, and splitting one is the costly part."""

    _cache: dict[str, tuple[Token, ...]]
    _cache_capacity: int

    def _clear_cache(self) -> None:
        """Forget every cached word."""
        self._cache.clear()

    def _resize_cache(self, capacity: int) -> None:
        """Change how many words the cache may hold (0 disables it)."""
        self._cache_capacity = int(capacity)
        self._cache.clear()

    def _remember(self, word: str, tokens: list[Token]) -> None:
        if len(word) < _CACHE_MAX_LENGTH and len(self._cache) < self._cache_capacity:
            self._cache[word] = tuple(tokens)


# --- BPE ----------------------------------------------------------------------------


class BPE(_WordCacheModel):
    """Byte-pair encoding.

    A word starts as its characters (with ``continuing_subword_prefix`` on every
    character but the first and ``end_of_word_suffix`` on the last); adjacent pairs are
    then merged, lowest merge rank first (leftmost on ties), until no merge applies.
    Characters missing from the vocabulary become ``<0xAB>`` byte tokens when
    ``byte_fallback`` is set and all of them exist, else ``unk_token`` (consecutive
    unknowns fused into one when ``fuse_unk``), else they are dropped.

    Args:
        vocab: token -> id (or, deprecated, the path of a ``vocab.json``).
        merges: pairs ``(a, b)`` in rank order (or the path of a ``merges.txt``).
        cache_capacity: number of words whose result is remembered (0 disables).
        dropout: probability of skipping each merge (BPE-dropout); ``None``/0 disables.
        unk_token: token used for unknown characters.
        continuing_subword_prefix: prefix of every non-initial subword.
        end_of_word_suffix: suffix of every word-final subword.
        fuse_unk: fuse consecutive unknown characters into one ``unk_token``.
        byte_fallback: use ``<0x..>`` byte tokens instead of ``unk_token``.
        ignore_merges: a word found whole in the vocabulary becomes one token.

    Example:
        >>> bpe = BPE({"<unk>": 0, "l": 1, "o": 2, "lo": 3}, [("l", "o")], unk_token="<unk>")
        >>> [(t.id, t.value, t.offsets) for t in bpe.tokenize("loxo")]
        [(3, 'lo', (0, 2)), (0, '<unk>', (2, 3)), (2, 'o', (3, 4))]
    """

    type_name = "BPE"

    def __init__(
        self,
        vocab: Mapping[str, int] | str | None = None,
        merges: Sequence[tuple[str, str]] | str | None = None,
        cache_capacity: int | None = None,
        dropout: float | None = None,
        unk_token: str | None = None,
        continuing_subword_prefix: str | None = None,
        end_of_word_suffix: str | None = None,
        fuse_unk: bool | None = None,
        byte_fallback: bool = False,
        ignore_merges: bool = False,
    ) -> None:
        if (vocab is None) != (merges is None):
            raise TokenizerError("`vocab` and `merges` must be both specified")
        if isinstance(vocab, (str, os.PathLike)) or isinstance(merges, (str, os.PathLike)):
            if not isinstance(vocab, (str, os.PathLike)) or not isinstance(merges, (str, os.PathLike)):
                raise TokenizerError("`vocab` and `merges` must both be file paths or both be in memory")
            vocab, merges = BPE.read_file(vocab, merges)
        self._check_dropout(dropout)
        self._dropout = None if dropout is None else float(dropout)
        self._unk_token = unk_token
        self._continuing_subword_prefix = continuing_subword_prefix
        self._end_of_word_suffix = end_of_word_suffix
        self._fuse_unk = bool(fuse_unk)
        self._byte_fallback = bool(byte_fallback)
        self._ignore_merges = bool(ignore_merges)
        self._cache_capacity = _DEFAULT_CACHE_CAPACITY if cache_capacity is None else int(cache_capacity)
        self._cache: dict[str, tuple[Token, ...]] = {}
        self._set_vocab_and_merges(_check_vocab(vocab or {}, "BPE"), list(merges or []))

    # construction helpers ------------------------------------------------------------
    @staticmethod
    def _check_dropout(dropout: float | None) -> None:
        if dropout is not None and not (0.0 <= float(dropout) <= 1.0):
            raise TokenizerError(f"BPE dropout should be between 0 and 1, inclusive; got {dropout!r}")

    def _set_vocab_and_merges(self, vocab: dict[str, int], merges: list[Any]) -> None:
        self._set_vocab(vocab)
        prefix = self._continuing_subword_prefix or ""
        prefix_bytes = len(prefix.encode("utf-8"))
        merge_map: dict[tuple[int, int], tuple[int, int]] = {}
        for rank, pair in enumerate(merges):
            if type(pair) is str:
                parts = pair.split(" ")
                if len(parts) != 2:
                    parts = _parse_merge(pair, rank)  # raises with the details
                a, b = parts
            elif len(pair) == 2 and type(pair[0]) is str and type(pair[1]) is str:
                a, b = pair
            else:
                a, b = _parse_merge(pair, rank)
            a_id = vocab.get(a)
            if a_id is None:
                raise TokenizerError(f"BPE merge #{rank} ({a!r}, {b!r}): token {a!r} is not in the vocabulary")
            b_id = vocab.get(b)
            if b_id is None:
                raise TokenizerError(f"BPE merge #{rank} ({a!r}, {b!r}): token {b!r} is not in the vocabulary")
            new_token = a + (_strip_prefix_bytes(b, prefix, prefix_bytes) if prefix_bytes else b)
            new_id = vocab.get(new_token)
            if new_id is None:
                raise TokenizerError(
                    f"BPE merge #{rank} ({a!r}, {b!r}): merged token {new_token!r} is not in the vocabulary"
                )
            merge_map[(a_id, b_id)] = (rank, new_id)
        self._merges = merge_map
        self._cache.clear()

    @classmethod
    def read_file(cls, vocab: str | os.PathLike[str], merges: str | os.PathLike[str]) -> tuple[dict[str, int], list[tuple[str, str]]]:
        """Read a ``vocab.json`` and a ``merges.txt``; return ``(vocab, merges)``.

        Example:
            >>> import tempfile, os
            >>> d = tempfile.mkdtemp()
            >>> _ = BPE({"a": 0, "b": 1, "ab": 2}, [("a", "b")]).save(d)
            >>> BPE.read_file(os.path.join(d, "vocab.json"), os.path.join(d, "merges.txt"))
            ({'a': 0, 'b': 1, 'ab': 2}, [('a', 'b')])
        """
        vocab_map = _read_vocab_json(vocab)
        pairs: list[tuple[str, str]] = []
        rank = 0
        for line in _text_lines(merges):
            if line.startswith("#version"):
                continue
            parts = line.split(" ")
            rank += 1
            if len(parts) != 2:
                raise TokenizerError(
                    f"{os.fspath(merges)}: merges line {rank} {line!r} must be two tokens separated by one space"
                )
            pairs.append((parts[0], parts[1]))
        return vocab_map, pairs

    @classmethod
    def from_file(cls, vocab: str | os.PathLike[str], merges: str | os.PathLike[str], **kwargs: Any) -> "BPE":
        """Build a model from a ``vocab.json`` and a ``merges.txt`` (other options as keywords).

        Example:
            >>> import tempfile, os
            >>> d = tempfile.mkdtemp()
            >>> files = BPE({"a": 0, "b": 1, "ab": 2}, [("a", "b")]).save(d)
            >>> BPE.from_file(*files, unk_token="a").tokenize("ab")[0].value
            'ab'
        """
        v, m = cls.read_file(vocab, merges)
        return cls(v, m, **kwargs)

    # properties ------------------------------------------------------------------------
    @property
    def dropout(self) -> float | None:
        return self._dropout

    @dropout.setter
    def dropout(self, value: float | None) -> None:
        self._check_dropout(value)
        self._dropout = None if value is None else float(value)

    unk_token = _CacheKeyed()
    continuing_subword_prefix = _CacheKeyed()
    end_of_word_suffix = _CacheKeyed()
    fuse_unk = _CacheKeyed(bool)
    byte_fallback = _CacheKeyed(bool)
    ignore_merges = _CacheKeyed(bool)

    # the Model interface ----------------------------------------------------------------
    def merges_list(self) -> list[tuple[str, str]]:
        """The merges as ``(a, b)`` string pairs in rank order."""
        ranked = sorted(self._merges.items(), key=lambda item: item[1][0])
        vocab_r = self._vocab_r
        return [(vocab_r[a], vocab_r[b]) for (a, b), _ in ranked]

    def tokenize(self, sequence: str) -> list[Token]:
        if not sequence:
            return []
        dropout = self._dropout
        if dropout:
            return self._word_tokens(sequence, dropout)
        if self._ignore_merges:
            idx = self._vocab.get(sequence)
            if idx is not None:
                return [Token(idx, sequence, (0, len(sequence)))]
        hit = self._cache.get(sequence)
        if hit is not None:
            return list(hit)
        tokens = self._word_tokens(sequence, None)
        self._remember(sequence, tokens)
        return tokens

    # the algorithm -------------------------------------------------------------------------
    def _initial_symbols(self, word: str, in_bytes: bool = False) -> tuple[list[int], list[int], bool]:
        """The word's starting symbols: ``(ids, lengths, lengths_are_bytes)``.

        Lengths count characters unless a character had to be dropped or split into byte
        tokens; then the word is redone with UTF-8 byte lengths (the reference's unit) so
        that the offsets come out exactly as the reference reports them.
        """
        vocab = self._vocab
        prefix = self._continuing_subword_prefix
        suffix = self._end_of_word_suffix
        # An empty prefix/suffix changes no symbol, so it takes the same one-char fast path.
        if not prefix and not suffix and not in_bytes:
            ids = [vocab.get(c) for c in word]
            if None not in ids:
                return ids, [1] * len(ids), False  # type: ignore[return-value]
        ids = []
        lens: list[int] = []
        unk: list[int] | None = None  # [unk_id, length] waiting to be emitted
        last = len(word) - 1
        for i, c in enumerate(word):
            s = c
            if i and prefix is not None:
                s = prefix + s
            if i == last and suffix is not None:
                s = s + suffix
            size = len(c.encode("utf-8")) if in_bytes else 1
            idx = vocab.get(s)
            if idx is not None:
                if unk is not None:
                    ids.append(unk[0])
                    lens.append(unk[1])
                    unk = None
                ids.append(idx)
                lens.append(size)
                continue
            if self._byte_fallback:
                raw = s.encode("utf-8")
                byte_ids = [vocab.get(_byte_token(b)) for b in raw]
                if None not in byte_ids:
                    if not in_bytes:
                        return self._initial_symbols(word, True)
                    # The pending unknown run (if any) is emitted later, like the reference.
                    ids.extend(byte_ids)  # type: ignore[arg-type]
                    lens.extend([1] * len(byte_ids))
                    continue
            if self._unk_token is None:
                if not in_bytes:
                    return self._initial_symbols(word, True)
                continue  # dropped: its bytes are not counted, as in the reference
            unk_id = vocab.get(self._unk_token)
            if unk_id is None:
                raise TokenizerError(
                    f"BPE unk_token {self._unk_token!r} is not in the vocabulary; add it or change unk_token"
                )
            if unk is not None and self._fuse_unk:
                unk[1] += size
            else:
                if unk is not None:
                    ids.append(unk[0])
                    lens.append(unk[1])
                unk = [unk_id, size]
        if unk is not None:
            ids.append(unk[0])
            lens.append(unk[1])
        return ids, lens, in_bytes

    def _word_tokens(self, word: str, dropout: float | None) -> list[Token]:
        ids, lens, byte_mode = self._initial_symbols(word)
        if len(ids) > 1:
            if dropout or len(ids) > _LONG_WORD:
                ids, lens = self._merge_with_queue(ids, lens, dropout)
            else:
                ids, lens = self._merge(ids, lens)
        vocab_r = self._vocab_r
        if byte_mode:
            spans = _byte_to_char_offsets(word, lens)
            return [Token(i, vocab_r[i], span) for i, span in zip(ids, spans)]
        out = []
        pos = 0
        for i, n in zip(ids, lens):
            out.append(Token(i, vocab_r[i], (pos, pos + n)))
            pos += n
        return out

    def _merge(self, ids: list[int], lens: list[int]) -> tuple[list[int], list[int]]:
        """Apply merges, lowest rank first and leftmost on ties, one pair at a time."""
        get = self._merges.get
        # ranks[k]: rank of the merge of symbols k and k+1 (an int sentinel above every
        # rank when there is none; int-to-int comparisons keep min() fast).
        ranks = [get(pair, _NO_MERGE)[0] for pair in zip(ids, ids[1:])]
        while ranks:
            best = min(ranks)
            if best == _NO_RANK:
                break
            k = ranks.index(best)
            new_id = get((ids[k], ids[k + 1]))[1]  # type: ignore[index]
            ids[k : k + 2] = [new_id]
            lens[k : k + 2] = [lens[k] + lens[k + 1]]
            del ranks[k]
            if k < len(ranks):
                ranks[k] = get((new_id, ids[k + 1]), _NO_MERGE)[0]
            if k > 0:
                ranks[k - 1] = get((ids[k - 1], new_id), _NO_MERGE)[0]
        return ids, lens

    def _merge_with_queue(
        self, ids: list[int], lens: list[int], dropout: float | None
    ) -> tuple[list[int], list[int]]:
        """The same merges driven by a priority queue of (rank, position): O(n log n) for
        long words. With ``dropout``, each candidate merge is skipped with that
        probability (skipped candidates come back after the next merge)."""
        merges = self._merges
        n = len(ids)
        prev = list(range(-1, n - 1))
        nxt = list(range(1, n + 1))
        nxt[-1] = -1
        ids = list(ids)
        lens = list(lens)
        queue: list[tuple[int, int, int]] = []
        for k in range(n - 1):
            m = merges.get((ids[k], ids[k + 1]))
            if m is not None:
                queue.append((m[0], k, m[1]))
        heapq.heapify(queue)
        skipped: list[tuple[int, int, int]] = []
        rand = random.random
        while queue:
            top = heapq.heappop(queue)
            if dropout:
                if rand() < dropout:
                    skipped.append(top)
                    continue
                for item in skipped:
                    heapq.heappush(queue, item)
                skipped.clear()
            _, pos, new_id = top
            if lens[pos] == 0 or nxt[pos] == -1:
                continue
            right = nxt[pos]
            m = merges.get((ids[pos], ids[right]))
            if m is None or m[1] != new_id:
                continue
            ids[pos] = new_id
            lens[pos] += lens[right]
            nxt[pos] = nxt[right]
            lens[right] = 0
            if nxt[pos] != -1:
                prev[nxt[pos]] = pos
            if prev[pos] >= 0:
                m = merges.get((ids[prev[pos]], new_id))
                if m is not None:
                    heapq.heappush(queue, (m[0], prev[pos], m[1]))
            if nxt[pos] != -1:
                m = merges.get((new_id, ids[nxt[pos]]))
                if m is not None:
                    heapq.heappush(queue, (m[0], pos, m[1]))
        keep = [k for k in range(n) if lens[k] != 0]
        return [ids[k] for k in keep], [lens[k] for k in keep]

    # serialization ----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "BPE",
            "dropout": self._dropout,
            "unk_token": self._unk_token,
            "continuing_subword_prefix": self._continuing_subword_prefix,
            "end_of_word_suffix": self._end_of_word_suffix,
            "fuse_unk": self._fuse_unk,
            "byte_fallback": self._byte_fallback,
            "ignore_merges": self._ignore_merges,
            "vocab": _ordered_vocab(self._vocab_r),
            "merges": [list(pair) for pair in self.merges_list()],
        }

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> "BPE":
        where = "BPE model"
        vocab = _check_vocab(data.get("vocab", {}), where)
        merges = data.get("merges", [])
        if not isinstance(merges, list):
            raise TokenizerError(f"{where}: 'merges' must be a list, got {type(merges).__name__}")
        dropout = data.get("dropout")
        if dropout is not None and not isinstance(dropout, (int, float)):
            raise TokenizerError(f"{where}: 'dropout' must be a number or null, got {dropout!r}")
        return cls(
            vocab,
            merges,
            dropout=dropout,
            unk_token=_opt_str(data, "unk_token", where),
            continuing_subword_prefix=_opt_str(data, "continuing_subword_prefix", where),
            end_of_word_suffix=_opt_str(data, "end_of_word_suffix", where),
            fuse_unk=bool(data.get("fuse_unk") or False),
            byte_fallback=bool(data.get("byte_fallback") or False),
            ignore_merges=bool(data.get("ignore_merges") or False),
        )

    def save(self, folder: str | os.PathLike[str], prefix: str | None = None, name: str | None = None) -> list[str]:
        """Write ``[prefix-]vocab.json`` and ``[prefix-]merges.txt``; return their paths.

        Example:
            >>> import tempfile
            >>> paths = BPE({"a": 0, "b": 1, "ab": 2}, [("a", "b")]).save(tempfile.mkdtemp())
            >>> [p.rsplit("/", 1)[-1] for p in paths]
            ['vocab.json', 'merges.txt']
        """
        prefix = prefix if prefix is not None else name
        vocab_path = _file_name(folder, prefix, "vocab.json")
        merges_path = _file_name(folder, prefix, "merges.txt")
        with open(vocab_path, "w", encoding="utf-8", newline="") as handle:
            handle.write(_dump_json_compact(_ordered_vocab(self._vocab_r)))
        with open(merges_path, "w", encoding="utf-8", newline="") as handle:
            handle.write("#version: 0.2\n")
            handle.write("".join(f"{a} {b}\n" for a, b in self.merges_list()))
        return [vocab_path, merges_path]

    def __repr__(self) -> str:
        return (
            f"BPE(dropout={self._dropout}, unk_token={_q(self._unk_token)}, "
            f"continuing_subword_prefix={_q(self._continuing_subword_prefix)}, "
            f"end_of_word_suffix={_q(self._end_of_word_suffix)}, fuse_unk={self._fuse_unk}, "
            f"byte_fallback={self._byte_fallback}, ignore_merges={self._ignore_merges}, "
            f"vocab={len(self._vocab)} tokens, merges={len(self._merges)} merges)"
        )


def _q(value: str | None) -> str:
    return "None" if value is None else f'"{value}"'


def _parse_merge(pair: Any, rank: int) -> tuple[str, str]:
    if isinstance(pair, str):
        parts = pair.split(" ")
        if len(parts) != 2:
            raise TokenizerError(f"BPE merge #{rank} {pair!r} must be two tokens separated by one space")
        return parts[0], parts[1]
    if isinstance(pair, (list, tuple)) and len(pair) == 2 and all(isinstance(p, str) for p in pair):
        return pair[0], pair[1]
    raise TokenizerError(f"BPE merge #{rank} {pair!r} must be a pair of strings or an 'a b' string")


def _strip_prefix_bytes(token: str, prefix: str, prefix_bytes: int) -> str:
    """Remove ``prefix``'s byte length from the front of ``token`` (the reference does it
    whether or not the token starts with the prefix)."""
    if not prefix_bytes:
        return token
    if token.startswith(prefix):
        return token[len(prefix) :]
    raw = token.encode("utf-8")
    if len(raw) < prefix_bytes:
        raise TokenizerError(
            f"BPE merge part {token!r} is shorter than continuing_subword_prefix {prefix!r}"
        )
    try:
        return raw[prefix_bytes:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TokenizerError(
            f"BPE merge part {token!r}: removing the prefix {prefix!r} cuts a character"
        ) from exc


# --- WordPiece ----------------------------------------------------------------------------


class WordPiece(_WordCacheModel):
    """WordPiece: greedy longest-match-first.

    From the start of the word, take the longest vocabulary entry (non-initial pieces
    carry ``continuing_subword_prefix``); if some position has no match, or the word has
    more than ``max_input_chars_per_word`` characters, the whole word is ``unk_token``.

    Args:
        vocab: token -> id (or, deprecated, the path of a ``vocab.txt``).
        unk_token: the token for words that cannot be cut.
        max_input_chars_per_word: longer words become ``unk_token``.
        continuing_subword_prefix: prefix of non-initial pieces.

    Example:
        >>> wp = WordPiece({"[UNK]": 0, "un": 1, "##aff": 2, "##able": 3})
        >>> [t.value for t in wp.tokenize("unaffable")], wp.tokenize("xyz")[0].value
        (['un', '##aff', '##able'], '[UNK]')
    """

    type_name = "WordPiece"

    def __init__(
        self,
        vocab: Mapping[str, int] | str | None = None,
        unk_token: str = "[UNK]",
        max_input_chars_per_word: int = 100,
        continuing_subword_prefix: str = "##",
    ) -> None:
        if isinstance(vocab, (str, os.PathLike)):
            vocab = WordPiece.read_file(vocab)
        self._unk_token = unk_token
        self._max_input_chars_per_word = int(max_input_chars_per_word)
        self._continuing_subword_prefix = continuing_subword_prefix
        # word -> its pieces; real text repeats words a lot, and the greedy search costs
        # O(len * longest token) dictionary probes per word.
        self._cache: dict[str, tuple[Token, ...]] = {}
        self._cache_capacity = _DEFAULT_CACHE_CAPACITY
        self._set_vocab(_check_vocab(vocab or {}, "WordPiece"))

    def _set_vocab(self, vocab: dict[str, int]) -> None:
        super()._set_vocab(vocab)
        self._max_token_chars = max((len(t) for t in vocab), default=0)
        self._cache.clear()

    @staticmethod
    def read_file(vocab: str | os.PathLike[str]) -> dict[str, int]:
        """Read a ``vocab.txt``: one token per line, the line number is the id.

        Example:
            >>> import tempfile, os
            >>> path = os.path.join(tempfile.mkdtemp(), "vocab.txt")
            >>> _ = open(path, "w").write("[UNK]\\nhello\\n")
            >>> WordPiece.read_file(path)
            {'[UNK]': 0, 'hello': 1}
        """
        out: dict[str, int] = {}
        for index, line in enumerate(_text_lines(vocab)):
            out[line.rstrip()] = index
        return out

    @classmethod
    def from_file(cls, vocab: str | os.PathLike[str], **kwargs: Any) -> "WordPiece":
        """Build a model from a ``vocab.txt`` (other options as keywords).

        Example:
            >>> import tempfile, os
            >>> path = os.path.join(tempfile.mkdtemp(), "vocab.txt")
            >>> _ = open(path, "w").write("[UNK]\\nhello\\n")
            >>> WordPiece.from_file(path).token_to_id("hello")
            1
        """
        return cls(cls.read_file(vocab), **kwargs)

    @classmethod
    def from_bpe(cls, bpe: BPE) -> "WordPiece":
        """A WordPiece model with the vocabulary (and unk / prefix) of a BPE model."""
        wp = cls(bpe.get_vocab())
        if bpe.unk_token is not None:
            wp.unk_token = bpe.unk_token
        if bpe.continuing_subword_prefix is not None:
            wp.continuing_subword_prefix = bpe.continuing_subword_prefix
        return wp

    unk_token = _CacheKeyed()
    continuing_subword_prefix = _CacheKeyed()
    max_input_chars_per_word = _CacheKeyed(int)

    def _unk(self, sequence: str) -> list[Token]:
        idx = self._vocab.get(self._unk_token)
        if idx is None:
            raise TokenizerError(
                f"WordPiece unk_token {self._unk_token!r} is missing from the vocabulary; add it or change unk_token"
            )
        return [Token(idx, self._unk_token, (0, len(sequence)))]

    def tokenize(self, sequence: str) -> list[Token]:
        hit = self._cache.get(sequence)
        if hit is not None:
            return list(hit)
        tokens = self._greedy_pieces(sequence)
        self._remember(sequence, tokens)
        return tokens

    def _greedy_pieces(self, sequence: str) -> list[Token]:
        n = len(sequence)
        if n > self._max_input_chars_per_word:
            return self._unk(sequence)
        vocab = self._vocab
        prefix = self._continuing_subword_prefix
        longest = self._max_token_chars
        out: list[Token] = []
        start = 0
        while start < n:
            end = min(n, start + longest)
            found = None
            while start < end:
                piece = sequence[start:end]
                if start > 0:
                    piece = prefix + piece
                idx = vocab.get(piece)
                if idx is not None:
                    found = Token(idx, piece, (start, end))
                    break
                end -= 1
            if found is None:
                return self._unk(sequence)
            out.append(found)
            start = end
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "WordPiece",
            "unk_token": self._unk_token,
            "continuing_subword_prefix": self._continuing_subword_prefix,
            "max_input_chars_per_word": self._max_input_chars_per_word,
            "vocab": _ordered_vocab(self._vocab_r),
        }

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> "WordPiece":
        where = "WordPiece model"
        max_chars = data.get("max_input_chars_per_word", 100)
        if isinstance(max_chars, bool) or not isinstance(max_chars, int):
            raise TokenizerError(f"{where}: 'max_input_chars_per_word' must be an integer, got {max_chars!r}")
        return cls(
            _check_vocab(data.get("vocab", {}), where),
            unk_token=_opt_str(data, "unk_token", where, "[UNK]") or "[UNK]",
            max_input_chars_per_word=max_chars,
            continuing_subword_prefix=_opt_str(data, "continuing_subword_prefix", where, "##") or "",
        )

    def save(self, folder: str | os.PathLike[str], prefix: str | None = None, name: str | None = None) -> list[str]:
        """Write ``[prefix-]vocab.txt`` (tokens by increasing id, one per line).

        Example:
            >>> import tempfile
            >>> path, = WordPiece({"[UNK]": 0, "a": 1}).save(tempfile.mkdtemp())
            >>> open(path).read()
            '[UNK]\\na\\n'
        """
        prefix = prefix if prefix is not None else name
        path = _file_name(folder, prefix, "vocab.txt")
        ordered = sorted(self._vocab.items(), key=lambda kv: kv[1])
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write("".join(f"{token}\n" for token, _ in ordered))
        return [path]

    def __repr__(self) -> str:
        return (
            f'WordPiece(unk_token="{self._unk_token}", continuing_subword_prefix="{self._continuing_subword_prefix}", '
            f"max_input_chars_per_word={self._max_input_chars_per_word}, vocab={len(self._vocab)} tokens)"
        )


# --- WordLevel ----------------------------------------------------------------------------


class WordLevel(_DictVocabModel):
    """WordLevel: each word is one token, or ``unk_token`` when it is not in the vocabulary.

    Example:
        >>> wl = WordLevel({"hello": 0, "<unk>": 1}, unk_token="<unk>")
        >>> [t.value for t in wl.tokenize("hello") + wl.tokenize("world")]
        ['hello', '<unk>']
    """

    type_name = "WordLevel"

    def __init__(self, vocab: Mapping[str, int] | str | None = None, unk_token: str | None = None) -> None:
        if isinstance(vocab, (str, os.PathLike)):
            vocab = WordLevel.read_file(vocab)
        self._unk_token = "<unk>" if unk_token is None else unk_token
        self._set_vocab(_check_vocab(vocab or {}, "WordLevel"))

    @staticmethod
    def read_file(vocab: str | os.PathLike[str]) -> dict[str, int]:
        """Read a ``vocab.json`` (token -> id)."""
        return _read_vocab_json(vocab)

    @classmethod
    def from_file(cls, vocab: str | os.PathLike[str], unk_token: str | None = None) -> "WordLevel":
        """Build a model from a ``vocab.json``.

        Example:
            >>> import tempfile
            >>> path, = WordLevel({"a": 0, "<unk>": 1}).save(tempfile.mkdtemp())
            >>> WordLevel.from_file(path).tokenize("b")[0].id
            1
        """
        return cls(cls.read_file(vocab), unk_token=unk_token)

    @property
    def unk_token(self) -> str:
        return self._unk_token

    @unk_token.setter
    def unk_token(self, value: str) -> None:
        self._unk_token = value

    def tokenize(self, sequence: str) -> list[Token]:
        idx = self._vocab.get(sequence)
        if idx is not None:
            return [Token(idx, sequence, (0, len(sequence)))]
        unk_id = self._vocab.get(self._unk_token)
        if unk_id is None:
            raise TokenizerError(
                f"WordLevel unk_token {self._unk_token!r} is missing from the vocabulary; add it or change unk_token"
            )
        return [Token(unk_id, self._unk_token, (0, len(sequence)))]

    def to_dict(self) -> dict[str, Any]:
        return {"type": "WordLevel", "vocab": _ordered_vocab(self._vocab_r), "unk_token": self._unk_token}

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> "WordLevel":
        where = "WordLevel model"
        return cls(_check_vocab(data.get("vocab", {}), where), unk_token=_opt_str(data, "unk_token", where))

    def save(self, folder: str | os.PathLike[str], prefix: str | None = None, name: str | None = None) -> list[str]:
        """Write ``[prefix-]vocab.json`` (ordered by id)."""
        prefix = prefix if prefix is not None else name
        path = _file_name(folder, prefix, "vocab.json")
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(_dump_json_compact(_ordered_vocab(self._vocab_r)))
        return [path]

    def __repr__(self) -> str:
        shown = ", ".join(f"{json.dumps(k, ensure_ascii=False)}:{v}" for k, v in list(self._vocab.items())[:8])
        more = ", ..." if len(self._vocab) > 8 else ""
        return f'WordLevel(vocab={{{shown}{more}}}, unk_token="{self._unk_token}")'


# --- Unigram ----------------------------------------------------------------------------


class Unigram(Model):
    """Unigram language model (SentencePiece): the segmentation with the highest total
    score (sum of the pieces' log probabilities), found by Viterbi.

    A character no piece starts with costs ``min_score - 10`` and becomes the unknown
    token (consecutive unknowns are fused, and the token's value is the unknown text
    itself); with ``byte_fallback`` it becomes ``<0x..>`` byte tokens when those exist.

    Args:
        vocab: ``[(piece, log_prob), ...]``; the list index is the id.
        unk_id: index of the unknown token in ``vocab``.
        byte_fallback: use ``<0x..>`` tokens for unknown text.
        alpha, nbest_size: sampling options (kept and reported; encoding is always the
            single best path).

    Example:
        >>> uni = Unigram([("<unk>", 0.0), ("a", -1.0), ("b", -2.0), ("ab", -2.5)], unk_id=0)
        >>> [(t.value, t.offsets) for t in uni.tokenize("abxb")]
        [('ab', (0, 2)), ('x', (2, 3)), ('b', (3, 4))]
    """

    type_name = "Unigram"
    # Ids that keep their piece but are never matched inside text (SentencePiece's control and
    # unknown pieces; see embrace.tokenization.converters). Empty here: tokenizer.json has no
    # field for it, so a Unigram read from a file matches every piece, like the reference.
    _reserved_ids: frozenset[int] = frozenset()

    def __init__(
        self,
        vocab: Sequence[tuple[str, float]] | None = None,
        unk_id: int | None = None,
        byte_fallback: bool | None = None,
        alpha: float | None = None,
        nbest_size: int | None = None,
    ) -> None:
        if vocab is None:
            pieces: list[tuple[str, float]] = [("<unk>", 0.0)]
            unk_id = 0
        else:
            pieces = []
            for k, entry in enumerate(vocab):
                if (
                    not isinstance(entry, (list, tuple))
                    or len(entry) != 2
                    or not isinstance(entry[0], str)
                    or isinstance(entry[1], bool)
                    or not isinstance(entry[1], (int, float))
                ):
                    raise TokenizerError(f"Unigram vocab entry #{k} {entry!r} must be a (piece, score) pair")
                pieces.append((entry[0], float(entry[1])))
            if unk_id is not None:
                if not pieces:
                    raise TokenizerError("Unigram: the vocabulary is empty but at least <unk> is needed")
                if not 0 <= unk_id < len(pieces):
                    raise TokenizerError(
                        f"Unigram: unk_id {unk_id} is outside the vocabulary (size {len(pieces)})"
                    )
        self._byte_fallback = bool(byte_fallback)
        self.alpha = alpha
        self.nbest_size = nbest_size
        self._set_pieces(pieces, unk_id)

    def _set_pieces(self, pieces: list[tuple[str, float]], unk_id: int | None) -> None:
        self._pieces = pieces
        self._unk_id = unk_id
        token_to_id: dict[str, int] = {}
        trie: dict[str, Any] = {}
        min_score = math.inf
        for idx, (piece, score) in enumerate(pieces):
            token_to_id[piece] = idx
            if score < min_score:
                min_score = score
            if idx in self._reserved_ids:
                continue
            node = trie
            for ch in piece:
                node = node.setdefault(ch, {})
            node[""] = (idx, score)  # the leaf: what the Viterbi search needs, in one lookup
        # The trie keeps the *last* id of duplicated pieces, like the token map.
        self._token_to_id = token_to_id
        self._trie = trie
        self._min_score = min_score
        self._cache: dict[str, tuple[str, ...]] = {}
        # tokenize()'s own results per word (Token objects, ids and offsets resolved).
        self._token_cache: dict[str, tuple[Token, ...]] = {}

    @property
    def byte_fallback(self) -> bool:
        return self._byte_fallback

    @property
    def unk_id(self) -> int | None:
        return self._unk_id

    @property
    def min_score(self) -> float:
        return self._min_score

    def _clear_cache(self) -> None:
        """Forget every cached word."""
        self._cache.clear()
        self._token_cache.clear()

    def _resize_cache(self, capacity: int) -> None:
        """Accepted for API compatibility; the cache is cleared."""
        self._clear_cache()

    def token_to_id(self, token: str) -> int | None:
        return self._token_to_id.get(token)

    def id_to_token(self, id: int) -> str | None:  # noqa: A002
        if 0 <= id < len(self._pieces):
            return self._pieces[id][0]
        return None

    def get_vocab(self) -> dict[str, int]:
        return dict(self._token_to_id)

    def get_vocab_size(self) -> int:
        return len(self._pieces)

    def pieces(self) -> list[tuple[str, float]]:
        """The ``(piece, score)`` list (index = id)."""
        return list(self._pieces)

    def encode(self, sentence: str) -> list[str]:
        """The best segmentation of ``sentence`` as piece strings (unknown runs fused).

        Example:
            >>> Unigram([("<unk>", 0.0), ("a", -1.0), ("aa", -1.5)], unk_id=0).encode("aaaa")
            ['aa', 'aa']
        """
        if not sentence:
            return []
        hit = self._cache.get(sentence)
        if hit is not None:
            return list(hit)
        result = self._viterbi(sentence)
        if len(sentence) < _CACHE_MAX_LENGTH and len(self._cache) < _DEFAULT_CACHE_CAPACITY:
            self._cache[sentence] = tuple(result)
        return result

    def _viterbi(self, sentence: str) -> list[str]:
        n = len(sentence)
        trie = self._trie
        unk_id = self._unk_id
        unk_score = self._min_score - _UNK_PENALTY
        # best[k] = (score, start, id) of the best path ending at char k
        best_score = [0.0] * (n + 1)
        best_start = [-1] * (n + 1)
        best_id = [0] * (n + 1)
        for start in range(n):
            base = best_score[start]
            node = trie.get(sentence[start])
            single = node is not None and "" in node  # the char alone is a piece
            k = start
            while node is not None:
                k += 1
                leaf = node.get("")
                if leaf is not None:
                    cand = base + leaf[1]
                    if best_start[k] < 0 or cand > best_score[k]:
                        best_score[k] = cand
                        best_start[k] = start
                        best_id[k] = leaf[0]
                if k == n:
                    break
                node = node.get(sentence[k])
            if not single:
                if unk_id is None:
                    raise TokenizerError(
                        f"Unigram: {sentence[start]!r} is not in the vocabulary and the model has no unk_id"
                    )
                cand = base + unk_score
                if best_start[start + 1] < 0 or cand > best_score[start + 1]:
                    best_score[start + 1] = cand
                    best_start[start + 1] = start
                    best_id[start + 1] = unk_id
        results: list[str] = []
        pending: list[str] = []
        end = n
        while end > 0:
            start = best_start[end]
            piece = sentence[start:end]
            if unk_id is not None and best_id[end] == unk_id:
                pending.append(piece)
            else:
                if pending:
                    results.append("".join(reversed(pending)))
                    pending = []
                results.append(piece)
            end = start
        if pending:
            results.append("".join(reversed(pending)))
        results.reverse()
        return results

    def tokenize(self, sequence: str) -> list[Token]:
        hit = self._token_cache.get(sequence)
        if hit is not None:
            return list(hit)
        tokens = self._tokens_of(sequence)
        if len(sequence) < _CACHE_MAX_LENGTH and len(self._token_cache) < _DEFAULT_CACHE_CAPACITY:
            self._token_cache[sequence] = tuple(tokens)
        return tokens

    def _tokens_of(self, sequence: str) -> list[Token]:
        token_to_id = self._token_to_id
        out: list[Token] = []
        offset = 0
        for piece in self.encode(sequence):
            span = (offset, offset + len(piece))
            offset = span[1]
            idx = token_to_id.get(piece)
            if idx is None:
                if self._byte_fallback:
                    byte_ids = [token_to_id.get(_byte_token(b)) for b in piece.encode("utf-8")]
                    if None not in byte_ids:
                        out.extend(Token(i, _byte_token(b), span) for i, b in zip(byte_ids, piece.encode("utf-8")))  # type: ignore[arg-type]
                        continue
                if self._unk_id is None:
                    raise TokenizerError(f"Unigram: {piece!r} is unknown and the model has no unk_id")
                idx = self._unk_id
            out.append(Token(idx, piece, span))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "Unigram",
            "unk_id": self._unk_id,
            "vocab": [[piece, score] for piece, score in self._pieces],
            "byte_fallback": self._byte_fallback,
        }

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> "Unigram":
        where = "Unigram model"
        vocab = data.get("vocab", [])
        if not isinstance(vocab, list):
            raise TokenizerError(f"{where}: 'vocab' must be a list of [piece, score] pairs")
        unk_id = data.get("unk_id")
        if unk_id is not None and (isinstance(unk_id, bool) or not isinstance(unk_id, int)):
            raise TokenizerError(f"{where}: 'unk_id' must be an integer or null, got {unk_id!r}")
        return cls([tuple(v) if isinstance(v, list) else v for v in vocab], unk_id=unk_id,
                   byte_fallback=bool(data.get("byte_fallback") or False))

    def save(self, folder: str | os.PathLike[str], prefix: str | None = None, name: str | None = None) -> list[str]:
        """Write ``[prefix-]unigram.json`` (the model object, pretty-printed).

        Example:
            >>> import tempfile, json
            >>> path, = Unigram([("<unk>", 0.0), ("a", -1.0)], unk_id=0).save(tempfile.mkdtemp())
            >>> json.load(open(path))["vocab"]
            [['<unk>', 0.0], ['a', -1.0]]
        """
        prefix = prefix if prefix is not None else name
        path = _file_name(folder, prefix, "unigram.json")
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(_dump_json_pretty(self.to_dict()))
        return [path]

    def __repr__(self) -> str:
        return f"Unigram(unk_id={self._unk_id}, vocab={len(self._pieces)} pieces, byte_fallback={self._byte_fallback})"


MODELS: dict[str, type[Model]] = {
    "BPE": BPE,
    "WordPiece": WordPiece,
    "WordLevel": WordLevel,
    "Unigram": Unigram,
}
