"""Trainer: the training / evaluation / prediction loop for embrace (and plain torch) models.

Same constructor, methods and files as ``transformers.Trainer``, with a small open inside:
``train`` is a short loop over named steps (``_run_epoch`` -> ``_optimizer_step`` ->
``_maybe_log_save_evaluate``), checkpoint I/O lives in ``checkpoint.py``, and the evaluation loop in
``evaluation.py`` streams (the loss is a running sum; with ``batch_eval_metrics`` no predictions are
kept at all). Under torchrun the model is wrapped in DDP, or with ``args.fsdp`` sharded in place by
FSDP2 (``distributed.shard_model``); the weights and optimizer state are then gathered in full for
every save, so checkpoints are the files a single process writes.

Loss normalisation under gradient accumulation: when the model's forward takes
``num_items_in_batch`` (explicitly or through ``**kwargs``) or ``compute_loss_func`` is given, the
number of label tokens of the whole accumulation window is passed in and the loss is not divided
again; otherwise each micro-batch loss is divided by the number of micro-batches.

Example:
    >>> import torch, tempfile
    >>> from embrace import BertConfig, BertForSequenceClassification
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <...>
    >>> model = BertForSequenceClassification(BertConfig(vocab_size=30, hidden_size=16, num_hidden_layers=1,
    ...     num_attention_heads=2, intermediate_size=20))
    >>> data = [{"input_ids": [1, 2, 3], "labels": i % 2} for i in range(8)]
    >>> args = TrainingArguments(output_dir=tempfile.mkdtemp(), max_steps=2, save_strategy="no",
    ...                          report_to="none", disable_tqdm=True, logging_strategy="no")
    >>> Trainer(model=model, args=args, train_dataset=data).train().global_step  # doctest: +ELLIPSIS
    {'train_runtime': ...}
    2
"""

from __future__ import annotations

import contextlib
import inspect
import math
import os
import time
from collections.abc import Mapping
from typing import Any, Callable, Iterator

import torch
from torch import nn
from torch.utils.data import DataLoader, IterableDataset, SequentialSampler

from embrace.errors import CheckpointError, TrainingError
from embrace.peft import PeftModel
from embrace.training import checkpoint as ckpt
from embrace.training import distributed as dist_utils
from embrace.training.data_collator import DataCollatorWithPadding, default_data_collator
from embrace.training.evaluation import evaluation_loop
from embrace.training.optimization import create_optimizer as _build_optimizer
from embrace.training.optimization import get_scheduler
from embrace.training.trainer_callback import (
    INTEGRATION_CALLBACKS, CallbackHandler, DefaultFlowCallback, ExportableState, PrinterCallback, ProgressCallback,
    TrainerCallback, TrainerControl, TrainerState,
)
from embrace.training.trainer_utils import (
    EpochSeededLengthGroupedSampler, EpochSeededRandomSampler, EvalLoopOutput, PredictionOutput, TrainOutput,
    capture_rng_state, detach_nested, get_last_checkpoint, has_length, label_smoothed_loss, restore_rng_state, set_seed,
    speed_metrics,
)
from embrace.training.training_args import SaveStrategy, TrainingArguments
from embrace.utils.logging import get_logger

logger = get_logger(__name__)

__all__ = ["Trainer"]

_IGNORE_INDEX = -100  # label value the losses skip


def _unwrap_peft(model: nn.Module) -> nn.Module:
    # A PeftModel's forward takes **kwargs and passes them on: columns, labels and loss options
    # are those of the model it wraps.
    return model.get_base_model() if isinstance(model, PeftModel) else model


def _progress_bars_disabled() -> bool:
    return any(os.environ.get(v, "").strip().lower() in ("1", "true", "yes", "on")
               for v in ("EMBRACE_DISABLE_PROGRESS_BARS", "HF_HUB_DISABLE_PROGRESS_BARS"))


