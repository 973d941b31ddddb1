"""Data collators: turn a list of dataset rows into one batch of tensors for a model.

Each collator is a callable (function or dataclass) taking ``features`` (a list of dicts,
or of plain id lists for the language-modeling one) and returning a dict of torch tensors
(``return_tensors="pt"``) or numpy arrays (``"np"``). Padding is delegated to the
tokenizer's ``pad`` so the padding side, pad id and attention mask follow the tokenizer.
Random masking draws from torch's RNG (or numpy's) in the same order as the reference
collators, so the same seed gives the same masks.

Example:
    >>> from embrace.training.data_collator import default_data_collator
    >>> batch = default_data_collator([{"input_ids": [1, 2], "label": 0}, {"input_ids": [3, 4], "label": 1}])
    >>> batch["labels"].tolist(), batch["input_ids"].shape
    ([0, 1], torch.Size([2, 2]))
"""

from __future__ import annotations

import multiprocessing
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..errors import DataCollatorError
from ..tokenization.padding_truncation import PaddingStrategy

InputDataClass = Any
DataCollator = Callable[[list[InputDataClass]], dict[str, Any]]

_FRAMEWORKS = ("pt", "np")


def _check_framework(return_tensors: str) -> None:
    if return_tensors not in _FRAMEWORKS:
        raise ValueError(f"Framework '{return_tensors}' not recognized! Use one of {_FRAMEWORKS}.")


def _as_mappings(features: list[Any]) -> list[Mapping]:
    """Rows as mappings (dataclass-like objects become their ``vars``), all with the first row's keys."""
    if not features:
        raise DataCollatorError("Cannot collate an empty list of features; pass at least one example.")
    if not isinstance(features[0], Mapping):
        features = [vars(f) for f in features]
    keys = features[0].keys()
    for index, feature in enumerate(features[1:], start=1):
        if feature.keys() != keys:
            missing, extra = sorted(keys - feature.keys()), sorted(feature.keys() - keys)
            raise DataCollatorError(
                f"All features must have the same keys, but feature {index} differs from feature 0 "
                f"(missing {missing}, extra {extra}). Give every example the same columns."
            )
    return features


def _stack(key: str, values: list[Any], make: Callable[[list[Any]], Any]) -> Any:
    """`make(values)`, re-raising a ragged-rows failure as an error that names the key."""
    try:
        return make(values)
    except (ValueError, RuntimeError, TypeError) as err:
        lengths = sorted({len(v) for v in values if hasattr(v, "__len__")})
        raise DataCollatorError(
            f"Cannot batch key {key!r}: the examples do not line up (lengths {lengths}): {err}. "
            "Pad them first, or use DataCollatorWithPadding with a tokenizer."
        ) from err


@dataclass(frozen=True)
class _Arrays:
    """How one ``return_tensors`` kind builds arrays, so each collation rule is written once."""

    native: type  # a row already of this kind is stacked as it is
    array: Callable[..., Any]  # (values, dtype=None) -> array
    stack: Callable[[list[Any]], Any]  # same-shape native rows -> one array
    from_numpy: Callable[[np.ndarray], Any]  # a numpy batch -> this kind, without a copy
    int64: Any
    int32: Any
    float32: Any


_ARRAYS = {
    "pt": _Arrays(torch.Tensor, torch.tensor, torch.stack, torch.from_numpy, torch.int64, torch.int32, torch.float32),
    "np": _Arrays(np.ndarray, np.array, np.stack, np.asarray, np.int64, np.int32, np.float32),
}


class DataCollatorMixin:
    """Dispatch ``__call__`` to ``torch_call`` / ``numpy_call`` by ``return_tensors``."""

    return_tensors: str

    def __call__(self, features: list[Any], return_tensors: "str | None" = None) -> dict[str, Any]:
        if return_tensors is None:
            return_tensors = self.return_tensors
        _check_framework(return_tensors)
        return self.torch_call(features) if return_tensors == "pt" else self.numpy_call(features)


# --- default collation: stack what is already the same shape -----------------------------


def _label_dtype_is_int(value: Any) -> bool:
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        value = value.item()
    return isinstance(value, (int, np.integer))


