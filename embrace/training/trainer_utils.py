"""Small shared pieces of training: result tuples, seeding, samplers, RNG snapshots, speed metrics.

Example:
    >>> from embrace.training.trainer_utils import get_length_grouped_indices
    >>> import torch
    >>> order = get_length_grouped_indices([1, 5, 2, 9], 2, generator=torch.Generator().manual_seed(0))
    >>> sorted(order), order[0]
    ([0, 1, 2, 3], 3)
"""

from __future__ import annotations

import os
import random
import re
import time
from collections.abc import Mapping
from typing import Any, Iterator, NamedTuple, Sequence

import numpy as np
import torch
from torch.utils.data import Sampler

from embrace.errors import TrainingError

__all__ = [
    "PREFIX_CHECKPOINT_DIR",
    "TrainOutput",
    "EvalPrediction",
    "PredictionOutput",
    "EvalLoopOutput",
    "set_seed",
    "get_last_checkpoint",
    "speed_metrics",
    "has_length",
    "EpochSeededRandomSampler",
    "LengthGroupedSampler",
    "get_length_grouped_indices",
    "capture_rng_state",
    "restore_rng_state",
    "to_numpy",
    "pad_concat",
    "detach_nested",
    "to_scalar",
    "label_smoothed_loss",
]

PREFIX_CHECKPOINT_DIR = "checkpoint"
_CHECKPOINT_RE = re.compile(r"^" + PREFIX_CHECKPOINT_DIR + r"-(\d+)$")


class TrainOutput(NamedTuple):
    """What ``Trainer.train`` returns."""

    global_step: int
    training_loss: float
    metrics: dict[str, float]


class EvalPrediction:
    """Predictions and labels handed to ``compute_metrics`` (unpacks as ``preds, labels``).

    Example:
        >>> preds, labels = EvalPrediction(predictions=[1, 0], label_ids=[1, 1])
        >>> preds, labels
        ([1, 0], [1, 1])
    """

    def __init__(self, predictions: Any, label_ids: Any, inputs: Any = None, losses: Any = None) -> None:
        self.predictions = predictions
        self.label_ids = label_ids
        self.inputs = inputs
        self.losses = losses
        self._parts = tuple(p for p in (predictions, label_ids, inputs, losses) if p is not None) if (
            inputs is not None or losses is not None) else (predictions, label_ids)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._parts)

    def __getitem__(self, index: int) -> Any:
        return self._parts[index]

    def __len__(self) -> int:
        return len(self._parts)


class PredictionOutput(NamedTuple):
    """What ``Trainer.predict`` returns."""

    predictions: Any
    label_ids: Any
    metrics: dict[str, float] | None


class EvalLoopOutput(NamedTuple):
    """What the evaluation loop returns."""

    predictions: Any
    label_ids: Any
    metrics: dict[str, float] | None
    num_samples: int | None


