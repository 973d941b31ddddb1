"""``GenerationConfig``: the knobs of ``generate()`` and the ``generation_config.json`` file.

Every field defaults to ``None`` ("not set"), as in the reference v5; the values that make a
bare ``generate()`` work (``max_length=20``, ``top_k=50``, ...) are filled in at generate
time from :meth:`GenerationConfig.default_generation_params`. Saving writes only what differs
from a fresh ``GenerationConfig()``, sorted, so the file is byte-identical to the reference's.

Example:
    >>> config = GenerationConfig(max_new_tokens=8, do_sample=True, top_k=5)
    >>> config.get_generation_mode()
    'sample'
    >>> print(config.to_json_string(), end="")
    {
      "do_sample": true,
      "max_new_tokens": 8,
      "top_k": 5,
      "transformers_version": "5.23.0"
    }
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
from typing import Any, Callable

from embrace.configuration import TRANSFORMERS_VERSION
from embrace.errors import ConfigError, DirectoryExpectedError
from embrace.hub.resolve import resolve_file
from embrace.utils.files import write_text_atomically
from embrace.utils.logging import get_logger, warning_once

logger = get_logger(__name__)

GENERATION_CONFIG_NAME = "generation_config.json"

# Every attribute the reference declares, in its order; all default to None (= unset).
_FIELDS = (
    "max_length", "max_new_tokens", "min_length", "min_new_tokens", "early_stopping", "max_time", "stop_strings",
    "do_sample", "num_beams", "use_mtp", "use_cache", "cache_implementation", "cache_config", "max_cache_len",
    "temperature", "top_k", "top_p", "min_p", "top_h", "typical_p", "epsilon_cutoff", "eta_cutoff",
    "repetition_penalty", "encoder_repetition_penalty", "length_penalty", "no_repeat_ngram_size", "bad_words_ids",
    "renormalize_logits", "forced_bos_token_id", "forced_eos_token_id", "remove_invalid_values",
    "exponential_decay_length_penalty", "suppress_tokens", "begin_suppress_tokens", "sequence_bias",
    "token_healing", "guidance_scale", "watermarking_config", "num_return_sequences", "output_attentions",
    "output_hidden_states", "output_scores", "output_logits", "return_dict_in_generate", "pad_token_id",
    "bos_token_id", "eos_token_id", "encoder_no_repeat_ngram_size", "decoder_start_token_id", "is_assistant",
    "num_assistant_tokens", "num_assistant_tokens_schedule", "assistant_confidence_threshold",
    "prompt_lookup_num_tokens", "max_matching_ngram_size", "assistant_early_exit", "assistant_lookbehind",
    "target_lookbehind", "assistant_ensemble_weight", "speculation_type", "compile_config", "disable_compile",
    "continuous_batching_config", "low_memory", "penalty_alpha", "dola_layers", "diversity_penalty",
    "num_beam_groups", "constraints", "force_words_ids", "prefill_chunk_size",
)

# Values used when neither the user nor the model's generation config set a field.
_DEFAULTS: dict[str, Any] = {
    "max_length": 20, "min_length": 0, "do_sample": False, "use_cache": True, "early_stopping": False,
    "num_beams": 1, "temperature": 1.0, "top_k": 50, "top_p": 1.0, "typical_p": 1.0, "repetition_penalty": 1.0,
    "length_penalty": 1.0, "no_repeat_ngram_size": 0, "encoder_no_repeat_ngram_size": 0, "bad_words_ids": None,
    "num_return_sequences": 1, "output_scores": False, "return_dict_in_generate": False,
    "forced_bos_token_id": None, "forced_eos_token_id": None, "remove_invalid_values": False,
    "exponential_decay_length_penalty": None, "suppress_tokens": None, "begin_suppress_tokens": None,
    "epsilon_cutoff": 0.0, "eta_cutoff": 0.0, "encoder_repetition_penalty": 1.0, "num_assistant_tokens": 20,
    "num_assistant_tokens_schedule": "constant", "assistant_confidence_threshold": 0.4, "assistant_lookbehind": 10,
    "target_lookbehind": 10, "num_beam_groups": 1, "diversity_penalty": 0.0,
}

# Keys that describe the file rather than generation (left out of equality and repr).
_METADATA_FIELDS = ("_from_model_config", "transformers_version")
# Private bookkeeping never written to disk.
_PRIVATE = ("_original_object_hash", "_mask_length", "_commit_hash")
# Arguments of generate() that users sometimes put in the config by mistake.
_GENERATE_ARGUMENTS = (
    "logits_processor", "stopping_criteria", "prefix_allowed_tokens_fn", "synced_gpus", "assistant_model",
    "streamer", "negative_prompt_ids", "negative_prompt_attention_mask",
)
_EXTRA_OUTPUT_FLAGS = ("output_attentions", "output_hidden_states", "output_scores", "output_logits")
_CACHE_IMPLEMENTATIONS = ("dynamic", "static", "offloaded", "offloaded_static", "sliding_window", "hybrid",
                          "quantized", "paged")


class GenerationMode:
    """Names of the decoding strategies :meth:`GenerationConfig.get_generation_mode` returns."""

    CONTRASTIVE_SEARCH = "contrastive_search"
    GREEDY_SEARCH = "greedy_search"
    SAMPLE = "sample"
    ASSISTED_GENERATION = "assisted_generation"
    DOLA_GENERATION = "dola_generation"
    BEAM_SEARCH = "beam_search"
    BEAM_SAMPLE = "beam_sample"
    CONSTRAINED_BEAM_SEARCH = "constrained_beam_search"
    GROUP_BEAM_SEARCH = "group_beam_search"


class GenerationConfig:
    """Parameters of text generation; see the module docstring for the file format.

    Keyword arguments set the fields of the same name (all optional). Unknown keys are kept
    as attributes and written back, like the reference, unless ``_from_model_config=True``.

    Example:
        >>> GenerationConfig(num_beams=4, num_return_sequences=2).num_beams
        4
    """

    def __init__(self, **kwargs: Any) -> None:
        user_set = set(kwargs)
        for name in _FIELDS:
            setattr(self, name, kwargs.pop(name, None))
        kwargs.pop("_commit_hash", None)
        self._from_model_config = kwargs.pop("_from_model_config", None)
        self.transformers_version = kwargs.pop("transformers_version", None)
        if not self._from_model_config:
            for key, value in kwargs.items():
                setattr(self, key, value)
        self.validate(user_set_attributes=user_set)

    # --- identity ------------------------------------------------------------------

    def __hash__(self) -> int:
        return hash(self.to_json_string(ignore_metadata=True))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GenerationConfig):
            return False
        mine = self.to_json_string(use_diff=False, ignore_metadata=True)
        return mine == other.to_json_string(use_diff=False, ignore_metadata=True)

    def __repr__(self) -> str:
        return f"{type(self).__name__} {self.to_json_string(ignore_metadata=True)}"

    @property
    def extra_output_flags(self) -> tuple[str, ...]:
        """The ``output_*`` flags that only matter with ``return_dict_in_generate=True``."""
        return _EXTRA_OUTPUT_FLAGS

    @staticmethod
    def default_generation_params() -> dict[str, Any]:
        """The values ``generate()`` uses for fields nobody set.

        Example:
            >>> GenerationConfig.default_generation_params()["max_length"]
            20
        """
        return dict(_DEFAULTS)

    _get_default_generation_params = default_generation_params  # the reference's spelling

    def get_generation_mode(self, assistant_model: Any = None) -> str:
        """The decoding strategy these parameters select (a :class:`GenerationMode` value).

        Example:
            >>> GenerationConfig(num_beams=3, do_sample=True).get_generation_mode()
            'beam_sample'
        """
        if self.constraints is not None or self.force_words_ids is not None:
            mode = GenerationMode.CONSTRAINED_BEAM_SEARCH
        elif self.num_beams is None or self.num_beams == 1:
            if self.do_sample is True:
                mode = GenerationMode.SAMPLE
            elif self.top_k is not None and self.top_k > 1 and self.penalty_alpha is not None and self.penalty_alpha > 0:
                mode = GenerationMode.CONTRASTIVE_SEARCH
            else:
                mode = GenerationMode.GREEDY_SEARCH
        elif self.num_beam_groups is not None and self.num_beam_groups > 1:
            mode = GenerationMode.GROUP_BEAM_SEARCH
        elif self.do_sample is True:
            mode = GenerationMode.BEAM_SAMPLE
        else:
            mode = GenerationMode.BEAM_SEARCH
        if assistant_model is not None or self.prompt_lookup_num_tokens is not None:
            if mode in (GenerationMode.GREEDY_SEARCH, GenerationMode.SAMPLE):
                mode = GenerationMode.ASSISTED_GENERATION
        return mode

    # --- validation ------------------------------------------------------------------

    def validate(self, strict: bool = False, user_set_attributes: set[str] | None = None) -> None:
        """Raise :class:`~embrace.errors.ConfigError` for values that cannot work; warn about ignored ones.

        Flags that only matter in another mode (``temperature`` without ``do_sample``) are
        logged once; with ``strict=True`` they raise too.

        Example:
            >>> GenerationConfig(max_new_tokens=0)
            Traceback (most recent call last):
            ...
            embrace.errors.ConfigError: `max_new_tokens` must be greater than 0, but is 0.
        """
        if self.early_stopping not in (None, True, False, "never"):
            raise ConfigError(f"`early_stopping` must be True, False or 'never', but is {self.early_stopping!r}.")
        if self.max_new_tokens is not None and self.max_new_tokens <= 0:
            raise ConfigError(f"`max_new_tokens` must be greater than 0, but is {self.max_new_tokens}.")
        if self.cache_implementation is not None and self.cache_implementation not in _CACHE_IMPLEMENTATIONS:
            raise ConfigError(
                f"Invalid `cache_implementation` ({self.cache_implementation!r}). Choose one of: {_CACHE_IMPLEMENTATIONS}."
            )
        if self.num_beams is not None and self.num_beams > 1:
            self._validate_beam_variant()
        if self.num_return_sequences is not None and self.num_return_sequences > 1:
            if self.num_beams is None or self.num_beams == 1:
                if not self.do_sample:
                    raise ConfigError(
                        "Greedy methods (do_sample != True) without beam search do not support "
                        f"`num_return_sequences` different than 1 (got {self.num_return_sequences}); set do_sample=True "
                        "or num_beams >= num_return_sequences."
                    )
            elif self.num_return_sequences > self.num_beams:
                raise ConfigError(
                    f"`num_return_sequences` ({self.num_return_sequences}) has to be smaller or equal to `num_beams` "
                    f"({self.num_beams})."
                )
        if self.suppress_tokens is not None:
            suppressed = set(self.suppress_tokens)
            for name in ("forced_bos_token_id", "forced_eos_token_id"):
                forced = getattr(self, name)
                if forced is None:
                    continue
                forced = {forced} if isinstance(forced, int) else set(forced)
                if forced and forced <= suppressed:
                    raise ConfigError(
                        f"Every token in `{name}` ({sorted(forced)}) is also in `suppress_tokens`, which would leave no "
                        f"token to choose at the forcing step. Remove the overlap from `{name}` or `suppress_tokens` "
                        "(use `min_new_tokens` to prevent an early end of sequence)."
                    )
        if self.compile_config is not None and not isinstance(self.compile_config, CompileConfig):
            raise ConfigError(
                f"`compile_config` must be a CompileConfig, not {type(self.compile_config).__name__}; "
                "write `compile_config=CompileConfig(**options)`."
            )
        for name in _GENERATE_ARGUMENTS:
            if hasattr(self, name):
                raise ConfigError(
                    f"Argument `{name}` is not a valid argument of `GenerationConfig`. Pass it to `generate()` directly."
                )
        issues = self._minor_issues(user_set_attributes)
        if issues:
            if strict:
                raise ConfigError("GenerationConfig is invalid:\n" + "\n".join(f"- `{k}`: {v}" for k, v in issues.items()))
            warning_once(logger, f"The following generation flags are not valid and may be ignored: {list(issues)}.")

    def _validate_beam_variant(self) -> None:
        """Options that contradict constrained or group beam search (both need ``do_sample=False``)."""
        groups = self.num_beam_groups if self.num_beam_groups is not None else 1
        diversity = self.diversity_penalty if self.diversity_penalty is not None else 0.0
        if self.constraints is not None or self.force_words_ids is not None:
            message = (
                "one of `constraints`, `force_words_ids` is not `None`, triggering constrained beam search. However, "
                "`{name}` is set to `{value}`, which is incompatible with this generation mode. Set `constraints` and "
                "`force_words_ids` to `None` or unset `{name}` to continue."
            )
            if self.do_sample is True:
                raise ConfigError(message.format(name="do_sample", value=self.do_sample))
            if groups != 1:
                raise ConfigError(message.format(name="num_beam_groups", value=groups))
        elif diversity != 0.0 or groups != 1:
            prefix = ("`diversity_penalty` is not 0.0 or `num_beam_groups` is not 1, triggering group beam search. In "
                      "this generation mode, ")
            if self.do_sample is True:
                raise ConfigError(prefix + "`do_sample` must be set to `False`.")
            if self.num_beams % groups != 0:
                raise ConfigError(prefix + f"`num_beams` ({self.num_beams}) should be divisible by `num_beam_groups` "
                                  f"({groups}).")
            if diversity == 0.0:
                raise ConfigError(prefix + "`diversity_penalty` should be greater than `0.0`, otherwise your groups "
                                  "will be identical.")

    def _minor_issues(self, user_set: set[str] | None) -> dict[str, str]:
        """Flags set for a mode that is not active (each pair only when the user set both)."""

        def user(outer: str, inner: str) -> bool:
            return user_set is None or (outer in user_set and inner in user_set)

        issues: dict[str, str] = {}
        if self.do_sample is not True:
            neutral = {"temperature": 1.0, "top_p": 1.0, "typical_p": 1.0, "top_k": 50, "epsilon_cutoff": 0.0,
                       "eta_cutoff": 0.0, "min_p": None, "top_h": None}
            for name, neutral_value in neutral.items():
                value = getattr(self, name)
                if value is not None and value != neutral_value and user("do_sample", name):
                    issues[name] = f"only used when sampling (do_sample=True), but is set to {value}."
        if self.num_beams is None or self.num_beams == 1:
            if self.early_stopping not in (None, False) and user("num_beams", "early_stopping"):
                issues["early_stopping"] = "only used in beam-based generation modes (num_beams > 1)."
            if self.length_penalty not in (None, 1.0) and user("num_beams", "length_penalty"):
                issues["length_penalty"] = "only used in beam-based generation modes (num_beams > 1)."
        if self.return_dict_in_generate is not True:
            for flag in _EXTRA_OUTPUT_FLAGS:
                if getattr(self, flag) is True:
                    issues[flag] = "ignored unless return_dict_in_generate=True."
        return issues

    # --- dict / json -------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Every attribute, as written with ``use_diff=False``.

        Example:
            >>> GenerationConfig().to_dict()["transformers_version"]
            '5.23.0'
        """
        output = copy.deepcopy({k: v for k, v in self.__dict__.items() if k not in _PRIVATE})
        output["transformers_version"] = TRANSFORMERS_VERSION
        return output

    def to_diff_dict(self) -> dict[str, Any]:
        """Only the attributes that differ from ``GenerationConfig()`` (plus ``transformers_version``)."""
        defaults = GenerationConfig().to_dict()
        return {
            key: value
            for key, value in self.to_dict().items()
            if key not in defaults or key == "transformers_version" or value != defaults[key]
        }

    def to_json_string(self, use_diff: bool = True, ignore_metadata: bool = False,
                       keys_to_pop: list[str] | None = None) -> str:
        """JSON text (2-space indent, sorted keys, final newline), as the reference writes it."""
        data = self.to_diff_dict() if use_diff else self.to_dict()
        for key in keys_to_pop or ():
            data.pop(key, None)
        if ignore_metadata:
            for key in _METADATA_FIELDS:
                data.pop(key, None)
        return json.dumps(_string_keys(data), indent=2, sort_keys=True) + "\n"

    def to_json_file(self, json_file_path: str | os.PathLike, use_diff: bool = True,
                     keys_to_pop: list[str] | None = None) -> None:
        """Write :meth:`to_json_string` to ``json_file_path`` (atomically)."""
        write_text_atomically(json_file_path, self.to_json_string(use_diff=use_diff, keys_to_pop=keys_to_pop))

    @classmethod
    def from_dict(cls, config_dict: dict[str, Any], **kwargs: Any) -> GenerationConfig | tuple[GenerationConfig, dict]:
        """Build from a dict; ``kwargs`` override it. ``return_unused_kwargs=True`` also returns the unknown ones.

        Example:
            >>> GenerationConfig.from_dict({"top_k": 4}, top_k=2).top_k
            2
        """
        return_unused = kwargs.pop("return_unused_kwargs", False)
        kwargs.pop("_from_auto", None)
        kwargs.pop("_from_pipeline", None)
        config = cls(**{**config_dict, **kwargs})
        unused = config.update(**kwargs)
        return (config, unused) if return_unused else config

    @classmethod
    def from_model_config(cls, model_config: Any) -> GenerationConfig:
        """The generation defaults a model config carries (special token ids, ``use_cache``, ...).

        Example:
            >>> from embrace.models.llama import LlamaConfig
            >>> GenerationConfig.from_model_config(LlamaConfig(eos_token_id=2)).eos_token_id
            2
        """
        as_dict = dict(model_config) if isinstance(model_config, dict) else model_config.to_dict()
        as_dict.pop("_from_model_config", None)
        as_dict = {k: v for k, v in as_dict.items() if v is not None}
        config = cls.from_dict(as_dict, return_unused_kwargs=False, _from_model_config=True)
        if isinstance(model_config, dict):
            text = next((model_config[n] for n in ("decoder", "generator", "text_config") if model_config.get(n)), model_config)
        else:
            text = model_config.get_text_config(decoder=True).to_dict()
        defaults = GenerationConfig()
        for attr in config.to_dict():
            if attr in text and getattr(config, attr) == getattr(defaults, attr, None):
                setattr(config, attr, text[attr])
        if not config.return_dict_in_generate and any(getattr(config, f, False) for f in _EXTRA_OUTPUT_FLAGS):
            config.return_dict_in_generate = True
        config._original_object_hash = hash(config)
        return config

    def update(self, defaults_only: bool = False, allow_custom_entries: bool = False, **kwargs: Any) -> dict[str, Any]:
        """Set the attributes named in ``kwargs``; return the ones that are not attributes.

        ``defaults_only`` only fills attributes that are ``None``; ``allow_custom_entries`` adds
        unknown keys as new attributes.

        Example:
            >>> GenerationConfig().update(top_k=3, foo=1)
            {'foo': 1}
        """
        used = []
        for key, value in kwargs.items():
            if allow_custom_entries and not hasattr(self, key):
                setattr(self, key, value)
                used.append(key)
            elif hasattr(self, key) and (not defaults_only or getattr(self, key) is None):
                setattr(self, key, value)
                used.append(key)
        self.validate(user_set_attributes=set(used))
        return {k: v for k, v in kwargs.items() if k not in used}

    # --- files --------------------------------------------------------------------------

    def save_pretrained(self, save_directory: str | os.PathLike, config_file_name: str | os.PathLike | None = None,
                        push_to_hub: bool = False, **kwargs: Any) -> None:
        """Write ``generation_config.json`` (or ``config_file_name``) into ``save_directory``.

        A config changed since loading is validated strictly first, so an inconsistent file
        is never written.

        Example:
            >>> import os, tempfile
            >>> folder = tempfile.mkdtemp()
            >>> GenerationConfig(do_sample=True, top_k=3).save_pretrained(folder)
            >>> GenerationConfig.from_pretrained(folder).top_k
            3
        """
        if kwargs:
            raise TypeError(f"save_pretrained() got unexpected keyword arguments {sorted(kwargs)}.")
        if push_to_hub:
            raise NotImplementedError("push_to_hub=True: upload the saved folder with embrace.hub instead.")
        modified = getattr(self, "_original_object_hash", None) != hash(self)
        try:
            self.validate(strict=modified)
        except ConfigError as exc:
            raise ConfigError(f"{exc}\n\nFix these issues to save the configuration.") from None
        save_directory = os.fspath(save_directory)
        if os.path.isfile(save_directory):
            raise DirectoryExpectedError(f"Provided path ({save_directory}) should be a directory, not a file.")
        os.makedirs(save_directory, exist_ok=True)
        path = os.path.join(save_directory, os.fspath(config_file_name or GENERATION_CONFIG_NAME))
        self.to_json_file(path, use_diff=True, keys_to_pop=["compile_config"])
        logger.info("Configuration saved in %s", path)

    @classmethod
    def from_pretrained(cls, pretrained_model_name: str | os.PathLike, config_file_name: str | os.PathLike | None = None,
                        cache_dir: str | os.PathLike | None = None, force_download: bool = False,
                        local_files_only: bool = False, token: str | bool | None = None, revision: str = "main",
                        **kwargs: Any) -> GenerationConfig | tuple[GenerationConfig, dict]:
        """Read ``generation_config.json`` from a folder or hub repo; ``kwargs`` override fields.

        ``subfolder=`` selects a folder inside the repo; ``return_unused_kwargs=True`` also
        returns the keyword arguments that are not fields.
        """
        name = os.fspath(config_file_name or GENERATION_CONFIG_NAME)
        subfolder = kwargs.pop("subfolder", "")
        kwargs.pop("_from_pipeline", None)
        kwargs.pop("_from_auto", None)
        kwargs.pop("proxies", None)
        from_model_config = kwargs.pop("_from_model_config", False)
        path = resolve_file(
            os.fspath(pretrained_model_name), name, subfolder=subfolder, revision=revision, cache_dir=cache_dir,
            local_files_only=local_files_only, token=token, force_download=force_download,
        )
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"The generation config at {path} is not valid JSON ({exc}); fix or delete the file.") from None
        if not isinstance(data, dict):
            raise ConfigError(f"The generation config at {path} must hold a JSON object, not {type(data).__name__}.")
        logger.info("loading configuration file %s", path)
        if from_model_config:
            return cls.from_model_config(data)
        result = cls.from_dict(data, **kwargs)
        config = result[0] if isinstance(result, tuple) else result
        config._original_object_hash = hash(config)
        return result


