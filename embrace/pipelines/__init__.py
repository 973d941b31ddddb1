"""`pipeline()`: a ready-to-call model for a task, from a task name and/or a model.

Example:
    >>> from embrace.pipelines import SUPPORTED_TASKS
    >>> "fill-mask" in SUPPORTED_TASKS
    True
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import LocalEntryNotFoundError, OfflineModeIsEnabled, RemoteCodeError
from .base import KeyDataset, KeyPairDataset, Pipeline
from .registry import SUPPORTED_TASKS, TASK_ALIASES, offline_default_dir, parse_task, task_from_architectures

__all__ = ["pipeline", "Pipeline", "KeyDataset", "KeyPairDataset", "SUPPORTED_TASKS", "TASK_ALIASES"]

# Hub options of a model that also locate its tokenizer.
_SHARED_HUB_OPTIONS = ("cache_dir", "local_files_only", "force_download", "subfolder", "gguf_file")


def pipeline(task: "str | None" = None, model: Any = None, config: Any = None, tokenizer: Any = None,
             framework: "str | None" = None, revision: "str | None" = None, use_fast: bool = True,
             token: "str | bool | None" = None, device: Any = None, device_map: Any = None, dtype: Any = None,
             trust_remote_code: "bool | None" = None, model_kwargs: "dict[str, Any] | None" = None,
             batch_size: "int | None" = None, *, torch_dtype: Any = None, **task_kwargs: Any) -> Pipeline:
    """Build the pipeline of `task` around `model` (a repo id, a folder or a loaded model).

    Without `task`, the task comes from the model config's ``architectures``; without
    `model`, the task's default checkpoint is loaded (from the hub cache when offline).
    Other keyword arguments are task options (``top_k=``, ``aggregation_strategy=``, ...).

    Example:
        >>> pipeline("no-such-task")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        embrace.errors.UnknownKeyError: Unknown task 'no-such-task'. Valid values are: ...
    """
    from .. import auto
    from ..tokenization import AutoTokenizer

    if trust_remote_code:
        raise RemoteCodeError("trust_remote_code=True was passed, but embrace never executes code downloaded with "
                              "a model; use a model whose architecture embrace implements.")
    if framework not in (None, "pt"):
        raise ValueError(f"framework={framework!r}: embrace runs PyTorch models only (framework='pt').")
    if device is not None and device_map is not None:
        raise ValueError("Pass device or device_map, not both: device_map already places the model.")
    if task is None and model is None:
        raise RuntimeError("Impossible to instantiate a pipeline without either a task or a model being specified. "
                           "Please provide a task class or a model.")
    if dtype is not None and torch_dtype is not None:
        raise ValueError("dtype and torch_dtype are the same option; pass only dtype.")
    dtype = dtype if dtype is not None else torch_dtype
    model_kwargs = dict(model_kwargs or {})
    hub = {k: v for k, v in (("revision", revision), ("token", token)) if v is not None}

    if isinstance(config, (str, os.PathLike)):
        config = auto.AutoConfig.from_pretrained(config, **hub)
    if task is None:
        if isinstance(model, str):
            config = config if config is not None else auto.AutoConfig.from_pretrained(
                model, **hub, **{k: model_kwargs[k] for k in _SHARED_HUB_OPTIONS if k in model_kwargs})
            task = task_from_architectures(getattr(config, "architectures", None), repr(model))
        else:
            task = task_from_architectures(getattr(model.config, "architectures", None), type(model).__name__)
    spec, task_options = parse_task(task)

    default_model = model is None
    if default_model:
        model, default_revision = spec.default_for(task_options)
        hub["revision"] = revision or default_revision
    loaded_from = model if isinstance(model, (str, os.PathLike)) else None
    try:
        if loaded_from is not None:
            options = dict(model_kwargs)
            if dtype is not None:
                options["dtype"] = dtype
            if device_map is not None:
                options["device_map"] = device_map
            if config is not None:
                options["config"] = config
            model = getattr(auto, spec.auto_class).from_pretrained(loaded_from, **hub, **options)
        if tokenizer is None:
            source = loaded_from if loaded_from is not None else getattr(model, "name_or_path", None)
            if not source:
                raise ValueError("A model object was passed without a tokenizer, and model.name_or_path is empty so "
                                 "the tokenizer cannot be found: pass tokenizer=... as well.")
            tokenizer = source
        if isinstance(tokenizer, (str, os.PathLike)):
            shared = {k: model_kwargs[k] for k in _SHARED_HUB_OPTIONS if k in model_kwargs}
            tokenizer = AutoTokenizer.from_pretrained(tokenizer, use_fast=use_fast, **hub, **shared)
    except (LocalEntryNotFoundError, OfflineModeIsEnabled) as err:
        stand_in = offline_default_dir(spec.name) if default_model and spec.offline_fallback else None
        if stand_in is not None and os.path.isfile(os.path.join(stand_in, "config.json")):
            # the default checkpoint cannot be had: use the locally fine-tuned stand-in for this task
            return pipeline(task, model=stand_in, config=config, tokenizer=tokenizer, use_fast=use_fast, device=device,
                            device_map=device_map, dtype=dtype, model_kwargs=model_kwargs, batch_size=batch_size,
                            **task_kwargs)
        what = f"the default model of {spec.name!r}, {model}@{hub.get('revision')}" if default_model else repr(model)
        build = (f", or build the offline stand-in {stand_in} with `python scripts/finetune_minilm.py` (`make run` "
                 "does it)") if stand_in is not None else ""
        raise LocalEntryNotFoundError(
            f"Cannot load {what}: it is not in the local cache and the hub cannot be reached (offline). Fetch it "
            f"first with `embrace download {model}` while online, or pass model= a local folder{build}. ({err})"
        ) from err

    pipeline_class = spec.pipeline_class()
    return pipeline_class(model, tokenizer, task=task, device=device, batch_size=batch_size, **task_kwargs)