class Trainer:
    """Train, evaluate and predict with a model (see the module docstring)."""

    loss_is_scaled_for_ga: bool | None = None

    def __init__(self, model: nn.Module | None = None, args: TrainingArguments | None = None,
                 data_collator: Callable[[list], dict] | None = None, train_dataset: Any = None,
                 eval_dataset: Any = None, processing_class: Any = None, model_init: Callable[..., nn.Module] | None = None,
                 compute_loss_func: Callable[..., torch.Tensor] | None = None,
                 compute_metrics: Callable[..., dict] | None = None, callbacks: list[TrainerCallback] | None = None,
                 optimizers: tuple[torch.optim.Optimizer | None, Any] = (None, None),
                 preprocess_logits_for_metrics: Callable[[Any, Any], Any] | None = None,
                 *, tokenizer: Any = None) -> None:
        self.args = args if args is not None else TrainingArguments(output_dir="trainer_output")
        set_seed(self.args.seed)
        if model is None and model_init is None:
            raise TrainingError("Trainer needs a model or a model_init function.")
        self.model_init = model_init
        self.model = model if model is not None else self.call_model_init()
        self.processing_class = processing_class if processing_class is not None else tokenizer
        if data_collator is None:
            pads = self.processing_class is not None and hasattr(self.processing_class, "pad")
            data_collator = DataCollatorWithPadding(self.processing_class) if pads else default_data_collator
        self.data_collator = data_collator
        self.train_dataset, self.eval_dataset = train_dataset, eval_dataset
        if self.args.eval_strategy != "no" and eval_dataset is None:
            raise TrainingError(f"eval_strategy={self.args.eval_strategy.value!r} needs an eval_dataset; pass one "
                                "or set eval_strategy='no'.")
        self.compute_loss_func, self.compute_metrics = compute_loss_func, compute_metrics
        self.preprocess_logits_for_metrics = preprocess_logits_for_metrics
        self.optimizer, self.lr_scheduler = optimizers
        self._created_optimizer = self.optimizer is None
        self.model.to(self.args.device)
        self._setup_model_options()
        self.label_names = self.args.label_names if self.args.label_names is not None else self._find_labels()
        defaults = [DefaultFlowCallback, *(INTEGRATION_CALLBACKS[n] for n in self.args.report_to)]
        defaults.append(PrinterCallback if self.args.disable_tqdm or _progress_bars_disabled() else ProgressCallback)
        self.callback_handler = CallbackHandler(defaults + list(callbacks or []), self.model, self.processing_class,
                                                self.optimizer, self.lr_scheduler)
        self.state = TrainerState(**self._process_zero_flags())
        self.control = TrainerControl()
        self._scaler = torch.amp.GradScaler("cuda") if self.args.fp16 else None
        self.control = self.callback_handler.on_init_end(self.args, self.state, self.control)
        if getattr(self.model, "config", None) is not None:
            self.model.config.use_cache = self.args.use_cache

    # ---- model -------------------------------------------------------------------------------------
    def call_model_init(self, trial: Any = None) -> nn.Module:
        """A fresh model from ``model_init`` (called with ``trial`` if it takes one argument)."""
        if self.model_init is None:
            raise TrainingError("call_model_init needs the Trainer to be built with model_init=.")
        takes_trial = len(inspect.signature(self.model_init).parameters) == 1
        model = self.model_init(trial) if takes_trial else self.model_init()
        if model is None:
            raise TrainingError("model_init returned None; it must return a model.")
        return model

    def _setup_model_options(self) -> None:
        inspected = _unwrap_peft(self.model)
        forward = inspect.signature(inspected.forward).parameters
        accepts = getattr(inspected, "accepts_loss_kwargs", None)
        if accepts is None:
            accepts = "num_items_in_batch" in forward or any(p.kind == p.VAR_KEYWORD for p in forward.values())
        self.model_accepts_loss_kwargs = bool(accepts)
        self._signature_columns = [n for n, p in forward.items() if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
        from embrace.auto import TASK_CLASSES

        # causal LMs shift labels by one inside the loss: count the items the loss really sees
        causal_lms = TASK_CLASSES["AutoModelForCausalLM"].values()
        self._loss_shifts_labels = dist_utils.unsharded_class(inspected).__name__ in causal_lms
        if self.args.gradient_checkpointing:
            if not hasattr(self.model, "gradient_checkpointing_enable"):
                raise TrainingError(f"gradient_checkpointing=True but {type(self.model).__name__} has no "
                                    "gradient_checkpointing_enable(); turn the option off for this model.")
            self.model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=self.args.gradient_checkpointing_kwargs)
        self.model_wrapped = self.model
        if self.args.fsdp:
            self._shard_model()
        elif self.args.world_size > 1:
            # gradients are averaged across processes during backward; the Trainer keeps self.model unwrapped
            self.model_wrapped = nn.parallel.DistributedDataParallel(
                self.model, device_ids=[self.args.device.index] if self.args.device.type == "cuda" else None,
                find_unused_parameters=bool(self.args.ddp_find_unused_parameters),
                bucket_cap_mb=self.args.ddp_bucket_cap_mb,
                broadcast_buffers=self.args.ddp_broadcast_buffers is not False)
        if self.args.torch_compile:
            self.model_wrapped = torch.compile(self.model_wrapped, backend=self.args.torch_compile_backend or "inductor",
                                               mode=self.args.torch_compile_mode)

    def _shard_model(self) -> None:
        """FSDP: shard the model in place (self.model and self.model_wrapped stay the same object); the
        optimizer is created afterwards, over the sharded parameters."""
        if self.args.world_size == 1:
            raise TrainingError("Using fsdp only works in distributed training: start the script on several processes "
                                "(`embrace launch --nproc_per_node 2 script.py` or torchrun), or drop fsdp.")
        if isinstance(self.model, PeftModel):
            raise TrainingError("fsdp with a PeftModel is not implemented; train the adapters with DDP (drop fsdp) "
                                "or merge them into the model first.")
        if self.optimizer is not None and not self._created_optimizer:
            raise TrainingError("Trainer(optimizers=...) with fsdp: that optimizer holds the parameters from before "
                                "sharding. Leave optimizers unset (args.optim picks one) or override create_optimizer.")
        config = self.args.fsdp_config
        if config.get("activation_checkpointing") and not dist_utils.is_sharded(self.model):
            if not hasattr(self.model, "gradient_checkpointing_enable"):
                raise TrainingError(f"fsdp_config['activation_checkpointing'] is set but {type(self.model).__name__} "
                                    "has no gradient_checkpointing_enable(); turn the option off for this model.")
            self.model.gradient_checkpointing_enable()
        precision = torch.bfloat16 if self.args.bf16 else torch.float16 if self.args.fp16 else None
        if not dist_utils.is_sharded(self.model):
            blocks = dist_utils.shard_model(self.model, config, device=self.args.device, mixed_precision=precision)
            logger.info(f"FSDP: sharded {len(blocks)} blocks and the root of {type(self.model).__name__}")

    def _find_labels(self) -> list[str]:
        names = [n for n in self._signature_columns if "label" in n]
        if not names and {"start_positions", "end_positions"} <= set(self._signature_columns):
            names = ["start_positions", "end_positions"]
        return names

    # ---- callbacks ---------------------------------------------------------------------------------
    def add_callback(self, callback: type[TrainerCallback] | TrainerCallback) -> None:
        """Register a callback (instance or class)."""
        self.callback_handler.add_callback(callback)

    def pop_callback(self, callback: type[TrainerCallback] | TrainerCallback) -> TrainerCallback | None:
        """Remove and return a callback (by class or instance)."""
        return self.callback_handler.pop_callback(callback)

    def remove_callback(self, callback: type[TrainerCallback] | TrainerCallback) -> None:
        """Remove a callback (by class or instance)."""
        self.callback_handler.remove_callback(callback)

    # ---- data --------------------------------------------------------------------------------------
    def _kept_columns(self) -> set[str]:
        return set(self._signature_columns) | set(self.label_names) | {"label", "label_ids"}

    def _prepare_dataset(self, dataset: Any) -> tuple[Any, Callable[[list], dict]]:
        """Drop columns the model cannot take: from an embrace Dataset directly, else in the collator."""
        collator = self.data_collator
        if not self.args.remove_unused_columns:
            return dataset, collator
        keep = self._kept_columns()
        columns = getattr(dataset, "column_names", None)
        if isinstance(columns, list) and hasattr(dataset, "remove_columns"):
            unused = [c for c in columns if c not in keep]
            if unused and len(unused) == len(columns):
                raise TrainingError(f"No dataset column matches {type(self.model).__name__}.forward "
                                    f"(columns {columns}); rename them or set remove_unused_columns=False.")
            return (dataset.remove_columns(unused) if unused else dataset), collator

        def collate(features: list) -> dict:
            if features and isinstance(features[0], Mapping):
                features = [{k: v for k, v in f.items() if k in keep} for f in features]
            return collator(features)

        return dataset, collate

    def _dataloader(self, dataset: Any, batch_size: int, sampler: Any) -> DataLoader:
        dataset, collate = self._prepare_dataset(dataset)
        if isinstance(dataset, IterableDataset) or not has_length(dataset):
            sampler = None
        elif callable(sampler):
            sampler = sampler(dataset)
        return DataLoader(dataset, batch_size=batch_size, sampler=sampler, collate_fn=collate,
                          num_workers=self.args.dataloader_num_workers, drop_last=self.args.dataloader_drop_last,
                          pin_memory=self.args.dataloader_pin_memory and self.args.device.type == "cuda")

    def _data_seed(self) -> int:
        return self.args.data_seed if self.args.data_seed is not None else self.args.seed

    def _get_train_sampler(self, dataset: Any) -> Any:
        strategy = self.args.train_sampling_strategy
        if strategy == "sequential":
            return SequentialSampler(dataset)
        if strategy == "group_by_length":
            column = self.args.length_column_name
            names = getattr(dataset, "column_names", None) or []
            if column in names:
                lengths = list(dataset[column])
            else:
                key = getattr(self.processing_class, "model_input_names", ["input_ids"])[0]
                if not isinstance(dataset[0], Mapping) or key not in dataset[0]:
                    raise TrainingError(f"group_by_length needs a {column!r} column or items with a {key!r} key.")
                lengths = [len(item[key]) for item in dataset]
            # group over what all processes take in one optimizer step, so each rank's share is length-matched
            batch = self.args.train_batch_size * self.args.gradient_accumulation_steps * self.args.world_size
            return self._shard(EpochSeededLengthGroupedSampler(batch, lengths, self._data_seed()))
        return self._shard(EpochSeededRandomSampler(dataset, self._data_seed()))

    def _shard(self, sampler: Any) -> Any:
        """Under torchrun: this process's share of ``sampler`` (DistributedSampler's split and padding)."""
        if self.args.world_size == 1:
            return sampler
        return dist_utils.ShardedSampler(sampler, self.args.world_size, self.args.process_index)

    def _eval_sampler(self, dataset: Any) -> Any:
        if self.args.world_size == 1:
            return SequentialSampler(dataset)
        return dist_utils.EvalShardSampler(dataset, self.args.world_size, self.args.process_index)

    def _process_zero_flags(self) -> dict[str, bool]:
        return {"is_local_process_zero": self.args.local_process_index == 0,
                "is_world_process_zero": self.args.process_index == 0}

    def get_train_dataloader(self) -> DataLoader:
        """The training DataLoader (shuffled by an epoch-seeded sampler, unused columns removed)."""
        if self.train_dataset is None:
            raise TrainingError("Trainer.train needs a train_dataset.")
        return self._dataloader(self.train_dataset, self.args.train_batch_size, self._get_train_sampler)

    def get_eval_dataloader(self, eval_dataset: Any = None) -> DataLoader:
        """The evaluation DataLoader (in order); ``eval_dataset`` may name an entry of a dict eval_dataset."""
        if eval_dataset is None and self.eval_dataset is None:
            raise TrainingError("Trainer.evaluate needs an eval_dataset (in the constructor or the call).")
        if isinstance(eval_dataset, str):
            eval_dataset = self.eval_dataset[eval_dataset]
        dataset = eval_dataset if eval_dataset is not None else self.eval_dataset
        return self._dataloader(dataset, self.args.eval_batch_size, self._eval_sampler)

    def get_test_dataloader(self, test_dataset: Any) -> DataLoader:
        """The prediction DataLoader (in order)."""
        return self._dataloader(test_dataset, self.args.eval_batch_size, self._eval_sampler)

    # ---- optimizer and schedule --------------------------------------------------------------------
    def create_optimizer(self) -> torch.optim.Optimizer:
        """The optimizer named by ``args.optim`` (unless one was passed in ``optimizers``)."""
        if self.optimizer is None:
            self.optimizer = _build_optimizer(self.model, self.args)
        return self.optimizer

    def create_scheduler(self, num_training_steps: int, optimizer: torch.optim.Optimizer | None = None) -> Any:
        """The schedule named by ``args.lr_scheduler_type`` (unless one was passed in ``optimizers``)."""
        if self.lr_scheduler is None:
            self.lr_scheduler = get_scheduler(
                self.args.lr_scheduler_type, optimizer or self.optimizer,
                num_warmup_steps=self.args.get_warmup_steps(num_training_steps),
                num_training_steps=num_training_steps, scheduler_specific_kwargs=self.args.lr_scheduler_kwargs)
        return self.lr_scheduler

    def create_optimizer_and_scheduler(self, num_training_steps: int) -> None:
        """Both of the above."""
        self.create_optimizer()
        self.create_scheduler(num_training_steps)

    def _get_learning_rate(self) -> float:
        return self.lr_scheduler.get_last_lr()[0] if hasattr(self.lr_scheduler, "get_last_lr") else (
            self.optimizer.param_groups[0]["lr"])

    # ---- training ----------------------------------------------------------------------------------
    def train(self, resume_from_checkpoint: str | bool | None = None, trial: Any = None,
              ignore_keys_for_eval: list[str] | None = None) -> TrainOutput:
        """Train; ``resume_from_checkpoint`` is a checkpoint folder or True (the last one in output_dir)."""
        resume = resume_from_checkpoint if resume_from_checkpoint is not None else self.args.resume_from_checkpoint
        if resume is True or resume == "True":
            resume = get_last_checkpoint(self.args.output_dir) if os.path.isdir(self.args.output_dir) else None
            if resume is None:
                raise CheckpointError(f"resume_from_checkpoint=True but {self.args.output_dir} has no checkpoint-<step> folder.")
        if self.model_init is not None:
            set_seed(self.args.seed)
            self.model = self.call_model_init(trial).to(self.args.device)
            self._setup_model_options()
            self.optimizer = self.lr_scheduler = None
        if resume:
            self._load_model_from_checkpoint(resume)
        if self._created_optimizer:  # a second train() call rebuilds what the first one created
            self.optimizer = self.lr_scheduler = None
        self._ignore_keys_for_eval = ignore_keys_for_eval
        loader = self.get_train_dataloader()
        self._plan_run(loader)
        self.create_optimizer_and_scheduler(self._max_steps)
        for name in ("model", "optimizer", "lr_scheduler"):
            setattr(self.callback_handler, name, getattr(self, name))
        self.callback_handler.train_dataloader = loader
        start_epoch, skip_batches = self._init_state(resume)
        self._tr_loss = torch.tensor(0.0, device=self.args.device)
        self._total_loss = 0.0
        self._grad_norm = self._step_lr = None  # set by each optimizer step, read by the logs
        self._last_logged_step = self._initial_step = self.state.global_step
        self._initial_tokens = self.state.num_input_tokens_seen
        self._start_time = time.time()
        self.model_wrapped.zero_grad()
        self.control = self.callback_handler.on_train_begin(self.args, self.state, self.control)
        if self.args.eval_on_start:
            self._evaluate_and_track()
        for epoch in range(start_epoch, self._num_epochs):
            self.control = self.callback_handler.on_epoch_begin(self.args, self.state, self.control)
            self._run_epoch(loader, epoch, resume if epoch == start_epoch else None,
                            skip_batches if epoch == start_epoch else 0)
            if self.control.should_training_stop:
                break
        return self._finish_training()

    def _plan_run(self, loader: DataLoader) -> None:
        ga = self.args.gradient_accumulation_steps
        if has_length(loader):
            self._batches_per_epoch = len(loader)
            self._updates_per_epoch = max(math.ceil(len(loader) / ga), 1)
            if self.args.max_steps > 0:
                self._max_steps = self.args.max_steps
                self._num_epochs = math.ceil(self._max_steps / self._updates_per_epoch)
            else:
                self._max_steps = math.ceil(self.args.num_train_epochs * self._updates_per_epoch)
                self._num_epochs = math.ceil(self.args.num_train_epochs)
        elif self.args.max_steps > 0:  # an iterable dataset: epochs are as long as the run
            self._max_steps, self._num_epochs = self.args.max_steps, 1
            self._batches_per_epoch = self._max_steps * ga
            self._updates_per_epoch = self._max_steps
        else:
            raise TrainingError("A train_dataset without a length needs args.max_steps > 0.")

    def _init_state(self, resume: str | None) -> tuple[int, int]:
        stateful = [cb for cb in self.callback_handler.callbacks + [self.control] if isinstance(cb, ExportableState)]
        self.state = TrainerState(stateful_callbacks=stateful, train_batch_size=self.args.train_batch_size,
                                  **self._process_zero_flags())
        self.state.compute_steps(self.args, self._max_steps)
        if not resume:
            self.state.max_steps, self.state.num_train_epochs = self._max_steps, self._num_epochs
            return 0, 0
        self.state = TrainerState.load_from_json(os.path.join(resume, ckpt.TRAINER_STATE_NAME))
        for key, value in self._process_zero_flags().items():
            setattr(self.state, key, value)
        self.state.max_steps, self.state.num_train_epochs = self._max_steps, self._num_epochs
        self._load_callback_states()
        optimizer_state = ckpt.load_torch_file(resume, ckpt.OPTIMIZER_NAME, map_location=self.args.device)
        if dist_utils.is_sharded(self.model):
            dist_utils.load_full_optimizer_state_dict(self.model, self.optimizer, optimizer_state)
        else:
            self.optimizer.load_state_dict(optimizer_state)
        self.lr_scheduler.load_state_dict(ckpt.load_torch_file(resume, ckpt.SCHEDULER_NAME))
        if self._scaler is not None and os.path.isfile(os.path.join(resume, ckpt.SCALER_NAME)):
            self._scaler.load_state_dict(ckpt.load_torch_file(resume, ckpt.SCALER_NAME))
        epochs_done = self.state.global_step // self._updates_per_epoch
        skip = 0 if self.args.ignore_data_skip else (
            self.state.global_step % self._updates_per_epoch) * self.args.gradient_accumulation_steps
        logger.info(f"Resuming from {resume}: epoch {epochs_done}, step {self.state.global_step}, skipping {skip} batches")
        return epochs_done, skip

    def _load_callback_states(self) -> None:
        saved = self.state.stateful_callbacks
        for callback in self.callback_handler.callbacks + [self.control]:
            entry = saved.get(type(callback).__name__)
            if isinstance(callback, ExportableState) and entry is not None:
                entry = entry[0] if isinstance(entry, list) else entry
                for key, value in entry.get("attributes", {}).items():
                    setattr(callback, key, value)
                if isinstance(callback, TrainerControl):
                    for key, value in entry.get("args", {}).items():
                        setattr(callback, key, value)

    def _epoch_batches(self, loader: DataLoader, epoch: int, resume: str | None, skip: int) -> Iterator[Any]:
        sampler = loader.sampler
        if hasattr(sampler, "set_epoch"):
            sampler.set_epoch(epoch)
        batches = iter(loader)
        for _ in range(skip):  # fast-forward through what the checkpointed run already trained on
            next(batches, None)
        if resume is not None:
            # the random state right after the checkpoint: dropout and collators continue identically
            restore_rng_state(ckpt.load_torch_file(resume, ckpt.RNG_STATE_NAME, allow_numpy=True))
        return batches

    def _run_epoch(self, loader: DataLoader, epoch: int, resume: str | None, skip: int) -> None:
        ga = self.args.gradient_accumulation_steps
        batches = self._epoch_batches(loader, epoch, resume, skip)
        first_update = skip // ga
        last_window = self._batches_per_epoch % ga or ga
        for update in range(first_update, self._updates_per_epoch):
            size = last_window if update == self._updates_per_epoch - 1 else ga
            window = [b for b in (next(batches, None) for _ in range(size)) if b is not None]
            if not window:  # an iterable dataset ran out before max_steps
                logger.warning(f"The training data ran out at step {self.state.global_step} of {self._max_steps}.")
                self.control.should_training_stop = True
                break
            self._training_window(window, epoch, (update * ga + len(window)) / self._batches_per_epoch)
            if self.control.should_epoch_stop or self.control.should_training_stop:
                break
        self.control = self.callback_handler.on_epoch_end(self.args, self.state, self.control)
        self._maybe_log_save_evaluate()

    def _training_window(self, window: list[Any], epoch: int, epoch_progress: float) -> None:
        """One optimizer step over the micro-batches of one gradient-accumulation window."""
        self.control = self.callback_handler.on_step_begin(self.args, self.state, self.control)
        num_items = self._num_items_in_batch(window)
        self._current_window = len(window)
        window_loss = torch.tensor(0.0, device=self.args.device)
        for i, inputs in enumerate(window):
            # DDP/FSDP: reduce the gradients only once per window, on its last micro-batch
            last = i == len(window) - 1
            with contextlib.nullcontext() if last else dist_utils.skip_gradient_sync(self.model_wrapped):
                loss = self.training_step(self.model_wrapped, inputs, num_items)
            self._track_tokens(inputs)
            if self.args.logging_nan_inf_filter and not torch.isfinite(loss):
                # a nan/inf step is replaced by the running average so far, like the reference
                loss = self._tr_loss / (1 + self.state.global_step - self._last_logged_step)
            self._tr_loss += loss
            window_loss += loss
            if i < len(window) - 1:
                self.control = self.callback_handler.on_substep_end(self.args, self.state, self.control)
        self._optimizer_step()
        self.state.global_step += 1
        self.state.epoch = epoch + epoch_progress
        self.control = self.callback_handler.on_step_end(self.args, self.state, self.control, inputs=window,
                                                         loss=window_loss.item())
        self._maybe_log_save_evaluate()

    def _optimizer_step(self) -> None:
        if self._scaler is not None:
            self._scaler.unscale_(self.optimizer)
        self._grad_norm = None
        if self.args.max_grad_norm and self.args.max_grad_norm > 0:
            norm = nn.utils.clip_grad_norm_(self.model.parameters(), self.args.max_grad_norm)
            # FSDP: the norm over all shards comes back as a DTensor
            self._grad_norm = (norm.full_tensor() if hasattr(norm, "full_tensor") else norm).item()
        self.control = self.callback_handler.on_pre_optimizer_step(self.args, self.state, self.control)
        if self._scaler is not None:
            self._scaler.step(self.optimizer)
            self._scaler.update()
        else:
            self.optimizer.step()
        self.control = self.callback_handler.on_optimizer_step(self.args, self.state, self.control)
        self._step_lr = self._get_learning_rate()  # the lr this step used, for the logs
        if not isinstance(self.lr_scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            self.lr_scheduler.step()
        self.model_wrapped.zero_grad()

    def _num_items_in_batch(self, window: list[Any]) -> torch.Tensor | None:
        """Label tokens (not -100) in the whole window, for models/loss functions that normalise by it."""
        if not (self.model_accepts_loss_kwargs or self.compute_loss_func is not None):
            return None
        if not window or not isinstance(window[0], Mapping) or "labels" not in window[0]:
            return None
        counts = []
        for batch in window:
            labels = batch.get("shift_labels")
            if labels is None:
                labels = batch["labels"][..., 1:] if self._loss_shifts_labels else batch["labels"]
            if not isinstance(labels, torch.Tensor):
                return None
            counts.append(labels.ne(_IGNORE_INDEX).sum())
        total = torch.stack(counts).sum()
        if self.args.world_size > 1:  # normalise by the label tokens of all processes (see training_step)
            total = torch.tensor(dist_utils.all_reduce_sum(float(total)))
        return total.to(self.args.device)

    def _track_tokens(self, inputs: Any) -> None:
        mode = self.args.include_num_input_tokens_seen
        if mode == "no" or not isinstance(inputs, Mapping):
            return
        main = getattr(self.model, "main_input_name", "input_ids")
        if mode == "non_padding" and "attention_mask" in inputs:
            self.state.num_input_tokens_seen += int(inputs["attention_mask"].sum())
        elif main in inputs:
            self.state.num_input_tokens_seen += int(inputs[main].numel())

    def autocast_smart_context_manager(self) -> contextlib.AbstractContextManager:
        """bf16/fp16 autocast when the arguments ask for it, else a no-op."""
        if self.args.bf16:
            return torch.autocast(self.args.device.type, dtype=torch.bfloat16)
        if self.args.fp16:
            return torch.autocast(self.args.device.type, dtype=torch.float16)
        return contextlib.nullcontext()

    def compute_loss_context_manager(self) -> contextlib.AbstractContextManager:
        """The context the forward pass runs in (autocast)."""
        return self.autocast_smart_context_manager()

    def _prepare_inputs(self, inputs: Any) -> Any:
        if isinstance(inputs, Mapping):
            return type(inputs)({k: self._prepare_inputs(v) for k, v in inputs.items()})
        if isinstance(inputs, (tuple, list)):
            return type(inputs)(self._prepare_inputs(v) for v in inputs)
        return inputs.to(self.args.device) if isinstance(inputs, torch.Tensor) else inputs

    def training_step(self, model: nn.Module, inputs: dict[str, Any], num_items_in_batch: Any = None) -> torch.Tensor:
        """Forward + backward on one micro-batch; returns the detached loss as it was backpropagated."""
        model.train()
        inputs = self._prepare_inputs(inputs)
        with self.compute_loss_context_manager():
            loss = self.compute_loss(model, inputs, num_items_in_batch=num_items_in_batch)
        scaled = self.loss_is_scaled_for_ga
        if scaled is None:
            scaled = (self.model_accepts_loss_kwargs and num_items_in_batch is not None) or self.compute_loss_func is not None
        if not scaled:
            loss = loss / getattr(self, "_current_window", self.args.gradient_accumulation_steps)
        elif num_items_in_batch is not None and self.args.world_size > 1:
            # normalised by all processes' label tokens, but DDP averages gradients: undo its 1/world_size
            loss = loss * self.args.world_size
        (self._scaler.scale(loss) if self._scaler is not None else loss).backward()
        return loss.detach()

    def compute_loss(self, model: nn.Module, inputs: dict[str, Any], return_outputs: bool = False,
                     num_items_in_batch: Any = None) -> torch.Tensor | tuple[torch.Tensor, Any]:
        """The loss of one batch: ``compute_loss_func(outputs, labels, num_items_in_batch=)`` if given, else the
        label-smoothed cross-entropy when ``label_smoothing_factor > 0``, else the model's own loss."""
        labels = None
        smoothing = self.args.label_smoothing_factor
        if (self.compute_loss_func is not None or smoothing > 0) and "labels" in inputs:
            inputs = dict(inputs)
            labels = inputs.pop("labels")
        if self.model_accepts_loss_kwargs and num_items_in_batch is not None:
            inputs = {**inputs, "num_items_in_batch": num_items_in_batch}
        outputs = model(**inputs)
        if self.compute_loss_func is not None:
            loss = self.compute_loss_func(outputs, labels, num_items_in_batch=num_items_in_batch)
        elif labels is not None:  # label smoothing
            logits = outputs["logits"] if isinstance(outputs, Mapping) else outputs[0]
            loss = label_smoothed_loss(logits, labels, smoothing, shift_labels=self._loss_shifts_labels,
                                       num_items_in_batch=num_items_in_batch)
        else:
            if isinstance(outputs, Mapping) and outputs.get("loss") is None:
                raise TrainingError(f"The model returned no loss (outputs: {list(outputs.keys())}; inputs: "
                                    f"{list(inputs.keys())}). Pass labels in the data or a compute_loss_func.")
            loss = outputs["loss"] if isinstance(outputs, Mapping) else outputs[0]
        return (loss, outputs) if return_outputs else loss

    # ---- logging, evaluation and checkpoints during training --------------------------------------
    def _maybe_log_save_evaluate(self) -> None:
        if self.control.should_log and self.state.global_step > self._last_logged_step:
            # the mean over processes (each one only saw its shard)
            loss = dist_utils.all_reduce_sum(self._tr_loss.item()) / self.args.world_size
            self._tr_loss -= self._tr_loss
            logs: dict[str, float] = {"loss": loss / (self.state.global_step - self._last_logged_step)}
            if self._grad_norm is not None:
                logs["grad_norm"] = self._grad_norm
            logs["learning_rate"] = self._step_lr if self._step_lr is not None else self._get_learning_rate()
            self._total_loss += loss
            self._last_logged_step = self.state.global_step
            self.log(logs, self._start_time)
        is_new_best = False
        if self.control.should_evaluate:
            is_new_best = self._evaluate_and_track()
            if self.args.save_strategy == SaveStrategy.BEST:
                self.control.should_save = is_new_best
        if self.control.should_save:
            self._save_checkpoint()
            self.control = self.callback_handler.on_save(self.args, self.state, self.control)

    def _evaluate_and_track(self) -> bool:
        """Evaluate every eval set; returns whether ``metric_for_best_model`` improved."""
        sets = self.eval_dataset if isinstance(self.eval_dataset, dict) else {None: self.eval_dataset}
        metrics: dict[str, float] = {}
        for name, dataset in sets.items():
            prefix = f"eval_{name}" if name is not None else "eval"
            metrics.update(self.evaluate(dataset, ignore_keys=self._ignore_keys_for_eval, metric_key_prefix=prefix))
        if isinstance(self.lr_scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            self.lr_scheduler.step(metrics[self._best_metric_key()])
        return self._update_best_metric(metrics)

    def _best_metric_key(self) -> str:
        key = self.args.metric_for_best_model or "loss"
        return key if key.startswith("eval_") else f"eval_{key}"

    def _update_best_metric(self, metrics: dict[str, float]) -> bool:
        if self.args.metric_for_best_model is None:
            return False
        key = self._best_metric_key()
        if key not in metrics:
            raise TrainingError(f"metric_for_best_model={self.args.metric_for_best_model!r}: evaluation returned "
                                f"no {key!r} (got {sorted(metrics)}); fix the name or compute_metrics.")
        value, best = metrics[key], self.state.best_metric
        if best is None or (value > best if self.args.greater_is_better else value < best):
            self.state.best_metric, self.state.best_global_step = value, self.state.global_step
            return True
        return False

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        """Record ``logs`` (with epoch and step) in ``state.log_history`` and send them to the callbacks."""
        if self.state.epoch is not None:
            logs["epoch"] = self.state.epoch
        if self.args.include_num_input_tokens_seen != "no":
            logs["num_input_tokens_seen"] = self.state.num_input_tokens_seen
            if start_time is not None:
                seen = self.state.num_input_tokens_seen - self._initial_tokens
                logs.update(speed_metrics("train", start_time, num_tokens=seen))
        self.state.log_history.append({**logs, "step": self.state.global_step})
        self.control = self.callback_handler.on_log(self.args, self.state, self.control, logs=logs)

    def _save_checkpoint(self) -> None:
        step = self.state.global_step
        if self.state.best_global_step is not None:
            best = ckpt.checkpoint_dir(self.args.output_dir, self.state.best_global_step)
            if os.path.isdir(best) or self.state.best_global_step == step:
                self.state.best_model_checkpoint = best
        for callback in self.callback_handler.callbacks + [self.control]:
            if isinstance(callback, ExportableState):
                self.state.stateful_callbacks[type(callback).__name__] = callback.state()

        # under FSDP gathering the full weights and optimizer state takes every process; rank 0 gets them
        model_state = self._full_model_state()
        optimizer_state = None
        if not self.args.save_only_model:
            optimizer_state = (dist_utils.full_optimizer_state_dict(self.model, self.optimizer)
                               if dist_utils.is_sharded(self.model) else self.optimizer.state_dict())

        def write(folder: str) -> None:
            self._write_model(folder, model_state)
            if optimizer_state is not None:
                torch.save(optimizer_state, os.path.join(folder, ckpt.OPTIMIZER_NAME))
                torch.save(self.lr_scheduler.state_dict(), os.path.join(folder, ckpt.SCHEDULER_NAME))
                torch.save(capture_rng_state(), os.path.join(folder, ckpt.RNG_STATE_NAME))
                if self._scaler is not None:
                    torch.save(self._scaler.state_dict(), os.path.join(folder, ckpt.SCALER_NAME))
            self.state.save_to_json(os.path.join(folder, ckpt.TRAINER_STATE_NAME))

        if self.args.should_save:  # the main process writes; the weights are the same everywhere
            ckpt.write_checkpoint(self.args.output_dir, step, write)
            ckpt.rotate_checkpoints(self.args.output_dir, self.args.save_total_limit, self.state.best_model_checkpoint)
        dist_utils.barrier()  # no process goes on (or loads it) before the checkpoint is complete

    def save_model(self, output_dir: str | None = None, _internal_call: bool = False) -> None:
        """Save the model (``save_pretrained`` or ``model.safetensors``), the processing class and the arguments.
        Under FSDP every process must call it (the full weights are gathered from all of them)."""
        model_state = self._full_model_state()
        if self.args.should_save:  # under torchrun only the main process writes
            self._write_model(output_dir if output_dir is not None else self.args.output_dir, model_state)

    def _full_model_state(self) -> dict[str, torch.Tensor] | None:
        """The unsharded weights of an FSDP model (collective; complete on rank 0); None otherwise."""
        return dist_utils.full_model_state_dict(self.model) if dist_utils.is_sharded(self.model) else None

    def _write_model(self, output_dir: str, state_dict: dict[str, torch.Tensor] | None) -> None:
        ckpt.save_model_files(self.model, output_dir, state_dict=state_dict, processing_class=self.processing_class,
                              args=self.args)

    def save_state(self) -> None:
        """Write ``trainer_state.json`` to ``output_dir`` (main process only)."""
        if not self.args.should_save:
            return
        os.makedirs(self.args.output_dir, exist_ok=True)
        self.state.save_to_json(os.path.join(self.args.output_dir, ckpt.TRAINER_STATE_NAME))

    def _load_model_from_checkpoint(self, folder: str, *, strict: bool = False) -> None:
        ckpt.load_model_weights(self.model, folder, device=self.args.device, strict=strict)

    def _finish_training(self) -> TrainOutput:
        self._total_loss += self._tr_loss.item()
        steps = self.state.global_step - self._initial_step
        train_loss = self._total_loss / max(steps, 0.001)
        samples = steps * self.args.train_batch_size * self.args.gradient_accumulation_steps * self.args.world_size
        metrics = speed_metrics("train", self._start_time, num_samples=samples, num_steps=steps)
        metrics["total_flos"] = float(self.state.total_flos)
        metrics["train_loss"] = train_loss
        self.log(metrics)
        if self.args.load_best_model_at_end and self.state.best_model_checkpoint is not None:
            logger.info(f"Loading the best model from {self.state.best_model_checkpoint} (score {self.state.best_metric})")
            self._load_model_from_checkpoint(self.state.best_model_checkpoint)
        self.control = self.callback_handler.on_train_end(self.args, self.state, self.control)
        return TrainOutput(self.state.global_step, train_loss, metrics)

    # ---- evaluation and prediction -----------------------------------------------------------------
    def evaluate(self, eval_dataset: Any = None, ignore_keys: list[str] | None = None,
                 metric_key_prefix: str = "eval") -> dict[str, float]:
        """Evaluate; returns ``{prefix}_loss``, the compute_metrics results and ``{prefix}_runtime`` etc."""
        if isinstance(eval_dataset, dict) or (eval_dataset is None and isinstance(self.eval_dataset, dict)):
            sets = eval_dataset if eval_dataset is not None else self.eval_dataset
            return {k: v for name, ds in sets.items()
                    for k, v in self.evaluate(ds, ignore_keys, f"{metric_key_prefix}_{name}").items()}
        loader = self.get_eval_dataloader(eval_dataset)
        start = time.time()
        output = self.evaluation_loop(loader, "Evaluation", prediction_loss_only=None, ignore_keys=ignore_keys,
                                      metric_key_prefix=metric_key_prefix)
        output.metrics.update(speed_metrics(metric_key_prefix, start, num_samples=output.num_samples,
                                            num_steps=math.ceil(output.num_samples / self.args.eval_batch_size)))
        self.log(output.metrics)
        self.control = self.callback_handler.on_evaluate(self.args, self.state, self.control, metrics=output.metrics)
        return output.metrics

    def predict(self, test_dataset: Any, ignore_keys: list[str] | None = None,
                metric_key_prefix: str = "test") -> PredictionOutput:
        """Predictions (and metrics, when the data has labels) for ``test_dataset``."""
        loader = self.get_test_dataloader(test_dataset)
        start = time.time()
        output = self.evaluation_loop(loader, "Prediction", ignore_keys=ignore_keys, metric_key_prefix=metric_key_prefix)
        output.metrics.update(speed_metrics(metric_key_prefix, start, num_samples=output.num_samples,
                                            num_steps=math.ceil(output.num_samples / self.args.eval_batch_size)))
        self.control = self.callback_handler.on_predict(self.args, self.state, self.control, metrics=output.metrics)
        return PredictionOutput(predictions=output.predictions, label_ids=output.label_ids, metrics=output.metrics)

    def evaluation_loop(self, dataloader: DataLoader, description: str, prediction_loss_only: bool | None = None,
                        ignore_keys: list[str] | None = None, metric_key_prefix: str = "eval") -> EvalLoopOutput:
        """Run the model over ``dataloader``, streaming (see ``embrace.training.evaluation``)."""
        return evaluation_loop(self, dataloader, description, prediction_loss_only=prediction_loss_only,
                               ignore_keys=ignore_keys, metric_key_prefix=metric_key_prefix)

    def prediction_step(self, model: nn.Module, inputs: dict[str, Any], prediction_loss_only: bool,
                        ignore_keys: list[str] | None = None) -> tuple[torch.Tensor | None, Any, Any]:
        """``(loss, logits, labels)`` of one batch, without gradients."""
        inputs = self._prepare_inputs(inputs)
        has_labels = bool(self.label_names) and all(inputs.get(k) is not None for k in self.label_names)
        if ignore_keys is None:
            ignore_keys = list(getattr(getattr(self.model, "config", None), "keys_to_ignore_at_inference", None) or [])
        labels = None
        if has_labels:
            labels = detach_nested(tuple(inputs[k] for k in self.label_names))
            labels = labels[0] if len(labels) == 1 else labels
        with torch.no_grad(), self.compute_loss_context_manager():
            if has_labels:
                loss, outputs = self.compute_loss(model, inputs, return_outputs=True)
                loss = loss.mean().detach()
            else:
                loss, outputs = None, model(**inputs)
        if prediction_loss_only:
            return loss, None, None
        if isinstance(outputs, Mapping):
            logits = tuple(v for k, v in outputs.items() if k not in ignore_keys and k != "loss" and v is not None)
        else:
            logits = tuple(outputs[1:] if has_labels else outputs)
        logits = detach_nested(logits)
        return loss, (logits[0] if len(logits) == 1 else logits), labels
