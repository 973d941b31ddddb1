"""Adapter configuration: :class:`PeftConfig`, :class:`LoraConfig` and the :class:`TaskType` names.

``adapter_config.json`` carries every field the reference PEFT library writes, so a folder we
save loads there and the other way round. Fields for methods we do not implement (DoRA,
LoftQ, ...) are kept at their neutral values; a file that switches one of them on is refused
with a clear error instead of being silently loaded as plain LoRA.

Example:
    >>> from embrace.peft import LoraConfig
    >>> config = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"])
    >>> config.peft_type, sorted(config.target_modules)
    ('LORA', ['q_proj', 'v_proj'])
"""

from __future__ import annotations

import dataclasses
import enum
import json
import os
from typing import Any

from embrace.errors import ConfigError
from embrace.hub.resolve import resolve_file
from embrace.utils.files import write_text_atomically

CONFIG_NAME = "adapter_config.json"
# The adapter-folder format version we write; it is the reference release whose files we match.
PEFT_FORMAT_VERSION = "0.21.2"
INCLUDE_LINEAR_LAYERS_SHORTHAND = "all-linear"


class TaskType(str, enum.Enum):
    """What the wrapped model does; picks the :class:`~embrace.peft.PeftModel` subclass.

    Example:
        >>> TaskType.CAUSAL_LM == "CAUSAL_LM"
        True
    """

    SEQ_CLS = "SEQ_CLS"
    SEQ_2_SEQ_LM = "SEQ_2_SEQ_LM"
    CAUSAL_LM = "CAUSAL_LM"
    TOKEN_CLS = "TOKEN_CLS"
    QUESTION_ANS = "QUESTION_ANS"
    FEATURE_EXTRACTION = "FEATURE_EXTRACTION"


class PeftType(str, enum.Enum):
    """The adapter method; only LoRA is implemented."""

    LORA = "LORA"


# Reference fields for features we do not implement, with the value that means "off".
# They are written so the reference reads our files, and checked on load so a file that
# needs one of them is refused rather than silently mis-loaded.
_NEUTRAL_FIELDS: dict[str, Any] = {
    "alora_invocation_tokens": None,
    "alpha_pattern": {},
    "arrow_config": None,
    "corda_config": None,
    "ensure_weight_tying": False,
    "eva_config": None,
    "kasa_config": None,
    "layer_replication": None,
    "loftq_config": {},
    "lora_bias": False,
    "lora_ga_config": None,
    "megatron_config": None,
    "megatron_core": "megatron.core",
    "monteclora_config": None,
    "qalora_group_size": 16,
    "rank_pattern": {},
    "target_parameters": None,
    "trainable_token_indices": None,
    "use_bdlora": None,
    "use_dora": False,
    "use_qalora": False,
    "velora_config": None,
}
# Fields whose value does not change what the weights mean; any value is accepted and kept.
_HARMLESS_FIELDS = {"ensure_weight_tying", "megatron_core", "qalora_group_size"}


