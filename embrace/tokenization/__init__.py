"""embrace.tokenization: the user-facing tokenizer API (the ``transformers`` tokenizer classes).

``AutoTokenizer.from_pretrained(folder_or_repo)`` picks the class from
``tokenizer_config.json`` (or the model's ``config.json``); every class runs on the
:mod:`embrace.tokenizers` engine, reads and writes the reference's files, and returns
:class:`BatchEncoding` objects.

Example:
    >>> from embrace.tokenization import PreTrainedTokenizerFast
    >>> from embrace.tokenizers import Tokenizer
    >>> from embrace.tokenizers.models import WordLevel
    >>> tok = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(WordLevel({"hi": 0}, unk_token="hi")))
    >>> tok("hi")["input_ids"]
    [0]
"""

from __future__ import annotations

from .auto import TOKENIZER_CLASSES, TOKENIZER_PRESETS, AutoTokenizer
from .base import PreTrainedTokenizer, PreTrainedTokenizerBase, PreTrainedTokenizerFast, TokenizersBackend
from .batch_encoding import BatchEncoding, CharSpan, TensorType, TokenSpan
from .padding_truncation import PaddingStrategy, TruncationStrategy
from .presets import *  # noqa: F401,F403 - the per-model classes
from .presets import PRESETS
from .presets_seq2seq import *  # noqa: F401,F403 - mBART, mBART-50, Pegasus
from .presets_seq2seq import SEQ2SEQ_PRESETS

__all__ = [
    "AutoTokenizer", "BatchEncoding", "CharSpan", "PaddingStrategy", "PreTrainedTokenizer", "PreTrainedTokenizerBase",
    "PreTrainedTokenizerFast", "TOKENIZER_CLASSES", "TOKENIZER_PRESETS", "TensorType", "TokenSpan",
    "TokenizersBackend", "TruncationStrategy", *PRESETS, *SEQ2SEQ_PRESETS,
]
