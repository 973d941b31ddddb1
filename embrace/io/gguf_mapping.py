"""From a GGUF file to what embrace models load: a config dict, a state dict, a tokenizer dict.

GGUF stores llama.cpp's names (``blk.0.attn_q.weight``) and its own metadata keys
(``llama.embedding_length``). This module renames both to the reference's names, undoes
the row permutation llama.cpp applies to Llama query/key projections, transposes GPT-2's
Conv1D weights back, and rebuilds ``config.json`` fields and a ``tokenizer.json``-shaped
dict the way the reference's GGUF loader does.

Example:
    >>> gguf_config_dict({"general.architecture": "llama", "llama.block_count": 2,
    ...                   "llama.embedding_length": 64, "llama.attention.head_count": 4}, ["token_embd.weight"])
    {'model_type': 'llama', 'num_hidden_layers': 2, 'hidden_size': 64, 'num_attention_heads': 4, 'tie_word_embeddings': True}
"""

from __future__ import annotations

import os
import re
from typing import Any, Callable, Iterable

import torch

from embrace.errors import GGUFError
from embrace.utils.logging import get_logger

logger = get_logger(__name__)

# --- config ---------------------------------------------------------------------------------

_LLAMA_LIKE_KEYS = {
    "context_length": "max_position_embeddings",
    "block_count": "num_hidden_layers",
    "feed_forward_length": "intermediate_size",
    "embedding_length": "hidden_size",
    "rope.freq_base": "rope_theta",
    "attention.head_count": "num_attention_heads",
    "attention.head_count_kv": "num_key_value_heads",
    "attention.layer_norm_rms_epsilon": "rms_norm_eps",
    "vocab_size": "vocab_size",
}
# architecture -> {metadata key after "<arch>." -> config field}
CONFIG_KEYS: dict[str, dict[str, str]] = {
    # rope.dimension_count is the head size only for these two (the reference relies on it too).
    "llama": {**_LLAMA_LIKE_KEYS, "rope.dimension_count": "head_dim"},
    "mistral": {**_LLAMA_LIKE_KEYS, "rope.dimension_count": "head_dim"},
    "qwen2": dict(_LLAMA_LIKE_KEYS),
    "gpt2": {
        "block_count": "n_layer",
        "context_length": "n_ctx",
        "embedding_length": "n_embd",
        "feed_forward_length": "feed_forward_length",
        "attention.head_count": "n_head",
        "attention.layer_norm_epsilon": "layer_norm_epsilon",
    },
}
_TOKEN_ID_KEYS = {
    "tokenizer.ggml.bos_token_id": "bos_token_id",
    "tokenizer.ggml.eos_token_id": "eos_token_id",
    "tokenizer.ggml.unknown_token_id": "unk_token_id",
    "tokenizer.ggml.padding_token_id": "pad_token_id",
}


def gguf_model_type(metadata: dict[str, Any]) -> str:
    """The embrace ``model_type`` of a GGUF file (llama.cpp files Mistral under ``llama``).

    Example:
        >>> gguf_model_type({"general.architecture": "llama", "general.name": "mistral-7b"})
        'mistral'
    """
    architecture = metadata.get("general.architecture")
    if not isinstance(architecture, str):
        raise GGUFError("The GGUF metadata has no general.architecture string, so the model family is unknown.")
    if architecture == "llama" and "mistral" in str(metadata.get("general.name", "")):
        return "mistral"
    if architecture not in CONFIG_KEYS:
        raise GGUFError(
            f"GGUF architecture {architecture!r} is not supported by embrace; supported: {sorted(CONFIG_KEYS)}."
        )
    return architecture


def gguf_config_dict(metadata: dict[str, Any], tensor_names: Iterable[str]) -> dict[str, Any]:
    """``config.json`` fields rebuilt from GGUF metadata (and the tensor list, for tying).

    Embeddings are tied when the file has no separate ``output.weight``; the vocabulary
    size falls back to the number of tokenizer tokens.
    """
    model_type = gguf_model_type(metadata)
    architecture = metadata["general.architecture"]
    config: dict[str, Any] = {"model_type": model_type}
    for key, field in CONFIG_KEYS[model_type].items():
        value = metadata.get(f"{architecture}.{key}")
        if value is not None:
            config[field] = value
    if "general.name" in metadata:
        config["_model_name_or_path"] = metadata["general.name"]
    for key, field in _TOKEN_ID_KEYS.items():
        if key in metadata:
            config[field] = metadata[key]
    config["tie_word_embeddings"] = "output.weight" not in set(tensor_names)
    if "vocab_size" not in config and isinstance(metadata.get("tokenizer.ggml.tokens"), list):
        config["vocab_size"] = len(metadata["tokenizer.ggml.tokens"])
    return config


