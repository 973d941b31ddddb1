"""LoRA layers and the tuner that puts them into a model.

A targeted layer is wrapped, not edited: ``seq.0`` becomes a :class:`Linear` whose
``base_layer`` is the original ``nn.Linear`` and whose ``lora_A`` / ``lora_B`` hold one small
``nn.Linear`` per named adapter. The output is ``base(x) + B(A(dropout(x))) * scaling``.
Parameter paths are the reference's (``seq.0.lora_A.default.weight``,
``seq.4.modules_to_save.default.weight``), so state dicts line up with the reference PEFT.

Merging folds ``B @ A * scaling`` into the base weight. We compute it in float32 and cast
once, so a bf16 model's merged weight equals the float32 merge rounded to bf16.

Example:
    >>> import torch
    >>> from torch import nn
    >>> from embrace.peft.lora import Linear
    >>> layer = Linear(nn.Linear(4, 3), "default", r=2, lora_alpha=4)
    >>> [name for name, _ in layer.named_parameters()]
    ['base_layer.weight', 'base_layer.bias', 'lora_A.default.weight', 'lora_B.default.weight']
    >>> layer(torch.ones(1, 4)).shape
    torch.Size([1, 3])
"""

from __future__ import annotations

import copy
import math
import re
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from embrace.errors import ConfigError
from embrace.models.gpt2 import Conv1D
from embrace.peft.config import INCLUDE_LINEAR_LAYERS_SHORTHAND, LoraConfig, TaskType
from embrace.utils.logging import get_logger

logger = get_logger(__name__)

# Parameters whose name holds this marker belong to an adapter (the reference's convention).
ADAPTER_PREFIX = "lora_"
# Heads that "all-linear" leaves alone on classification models, and that the task wrappers
# train in full (the reference's conventional names).
SEQ_CLS_HEAD_NAMES = ("classifier", "score")
QA_HEAD_NAMES = ("qa_outputs",)


