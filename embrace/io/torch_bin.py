"""Weights-only loading of PyTorch pickle checkpoints (``pytorch_model.bin``) and shard indexes.

A ``.bin`` checkpoint is a pickle, and unpickling can run arbitrary code. embrace never
runs pickle code: it only calls ``torch.load(..., weights_only=True)``, whose restricted
unpickler accepts tensors and plain containers and refuses every other global. A file that
needs more is refused with :class:`~embrace.errors.UnsafeCheckpointError`, naming the
global it asked for and how to convert the file to safetensors.

Sharded checkpoints come with an index (``pytorch_model.bin.index.json`` or
``model.safetensors.index.json``) mapping every parameter to the shard file holding it;
:func:`read_shard_index` validates it, refusing shard names that would escape the folder.

Example:
    >>> import os, tempfile, torch
    >>> from embrace.io.torch_bin import load_torch_bin
    >>> path = os.path.join(tempfile.mkdtemp(), "pytorch_model.bin")
    >>> torch.save({"linear.weight": torch.ones(2, 2)}, path)
    >>> load_torch_bin(path)["linear.weight"].shape
    torch.Size([2, 2])
"""

from __future__ import annotations

import json
import os
import pickle
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import torch

from embrace.errors import CheckpointError, UnsafeCheckpointError

__all__ = ["ShardIndex", "load_torch_bin", "read_shard_index"]

_ZIP_MAGIC = b"PK\x03\x04"
# torch names the refused global as "GLOBAL module.name" in its weights_only errors; a
# name that is not a dotted identifier comes from a pickle cut short, not from a global.
_GLOBAL = re.compile(r"GLOBAL (\S+)")
_QUALIFIED_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
_REASON = re.compile(r"(?:WeightsUnpickler error|Unpickler error):\s*(.+)")
_CONVERT_HINT = (
    "embrace never runs pickle code. If you trust this file, convert it once in a trusted environment: "
    "state_dict = torch.load(path, weights_only=False); "
    "embrace.safetensors.torch.save_file(state_dict, 'model.safetensors') "
    "(or model.save_pretrained(folder, safe_serialization=True)), and load the safetensors file instead."
)