@dataclasses.dataclass
class PeftConfig:
    """Fields shared by every adapter method; see :class:`LoraConfig` for the LoRA ones.

    Example:
        >>> PeftConfig(task_type="CAUSAL_LM").task_type
        'CAUSAL_LM'
    """

    peft_type: str | None = None
    task_type: str | None = None
    base_model_name_or_path: str | None = None
    revision: str | None = None
    inference_mode: bool = False
    auto_mapping: dict[str, Any] | None = None
    peft_version: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.task_type, TaskType):
            self.task_type = self.task_type.value
        if self.task_type is not None and self.task_type not in TaskType._value2member_map_:
            raise ConfigError(
                f"Unknown task_type {self.task_type!r}; expected one of {sorted(TaskType._value2member_map_)} or None."
            )

    @property
    def is_prompt_learning(self) -> bool:
        """Always False: LoRA changes layers, it does not add virtual tokens."""
        return False

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready fields (sets become lists), as ``adapter_config.json`` holds them."""
        out = {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}
        out.update(getattr(self, "_extra_fields", {}))
        for key, value in out.items():
            if isinstance(value, (set, frozenset)):
                out[key] = sorted(value)
            elif isinstance(value, enum.Enum):
                out[key] = value.value
        return out

    def save_pretrained(self, save_directory: str | os.PathLike) -> None:
        """Write ``adapter_config.json`` (sorted keys, 2-space indent, like the reference).

        Example:
            >>> import tempfile
            >>> from embrace.peft import LoraConfig
            >>> folder = tempfile.mkdtemp()
            >>> LoraConfig(target_modules=["fc"]).save_pretrained(folder)
            >>> LoraConfig.from_pretrained(folder).target_modules
            ['fc']
        """
        if os.path.isfile(save_directory):
            raise ConfigError(f"save_directory {str(save_directory)!r} is a file; pass a folder.")
        os.makedirs(save_directory, exist_ok=True)
        out = self.to_dict()
        out["peft_version"] = PEFT_FORMAT_VERSION
        write_text_atomically(os.path.join(save_directory, CONFIG_NAME), json.dumps(out, indent=2, sort_keys=True))

    @classmethod
    def from_pretrained(
        cls,
        pretrained_model_name_or_path: str | os.PathLike,
        *,
        subfolder: str = "",
        revision: str | None = None,
        cache_dir: str | os.PathLike | None = None,
        local_files_only: bool = False,
        token: str | bool | None = None,
    ) -> PeftConfig:
        """Read ``adapter_config.json`` from a folder or a hub repo."""
        path = resolve_file(
            pretrained_model_name_or_path, CONFIG_NAME, subfolder=subfolder, revision=revision,
            cache_dir=cache_dir, local_files_only=local_files_only, token=token,
        )
        return cls.from_json_file(path)

    @classmethod
    def from_json_file(cls, path: str | os.PathLike) -> PeftConfig:
        """Parse one ``adapter_config.json``; the ``peft_type`` field picks the config class."""
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
        except json.JSONDecodeError as err:
            raise ConfigError(f"{path} is not valid JSON ({err}); re-save the adapter.") from err
        if not isinstance(data, dict):
            raise ConfigError(f"{path} must hold a JSON object, got {type(data).__name__}.")
        peft_type = data.get("peft_type")
        config_cls = cls if cls is not PeftConfig else _CONFIG_BY_PEFT_TYPE.get(peft_type)
        if config_cls is None:
            raise ConfigError(
                f"{path}: peft_type {peft_type!r} is not supported; embrace.peft implements {sorted(_CONFIG_BY_PEFT_TYPE)}."
            )
        return config_cls._from_file_dict(data, source=str(path))

    @classmethod
    def _from_file_dict(cls, data: dict[str, Any], *, source: str) -> PeftConfig:
        names = {field.name for field in dataclasses.fields(cls)}
        extra = {key: value for key, value in data.items() if key not in names}
        unsupported = [
            key for key, value in extra.items()
            if key in _NEUTRAL_FIELDS and key not in _HARMLESS_FIELDS and value not in (_NEUTRAL_FIELDS[key], None)
        ]
        if unsupported:
            raise ConfigError(
                f"{source} switches on {sorted(unsupported)}, which embrace.peft does not implement; "
                "only plain LoRA adapters can be loaded."
            )
        config = cls(**{key: value for key, value in data.items() if key in names})
        # Keys we do not model (including fields of newer reference releases) are written back unchanged.
        config._extra_fields = {key: value for key, value in extra.items() if key not in _NEUTRAL_FIELDS or key in _HARMLESS_FIELDS}
        return config


@dataclasses.dataclass
class LoraConfig(PeftConfig):
    """Configuration of a LoRA adapter (the reference's field names and defaults).

    ``target_modules`` is a list of module names (a name matches itself or any key ending in
    ``.name``), a regular expression string matched against the whole key, or ``"all-linear"``
    (every Linear/Conv1D except the output head). ``use_rslora`` scales by
    ``lora_alpha / sqrt(r)`` instead of ``lora_alpha / r``.

    Example:
        >>> config = LoraConfig(r=8, lora_alpha=16, target_modules="all-linear", task_type="SEQ_CLS")
        >>> config.target_modules, config.bias
        ('all-linear', 'none')
    """

    r: int = 8
    target_modules: list[str] | str | None = None
    exclude_modules: list[str] | str | None = None
    lora_alpha: int = 8
    lora_dropout: float = 0.0
    fan_in_fan_out: bool = False
    bias: str = "none"
    use_rslora: bool = False
    modules_to_save: list[str] | None = None
    init_lora_weights: bool | str = True
    layers_to_transform: list[int] | int | None = None
    layers_pattern: list[str] | str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        self.peft_type = PeftType.LORA.value
        if not isinstance(self.r, int) or isinstance(self.r, bool) or self.r <= 0:
            raise ConfigError(f"r must be a positive integer, got {self.r!r}.")
        if not 0.0 <= float(self.lora_dropout) < 1.0:
            raise ConfigError(f"lora_dropout must be in [0, 1), got {self.lora_dropout!r}.")
        if self.bias not in ("none", "all", "lora_only"):
            raise ConfigError(f"bias must be 'none', 'all' or 'lora_only', got {self.bias!r}.")
        if self.init_lora_weights not in (True, False, "gaussian"):
            raise ConfigError(
                f"init_lora_weights must be True, False or 'gaussian', got {self.init_lora_weights!r}; "
                "other initializations (pissa, olora, loftq...) are not implemented."
            )
        if self.target_modules is None:
            raise ConfigError("LoraConfig needs target_modules: module names, a regex string, or 'all-linear'.")
        for name in ("target_modules", "exclude_modules", "modules_to_save", "layers_to_transform", "layers_pattern"):
            value = getattr(self, name)
            if isinstance(value, (set, frozenset, tuple)):
                setattr(self, name, sorted(value) if name != "layers_to_transform" else list(value))
        if isinstance(self.target_modules, str) and self.layers_to_transform is not None:
            raise ConfigError("layers_to_transform cannot be used when target_modules is a str; pass a list of names.")
        if self.layers_pattern and self.layers_to_transform is None:
            raise ConfigError("layers_pattern only makes sense together with layers_to_transform.")

    @property
    def scaling(self) -> float:
        """The factor multiplying ``B @ A``: ``lora_alpha / r``, or ``/ sqrt(r)`` with rsLoRA."""
        return self.lora_alpha / (self.r**0.5 if self.use_rslora else self.r)

    def to_dict(self) -> dict[str, Any]:
        out = dict(_NEUTRAL_FIELDS)
        out.update(super().to_dict())
        return out


_CONFIG_BY_PEFT_TYPE: dict[str, type[PeftConfig]] = {PeftType.LORA.value: LoraConfig}
