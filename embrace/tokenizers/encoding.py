"""The result of encoding: ids plus everything needed to map tokens back to the text.

Example:
    >>> from embrace.tokenizers import Tokenizer
    >>> from embrace.tokenizers.models import WordLevel
    >>> from embrace.tokenizers.pre_tokenizers import Whitespace
    >>> tok = Tokenizer(WordLevel({"hello": 0, "world": 1, "[UNK]": 2}, unk_token="[UNK]"))
    >>> tok.pre_tokenizer = Whitespace()
    >>> enc = tok.encode("hello world")
    >>> enc.ids, enc.offsets, enc.word_ids
    ([0, 1], [(0, 5), (6, 11)], [0, 1])
"""

from __future__ import annotations

from typing import Iterable, Sequence

from embrace.errors import TokenizerError

__all__ = ["Encoding"]

_FIELDS = (
    "ids",
    "type_ids",
    "tokens",
    "words",
    "offsets",
    "special_tokens_mask",
    "attention_mask",
)


def _direction(value: str, what: str) -> str:
    if isinstance(value, str) and value.lower() in ("left", "right"):
        return value.lower()
    raise TokenizerError(f"Invalid {what} direction value: {value!r} (expected 'left' or 'right')")


class Encoding:
    """Token ids, strings, offsets, type ids, masks and word/sequence indices of one input.

    Offsets are character offsets into the input sequence each token belongs to (see
    :meth:`token_to_sequence`). Pieces cut off by truncation are in :attr:`overflowing`.

    Example:
        >>> e = Encoding()
        >>> len(e), e.n_sequences
        (0, 1)
    """

    __slots__ = (
        "_ids",
        "_type_ids",
        "_tokens",
        "_words",
        "_offsets",
        "_special_tokens_mask",
        "_attention_mask",
        "_overflowing",
        "_sequence_ranges",
    )

    def __init__(self) -> None:
        self._ids: list[int] = []
        self._type_ids: list[int] = []
        self._tokens: list[str] = []
        self._words: list["int | None"] = []
        self._offsets: list[tuple[int, int]] = []
        self._special_tokens_mask: list[int] = []
        self._attention_mask: list[int] = []
        self._overflowing: list[Encoding] = []
        self._sequence_ranges: dict[int, tuple[int, int]] = {}

    @classmethod
    def _make(
        cls,
        *,
        ids: list[int],
        type_ids: list[int],
        tokens: list[str],
        words: list["int | None"],
        offsets: list[tuple[int, int]],
        special_tokens_mask: list[int],
        attention_mask: list[int],
        overflowing: "list[Encoding] | None" = None,
        sequence_ranges: "dict[int, tuple[int, int]] | None" = None,
    ) -> "Encoding":
        self = cls.__new__(cls)
        self._ids = ids
        self._type_ids = type_ids
        self._tokens = tokens
        self._words = words
        self._offsets = offsets
        self._special_tokens_mask = special_tokens_mask
        self._attention_mask = attention_mask
        self._overflowing = overflowing if overflowing is not None else []
        self._sequence_ranges = sequence_ranges if sequence_ranges is not None else {}
        return self

    def copy(self) -> "Encoding":
        """A deep copy (overflowing encodings included)."""
        return Encoding._make(
            ids=list(self._ids),
            type_ids=list(self._type_ids),
            tokens=list(self._tokens),
            words=list(self._words),
            offsets=list(self._offsets),
            special_tokens_mask=list(self._special_tokens_mask),
            attention_mask=list(self._attention_mask),
            overflowing=[o.copy() for o in self._overflowing],
            sequence_ranges=dict(self._sequence_ranges),
        )

    __copy__ = copy

    def __deepcopy__(self, memo: dict) -> "Encoding":
        return self.copy()

    def __getstate__(self) -> dict:
        return {
            "ids": self._ids,
            "type_ids": self._type_ids,
            "tokens": self._tokens,
            "words": self._words,
            "offsets": self._offsets,
            "special_tokens_mask": self._special_tokens_mask,
            "attention_mask": self._attention_mask,
            "overflowing": self._overflowing,
            "sequence_ranges": self._sequence_ranges,
        }

    def __setstate__(self, state: dict) -> None:
        for key, value in state.items():
            setattr(self, "_" + key, value)

    # --- attributes --------------------------------------------------------------------
    @property
    def ids(self) -> list[int]:
        """The token ids."""
        return list(self._ids)

    @property
    def type_ids(self) -> list[int]:
        """The type (segment) id of each token."""
        return list(self._type_ids)

    @property
    def tokens(self) -> list[str]:
        """The token strings."""
        return list(self._tokens)

    @property
    def offsets(self) -> list[tuple[int, int]]:
        """``(start, end)`` character offsets of each token in its input sequence."""
        return list(self._offsets)

    @property
    def attention_mask(self) -> list[int]:
        """1 for real tokens, 0 for padding."""
        return list(self._attention_mask)

    @property
    def special_tokens_mask(self) -> list[int]:
        """1 for special (added by post-processing or padding) tokens, else 0."""
        return list(self._special_tokens_mask)

    @property
    def word_ids(self) -> list["int | None"]:
        """The index of the word each token comes from (``None`` for special tokens)."""
        return list(self._words)

    @property
    def words(self) -> list["int | None"]:
        """Deprecated alias of :attr:`word_ids`."""
        return list(self._words)

    @property
    def overflowing(self) -> list["Encoding"]:
        """The pieces produced by truncation, in order."""
        return list(self._overflowing)

    @property
    def n_sequences(self) -> int:
        """How many input sequences this encoding represents."""
        return len(self._sequence_ranges) or 1

    @property
    def sequence_ids(self) -> list["int | None"]:
        """The input sequence (0 or 1) of each token; ``None`` for special tokens."""
        out: list["int | None"] = [None] * len(self._ids)
        for seq_id in range(self.n_sequences):
            start, end = self._sequence_range(seq_id)
            for i in range(start, min(end, len(out))):
                out[i] = seq_id
        return out

    def __len__(self) -> int:
        return len(self._ids)

    def __repr__(self) -> str:
        return (
            f"Encoding(num_tokens={len(self._ids)}, attributes=[ids, type_ids, tokens, offsets, "
            "attention_mask, special_tokens_mask, overflowing])"
        )

    # --- mutation used by the pipeline ------------------------------------------------
    def set_sequence_id(self, sequence_id: int) -> None:
        """Mark every token of this encoding as belonging to input ``sequence_id``."""
        self._sequence_ranges[sequence_id] = (0, len(self._ids))

    def set_type_ids(self, type_ids: list[int]) -> None:
        self._type_ids = type_ids

    def take_overflowing(self) -> list["Encoding"]:
        out = self._overflowing
        self._overflowing = []
        return out

    # --- lookups ------------------------------------------------------------------
    def _sequence_range(self, sequence_id: int) -> tuple[int, int]:
        return self._sequence_ranges.get(sequence_id, (0, len(self._ids)))

    def token_to_sequence(self, token_index: int) -> "int | None":
        """The input sequence that token ``token_index`` belongs to."""
        if token_index < 0 or token_index > len(self._ids):
            return None
        if not self._sequence_ranges:
            return 0
        for seq_id, (start, end) in self._sequence_ranges.items():
            if start <= token_index < end:
                return seq_id
        return None

    def token_to_chars(self, token_index: int) -> "tuple[int, int] | None":
        """The ``(start, end)`` character offsets of a token in its input sequence."""
        if self.token_to_sequence(token_index) is None:
            return None
        if 0 <= token_index < len(self._offsets):
            return self._offsets[token_index]
        return None

    def token_to_word(self, token_index: int) -> "int | None":
        """The index of the word containing a token, in its input sequence."""
        if self.token_to_sequence(token_index) is None:
            return None
        if 0 <= token_index < len(self._words):
            return self._words[token_index]
        return None

    def char_to_token(self, char_pos: int, sequence_index: int = 0) -> "int | None":
        """The index of the token covering character ``char_pos`` of an input sequence."""
        start, end = self._sequence_range(sequence_index)
        if end > len(self._offsets) or start > end:
            return None
        for i in range(start, end):
            a, b = self._offsets[i]
            if a <= char_pos < b:
                return i
        return None

    def char_to_word(self, char_pos: int, sequence_index: int = 0) -> "int | None":
        """The index of the word covering character ``char_pos`` of an input sequence."""
        token = self.char_to_token(char_pos, sequence_index)
        return None if token is None else self.token_to_word(token)

    def word_to_tokens(self, word_index: int, sequence_index: int = 0) -> "tuple[int, int] | None":
        """The ``(first, last + 1)`` token range of a word in an input sequence."""
        start_r, end_r = self._sequence_range(sequence_index)
        if end_r > len(self._words) or start_r > end_r:
            return None
        first = last = None
        for i, w in enumerate(self._words[start_r:end_r]):
            if w is not None and w > word_index:
                break
            if w == word_index:
                if first is None or i < first:
                    first = i
                if last is None or i >= last:
                    last = i + 1
        if first is None or last is None:
            return None
        return (start_r + first, start_r + last)

    def word_to_chars(self, word_index: int, sequence_index: int = 0) -> "tuple[int, int] | None":
        """The ``(start, end)`` character span of a word in an input sequence."""
        span = self.word_to_tokens(word_index, sequence_index)
        if span is None or span[1] == 0:
            return None
        start, end = span
        return (self._offsets[start][0], self._offsets[end - 1][1])

    # --- merge / truncate / pad ----------------------------------------------------
    def merge_with(self, pair: "Encoding", growing_offsets: bool = True) -> None:
        """Append ``pair`` to this encoding (overflowing pieces are combined too)."""
        overflowings: list[Encoding] = []
        for self_o in self._overflowing:
            n = self_o.copy()
            n.merge_with(pair.copy(), growing_offsets)
            overflowings.append(n)
            for other_o in pair._overflowing:
                n = self_o.copy()
                n.merge_with(other_o.copy(), growing_offsets)
                overflowings.append(n)
        for other_o in pair._overflowing:
            n = self.copy()
            n.merge_with(other_o.copy(), growing_offsets)
            overflowings.append(n)

        base = len(self._ids)
        for seq_id, (start, end) in pair._sequence_ranges.items():
            self._sequence_ranges[seq_id] = (base + start, base + end)
        self._ids = self._ids + pair._ids
        self._type_ids = self._type_ids + pair._type_ids
        self._tokens = self._tokens + pair._tokens
        self._words = self._words + pair._words
        shift = self._offsets[-1][1] if (growing_offsets and self._offsets) else 0
        if shift:
            self._offsets = self._offsets + [(a + shift, b + shift) for a, b in pair._offsets]
        else:
            self._offsets = self._offsets + pair._offsets
        self._special_tokens_mask = self._special_tokens_mask + pair._special_tokens_mask
        self._attention_mask = self._attention_mask + pair._attention_mask
        self._overflowing = overflowings

    @staticmethod
    def _concat(encodings: list["Encoding"]) -> "Encoding":
        """A new encoding equal to merging ``encodings`` one by one (without growing the
        offsets) into an empty one; the inputs are taken over, not copied.

        Without overflowing pieces that is a plain concatenation of every field, done here
        in one pass instead of one list concatenation per field and per encoding."""
        if any(e._overflowing for e in encodings):
            out = Encoding()
            for enc in encodings:
                out.merge_with(enc, False)
            return out
        ids: list[int] = []
        type_ids: list[int] = []
        tokens: list[str] = []
        words: list["int | None"] = []
        offsets: list[tuple[int, int]] = []
        special: list[int] = []
        attention: list[int] = []
        ranges: dict[int, tuple[int, int]] = {}
        for enc in encodings:
            base = len(ids)
            for seq_id, (start, end) in enc._sequence_ranges.items():
                ranges[seq_id] = (base + start, base + end)
            ids += enc._ids
            type_ids += enc._type_ids
            tokens += enc._tokens
            words += enc._words
            offsets += enc._offsets
            special += enc._special_tokens_mask
            attention += enc._attention_mask
        return Encoding._make(
            ids=ids,
            type_ids=type_ids,
            tokens=tokens,
            words=words,
            offsets=offsets,
            special_tokens_mask=special,
            attention_mask=attention,
            sequence_ranges=ranges,
        )

    @staticmethod
    def merge(encodings: Iterable["Encoding"], growing_offsets: bool = True) -> "Encoding":
        """Concatenate encodings into a new one.

        Args:
            encodings: the encodings to merge, in order.
            growing_offsets: shift each encoding's offsets by the end of the previous one.
        """
        out = Encoding()
        for enc in encodings:
            out.merge_with(enc.copy(), growing_offsets)
        return out

    def _slice(self, start: int, stop: int) -> "Encoding":
        return Encoding._make(
            ids=self._ids[start:stop],
            type_ids=self._type_ids[start:stop],
            tokens=self._tokens[start:stop],
            words=self._words[start:stop],
            offsets=self._offsets[start:stop],
            special_tokens_mask=self._special_tokens_mask[start:stop],
            attention_mask=self._attention_mask[start:stop],
        )

    def truncate(self, max_length: int, stride: int = 0, direction: str = "right") -> None:
        """Keep at most ``max_length`` tokens; the rest goes to :attr:`overflowing`.

        Each overflowing piece repeats the last ``stride`` tokens of the previous one.

        Args:
            max_length: the length to keep.
            stride: how many tokens of context each overflowing piece repeats.
            direction: ``"right"`` (cut the end) or ``"left"`` (cut the start).
        """
        direction = _direction(direction, "truncation")
        n = len(self._ids)
        if max_length >= n:
            return
        if max_length == 0:
            whole = Encoding._make(
                ids=self._ids,
                type_ids=self._type_ids,
                tokens=self._tokens,
                words=self._words,
                offsets=self._offsets,
                special_tokens_mask=self._special_tokens_mask,
                attention_mask=self._attention_mask,
                overflowing=self._overflowing,
                sequence_ranges=self._sequence_ranges,
            )
            self.__init__()
            self._overflowing.append(whole)
            return
        if stride >= max_length:
            raise TokenizerError(
                f"`stride` ({stride}) must be strictly less than `max_length={max_length}` (note that "
                "`max_length` may be shorter than the max length of the model, as it subtracts the "
                "number of special tokens)"
            )
        step = max_length - stride
        parts: list[tuple[int, int]] = []
        if direction == "right":
            for start in range(0, n, step):
                stop = min(start + max_length, n)
                parts.append((start, stop))
                if stop == n:
                    break
        else:
            for last in range(n - 1, -1, -step):
                stop = last + 1
                start = max(0, stop - max_length)
                if start < stop:
                    parts.append((start, stop))
                    if start == 0:
                        break
        first = self._slice(*parts[0])
        first._overflowing = [self._slice(a, b) for a, b in parts[1:]]
        self._ids = first._ids
        self._type_ids = first._type_ids
        self._tokens = first._tokens
        self._words = first._words
        self._offsets = first._offsets
        self._special_tokens_mask = first._special_tokens_mask
        self._attention_mask = first._attention_mask
        self._overflowing = first._overflowing
        self._sequence_ranges = {}

    def pad(
        self,
        length: int,
        direction: str = "right",
        pad_id: int = 0,
        pad_type_id: int = 0,
        pad_token: str = "[PAD]",
    ) -> None:
        """Pad to ``length`` tokens (overflowing pieces too); longer encodings are left as is.

        Args:
            length: the target length.
            direction: ``"right"`` or ``"left"``.
            pad_id: id of the padding token.
            pad_type_id: type id of the padding tokens.
            pad_token: string of the padding token.
        """
        direction = _direction(direction, "padding")
        for o in self._overflowing:
            o.pad(length, direction, pad_id, pad_type_id, pad_token)
        n = len(self._ids)
        if n >= length:
            return
        k = length - n
        if direction == "left":
            self._ids = [pad_id] * k + self._ids
            self._type_ids = [pad_type_id] * k + self._type_ids
            self._tokens = [pad_token] * k + self._tokens
            self._words = [None] * k + self._words
            self._attention_mask = [0] * k + self._attention_mask
            self._special_tokens_mask = [1] * k + self._special_tokens_mask
            self._offsets = [(0, 0)] * k + self._offsets
            self._sequence_ranges = {
                s: (a + k, b + k) for s, (a, b) in self._sequence_ranges.items()
            }
        else:
            self._ids = self._ids + [pad_id] * k
            self._type_ids = self._type_ids + [pad_type_id] * k
            self._tokens = self._tokens + [pad_token] * k
            self._words = self._words + [None] * k
            self._attention_mask = self._attention_mask + [0] * k
            self._special_tokens_mask = self._special_tokens_mask + [1] * k
            self._offsets = self._offsets + [(0, 0)] * k


def pad_encodings(
    encodings: Sequence[Encoding],
    *,
    length: "int | None",
    pad_to_multiple_of: "int | None",
    pad_id: int,
    pad_type_id: int,
    pad_token: str,
    direction: str,
) -> None:
    """Pad a batch in place: to ``length``, or to the longest encoding when ``None``."""
    if not encodings:
        return
    target = length if length is not None else max(len(e._ids) for e in encodings)
    if pad_to_multiple_of and target % pad_to_multiple_of:
        target += pad_to_multiple_of - target % pad_to_multiple_of
    for enc in encodings:
        enc.pad(target, direction, pad_id, pad_type_id, pad_token)
