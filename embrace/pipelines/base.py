"""`Pipeline`: tokenize -> model -> readable answer, for one input, a list or a stream.

A task subclass fills in three steps:

* ``preprocess(inputs, **params)`` turns one input into model inputs: a dict of tensors
  shaped (1, seq) plus any plain values the later steps need. A *chunked* task
  (``_chunked = True``: long documents, one NLI pair per label, one window per QA span)
  yields several such dicts for one input.
* ``_forward(model_inputs, **params)`` runs the model on a batch of them.
* ``postprocess(outputs, **params)`` turns the outputs of one input (a list of them for a
  chunked task) into the answer the user sees.

Batching is done here, once, for every task: the inputs of a call are tokenized first,
sorted by length and cut into batches of ``batch_size`` so each batch pads as little as
possible; each item's outputs are cut back to its own length before ``postprocess``, so a
batched answer equals the unbatched one. Answers come back in input order.

Example:
    >>> from embrace.pipelines.base import KeyDataset
    >>> list(KeyDataset([{"text": "a"}, {"text": "b"}], "text"))
    ['a', 'b']
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any

import torch

from ..utils.logging import get_logger

logger = get_logger(__name__)

# Model-input keys that run along the sequence, and the value a padded position gets
# (None: the tokenizer's pad token id / pad token type id, looked up per pipeline).
_PAD_VALUES: dict[str, Any] = {
    "input_ids": None,
    "token_type_ids": None,
    "attention_mask": 0,
    "special_tokens_mask": 1,
    "offset_mapping": 0,
    "p_mask": 1,
}


class KeyDataset:
    """One column of a dataset (or of any sequence of dicts), item by item.

    Example:
        >>> ds = KeyDataset([{"text": "hi", "label": 0}], "text")
        >>> len(ds), ds[0]
        (1, 'hi')
    """

    def __init__(self, dataset: Any, key: str) -> None:
        self.dataset = dataset
        self.key = key

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[index][self.key]

    def __iter__(self) -> Iterator[Any]:
        for index in range(len(self)):
            yield self[index]


class KeyPairDataset(KeyDataset):
    """Two columns of a dataset as ``{"text", "text_pair"}`` inputs (sentence-pair classification).

    Example:
        >>> KeyPairDataset([{"a": "x", "b": "y"}], "a", "b")[0]
        {'text': 'x', 'text_pair': 'y'}
    """

    def __init__(self, dataset: Any, key1: str, key2: str) -> None:
        super().__init__(dataset, key1)
        self.key2 = key2

    def __getitem__(self, index: int) -> dict[str, Any]:
        row = self.dataset[index]
        return {"text": row[self.key], "text_pair": row[self.key2]}


def resolve_device(device: Any) -> torch.device:
    """``"cpu"``, ``"cuda"``, ``"cuda:1"``, an index (-1 = CPU) or a ``torch.device`` -> ``torch.device``."""
    if device is None:
        return torch.device("cpu")
    if isinstance(device, torch.device):
        return device
    if isinstance(device, bool) or not isinstance(device, (int, str)):
        raise TypeError(f"device must be a str, an int or a torch.device, got {type(device).__name__} ({device!r}).")
    if isinstance(device, int):
        if device < 0:
            return torch.device("cpu")
        return torch.device("cuda", device)
    try:
        return torch.device(device)
    except RuntimeError as err:
        raise ValueError(f"Unknown device {device!r}: use 'cpu', 'cuda', 'cuda:N', an index or a torch.device.") from err


def _is_dataset(inputs: Any) -> bool:
    """A random-access, sized collection of inputs that is not a plain list (Dataset column, KeyDataset)."""
    return (not isinstance(inputs, (str, bytes, dict, list, tuple))
            and hasattr(inputs, "__len__") and hasattr(inputs, "__getitem__"))


class Pipeline:
    """Base class of the task pipelines; build one with `embrace.pipeline(task, model=...)`.

    Args:
        model: the loaded model (a `PreTrainedModel`).
        tokenizer: its tokenizer.
        task: the task name the pipeline was built for.
        device: where the model runs ("cpu", "cuda", "cuda:1", an index, a torch.device).
        binary_output: the reference's flag for tools that store answers in a binary format;
            kept as an attribute so code that sets or reads it keeps working.
        batch_size: default batch size of calls (1 = no batching).
        **kwargs: task options (e.g. ``top_k``), defaults for every call.

    Example:
        >>> from embrace.pipelines.base import resolve_device
        >>> resolve_device(-1)
        device(type='cpu')
    """

    # A chunked task turns one input into several model inputs (see the module docstring).
    _chunked: bool = False
    # Output keys aligned with the sequence -> the dim to cut back to an item's own length.
    _sequence_outputs: dict[str, int] = {}

    def __init__(self, model: Any, tokenizer: Any = None, *, task: str = "", device: Any = None,
                 binary_output: bool = False, batch_size: "int | None" = None, **kwargs: Any) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.task = task
        self.binary_output = binary_output
        self.batch_size = batch_size
        if device is None and getattr(model, "device", None) is not None and model.device.type != "meta":
            self.device = model.device
        else:
            self.device = resolve_device(device)
            if getattr(model, "device", None) != self.device:
                self.model.to(self.device)
        self.model.eval()
        self._preprocess_params, self._forward_params, self._postprocess_params = self._sanitize_parameters(**kwargs)

    # -- the three steps and their options --------------------------------------------------------

    def _sanitize_parameters(self, **kwargs: Any) -> tuple[dict, dict, dict]:
        """Split options into (preprocess, forward, postprocess) dicts; unknown ones raise TypeError."""
        if kwargs:
            raise self._unknown_options(kwargs)
        return {}, {}, {}

    def _unknown_options(self, options: dict[str, Any], known: Iterable[str] = ()) -> TypeError:
        known_text = f" Options it takes: {', '.join(sorted(known))}." if known else ""
        return TypeError(
            f"{type(self).__name__} got unexpected keyword argument(s) {', '.join(sorted(options))}.{known_text}"
        )

    def preprocess(self, inputs: Any, **params: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define preprocess()")

    def _forward(self, model_inputs: dict[str, Any], **params: Any) -> dict[str, Any]:
        raise NotImplementedError(f"{type(self).__name__} must define _forward()")

    def postprocess(self, model_outputs: Any, **params: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define postprocess()")

    # -- calling -------------------------------------------------------------------------------

    def __call__(self, inputs: Any, *args: Any, num_workers: "int | None" = None,
                 batch_size: "int | None" = None, **kwargs: Any) -> Any:
        """Run the pipeline on one input, a list (answers in a list, same order), a
        generator or a dataset column (answers yielded lazily, in order)."""
        if args:
            raise TypeError(f"{type(self).__name__}() takes one positional input, got {1 + len(args)}: "
                            "pass several inputs as one list.")
        if num_workers not in (None, 0, 1):
            logger.info("num_workers=%s is ignored: preprocessing runs in the calling thread.", num_workers)
        batch_size = batch_size if batch_size is not None else (self.batch_size or 1)
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}.")
        pre, fwd, post = self._sanitize_parameters(**kwargs)
        params = ({**self._preprocess_params, **pre}, {**self._forward_params, **fwd},
                  {**self._postprocess_params, **post})
        if isinstance(inputs, list):
            return self._run_many(inputs, batch_size, params)
        if _is_dataset(inputs):
            return self._run_stream(iter(inputs), batch_size * 16, batch_size, params)
        if isinstance(inputs, Iterator) or _is_generator_like(inputs):
            return self._run_stream(iter(inputs), batch_size, batch_size, params)
        return self._run_many([inputs], 1, params)[0]

    def _run_stream(self, source: Iterator, window: int, batch_size: int, params: tuple) -> Iterator[Any]:
        """Answers for a stream of inputs, `window` inputs at a time (bucketed inside each window)."""
        while True:
            block = []
            for item in source:
                block.append(item)
                if len(block) == window:
                    break
            if not block:
                return
            yield from self._run_many(block, batch_size, params)

    def _run_many(self, inputs: list[Any], batch_size: int, params: tuple) -> list[Any]:
        pre_params, forward_params, post_params = params
        # Every model input of the call with its owner: (input index, model inputs).
        items: list[tuple[int, dict[str, Any]]] = []
        for index, single in enumerate(inputs):
            prepared = self.preprocess(single, **pre_params)
            if self._chunked:
                items.extend((index, chunk) for chunk in prepared)
            else:
                items.append((index, prepared))
        outputs: list[Any] = [None] * len(items)
        # Longest first so a bad batch shows up early; equal lengths share a batch.
        order = sorted(range(len(items)), key=lambda i: -_length(items[i][1]))
        for start in range(0, len(order), batch_size):
            chosen = order[start:start + batch_size]
            batch, pads = self._collate([items[i][1] for i in chosen])
            with torch.inference_mode():
                batch_out = self._forward(batch, **forward_params)
            for position, item_index in enumerate(chosen):
                outputs[item_index] = self._unbatch(batch_out, position, len(chosen), pads[position])
        grouped: list[list[Any]] = [[] for _ in inputs]
        for (index, _), output in zip(items, outputs):
            grouped[index].append(output)
        if self._chunked:
            return [self.postprocess(group, **post_params) for group in grouped]
        return [self.postprocess(group[0], **post_params) for group in grouped]

    # -- batching -------------------------------------------------------------------------------

    @property
    def _padding_side(self) -> str:
        return getattr(self.tokenizer, "padding_side", "right") or "right"

    def _pad_value(self, key: str) -> Any:
        value = _PAD_VALUES[key]
        if value is not None:
            return value
        if key == "token_type_ids":
            return getattr(self.tokenizer, "pad_token_type_id", 0) or 0
        pad_id = getattr(self.tokenizer, "pad_token_id", None)
        if pad_id is None:
            raise ValueError(
                f"Batching needs a padding token but {type(self.tokenizer).__name__} has none: set "
                "tokenizer.pad_token (e.g. to tokenizer.eos_token) or call the pipeline with batch_size=1."
            )
        return pad_id

    def _collate(self, items: list[dict[str, Any]]) -> tuple[dict[str, Any], list[int]]:
        """Stack model inputs into one batch, padding sequence keys to the longest item.

        Returns the batch and how many positions each item got padded.
        """
        lengths = [_length(item) for item in items]
        longest = max(lengths)
        pads = [longest - n for n in lengths]
        left = self._padding_side == "left"
        batch: dict[str, Any] = {}
        for key in items[0]:
            values = [item[key] for item in items]
            if not isinstance(values[0], torch.Tensor):
                batch[key] = values  # plain values travel as one list per batch
                continue
            if key in _PAD_VALUES and len(items) > 1:
                fill = self._pad_value(key)
                values = [_pad(v, pad, fill, left) for v, pad in zip(values, pads)]
            batch[key] = torch.cat(values).to(self.device) if len(values) > 1 else values[0].to(self.device)
        return batch, pads

    def _unbatch(self, outputs: dict[str, Any], position: int, size: int, pad: int) -> dict[str, Any]:
        """The outputs of one batch item, cut back to its own length and moved to the CPU."""
        own: dict[str, Any] = {}
        for key, value in outputs.items():
            if isinstance(value, torch.Tensor) and value.dim() > 0 and value.shape[0] == size:
                value = value[position:position + 1].cpu()
                dim = self._sequence_outputs.get(key, 1 if key in _PAD_VALUES else None)
                if pad and dim is not None:
                    keep = value.shape[dim] - pad
                    value = value.narrow(dim, pad, keep) if self._padding_side == "left" else value.narrow(dim, 0, keep)
            elif isinstance(value, list) and len(value) == size:
                value = value[position]
            own[key] = value
        return own

    # -- reference conveniences -----------------------------------------------------------------

    def transform(self, X: Any) -> Any:  # noqa: N803 - scikit-learn's name
        """scikit-learn style alias of calling the pipeline."""
        return self(X)

    def predict(self, X: Any) -> Any:  # noqa: N803 - scikit-learn's name
        """scikit-learn style alias of calling the pipeline."""
        return self(X)

    def save_pretrained(self, save_directory: "str | os.PathLike", *, safe_serialization: bool = True) -> None:
        """Save the model and the tokenizer into one folder that `pipeline(model=folder)` loads."""
        if os.path.isfile(save_directory):
            raise NotADirectoryError(f"save_pretrained needs a folder, but {save_directory} is a file.")
        os.makedirs(save_directory, exist_ok=True)
        self.model.save_pretrained(save_directory, safe_serialization=safe_serialization)
        if self.tokenizer is not None:
            self.tokenizer.save_pretrained(save_directory)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(task={self.task!r}, model={type(self.model).__name__}, device={self.device})"


def _is_generator_like(inputs: Any) -> bool:
    return hasattr(inputs, "__iter__") and not isinstance(inputs, (str, bytes, dict, list, tuple, torch.Tensor))


def _length(model_inputs: dict[str, Any]) -> int:
    ids = model_inputs.get("input_ids")
    return int(ids.shape[-1]) if isinstance(ids, torch.Tensor) else 0


def _pad(tensor: torch.Tensor, pad: int, fill: Any, left: bool) -> torch.Tensor:
    """Pad dim 1 of a (1, seq, ...) tensor by `pad` positions of `fill`."""
    if not pad:
        return tensor
    shape = list(tensor.shape)
    shape[1] = pad
    filler = torch.full(shape, fill, dtype=tensor.dtype)
    return torch.cat([filler, tensor] if left else [tensor, filler], dim=1)
