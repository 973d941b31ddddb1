"""``get_peft_model`` and :class:`PeftModel`: a model with LoRA adapters, saved as an adapter folder.

Parameter names are the reference's: ``base_model.model.<path>.lora_A.default.weight``.
Anything the wrapper does not define (``config``, ``generate``, heads...) is looked up on
the wrapped model, so a :class:`PeftModel` is used like the model it wraps.

Example:
    >>> import torch
    >>> from torch import nn
    >>> from embrace.peft import LoraConfig, get_peft_model
    >>> base = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> model = get_peft_model(base, LoraConfig(r=2, target_modules=["0"], modules_to_save=["2"]))
    >>> model.print_trainable_parameters()
    trainable params: 42 || all params: 100 || trainable%: 42.0000
    >>> model(torch.ones(1, 4)).shape
    torch.Size([1, 2])
"""

from __future__ import annotations

import contextlib
import os
from typing import Any, Iterator

from torch import nn

from embrace.errors import ConfigError
from embrace.peft.config import LoraConfig, PeftConfig, TaskType
from embrace.peft.lora import QA_HEAD_NAMES, SEQ_CLS_HEAD_NAMES, LoraModel
from embrace.peft.save_load import load_adapter_weights, save_adapter_weights, set_peft_model_state_dict