def _batcher(arrays: _Arrays, value: Any) -> Callable[[list[Any]], Any]:
    """How to batch the values of a key whose first row holds ``value``."""
    if isinstance(value, np.ndarray):
        return lambda values: arrays.from_numpy(np.stack(values))
    if isinstance(value, arrays.native):
        return arrays.stack
    return arrays.array


def _default_collate(features: list[Mapping], arrays: _Arrays) -> dict[str, Any]:
    first = features[0]
    batch: dict[str, Any] = {}
    # `label` is one value per row, `label_ids` a list per row; both become `labels` with an
    # int64 dtype for integer labels (classification) and float32 otherwise (regression).
    if first.get("label") is not None:
        dtype = arrays.int64 if _label_dtype_is_int(first["label"]) else arrays.float32
        batch["labels"] = _stack("label", [f["label"] for f in features], lambda v: arrays.array(v, dtype=dtype))
    elif first.get("label_ids") is not None:
        values = [f["label_ids"] for f in features]
        if isinstance(first["label_ids"], arrays.native):
            batch["labels"] = _stack("label_ids", values, arrays.stack)
        else:
            dtype = arrays.int64 if _label_dtype_is_int(first["label_ids"][0]) else arrays.float32
            batch["labels"] = _stack("label_ids", values, lambda v: arrays.array(v, dtype=dtype))
    for key, value in first.items():
        # strings (ids, raw text) and None have no tensor form: they are left out of the batch
        if key in ("label", "label_ids") or value is None or isinstance(value, str):
            continue
        batch[key] = _stack(key, [f[key] for f in features], _batcher(arrays, value))
    return batch


def default_data_collator(features: list[InputDataClass], return_tensors: str = "pt") -> dict[str, Any]:
    """Stack rows that already have equal lengths into a batch.

    ``label`` (one number per row) and ``label_ids`` (a list per row) become ``labels``:
    int64 for integer labels, float32 otherwise. Other keys are stacked as they are; string
    and ``None`` values are dropped. Rows may also be objects (their ``vars`` are used).

    Example:
        >>> from embrace.training.data_collator import default_data_collator
        >>> default_data_collator([{"x": [0.5], "label": 1.5}], return_tensors="np")["labels"].dtype
        dtype('float32')
    """
    _check_framework(return_tensors)
    return _default_collate(_as_mappings(features), _ARRAYS[return_tensors])


@dataclass
class DefaultDataCollator(DataCollatorMixin):
    """:func:`default_data_collator` as an object, so ``return_tensors`` can be set once.

    Example:
        >>> from embrace.training.data_collator import DefaultDataCollator
        >>> DefaultDataCollator(return_tensors="np")([{"input_ids": [1, 2]}])["input_ids"].shape
        (1, 2)
    """

    return_tensors: str = "pt"

    def __call__(self, features: list[dict[str, Any]], return_tensors: "str | None" = None) -> dict[str, Any]:
        return default_data_collator(features, self.return_tensors if return_tensors is None else return_tensors)


# --- padding collators --------------------------------------------------------------------


def _rename_labels(batch: Any) -> Any:
    for key in ("label", "label_ids"):
        if key in batch:
            batch["labels"] = batch[key]
            del batch[key]
    return batch


@dataclass
class DataCollatorWithPadding:
    """Pad a batch with the tokenizer (to the longest row by default); ``label``/``label_ids`` -> ``labels``.

    Example:
        >>> from embrace.tokenizers import Tokenizer
        >>> from embrace.tokenizers.models import WordLevel
        >>> from embrace.tokenization import PreTrainedTokenizer
        >>> from embrace.training.data_collator import DataCollatorWithPadding
        >>> tok = PreTrainedTokenizer(tokenizer_object=Tokenizer(WordLevel({"<pad>": 0}, unk_token="<pad>")),
        ...                           pad_token="<pad>")
        >>> DataCollatorWithPadding(tok)([{"input_ids": [5, 6], "label": 1}, {"input_ids": [7], "label": 0}])["input_ids"]
        tensor([[5, 6],
                [7, 0]])
    """

    tokenizer: Any
    padding: "bool | str | PaddingStrategy" = True
    max_length: "int | None" = None
    pad_to_multiple_of: "int | None" = None
    return_tensors: str = "pt"

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, Any]:
        _check_framework(self.return_tensors)
        batch = self.tokenizer.pad(_as_mappings(features), padding=self.padding, max_length=self.max_length,
                                   pad_to_multiple_of=self.pad_to_multiple_of, return_tensors=self.return_tensors)
        return _rename_labels(batch)


