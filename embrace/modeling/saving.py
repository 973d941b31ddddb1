"""``save_pretrained``: write ``config.json`` and the weights in the reference layout.

Weights go to ``model.safetensors`` (metadata ``{"format": "pt"}``), or to
``model-00001-of-0000N.safetensors`` shards plus ``model.safetensors.index.json`` when
they exceed ``max_shard_size``. Tied parameters are written once. Every file is written
under a temporary name and moved into place with ``os.replace``, so an interrupted save
never leaves a half-written file under a real name.

The method ``PreTrainedModel.save_pretrained`` is :func:`save_pretrained` below; its
docstring has a worked example.
"""

from __future__ import annotations

import json
import logging
import os
import re
import uuid
from dataclasses import dataclass
from typing import Any, Callable

import torch
from torch import nn

from embrace.errors import CheckpointError
from embrace.modeling.loading import (
    SAFE_WEIGHTS_INDEX_NAME,
    SAFE_WEIGHTS_NAME,
    WEIGHTS_INDEX_NAME,
    WEIGHTS_NAME,
    add_variant,
)

logger = logging.getLogger("embrace.modeling.modeling_utils")

_SIZE_UNITS = {"TB": 10**12, "GB": 10**9, "MB": 10**6, "KB": 10**3}
_SHARD_NAME = re.compile(r"(.*?)-\d{5}-of-\d{5}")


def parse_size_to_int(size: int | str) -> int:
    """``"5GB"`` -> ``5_000_000_000`` (decimal units TB/GB/MB/KB, like the reference).

    Example:
        >>> parse_size_to_int("50KB")
        50000
    """
    if isinstance(size, int):
        return size
    text = str(size).strip()
    unit = text[-2:].upper()
    if unit not in _SIZE_UNITS:
        raise ValueError(f"max_shard_size={size!r} has no supported unit (TB, GB, MB, KB); write it like '5GB', '500MB' or '50KB', or pass an int of bytes.")
    try:
        value = float(text[:-2].strip())
    except ValueError:
        raise ValueError(f"max_shard_size={size!r} does not start with a number; write it like '5GB'.") from None
    return int(value * _SIZE_UNITS[unit])


def _storage_nbytes(tensor: torch.Tensor) -> int:
    return tensor.untyped_storage().nbytes()


def _storage_key(tensor: torch.Tensor) -> tuple:
    return (tensor.device, tensor.untyped_storage().data_ptr(), _storage_nbytes(tensor))


@dataclass
class StateDictSplit:
    """How tensors are spread over files: names per file, file per name, and totals."""

    filename_to_tensors: dict[str, list[str]]
    tensor_to_filename: dict[str, str]
    metadata: dict[str, int]

    @property
    def is_sharded(self) -> bool:
        return len(self.filename_to_tensors) > 1


def split_state_dict_into_shards(
    state_dict: dict[str, torch.Tensor], *, filename_pattern: str, max_shard_size: int | str
) -> StateDictSplit:
    """Greedily cut ``state_dict`` (in key order) into shards of at most ``max_shard_size`` bytes.

    A tensor bigger than the limit gets a shard of its own. Names are
    ``filename_pattern.format(suffix="-00001-of-00003")`` (``suffix=""`` when one file).

    Example:
        >>> import torch
        >>> split = split_state_dict_into_shards({"a": torch.zeros(10), "b": torch.zeros(10)},
        ...                                      filename_pattern="model{suffix}.safetensors", max_shard_size=50)
        >>> split.filename_to_tensors
        {'model-00001-of-00002.safetensors': ['a'], 'model-00002-of-00002.safetensors': ['b']}
    """
    limit = parse_size_to_int(max_shard_size)
    shards: list[list[str]] = []
    current: list[str] = []
    current_size = 0
    total = 0
    seen_storage: dict[tuple, list[str]] = {}
    for name, tensor in state_dict.items():
        key = _storage_key(tensor) if tensor.device.type != "meta" else None
        if key is not None and key in seen_storage:
            seen_storage[key].append(name)  # travels with the first tensor of its storage
            continue
        if key is not None:
            seen_storage[key] = [name]
        size = _storage_nbytes(tensor)
        total += size
        if size > limit:
            shards.append([name])
            continue
        if current_size + size > limit and current:
            shards.append(current)
            current, current_size = [], 0
        current.append(name)
        current_size += size
    if current:
        shards.append(current)
    for names in seen_storage.values():
        for shard in shards:
            if names[0] in shard:
                shard.extend(n for n in names[1:] if n not in shard)
                break
    if len(shards) <= 1:
        filename = filename_pattern.format(suffix="")
        names = shards[0] if shards else []
        return StateDictSplit({filename: names}, {n: filename for n in names}, {"total_size": total})
    count = len(shards)
    to_tensors: dict[str, list[str]] = {}
    to_file: dict[str, str] = {}
    for index, names in enumerate(shards):
        filename = filename_pattern.format(suffix=f"-{index + 1:05d}-of-{count:05d}")
        to_tensors[filename] = names
        to_file.update({n: filename for n in names})
    return StateDictSplit(to_tensors, to_file, {"total_size": total})