@dataclasses.dataclass
class CompileConfig:
    """How ``generate()`` compiles the model's forward when it compiles it by itself.

    ``generate()`` compiles the decoding steps (not the prompt's pass) when the cache has a
    fixed size (``cache_implementation="static"``) and the model is on a CUDA/XPU device,
    unless ``disable_compile=True``. The fields are ``torch.compile``'s arguments; the
    default ``mode="reduce-overhead"`` replays CUDA graphs, which removes the per-kernel
    launch cost that dominates small-batch decoding on a GPU. Setting
    ``_compile_all_devices = True`` on an instance compiles on every device (CPU included),
    which is mostly useful for tests.

    Example:
        >>> config = CompileConfig(dynamic=False)
        >>> config.to_dict()
        {'fullgraph': False, 'dynamic': False, 'backend': 'inductor', 'mode': 'reduce-overhead', 'options': None}
    """

    fullgraph: bool = False
    dynamic: bool | None = None
    backend: str | Callable = "inductor"
    mode: str = "reduce-overhead"
    options: dict | None = None
    # Not a field: kept out of to_dict() and equality, like the reference.
    _compile_all_devices = None

    def to_dict(self) -> dict[str, Any]:
        """The ``torch.compile`` keyword arguments."""
        return copy.deepcopy({key: value for key, value in self.__dict__.items() if key != "_compile_all_devices"})


def _string_keys(value: Any) -> Any:
    """JSON objects need string keys (``sequence_bias`` uses tuples) and dataclasses as dicts."""
    if isinstance(value, dict):
        return {str(k): _string_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_string_keys(v) for v in value]
    if hasattr(value, "to_dict") and not isinstance(value, type):
        return value.to_dict()
    return value
