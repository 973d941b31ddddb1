"""Reading and writing tokenizer folders in the reference layout.

A folder holds ``tokenizer.json`` (the engine pipeline), ``tokenizer_config.json`` (the
constructor arguments: special tokens, ``model_max_length``, ``tokenizer_class``...),
optionally ``special_tokens_map.json``, ``added_tokens.json``, ``chat_template.jinja`` and
the legacy vocabulary files of the class (``vocab.txt``, ``vocab.json`` + ``merges.txt``,
SentencePiece ``.model``). Files are written to a temporary name and renamed into place,
so an interrupted save never leaves a half-written file behind.

Example:
    >>> import json, os, tempfile
    >>> from embrace.tokenizers import Tokenizer
    >>> from embrace.tokenizers.models import WordLevel
    >>> from embrace.tokenization import PreTrainedTokenizer
    >>> tok = PreTrainedTokenizer(tokenizer_object=Tokenizer(WordLevel({"a": 0}, unk_token="a")), model_max_length=8)
    >>> folder = tempfile.mkdtemp()
    >>> sorted(os.path.basename(p) for p in tok.save_pretrained(folder))
    ['special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json']
    >>> json.load(open(os.path.join(folder, "tokenizer_config.json")))["model_max_length"]
    8
"""

from __future__ import annotations

import copy
import json
import os
from typing import TYPE_CHECKING, Any

from ..errors import DirectoryExpectedError, EntryNotFoundError, RemoteCodeError, TokenizerError
from ..hub.resolve import resolve_file
from ..tokenizers import AddedToken
from ..utils.files import write_text_atomically

if TYPE_CHECKING:
    from .base import PreTrainedTokenizer

TOKENIZER_FILE = "tokenizer.json"
TOKENIZER_CONFIG_FILE = "tokenizer_config.json"
SPECIAL_TOKENS_MAP_FILE = "special_tokens_map.json"
ADDED_TOKENS_FILE = "added_tokens.json"
CHAT_TEMPLATE_FILE = "chat_template.jinja"

# tokenizer_config.json keys that describe the files or the loader, not the tokenizer.
_NOT_INIT_KWARGS = ("tokenizer_class", "auto_map", "processor_class", "tokenizer_file", "special_tokens_map_file",
                    "name_or_path", "files_loaded", "is_local", "local_files_only")
# Keys dropped when saving: private paths and loader bookkeeping.
_NOT_SAVED = ("name_or_path", "special_tokens_map_file", "tokenizer_file", "device_map", "slow_tokenizer_class",
              "files_loaded", "add_bos_token", "add_eos_token", "added_tokens_decoder", "additional_special_tokens")

# The generic class is saved under the reference's name for it, so the reference can load the folder.
_SAVED_CLASS_NAMES = {"PreTrainedTokenizer": "TokenizersBackend"}


def refuse_remote_code(trust_remote_code: bool) -> None:
    """trust_remote_code=True is an error: no code from a repository is ever run."""
    if trust_remote_code:
        raise RemoteCodeError(
            "trust_remote_code=True was passed, but embrace never executes code downloaded with a tokenizer. Use a "
            "tokenizer class embrace implements (see embrace.tokenization.auto.TOKENIZER_CLASSES)."
        )


def optional_file(path: "str | os.PathLike", filename: str, hub: dict[str, Any]) -> "str | None":
    """The local path of `filename` in a folder or cached repo, or None when it is absent."""
    try:
        return resolve_file(path, filename, required=False, **hub)
    except EntryNotFoundError:
        return None


