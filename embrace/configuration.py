"""``PretrainedConfig``: the typed base class of every model configuration.

A family declares its ``config.json`` fields as annotated class attributes with defaults;
no decorator is needed. The base class collects them (base fields first, subclass
overrides after), checks their types on assignment, keeps unknown keys read from a file,
and reads/writes ``config.json`` byte-for-byte like the reference library.

Example:
    >>> from embrace.configuration import PretrainedConfig
    >>> class TinyConfig(PretrainedConfig):
    ...     model_type = "tiny"
    ...     hidden_size: int = 8
    ...     hidden_act: str = "gelu"
    >>> config = TinyConfig(hidden_size=16, my_extra_key=1)
    >>> config.hidden_size, config.my_extra_key, config.num_labels
    (16, 1, 2)
    >>> print(config.to_json_string())
    {
      "hidden_act": "gelu",
      "hidden_size": 16,
      "model_type": "tiny",
      "my_extra_key": 1,
      "transformers_version": "5.23.0"
    }
    <BLANKLINE>
"""

from __future__ import annotations

import collections.abc
import copy
import json
import math
import os
import re
import sys
import types
import typing
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NamedTuple, TypeVar

from embrace.errors import ConfigError, DirectoryExpectedError, RemoteCodeError
from embrace.hub.push import PUSH_OPTIONS, PushToHubMixin
from embrace.hub.resolve import resolve_file
from embrace.utils.files import write_text_atomically
from embrace.utils.logging import get_logger, warning_once

if TYPE_CHECKING:
    import torch

logger = get_logger(__name__)

CONFIG_NAME = "config.json"

# The reference version written into ``config.json`` so that saved files are identical to
# the reference's and load there without a version warning.
TRANSFORMERS_VERSION = "5.23.0"

_ConfigT = TypeVar("_ConfigT", bound="PretrainedConfig")

# Generation settings that old checkpoints stored in config.json. They belong in
# generation_config.json now, so loading drops them (as the reference does) and saving
# refuses a config that carries them.
_GENERATION_PARAMETERS = (
    "max_length", "min_length", "do_sample", "use_cache", "early_stopping", "num_beams",
    "temperature", "top_k", "top_p", "typical_p", "repetition_penalty", "length_penalty",
    "no_repeat_ngram_size", "encoder_no_repeat_ngram_size", "bad_words_ids",
    "num_return_sequences", "output_scores", "return_dict_in_generate", "forced_bos_token_id",
    "forced_eos_token_id", "remove_invalid_values", "exponential_decay_length_penalty",
    "suppress_tokens", "begin_suppress_tokens", "epsilon_cutoff", "eta_cutoff",
    "encoder_repetition_penalty", "num_assistant_tokens", "num_assistant_tokens_schedule",
    "assistant_confidence_threshold", "assistant_lookbehind", "target_lookbehind",
    "num_beam_groups", "diversity_penalty",
)

# Attributes that live on the instance but never go into config.json.
_NOT_SERIALIZED = (
    "_is_quantized", "_auto_class", "_commit_hash", "_attn_implementation_internal",
    "_experts_implementation_internal", "_post_init_done", "ignore_keys_at_rope_validation",
    "base_model_tp_plan", "base_model_pp_plan", "base_model_fsdp_plan", "distributed_config",
)

# config.json keys written by the model on purpose that loading must not turn into attributes.
_IGNORED_ON_LOAD = ("_attn_implementation_internal", "_experts_implementation_internal")

_PROBLEM_TYPES = ("regression", "single_label_classification", "multi_label_classification")

ALLOWED_ATTN_LAYER_TYPES = (
    "full_attention", "sliding_attention", "chunked_attention", "window_attention",
    "indexed_attention", "compressed_sparse_attention", "heavily_compressed_attention",
    "minimax_m3_sparse", "conv", "moe", "hybrid", "hybrid_sliding",
    "reference_sliding_attention", "linear_attention",
)
ALLOWED_MLP_LAYER_TYPES = ("sparse", "dense")

# JSON has no Infinity/NaN; they are written as {"__float__": "Infinity"} like the reference.
_FLOAT_TAG = "__float__"
_TAGGED_FLOATS = {"Infinity": math.inf, "-Infinity": -math.inf, "NaN": math.nan}

_MISSING = object()  # a field declared without a default
_UNCHECKED = object()  # a field whose type is not checked


class _Field(NamedTuple):
    """One declared config field: its default and the type its values must have."""

    name: str
    default: Any
    hint: Any  # a typing annotation, or _UNCHECKED


# --- type checking of field values ---------------------------------------------------


