"""AutoTokenizer: pick the tokenizer class of a folder or cached repo, then load it.

The class comes from ``tokenizer_config.json`` (``tokenizer_class``), else from the
``model_type`` of ``config.json`` through :data:`TOKENIZER_PRESETS`, else the generic
:class:`PreTrainedTokenizerFast` when a ``tokenizer.json`` is there. An unknown class name
or model type is an error that lists the known ones; nothing sniffs file or repo names.

Example:
    >>> import tempfile
    >>> from embrace.tokenizers import Tokenizer
    >>> from embrace.tokenizers.models import WordLevel
    >>> from embrace.tokenization import PreTrainedTokenizerFast
    >>> folder = tempfile.mkdtemp()
    >>> _ = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(WordLevel({"a": 0}, unk_token="a"))).save_pretrained(folder)
    >>> type(AutoTokenizer.from_pretrained(folder)).__name__
    'PreTrainedTokenizer'
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import TokenizerError, unknown_key
from .base import PreTrainedTokenizer
from .loading import TOKENIZER_CONFIG_FILE, TOKENIZER_FILE, optional_file, read_json, refuse_remote_code
from .presets import PRESETS
from .presets_seq2seq import SEQ2SEQ_PRESETS

# tokenizer_class name -> class (the generic names included).
TOKENIZER_CLASSES: dict[str, type] = {
    **PRESETS,
    **SEQ2SEQ_PRESETS,
    "PreTrainedTokenizer": PreTrainedTokenizer,
    "PreTrainedTokenizerFast": PreTrainedTokenizer,
    "TokenizersBackend": PreTrainedTokenizer,
}

# config.json model_type -> tokenizer class name, for folders whose tokenizer_config.json has no class.
TOKENIZER_PRESETS: dict[str, str] = {
    "bert": "BertTokenizer",
    "distilbert": "DistilBertTokenizer",
    "roberta": "RobertaTokenizer",
    "bart": "BartTokenizer",
    "gpt2": "GPT2Tokenizer",
    "qwen2": "Qwen2Tokenizer",
    "llama": "LlamaTokenizer",
    "mistral": "LlamaTokenizer",
    "t5": "T5Tokenizer",
    "albert": "AlbertTokenizer",
    "xlnet": "XLNetTokenizer",
    "xlm-roberta": "XLMRobertaTokenizer",
    "marian": "MarianTokenizer",
    "mbart": "MBartTokenizer",
    "pegasus": "PegasusTokenizer",
}


def tokenizer_class_from_name(name: str) -> type:
    """The class registered under `name` (``Fast`` suffix optional); a miss lists the known names."""
    if name in TOKENIZER_CLASSES:
        return TOKENIZER_CLASSES[name]
    raise unknown_key("tokenizer_class", name, TOKENIZER_CLASSES)


class AutoTokenizer:
    """Loads the right tokenizer class for a folder or a cached hub repo.

    Example:
        >>> AutoTokenizer()
        Traceback (most recent call last):
        ...
        OSError: AutoTokenizer is not meant to be instantiated: use AutoTokenizer.from_pretrained(path).
    """

    def __init__(self) -> None:
        raise OSError("AutoTokenizer is not meant to be instantiated: use AutoTokenizer.from_pretrained(path).")

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: "str | os.PathLike", *inputs: Any,
                        cache_dir: "str | None" = None, revision: "str | None" = None, local_files_only: bool = False,
                        token: "str | bool | None" = None, force_download: bool = False, subfolder: str = "",
                        use_fast: bool = True, trust_remote_code: bool = False, tokenizer_type: "str | None" = None,
                        **kwargs: Any) -> PreTrainedTokenizer:
        """Load the tokenizer of `pretrained_model_name_or_path`; extra kwargs override its config.

        Example:
            >>> import tempfile
            >>> AutoTokenizer.from_pretrained(tempfile.mkdtemp())  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            embrace.errors.TokenizerError: Cannot tell which tokenizer ...
        """
        if inputs:
            raise TypeError("AutoTokenizer.from_pretrained() takes the path then keyword arguments only.")
        refuse_remote_code(trust_remote_code)
        hub = dict(cache_dir=cache_dir, revision=revision, local_files_only=local_files_only, token=token,
                   force_download=force_download, subfolder=subfolder)
        if kwargs.get("gguf_file") is not None and tokenizer_type is None:
            # A GGUF file describes its whole pipeline; the reference gives it the generic class too.
            tokenizer_cls = PreTrainedTokenizer
        else:
            tokenizer_cls = cls._pick_class(pretrained_model_name_or_path, hub, tokenizer_type)
        return tokenizer_cls.from_pretrained(pretrained_model_name_or_path, use_fast=use_fast, **hub, **kwargs)

    @staticmethod
    def _pick_class(path: "str | os.PathLike", hub: dict[str, Any], tokenizer_type: "str | None") -> type:
        if tokenizer_type is not None:
            if tokenizer_type not in TOKENIZER_PRESETS:
                raise unknown_key("tokenizer_type", tokenizer_type, TOKENIZER_PRESETS)
            return tokenizer_class_from_name(TOKENIZER_PRESETS[tokenizer_type])
        config_path = optional_file(path, TOKENIZER_CONFIG_FILE, hub)
        name = read_json(config_path).get("tokenizer_class") if config_path else None
        if name:
            return tokenizer_class_from_name(name)
        model_config = optional_file(path, "config.json", hub)
        model_type = read_json(model_config).get("model_type") if model_config else None
        if model_type:
            if model_type not in TOKENIZER_PRESETS:
                raise unknown_key("model_type (for a tokenizer)", model_type, TOKENIZER_PRESETS)
            return tokenizer_class_from_name(TOKENIZER_PRESETS[model_type])
        if optional_file(path, TOKENIZER_FILE, hub):
            return PreTrainedTokenizer
        raise TokenizerError(
            f"Cannot tell which tokenizer {os.fspath(path)!r} holds: no tokenizer_config.json with a "
            "'tokenizer_class', no config.json with a 'model_type', and no tokenizer.json. Add one of them, or load "
            "it with the tokenizer class directly (e.g. BertTokenizer.from_pretrained)."
        )