def _tied_patterns(model: nn.Module) -> list[str]:
    """Names (used as regex patterns, like the reference) declared as tied copies anywhere in the model."""
    patterns: list[str] = []
    for prefix, module in model.named_modules():
        keys = getattr(module, "_tied_weights_keys", None) or {}
        patterns.extend(f"{prefix}.{k}" if prefix else k for k in keys)
    return patterns


def _end_ptr(tensor: torch.Tensor) -> int:
    if tensor.nelement():
        return tensor.view(-1)[-1].data_ptr() + tensor.element_size()
    return tensor.data_ptr()


def remove_tied_weights(state_dict: dict[str, torch.Tensor], model: nn.Module) -> dict[str, torch.Tensor]:
    """Drop the declared tied copies of shared tensors so each storage is written once.

    Among names sharing one tensor, those matching a ``_tied_weights_keys`` entry are
    removed (one name always stays). Shared tensors nobody declared are cloned so each
    name still gets its own data (the reference raises instead; see the module notes).
    """
    groups: dict[tuple, list[str]] = {}
    for name, tensor in state_dict.items():
        if tensor.device.type == "meta":
            continue
        groups.setdefault(_storage_key(tensor), []).append(name)
    patterns = _tied_patterns(model)
    out = dict(state_dict)
    for names in groups.values():
        if len(names) < 2:
            continue
        by_region: dict[tuple[int, int], list[str]] = {}
        for name in names:
            tensor = out[name]
            by_region.setdefault((tensor.data_ptr(), _end_ptr(tensor)), []).append(name)
        for region_names in by_region.values():
            ordered = sorted(region_names)
            dropped = 0
            for name in ordered:
                if dropped < len(ordered) - 1 and any(re.search(p, name) for p in patterns):
                    del out[name]
                    dropped += 1
        survivors = [n for n in names if n in out]
        if len(survivors) > 1:
            first = survivors[0]
            for name in survivors[1:]:
                same = out[name].data_ptr() == out[first].data_ptr() and out[name].shape == out[first].shape
                if same:
                    logger.warning(
                        "%s and %s share memory but are not declared in _tied_weights_keys; saving a separate "
                        "copy of %s.",
                        first,
                        name,
                        name,
                    )
                out[name] = out[name].clone()
    return out


def _temp_name(path: str) -> str:
    folder, name = os.path.split(path)
    return os.path.join(folder, f".{name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")


def _safetensors_writer() -> Callable[..., None]:
    try:
        from embrace.safetensors.torch import save_file
    except ImportError:
        from embrace.safetensors import save_file  # type: ignore[no-redef]
    return save_file