def _matches(value: Any, hint: Any) -> bool:
    """Whether ``value`` fits the annotation ``hint`` (strict: no int for float, no bool for int)."""
    if hint is Any or hint is _UNCHECKED:
        return True
    if hint is None or hint is type(None):
        return value is None
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union or origin is types.UnionType:
        return any(_matches(value, arg) for arg in args)
    if origin is Literal:
        return any(type(value) is type(arg) and value == arg for arg in args)
    if origin is list:
        return isinstance(value, list) and (not args or all(_matches(v, args[0]) for v in value))
    if origin is set:
        return isinstance(value, set) and (not args or all(_matches(v, args[0]) for v in value))
    if origin is dict:
        return isinstance(value, dict) and (
            not args or all(_matches(k, args[0]) and _matches(v, args[1]) for k, v in value.items())
        )
    if origin is tuple:
        if not isinstance(value, tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_matches(v, args[0]) for v in value)
        return not args or (len(args) == len(value) and all(map(_matches, value, args)))
    if origin is collections.abc.Sequence:
        return isinstance(value, collections.abc.Sequence) and (
            not args or all(_matches(v, args[0]) for v in value)
        )
    if isinstance(hint, type):
        if hint is int and isinstance(value, bool):
            return False
        return isinstance(value, hint)
    return True  # forward references and exotic typing constructs are not checked


def _hint_text(hint: Any) -> str:
    return hint.__name__ if isinstance(hint, type) else str(hint).replace("typing.", "")


def _check_field(cls: type, field: _Field, value: Any) -> None:
    if not _matches(value, field.hint):
        raise ConfigError(
            f"{cls.__name__}.{field.name} must be {_hint_text(field.hint)}, got "
            f"{type(value).__name__} ({value!r}). Pass a value of that type."
        )


# --- field collection ------------------------------------------------------------------

_CLASSVAR_TEXT = re.compile(r"^(typing\.)?ClassVar\b")


def _resolve_annotation(cls: type, annotation: Any) -> Any:
    """Evaluate a string annotation (``from __future__ import annotations``) in its module."""
    if not isinstance(annotation, str):
        return annotation
    module = sys.modules.get(cls.__module__)
    namespace = dict(vars(module)) if module is not None else {}
    try:
        return eval(annotation, namespace, dict(vars(cls)))  # noqa: S307 - a class annotation
    except Exception:  # an annotation naming something unavailable at runtime
        return annotation


def _is_classvar(annotation: Any) -> bool:
    if isinstance(annotation, str):
        return bool(_CLASSVAR_TEXT.match(annotation))
    return annotation is ClassVar or typing.get_origin(annotation) is ClassVar


def _is_plain_value(value: Any) -> bool:
    """A class attribute that can serve as a field default (not a method or property)."""
    return not (callable(value) or isinstance(value, (property, classmethod, staticmethod)))


def _collect_fields(cls: type, *, typed: bool) -> dict[str, _Field]:
    """Fields of ``cls``: those of its bases (in MRO order) then its own annotated attributes."""
    found: dict[str, _Field] = {}
    for base in reversed(cls.__mro__[1:]):
        found.update(getattr(base, "__dict__", {}).get("_fields", {}))
    own = cls.__dict__
    for name, field in list(found.items()):  # a plain re-assignment overrides a default
        if name in own and _is_plain_value(own[name]):
            found[name] = field._replace(default=own[name])
    for name, annotation in own.get("__annotations__", {}).items():
        if name.startswith("_") or _is_classvar(annotation):
            continue
        hint = _resolve_annotation(cls, annotation) if typed else _UNCHECKED
        if _is_classvar(hint):
            continue
        default = own.get(name, found[name].default if name in found else _MISSING)
        found[name] = _Field(name, default, hint)
    return found


def _alias_property(alias: str, target: str) -> property:
    """A property that reads and writes ``target`` under the name ``alias`` (``attribute_map``)."""

    def get(self: Any) -> Any:
        return getattr(self, target)

    def set_(self: Any, value: Any) -> None:
        setattr(self, target, value)

    return property(get, set_, doc=f"Alias of ``{target}``.")


def _prepare_class(cls: type, *, typed: bool) -> None:
    cls._fields = _collect_fields(cls, typed=typed)
    for alias, target in cls.__dict__.get("attribute_map", {}).items():
        setattr(cls, alias, _alias_property(alias, target))
    cls._validators = tuple(
        name for name in dir(cls) if name.startswith("validate_") and callable(getattr(cls, name))
    )


def _copy_default(value: Any) -> Any:
    return copy.deepcopy(value) if isinstance(value, (list, dict, set)) else value


# --- serialization helpers -------------------------------------------------------------


