"""Training: TrainingArguments, Trainer, callbacks, optimizers and schedulers, data collators.

Names are imported lazily so that ``import embrace.training`` does not pull in torch.

Example:
    >>> from embrace.training import DataCollatorWithPadding
    >>> DataCollatorWithPadding.__name__
    'DataCollatorWithPadding'
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> module (relative to this package) that defines it; one line per module
_LAZY: dict[str, str] = {
    **{name: ".data_collator" for name in ("default_data_collator", "DefaultDataCollator", "DataCollatorMixin", "DataCollatorWithPadding", "DataCollatorForTokenClassification", "DataCollatorForMultipleChoice", "DataCollatorForSeq2Seq", "DataCollatorForLanguageModeling", "DataCollatorWithFlattening")},
    **{name: ".hf_argparser" for name in ("HfArgumentParser", "HfArg")},
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
