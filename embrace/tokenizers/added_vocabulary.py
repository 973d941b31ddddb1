"""Tokens added on top of a model's vocabulary, and how they are found in text.

Added tokens are cut out of the text before the model sees it: tokens with
``normalized=False`` (special tokens, by default) are matched on the raw text, the others
on the normalized text. At each position the longest token wins; ``single_word`` tokens
only match between word boundaries; ``lstrip``/``rstrip`` tokens swallow the whitespace
beside them.

Example:
    >>> from embrace.tokenizers import AddedToken
    >>> t = AddedToken("[MASK]", lstrip=True, special=True)
    >>> t.normalized, t.lstrip
    (False, True)
"""

from __future__ import annotations

from typing import Any, Iterable

import regex

from embrace.errors import TokenizerError
from embrace.tokenizers.normalized import NormalizedString, PreTokenizedString, Token

__all__ = ["AddedToken", "AddedVocabulary"]

_KWARGS = ("single_word", "lstrip", "rstrip", "normalized", "special")


class AddedToken:
    """A token to add to a :class:`~embrace.tokenizers.Tokenizer`, with matching options.

    Args:
        content: the token's text.
        single_word: only match when the token is a whole word (not inside a word).
        lstrip: also take the whitespace on the token's left.
        rstrip: also take the whitespace on the token's right.
        normalized: match against the normalized text (default: ``not special``).
        special: a special token (skipped by ``decode(skip_special_tokens=True)``).

    Example:
        >>> AddedToken("<eos>", special=True)
        AddedToken("<eos>", rstrip=False, lstrip=False, single_word=False, normalized=False, special=True)
    """

    __slots__ = ("content", "single_word", "lstrip", "rstrip", "normalized", "special")

    def __init__(
        self,
        content: "str | None" = None,
        single_word: bool = False,
        lstrip: bool = False,
        rstrip: bool = False,
        normalized: "bool | None" = None,
        special: bool = False,
    ) -> None:
        if content is None:
            content = ""
        if not isinstance(content, str):
            raise TypeError(f"AddedToken content must be a str, got {type(content).__name__}")
        self.content = content
        self.single_word = bool(single_word)
        self.lstrip = bool(lstrip)
        self.rstrip = bool(rstrip)
        self.special = bool(special)
        self.normalized = (not self.special) if normalized is None else bool(normalized)

    def _key(self) -> tuple:
        return (self.content, self.single_word, self.lstrip, self.rstrip, self.normalized, self.special)

    def copy(self) -> "AddedToken":
        return AddedToken(self.content, self.single_word, self.lstrip, self.rstrip, self.normalized, self.special)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AddedToken):
            return False
        return self._key() == other._key()

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __lt__(self, other: object) -> bool:
        return False

    def __gt__(self, other: object) -> bool:
        return False

    def __le__(self, other: object) -> bool:
        return self.__eq__(other)

    def __ge__(self, other: object) -> bool:
        return self.__eq__(other)

    def __hash__(self) -> int:
        return hash(self._key())

    def __getstate__(self) -> dict[str, Any]:
        return {
            "content": self.content,
            "single_word": self.single_word,
            "lstrip": self.lstrip,
            "rstrip": self.rstrip,
            "normalized": self.normalized,
            "special": self.special,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.content = state.get("content", "")
        self.single_word = bool(state.get("single_word", False))
        self.lstrip = bool(state.get("lstrip", False))
        self.rstrip = bool(state.get("rstrip", False))
        self.special = bool(state.get("special", False))
        self.normalized = bool(state.get("normalized", not self.special))

    def __str__(self) -> str:
        return self.content

    def __repr__(self) -> str:
        content = self.content.replace("\\", "\\\\").replace('"', '\\"')
        return (
            f'AddedToken("{content}", rstrip={self.rstrip}, lstrip={self.lstrip}, '
            f"single_word={self.single_word}, normalized={self.normalized}, special={self.special})"
        )

    def to_dict(self, id: int) -> dict[str, Any]:
        """The ``added_tokens`` entry of ``tokenizer.json``."""
        return {
            "id": id,
            "content": self.content,
            "single_word": self.single_word,
            "lstrip": self.lstrip,
            "rstrip": self.rstrip,
            "normalized": self.normalized,
            "special": self.special,
        }

    @classmethod
    def from_dict(cls, data: Any, where: str = "added_tokens") -> tuple[int, "AddedToken"]:
        """Read an ``added_tokens`` entry; returns ``(id, token)``."""
        if not isinstance(data, dict):
            raise TokenizerError(f"{where}: expected an object, got {type(data).__name__}")
        for key in ("id", "content"):
            if key not in data:
                raise TokenizerError(f"{where}: missing field `{key}`")
        if not isinstance(data["content"], str):
            raise TokenizerError(f"{where}.content: expected a string, got {data['content']!r}")
        tid = data["id"]
        if not isinstance(tid, int) or isinstance(tid, bool) or tid < 0:
            raise TokenizerError(f"{where}.id: expected a non-negative integer, got {tid!r}")
        flags = {}
        for key in _KWARGS:
            if key in data:
                if not isinstance(data[key], bool):
                    raise TokenizerError(f"{where}.{key}: expected a boolean, got {data[key]!r}")
                flags[key] = data[key]
        special = flags.get("special", False)
        return tid, cls(
            data["content"],
            single_word=flags.get("single_word", False),
            lstrip=flags.get("lstrip", False),
            rstrip=flags.get("rstrip", False),
            normalized=flags.get("normalized", not special),
            special=special,
        )


_END_WORD = regex.compile(r"\w$")
_START_WORD = regex.compile(r"^\w")
_TRAILING_WS = regex.compile(r"\s*$")
_LEADING_WS = regex.compile(r"^\s*")


class _MatchingSet:
    """Leftmost-longest literal matching over a set of token strings."""

    __slots__ = ("pattern", "ids")

    def __init__(self, contents: list[str], ids: list[int]) -> None:
        self.ids: dict[str, int] = {}
        for content, tid in zip(contents, ids):
            if content:
                self.ids.setdefault(content, tid)
        if self.ids:
            # Longest first: a regex alternation is leftmost-first, so this makes it
            # leftmost-longest.
            ordered = sorted(self.ids, key=len, reverse=True)
            self.pattern: "regex.Pattern[str] | None" = regex.compile(
                "|".join(regex.escape(c) for c in ordered)
            )
        else:
            self.pattern = None


class AddedVocabulary:
    """The added tokens of a tokenizer: their ids, and the matchers that find them.

    Ids come from the model vocabulary when the token is in it, else they follow the
    highest id used so far.
    """

    def __init__(self) -> None:
        self.added_tokens_map: dict[str, int] = {}
        self.added_tokens_map_r: dict[int, AddedToken] = {}
        self.added_tokens: list[AddedToken] = []
        self.special_tokens: list[AddedToken] = []
        self.special_tokens_set: set[str] = set()
        self.encode_special_tokens = False
        self._split: "_MatchingSet | None" = None
        self._split_normalized: "_MatchingSet | None" = None
        self._normalizer_for_trie: Any = None
        # id -> the string id_to_token/decode give: normalized content for normalized tokens
        self._id_text: "dict[int, str] | None" = None

    def __len__(self) -> int:
        return len(self.added_tokens_map)

    def is_empty(self) -> bool:
        return not self.added_tokens_map

    def get_vocab(self) -> dict[str, int]:
        return dict(self.added_tokens_map)

    def get_added_tokens_decoder(self) -> dict[int, AddedToken]:
        return {i: self.added_tokens_map_r[i].copy() for i in sorted(self.added_tokens_map_r)}

    def token_to_id(self, token: str, model: Any) -> "int | None":
        tid = self.added_tokens_map.get(token)
        if tid is not None:
            return tid
        return model.token_to_id(token)

    def simple_id_to_token(self, tid: int) -> "str | None":
        """The added token's string for ``tid`` (its raw content)."""
        tok = self.added_tokens_map_r.get(tid)
        return None if tok is None else tok.content

    def id_to_text(self, tid: int, model: Any, normalizer: Any) -> "str | None":
        """The string ``id_to_token``/``decode`` give for an added token: like the
        reference, a ``normalized=True`` token comes back normalized."""
        if tid not in self.added_tokens_map_r:
            return None
        self.ensure(model, normalizer)
        assert self._id_text is not None
        return self._id_text.get(tid)

    def ensure(self, model: Any, normalizer: Any) -> None:
        """Rebuild the matchers if tokens or the normalizer changed since the last build."""
        if self._split is None or self._split_normalized is None or self._normalizer_for_trie is not normalizer:
            self.refresh(model, normalizer)

    def is_special_token(self, token: str) -> bool:
        return token in self.special_tokens_set

    def add_special_tokens(self, tokens: Iterable[AddedToken], model: Any) -> int:
        return self.add_tokens(tokens, model)

    def add_tokens(self, tokens: Iterable[AddedToken], model: Any) -> int:
        tokens = list(tokens)
        for tok in tokens:
            if tok.special and tok.content and tok.content not in self.special_tokens_set:
                self.special_tokens.append(tok.copy())
                self.special_tokens_set.add(tok.content)
        ignored = 0
        vocab_size = model.get_vocab_size()
        for tok in tokens:
            if not tok.content or any(v == tok for v in self.added_tokens_map_r.values()):
                ignored += 1
                continue
            new_id = self.token_to_id(tok.content, model)
            if new_id is None:
                if self.added_tokens_map:
                    top = max(self.added_tokens_map.values())
                    new_id = top + 1 if (top >= vocab_size or vocab_size == 0) else vocab_size
                else:
                    new_id = vocab_size
            self.added_tokens_map[tok.content] = new_id
            self.added_tokens_map_r[new_id] = tok.copy()
            if tok.content not in self.special_tokens_set:
                self.added_tokens.append(tok.copy())
        self._split = None
        self._split_normalized = None
        return len(tokens) - ignored

    # --- matching ---------------------------------------------------------------------
    def refresh(self, model: Any, normalizer: Any) -> None:
        """Rebuild the matchers (after tokens or the normalizer changed)."""
        raw_contents, raw_ids, norm_contents, norm_ids = [], [], [], []
        for tok in self.special_tokens + self.added_tokens:
            tid = self.token_to_id(tok.content, model)
            if tid is None:
                raise TokenizerError(f"Missing additional token {tok.content!r}")
            if tok.normalized:
                content = tok.content
                if normalizer is not None:
                    n = NormalizedString(content)
                    normalizer.normalize(n)
                    content = n.normalized
                norm_contents.append(content)
                norm_ids.append(tid)
            else:
                raw_contents.append(tok.content)
                raw_ids.append(tid)
        self._split = _MatchingSet(raw_contents, raw_ids)
        self._split_normalized = _MatchingSet(norm_contents, norm_ids)
        self._normalizer_for_trie = normalizer
        id_text = {}
        for tid, tok in self.added_tokens_map_r.items():
            content = tok.content
            if tok.normalized and normalizer is not None:
                n = NormalizedString(content)
                normalizer.normalize(n)
                content = n.normalized
            id_text[tid] = content
        self._id_text = id_text

    def invalidate(self) -> None:
        self._split = None
        self._split_normalized = None

    def _find_matches(self, sentence: str, matching: _MatchingSet) -> list[tuple["int | None", int, int]]:
        if not sentence:
            return [(None, 0, 0)]
        pattern = matching.pattern
        if pattern is None:
            return [(None, 0, len(sentence))]
        out: list[tuple["int | None", int, int]] = []
        start_offset = 0
        tokens_r = self.added_tokens_map_r
        for m in pattern.finditer(sentence):
            start, stop = m.span()
            tid = matching.ids[m.group()]
            tok = tokens_r.get(tid)
            if tok is None:
                continue
            if self.encode_special_tokens and tok.content in self.special_tokens_set:
                continue
            if tok.single_word:
                start_space = start == 0 or not _END_WORD.search(sentence[:start])
                stop_space = stop == len(sentence) or not _START_WORD.search(sentence[stop:])
                if not (start_space and stop_space):
                    continue
            if tok.lstrip:
                new_start = _TRAILING_WS.search(sentence[:start]).start()
                start = max(new_start, start_offset)
            if tok.rstrip:
                stop += _LEADING_WS.match(sentence[stop:]).end()
            if start_offset < start:
                out.append((None, start_offset, start))
            out.append((tid, start, stop))
            start_offset = stop
        if start_offset != len(sentence):
            out.append((None, start_offset, len(sentence)))
        return out

    def _split_with_indices(
        self, normalized: NormalizedString, matching: _MatchingSet
    ) -> list[Any]:
        pattern = matching.pattern
        if pattern is None or not normalized.normalized:
            return [normalized]
        matches = self._find_matches(normalized.normalized, matching)
        if len(matches) == 1 and matches[0][0] is None:
            align = normalized._align
            if align is None or (align[0][0] == 0 and align[-1][1] == len(normalized._original)):
                return [normalized]  # no added token: the whole string, as its own slice would be
        out: list[Any] = []
        for tid, start, stop in matches:
            piece = normalized._slice(start, stop)
            if piece is None:
                continue
            if tid is None:
                out.append(piece)
            else:
                value = piece.normalized
                out.append((piece, [Token(tid, value, (0, len(value)))]))
        return out

    def extract_and_normalize(
        self, normalizer: Any, sequence: str, model: Any
    ) -> PreTokenizedString:
        """Cut the added tokens out of ``sequence`` and normalize the rest."""
        self.ensure(model, normalizer)
        split = self._split
        split_normalized = self._split_normalized
        assert split is not None and split_normalized is not None
        pretok = PreTokenizedString(sequence)
        if split.pattern is not None:
            pretok.split(lambda _, n: self._split_with_indices(n, split))
        if normalizer is None and split_normalized.pattern is None:
            return pretok

        def step(_: int, n: NormalizedString) -> list[Any]:
            if normalizer is not None:
                normalizer.normalize(n)
            return self._split_with_indices(n, split_normalized)

        pretok.split(step)
        return pretok
