"""embrace.tokenizers: the tokenization engine (a drop-in for the ``tokenizers`` package).

A :class:`Tokenizer` is a pipeline of five stages, each with one class per ``"type"``
of ``tokenizer.json``: :mod:`normalizers` -> :mod:`pre_tokenizers` -> :mod:`models` ->
:mod:`processors` (-> :mod:`decoders` for the way back). Offsets are tracked through
normalization, so every token maps back to the characters of the input.

Example:
    >>> from embrace.tokenizers import Tokenizer, normalizers, pre_tokenizers
    >>> from embrace.tokenizers.models import WordPiece
    >>> vocab = {"[UNK]": 0, "hello": 1, "wor": 2, "##ld": 3, "!": 4}
    >>> tok = Tokenizer(WordPiece(vocab, unk_token="[UNK]"))
    >>> tok.normalizer = normalizers.BertNormalizer()
    >>> tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    >>> enc = tok.encode("Hello World!")
    >>> enc.tokens, enc.offsets
    (['hello', 'wor', '##ld', '!'], [(0, 5), (6, 9), (9, 11), (11, 12)])
"""

from __future__ import annotations

from typing import List, Tuple, Union

from embrace.tokenizers import decoders, models, normalizers, pre_tokenizers, processors, trainers
from embrace.tokenizers.added_vocabulary import AddedToken
from embrace.tokenizers.encoding import Encoding
from embrace.tokenizers.normalized import (
    NormalizedString,
    OffsetReferential,
    OffsetType,
    PreTokenizedString,
    Regex,
    SplitDelimiterBehavior,
    Token,
)
from embrace.tokenizers.tokenizer import Tokenizer

__version__ = "0.23.3"
"""The version of the reference ``tokenizers`` API this package follows."""

Offsets = Tuple[int, int]
TextInputSequence = str
PreTokenizedInputSequence = Union[List[str], Tuple[str]]
TextEncodeInput = Union[TextInputSequence, Tuple[TextInputSequence, TextInputSequence], List[TextInputSequence]]
PreTokenizedEncodeInput = Union[
    PreTokenizedInputSequence,
    Tuple[PreTokenizedInputSequence, PreTokenizedInputSequence],
    List[PreTokenizedInputSequence],
]
InputSequence = Union[TextInputSequence, PreTokenizedInputSequence]
EncodeInput = Union[TextEncodeInput, PreTokenizedEncodeInput]

__all__ = [
    "AddedToken",
    "Encoding",
    "NormalizedString",
    "OffsetReferential",
    "OffsetType",
    "PreTokenizedString",
    "Regex",
    "SplitDelimiterBehavior",
    "Token",
    "Tokenizer",
    "decoders",
    "models",
    "normalizers",
    "pre_tokenizers",
    "processors",
    "trainers",
    "__version__",
]