def _encode_special_floats(obj: Any) -> Any:
    if isinstance(obj, float):
        if math.isnan(obj):
            return {_FLOAT_TAG: "NaN"}
        if math.isinf(obj):
            return {_FLOAT_TAG: "Infinity" if obj > 0 else "-Infinity"}
        return obj
    if isinstance(obj, dict):
        return {k: _encode_special_floats(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_encode_special_floats(v) for v in obj]
    return obj


def _decode_special_floats(obj: Any) -> Any:
    if isinstance(obj, dict):
        if set(obj) == {_FLOAT_TAG} and obj[_FLOAT_TAG] in _TAGGED_FLOATS:
            return _TAGGED_FLOATS[obj[_FLOAT_TAG]]
        return {k: _decode_special_floats(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode_special_floats(v) for v in obj]
    return obj


def _dtype_to_str(d: dict[str, Any]) -> None:
    """Write ``torch.float16`` as ``"float16"`` under every ``dtype`` key, in place."""
    dtype = d.get("dtype")
    if dtype is not None:
        if isinstance(dtype, dict):
            d["dtype"] = {k: str(v).split(".")[-1] for k, v in dtype.items()}
        elif not isinstance(dtype, (str, int)):  # an int can be a token id in some vocab maps
            d["dtype"] = str(dtype).split(".")[1]
    for value in d.values():
        if isinstance(value, dict):
            _dtype_to_str(value)


def _remove_not_serialized(d: dict[str, Any]) -> None:
    for key in _NOT_SERIALIZED:
        d.pop(key, None)
    if "_output_attentions" in d:
        d["output_attentions"] = d.pop("_output_attentions")
    for value in d.values():
        if isinstance(value, dict):
            _remove_not_serialized(value)


def _to_list(value: Any) -> Any:
    return [_to_list(v) for v in value] if isinstance(value, tuple) else value


def _torch_dtype(name: str) -> Any:
    import torch  # deferred: building a config must not pay for importing torch

    dtype = getattr(torch, name, None)
    if not isinstance(dtype, torch.dtype):
        raise ConfigError(
            f"dtype {name!r} is not a torch dtype. Use a name such as 'float32', 'float16' or "
            "'bfloat16'."
        )
    return dtype


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def get_configuration_file(configuration_files: list[str]) -> str:
    """Pick the ``config.<version>.json`` matching the targeted reference version, else ``config.json``.

    Example:
        >>> get_configuration_file(["config.4.0.0.json", "config.99.0.0.json", "config.json"])
        'config.4.0.0.json'
    """
    versioned = {}
    for name in configuration_files:
        if name.startswith("config.") and name.endswith(".json") and name != CONFIG_NAME:
            versioned[name[len("config.") : -len(".json")]] = name
    chosen = CONFIG_NAME
    target = _version_key(TRANSFORMERS_VERSION)
    for version in sorted(versioned, key=_version_key):
        if _version_key(version) > target:
            break
        chosen = versioned[version]
    return chosen


def _read_json_dict(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as reader:
            data = json.load(reader)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(
            f"The config file at '{path}' is not valid JSON ({err}). Fix or re-create it, e.g. "
            "with config.save_pretrained(folder)."
        ) from err
    if not isinstance(data, dict):
        raise ConfigError(
            f"The config file at '{path}' holds a JSON {type(data).__name__}, expected an object "
            "mapping field names to values."
        )
    return _decode_special_floats(data)



class PretrainedConfig(PushToHubMixin):
    """Base class of model configurations: typed fields, validation, ``config.json`` I/O.

    Subclasses set ``model_type`` and declare fields as annotated class attributes with
    defaults. ``__post_init__(**kwargs)`` may derive values and must call
    ``super().__post_init__(**kwargs)``, which handles the common keyword arguments
    (``num_labels``, ``torch_dtype``, ``output_attentions``, ``attn_implementation``,
    ``name_or_path``) and keeps any other key as an attribute.

    Example:
        >>> class TinyConfig(PretrainedConfig):
        ...     model_type = "tiny"
        ...     attribute_map = {"n_embd": "hidden_size"}
        ...     hidden_size: int = 8
        >>> config = TinyConfig(n_embd=4, num_labels=3)
        >>> config.hidden_size, config.id2label
        (4, {0: 'LABEL_0', 1: 'LABEL_1', 2: 'LABEL_2'})
        >>> TinyConfig(hidden_size="big")
        Traceback (most recent call last):
        ...
        embrace.errors.ConfigError: TinyConfig.hidden_size must be int, got str ('big'). Pass a value of that type.
    """

    model_type: ClassVar[str] = ""
    base_config_key: ClassVar[str] = ""
    attribute_map: ClassVar[dict[str, str]] = {}
    _fields: ClassVar[dict[str, _Field]]
    _validators: ClassVar[tuple[str, ...]]

    # Fields common to every model. Their types are not checked, as in the reference:
    # configs on the hub carry all sorts of values here.
    transformers_version: str | None = None
    architectures: list[str] | None = None
    output_hidden_states: bool | None = False
    return_dict: bool | None = True
    dtype: str | torch.dtype | None = None
    chunk_size_feed_forward: int = 0
    is_encoder_decoder: bool = False
    id2label: dict[int, str] | None = None
    label2id: dict[str, int] | None = None
    problem_type: str | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _prepare_class(cls, typed=True)

    def __init__(self, **kwargs: Any) -> None:
        cls = type(self)
        for name, field in cls._fields.items():
            if name in kwargs:
                value = kwargs.pop(name)
            elif field.default is _MISSING:
                raise TypeError(f"{cls.__name__} is missing the required field {name!r}.")
            else:
                value = _copy_default(field.default)
            setattr(self, name, value)
        self.__post_init__(**kwargs)
        self.validate()

    def __post_init__(self, **kwargs: Any) -> None:
        """Handle the common keyword arguments, then keep every other one as an attribute.

        Example:
            >>> config = PretrainedConfig(torch_dtype="float16", name_or_path="my/model", foo=1)
            >>> config.dtype, config.name_or_path, config.foo
            (torch.float16, 'my/model', 1)
        """
        torch_dtype = kwargs.pop("torch_dtype", None)
        if torch_dtype is not None and self.dtype is None:  # v4 spelling; `dtype` wins if both
            self.dtype = torch_dtype
        if isinstance(self.dtype, str):
            self.dtype = _torch_dtype(self.dtype)

        # Classifiers saved with 2 labels used to omit id2label, so 2 is the default.
        if self.id2label is None:
            self.num_labels = kwargs.get("num_labels", 2)
        else:
            if not isinstance(self.id2label, dict):
                raise ConfigError(
                    f"id2label must be a dict mapping label ids to names, got "
                    f"{type(self.id2label).__name__}."
                )
            requested = kwargs.get("num_labels")
            if requested is not None and requested != len(self.id2label):
                logger.warning(
                    "num_labels=%s does not match the %d entries of id2label; num_labels wins.",
                    requested, len(self.id2label),
                )
            self.id2label = {_label_id(key): value for key, value in self.id2label.items()}

        if self.problem_type == "single_label_classification" and self.num_labels == 1:
            raise ConfigError(
                'problem_type="single_label_classification" needs num_labels > 1. Use num_labels=2 '
                'for binary classification, or problem_type="regression" for a single output.'
            )

        for name in _GENERATION_PARAMETERS:
            kwargs.pop(name, None)

        self._name_or_path = str(kwargs.pop("name_or_path", ""))
        kwargs.pop("_commit_hash", None)  # written by old versions, meaningless now
        self._output_attentions = kwargs.pop("output_attentions", False)
        self._attn_implementation = kwargs.pop("attn_implementation", None)
        self._experts_implementation = kwargs.pop("experts_implementation", None)

        for key, value in kwargs.items():
            if key not in _IGNORED_ON_LOAD:
                setattr(self, key, value)

    # --- attributes --------------------------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        field = type(self)._fields.get(name)
        if field is not None and field.hint is not _UNCHECKED:
            _check_field(type(self), field, value)
        object.__setattr__(self, name, value)

    @property
    def name_or_path(self) -> str:
        """The folder or repo id this config was loaded from (``""`` when built in code)."""
        return self.__dict__.get("_name_or_path", "")

    @name_or_path.setter
    def name_or_path(self, value: str | os.PathLike) -> None:
        self._name_or_path = str(value)

    @property
    def num_labels(self) -> int | None:
        """The number of labels of a classification head: the length of ``id2label``."""
        id2label = self.__dict__.get("id2label")
        return len(id2label) if id2label is not None else None

    @num_labels.setter
    def num_labels(self, num_labels: int) -> None:
        if isinstance(num_labels, bool) or not isinstance(num_labels, int) or num_labels < 0:
            raise ConfigError(f"num_labels must be a non-negative int, got {num_labels!r}.")
        if self.id2label is None or self.num_labels != num_labels:
            self.id2label = {i: f"LABEL_{i}" for i in range(num_labels)}
            self.label2id = {label: i for i, label in self.id2label.items()}

    @property
    def output_attentions(self) -> bool:
        """Whether the model returns attention weights (needs the ``eager`` attention)."""
        return self._output_attentions

    @output_attentions.setter
    def output_attentions(self, value: bool) -> None:
        if value and self._attn_implementation is None:
            self._attn_implementation = "eager"
        if value and self._attn_implementation != "eager":
            raise ConfigError(
                f"output_attentions=True needs attn_implementation='eager', but it is "
                f"{self._attn_implementation!r}. Load the model with attn_implementation='eager'."
            )
        self._output_attentions = value

    @property
    def _attn_implementation(self) -> str | None:
        return self.__dict__.get("_attn_implementation_internal")

    @_attn_implementation.setter
    def _attn_implementation(self, value: str | dict | None) -> None:
        # A dict picks per sub-config: {"": main, "text_config": ...}; set recursively.
        current = self.__dict__.get("_attn_implementation_internal")
        self.__dict__["_attn_implementation_internal"] = value.get("", current) if isinstance(value, dict) else value
        for key, sub in self._sub_configs():
            sub_current = sub._attn_implementation
            sub._attn_implementation = value.get(key, sub_current) if isinstance(value, dict) else value

    @property
    def _experts_implementation(self) -> str | None:
        return self.__dict__.get("_experts_implementation_internal")

    @_experts_implementation.setter
    def _experts_implementation(self, value: str | dict | None) -> None:
        current = self.__dict__.get("_experts_implementation_internal")
        self.__dict__["_experts_implementation_internal"] = value.get("", current) if isinstance(value, dict) else value
        for key, sub in self._sub_configs():
            sub_current = sub._experts_implementation
            sub._experts_implementation = value.get(key, sub_current) if isinstance(value, dict) else value

    def _sub_configs(self) -> list[tuple[str, PretrainedConfig]]:
        return [(k, v) for k, v in self.__dict__.items() if isinstance(v, PretrainedConfig)]

    @property
    def torch_dtype(self) -> Any:
        """Deprecated spelling of ``dtype``."""
        warning_once(logger, "`torch_dtype` is deprecated; use `dtype` instead.")
        return self.dtype

    @torch_dtype.setter
    def torch_dtype(self, value: Any) -> None:
        warning_once(logger, "`torch_dtype` is deprecated; use `dtype` instead.")
        self.dtype = value

    @property
    def use_return_dict(self) -> bool | None:
        """Deprecated spelling of ``return_dict``."""
        warning_once(logger, "`use_return_dict` is deprecated; use `return_dict` instead.")
        return self.return_dict

    # --- validation ----------------------------------------------------------------------

    def validate(self) -> None:
        """Run every ``validate_*`` method; called after ``__init__`` and before saving.

        Example:
            >>> PretrainedConfig().validate()
        """
        for name in type(self)._validators:
            getattr(self, name)()

    def validate_output_attentions(self) -> None:
        """Attention weights can only be returned by the ``eager`` attention."""
        if self.output_attentions and self._attn_implementation not in ("eager", None):
            raise ConfigError(
                f"output_attentions=True needs attn_implementation='eager', but it is "
                f"{self._attn_implementation!r}."
            )

    def validate_architecture(self) -> None:
        """``head_dim * num_heads`` must equal ``embed_dim`` when a family declares all three."""
        head_dim = getattr(self, "head_dim", None)
        num_heads = getattr(self, "num_heads", None)
        embed_dim = getattr(self, "embed_dim", None)
        if None not in (head_dim, num_heads, embed_dim) and head_dim * num_heads != embed_dim:
            raise ConfigError(
                f"embed_dim ({embed_dim}) must equal head_dim ({head_dim}) * num_heads ({num_heads})."
            )

    def validate_token_ids(self) -> None:
        """Warn about special token ids outside the vocabulary (hub configs have some)."""
        text_config = self.get_text_config(decoder=True)
        vocab_size = getattr(text_config, "vocab_size", None)
        if not isinstance(vocab_size, int):
            return
        for name in text_config:
            value = getattr(text_config, name)
            if name.endswith("_token_id") and isinstance(value, int) and not 0 <= value < vocab_size:
                warning_once(
                    logger,
                    f"{name}={value} is outside the vocabulary (0..{vocab_size - 1}); it should be "
                    "None or a valid id.",
                )

    def validate_layer_type(self) -> None:
        """``layer_types`` / ``mlp_layer_types`` use known names and have one entry per layer."""
        num_layers = getattr(self, "num_hidden_layers", None)
        for allowed, attribute in (
            (ALLOWED_ATTN_LAYER_TYPES, "layer_types"),
            (ALLOWED_MLP_LAYER_TYPES, "mlp_layer_types"),
        ):
            layers = getattr(self, attribute, None)
            if layers is None or not hasattr(self, "num_hidden_layers"):
                return
            unknown = [layer for layer in layers if layer not in allowed]
            if unknown:
                raise ConfigError(f"{attribute} has unknown entries {unknown}; valid: {list(allowed)}.")
            if num_layers is not None and num_layers != len(layers):
                raise ConfigError(
                    f"num_hidden_layers ({num_layers}) must equal the number of {attribute} "
                    f"({len(layers)})."
                )

    # --- dict and JSON -----------------------------------------------------------------

    @classmethod
    def default_config_fields(cls) -> dict[str, Any]:
        """The declared fields whose default is not ``None``, with those defaults.

        Example:
            >>> PretrainedConfig.default_config_fields()["return_dict"]
            True
        """
        return {
            name: field.default
            for name, field in cls._fields.items()
            if field.default is not _MISSING and field.default is not None
        }

    def to_dict(self) -> dict[str, Any]:
        """Every attribute of this config, as written to ``config.json`` with ``use_diff=False``.

        Example:
            >>> PretrainedConfig(dtype="float16").to_dict()["dtype"]
            'float16'
        """
        output = copy.deepcopy(self.__dict__)
        output["model_type"] = type(self).model_type
        output["transformers_version"] = TRANSFORMERS_VERSION
        output.pop("kwargs", None)
        for key, value in output.items():
            if isinstance(value, PretrainedConfig):
                value = value.to_dict()
                del value["transformers_version"]
            output[key] = _to_list(value)
        _remove_not_serialized(output)
        _dtype_to_str(output)
        return output

    def to_diff_dict(self) -> dict[str, Any]:
        """The attributes that differ from a bare ``PretrainedConfig()``, plus this class's fields.

        Example:
            >>> sorted(PretrainedConfig(problem_type="regression").to_diff_dict())
            ['problem_type', 'transformers_version']
        """
        config_dict = self.to_dict()
        base_defaults = PretrainedConfig().to_dict()
        class_defaults = self.default_config_fields()
        diff = {
            key: value
            for key, value in config_dict.items()
            if key not in base_defaults
            or key in ("transformers_version", "vocab_file")
            or value != base_defaults[key]
            or value != class_defaults.get(key, value)
        }
        diff.pop("_name_or_path", None)
        return diff

    def to_json_string(self, use_diff: bool = True) -> str:
        """The ``config.json`` text: sorted keys, 2-space indent, trailing newline.

        Example:
            >>> PretrainedConfig().to_json_string()
            '{\\n  "transformers_version": "5.23.0"\\n}\\n'
        """
        config_dict = self.to_diff_dict() if use_diff else self.to_dict()
        return json.dumps(_encode_special_floats(config_dict), indent=2, sort_keys=True) + "\n"

    def to_json_file(self, json_file_path: str | os.PathLike, use_diff: bool = True) -> None:
        """Write :meth:`to_json_string` to ``json_file_path`` atomically.

        Example:
            >>> import os, tempfile
            >>> path = os.path.join(tempfile.mkdtemp(), "config.json")
            >>> PretrainedConfig().to_json_file(path)
            >>> PretrainedConfig.from_json_file(path).transformers_version
            '5.23.0'
        """
        write_text_atomically(json_file_path, self.to_json_string(use_diff=use_diff))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PretrainedConfig) and self.__dict__ == other.__dict__

    __hash__ = None  # mutable, compared by value

    def __repr__(self) -> str:
        return f"{type(self).__name__} {self.to_json_string()}"

    def __iter__(self) -> typing.Iterator[str]:
        """Iterate over attribute names (as the reference does)."""
        return iter(list(self.__dict__))

    def update(self, config_dict: dict[str, Any]) -> None:
        """Set every ``key: value`` of ``config_dict`` as an attribute.

        Example:
            >>> config = PretrainedConfig()
            >>> config.update({"problem_type": "regression"})
            >>> config.problem_type
            'regression'
        """
        for key, value in config_dict.items():
            setattr(self, key, value)

    def update_from_string(self, update_str: str) -> None:
        """Update existing attributes from ``"key=value,key=value"``, parsed by the current type.

        Booleans accept ``true/false/1/0/yes/no/y/n``; only bool, int, float and str
        attributes can be updated this way.

        Example:
            >>> config = PretrainedConfig()
            >>> config.update_from_string("chunk_size_feed_forward=4,return_dict=false")
            >>> config.chunk_size_feed_forward, config.return_dict
            (4, False)
        """
        for item in update_str.split(","):
            key, sep, text = item.partition("=")
            if not sep:
                raise ConfigError(f"Cannot parse {item!r} in {update_str!r}: expected key=value pairs.")
            if not hasattr(self, key):
                raise ConfigError(f"key {key} isn't in the original config dict; only existing keys can be updated.")
            old = getattr(self, key)
            if isinstance(old, bool):
                lowered = text.lower()
                if lowered in ("true", "1", "y", "yes"):
                    value: Any = True
                elif lowered in ("false", "0", "n", "no"):
                    value = False
                else:
                    raise ConfigError(f"can't derive true or false from {text!r} (key {key}).")
            elif isinstance(old, (int, float)):
                try:
                    value = type(old)(text)
                except ValueError as err:
                    raise ConfigError(f"{key}={text!r} is not a valid {type(old).__name__}.") from err
            elif isinstance(old, str):
                value = text
            else:
                raise TypeError(
                    f"Only int, float, bool or str attributes can be updated from a string; "
                    f"{key} is {type(old).__name__}."
                )
            setattr(self, key, value)

    def get_text_config(self, decoder: bool | None = None, encoder: bool | None = None) -> PretrainedConfig:
        """The config of the text part: a ``text_config``/``decoder``/... sub-config, else ``self``.

        With ``decoder=True`` (or ``encoder=True``) on an old flat encoder-decoder config, a
        copy where ``decoder_*`` (or ``encoder_*``) keys replace the generic ones is returned.

        Example:
            >>> config = PretrainedConfig()
            >>> config.get_text_config() is config
            True
        """
        decoder_names = ("decoder", "generator", "text_config")
        encoder_names = ("text_encoder",)
        if decoder == encoder:
            names = encoder_names + decoder_names
        else:
            names = decoder_names if decoder else encoder_names
        found = [name for name in names if getattr(self, name, None) is not None]
        if len(found) > 1:
            raise ConfigError(
                f"The config has several text configs {found}; pick one directly, e.g. config.{found[0]}."
            )
        result = getattr(self, found[0]) if found else self
        if decoder != encoder and not found and result.is_encoder_decoder:
            prefix = "decoder" if decoder else "encoder"
            result = copy.deepcopy(result)
            for key in list(result.to_dict()):
                if not key.startswith(prefix):
                    continue
                new_key = key[len(prefix) + 1 :]
                if key == f"{prefix}_layers":
                    new_key = "num_hidden_layers"
                elif key == f"{prefix}_attention_heads":
                    new_key = "num_attention_heads"
                new_key = result.attribute_map.get(new_key, new_key)
                value = getattr(result, key)
                result.__dict__.pop(key, None)
                setattr(result, new_key, value)
        return result

    # --- loading -----------------------------------------------------------------------

    @classmethod
    def from_dict(cls: type[_ConfigT], config_dict: dict[str, Any], **kwargs: Any) -> _ConfigT | tuple[_ConfigT, dict[str, Any]]:
        """Build a config from a dict; ``kwargs`` override attributes.

        With ``return_unused_kwargs=True`` returns ``(config, unused)`` where ``unused`` holds
        the keyword arguments that matched no attribute.

        Example:
            >>> config, unused = PretrainedConfig.from_dict(
            ...     {"problem_type": "regression"}, num_labels=1, foo=2, return_unused_kwargs=True)
            >>> config.num_labels, unused
            (1, {'foo': 2})
        """
        return_unused_kwargs = kwargs.pop("return_unused_kwargs", False)
        config_dict = dict(config_dict)
        used = {"_from_auto", "_from_pipeline"}
        # These are consumed by __post_init__, so they must be there at construction.
        for key in ("num_labels", "attn_implementation", "experts_implementation", "output_attentions", "name_or_path"):
            if key in kwargs:
                config_dict[key] = kwargs[key]
                used.add(key)
        for key in ("torch_dtype", "dtype"):
            if key in kwargs and kwargs[key] != "auto":
                config_dict[key] = kwargs[key]

        config = cls(**config_dict)

        # Every keyword naming an attribute is applied last, including those consumed above
        # (so output_attentions=True also selects the eager attention, as in the reference).
        for key, value in kwargs.items():
            if not hasattr(config, key):
                continue
            current = getattr(config, key)
            if isinstance(current, PretrainedConfig) and isinstance(value, dict):
                value = type(current)(**{**current.to_dict(), **value})
            setattr(config, key, value)
            used.add(key)

        unused = {key: value for key, value in kwargs.items() if key not in used}
        logger.info("Model config %s", config)
        return (config, unused) if return_unused_kwargs else config

    @classmethod
    def from_json_file(cls: type[_ConfigT], json_file: str | os.PathLike) -> _ConfigT:
        """Build a config from a JSON file of parameters.

        Example:
            >>> import json, os, tempfile
            >>> path = os.path.join(tempfile.mkdtemp(), "c.json")
            >>> _ = open(path, "w").write(json.dumps({"problem_type": "regression"}))
            >>> PretrainedConfig.from_json_file(path).problem_type
            'regression'
        """
        return cls(**_read_json_dict(os.fspath(json_file)))

    @classmethod
    def get_config_dict(
        cls, pretrained_model_name_or_path: str | os.PathLike, **kwargs: Any
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Find and read ``config.json``; returns ``(config_dict, remaining_kwargs)``.

        ``pretrained_model_name_or_path`` is a folder, a JSON file, or a repo id looked up
        in the local hub cache. Loading options (``cache_dir``, ``revision``,
        ``subfolder``, ``local_files_only``, ``token``, ``force_download``...) are consumed;
        the others are returned.

        Example:
            >>> import tempfile
            >>> folder = tempfile.mkdtemp()
            >>> PretrainedConfig(problem_type="regression").save_pretrained(folder)
            >>> config_dict, rest = PretrainedConfig.get_config_dict(folder, foo=1)
            >>> config_dict["problem_type"], rest
            ('regression', {'foo': 1})
        """
        original_kwargs = dict(kwargs)
        config_dict, kwargs = cls._get_config_dict(pretrained_model_name_or_path, **kwargs)
        if "configuration_files" in config_dict:
            configuration_file = get_configuration_file(config_dict["configuration_files"])
            config_dict, kwargs = cls._get_config_dict(
                pretrained_model_name_or_path, _configuration_file=configuration_file, **original_kwargs
            )
        return config_dict, kwargs

    @classmethod
    def _get_config_dict(
        cls, pretrained_model_name_or_path: str | os.PathLike, **kwargs: Any
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        cache_dir = kwargs.pop("cache_dir", None)
        force_download = kwargs.pop("force_download", False)
        kwargs.pop("proxies", None)
        token = kwargs.pop("token", None)
        local_files_only = kwargs.pop("local_files_only", False)
        revision = kwargs.pop("revision", None)
        trust_remote_code = kwargs.pop("trust_remote_code", None)
        subfolder = kwargs.pop("subfolder", "") or ""
        kwargs.pop("_from_pipeline", None)
        kwargs.pop("_from_auto", None)
        configuration_file = kwargs.pop("_configuration_file", CONFIG_NAME)
        if trust_remote_code:
            raise RemoteCodeError(
                "trust_remote_code=True was passed, but embrace never runs code from a repository. "
                "Use a model type embrace implements, or load the model with the reference library."
            )
        gguf_file = kwargs.pop("gguf_file", None)
        path = os.fspath(pretrained_model_name_or_path)
        if gguf_file is not None:
            # A GGUF file carries its config as metadata; there is no config.json to read.
            from embrace.io.gguf_mapping import load_gguf_config

            gguf_path = resolve_file(
                path, gguf_file, subfolder=subfolder, revision=revision, cache_dir=cache_dir,
                local_files_only=local_files_only, token=token, force_download=force_download,
            )
            logger.info("loading configuration from GGUF file %s", gguf_path)
            return load_gguf_config(gguf_path), kwargs

        direct_file = os.path.join(subfolder, path)
        if os.path.isfile(direct_file):
            resolved = direct_file
        else:
            resolved = resolve_file(
                path,
                configuration_file,
                subfolder=subfolder,
                revision=revision,
                cache_dir=cache_dir,
                local_files_only=local_files_only,
                token=token,
                force_download=force_download,
            )
        logger.info("loading configuration file %s", resolved)
        config_dict = _read_json_dict(resolved)
        if "model_type" in kwargs and config_dict.get("model_type") != kwargs["model_type"]:
            logger.warning(
                "%s has model_type=%r but you overrode it with model_type=%r; this may not work.",
                configuration_file, config_dict.get("model_type"), kwargs["model_type"],
            )
            config_dict["model_type"] = kwargs["model_type"]
        return config_dict, kwargs

    @classmethod
    def from_pretrained(
        cls: type[_ConfigT],
        pretrained_model_name_or_path: str | os.PathLike,
        *,
        cache_dir: str | os.PathLike | None = None,
        force_download: bool = False,
        local_files_only: bool = False,
        token: str | bool | None = None,
        revision: str = "main",
        subfolder: str = "",
        return_unused_kwargs: bool = False,
        **kwargs: Any,
    ) -> _ConfigT | tuple[_ConfigT, dict[str, Any]]:
        """Load a config from a folder, a JSON file, or a repo id in the local hub cache.

        Keyword arguments naming an attribute override the loaded value; with
        ``return_unused_kwargs=True`` the others are returned as ``(config, unused)``.

        Example:
            >>> import tempfile
            >>> folder = tempfile.mkdtemp()
            >>> PretrainedConfig(problem_type="regression").save_pretrained(folder)
            >>> config, unused = PretrainedConfig.from_pretrained(
            ...     folder, return_dict=False, foo=1, return_unused_kwargs=True)
            >>> config.problem_type, config.return_dict, unused
            ('regression', False, {'foo': 1})
        """
        config_dict, kwargs = cls.get_config_dict(
            pretrained_model_name_or_path,
            cache_dir=cache_dir,
            force_download=force_download,
            local_files_only=local_files_only,
            token=token,
            revision=revision,
            subfolder=subfolder,
            **kwargs,
        )
        if cls.base_config_key and cls.base_config_key in config_dict:
            config_dict = config_dict[cls.base_config_key]
        loaded_type = config_dict.get("model_type")
        if loaded_type is not None and loaded_type != cls.model_type:
            # A composite config may hold a sub-config of this class's type.
            for value in config_dict.values():
                if isinstance(value, dict) and value.get("model_type") == cls.model_type:
                    config_dict = value
            if config_dict.get("model_type") != cls.model_type:
                logger.warning(
                    "You are using a model of type %r to instantiate a model of type %r. This works "
                    "only if the checkpoint shares that architecture; please check it.",
                    loaded_type, cls.model_type,
                )
        return cls.from_dict(config_dict, return_unused_kwargs=return_unused_kwargs, **kwargs)

    # --- saving --------------------------------------------------------------------------

    def _get_generation_parameters(self) -> dict[str, Any]:
        fields = type(self)._fields
        return {
            key: getattr(self, key)
            for key in _GENERATION_PARAMETERS
            if key != "use_cache" and key not in fields and getattr(self, key, None) is not None
        }

    def save_pretrained(self, save_directory: str | os.PathLike, push_to_hub: bool = False, **kwargs: Any) -> None:
        """Write ``config.json`` (diff against the defaults) into ``save_directory``, creating it.

        Example:
            >>> import os, tempfile
            >>> folder = os.path.join(tempfile.mkdtemp(), "new")
            >>> PretrainedConfig().save_pretrained(folder)
            >>> os.listdir(folder)
            ['config.json']
        """
        unknown = sorted(set(kwargs) - PUSH_OPTIONS)
        if unknown:
            raise TypeError(f"save_pretrained() got unexpected keyword arguments {unknown}.")
        save_directory = os.fspath(save_directory)
        if os.path.isfile(save_directory):
            raise DirectoryExpectedError(
                f"save_pretrained() needs a directory, but '{save_directory}' is a file. "
                "Pass the folder to save config.json into."
            )
        generation_parameters = self._get_generation_parameters()
        if generation_parameters:
            raise ConfigError(
                "Generation parameters are set on the model config; they belong in "
                f"model.generation_config instead. Found: {generation_parameters}."
            )
        os.makedirs(save_directory, exist_ok=True)
        self.validate()
        output_file = os.path.join(save_directory, CONFIG_NAME)
        self.to_json_file(output_file, use_diff=True)
        logger.info("Configuration saved in %s", output_file)
        if push_to_hub:
            from embrace.hub.push import push_folder

            push_folder(save_directory, default_message="Upload config", **kwargs)


def _label_id(key: Any) -> int:
    try:
        return int(key)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"id2label keys must be integer ids (or their strings), got {key!r}.") from err


_prepare_class(PretrainedConfig, typed=False)

# The v5 spelling; both names refer to the same class.
PreTrainedConfig = PretrainedConfig

__all__ = ["CONFIG_NAME", "PreTrainedConfig", "PretrainedConfig", "get_configuration_file"]