# --- tensors --------------------------------------------------------------------------------

# llama.cpp block tensor -> reference name inside layer N, per family layout
_LLAMA_BLOCK = {
    "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj", "attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
}
_LLAMA_GLOBAL = {"token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head"}
_GPT2_BLOCK = {
    "attn_norm": "ln_1", "attn_qkv": "attn.c_attn", "attn_output": "attn.c_proj", "ffn_norm": "ln_2",
    "ffn_up": "mlp.c_fc", "ffn_down": "mlp.c_proj",
}
_GPT2_GLOBAL = {
    "token_embd": "transformer.wte", "position_embd": "transformer.wpe", "output_norm": "transformer.ln_f",
    "output": "lm_head",
}
_LAYOUTS: dict[str, tuple[str, dict[str, str], dict[str, str]]] = {
    "llama": ("model.layers", _LLAMA_BLOCK, _LLAMA_GLOBAL),
    "mistral": ("model.layers", _LLAMA_BLOCK, _LLAMA_GLOBAL),
    "qwen2": ("model.layers", _LLAMA_BLOCK, _LLAMA_GLOBAL),
    "gpt2": ("transformer.h", _GPT2_BLOCK, _GPT2_GLOBAL),
}
_BLOCK_NAME = re.compile(r"^blk\.(\d+)\.([a-z_]+)\.(weight|bias)$")
_GLOBAL_NAME = re.compile(r"^([a-z_]+)\.(weight|bias)$")


def gguf_tensor_name(name: str, model_type: str) -> str | None:
    """The reference parameter name of GGUF tensor ``name`` (``None`` if it has none, e.g. ``rope_freqs``).

    Example:
        >>> gguf_tensor_name("blk.3.attn_q.weight", "llama")
        'model.layers.3.self_attn.q_proj.weight'
    """
    prefix, block, global_names = _LAYOUTS[model_type]
    match = _BLOCK_NAME.match(name)
    if match:
        index, part, kind = match.groups()
        return f"{prefix}.{index}.{block[part]}.{kind}" if part in block else None
    match = _GLOBAL_NAME.match(name)
    if match and match.group(1) in global_names:
        return f"{global_names[match.group(1)]}.{match.group(2)}"
    return None