def _pad_rows(rows: list[list[int]], length: int, value: int, side: str) -> list[list[int]]:
    """Each row padded with `value` to `length` on `side` ("right" or "left")."""
    if side == "right":
        return [list(row) + [value] * (length - len(row)) for row in rows]
    return [[value] * (length - len(row)) + list(row) for row in rows]


def _to_list(value: Any) -> list[Any]:
    return value.tolist() if hasattr(value, "tolist") else list(value)


@dataclass
class DataCollatorForTokenClassification(DataCollatorMixin):
    """Pad the inputs with the tokenizer and the per-token labels with ``label_pad_token_id``.

    Example:
        >>> from embrace.tokenizers import Tokenizer
        >>> from embrace.tokenizers.models import WordLevel
        >>> from embrace.tokenization import PreTrainedTokenizer
        >>> from embrace.training.data_collator import DataCollatorForTokenClassification
        >>> tok = PreTrainedTokenizer(tokenizer_object=Tokenizer(WordLevel({"<pad>": 0}, unk_token="<pad>")),
        ...                           pad_token="<pad>")
        >>> collator = DataCollatorForTokenClassification(tok)
        >>> collator([{"input_ids": [5, 6], "labels": [1, 2]}, {"input_ids": [7], "labels": [3]}])["labels"]
        tensor([[   1,    2],
                [   3, -100]])
    """

    tokenizer: Any
    padding: "bool | str | PaddingStrategy" = True
    max_length: "int | None" = None
    pad_to_multiple_of: "int | None" = None
    label_pad_token_id: int = -100
    return_tensors: str = "pt"

    def _collate(self, features: list[dict[str, Any]], return_tensors: str) -> dict[str, Any]:
        features = _as_mappings(features)
        label_name = "label" if "label" in features[0] else "labels"
        labels = [f[label_name] for f in features] if label_name in features[0] else None
        inputs = [{k: v for k, v in f.items() if k != label_name} for f in features]
        batch = self.tokenizer.pad(inputs, padding=self.padding, max_length=self.max_length,
                                   pad_to_multiple_of=self.pad_to_multiple_of, return_tensors=return_tensors)
        if labels is None:
            return batch
        # labels follow the padded inputs: (batch, seq) with the tokenizer's padding side
        sequence_length = np.asarray(batch["input_ids"]).shape[1]
        rows = _pad_rows([_to_list(label) for label in labels], sequence_length, self.label_pad_token_id,
                         self.tokenizer.padding_side)
        arrays = _ARRAYS[return_tensors]
        batch[label_name] = _stack(label_name, rows, lambda v: arrays.array(v, dtype=arrays.int64))
        return batch

    def torch_call(self, features: list[dict[str, Any]]) -> dict[str, Any]:
        return self._collate(features, "pt")

    def numpy_call(self, features: list[dict[str, Any]]) -> dict[str, Any]:
        return self._collate(features, "np")


@dataclass
class DataCollatorForMultipleChoice(DataCollatorMixin):
    """Pad every choice of every example to one length: inputs become (batch, num_choices, seq).

    Example:
        >>> from embrace.tokenizers import Tokenizer
        >>> from embrace.tokenizers.models import WordLevel
        >>> from embrace.tokenization import PreTrainedTokenizer
        >>> from embrace.training.data_collator import DataCollatorForMultipleChoice
        >>> tok = PreTrainedTokenizer(tokenizer_object=Tokenizer(WordLevel({"<pad>": 0}, unk_token="<pad>")),
        ...                           pad_token="<pad>")
        >>> batch = DataCollatorForMultipleChoice(tok)([{"input_ids": [[5, 6], [7]], "label": 1}])
        >>> batch["input_ids"].shape, batch["labels"].tolist()
        (torch.Size([1, 2, 2]), [1])
    """

    tokenizer: Any
    padding: "bool | str | PaddingStrategy" = True
    max_length: "int | None" = None
    pad_to_multiple_of: "int | None" = None
    return_tensors: str = "pt"

    def _collate(self, examples: list[dict[str, Any]], return_tensors: str) -> dict[str, Any]:
        examples = _as_mappings(examples)
        label_name = "label" if "label" in examples[0] else "labels"
        labels = [example[label_name] for example in examples]
        batch_size, num_choices = len(examples), len(examples[0]["input_ids"])
        # (batch, choices, ragged) -> (batch * choices, ragged) rows the tokenizer can pad
        flat = [{k: v[i] for k, v in example.items() if k != label_name}
                for example in examples for i in range(num_choices)]
        padded = self.tokenizer.pad(flat, padding=self.padding, max_length=self.max_length,
                                    pad_to_multiple_of=self.pad_to_multiple_of, return_tensors=return_tensors)
        batch = {k: v.reshape(batch_size, num_choices, -1) for k, v in padded.items()}  # (batch, choices, seq)
        arrays = _ARRAYS[return_tensors]
        batch["labels"] = arrays.array(labels, dtype=arrays.int64)
        return batch

    def torch_call(self, examples: list[dict[str, Any]]) -> dict[str, Any]:
        return self._collate(examples, "pt")

    def numpy_call(self, examples: list[dict[str, Any]]) -> dict[str, Any]:
        return self._collate(examples, "np")