def load_torch_bin(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """Load a PyTorch checkpoint that holds a flat ``{name: tensor}`` state dict, safely.

    Zip-format files (every ``torch.save`` since 1.6) are memory-mapped, so the tensors
    are views of the file (copy-on-write) rather than copies in memory.

    Raises:
        UnsafeCheckpointError: the pickle needs globals beyond tensors (it would run code).
        CheckpointError: the file is truncated, corrupt, not a torch checkpoint, or does
            not hold a flat dict of tensors.

    Example:
        >>> import os, tempfile, torch
        >>> from embrace.io.torch_bin import load_torch_bin
        >>> path = os.path.join(tempfile.mkdtemp(), "weights.bin")
        >>> torch.save({"w": torch.arange(3)}, path)
        >>> load_torch_bin(path)
        {'w': tensor([0, 1, 2])}
    """
    filename = os.fspath(path)
    with open(filename, "rb") as file:  # FileNotFoundError / IsADirectoryError as usual
        is_zip = file.read(4) == _ZIP_MAGIC
    try:
        with warnings.catch_warnings():
            # torch warns about unusual pickle protocols before refusing them; our error says more.
            warnings.filterwarnings("ignore", message="Detected pickle protocol", category=UserWarning)
            loaded = torch.load(filename, map_location="cpu", weights_only=True, mmap=is_zip)
    except pickle.UnpicklingError as error:
        message = str(error)
        if "Weights only load failed" not in message:
            raise _corrupt(filename, error) from None
        found = _GLOBAL.search(message)
        if found and not _QUALIFIED_NAME.fullmatch(found.group(1)):
            raise _corrupt(filename, EOFError("the pickle stream ends inside an instruction")) from None
        if found:
            reason = f"its pickle asks for the global {found.group(1)}, which is not a tensor or a plain container"
        else:
            detail = _REASON.search(message)
            reason = f"torch's weights-only unpickler refused it ({detail.group(1).strip() if detail else 'unsupported content'})"
        raise UnsafeCheckpointError(f"Refusing to load {filename}: {reason}. {_CONVERT_HINT}") from None
    except (RuntimeError, EOFError, KeyError, ValueError, IndexError, OSError) as error:
        raise _corrupt(filename, error) from None
    return _flat_state_dict(loaded, filename)


def _corrupt(filename: str, error: BaseException) -> CheckpointError:
    detail = str(error).split("\n")[0].split(". ")[0][:200] or type(error).__name__
    return CheckpointError(
        f"Cannot read {filename} as a PyTorch checkpoint: it is truncated, corrupt or not a torch.save file "
        f"({detail}). Download or save it again."
    )


def _flat_state_dict(loaded: Any, filename: str) -> dict[str, torch.Tensor]:
    if not isinstance(loaded, dict):
        raise CheckpointError(
            f"{filename} holds a {type(loaded).__name__}, not a state dict (a dict of name -> tensor)."
        )
    others = [(key, value) for key, value in loaded.items() if not (isinstance(key, str) and isinstance(value, torch.Tensor))]
    if others:
        listed = ", ".join(f"{key!r}: {type(value).__name__}" for key, value in others[:5])
        nested = [key for key, value in others if isinstance(value, dict)]
        hint = f" The weights may be nested under {nested[0]!r}; save that dict on its own." if nested else ""
        raise CheckpointError(
            f"{filename} is not a flat state dict: entries {listed} are not name -> tensor.{hint}"
        )
    return dict(loaded)


# --- sharded index --------------------------------------------------------------------


@dataclass(frozen=True)
class ShardIndex:
    """A validated shard index: its metadata, the parameter -> shard map, the shard names.

    Example:
        >>> from embrace.io.torch_bin import ShardIndex
        >>> index = ShardIndex(metadata={}, weight_map={"a": "s2.bin", "b": "s1.bin", "c": "s2.bin"})
        >>> index.shard_files
        ['s1.bin', 's2.bin']
    """

    metadata: dict[str, Any]
    weight_map: dict[str, str]
    shard_files: list[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "shard_files", sorted(set(self.weight_map.values())))


def _check_shard_name(shard: Any, parameter: str, index_file: str) -> None:
    if not isinstance(shard, str) or not shard:
        raise CheckpointError(f"{index_file}: weight_map[{parameter!r}] must be a shard file name, got {shard!r}.")
    if (
        shard in (".", "..")
        or "/" in shard
        or "\\" in shard
        or "\x00" in shard
        or os.path.isabs(shard)
        or (len(shard) > 1 and shard[1] == ":")  # a Windows drive such as C:
    ):
        raise CheckpointError(
            f"{index_file}: weight_map[{parameter!r}] names the shard {shard!r}, which is not a plain file name in "
            "the checkpoint folder. Shard names may not contain path separators or '..' (that would read files "
            "outside the folder); fix or regenerate the index."
        )


def read_shard_index(index_file: str | os.PathLike) -> ShardIndex:
    """Read and validate ``*.index.json`` of a sharded checkpoint.

    The file must be a JSON object with a ``weight_map`` object of parameter name -> shard
    file name and an optional ``metadata`` object. Every shard name must be a plain file
    name inside the index's folder.

    Example:
        >>> import json, os, tempfile
        >>> from embrace.io.torch_bin import read_shard_index
        >>> folder = tempfile.mkdtemp()
        >>> path = os.path.join(folder, "model.safetensors.index.json")
        >>> weight_map = {"a.weight": "model-00001-of-00002.safetensors", "b.weight": "model-00002-of-00002.safetensors"}
        >>> with open(path, "w") as f:
        ...     json.dump({"metadata": {"total_size": 64}, "weight_map": weight_map}, f)
        >>> read_shard_index(path).shard_files
        ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']
    """
    filename = os.fspath(index_file)
    with open(filename, "rb") as file:
        raw = file.read()
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise CheckpointError(f"{filename} is not valid JSON ({error}); download or regenerate the index.") from None
    if not isinstance(document, dict):
        raise CheckpointError(f"{filename} must hold a JSON object, got {type(document).__name__}.")
    weight_map = document.get("weight_map")
    if not isinstance(weight_map, dict):
        raise CheckpointError(
            f"{filename} has no 'weight_map' object (parameter name -> shard file); it is not a shard index."
        )
    metadata = document.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise CheckpointError(f"{filename}: 'metadata' must be an object, got {type(metadata).__name__}.")
    for parameter, shard in weight_map.items():
        _check_shard_name(shard, parameter, filename)
    return ShardIndex(metadata=metadata, weight_map=dict(weight_map))