def unpermute_rows(weight: torch.Tensor, n_heads: int) -> torch.Tensor:
    """Undo llama.cpp's q/k row order: per head it interleaves the two rotary halves.

    llama.cpp stores row ``(h, i, j)`` (head, pair, half) where the reference has
    ``(h, j, i)``; swapping the last two axes back restores the reference layout.

    Example:
        >>> unpermute_rows(torch.arange(4.0)[:, None], 1).flatten().tolist()
        [0.0, 2.0, 1.0, 3.0]
    """
    rows = weight.shape[0]
    return weight.reshape(n_heads, rows // n_heads // 2, 2, *weight.shape[1:]).transpose(1, 2).reshape(weight.shape)


def _llama_fix(config: dict[str, Any]) -> Callable[[str, torch.Tensor], torch.Tensor]:
    heads, kv_heads = config.get("num_attention_heads"), config.get("num_key_value_heads")

    def fix(gguf_name: str, tensor: torch.Tensor) -> torch.Tensor:
        if heads is None or kv_heads is None:
            return tensor
        if ".attn_q." in gguf_name:
            return unpermute_rows(tensor, heads)
        if ".attn_k." in gguf_name:
            return unpermute_rows(tensor, kv_heads)
        return tensor

    return fix


def _gpt2_fix(config: dict[str, Any]) -> Callable[[str, torch.Tensor], torch.Tensor]:
    # GGUF stores GPT-2's Conv1D weights as (out, in) like a Linear; the reference keeps (in, out).
    transposed = ("attn_qkv.weight", "attn_output.weight", "ffn_up.weight", "ffn_down.weight")

    def fix(gguf_name: str, tensor: torch.Tensor) -> torch.Tensor:
        return tensor.t() if gguf_name.endswith(transposed) else tensor

    return fix


def _no_fix(config: dict[str, Any]) -> Callable[[str, torch.Tensor], torch.Tensor]:
    return lambda gguf_name, tensor: tensor


# Only llama.cpp's "llama" architecture permutes q/k (Mistral files are filed under it).
_TENSOR_FIXES: dict[str, Callable[[dict[str, Any]], Callable[[str, torch.Tensor], torch.Tensor]]] = {
    "llama": _llama_fix, "mistral": _llama_fix, "qwen2": _no_fix, "gpt2": _gpt2_fix,
}


def gguf_state_dict(gguf_file: Any, config: dict[str, Any], *, dtype: torch.dtype = torch.float32) -> dict[str, torch.Tensor]:
    """Every tensor of an open :class:`~embrace.io.gguf.GGUFFile`, dequantized, under reference names.

    Tensors with no counterpart in the model (``rope_freqs``, ...) are skipped with an info log.
    """
    from tqdm.auto import tqdm

    from embrace.hub._http import progress_bars_disabled

    model_type = config["model_type"]
    fix = _TENSOR_FIXES[model_type](config)
    state: dict[str, torch.Tensor] = {}
    for name in tqdm(list(gguf_file.tensors), desc="Dequantizing GGUF tensors", disable=progress_bars_disabled()):
        target = gguf_tensor_name(name, model_type)
        if target is None:
            logger.info("GGUF tensor %s has no counterpart in the %s model; skipped.", name, model_type)
            continue
        tensor = fix(name, gguf_file.get_tensor(name, dtype=torch.float32))
        state[target] = tensor.to(dtype).contiguous()
    return state


def load_gguf_checkpoint(path: str | os.PathLike, *, dtype: torch.dtype = torch.float32) -> tuple[dict, dict]:
    """``(config dict, state dict)`` of a GGUF file.

    Example:
        >>> load_gguf_checkpoint("/nonexistent.gguf")
        Traceback (most recent call last):
        ...
        FileNotFoundError: [Errno 2] No such file or directory: '/nonexistent.gguf'
    """
    from embrace.io.gguf import GGUFFile

    with GGUFFile(path) as gguf_file:
        config = gguf_config_dict(gguf_file.metadata, gguf_file.tensors)
        return config, gguf_state_dict(gguf_file, config, dtype=dtype)


def load_gguf_config(path: str | os.PathLike) -> dict[str, Any]:
    """The ``config.json`` fields of a GGUF file (tensors are not read)."""
    from embrace.io.gguf import GGUFFile

    with GGUFFile(path) as gguf_file:
        return gguf_config_dict(gguf_file.metadata, gguf_file.tensors)


# --- tokenizer ------------------------------------------------------------------------------

# llama.cpp token types
_NORMAL, _UNKNOWN, _CONTROL, _USER_DEFINED, _UNUSED, _BYTE = 1, 2, 3, 4, 5, 6


def _added_tokens(tokens: list[str], types: list[int], special_ids: set[int]) -> list[dict[str, Any]]:
    added = []
    for index, (token, kind) in enumerate(zip(tokens, types)):
        if kind in (_CONTROL, _USER_DEFINED) or index in special_ids:
            added.append({
                "id": index, "content": token, "single_word": False, "lstrip": False, "rstrip": False,
                "normalized": kind == _USER_DEFINED and index not in special_ids, "special": kind != _USER_DEFINED,
            })
    return added


def _gpt2_tokenizer(metadata: dict[str, Any], tokens: list[str]) -> dict[str, Any]:
    merges = [m.split(" ", 1) for m in metadata.get("tokenizer.ggml.merges", [])]
    return {
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "model": {
            # "" (not null) prefix/suffix: what the reference's byte-level converter writes.
            "type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
            "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
            "vocab": {token: index for index, token in enumerate(tokens)}, "merges": merges,
        },
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
    }


def _llama_tokenizer(metadata: dict[str, Any], tokens: list[str]) -> dict[str, Any]:
    unk_id = metadata.get("tokenizer.ggml.unknown_token_id", 0)
    merges = [m.split(" ", 1) for m in metadata.get("tokenizer.ggml.merges", [])]
    add_prefix = metadata.get("tokenizer.ggml.add_space_prefix", True)
    return {
        "normalizer": None,
        "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581",
                          "prepend_scheme": "first" if add_prefix else "never", "split": False},
        "model": {
            "type": "BPE", "dropout": None, "unk_token": tokens[unk_id] if 0 <= unk_id < len(tokens) else None,
            "continuing_subword_prefix": None, "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True,
            "ignore_merges": False, "vocab": {token: index for index, token in enumerate(tokens)}, "merges": merges,
        },
        "post_processor": None,
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
            {"type": "ByteFallback"},
            {"type": "Fuse"},
            *([{"type": "Strip", "content": " ", "start": 1, "stop": 0}] if add_prefix else []),
        ]},
    }


