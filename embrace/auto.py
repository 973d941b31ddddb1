"""Registries that turn a `model_type` into classes, and the Auto* classes built on them.

Three tables, all keyed by the `model_type` string found in `config.json`:

* ``MODEL_TYPES``: model_type -> the family module that holds its config and models.
* ``CONFIG_CLASSES``: model_type -> config class name in that module.
* ``TASK_CLASSES``: Auto class name -> {model_type -> model class name}.

Family modules are imported only when one of their classes is asked for, so
``import embrace`` stays fast however many families are registered. Nothing here sniffs
names or paths: a config without a known `model_type` is an error that lists the known ones.

Example:
    >>> from embrace import AutoConfig
    >>> AutoConfig.for_model("bert", hidden_size=32).hidden_size
    32
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from .errors import ConfigError, RemoteCodeError, unknown_key

MODEL_TYPES: dict[str, str] = {
    "bert": "embrace.models.bert",
    "llama": "embrace.models.llama",
    "mistral": "embrace.models.mistral",
    "qwen2": "embrace.models.qwen2",
    "gpt2": "embrace.models.gpt2",
    "roberta": "embrace.models.roberta",
    "xlm-roberta": "embrace.models.xlm_roberta",
    "camembert": "embrace.models.camembert",
    "distilbert": "embrace.models.distilbert",
    "electra": "embrace.models.electra",
    "albert": "embrace.models.albert",
    "deberta-v2": "embrace.models.deberta_v2",
    "bart": "embrace.models.bart", "mbart": "embrace.models.mbart", "marian": "embrace.models.marian", "pegasus": "embrace.models.pegasus",
    "t5": "embrace.models.t5",
    "mt5": "embrace.models.mt5",
    "umt5": "embrace.models.umt5",
    "encoder-decoder": "embrace.models.encoder_decoder",
}

CONFIG_CLASSES: dict[str, str] = {
    "bert": "BertConfig",
    "llama": "LlamaConfig",
    "mistral": "MistralConfig",
    "qwen2": "Qwen2Config",
    "gpt2": "GPT2Config",
    "roberta": "RobertaConfig",
    "xlm-roberta": "XLMRobertaConfig",
    "camembert": "CamembertConfig",
    "distilbert": "DistilBertConfig",
    "electra": "ElectraConfig",
    "albert": "AlbertConfig",
    "deberta-v2": "DebertaV2Config",
    "bart": "BartConfig", "mbart": "MBartConfig", "marian": "MarianConfig", "pegasus": "PegasusConfig",
    "t5": "T5Config",
    "mt5": "MT5Config",
    "umt5": "UMT5Config",
    "encoder-decoder": "EncoderDecoderConfig",
}

TASK_CLASSES: dict[str, dict[str, str]] = {
    "AutoModel": {
        "bert": "BertModel", "llama": "LlamaModel", "mistral": "MistralModel", "qwen2": "Qwen2Model",
        "gpt2": "GPT2Model", "roberta": "RobertaModel", "xlm-roberta": "XLMRobertaModel",
        "camembert": "CamembertModel", "distilbert": "DistilBertModel", "electra": "ElectraModel",
        "albert": "AlbertModel", "deberta-v2": "DebertaV2Model",
        "bart": "BartModel", "mbart": "MBartModel", "marian": "MarianModel", "pegasus": "PegasusModel",
        "t5": "T5Model", "mt5": "MT5Model", "umt5": "UMT5Model",
    },
    "AutoModelForPreTraining": {
        "bert": "BertForPreTraining", "electra": "ElectraForPreTraining", "albert": "AlbertForPreTraining",
    },
    "AutoModelForMaskedLM": {
        "bert": "BertForMaskedLM", "roberta": "RobertaForMaskedLM", "xlm-roberta": "XLMRobertaForMaskedLM",
        "camembert": "CamembertForMaskedLM", "distilbert": "DistilBertForMaskedLM", "electra": "ElectraForMaskedLM",
        "albert": "AlbertForMaskedLM", "deberta-v2": "DebertaV2ForMaskedLM",
    },
    "AutoModelForCausalLM": {
        "bert": "BertLMHeadModel", "llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM",
        "qwen2": "Qwen2ForCausalLM", "gpt2": "GPT2LMHeadModel", "roberta": "RobertaForCausalLM",
        "xlm-roberta": "XLMRobertaForCausalLM", "camembert": "CamembertForCausalLM", "electra": "ElectraForCausalLM",
        "bart": "BartForCausalLM", "mbart": "MBartForCausalLM", "marian": "MarianForCausalLM", "pegasus": "PegasusForCausalLM",
    },
    "AutoModelForSequenceClassification": {
        "bert": "BertForSequenceClassification", "llama": "LlamaForSequenceClassification",
        "mistral": "MistralForSequenceClassification", "qwen2": "Qwen2ForSequenceClassification",
        "gpt2": "GPT2ForSequenceClassification", "roberta": "RobertaForSequenceClassification",
        "xlm-roberta": "XLMRobertaForSequenceClassification", "camembert": "CamembertForSequenceClassification",
        "distilbert": "DistilBertForSequenceClassification", "electra": "ElectraForSequenceClassification",
        "albert": "AlbertForSequenceClassification", "deberta-v2": "DebertaV2ForSequenceClassification",
        "bart": "BartForSequenceClassification", "mbart": "MBartForSequenceClassification",
        "t5": "T5ForSequenceClassification", "mt5": "MT5ForSequenceClassification",
        "umt5": "UMT5ForSequenceClassification",
    },
    "AutoModelForMultipleChoice": {
        "bert": "BertForMultipleChoice", "roberta": "RobertaForMultipleChoice",
        "xlm-roberta": "XLMRobertaForMultipleChoice", "camembert": "CamembertForMultipleChoice",
        "distilbert": "DistilBertForMultipleChoice", "electra": "ElectraForMultipleChoice",
        "albert": "AlbertForMultipleChoice", "deberta-v2": "DebertaV2ForMultipleChoice",
    },
    "AutoModelForTokenClassification": {
        "bert": "BertForTokenClassification", "gpt2": "GPT2ForTokenClassification",
        "roberta": "RobertaForTokenClassification", "xlm-roberta": "XLMRobertaForTokenClassification",
        "camembert": "CamembertForTokenClassification", "distilbert": "DistilBertForTokenClassification",
        "electra": "ElectraForTokenClassification", "albert": "AlbertForTokenClassification",
        "deberta-v2": "DebertaV2ForTokenClassification",
        "t5": "T5ForTokenClassification", "mt5": "MT5ForTokenClassification", "umt5": "UMT5ForTokenClassification",
    },
    "AutoModelForQuestionAnswering": {
        "bert": "BertForQuestionAnswering", "roberta": "RobertaForQuestionAnswering",
        "xlm-roberta": "XLMRobertaForQuestionAnswering", "camembert": "CamembertForQuestionAnswering",
        "distilbert": "DistilBertForQuestionAnswering", "electra": "ElectraForQuestionAnswering",
        "albert": "AlbertForQuestionAnswering", "deberta-v2": "DebertaV2ForQuestionAnswering",
        "bart": "BartForQuestionAnswering", "mbart": "MBartForQuestionAnswering",
        "t5": "T5ForQuestionAnswering", "mt5": "MT5ForQuestionAnswering", "umt5": "UMT5ForQuestionAnswering",
    },
    "AutoModelForNextSentencePrediction": {"bert": "BertForNextSentencePrediction"},
    "AutoModelForSeq2SeqLM": {
        "bart": "BartForConditionalGeneration", "mbart": "MBartForConditionalGeneration", "marian": "MarianMTModel",
        "pegasus": "PegasusForConditionalGeneration",
        "t5": "T5ForConditionalGeneration", "mt5": "MT5ForConditionalGeneration", "umt5": "UMT5ForConditionalGeneration",
        "encoder-decoder": "EncoderDecoderModel",
    },
}

# Classes registered at run time by users (`AutoConfig.register`, `AutoModel.register`).
_REGISTERED_CONFIGS: dict[str, type] = {}
_REGISTERED_MODELS: dict[str, dict[type, type]] = {}

# The keyword arguments that locate a file; AutoConfig and the model both need them.
_HUB_KWARGS = ("cache_dir", "force_download", "local_files_only", "token", "revision", "subfolder", "gguf_file")


def _load(model_type: str, class_name: str) -> type:
    return getattr(importlib.import_module(MODEL_TYPES[model_type]), class_name)


def config_class_for(model_type: str) -> type:
    """The config class registered for `model_type`; a miss lists every known type."""
    if model_type in _REGISTERED_CONFIGS:
        return _REGISTERED_CONFIGS[model_type]
    if model_type not in CONFIG_CLASSES:
        raise unknown_key("model_type", model_type, set(CONFIG_CLASSES) | set(_REGISTERED_CONFIGS))
    return _load(model_type, CONFIG_CLASSES[model_type])


def _refuse_remote_code(kwargs: dict[str, Any]) -> None:
    if kwargs.pop("trust_remote_code", False):
        raise RemoteCodeError(
            "trust_remote_code=True was passed, but embrace never executes code downloaded with a "
            "model. Use a model whose architecture embrace implements (see embrace.auto.MODEL_TYPES), "
            "or register your own classes with AutoConfig.register / AutoModel.register."
        )


class AutoConfig:
    """Picks the config class from the `model_type` of a `config.json`.

    Example:
        >>> from embrace import AutoConfig
        >>> config = AutoConfig.for_model("bert", num_hidden_layers=2)
        >>> type(config).__name__, config.num_hidden_layers
        ('BertConfig', 2)
    """

    def __init__(self) -> None:
        raise OSError("AutoConfig is not meant to be instantiated: use AutoConfig.from_pretrained(...).")

    @classmethod
    def for_model(cls, model_type: str, *args: Any, **kwargs: Any):
        """A fresh config of the class registered for `model_type`."""
        return config_class_for(model_type)(*args, **kwargs)

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: str | os.PathLike, **kwargs: Any):
        """Load `config.json` from a folder, a json file or a cached repo, as its own class.

        Keyword arguments that name config fields override them; with
        ``return_unused_kwargs=True`` the others come back as a dict.
        """
        from .configuration import PretrainedConfig

        _refuse_remote_code(kwargs)
        return_unused = kwargs.pop("return_unused_kwargs", False)
        config_dict, unused = PretrainedConfig.get_config_dict(pretrained_model_name_or_path, **kwargs)
        model_type = config_dict.get("model_type")
        if not model_type:
            raise ConfigError(
                f"The config.json of {str(pretrained_model_name_or_path)!r} has no 'model_type' key, so the "
                f"model family is unknown. Add \"model_type\": one of {sorted(CONFIG_CLASSES)} to it, or "
                "load it with the family's config class directly (e.g. BertConfig.from_pretrained)."
            )
        config_class = config_class_for(model_type)
        return config_class.from_dict(config_dict, return_unused_kwargs=return_unused, **unused)

    @staticmethod
    def register(model_type: str, config: type, exist_ok: bool = False) -> None:
        """Make `AutoConfig` build `config` for `model_type`."""
        if getattr(config, "model_type", model_type) != model_type:
            raise ConfigError(
                f"{config.__name__}.model_type is {config.model_type!r} but it is being registered as "
                f"{model_type!r}; the two must match."
            )
        if not exist_ok and (model_type in CONFIG_CLASSES or model_type in _REGISTERED_CONFIGS):
            raise ConfigError(f"'{model_type}' is already registered; pass exist_ok=True to replace it.")
        _REGISTERED_CONFIGS[model_type] = config


class _BaseAutoModelClass:
    """Shared behaviour of the AutoModel* classes: look the config's model_type up in one table."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        name = type(self).__name__
        raise OSError(
            f"{name} is not meant to be instantiated: use {name}.from_pretrained(...) or {name}.from_config(config)."
        )

    @classmethod
    def _model_class(cls, config: Any) -> type:
        registered = _REGISTERED_MODELS.get(cls.__name__, {})
        if type(config) in registered:
            return registered[type(config)]
        table = TASK_CLASSES[cls.__name__]
        model_type = getattr(config, "model_type", None)
        if model_type not in table:
            known = sorted(set(table) | {c.model_type for c in registered})
            raise ConfigError(
                f"Unrecognized configuration class {type(config).__name__} (model_type {model_type!r}) for "
                f"{cls.__name__}. Model types {cls.__name__} can build: {', '.join(known)}."
            )
        return _load(model_type, table[model_type])

    @classmethod
    def from_config(cls, config: Any, **kwargs: Any):
        """A randomly initialised model of the class that fits `config`."""
        _refuse_remote_code(kwargs)
        return cls._model_class(config)._from_config(config, **kwargs)

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: str | os.PathLike, *model_args: Any, **kwargs: Any):
        """Load the model class that fits the checkpoint's config, with its weights.

        Accepts everything `PreTrainedModel.from_pretrained` accepts; config fields passed
        as keyword arguments (``num_labels=3``) override the saved config.
        """
        _refuse_remote_code(kwargs)
        config = kwargs.pop("config", None)
        if config is None:
            hub_kwargs = {k: kwargs.pop(k) for k in _HUB_KWARGS if k in kwargs}
            config, kwargs = AutoConfig.from_pretrained(
                pretrained_model_name_or_path, return_unused_kwargs=True, **hub_kwargs, **kwargs
            )
            kwargs.update(hub_kwargs)
        return cls._model_class(config).from_pretrained(pretrained_model_name_or_path, *model_args, config=config, **kwargs)

    @classmethod
    def register(cls, config_class: type, model_class: type, exist_ok: bool = False) -> None:
        """Make this Auto class build `model_class` for configs of type `config_class`."""
        registered = _REGISTERED_MODELS.setdefault(cls.__name__, {})
        if not exist_ok and config_class in registered:
            raise ConfigError(f"{config_class.__name__} is already registered for {cls.__name__}; pass exist_ok=True.")
        registered[config_class] = model_class