def save_pretrained(
    model: Any,
    save_directory: str | os.PathLike,
    *,
    is_main_process: bool = True,
    state_dict: dict[str, torch.Tensor] | None = None,
    save_function: Callable[..., Any] | None = None,
    push_to_hub: bool = False,
    max_shard_size: int | str = "50GB",
    safe_serialization: bool = True,
    variant: str | None = None,
    token: str | bool | None = None,
    save_peft_format: bool = True,
    save_original_format: bool = True,
    **kwargs: Any,
) -> None:
    """Write ``config.json`` and the weights so embrace and the reference both load them.

    Weights go to ``model.safetensors`` (or ``model-0000i-of-0000n.safetensors`` plus
    ``model.safetensors.index.json`` above ``max_shard_size``), tied weights once.
    Files are written under temporary names and renamed into place, so an
    interrupted save never leaves a half-written file; weight files of an earlier
    save that this one does not replace are removed.

    Args:
        save_directory: folder to write into (created if needed).
        is_main_process: only the main process writes (distributed training).
        state_dict: tensors to save instead of ``self.state_dict()``.
        save_function: replaces ``torch.save`` for ``.bin`` files.
        push_to_hub: upload the folder afterwards (``repo_id=``, ``commit_message=``,
            ``private=``, ``create_pr=`` are passed on).
        max_shard_size: largest shard (``"50GB"`` default, ``"500MB"``, or bytes).
        safe_serialization: ``False`` writes ``pytorch_model.bin`` instead (v4 habit).
        variant: name files ``model.<variant>.safetensors``.
        token: hub token for ``push_to_hub``.
        save_peft_format, save_original_format: accepted for compatibility.

    Raises:
        CheckpointError: ``save_directory`` is an existing file.
        TypeError: an unknown keyword argument.

    Example:
        >>> import os, tempfile
        >>> from embrace.models.bert import BertConfig, BertForMaskedLM
        >>> model = BertForMaskedLM(BertConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        ...                                    intermediate_size=32, vocab_size=50))
        >>> folder = tempfile.mkdtemp()
        >>> model.save_pretrained(folder, max_shard_size="20KB")
        >>> sorted(os.listdir(folder))
        ['config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json']
    """
    hub_options = {k: kwargs.pop(k) for k in ("repo_id", "commit_message", "private", "create_pr", "revision") if k in kwargs}
    kwargs.pop("distributed_checkpoint", None)
    if kwargs:
        raise TypeError(f"save_pretrained got unexpected keyword arguments: {', '.join(sorted(kwargs))}.")
    save_directory = os.fspath(save_directory)
    if os.path.isfile(save_directory):
        raise CheckpointError(f"save_pretrained needs a directory, but {save_directory} is a file. Pass a folder path.")
    os.makedirs(save_directory, exist_ok=True)

    config = model.config
    config.dtype = str(model.dtype).split(".")[1]
    name = type(model).__name__
    if name.startswith("FSDP") and any(base.__name__ == name[4:] for base in type(model).__bases__):
        name = name[4:]  # torch's fully_shard swaps the class for a generated FSDP<Name> subclass
    config.architectures = [name]

    if state_dict is None:
        state_dict = model.state_dict()
    state_dict = {k: v for k, v in state_dict.items() if isinstance(v, torch.Tensor)}
    for key in getattr(model, "_keys_to_ignore_on_save", None) or []:
        state_dict.pop(key, None)
    state_dict = remove_tied_weights(state_dict, model)

    if safe_serialization:
        weights_name, index_name = add_variant(SAFE_WEIGHTS_NAME, variant), add_variant(SAFE_WEIGHTS_INDEX_NAME, variant)
    else:
        weights_name, index_name = add_variant(WEIGHTS_NAME, variant), add_variant(WEIGHTS_INDEX_NAME, variant)
    pattern = weights_name.replace(".bin", "{suffix}.bin").replace(".safetensors", "{suffix}.safetensors")
    split = split_state_dict_into_shards(state_dict, filename_pattern=pattern, max_shard_size=max_shard_size)

    if not is_main_process:
        return

    # Write every file under a temporary name first; only when all succeeded move them
    # into place, so a failure leaves the previous save (if any) untouched.
    written: list[tuple[str, str]] = []
    try:
        for filename, names in split.filename_to_tensors.items():
            shard = {}
            for name in names:
                tensor = state_dict[name].detach()
                if tensor.device.type != "cpu":
                    tensor = tensor.cpu()
                shard[name] = tensor.contiguous()
            final = os.path.join(save_directory, filename)
            temp = _temp_name(final)
            written.append((temp, final))
            if safe_serialization:
                _safetensors_writer()(shard, temp, metadata={"format": "pt"})
            else:
                # Own storages only: torch.save would otherwise write whole shared buffers.
                shard = {k: (v.clone() if _storage_nbytes(v) != v.numel() * v.element_size() else v) for k, v in shard.items()}
                (save_function or torch.save)(shard, temp)
            del shard
        if split.is_sharded:
            index = {
                "metadata": {"total_parameters": model.num_parameters(), **split.metadata},
                "weight_map": split.tensor_to_filename,
            }
            final = os.path.join(save_directory, index_name)
            temp = _temp_name(final)
            written.append((temp, final))
            with open(temp, "w", encoding="utf-8") as handle:
                handle.write(json.dumps(index, indent=2, sort_keys=True) + "\n")
        for temp, final in written:
            os.replace(temp, final)
    except BaseException:
        for temp, _ in written:
            if os.path.exists(temp):
                os.remove(temp)
        raise

    _remove_stale_files(save_directory, weights_name, index_name, split)
    config.save_pretrained(save_directory)
    if getattr(model, "can_generate", lambda: False)() and getattr(model, "generation_config", None) is not None:
        model.generation_config.save_pretrained(save_directory)
    if split.is_sharded:
        logger.info(
            "The model is bigger than the maximum size per checkpoint (%s) and is split in %d shards; the index "
            "is at %s.",
            max_shard_size,
            len(split.filename_to_tensors),
            os.path.join(save_directory, index_name),
        )
    else:
        logger.info("Model weights saved in %s", os.path.join(save_directory, weights_name))

    if push_to_hub:
        from embrace.hub.push import push_folder

        push_folder(save_directory, default_message="Upload model", token=token, **hub_options)


def _remove_stale_files(folder: str, weights_name: str, index_name: str, split: StateDictSplit) -> None:
    """Delete weight files of an earlier save that this save does not replace.

    Old shards of the same kind go (as in the reference); so does a lone weights file
    when the new save is sharded and a stale index when it is not, which would
    otherwise shadow or contradict the files just written.
    """
    stem = weights_name.replace(".bin", "").replace(".safetensors", "")
    for filename in os.listdir(folder):
        path = os.path.join(folder, filename)
        if not os.path.isfile(path) or filename in split.filename_to_tensors:
            continue
        bare = filename.replace(".bin", "").replace(".safetensors", "")
        if filename.startswith(stem) and _SHARD_NAME.fullmatch(bare) is not None and filename.endswith(weights_name.rsplit(".", 1)[-1]):
            os.remove(path)
    if split.is_sharded and os.path.isfile(os.path.join(folder, weights_name)):
        os.remove(os.path.join(folder, weights_name))
    if not split.is_sharded and os.path.isfile(os.path.join(folder, index_name)):
        os.remove(os.path.join(folder, index_name))