def set_seed(seed: int, deterministic: bool = False) -> None:
    """Seed Python's ``random``, NumPy and torch (CPU and CUDA) in one call.

    Example:
        >>> set_seed(0); a = torch.rand(1); set_seed(0); bool(torch.equal(a, torch.rand(1)))
        True
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    if deterministic:
        torch.use_deterministic_algorithms(True)


def get_last_checkpoint(folder: str | os.PathLike) -> str | None:
    """The ``checkpoint-<step>`` folder with the highest step inside ``folder`` (None if there is none).

    Example:
        >>> import tempfile; d = tempfile.mkdtemp()
        >>> for s in (5, 10): os.mkdir(os.path.join(d, f"checkpoint-{s}"))
        >>> os.path.basename(get_last_checkpoint(d))
        'checkpoint-10'
    """
    steps = [(int(m.group(1)), name) for name in os.listdir(folder)
             if (m := _CHECKPOINT_RE.match(name)) and os.path.isdir(os.path.join(folder, name))]
    return os.path.join(os.fspath(folder), max(steps)[1]) if steps else None


def sorted_checkpoints(folder: str | os.PathLike) -> list[str]:
    """Every ``checkpoint-<step>`` folder in ``folder``, oldest step first."""
    if not os.path.isdir(folder):
        return []
    steps = sorted((int(m.group(1)), name) for name in os.listdir(folder)
                   if (m := _CHECKPOINT_RE.match(name)) and os.path.isdir(os.path.join(folder, name)))
    return [os.path.join(os.fspath(folder), name) for _, name in steps]


def speed_metrics(split: str, start_time: float, num_samples: int | float | None = None,
                  num_steps: int | None = None, num_tokens: int | None = None) -> dict[str, float]:
    """``<split>_runtime`` and per-second rates since ``start_time`` (rounded like the reference)."""
    runtime = time.time() - start_time
    result = {f"{split}_runtime": round(runtime, 4)}
    if runtime == 0:
        return result
    for label, count in (("samples", num_samples), ("steps", num_steps), ("tokens", num_tokens)):
        if count is not None:
            result[f"{split}_{label}_per_second"] = round(count / runtime, 3)
    return result


def has_length(dataset: Any) -> bool:
    """Whether ``len(dataset)`` works."""
    try:
        return len(dataset) is not None
    except (TypeError, NotImplementedError):
        return False


class EpochSeededRandomSampler(Sampler[int]):
    """Random order that depends only on ``seed + epoch``: the order the reference Trainer uses
    (Accelerate's seedable sampler), and exactly reproducible when training resumes mid-run.

    Example:
        >>> s = EpochSeededRandomSampler(range(4), seed=42)
        >>> first = list(s); s.set_epoch(0); first == list(s)
        True
    """

    def __init__(self, data_source: Sequence[Any], seed: int) -> None:
        self.num_samples = len(data_source)
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Select the permutation of ``epoch``."""
        self.epoch = epoch

    def __iter__(self) -> Iterator[int]:
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        return iter(torch.randperm(self.num_samples, generator=generator).tolist())

    def __len__(self) -> int:
        return self.num_samples


def get_length_grouped_indices(lengths: Sequence[int], batch_size: int, mega_batch_mult: int | None = None,
                               generator: torch.Generator | None = None) -> list[int]:
    """Shuffle, cut into mega-batches, sort each by length (longest first), and put the longest
    example of all first, so an out-of-memory error shows up on the first step."""
    if mega_batch_mult is None:
        mega_batch_mult = max(1, min(len(lengths) // (batch_size * 4), 50))
    order = torch.randperm(len(lengths), generator=generator)
    size = mega_batch_mult * batch_size
    groups = [sorted(order[i:i + size].tolist(), key=lambda i: lengths[i], reverse=True)
              for i in range(0, len(lengths), size)]
    longest = int(torch.argmax(torch.tensor([lengths[g[0]] for g in groups])))
    groups[0][0], groups[longest][0] = groups[longest][0], groups[0][0]
    return [i for group in groups for i in group]


class LengthGroupedSampler(Sampler[int]):
    """Sampler that groups examples of similar length (less padding) while staying random.

    Lengths come from ``lengths`` or from ``len(item[model_input_name])`` of each item.

    Example:
        >>> data = [{"input_ids": [0] * n} for n in (3, 8, 1, 5)]
        >>> s = LengthGroupedSampler(2, dataset=data, generator=torch.Generator().manual_seed(0))
        >>> next(iter(s))
        1
    """

    def __init__(self, batch_size: int, dataset: Any = None, lengths: Sequence[int] | None = None,
                 model_input_name: str | None = None, generator: torch.Generator | None = None) -> None:
        if dataset is None and lengths is None:
            raise TrainingError("LengthGroupedSampler needs a dataset or lengths.")
        if lengths is None:
            key = model_input_name or "input_ids"
            if not isinstance(dataset[0], Mapping) or key not in dataset[0]:
                raise TrainingError(f"Cannot infer lengths: dataset items must be dicts with a {key!r} key "
                                    "(or pass lengths= / a length column).")
            lengths = [len(item[key]) for item in dataset]
        elif isinstance(lengths, torch.Tensor):
            lengths = lengths.tolist()
        self.batch_size = batch_size
        self.lengths = list(lengths)
        self.generator = generator

    def __len__(self) -> int:
        return len(self.lengths)

    def __iter__(self) -> Iterator[int]:
        return iter(get_length_grouped_indices(self.lengths, self.batch_size, generator=self.generator))


class EpochSeededLengthGroupedSampler(LengthGroupedSampler):
    """``LengthGroupedSampler`` whose shuffle depends only on ``seed + epoch`` (resumable)."""

    def __init__(self, batch_size: int, lengths: Sequence[int], seed: int) -> None:
        super().__init__(batch_size, lengths=lengths)
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Select the order of ``epoch``."""
        self.epoch = epoch

    def __iter__(self) -> Iterator[int]:
        self.generator = torch.Generator().manual_seed(self.seed + self.epoch)
        return super().__iter__()


def capture_rng_state() -> dict[str, Any]:
    """Every RNG the training loop draws from (dropout, shuffles), as tensors and plain values only,
    so the file loads with ``torch.load(weights_only=True)``."""
    np_state = np.random.get_state()
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": (np_state[0], torch.from_numpy(np_state[1].copy()), *np_state[2:]),
        "cpu": torch.random.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: Mapping[str, Any]) -> None:
    """Put back what ``capture_rng_state`` took."""
    random.setstate(_as_python_state(state["python"]))
    kind, keys, *rest = state["numpy"]
    keys = keys.numpy() if isinstance(keys, torch.Tensor) else np.asarray(keys)
    np.random.set_state((kind, keys.astype(np.uint32), *rest))
    torch.random.set_rng_state(state["cpu"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _as_python_state(value: Any) -> tuple:
    # torch.load returns the nested tuples of random.getstate() as lists or tuples depending on version
    version, internal, gauss = value
    return (version, tuple(internal), gauss)


def to_numpy(value: Any) -> Any:
    """Tensors (nested in tuples/lists) as NumPy arrays on the CPU; bf16 becomes float32."""
    if isinstance(value, (tuple, list)):
        return type(value)(to_numpy(v) for v in value)
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        return (value.float() if value.dtype == torch.bfloat16 else value).numpy()
    return value


def pad_concat(parts: list[Any]) -> Any:
    """Concatenate batches along axis 0, padding ragged second axes with -100 (like the reference)."""
    if isinstance(parts[0], (tuple, list)):
        return type(parts[0])(pad_concat([p[i] for p in parts]) for i in range(len(parts[0])))
    if parts[0].ndim < 2 or all(p.shape[1:] == parts[0].shape[1:] for p in parts):
        return np.concatenate(parts, axis=0)
    width = max(p.shape[1] for p in parts)
    padded = []
    for p in parts:
        out = np.full((p.shape[0], width, *p.shape[2:]), -100, dtype=p.dtype)  # -100: ignored label
        out[:, : p.shape[1]] = p
        padded.append(out)
    return np.concatenate(padded, axis=0)


def detach_nested(value: Any) -> Any:
    """Tensors (nested in tuples/lists) detached from the graph."""
    if isinstance(value, (tuple, list)):
        return type(value)(detach_nested(v) for v in value)
    return value.detach() if isinstance(value, torch.Tensor) else value


def to_scalar(value: Any) -> Any:
    """0-d arrays/tensors as Python numbers (metrics must be JSON-able)."""
    if isinstance(value, (np.generic, torch.Tensor)) and getattr(value, "ndim", 0) == 0:
        return value.item()
    return value


def label_smoothed_loss(logits: torch.Tensor, labels: torch.Tensor, epsilon: float, *, shift_labels: bool = False,
                        num_items_in_batch: Any = None, ignore_index: int = -100) -> torch.Tensor:
    """Cross-entropy with label smoothing ``epsilon`` (the reference Trainer's ``label_smoothing_factor``):
    ``(1 - eps) * NLL + eps * mean over classes of -log p``, averaged over non-ignored labels, or
    divided by ``num_items_in_batch`` when the caller normalises over a whole accumulation window."""
    if shift_labels:  # causal LM: position t predicts token t + 1
        logits, labels = logits[..., :-1, :], labels[..., 1:]
    neg_log_probs = -torch.nn.functional.log_softmax(logits, dim=-1)
    if labels.dim() == neg_log_probs.dim() - 1:
        labels = labels.unsqueeze(-1)
    ignored = labels.eq(ignore_index)
    nll = neg_log_probs.gather(dim=-1, index=labels.clamp(min=0)).masked_fill(ignored, 0.0)
    smooth = neg_log_probs.sum(dim=-1, keepdim=True, dtype=torch.float32).masked_fill(ignored, 0.0)
    if num_items_in_batch is None:
        denominator = ignored.numel() - ignored.long().sum()
    else:
        denominator = num_items_in_batch.to(nll.device) if torch.is_tensor(num_items_in_batch) else num_items_in_batch
    return (1 - epsilon) * nll.sum() / denominator + epsilon * smooth.sum() / (denominator * neg_log_probs.shape[-1])