class PeftModel(nn.Module):
    """A base model plus named LoRA adapters (one active at a time).

    Example:
        >>> from torch import nn
        >>> from embrace.peft import LoraConfig, PeftModel
        >>> model = PeftModel(nn.Sequential(nn.Linear(4, 4)), LoraConfig(target_modules=["0"]))
        >>> model.active_adapter
        'default'
    """

    def __init__(
        self, model: nn.Module, peft_config: PeftConfig, adapter_name: str = "default", *,
        autocast_adapter_dtype: bool = True,
    ) -> None:
        super().__init__()
        if not isinstance(peft_config, LoraConfig):
            raise ConfigError(f"embrace.peft implements LoRA only; got a {type(peft_config).__name__}.")
        self._prepare_config(peft_config, model)
        self.base_model = LoraModel(model, peft_config, adapter_name, autocast_adapter_dtype=autocast_adapter_dtype)

    def _prepare_config(self, config: PeftConfig, model: nn.Module) -> None:
        """Hook for task subclasses (e.g. to train the classification head in full)."""
        if config.base_model_name_or_path is None:
            config.base_model_name_or_path = getattr(model, "name_or_path", None) or None

    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)
        except AttributeError:
            if name == "base_model":
                raise
            return getattr(self.base_model, name)

    @property
    def peft_config(self) -> dict[str, PeftConfig]:
        return self.base_model.peft_config

    @property
    def active_adapter(self) -> str:
        return self.base_model.active_adapter

    @property
    def active_peft_config(self) -> PeftConfig:
        return self.peft_config[self.active_adapter]

    def get_base_model(self) -> nn.Module:
        """The wrapped model (with the LoRA layers inside it)."""
        return self.base_model.model

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.get_base_model()(*args, **kwargs)

    def generate(self, *args: Any, **kwargs: Any) -> Any:
        """Generate with the wrapped causal LM; the LoRA layers act inside its forward."""
        return self.get_base_model().generate(*args, **kwargs)

    def get_nb_trainable_parameters(self) -> tuple[int, int]:
        """``(trainable, all)`` parameter counts, adapters and frozen copies included in ``all``."""
        trainable = total = 0
        for param in self.parameters():
            total += param.numel()
            if param.requires_grad:
                trainable += param.numel()
        return trainable, total

    def print_trainable_parameters(self) -> None:
        """Print the reference's one-line summary of trainable vs all parameters."""
        trainable, total = self.get_nb_trainable_parameters()
        print(f"trainable params: {trainable:,d} || all params: {total:,d} || trainable%: {100 * trainable / total:.4f}")

    def add_adapter(self, adapter_name: str, peft_config: PeftConfig, *, autocast_adapter_dtype: bool = True) -> None:
        """Add another adapter; it stays inactive until :meth:`set_adapter` picks it."""
        if not isinstance(peft_config, LoraConfig):
            raise ConfigError(f"embrace.peft implements LoRA only; got a {type(peft_config).__name__}.")
        self._prepare_config(peft_config, self.get_base_model())
        self.base_model.inject_adapter(adapter_name, peft_config, autocast_adapter_dtype=autocast_adapter_dtype)

    def set_adapter(self, adapter_name: str) -> None:
        self.base_model.set_adapter(adapter_name)

    def delete_adapter(self, adapter_name: str) -> None:
        self.base_model.delete_adapter(adapter_name)

    @contextlib.contextmanager
    def disable_adapter(self) -> Iterator[None]:
        """Run the bare base model inside the ``with`` block (merged adapters are unmerged)."""
        self.base_model.set_adapter_layers(enabled=False)
        try:
            yield
        finally:
            self.base_model.set_adapter_layers(enabled=True)

    def merge_adapter(self, adapter_names: list[str] | None = None, *, safe_merge: bool = False) -> None:
        self.base_model.merge_adapter(adapter_names, safe_merge=safe_merge)

    def unmerge_adapter(self) -> None:
        self.base_model.unmerge_adapter()

    def merge_and_unload(self, *, progressbar: bool = False, safe_merge: bool = False, adapter_names: list[str] | None = None) -> nn.Module:
        return self.base_model.merge_and_unload(progressbar=progressbar, safe_merge=safe_merge, adapter_names=adapter_names)

    def unload(self) -> nn.Module:
        return self.base_model.unload()

    def save_pretrained(
        self, save_directory: str | os.PathLike, *, selected_adapters: list[str] | None = None,
        safe_serialization: bool = True, is_main_process: bool = True,
    ) -> None:
        """Write ``adapter_config.json`` + ``adapter_model.safetensors``; extra adapters go to ``<dir>/<name>/``.

        Example:
            >>> import os, tempfile
            >>> from torch import nn
            >>> from embrace.peft import LoraConfig, get_peft_model
            >>> folder = tempfile.mkdtemp()
            >>> get_peft_model(nn.Sequential(nn.Linear(4, 4)), LoraConfig(target_modules=["0"])).save_pretrained(folder)
            >>> sorted(os.listdir(folder))
            ['adapter_config.json', 'adapter_model.safetensors']
        """
        if not safe_serialization:
            raise ConfigError("Only safetensors adapters are written (pickle files can run code); keep safe_serialization=True.")
        if os.path.isfile(save_directory):
            raise ConfigError(f"save_directory {str(save_directory)!r} is a file; pass a folder.")
        names = list(self.peft_config) if selected_adapters is None else list(selected_adapters)
        unknown = sorted(set(names) - set(self.peft_config))
        if unknown:
            raise ConfigError(f"Unknown adapter(s) {unknown}; available: {sorted(self.peft_config)}.")
        if not is_main_process:
            return
        for name in names:
            folder = save_directory if name == "default" else os.path.join(save_directory, name)
            os.makedirs(folder, exist_ok=True)
            save_adapter_weights(self, folder, name)
            config = self.peft_config[name]
            # Saved adapters load for inference by default, as in the reference.
            was_inference = config.inference_mode
            config.inference_mode = True
            config.auto_mapping = self._auto_mapping()
            try:
                config.save_pretrained(folder)
            finally:
                config.inference_mode = was_inference

    def _auto_mapping(self) -> dict[str, str] | None:
        # Plain torch modules record their class so loaders can find it; models of the
        # transformers family are found through their config.json instead.
        base = self.get_base_model()
        if hasattr(base, "config") and hasattr(base.config, "model_type"):
            return None
        return {"base_model_class": type(base).__name__, "parent_library": type(base).__module__}

    @classmethod
    def from_pretrained(
        cls, model: nn.Module, model_id: str | os.PathLike, adapter_name: str = "default", *,
        is_trainable: bool = False, config: PeftConfig | None = None, autocast_adapter_dtype: bool = True,
        subfolder: str = "", revision: str | None = None, cache_dir: str | os.PathLike | None = None,
        local_files_only: bool = False, token: str | bool | None = None,
    ) -> PeftModel:
        """Wrap ``model`` and load the adapter saved at ``model_id`` (folder or hub repo).

        With ``is_trainable=False`` (default) the adapter is frozen and the model is put in eval mode.
        """
        hub = dict(subfolder=subfolder, revision=revision, cache_dir=cache_dir, local_files_only=local_files_only, token=token)
        if config is None:
            config = PeftConfig.from_pretrained(model_id, **hub)
        config.inference_mode = not is_trainable
        model_cls = MODEL_TYPE_TO_PEFT_MODEL_MAPPING.get(config.task_type, PeftModel) if cls is PeftModel else cls
        # Build the adapter without drawing random init values that the file overwrites anyway.
        init = config.init_lora_weights
        config.init_lora_weights = True
        peft_model = model_cls(model, config, adapter_name, autocast_adapter_dtype=autocast_adapter_dtype)
        config.init_lora_weights = init
        peft_model._load_weights(model_id, adapter_name, hub)
        if not is_trainable:
            peft_model.eval()
        return peft_model

    def load_adapter(
        self, model_id: str | os.PathLike, adapter_name: str, *, is_trainable: bool = False,
        autocast_adapter_dtype: bool = True, subfolder: str = "", revision: str | None = None,
        cache_dir: str | os.PathLike | None = None, local_files_only: bool = False, token: str | bool | None = None,
    ) -> None:
        """Load a saved adapter next to the existing ones under ``adapter_name`` (not activated).

        An existing ``adapter_name`` keeps its layers and trainability and gets the saved weights
        copied in (the Trainer resumes a checkpoint this way, so the optimizer's tensors stay the same).
        """
        hub = dict(subfolder=subfolder, revision=revision, cache_dir=cache_dir, local_files_only=local_files_only, token=token)
        if adapter_name not in self.peft_config:
            config = PeftConfig.from_pretrained(model_id, **hub)
            config.inference_mode = not is_trainable
            self.add_adapter(adapter_name, config, autocast_adapter_dtype=autocast_adapter_dtype)
        self._load_weights(model_id, adapter_name, hub)

    def _load_weights(self, model_id: str | os.PathLike, adapter_name: str, hub: dict[str, Any]) -> None:
        weights = load_adapter_weights(model_id, **hub)
        device = next(self.parameters()).device
        set_peft_model_state_dict(self, {k: v.to(device) for k, v in weights.items()}, adapter_name)