@dataclass
class DataCollatorForSeq2Seq:
    """Pad inputs with the tokenizer and ``labels`` with ``label_pad_token_id``; optionally build
    ``decoder_input_ids`` with ``model.prepare_decoder_input_ids_from_labels``.

    Example:
        >>> from embrace.tokenizers import Tokenizer
        >>> from embrace.tokenizers.models import WordLevel
        >>> from embrace.tokenization import PreTrainedTokenizer
        >>> from embrace.training.data_collator import DataCollatorForSeq2Seq
        >>> tok = PreTrainedTokenizer(tokenizer_object=Tokenizer(WordLevel({"<pad>": 0}, unk_token="<pad>")),
        ...                           pad_token="<pad>")
        >>> collator = DataCollatorForSeq2Seq(tok, pad_to_multiple_of=4)
        >>> collator([{"input_ids": [5, 6], "labels": [1, 2, 3]}])["labels"]
        tensor([[   1,    2,    3, -100]])
    """

    tokenizer: Any
    model: "Any | None" = None
    padding: "bool | str | PaddingStrategy" = True
    max_length: "int | None" = None
    pad_to_multiple_of: "int | None" = None
    label_pad_token_id: int = -100
    return_tensors: str = "pt"

    def __call__(self, features: list[dict[str, Any]], return_tensors: "str | None" = None) -> dict[str, Any]:
        return_tensors = self.return_tensors if return_tensors is None else return_tensors
        _check_framework(return_tensors)
        features = _as_mappings(features)
        label_name = "label" if "label" in features[0] else "labels"
        labels = [f[label_name] for f in features] if label_name in features[0] else None
        if labels is not None and all(label is None for label in labels):
            labels = None  # rows of {"labels": None}: nothing to pad
        inputs = [{k: v for k, v in f.items() if k != label_name} for f in features]
        batch = self.tokenizer.pad(inputs, padding=self.padding, max_length=self.max_length,
                                   pad_to_multiple_of=self.pad_to_multiple_of, return_tensors=return_tensors)
        batch["labels"] = None if labels is None else self._pad_labels(labels, return_tensors)
        if labels is not None and self.model is not None and hasattr(self.model, "prepare_decoder_input_ids_from_labels"):
            batch["decoder_input_ids"] = self.model.prepare_decoder_input_ids_from_labels(labels=batch["labels"])
        return batch

    def _pad_labels(self, labels: list[Any], return_tensors: str) -> Any:
        rows = [_to_list(label) for label in labels]
        if not (self.padding is False or self.padding == PaddingStrategy.DO_NOT_PAD):
            # labels are padded on their own: their length need not match the inputs'
            fixed = self.padding == PaddingStrategy.MAX_LENGTH and self.max_length is not None
            length = self.max_length if fixed else max(len(row) for row in rows)
            if self.pad_to_multiple_of is not None:
                length = -(-length // self.pad_to_multiple_of) * self.pad_to_multiple_of
            rows = _pad_rows(rows, length, self.label_pad_token_id, self.tokenizer.padding_side)
        arrays = _ARRAYS[return_tensors]
        return _stack("labels", rows, lambda v: arrays.array(v, dtype=arrays.int64))


# --- language modeling --------------------------------------------------------------------


def _collate_ids(examples: list[Any], tokenizer: Any, pad_to_multiple_of: "int | None") -> torch.Tensor:
    """Plain id rows -> (batch, seq) int64, padded with the tokenizer's pad id only when needed."""
    rows = [torch.as_tensor(e, dtype=torch.long) if isinstance(e, (list, tuple, np.ndarray)) else e for e in examples]
    length = max(row.size(0) for row in rows)
    same = all(row.size(0) == length for row in rows)
    if same and (pad_to_multiple_of is None or length % pad_to_multiple_of == 0):
        return torch.stack(rows)
    if tokenizer.pad_token is None:
        raise DataCollatorError(
            "You are attempting to pad samples but the tokenizer you are using "
            f"({tokenizer.__class__.__name__}) does not have a pad token. Set tokenizer.pad_token first."
        )
    if pad_to_multiple_of is not None:
        length = -(-length // pad_to_multiple_of) * pad_to_multiple_of
    result = rows[0].new_full((len(rows), length), tokenizer.pad_token_id)
    for i, row in enumerate(rows):
        if tokenizer.padding_side == "right":
            result[i, : row.size(0)] = row
        else:
            result[i, length - row.size(0):] = row
    return result


def _numpy(value: Any) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.array(value)


def _word_ids_and_first_tokens(offsets: np.ndarray, special: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Word index of each token (-1 for specials) and a mask of tokens that do NOT start a word.

    A token starts a new word when it is not special and either its start offset differs from
    the previous token's end (a gap) or the previous token was special. offsets: (batch, seq, 2).
    """
    starts, ends = offsets[:, :, 0], offsets[:, :, 1]
    prev_ends = np.roll(ends, 1, axis=1)
    prev_ends[:, 0] = -1
    prev_special = np.roll(special, 1, axis=1)
    prev_special[:, 0] = 0
    special = special.astype(bool)
    new_word = ~special & ((starts != prev_ends) | (prev_special == 1))
    word_ids = np.cumsum(new_word, axis=1)
    word_ids[special] = -1
    return word_ids, ~new_word


def _spread_to_words(word_ids: np.ndarray, mask: Any) -> np.ndarray:
    """A token is masked when any token of its word is: (batch, seq) via a (batch, seq, seq) same-word table."""
    mask = _numpy(mask)
    valid = word_ids != -1
    same_word = (word_ids[:, :, None] == word_ids[:, None, :]) & valid[:, :, None] & valid[:, None, :]
    return np.any(same_word & mask[:, None, :], axis=2)


@dataclass
class DataCollatorForLanguageModeling(DataCollatorMixin):
    """Batches for masked (``mlm=True``) or causal (``mlm=False``) language modeling.

    MLM picks each non-special token with ``mlm_probability``; of those, ``mask_replace_prob``
    become the mask token, ``random_replace_prob`` a random id, the rest stay; labels are -100
    elsewhere. ``whole_word_mask=True`` masks whole words (needs ``offset_mapping`` in the
    features). CLM labels are the inputs with pad ids set to -100. ``seed`` gives the collator
    its own generator instead of the global RNG.

    Example:
        >>> from embrace.tokenizers import Tokenizer
        >>> from embrace.tokenizers.models import WordLevel
        >>> from embrace.tokenization import PreTrainedTokenizer
        >>> from embrace.training.data_collator import DataCollatorForLanguageModeling
        >>> tok = PreTrainedTokenizer(tokenizer_object=Tokenizer(WordLevel({"<pad>": 0}, unk_token="<pad>")),
        ...                           pad_token="<pad>")
        >>> DataCollatorForLanguageModeling(tok, mlm=False)([[5, 6], [7]])["labels"]
        tensor([[   5,    6],
                [   7, -100]])
    """

    tokenizer: Any
    mlm: bool = True
    whole_word_mask: bool = False
    mlm_probability: "float | None" = 0.15
    mask_replace_prob: float = 0.8
    random_replace_prob: float = 0.1
    pad_to_multiple_of: "int | None" = None
    return_tensors: str = "pt"
    seed: "int | None" = None

    def __post_init__(self) -> None:
        if self.mlm:
            if self.tokenizer.mask_token is None:
                raise DataCollatorError(
                    "This tokenizer does not have a mask token which is necessary for masked language modeling. "
                    "You should pass `mlm=False` to train on causal language modeling instead."
                )
            if self.mlm_probability is None or not 0 <= self.mlm_probability <= 1:
                raise ValueError(f"mlm_probability should be between 0 and 1, got {self.mlm_probability!r}.")
            self.mlm_probability = float(self.mlm_probability)
        elif self.whole_word_mask:
            raise ValueError("Whole word masking can only be used with mlm=True; set mlm=True to use it.")
        for name in ("mask_replace_prob", "random_replace_prob"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} should be between 0 and 1, got {getattr(self, name)!r}.")
        if self.mask_replace_prob + self.random_replace_prob > 1:
            raise ValueError("The sum of mask_replace_prob and random_replace_prob should not exceed 1.")
        if self.whole_word_mask and self.mask_replace_prob < 1:
            warnings.warn("Random token replacement is not supported with whole word masking. "
                          "Setting mask_replace_prob to 1.")
            self.mask_replace_prob, self.random_replace_prob = 1, 0
        self.mask_replace_prob = float(self.mask_replace_prob)
        self.random_replace_prob = float(self.random_replace_prob)
        self.generator: Any = None

    def get_generator(self, seed: int) -> Any:
        """A fresh generator for this collator's framework, seeded with `seed`."""
        if self.return_tensors == "pt":
            return torch.Generator().manual_seed(seed)
        return np.random.default_rng(seed)

    def create_rng(self) -> None:
        """Seed the collator's generator; DataLoader workers each get ``seed + worker id``."""
        if multiprocessing.current_process().name == "MainProcess":
            self.generator = self.get_generator(self.seed)
            return
        worker = torch.utils.data.get_worker_info()
        if worker is None:
            raise ValueError(
                "Worker process information is not available for seeding the generator: the `seed` argument "
                "works in a single process or in PyTorch DataLoader workers. Use one of those."
            )
        self.generator = self.get_generator(self.seed + worker.id)

    def _batch(self, examples: list[Any], return_tensors: str) -> dict[str, Any]:
        if self.seed is not None and self.generator is None:
            self.create_rng()
        if not examples:
            raise DataCollatorError("Cannot collate an empty list of examples; pass at least one.")
        if isinstance(examples[0], Mapping):
            return self.tokenizer.pad(_as_mappings(examples), return_tensors=return_tensors,
                                      pad_to_multiple_of=self.pad_to_multiple_of)
        ids = _collate_ids(examples, self.tokenizer, self.pad_to_multiple_of)
        if return_tensors == "pt":
            return {"input_ids": ids}
        # numpy rows keep their own integer dtype, as a numpy-only collation would
        dtype = examples[0].dtype if isinstance(examples[0], np.ndarray) else np.int64
        return {"input_ids": ids.numpy().astype(dtype, copy=False)}

    def _special_tokens_mask(self, labels: Any, given: Any) -> Any:
        """The features' own ``special_tokens_mask``, else 1 where an id is one of the tokenizer's
        special ids (what ``get_special_tokens_mask(already_has_special_tokens=True)`` gives, in one op)."""
        if given is not None:
            return given
        special = sorted(self.tokenizer.all_special_ids)
        if isinstance(labels, torch.Tensor):
            return torch.isin(labels, torch.tensor(special, dtype=labels.dtype)).long()
        return np.isin(labels, special).astype(np.int64)

    def _word_ids(self, offset_mapping: Any, special_tokens_mask: Any) -> tuple[np.ndarray, np.ndarray]:
        if offset_mapping is None:
            raise DataCollatorError(
                "whole_word_mask=True needs word boundaries: tokenize with return_offsets_mapping=True "
                "so every feature has an 'offset_mapping'."
            )
        offsets = _numpy(offset_mapping)
        if offsets.ndim != 3:
            raise DataCollatorError(
                "whole_word_mask=True needs 'offset_mapping' of shape (batch, seq, 2) matching input_ids; "
                f"got shape {offsets.shape}. Tokenize with padding='max_length' so offsets line up."
            )
        return _word_ids_and_first_tokens(offsets, _numpy(special_tokens_mask))

    def _add_labels(self, batch: dict[str, Any], mask_tokens: Callable[..., tuple[Any, Any]]) -> dict[str, Any]:
        """MLM: mask the inputs with ``mask_tokens``; causal LM: the labels are the inputs, pads -100."""
        special_tokens_mask = batch.pop("special_tokens_mask", None)
        offset_mapping = batch.pop("offset_mapping", None)
        if self.mlm:
            batch["input_ids"], batch["labels"] = mask_tokens(
                batch["input_ids"], special_tokens_mask=special_tokens_mask, offset_mapping=offset_mapping)
        else:
            ids = batch["input_ids"]
            labels = ids.clone() if isinstance(ids, torch.Tensor) else np.copy(ids)
            if self.tokenizer.pad_token_id is not None:
                labels[labels == self.tokenizer.pad_token_id] = -100
            batch["labels"] = labels
        return batch

    def torch_call(self, examples: list[Any]) -> dict[str, Any]:
        return self._add_labels(self._batch(examples, "pt"), self.torch_mask_tokens)

    def torch_mask_tokens(self, inputs: torch.Tensor, special_tokens_mask: Any = None,
                          offset_mapping: Any = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Mask `inputs` (batch, seq) in place; returns ``(inputs, labels)``.

        The draws are, in order: one Bernoulli per token for selection, one for [MASK]
        replacement, one for random replacement and one random id per token, so a given
        seed reproduces the reference masks exactly.
        """
        labels = inputs.clone()
        probability = torch.full(labels.shape, self.mlm_probability)
        special_tokens_mask = self._special_tokens_mask(labels, special_tokens_mask)
        if self.whole_word_mask:
            # only the first token of each word is drawn; the draw then spreads over the word
            word_ids, keep = self._word_ids(offset_mapping, special_tokens_mask)
            keep = torch.tensor(keep, dtype=torch.bool)
        else:
            keep = torch.as_tensor(special_tokens_mask).bool()
        probability.masked_fill_(keep, value=0.0)
        masked = torch.bernoulli(probability, generator=self.generator).bool()
        if self.whole_word_mask:
            masked = torch.from_numpy(_spread_to_words(word_ids, masked))
        labels[~masked] = -100  # the loss only sees masked positions
        replaced = torch.bernoulli(torch.full(labels.shape, self.mask_replace_prob), generator=self.generator).bool()
        replaced &= masked
        inputs[replaced] = self.tokenizer.convert_tokens_to_ids(self.tokenizer.mask_token)
        if self.mask_replace_prob == 1 or self.random_replace_prob == 0:
            return inputs, labels
        # the random share is drawn among tokens not already replaced, so rescale it
        scaled = self.random_replace_prob / (1 - self.mask_replace_prob)
        randomized = torch.bernoulli(torch.full(labels.shape, scaled), generator=self.generator).bool()
        randomized &= masked & ~replaced
        random_words = torch.randint(len(self.tokenizer), labels.shape, dtype=torch.long, generator=self.generator)
        inputs[randomized] = random_words[randomized]
        return inputs, labels

    def numpy_call(self, examples: list[Any]) -> dict[str, Any]:
        return self._add_labels(self._batch(examples, "np"), self.numpy_mask_tokens)

    def numpy_mask_tokens(self, inputs: np.ndarray, special_tokens_mask: Any = None,
                          offset_mapping: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`torch_mask_tokens` with numpy's RNG (binomial draws, same order)."""
        rng = self.generator if self.generator is not None else np.random
        labels = np.copy(inputs)
        probability = np.full(labels.shape, self.mlm_probability)
        special_tokens_mask = self._special_tokens_mask(labels, special_tokens_mask)
        if self.whole_word_mask:
            word_ids, keep = self._word_ids(offset_mapping, special_tokens_mask)
        else:
            keep = np.asarray(special_tokens_mask).astype(bool)
        probability[keep] = 0
        masked = rng.binomial(1, probability, size=probability.shape).astype(bool)
        if self.whole_word_mask:
            masked = _spread_to_words(word_ids, masked)
        labels[~masked] = -100
        replaced = rng.binomial(1, self.mask_replace_prob, size=labels.shape).astype(bool) & masked
        inputs[replaced] = self.tokenizer.mask_token_id
        if self.mask_replace_prob == 1 or self.random_replace_prob == 0:
            return inputs, labels
        scaled = self.random_replace_prob / (1 - self.mask_replace_prob)
        randomized = rng.binomial(1, scaled, size=labels.shape).astype(bool) & masked & ~replaced
        count = int(np.count_nonzero(randomized))
        if self.generator is not None:
            random_words = rng.integers(low=0, high=len(self.tokenizer), size=count, dtype=np.int64)
        else:
            random_words = rng.randint(low=0, high=len(self.tokenizer), size=count, dtype=np.int64)
        inputs[randomized] = random_words
        return inputs, labels


# --- padding-free packing -----------------------------------------------------------------


class DataCollatorWithFlattening(DefaultDataCollator):
    """Pack a batch into one row without padding: (1, total_tokens) ``input_ids``, ``labels``
    with ``separator_id`` at each example's first token, and ``position_ids`` restarting at
    ``position_ids_start`` per example; optionally FlashAttention boundaries and ``seq_idx``.

    Example:
        >>> from embrace.training.data_collator import DataCollatorWithFlattening
        >>> batch = DataCollatorWithFlattening()([{"input_ids": [5, 6, 7]}, {"input_ids": [8, 9]}])
        >>> batch["labels"].tolist(), batch["position_ids"].tolist()
        ([[-100, 6, 7, -100, 9]], [[0, 1, 2, 0, 1]])
    """

    # dtype of each output: token-level ids are int64; FlashAttention lengths and seq_idx int32
    _INT64_KEYS = frozenset({"labels", "position_ids", "input_ids"})
    _BATCH_DIM_KEYS = frozenset({"labels", "position_ids", "input_ids", "seq_idx"})
    _PY_INT_KEYS = frozenset({"max_length_q", "max_length_k"})

    def __init__(self, return_tensors: str = "pt", *, return_position_ids: bool = True, separator_id: int = -100,
                 return_flash_attn_kwargs: bool = False, return_seq_idx: bool = False,
                 position_ids_start: int = 0) -> None:
        super().__init__(return_tensors=return_tensors)
        self.return_position_ids = return_position_ids
        self.separator_id = separator_id
        self.return_flash_attn_kwargs = return_flash_attn_kwargs
        self.return_seq_idx = return_seq_idx
        self.position_ids_start = position_ids_start

    def __call__(self, features: list[dict[str, Any]], return_tensors: "str | None" = None,
                 separator_id: "int | None" = None) -> dict[str, Any]:
        return_tensors = self.return_tensors if return_tensors is None else return_tensors
        separator_id = self.separator_id if separator_id is None else separator_id
        if return_tensors not in _FRAMEWORKS:
            raise ValueError(f'return_tensors must be one of ("pt", "np"), {return_tensors=} not supported')
        features = _as_mappings(features)
        has_labels = "labels" in features[0]
        batch: dict[str, Any] = {"input_ids": [], "labels": []}
        if self.return_position_ids:
            batch["position_ids"] = []
        if self.return_seq_idx:
            batch["seq_idx"] = []
        cu_seq_lens, max_length = [0], 0
        for index, sample in enumerate(features):
            ids = _to_list(sample["input_ids"])
            targets = _to_list(sample["labels"]) if has_labels else ids
            batch["input_ids"] += ids
            # the first token of each example has no prediction from the previous example
            batch["labels"] += [separator_id] + targets[1:]
            if self.return_position_ids:
                batch["position_ids"] += range(self.position_ids_start, self.position_ids_start + len(ids))
            if self.return_seq_idx:
                batch["seq_idx"] += [index] * len(ids)
            cu_seq_lens.append(cu_seq_lens[-1] + len(ids))
            max_length = max(max_length, len(ids))
        if self.return_flash_attn_kwargs:
            batch["cu_seq_lens_q"] = batch["cu_seq_lens_k"] = cu_seq_lens
            batch["max_length_q"] = batch["max_length_k"] = max_length
        arrays = _ARRAYS[return_tensors]
        for key, value in batch.items():
            if key in self._PY_INT_KEYS:
                continue  # FlashAttention takes the max lengths as python ints
            value = [value] if key in self._BATCH_DIM_KEYS else value
            batch[key] = arrays.array(value, dtype=arrays.int64 if key in self._INT64_KEYS else arrays.int32)
        return batch
