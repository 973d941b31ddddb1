"""Tokenizers rebuilt from a GGUF file's metadata (``from_pretrained(path, gguf_file=...)``).

A GGUF file carries no ``tokenizer.json``: llama.cpp stores the vocabulary, merges,
special-token ids, the chat template and the ``add_bos_token`` flag as metadata. This
module turns them into an engine pipeline (through
:func:`embrace.io.gguf_mapping.gguf_tokenizer_json`) and then into the user-facing
tokenizer with the same special tokens, chat template and BOS/EOS framing the reference
gives the file.

Example:
    >>> import tempfile
    >>> from embrace.tokenization import PreTrainedTokenizer
    >>> PreTrainedTokenizer.from_pretrained(tempfile.mkdtemp(), gguf_file="missing.gguf")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    embrace.errors.EntryNotFoundError: ...missing.gguf...
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..hub.resolve import resolve_file
from ..utils.logging import get_logger

if TYPE_CHECKING:
    from .base import PreTrainedTokenizer

logger = get_logger(__name__)

# tokenizer.ggml.model -> tokenizer_config defaults when the file does not say. Old
# SentencePiece-style ("llama") files have no add_bos_token flag, and llama.cpp prepends
# BOS for them; the reference follows llama.cpp, so do we.
_CONFIG_DEFAULTS: dict[str, dict[str, Any]] = {
    "llama": {"add_bos_token": True},
}


def gguf_tokenizer_parts(gguf_path: "str | os.PathLike") -> "tuple[Any, dict[str, Any]]":
    """``(engine Tokenizer, tokenizer_config kwargs)`` described by the metadata of a GGUF file.

    The kwargs hold the special tokens (``bos_token``, ``eos_token``, ``unk_token``,
    ``pad_token``), ``chat_template`` and ``add_bos_token`` / ``add_eos_token`` when the
    file has them.

    Raises:
        GGUFError: the file is not GGUF, or its tokenizer metadata is missing or of a kind
            embrace cannot convert.
    """
    from ..io.gguf import GGUFFile
    from ..io.gguf_mapping import gguf_tokenizer_json
    from ..tokenizers.serialization import tokenizer_from_dict

    with GGUFFile(gguf_path) as gguf:
        metadata = gguf.metadata
        description = gguf_tokenizer_json(metadata)
    config = dict(_CONFIG_DEFAULTS.get(metadata.get("tokenizer.ggml.model"), {}))
    config.update(description.pop("tokenizer_config"))
    return tokenizer_from_dict(description), config


def load_gguf_tokenizer(cls: type, path: "str | os.PathLike", gguf_file: str, *, hub: dict[str, Any],
                        overrides: dict[str, Any]) -> "PreTrainedTokenizer":
    """Build `cls` from the tokenizer metadata of `gguf_file` in `path` (a folder or a cached repo id).

    `overrides` (the caller's keyword arguments) win over what the file says, as they do
    for ``tokenizer_config.json``.
    """
    overrides.pop("use_fast", None)  # there is one engine; the flag has nothing to choose
    gguf_path = resolve_file(path, gguf_file, **hub)
    logger.info("loading tokenizer from GGUF file %s", gguf_path)
    engine, init_kwargs = gguf_tokenizer_parts(gguf_path)
    init_kwargs.update(overrides)
    init_kwargs["name_or_path"] = os.fspath(path)
    return cls(tokenizer_object=engine, **init_kwargs)


__all__ = ["gguf_tokenizer_parts", "load_gguf_tokenizer"]