class LoraLayer(nn.Module):
    """Common state of a LoRA-wrapped layer: per-adapter rank, alpha, scaling and merge record."""

    def __init__(self, base_layer: nn.Module) -> None:
        super().__init__()
        self.base_layer = base_layer
        self.r: dict[str, int] = {}
        self.lora_alpha: dict[str, float] = {}
        self.scaling: dict[str, float] = {}
        self.lora_dropout = nn.ModuleDict()
        self.merged_adapters: list[str] = []
        self.active_adapters: list[str] = []
        self.disable_adapters = False

    @property
    def merged(self) -> bool:
        return bool(self.merged_adapters)

    @property
    def adapter_names(self) -> list[str]:
        return list(self.r)

    def _adapter_modules(self) -> list[nn.Module]:
        raise NotImplementedError  # each layer type lists its own ModuleDict/ParameterDict holders

    def update_layer(self, adapter_name: str, config: LoraConfig, *, autocast_adapter_dtype: bool = True) -> None:
        """Add adapter ``adapter_name`` with ``config``'s rank, alpha, dropout and initialization."""
        self.r[adapter_name] = config.r
        self.lora_alpha[adapter_name] = config.lora_alpha
        self.scaling[adapter_name] = config.scaling
        self.lora_dropout[adapter_name] = nn.Dropout(config.lora_dropout) if config.lora_dropout > 0 else nn.Identity()
        self._create_weights(adapter_name, config)
        self._move_to_base(adapter_name, autocast_adapter_dtype)
        self.set_adapter(self.active_adapters or [adapter_name])

    def _create_weights(self, adapter_name: str, config: LoraConfig) -> None:
        raise NotImplementedError

    def _base_weight(self) -> torch.Tensor:
        return self.base_layer.weight

    def _move_to_base(self, adapter_name: str, autocast_adapter_dtype: bool) -> None:
        # Adapters live on the base layer's device; half-precision bases get float32 adapters
        # (the reference's autocast_adapter_dtype) so small updates are not rounded away.
        # The reference first casts to the base dtype, then up: init values are bf16-representable
        # there, and we keep that so a fixed seed gives identical adapters.
        weight = self._base_weight()
        dtype = weight.dtype if weight.dtype.is_floating_point else torch.float32
        upcast = autocast_adapter_dtype and dtype in (torch.float16, torch.bfloat16)
        for holder in self._adapter_modules():
            if adapter_name in holder:
                moved = holder[adapter_name].to(device=weight.device, dtype=dtype)
                holder[adapter_name] = moved.to(torch.float32) if upcast else moved

    def set_adapter(self, adapter_names: str | list[str]) -> None:
        """Make ``adapter_names`` active; only active adapters' weights require grad."""
        names = [adapter_names] if isinstance(adapter_names, str) else list(adapter_names)
        for holder in self._adapter_modules():
            for key, value in holder.items():
                value.requires_grad_(key in names)
        self.active_adapters = names

    def delete_adapter(self, adapter_name: str) -> None:
        if adapter_name in self.merged_adapters:
            raise ConfigError(f"Adapter {adapter_name!r} is merged; unmerge it before deleting it.")
        for table in (self.r, self.lora_alpha, self.scaling):
            table.pop(adapter_name, None)
        for holder in (self.lora_dropout, *self._adapter_modules()):
            if adapter_name in holder:
                del holder[adapter_name]
        self.active_adapters = [name for name in self.active_adapters if name != adapter_name]

    def get_delta_weight(self, adapter_name: str) -> torch.Tensor:
        """``B @ A * scaling`` in float32, laid out like the base weight."""
        raise NotImplementedError

    def merge(self, adapter_names: list[str] | None = None, *, safe_merge: bool = False) -> None:
        """Fold adapters into the base weight (float32 arithmetic, one cast back)."""
        weight = self._base_weight()
        for name in adapter_names if adapter_names is not None else self.active_adapters:
            if name not in self.r or name in self.merged_adapters:
                continue
            merged = weight.data.float() + self.get_delta_weight(name)
            if safe_merge and not torch.isfinite(merged).all():
                raise ValueError(f"Merging adapter {name!r} produced NaN/inf weights; the adapter is broken.")
            weight.data = merged.to(weight.dtype)
            self.merged_adapters.append(name)

    def unmerge(self) -> None:
        """Take merged adapters back out of the base weight (last merged first)."""
        weight = self._base_weight()
        while self.merged_adapters:
            name = self.merged_adapters.pop()
            weight.data = (weight.data.float() - self.get_delta_weight(name)).to(weight.dtype)

    def forward(self, x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
        if self.disable_adapters:
            if self.merged:
                self.unmerge()
            return self.base_layer(x, *args, **kwargs)
        result = self.base_layer(x, *args, **kwargs)
        if self.merged:
            return result
        out_dtype = result.dtype
        for name in self.active_adapters:
            if name in self.r:
                result = result + self._adapter_output(name, x)
        return result.to(out_dtype)

    def _adapter_output(self, adapter_name: str, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def __repr__(self) -> str:
        return "lora." + super().__repr__()


class Linear(LoraLayer):
    """LoRA around ``nn.Linear`` or GPT-2's ``Conv1D`` (``fan_in_fan_out``: weight stored (in, out)).

    Example:
        >>> from torch import nn
        >>> Linear(nn.Linear(8, 8), "default", r=2).lora_B["default"].weight.abs().sum().item()
        0.0
    """

    def __init__(
        self,
        base_layer: nn.Module,
        adapter_name: str,
        *,
        r: int = 8,
        lora_alpha: int = 8,
        lora_dropout: float = 0.0,
        fan_in_fan_out: bool = False,
        init_lora_weights: bool | str = True,
        use_rslora: bool = False,
        config: LoraConfig | None = None,
        autocast_adapter_dtype: bool = True,
    ) -> None:
        super().__init__(base_layer)
        is_conv1d = isinstance(base_layer, Conv1D)
        if fan_in_fan_out != is_conv1d:
            # The weight layout is a property of the layer type; follow it rather than the flag.
            logger.warning("fan_in_fan_out=%s does not fit %s; using %s.", fan_in_fan_out, type(base_layer).__name__, is_conv1d)
        self.fan_in_fan_out = is_conv1d
        weight = base_layer.weight
        self.in_features, self.out_features = (weight.shape[0], weight.shape[1]) if is_conv1d else (weight.shape[1], weight.shape[0])
        self.lora_A = nn.ModuleDict()
        self.lora_B = nn.ModuleDict()
        if config is None:
            config = LoraConfig(
                r=r, lora_alpha=lora_alpha, lora_dropout=lora_dropout, init_lora_weights=init_lora_weights,
                use_rslora=use_rslora, target_modules=[],
            )
        self.update_layer(adapter_name, config, autocast_adapter_dtype=autocast_adapter_dtype)

    def _adapter_modules(self) -> list[nn.Module]:
        return [self.lora_A, self.lora_B]

    def _create_weights(self, adapter_name: str, config: LoraConfig) -> None:
        # Built as nn.Linear then re-initialized: the same random draws, in the same order, as the
        # reference, so a fixed seed gives identical adapters.
        self.lora_A[adapter_name] = nn.Linear(self.in_features, config.r, bias=False)
        self.lora_B[adapter_name] = nn.Linear(config.r, self.out_features, bias=False)
        if config.init_lora_weights is True:
            nn.init.kaiming_uniform_(self.lora_A[adapter_name].weight, a=math.sqrt(5))
        elif config.init_lora_weights == "gaussian":
            nn.init.normal_(self.lora_A[adapter_name].weight, std=1 / config.r)
        if config.init_lora_weights is not False:
            nn.init.zeros_(self.lora_B[adapter_name].weight)

    def get_delta_weight(self, adapter_name: str) -> torch.Tensor:
        delta = self.lora_B[adapter_name].weight.float() @ self.lora_A[adapter_name].weight.float()  # (out, in)
        delta = delta * self.scaling[adapter_name]
        return delta.T if self.fan_in_fan_out else delta

    def _adapter_output(self, adapter_name: str, x: torch.Tensor) -> torch.Tensor:
        lora_A, lora_B = self.lora_A[adapter_name], self.lora_B[adapter_name]
        x = x.to(lora_A.weight.dtype)
        return lora_B(lora_A(self.lora_dropout[adapter_name](x))) * self.scaling[adapter_name]


class Embedding(LoraLayer):
    """LoRA around ``nn.Embedding``: ``lora_embedding_A`` (r, vocab) and ``lora_embedding_B`` (dim, r).

    Example:
        >>> import torch
        >>> from torch import nn
        >>> layer = Embedding(nn.Embedding(10, 4), "default", r=2)
        >>> layer(torch.tensor([[1, 2]])).shape
        torch.Size([1, 2, 4])
    """

    def __init__(
        self,
        base_layer: nn.Embedding,
        adapter_name: str,
        *,
        r: int = 8,
        lora_alpha: int = 8,
        lora_dropout: float = 0.0,
        init_lora_weights: bool | str = True,
        use_rslora: bool = False,
        config: LoraConfig | None = None,
        autocast_adapter_dtype: bool = True,
    ) -> None:
        super().__init__(base_layer)
        self.in_features, self.out_features = base_layer.num_embeddings, base_layer.embedding_dim
        self.lora_embedding_A = nn.ParameterDict()
        self.lora_embedding_B = nn.ParameterDict()
        if config is None:
            config = LoraConfig(
                r=r, lora_alpha=lora_alpha, lora_dropout=lora_dropout, init_lora_weights=init_lora_weights,
                use_rslora=use_rslora, target_modules=[],
            )
        self.update_layer(adapter_name, config, autocast_adapter_dtype=autocast_adapter_dtype)

    def _adapter_modules(self) -> list[nn.Module]:
        return [self.lora_embedding_A, self.lora_embedding_B]

    def _create_weights(self, adapter_name: str, config: LoraConfig) -> None:
        # Same draws as the reference: two randn tensors, then A zeroed and B redrawn.
        self.lora_embedding_A[adapter_name] = nn.Parameter(torch.randn(config.r, self.in_features))
        self.lora_embedding_B[adapter_name] = nn.Parameter(torch.randn(self.out_features, config.r))
        if config.init_lora_weights is not False:
            nn.init.zeros_(self.lora_embedding_A[adapter_name])
            nn.init.normal_(self.lora_embedding_B[adapter_name])

    def get_delta_weight(self, adapter_name: str) -> torch.Tensor:
        delta = self.lora_embedding_B[adapter_name].float() @ self.lora_embedding_A[adapter_name].float()  # (dim, vocab)
        return delta.T * self.scaling[adapter_name]

    def _adapter_output(self, adapter_name: str, x: torch.Tensor) -> torch.Tensor:
        base = self.base_layer
        # Looking up columns of A is the embedding of x under A.T: (..., r).
        after_a = F.embedding(
            x, self.lora_embedding_A[adapter_name].T, padding_idx=base.padding_idx, max_norm=base.max_norm,
            norm_type=base.norm_type, scale_grad_by_freq=base.scale_grad_by_freq, sparse=base.sparse,
        )
        return (after_a @ self.lora_embedding_B[adapter_name].T) * self.scaling[adapter_name]


class ModulesToSaveWrapper(nn.Module):
    """Keeps the original module frozen and trains a full copy per adapter (``modules_to_save``).

    Example:
        >>> from torch import nn
        >>> wrapper = ModulesToSaveWrapper(nn.Linear(3, 2), "default")
        >>> [name for name, p in wrapper.named_parameters() if p.requires_grad]
        ['modules_to_save.default.weight', 'modules_to_save.default.bias']
    """

    def __init__(self, module_to_save: nn.Module, adapter_name: str) -> None:
        super().__init__()
        self.original_module = module_to_save
        self.modules_to_save = nn.ModuleDict()
        self.active_adapter = adapter_name
        self.disable_adapters = False
        self.update(adapter_name)

    def update(self, adapter_name: str) -> None:
        self.modules_to_save[adapter_name] = copy.deepcopy(self.original_module)
        self.set_adapter(self.active_adapter)

    def set_adapter(self, adapter_name: str) -> None:
        self.original_module.requires_grad_(False)
        for key, module in self.modules_to_save.items():
            module.requires_grad_(key == adapter_name)
        self.active_adapter = adapter_name

    def delete_adapter(self, adapter_name: str) -> None:
        if adapter_name in self.modules_to_save:
            del self.modules_to_save[adapter_name]

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        if self.disable_adapters or self.active_adapter not in self.modules_to_save:
            return self.original_module(*args, **kwargs)
        return self.modules_to_save[self.active_adapter](*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        # Code reading e.g. ``model.score.weight`` or ``out_features`` sees the module in use.
        try:
            return super().__getattr__(name)
        except AttributeError:
            modules = self._modules
            active = modules["modules_to_save"]._modules.get(self.__dict__.get("active_adapter"))
            return getattr(active if active is not None else modules["original_module"], name)


# Layer type -> LoRA wrapper: what can be targeted (a miss lists these).
LORA_LAYER_CLASSES: dict[type[nn.Module], type[LoraLayer]] = {nn.Linear: Linear, Conv1D: Linear, nn.Embedding: Embedding}


def _layer_index(config: LoraConfig, key: str) -> int | None:
    # The first numbered segment is the block index ("model.layers.3.self_attn.q_proj" -> 3).
    patterns = config.layers_pattern
    if not patterns:
        match = re.match(r".*?\.[^.]*\.(?P<idx>\d+)\.", key)
    else:
        match = None
        for pattern in [patterns] if isinstance(patterns, str) else patterns:
            match = re.match(rf"(?:^|.*?\.){pattern}\.(?P<idx>\d+)\.", key)
            if match:
                break
    return int(match.group("idx")) if match else None


def _matches_names(key: str, names: list[str] | str) -> bool:
    if isinstance(names, str):
        return re.fullmatch(names, key) is not None
    return key in names or any(key.endswith(f".{name}") for name in names)


def is_target(config: LoraConfig, key: str) -> bool:
    """Whether module ``key`` gets LoRA under ``config`` (the reference's matching rules)."""
    if config.exclude_modules and _matches_names(key, config.exclude_modules):
        return False
    if config.modules_to_save and any(re.match(rf"(^|.*\.){name}($|\..*)", key) for name in config.modules_to_save):
        return False
    targets = config.target_modules
    if isinstance(targets, str):
        return re.fullmatch(targets, key) is not None
    if key in targets:
        return True
    if not any(key.endswith(f".{name}") for name in targets):
        return False
    wanted = config.layers_to_transform
    if wanted is None or wanted == []:
        return True
    index = _layer_index(config, key)
    if index is None:
        return False
    return index == wanted if isinstance(wanted, int) else index in wanted


def expand_all_linear(config: LoraConfig, model: nn.Module) -> LoraConfig:
    """Replace ``"all-linear"`` by the names of every Linear/Conv1D except the output head."""
    if not (isinstance(config.target_modules, str) and config.target_modules.lower() == INCLUDE_LINEAR_LAYERS_SHORTHAND):
        return config
    names = {name for name, module in model.named_modules() if isinstance(module, (nn.Linear, Conv1D, Linear))}
    excluded: set[str] = set()
    for prefix, module in model.named_modules():
        if isinstance(module, (LoraLayer, ModulesToSaveWrapper)):
            excluded.update(f"{prefix}.{suffix}" for suffix, _ in module.named_modules() if suffix)
    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    if head is None and config.task_type == TaskType.SEQ_CLS.value:
        head = next((getattr(model, n) for n in SEQ_CLS_HEAD_NAMES if getattr(model, n, None) is not None), None)
    if head is not None:
        excluded.update(name for name, module in model.named_modules() if module is head)
    config.target_modules = sorted(names - excluded)
    return config


def _set_submodule(model: nn.Module, key: str, new: nn.Module) -> None:
    parent_name, _, child_name = key.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    setattr(parent, child_name, new)


class LoraModel(nn.Module):
    """The tuner: holds the model, the adapter configs, and injects/merges/removes LoRA layers.

    Example:
        >>> from torch import nn
        >>> from embrace.peft import LoraConfig
        >>> tuner = LoraModel(nn.Sequential(nn.Linear(4, 4)), LoraConfig(target_modules=["0"]), "default")
        >>> type(tuner.model[0]).__name__
        'Linear'
    """

    prefix = ADAPTER_PREFIX

    def __init__(self, model: nn.Module, config: LoraConfig, adapter_name: str, *, autocast_adapter_dtype: bool = True) -> None:
        super().__init__()
        self.model = model
        self.peft_config: dict[str, LoraConfig] = {}
        self.active_adapter = adapter_name
        self.inject_adapter(adapter_name, config, autocast_adapter_dtype=autocast_adapter_dtype)

    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)
        except AttributeError:
            if name == "model":
                raise
            return getattr(self.model, name)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.model(*args, **kwargs)

    def lora_layers(self) -> list[LoraLayer]:
        return [module for module in self.model.modules() if isinstance(module, LoraLayer)]

    def save_wrappers(self) -> list[ModulesToSaveWrapper]:
        return [module for module in self.model.modules() if isinstance(module, ModulesToSaveWrapper)]

    def inject_adapter(self, adapter_name: str, config: LoraConfig, *, autocast_adapter_dtype: bool = True) -> None:
        """Wrap every targeted layer with LoRA ``adapter_name`` and wrap ``modules_to_save``."""
        if adapter_name in self.peft_config:
            raise ConfigError(f"An adapter named {adapter_name!r} already exists; pick another name.")
        config = expand_all_linear(copy.copy(config), self.model)
        to_save, targeted = self._plan(config)
        if not targeted:
            raise ConfigError(
                f"Target modules {config.target_modules!r} not found in the base model; "
                f"check the names against model.named_modules() (e.g. {[k for k, _ in self.model.named_modules()][1:6]})."
            )
        for key in to_save:
            self._wrap_to_save(key, self.model.get_submodule(key), adapter_name)
        for key in targeted:
            self._wrap_lora(key, self.model.get_submodule(key), adapter_name, config, autocast_adapter_dtype)
        self.peft_config[adapter_name] = config
        self._mark_trainable(adapter_name)

    def _plan(self, config: LoraConfig) -> tuple[list[str], list[str]]:
        """(modules to save, LoRA targets), all checked before the model is touched."""
        wrapped: list[str] = []
        to_save: list[str] = []
        targeted: list[str] = []
        for key, module in self.model.named_modules():
            if not key or any(key.startswith(prefix + ".") for prefix in wrapped):
                continue
            if isinstance(module, (LoraLayer, ModulesToSaveWrapper)):
                wrapped.append(key)
            # The reference matches modules_to_save by bare suffix ("classifier" also hits "pre_classifier").
            if config.modules_to_save and any(key.endswith(name) for name in config.modules_to_save):
                to_save.append(key)
                wrapped.append(key)
            elif is_target(config, key):
                if not isinstance(module, LoraLayer) and type(module) not in LORA_LAYER_CLASSES:
                    raise ConfigError(
                        f"Target module {key!r} is a {type(module).__name__}; LoRA supports "
                        f"{sorted(cls.__name__ for cls in LORA_LAYER_CLASSES)}. Adjust target_modules."
                    )
                targeted.append(key)
                wrapped.append(key)
        return to_save, targeted

    def _wrap_lora(self, key: str, module: nn.Module, adapter_name: str, config: LoraConfig, autocast: bool) -> None:
        if isinstance(module, LoraLayer):
            module.update_layer(adapter_name, config, autocast_adapter_dtype=autocast)
            return
        layer_cls = LORA_LAYER_CLASSES[type(module)]
        kwargs = {"fan_in_fan_out": config.fan_in_fan_out} if layer_cls is Linear else {}
        _set_submodule(self.model, key, layer_cls(module, adapter_name, config=config, autocast_adapter_dtype=autocast, **kwargs))

    def _wrap_to_save(self, key: str, module: nn.Module, adapter_name: str) -> None:
        if isinstance(module, ModulesToSaveWrapper):
            module.update(adapter_name)
        else:
            wrapper = ModulesToSaveWrapper(module, adapter_name)
            wrapper.set_adapter(self.active_adapter)
            _set_submodule(self.model, key, wrapper)

    def _mark_trainable(self, adapter_name: str) -> None:
        # Base weights freeze; adapter weights keep what set_adapter gave them (active = trainable).
        for name, param in self.model.named_parameters():
            if self.prefix not in name:
                param.requires_grad_(False)
        config = self.peft_config[adapter_name]
        if config.bias == "all":
            for name, param in self.model.named_parameters():
                if name.endswith("bias") and ".original_module." not in name:
                    param.requires_grad_(True)
        elif config.bias == "lora_only":
            for layer in self.lora_layers():
                if getattr(layer.base_layer, "bias", None) is not None:
                    layer.base_layer.bias.requires_grad_(True)
        for wrapper in self.save_wrappers():
            wrapper.set_adapter(wrapper.active_adapter)
        if config.inference_mode:
            self._freeze_adapter(adapter_name)

    def _freeze_adapter(self, adapter_name: str) -> None:
        for name, param in self.model.named_parameters():
            if f".{adapter_name}." in name or name.endswith(f".{adapter_name}"):
                param.requires_grad_(False)

    def set_adapter(self, adapter_name: str) -> None:
        """Make ``adapter_name`` the one used in forward (and the one that trains)."""
        if adapter_name not in self.peft_config:
            raise ConfigError(f"Adapter {adapter_name!r} not found; available: {sorted(self.peft_config)}.")
        for layer in self.lora_layers():
            if layer.merged:
                logger.warning("Adapter was merged; unmerging it before switching to %r.", adapter_name)
                layer.unmerge()
            layer.set_adapter(adapter_name)
        for wrapper in self.save_wrappers():
            wrapper.set_adapter(adapter_name)
        self.active_adapter = adapter_name
        if self.peft_config[adapter_name].inference_mode:
            self._freeze_adapter(adapter_name)

    def delete_adapter(self, adapter_name: str) -> None:
        """Remove ``adapter_name`` everywhere; if it was active, the first remaining one becomes active."""
        if adapter_name not in self.peft_config:
            raise ConfigError(f"Adapter {adapter_name!r} not found; available: {sorted(self.peft_config)}.")
        if len(self.peft_config) == 1:
            raise ConfigError("Cannot delete the only adapter; use unload() to get the base model back.")
        for layer in self.lora_layers():
            layer.delete_adapter(adapter_name)
        for wrapper in self.save_wrappers():
            wrapper.delete_adapter(adapter_name)
        del self.peft_config[adapter_name]
        if self.active_adapter == adapter_name:
            self.set_adapter(next(iter(self.peft_config)))
        else:
            self.set_adapter(self.active_adapter)

    def set_adapter_layers(self, *, enabled: bool) -> None:
        for module in (*self.lora_layers(), *self.save_wrappers()):
            module.disable_adapters = not enabled

    def merge_adapter(self, adapter_names: list[str] | None = None, *, safe_merge: bool = False) -> None:
        """Fold the active (or the named) adapters into the base weights."""
        self._check_adapter_names(adapter_names)
        for layer in self.lora_layers():
            layer.merge(adapter_names, safe_merge=safe_merge)

    def unmerge_adapter(self) -> None:
        for layer in self.lora_layers():
            layer.unmerge()

    def _check_adapter_names(self, adapter_names: list[str] | None) -> None:
        unknown = sorted(set(adapter_names or ()) - set(self.peft_config))
        if unknown:
            raise ConfigError(f"Unknown adapter(s) {unknown}; available: {sorted(self.peft_config)}.")

    def _unload(self, *, merge: bool, adapter_names: list[str] | None, safe_merge: bool) -> nn.Module:
        if merge:
            self.merge_adapter(adapter_names, safe_merge=safe_merge)
        for key, module in list(self.model.named_modules()):
            if isinstance(module, LoraLayer):
                _set_submodule(self.model, key, module.base_layer)
            elif isinstance(module, ModulesToSaveWrapper):
                # Merging keeps the trained copy; a plain unload gives the original back.
                kept = module.modules_to_save[module.active_adapter] if merge and module.active_adapter in module.modules_to_save else module.original_module
                _set_submodule(self.model, key, kept)
        return self.model

    def merge_and_unload(self, *, progressbar: bool = False, safe_merge: bool = False, adapter_names: list[str] | None = None) -> nn.Module:
        """Merge the adapters and return the plain base model (no LoRA layers left)."""
        return self._unload(merge=True, adapter_names=adapter_names, safe_merge=safe_merge)

    def unload(self) -> nn.Module:
        """Remove every LoRA layer without merging and return the original base model."""
        return self._unload(merge=False, adapter_names=None, safe_merge=False)
