"""Checkpoint folders: write them atomically, read them back safely, rotate old ones.

A ``checkpoint-<step>/`` folder holds the reference's files: ``model.safetensors`` + ``config.json``
(+ tokenizer files), ``optimizer.pt``, ``scheduler.pt``, ``rng_state.pth``, ``trainer_state.json``,
``training_args.bin``, plus ``training_args.json``. Every ``.pt``/``.pth``/``.bin`` holds only
tensors and plain Python values and is read with ``torch.load(weights_only=True)``: nothing in a
checkpoint can run code. For that reason ``training_args.bin`` stores the arguments as a plain
dict, not the pickled dataclass the reference writes (the reference reads it back as a dict).

The folder is first written as a hidden temporary sibling, fsynced, then renamed into place:
a crash mid-save leaves earlier checkpoints untouched and no partial ``checkpoint-<step>``.

Example:
    >>> import tempfile, torch
    >>> from embrace.training.trainer_utils import capture_rng_state
    >>> d = tempfile.mkdtemp()
    >>> path = write_checkpoint(d, 3, lambda tmp: torch.save({"x": torch.ones(1)}, os.path.join(tmp, "a.pt")))
    >>> sorted(os.listdir(path)), os.path.basename(path)
    (['a.pt'], 'checkpoint-3')
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any, Callable

import torch

from embrace.errors import CheckpointError
from embrace.peft import PeftModel
from embrace.training import distributed as dist_utils
from embrace.training.trainer_utils import PREFIX_CHECKPOINT_DIR, sorted_checkpoints
from embrace.utils.logging import get_logger

logger = get_logger(__name__)

OPTIMIZER_NAME = "optimizer.pt"
SCHEDULER_NAME = "scheduler.pt"
SCALER_NAME = "scaler.pt"
RNG_STATE_NAME = "rng_state.pth"
TRAINER_STATE_NAME = "trainer_state.json"
TRAINING_ARGS_NAME = "training_args.bin"
TRAINING_ARGS_JSON_NAME = "training_args.json"

__all__ = [
    "write_checkpoint", "load_torch_file", "rotate_checkpoints", "checkpoint_dir", "save_model_files",
    "load_model_weights", "OPTIMIZER_NAME", "SCHEDULER_NAME",
    "RNG_STATE_NAME", "TRAINER_STATE_NAME", "TRAINING_ARGS_NAME", "TRAINING_ARGS_JSON_NAME",
]


def checkpoint_dir(output_dir: str | os.PathLike, step: int) -> str:
    """``<output_dir>/checkpoint-<step>``."""
    return os.path.join(os.fspath(output_dir), f"{PREFIX_CHECKPOINT_DIR}-{step}")


def _fsync_tree(folder: str) -> None:
    for root, _, files in os.walk(folder):
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                os.fsync(f.fileno())
    if hasattr(os, "O_DIRECTORY"):  # make the folder entries themselves durable (POSIX)
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_checkpoint(output_dir: str | os.PathLike, step: int, write: Callable[[str], Any]) -> str:
    """Run ``write(tmp_folder)`` and move the result to ``checkpoint-<step>`` in one rename.

    If ``write`` raises, the temporary folder is removed and the exception propagates; an existing
    ``checkpoint-<step>`` (e.g. saved again after resuming) is replaced only once the new one is complete.
    """
    os.makedirs(output_dir, exist_ok=True)
    final = checkpoint_dir(output_dir, step)
    tmp = tempfile.mkdtemp(prefix=f".tmp-{PREFIX_CHECKPOINT_DIR}-{step}-", dir=output_dir)
    try:
        write(tmp)
        _fsync_tree(tmp)
        if os.path.exists(final):
            # a rename cannot replace a non-empty folder: swap the old one aside first
            old = tempfile.mkdtemp(prefix=f".old-{PREFIX_CHECKPOINT_DIR}-{step}-", dir=output_dir)
            os.rmdir(old)
            os.rename(final, old)
            os.rename(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _numpy_array_globals() -> list[Any]:
    # what a pickled NumPy array needs to be rebuilt: the array and dtype types and the array
    # reconstructor; they build arrays and call nothing else
    import numpy as np

    core = getattr(np, "_core", None) or np.core
    return [np.ndarray, np.dtype, core.multiarray._reconstruct, type(np.dtype(np.uint32))]


def load_torch_file(folder: str | os.PathLike, name: str, *, map_location: Any = "cpu",
                    allow_numpy: bool = False) -> Any:
    """``torch.load(weights_only=True)`` of ``folder/name``, with errors that name the file.

    ``allow_numpy`` also admits NumPy arrays (the reference stores NumPy's RNG state as one).
    """
    path = os.path.join(os.fspath(folder), name)
    if not os.path.isfile(path):
        raise CheckpointError(f"Checkpoint file {path} is missing; resume from a complete checkpoint folder.")
    try:
        if allow_numpy:
            with torch.serialization.safe_globals(_numpy_array_globals()):
                return torch.load(path, map_location=map_location, weights_only=True)
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # torch raises UnpicklingError/RuntimeError for hostile or truncated files
        raise CheckpointError(f"Could not read {path} safely (only tensors and plain values are allowed): {err}") from err


def rotate_checkpoints(output_dir: str | os.PathLike, save_total_limit: int | None,
                       best_model_checkpoint: str | None = None) -> list[str]:
    """Delete the oldest checkpoints beyond ``save_total_limit``, never the best one. Returns what was deleted.

    The best checkpoint is moved just before the newest one in the deletion order, so it survives
    with the newest; with limit 1 and a best checkpoint that is not the newest, two stay so that
    training can still resume from the last one (the reference's rule).
    """
    if not save_total_limit or save_total_limit <= 0:
        return []
    folders = sorted_checkpoints(output_dir)
    limit = save_total_limit
    best = os.path.abspath(best_model_checkpoint) if best_model_checkpoint else None
    absolute = [os.path.abspath(f) for f in folders]
    if best is not None and best in absolute and absolute[-1] != best:
        best_folder = folders.pop(absolute.index(best))
        folders.insert(len(folders) - 1, best_folder)
        limit = max(limit, 2)
    doomed = folders[: max(0, len(folders) - limit)]
    for folder in doomed:
        logger.info(f"Deleting older checkpoint {folder} (save_total_limit={save_total_limit})")
        shutil.rmtree(folder, ignore_errors=True)
    return doomed



def save_model_files(model: torch.nn.Module, output_dir: str, *, state_dict: dict[str, torch.Tensor] | None,
                     processing_class: Any, args: Any) -> None:
    """What ``Trainer.save_model`` writes: the model (``save_pretrained``, else ``model.safetensors``) from
    ``state_dict`` when given (an FSDP model's gathered weights), the processing class and the arguments."""
    from embrace.safetensors.torch import save_file
    from embrace.safetensors.torch import save_model as save_safetensors
    from embrace.utils.files import write_text_atomically

    os.makedirs(output_dir, exist_ok=True)
    if hasattr(model, "save_pretrained") and state_dict is not None:
        model.save_pretrained(output_dir, state_dict=state_dict)
    elif hasattr(model, "save_pretrained"):
        model.save_pretrained(output_dir)
    elif state_dict is not None:
        save_file(state_dict, os.path.join(output_dir, "model.safetensors"), metadata={"format": "pt"})
    else:
        save_safetensors(model, os.path.join(output_dir, "model.safetensors"))
    if processing_class is not None and hasattr(processing_class, "save_pretrained"):
        processing_class.save_pretrained(output_dir)
    # a plain dict, not the pickled dataclass: loadable with torch.load(weights_only=True)
    torch.save(args.to_dict(), os.path.join(output_dir, TRAINING_ARGS_NAME))
    write_text_atomically(os.path.join(output_dir, TRAINING_ARGS_JSON_NAME), args.to_json_string() + "\n")


def load_model_weights(model: torch.nn.Module, folder: str, *, device: Any, strict: bool = False) -> None:
    """Load a checkpoint folder's weights into ``model`` in place: a PeftModel's adapters, an FSDP model's
    shards (every process reads the full file), else ``model.safetensors``."""
    from embrace.safetensors.torch import load_file, load_model

    if isinstance(model, PeftModel):
        _load_adapters(model, folder)
        return
    weights = os.path.join(folder, "model.safetensors")
    if not os.path.isfile(weights):
        raise CheckpointError(f"{folder} has no model.safetensors; pass a checkpoint folder written by a Trainer.")
    if dist_utils.is_sharded(model):
        dist_utils.load_full_model_state_dict(model, load_file(weights), source=weights)
        return
    _, unexpected = load_model(model, weights, strict=strict, device=str(device))
    if unexpected:
        raise CheckpointError(f"{weights} holds weights this model does not have: {sorted(unexpected)[:5]}")


def _load_adapters(model: PeftModel, folder: str) -> None:
    # Adapters are written as save_pretrained lays them out: "default" in the folder, others in
    # sub-folders. Weights are copied into the existing tensors, so a built optimizer stays valid.
    from embrace.peft.save_load import WEIGHTS_NAME

    for name in model.peft_config:
        path = folder if name == "default" else os.path.join(folder, name)
        if not os.path.isfile(os.path.join(path, WEIGHTS_NAME)):
            raise CheckpointError(f"{folder} has no {WEIGHTS_NAME} for adapter {name!r}; pass a checkpoint "
                                  "folder written by a Trainer training this PeftModel.")
        model.load_adapter(path, name, is_trainable=True)
