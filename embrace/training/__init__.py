"""Training: TrainingArguments, Trainer, callbacks, optimizers and schedulers, data collators.

Names are imported lazily so that ``import embrace.training`` does not pull in torch.

Example:
    >>> from embrace.training import TrainingArguments
    >>> TrainingArguments(output_dir="out").train_batch_size
    8
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> module (relative to this package) that defines it; one line per module
_LAZY: dict[str, str] = {
    **{name: ".training_args" for name in ("TrainingArguments", "IntervalStrategy", "SaveStrategy", "SchedulerType", "OptimizerNames")},
    **{name: ".seq2seq" for name in ("Seq2SeqTrainingArguments", "Seq2SeqTrainer")},
    **{name: ".trainer" for name in ("Trainer",)},
    **{name: ".trainer_utils" for name in ("TrainOutput", "EvalPrediction", "PredictionOutput", "EvalLoopOutput", "set_seed", "get_last_checkpoint", "PREFIX_CHECKPOINT_DIR", "LengthGroupedSampler")},
    **{name: ".trainer_callback" for name in ("TrainerCallback", "TrainerState", "TrainerControl", "CallbackHandler", "DefaultFlowCallback", "PrinterCallback", "ProgressCallback", "EarlyStoppingCallback", "TensorBoardCallback", "JSONLLoggerCallback")},
    **{name: ".data_collator" for name in ("default_data_collator", "DefaultDataCollator", "DataCollatorMixin", "DataCollatorWithPadding", "DataCollatorForTokenClassification", "DataCollatorForMultipleChoice", "DataCollatorForSeq2Seq", "DataCollatorForLanguageModeling", "DataCollatorWithFlattening")},
    **{name: ".hf_argparser" for name in ("HfArgumentParser", "HfArg")},
    **{name: ".optimization" for name in ("Adafactor", "get_scheduler", "get_linear_schedule_with_warmup", "get_constant_schedule", "get_constant_schedule_with_warmup", "get_cosine_schedule_with_warmup", "get_cosine_with_min_lr_schedule_with_warmup", "get_cosine_with_hard_restarts_schedule_with_warmup", "get_polynomial_decay_schedule_with_warmup", "get_inverse_sqrt_schedule", "get_wsd_schedule", "get_decay_parameter_names")},
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'embrace.training' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # cache: the next access skips this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