def _make_auto_class(name: str, task: str) -> type:
    doc = (
        f"Builds the {task} class that fits a checkpoint's `model_type`.\n\n"
        "    Example:\n"
        f"        >>> from embrace import {name}, BertConfig\n"
        f"        >>> model = {name}.from_config(BertConfig(hidden_size=32, num_hidden_layers=1,\n"
        "        ...     num_attention_heads=2, intermediate_size=37, vocab_size=99))\n"
        f"        >>> type(model).__name__ == {TASK_CLASSES[name]['bert']!r}\n"
        "        True\n"
    )
    return type(name, (_BaseAutoModelClass,), {"__doc__": doc, "__module__": __name__})


AutoModel = _make_auto_class("AutoModel", "base model")
AutoModelForPreTraining = _make_auto_class("AutoModelForPreTraining", "pre-training model")
AutoModelForMaskedLM = _make_auto_class("AutoModelForMaskedLM", "masked language model")
AutoModelForCausalLM = _make_auto_class("AutoModelForCausalLM", "causal language model")
AutoModelForSequenceClassification = _make_auto_class("AutoModelForSequenceClassification", "sequence classifier")
AutoModelForMultipleChoice = _make_auto_class("AutoModelForMultipleChoice", "multiple-choice model")
AutoModelForTokenClassification = _make_auto_class("AutoModelForTokenClassification", "token classifier")
AutoModelForQuestionAnswering = _make_auto_class("AutoModelForQuestionAnswering", "extractive QA model")
AutoModelForNextSentencePrediction = _make_auto_class("AutoModelForNextSentencePrediction", "next-sentence model")
AutoModelForSeq2SeqLM = type("AutoModelForSeq2SeqLM", (_BaseAutoModelClass,), {
    "__module__": __name__,
    "__doc__": """Builds the encoder-decoder language model (translation, summarization) that fits a checkpoint.

    Example:
        >>> from embrace import AutoModelForSeq2SeqLM, BartConfig
        >>> model = AutoModelForSeq2SeqLM.from_config(BartConfig(vocab_size=20, d_model=8, encoder_layers=1,
        ...     decoder_layers=1, encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=16,
        ...     decoder_ffn_dim=16, max_position_embeddings=16))
        >>> type(model).__name__
        'BartForConditionalGeneration'
    """,
})
