"""Adapter weights to and from disk: ``adapter_model.safetensors`` with the reference's key names.

On disk the adapter name is dropped (``...q_proj.lora_A.default.weight`` is stored as
``...q_proj.lora_A.weight``, and ``...score.modules_to_save.default.weight`` as
``...score.weight``), so a folder can be loaded under any adapter name, here or in the
reference PEFT library. The mapping is built from the model's own LoRA layers, in both
directions, so saving and loading cannot drift apart.

Example:
    >>> from torch import nn
    >>> from embrace.peft import LoraConfig, get_peft_model, get_peft_model_state_dict
    >>> model = get_peft_model(nn.Sequential(nn.Linear(4, 4)), LoraConfig(target_modules=["0"], r=2))
    >>> sorted(get_peft_model_state_dict(model))
    ['base_model.model.0.lora_A.weight', 'base_model.model.0.lora_B.weight']
"""

from __future__ import annotations

import os
from typing import Any

import torch
from torch import nn

from embrace.errors import CheckpointError
from embrace.hub.resolve import resolve_file
from embrace.peft.lora import LoraLayer, ModulesToSaveWrapper
from embrace.safetensors.torch import load_file, save_file

WEIGHTS_NAME = "adapter_model.safetensors"
# Pickled adapters (adapter_model.bin) are not read: loading them would run pickle code.


def _adapter_keys(model: nn.Module, adapter_name: str) -> dict[str, str]:
    """Model state-dict key -> file key, for every tensor of ``adapter_name`` (biases aside)."""
    mapping: dict[str, str] = {}
    for path, module in model.named_modules():
        prefix = f"{path}." if path else ""
        if isinstance(module, LoraLayer):
            for holder_name in ("lora_A", "lora_B", "lora_embedding_A", "lora_embedding_B"):
                holder = module._modules.get(holder_name)
                if holder is None or adapter_name not in holder:
                    continue
                for key, _ in holder.state_dict(prefix=f"{prefix}{holder_name}.").items():
                    if f".{holder_name}.{adapter_name}" in key:
                        mapping[key] = key.replace(f".{holder_name}.{adapter_name}", f".{holder_name}", 1)
        elif isinstance(module, ModulesToSaveWrapper) and adapter_name in module.modules_to_save:
            for key in module.modules_to_save[adapter_name].state_dict():
                mapping[f"{prefix}modules_to_save.{adapter_name}.{key}"] = f"{prefix}{key}"
    return mapping


def _bias_keys(model: nn.Module, bias: str, state_dict: dict[str, torch.Tensor]) -> list[str]:
    if bias == "all":
        return [key for key in state_dict if key == "bias" or key.endswith(".bias")]
    if bias == "lora_only":
        return [
            f"{path}.base_layer.bias" for path, module in model.named_modules()
            if isinstance(module, LoraLayer) and f"{path}.base_layer.bias" in state_dict
        ]
    return []


def get_peft_model_state_dict(
    model: nn.Module, state_dict: dict[str, torch.Tensor] | None = None, adapter_name: str = "default"
) -> dict[str, torch.Tensor]:
    """The tensors of one adapter, keyed as the file stores them (adapter name removed)."""
    config = model.peft_config[adapter_name]
    if state_dict is None:
        state_dict = model.state_dict()
    out = {file_key: state_dict[key] for key, file_key in _adapter_keys(model, adapter_name).items() if key in state_dict}
    for key in _bias_keys(model, config.bias, state_dict):
        out[key] = state_dict[key]
    return out


def set_peft_model_state_dict(
    model: nn.Module, peft_model_state_dict: dict[str, torch.Tensor], adapter_name: str = "default"
) -> list[str]:
    """Load file-keyed adapter tensors into ``adapter_name``; returns nothing missing or raises.

    Every tensor must land on a parameter of the model and every parameter of the adapter must
    be filled, otherwise :class:`~embrace.errors.CheckpointError` says which keys do not fit.
    Returns the keys found in the file that only set base-model biases (for ``bias != "none"``).
    """
    mapping = {file_key: key for key, file_key in _adapter_keys(model, adapter_name).items()}
    model_state = model.state_dict()
    renamed: dict[str, torch.Tensor] = {}
    unexpected = []
    for file_key, tensor in peft_model_state_dict.items():
        key = mapping.get(file_key, file_key)
        if key not in model_state:
            unexpected.append(file_key)
        else:
            renamed[key] = tensor
    missing = sorted(set(mapping.values()) - set(renamed))
    if unexpected or missing:
        raise CheckpointError(
            f"The adapter weights do not fit this model: unexpected keys {sorted(unexpected)[:5]}, missing keys "
            f"{missing[:5]}. Load the adapter onto the base model it was trained on, with the same config."
        )
    for key, tensor in renamed.items():
        if tensor.shape != model_state[key].shape:
            raise CheckpointError(
                f"Adapter tensor {key!r} has shape {tuple(tensor.shape)} but the model expects "
                f"{tuple(model_state[key].shape)}; the adapter's r or the base model differs."
            )
    model.load_state_dict(renamed, strict=False)
    return [key for key in renamed if key not in mapping.values()]


def save_adapter_weights(model: nn.Module, save_directory: str | os.PathLike, adapter_name: str) -> None:
    """Write ``adapter_model.safetensors`` for one adapter (save_file replaces it atomically)."""
    tensors = {key: tensor.detach().contiguous() for key, tensor in get_peft_model_state_dict(model, adapter_name=adapter_name).items()}
    # Tied or sliced tensors must not share storage in a safetensors file.
    seen: set[int] = set()
    for key, tensor in tensors.items():
        if tensor.untyped_storage().data_ptr() in seen:
            tensors[key] = tensor.clone()
        seen.add(tensors[key].untyped_storage().data_ptr())
    save_file(tensors, os.path.join(save_directory, WEIGHTS_NAME), metadata={"format": "pt"})


def load_adapter_weights(
    model_id: str | os.PathLike, *, subfolder: str = "", revision: str | None = None, cache_dir: Any = None,
    local_files_only: bool = False, token: str | bool | None = None, device: str | torch.device = "cpu",
) -> dict[str, torch.Tensor]:
    """Read ``adapter_model.safetensors`` from a folder or hub repo."""
    path = resolve_file(
        model_id, WEIGHTS_NAME, subfolder=subfolder, revision=revision, cache_dir=cache_dir,
        local_files_only=local_files_only, token=token,
    )
    return load_file(path, device=str(device))