class PeftModelForCausalLM(PeftModel):
    """PEFT wrapper for decoder LMs (``task_type="CAUSAL_LM"``): forward and ``generate``."""


class PeftModelForFeatureExtraction(PeftModel):
    """PEFT wrapper for encoders used as embedders (``task_type="FEATURE_EXTRACTION"``)."""


class PeftModelForSeq2SeqLM(PeftModel):
    """PEFT wrapper for encoder-decoder LMs (``task_type="SEQ_2_SEQ_LM"``)."""


class _HeadTrainingPeftModel(PeftModel):
    # Task heads are freshly initialized for the task, so they train in full alongside LoRA.
    head_names: tuple[str, ...] = ()

    def _prepare_config(self, config: PeftConfig, model: nn.Module) -> None:
        super()._prepare_config(config, model)
        wanted = list(config.modules_to_save or [])
        config.modules_to_save = wanted + [name for name in self.head_names if name not in wanted]


class PeftModelForSequenceClassification(_HeadTrainingPeftModel):
    """PEFT wrapper for classifiers: ``classifier`` / ``score`` heads are trained in full."""

    head_names = SEQ_CLS_HEAD_NAMES


class PeftModelForTokenClassification(_HeadTrainingPeftModel):
    """PEFT wrapper for token classifiers: ``classifier`` / ``score`` heads are trained in full."""

    head_names = SEQ_CLS_HEAD_NAMES


class PeftModelForQuestionAnswering(_HeadTrainingPeftModel):
    """PEFT wrapper for extractive QA: the ``qa_outputs`` head is trained in full."""

    head_names = QA_HEAD_NAMES


# task_type -> wrapper class (None -> PeftModel).
MODEL_TYPE_TO_PEFT_MODEL_MAPPING: dict[str | None, type[PeftModel]] = {
    None: PeftModel,
    TaskType.CAUSAL_LM.value: PeftModelForCausalLM,
    TaskType.SEQ_CLS.value: PeftModelForSequenceClassification,
    TaskType.TOKEN_CLS.value: PeftModelForTokenClassification,
    TaskType.QUESTION_ANS.value: PeftModelForQuestionAnswering,
    TaskType.FEATURE_EXTRACTION.value: PeftModelForFeatureExtraction,
    TaskType.SEQ_2_SEQ_LM.value: PeftModelForSeq2SeqLM,
}


def get_peft_model(
    model: nn.Module, peft_config: PeftConfig, adapter_name: str = "default", *,
    autocast_adapter_dtype: bool = True, revision: str | None = None,
) -> PeftModel:
    """Wrap ``model`` with a new LoRA adapter; the class follows ``peft_config.task_type``.

    Example:
        >>> from torch import nn
        >>> from embrace.peft import LoraConfig, get_peft_model
        >>> type(get_peft_model(nn.Sequential(nn.Linear(2, 2)), LoraConfig(target_modules=["0"], task_type="CAUSAL_LM"))).__name__
        'PeftModelForCausalLM'
    """
    if revision is not None:
        peft_config.revision = revision
    model_cls = MODEL_TYPE_TO_PEFT_MODEL_MAPPING[peft_config.task_type]
    return model_cls(model, peft_config, adapter_name, autocast_adapter_dtype=autocast_adapter_dtype)
