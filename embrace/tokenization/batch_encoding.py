"""BatchEncoding: what a tokenizer call returns (a dict of model inputs plus the encodings).

It behaves as a ``dict`` (``enc["input_ids"]``) and as an object (``enc.input_ids``), turns
its lists into ``torch``/``numpy`` tensors on request, and answers alignment questions
(token <-> word <-> character) from the engine :class:`~embrace.tokenizers.Encoding` objects
it carries.

Example:
    >>> from embrace.tokenization.batch_encoding import BatchEncoding
    >>> enc = BatchEncoding({"input_ids": [[1, 2, 3]], "attention_mask": [[1, 1, 1]]}, tensor_type="pt")
    >>> tuple(enc.input_ids.shape), enc["attention_mask"].dtype
    ((1, 3), torch.int64)
"""

from __future__ import annotations

from collections import UserDict
from enum import Enum
from typing import Any, NamedTuple

import numpy as np

from ..errors import TokenizerError


class CharSpan(NamedTuple):
    """A character span in the original string: ``start`` included, ``end`` excluded."""

    start: int
    end: int


class TokenSpan(NamedTuple):
    """A token span in an encoded sequence: ``start`` included, ``end`` excluded."""

    start: int
    end: int


class TensorType(str, Enum):
    """The tensor kinds ``return_tensors`` accepts (``"pt"``, ``"np"``)."""

    PYTORCH = "pt"
    NUMPY = "np"


def _tensor_type(value: Any) -> TensorType:
    try:
        return TensorType(value)
    except ValueError:
        raise TokenizerError(
            f"return_tensors={value!r} is not supported; use 'pt' (torch.Tensor), 'np' (numpy.ndarray) or None "
            "(python lists)."
        ) from None


def _as_numpy(value: Any) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "numpy") and hasattr(value, "detach"):  # torch tensor
        return value.detach().cpu().numpy()
    array = np.asarray(value)
    if array.dtype == np.float64 and value and isinstance(value[0], (list, tuple)) and not value[0]:
        return array.astype(np.int64)
    return array


def _as_torch(value: Any) -> Any:
    import torch

    if isinstance(value, torch.Tensor):
        return value
    array = _as_numpy(value)
    return torch.from_numpy(np.ascontiguousarray(array))


_CONVERTERS = {TensorType.PYTORCH: _as_torch, TensorType.NUMPY: _as_numpy}


