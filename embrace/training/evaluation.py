"""The Trainer's evaluation loop: run the model over a DataLoader, stream the losses, keep or score the
predictions, and bring the processes' results together under ``torchrun``.

Two ways to score, as in the reference: by default predictions and labels are kept (offloaded to
NumPy every ``eval_accumulation_steps`` batches) and ``compute_metrics`` sees them all once at the
end; with ``batch_eval_metrics=True`` nothing is kept and ``compute_metrics(EvalPrediction, compute_result=...)``
is called on every batch, ``compute_result=True`` on the last one.

With several processes each rank evaluates one contiguous slice of the data (``EvalShardSampler``),
so the slices' results joined in rank order are the whole set once, with no duplicate to drop. Two
cases need the ranks to step together: an FSDP model (every forward gathers weights from all ranks)
and ``batch_eval_metrics`` (every batch is gathered before it is scored). Then a rank whose slice is
shorter runs padding steps until the longest slice is done; their results are thrown away.

Example:
    >>> import torch, tempfile
    >>> from embrace import BertConfig, BertForSequenceClassification
    >>> from embrace.training import Trainer, TrainingArguments
    >>> _ = torch.manual_seed(0)
    >>> model = BertForSequenceClassification(BertConfig(vocab_size=30, hidden_size=16, num_hidden_layers=1,
    ...     num_attention_heads=2, intermediate_size=20))
    >>> data = [{"input_ids": [1, 2, 3], "labels": i % 2} for i in range(5)]
    >>> args = TrainingArguments(output_dir=tempfile.mkdtemp(), per_device_eval_batch_size=2, report_to="none")
    >>> trainer = Trainer(model=model, args=args)
    >>> out = evaluation_loop(trainer, trainer.get_eval_dataloader(data), "Evaluation")
    >>> out.num_samples, out.predictions.shape, sorted(out.metrics)
    (5, (5, 2), ['eval_loss'])
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Iterator

import numpy as np
import torch
from torch.utils.data import DataLoader

from embrace.training import distributed as dist_utils
from embrace.training.trainer_utils import EvalLoopOutput, EvalPrediction, has_length, pad_concat, to_numpy, to_scalar

if TYPE_CHECKING:
    from embrace.training.trainer import Trainer

__all__ = ["evaluation_loop"]

_KINDS = ("preds", "labels", "inputs")
_NOT_SCORED = object()  # _score_batch had nothing to score (unlike compute_metrics returning None)


def evaluation_loop(trainer: "Trainer", dataloader: DataLoader, description: str,
                    prediction_loss_only: bool | None = None, ignore_keys: list[str] | None = None,
                    metric_key_prefix: str = "eval") -> EvalLoopOutput:
    """Evaluate ``trainer``'s model over ``dataloader`` (see the module docstring); metrics are prefixed
    with ``metric_key_prefix``."""
    args = trainer.args
    loss_only = prediction_loss_only if prediction_loss_only is not None else args.prediction_loss_only
    trainer.callback_handler.eval_dataloader = dataloader
    # not the DDP wrapper: its forward syncs buffers collectively, and the ranks' slices may differ in size
    # (an FSDP model is sharded in place, so trainer.model is the sharded one)
    model = trainer.model if args.world_size > 1 else trainer.model_wrapped
    model.eval()
    sharded = dist_utils.is_sharded(trainer.model)
    lockstep = args.world_size > 1 and (sharded or args.batch_eval_metrics) and has_length(dataloader)
    steps = max(dist_utils.gather_objects(len(dataloader))) if lockstep else None
    if steps is None and has_length(dataloader):
        steps = len(dataloader)
    want_inputs = "inputs" in args.include_for_metrics
    loss_sum, num_samples, have_loss = 0.0, 0, False
    host: dict[str, list] = {k: [] for k in _KINDS}
    kept: dict[str, list] = {k: [] for k in _KINDS}
    batch_metrics: Any = None  # what the last compute_metrics call returned
    for step, (inputs, real) in enumerate(_batches(dataloader, steps if lockstep else None)):
        batch = None  # (logits, labels, inputs) to score with batch_eval_metrics
        if real:
            loss, logits, labels = trainer.prediction_step(model, inputs, loss_only, ignore_keys=ignore_keys)
            batch_size = _batch_size(inputs, args.eval_batch_size)
            num_samples += batch_size
            if loss is not None:
                have_loss = True
                loss_sum += loss.item() * batch_size
            if logits is not None and trainer.preprocess_logits_for_metrics is not None:
                logits = trainer.preprocess_logits_for_metrics(logits, labels)
            trainer.control = trainer.callback_handler.on_prediction_step(args, trainer.state, trainer.control)
            batch_inputs = inputs.get(_main_input(trainer)) if want_inputs and isinstance(inputs, Mapping) else None
            if args.batch_eval_metrics:
                batch = (logits, labels, batch_inputs) if logits is not None and labels is not None else None
            else:
                for key, value in (("preds", logits), ("labels", labels), ("inputs", batch_inputs)):
                    if value is not None:
                        host[key].append(to_numpy(value))
                if args.eval_accumulation_steps is not None and (step + 1) % args.eval_accumulation_steps == 0:
                    _offload(host, kept)
        elif sharded:  # a padding step: the other ranks' forward waits for this rank's weight shards
            trainer.prediction_step(model, inputs, True, ignore_keys=ignore_keys)
        if args.batch_eval_metrics:
            scored = _score_batch(trainer, batch, is_last=steps is not None and step == steps - 1)
            batch_metrics = batch_metrics if scored is _NOT_SCORED else scored
    _offload(host, kept)
    if args.world_size > 1:  # each process evaluated one contiguous slice: rejoin them in rank order
        for key, parts in kept.items():
            kept[key] = [p for p in dist_utils.gather_objects(pad_concat(parts) if parts else None) if p is not None]
        loss_sum = dist_utils.all_reduce_sum(loss_sum)
        num_samples = int(dist_utils.all_reduce_sum(num_samples))
        have_loss = dist_utils.all_reduce_sum(float(have_loss)) > 0
    preds = pad_concat(kept["preds"]) if kept["preds"] else None
    label_ids = pad_concat(kept["labels"]) if kept["labels"] else None
    if args.batch_eval_metrics:
        metrics = dict(batch_metrics or {})
    elif trainer.compute_metrics is not None and preds is not None and label_ids is not None:
        inputs_all = pad_concat(kept["inputs"]) if kept["inputs"] else None
        metrics = dict(trainer.compute_metrics(EvalPrediction(preds, label_ids, inputs=inputs_all)) or {})
    else:
        metrics = {}
    metrics = {k: to_scalar(v) for k, v in metrics.items()}
    if have_loss and num_samples:
        metrics[f"{metric_key_prefix}_loss"] = loss_sum / num_samples
    for key in list(metrics):
        if not key.startswith(f"{metric_key_prefix}_"):
            metrics[f"{metric_key_prefix}_{key}"] = metrics.pop(key)
    return EvalLoopOutput(predictions=preds, label_ids=label_ids, metrics=metrics, num_samples=num_samples)


def _batches(dataloader: DataLoader, steps: int | None) -> Iterator[tuple[Any, bool]]:
    """``(batch, True)`` for every batch, then, when ``steps`` is given, ``(stand-in, False)`` until
    ``steps`` batches were yielded (the stand-in: this rank's first batch, or the data's first example)."""
    first = None
    count = 0
    for batch in dataloader:
        first = batch if first is None else first
        count += 1
        yield batch, True
    if steps is None or count >= steps:
        return
    if first is None:  # this rank's slice is empty
        first = dataloader.collate_fn([dataloader.dataset[0]])
    for _ in range(steps - count):
        yield first, False


def _score_batch(trainer: "Trainer", batch: tuple[Any, Any, Any] | None, is_last: bool) -> Any:
    """``compute_metrics`` on one batch; under torchrun on the batch of all ranks together (the ranks
    without a batch at this step contribute nothing). ``_NOT_SCORED`` when there is nothing to score."""
    if trainer.compute_metrics is None:
        return _NOT_SCORED
    if trainer.args.world_size > 1:
        local = None if batch is None else tuple(to_numpy(v) for v in batch)
        parts = [p for p in dist_utils.gather_objects(local) if p is not None]
        if not parts:
            return _NOT_SCORED
        batch = tuple(None if parts[0][i] is None else _to_tensor(pad_concat([p[i] for p in parts]))
                      for i in range(3))
    if batch is None:
        return _NOT_SCORED
    logits, labels, inputs = batch
    return trainer.compute_metrics(EvalPrediction(logits, labels, inputs=inputs), compute_result=is_last)


def _to_tensor(value: Any) -> Any:
    # the gathered batch goes to compute_metrics as tensors, like a single process's batch
    if isinstance(value, (tuple, list)):
        return type(value)(_to_tensor(v) for v in value)
    return torch.from_numpy(value) if isinstance(value, np.ndarray) else value


def _offload(host: dict[str, list], kept: dict[str, list]) -> None:
    # merge the batches gathered since the last offload into one array per kind (bounded Python overhead)
    for key, parts in host.items():
        if parts:
            kept[key].append(pad_concat(parts))
            parts.clear()


def _main_input(trainer: "Trainer") -> str:
    return getattr(trainer.model, "main_input_name", "input_ids")


def _batch_size(inputs: Any, default: int) -> int:
    if isinstance(inputs, Mapping):
        for value in inputs.values():
            if isinstance(value, torch.Tensor) and value.dim() > 0:
                return int(value.shape[0])
    return default