def read_json(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except json.JSONDecodeError as exc:
        raise TokenizerError(f"{path} is not valid JSON ({exc}); re-download or re-save the tokenizer.") from exc
    if not isinstance(data, dict):
        raise TokenizerError(f"{path} must hold a JSON object, found {type(data).__name__}.")
    return data


def _added_token(data: Any) -> Any:
    if isinstance(data, dict) and "content" in data:
        return AddedToken(**{k: v for k, v in data.items() if k != "__type"})
    return data


def load_tokenizer(cls: type, path: "str | os.PathLike", *, hub: dict[str, Any], trust_remote_code: bool,
                   overrides: dict[str, Any]) -> "PreTrainedTokenizer":
    """Build `cls` from the files of `path` (a folder or a cached repo id); `overrides` win over the config."""
    refuse_remote_code(trust_remote_code)
    gguf_file = overrides.pop("gguf_file", None)
    if gguf_file is not None:  # everything comes from the GGUF metadata, as in the reference
        from .gguf import load_gguf_tokenizer

        return load_gguf_tokenizer(cls, path, gguf_file, hub=hub, overrides=overrides)
    config_path = optional_file(path, TOKENIZER_CONFIG_FILE, hub)
    init_kwargs = read_json(config_path) if config_path else {}
    for key in _NOT_INIT_KWARGS:
        init_kwargs.pop(key, None)
    if "added_tokens_decoder" in init_kwargs:
        init_kwargs["added_tokens_decoder"] = {
            int(index): _added_token(token) for index, token in init_kwargs["added_tokens_decoder"].items()
        }
    for key, value in list(init_kwargs.items()):
        if key.endswith("_token"):
            init_kwargs[key] = _added_token(value)

    special_map = optional_file(path, SPECIAL_TOKENS_MAP_FILE, hub)
    if special_map:
        for key, value in read_json(special_map).items():
            if key in ("additional_special_tokens", "extra_special_tokens"):
                if not init_kwargs.get("extra_special_tokens") and not init_kwargs.get("additional_special_tokens"):
                    init_kwargs["extra_special_tokens"] = [_added_token(v) for v in value]
            elif init_kwargs.get(key) is None and key not in init_kwargs:
                init_kwargs[key] = _added_token(value)

    template = optional_file(path, CHAT_TEMPLATE_FILE, hub)
    if template:
        with open(template, encoding="utf-8") as handle:
            init_kwargs["chat_template"] = handle.read()

    use_fast = overrides.pop("use_fast", True)
    wants_json = cls._has_tokenizer_json and (use_fast or not cls.vocab_files_names)
    tokenizer_file = optional_file(path, TOKENIZER_FILE, hub) if wants_json else None
    files: dict[str, str] = {}
    for argument, filename in cls.vocab_files_names.items():
        found = optional_file(path, filename, hub)
        if found:
            files[argument] = found
    if tokenizer_file is None and not files:
        expected = [TOKENIZER_FILE, *cls.vocab_files_names.values()]
        raise TokenizerError(
            f"No tokenizer files found in {os.fspath(path)!r} for {cls.__name__}: expected {expected}. Check the path, "
            "or pick the tokenizer class that matches the files there."
        )
    if tokenizer_file is None:
        added = optional_file(path, ADDED_TOKENS_FILE, hub)
        if added:  # legacy {token: id} file: tokens the vocabulary files lack
            decoder = init_kwargs.setdefault("added_tokens_decoder", {})
            for content, index in sorted(read_json(added).items(), key=lambda item: item[1]):
                decoder.setdefault(int(index), AddedToken(content, normalized=False))
    init_kwargs.update(files)
    init_kwargs.update(overrides)
    init_kwargs["name_or_path"] = os.fspath(path)
    if tokenizer_file is not None:
        return cls(tokenizer_file=tokenizer_file, **init_kwargs)
    return cls(**init_kwargs)



def _json_ready(value: Any) -> Any:
    """AddedToken -> its dict (tagged like the reference does); containers recursively."""
    if isinstance(value, AddedToken):
        return {"__type": "AddedToken", **value.__getstate__()}
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    return value


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def tokenizer_config(tokenizer: "PreTrainedTokenizer") -> dict[str, Any]:
    """The tokenizer_config.json content for `tokenizer` (the reference's keys and values)."""
    config = copy.deepcopy(tokenizer.init_kwargs)
    for key in list(config) + ["model_max_length"]:
        if key in tokenizer.__dict__ or key in ("model_max_length", "padding_side", "truncation_side"):
            config[key] = getattr(tokenizer, key)
    config.update(tokenizer.special_tokens_map)
    if tokenizer._extra_special_tokens:
        config["extra_special_tokens"] = [str(t) for t in tokenizer._extra_special_tokens]
    for key in (*_NOT_SAVED, *tokenizer.vocab_files_names):
        config.pop(key, None)
    config.setdefault("backend", "tokenizers")
    name = _SAVED_CLASS_NAMES.get(type(tokenizer).__name__, type(tokenizer).__name__)
    config["tokenizer_class"] = name[: -len("Fast")] if name.endswith("Fast") else name
    return _json_ready(config)


def save_tokenizer(tokenizer: "PreTrainedTokenizer", save_directory: "str | os.PathLike", *,
                   legacy_format: "bool | None", filename_prefix: "str | None",
                   save_jinja_files: bool) -> tuple[str, ...]:
    """Write the folder; returns the paths written."""
    folder = os.fspath(save_directory)
    if os.path.isfile(folder):
        raise DirectoryExpectedError(f"save_pretrained() needs a directory, but {folder!r} is a file.")
    os.makedirs(folder, exist_ok=True)
    prefix = filename_prefix + "-" if filename_prefix else ""

    def target(name: str) -> str:
        return os.path.join(folder, prefix + name)

    written: list[str] = []
    config = tokenizer_config(tokenizer)
    config.pop("chat_template", None)  # written below, as a .jinja file or inline
    template = tokenizer.chat_template
    if isinstance(template, str) and save_jinja_files:
        write_text_atomically(target(CHAT_TEMPLATE_FILE), template)
        written.append(target(CHAT_TEMPLATE_FILE))
    elif isinstance(template, dict):
        config["chat_template"] = [{"name": k, "template": v} for k, v in template.items()]
    elif template is not None:
        config["chat_template"] = template
    write_text_atomically(target(TOKENIZER_CONFIG_FILE), _dump(config))
    written.insert(0, target(TOKENIZER_CONFIG_FILE))

    special = dict(tokenizer.special_tokens_map)
    if tokenizer._extra_special_tokens:
        special["additional_special_tokens"] = [str(t) for t in tokenizer._extra_special_tokens]
    write_text_atomically(target(SPECIAL_TOKENS_MAP_FILE), _dump(special))
    written.append(target(SPECIAL_TOKENS_MAP_FILE))

    if legacy_format is not True and tokenizer._has_tokenizer_json:
        write_text_atomically(target(TOKENIZER_FILE), tokenizer.backend_tokenizer.to_str(pretty=True))
        written.append(target(TOKENIZER_FILE))
    if legacy_format is not False:
        written.extend(tokenizer.save_vocabulary(folder, filename_prefix))
    return tuple(written)