class BatchEncoding(UserDict):
    """A dict of model inputs (``input_ids``, ``attention_mask``, ...) with alignment helpers.

    Args:
        data: the model inputs.
        encoding: the engine encodings, one per row (fast tokenizers only).
        tensor_type: ``"pt"`` / ``"np"`` to convert the values, ``None`` to keep lists.
        prepend_batch_axis: add a leading batch axis while converting.
        n_sequences: how many sequences (1 or 2) each row was built from.

    Example:
        >>> from embrace.tokenization.batch_encoding import BatchEncoding
        >>> BatchEncoding({"input_ids": [5, 6]}).input_ids
        [5, 6]
    """

    def __init__(
        self,
        data: "dict[str, Any] | None" = None,
        encoding: Any = None,
        tensor_type: "str | TensorType | None" = None,
        prepend_batch_axis: bool = False,
        n_sequences: "int | None" = None,
    ) -> None:
        super().__init__(data)
        if encoding is not None and not isinstance(encoding, list):
            encoding = [encoding]
        self._encodings = encoding
        if n_sequences is None and encoding:
            n_sequences = encoding[0].n_sequences
        self._n_sequences = n_sequences
        self.convert_to_tensors(tensor_type=tensor_type, prepend_batch_axis=prepend_batch_axis)

    # -- dict and attribute access ------------------------------------------------------

    @property
    def n_sequences(self) -> "int | None":
        """How many sequences (1 or 2) each row was built from; ``None`` without encodings."""
        return self._n_sequences

    def __getitem__(self, item: Any) -> Any:
        if isinstance(item, str):
            return self.data[item]
        if isinstance(item, int):
            if self._encodings is None:
                raise KeyError(
                    "Indexing a BatchEncoding with an integer returns the engine Encoding of that row, which only "
                    "tokenizers backed by the engine provide; index with a key such as 'input_ids' instead."
                )
            return self._encodings[item]
        if isinstance(item, slice):
            return {key: self.data[key][item] for key in self.data}
        raise KeyError(f"Invalid key {item!r}: use a str (input name), an int (row) or a slice (rows).")

    def __getattr__(self, item: str) -> Any:
        try:
            return self.data[item]
        except KeyError:
            raise AttributeError(f"BatchEncoding has no attribute or key {item!r}") from None

    def __getstate__(self) -> dict[str, Any]:
        return {"data": self.data, "encodings": self._encodings, "n_sequences": self._n_sequences}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.data = state["data"]
        self._encodings = state["encodings"]
        self._n_sequences = state["n_sequences"]

    @property
    def is_fast(self) -> bool:
        """Whether engine encodings (and so alignment methods) are available."""
        return self._encodings is not None

    @property
    def encodings(self) -> "list[Any] | None":
        """The engine :class:`~embrace.tokenizers.Encoding` of each row, or ``None``."""
        return self._encodings

    # -- alignment ----------------------------------------------------------------------

    def _encoding(self, batch_index: int) -> Any:
        if not self._encodings:
            raise ValueError(
                "This BatchEncoding carries no engine encodings (it was built from plain lists, e.g. by pad()), so "
                "token/word/char alignment is not available; call the tokenizer on text to get them."
            )
        return self._encodings[batch_index]

    def _batch_and_index(self, batch_or_index: int, index: "int | None") -> tuple[int, int]:
        if index is None:
            if self._encodings and len(self._encodings) > 1:
                raise ValueError("This batch has several rows: pass the row index then the index inside the row.")
            return 0, batch_or_index
        return batch_or_index, index

    def tokens(self, batch_index: int = 0) -> list[str]:
        """The tokens of row `batch_index`."""
        return self._encoding(batch_index).tokens

    def sequence_ids(self, batch_index: int = 0) -> list["int | None"]:
        """For each token of the row: 0 or 1 (which sequence it came from), None for special tokens."""
        return self._encoding(batch_index).sequence_ids

    def word_ids(self, batch_index: int = 0) -> list["int | None"]:
        """For each token of the row: the index of the word it belongs to (None for special tokens)."""
        return self._encoding(batch_index).word_ids

    def words(self, batch_index: int = 0) -> list["int | None"]:
        """Alias of :meth:`word_ids` (kept from older versions)."""
        return self.word_ids(batch_index)

    def token_to_sequence(self, batch_or_token_index: int, token_index: "int | None" = None) -> "int | None":
        """The sequence (0 or 1) a token belongs to."""
        batch, token = self._batch_and_index(batch_or_token_index, token_index)
        enc = self._encoding(batch)
        return enc.token_to_sequence(token if token >= 0 else len(enc) + token)

    def token_to_word(self, batch_or_token_index: int, token_index: "int | None" = None) -> "int | None":
        """The word a token belongs to."""
        batch, token = self._batch_and_index(batch_or_token_index, token_index)
        enc = self._encoding(batch)
        return enc.token_to_word(token if token >= 0 else len(enc) + token)

    def word_to_tokens(
        self, batch_or_word_index: int, word_index: "int | None" = None, sequence_index: int = 0
    ) -> "TokenSpan | None":
        """The token span of a word."""
        batch, word = self._batch_and_index(batch_or_word_index, word_index)
        span = self._encoding(batch).word_to_tokens(word, sequence_index)
        return TokenSpan(*span) if span is not None else None

    def token_to_chars(self, batch_or_token_index: int, token_index: "int | None" = None) -> "CharSpan | None":
        """The character span of a token in its original string (None for special tokens)."""
        batch, token = self._batch_and_index(batch_or_token_index, token_index)
        span = self._encoding(batch).token_to_chars(token)
        return CharSpan(*span) if span is not None else None

    def char_to_token(
        self, batch_or_char_index: int, char_index: "int | None" = None, sequence_index: int = 0
    ) -> "int | None":
        """The token that covers a character of the original string."""
        batch, char = self._batch_and_index(batch_or_char_index, char_index)
        return self._encoding(batch).char_to_token(char, sequence_index)

    def word_to_chars(
        self, batch_or_word_index: int, word_index: "int | None" = None, sequence_index: int = 0
    ) -> "CharSpan | None":
        """The character span of a word."""
        batch, word = self._batch_and_index(batch_or_word_index, word_index)
        span = self._encoding(batch).word_to_chars(word, sequence_index)
        return CharSpan(*span) if span is not None else None

    def char_to_word(
        self, batch_or_char_index: int, char_index: "int | None" = None, sequence_index: int = 0
    ) -> "int | None":
        """The word that covers a character of the original string."""
        batch, char = self._batch_and_index(batch_or_char_index, char_index)
        return self._encoding(batch).char_to_word(char, sequence_index)

    # -- tensors ------------------------------------------------------------------------

    def convert_to_tensors(
        self, tensor_type: "str | TensorType | None" = None, prepend_batch_axis: bool = False
    ) -> "BatchEncoding":
        """Convert every value in place to `tensor_type` (``"pt"`` or ``"np"``); returns self."""
        if tensor_type is None:
            return self
        convert = _CONVERTERS[_tensor_type(tensor_type)]
        for key, value in self.items():
            if prepend_batch_axis:
                value = [value]
            try:
                self[key] = convert(value)
            except ValueError as exc:  # ragged rows cannot form one tensor
                raise ValueError(
                    f"Unable to create a tensor for {key!r}: its rows have different lengths. Pass padding=True "
                    "(and truncation=True for over-long inputs) so every row has the same length."
                ) from exc
        return self

    def to(self, device: Any, *, non_blocking: bool = False) -> "BatchEncoding":
        """Move every torch tensor to `device` (other values are left alone); returns self."""
        import torch

        if not isinstance(device, (str, int, torch.device)):
            raise TypeError(f"device must be a str, int or torch.device, got {type(device).__name__}.")
        self.data = {
            key: value.to(device=device, non_blocking=non_blocking) if isinstance(value, torch.Tensor) else value
            for key, value in self.data.items()
        }
        return self