_TOKENIZER_BUILDERS: dict[str, Callable[[dict[str, Any], list[str]], dict[str, Any]]] = {
    "gpt2": _gpt2_tokenizer,
    "llama": _llama_tokenizer,
}


def gguf_tokenizer_json(metadata: dict[str, Any]) -> dict[str, Any]:
    """A ``tokenizer.json``-shaped dict from the GGUF tokenizer metadata.

    ``tokenizer.ggml.model`` picks the layout: ``"gpt2"`` (byte-level BPE with the file's
    merges) or ``"llama"`` (SentencePiece-style BPE: Metaspace, byte fallback). Control
    and user-defined tokens become ``added_tokens``. The chat template and special-token
    strings are under the extra key ``"tokenizer_config"`` for the tokenizer side.

    Example:
        >>> meta = {"tokenizer.ggml.model": "gpt2", "tokenizer.ggml.tokens": ["a", "b", "ab", "<s>"],
        ...         "tokenizer.ggml.token_type": [1, 1, 1, 3], "tokenizer.ggml.merges": ["a b"],
        ...         "tokenizer.ggml.bos_token_id": 3}
        >>> tok = gguf_tokenizer_json(meta)
        >>> tok["model"]["merges"], tok["added_tokens"][0]["content"], tok["tokenizer_config"]["bos_token"]
        ([['a', 'b']], '<s>', '<s>')
    """
    kind = metadata.get("tokenizer.ggml.model")
    if kind not in _TOKENIZER_BUILDERS:
        raise GGUFError(
            f"GGUF tokenizer model {kind!r} cannot be converted; supported: {sorted(_TOKENIZER_BUILDERS)}."
        )
    tokens = metadata.get("tokenizer.ggml.tokens")
    if not isinstance(tokens, list) or not tokens:
        raise GGUFError("The GGUF metadata has no tokenizer.ggml.tokens list; the file carries no tokenizer.")
    types = metadata.get("tokenizer.ggml.token_type") or [_NORMAL] * len(tokens)
    special = {
        name: metadata[key] for key, name in _TOKEN_ID_KEYS.items() if isinstance(metadata.get(key), int)
    }
    tokenizer = {"version": "1.0", "truncation": None, "padding": None}
    tokenizer["added_tokens"] = _added_tokens(tokens, types, set(special.values()))
    tokenizer.update(_TOKENIZER_BUILDERS[kind](metadata, tokens))
    config: dict[str, Any] = {
        name.replace("_id", ""): tokens[index] for name, index in special.items() if 0 <= index < len(tokens)
    }
    if "tokenizer.chat_template" in metadata:
        config["chat_template"] = metadata["tokenizer.chat_template"]
    for key in ("add_bos_token", "add_eos_token"):
        if f"tokenizer.ggml.{key}" in metadata:
            config[key] = metadata[f"tokenizer.ggml.{key}"]
    tokenizer["tokenizer_config"] = config
    return tokenizer


__all__ = [
    "CONFIG_KEYS", "gguf_config_dict", "gguf_model_type", "gguf_state_dict", "gguf_tensor_name",
    "gguf_tokenizer_json", "load_gguf_checkpoint", "load_gguf_config", "unpermute_rows",
]
