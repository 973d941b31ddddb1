"""LoRA adapters for any PyTorch module and for embrace models: the drop-in for ``peft``.

``from peft import LoraConfig, get_peft_model, PeftModel`` becomes
``from embrace.peft import LoraConfig, get_peft_model, PeftModel``. Adapter folders
(``adapter_config.json`` + ``adapter_model.safetensors``) are the reference's format.

Example:
    >>> import torch
    >>> from torch import nn
    >>> from embrace.peft import LoraConfig, get_peft_model
    >>> model = get_peft_model(nn.Sequential(nn.Linear(4, 4)), LoraConfig(r=2, target_modules=["0"]))
    >>> model.get_nb_trainable_parameters()
    (16, 36)
"""

from embrace.peft.config import LoraConfig, PeftConfig, PeftType, TaskType
from embrace.peft.lora import LoraModel
from embrace.peft.peft_model import (
    MODEL_TYPE_TO_PEFT_MODEL_MAPPING,
    PeftModel,
    PeftModelForCausalLM,
    PeftModelForFeatureExtraction,
    PeftModelForQuestionAnswering,
    PeftModelForSeq2SeqLM,
    PeftModelForSequenceClassification,
    PeftModelForTokenClassification,
    get_peft_model,
)
from embrace.peft.save_load import get_peft_model_state_dict, set_peft_model_state_dict

__all__ = [
    "MODEL_TYPE_TO_PEFT_MODEL_MAPPING",
    "LoraConfig",
    "LoraModel",
    "PeftConfig",
    "PeftModel",
    "PeftModelForCausalLM",
    "PeftModelForFeatureExtraction",
    "PeftModelForQuestionAnswering",
    "PeftModelForSeq2SeqLM",
    "PeftModelForSequenceClassification",
    "PeftModelForTokenClassification",
    "PeftType",
    "TaskType",
    "get_peft_model",
    "get_peft_model_state_dict",
    "set_peft_model_state_dict",
]
