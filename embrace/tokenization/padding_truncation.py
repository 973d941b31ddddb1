"""Padding and truncation strategies, and padding of already-encoded inputs.

``padding=True`` / ``"longest"`` / ``"max_length"`` / ``"do_not_pad"`` and
``truncation=True`` / ``"longest_first"`` / ``"only_first"`` / ``"only_second"`` are turned
into two enums plus an effective ``max_length``, with the reference's rules: a lone
``max_length`` switches truncation on, and a missing ``max_length`` falls back to
``model_max_length`` (or disables the strategy when the model has no limit).

Example:
    >>> from embrace.tokenization.padding_truncation import PaddingStrategy, resolve_strategies
    >>> resolve_strategies(padding="max_length", truncation=None, max_length=None,
    ...                    pad_to_multiple_of=None, model_max_length=8, has_pad_token=True)
    (<PaddingStrategy.MAX_LENGTH: 'max_length'>, <TruncationStrategy.DO_NOT_TRUNCATE: 'do_not_truncate'>, 8)
"""

from __future__ import annotations

import warnings
from enum import Enum
from typing import Any

from ..errors import TokenizerError

# model_max_length above this means "the model has no limit" (the reference's convention).
VERY_LARGE_INTEGER = int(1e30)
LARGE_INTEGER = int(1e20)


class _ExplicitEnum(str, Enum):
    @classmethod
    def _missing_(cls, value: Any) -> Any:
        valid = ", ".join(repr(member.value) for member in cls)
        raise TokenizerError(f"{value!r} is not a valid {cls.__name__}; use True, False or one of {valid}.")


class PaddingStrategy(_ExplicitEnum):
    """How to pad: to the longest row, to ``max_length``, or not at all."""

    LONGEST = "longest"
    MAX_LENGTH = "max_length"
    DO_NOT_PAD = "do_not_pad"


class TruncationStrategy(_ExplicitEnum):
    """How to truncate a single input or a pair to ``max_length``."""

    ONLY_FIRST = "only_first"
    ONLY_SECOND = "only_second"
    LONGEST_FIRST = "longest_first"
    DO_NOT_TRUNCATE = "do_not_truncate"


def _padding_strategy(padding: Any) -> PaddingStrategy:
    if padding is True:
        return PaddingStrategy.LONGEST
    if padding is False or padding is None:
        return PaddingStrategy.DO_NOT_PAD
    if isinstance(padding, (str, PaddingStrategy)):
        return PaddingStrategy(padding)
    raise TypeError(f"padding must be a bool, a str or a PaddingStrategy, got {type(padding).__name__}.")


def _truncation_strategy(truncation: Any) -> TruncationStrategy:
    if truncation is True:
        return TruncationStrategy.LONGEST_FIRST
    if truncation is False or truncation is None:
        return TruncationStrategy.DO_NOT_TRUNCATE
    if isinstance(truncation, (str, TruncationStrategy)):
        return TruncationStrategy(truncation)
    raise TypeError(f"truncation must be a bool, a str or a TruncationStrategy, got {type(truncation).__name__}.")


def resolve_strategies(
    *,
    padding: Any,
    truncation: Any,
    max_length: "int | None",
    pad_to_multiple_of: "int | None",
    model_max_length: int,
    has_pad_token: bool,
    verbose: bool = True,
) -> tuple[PaddingStrategy, TruncationStrategy, "int | None"]:
    """The padding and truncation strategies and the effective max_length of one call."""
    if max_length is not None and not isinstance(max_length, int):
        raise TypeError(f"max_length must be an int or None, got {type(max_length).__name__}.")
    # A lone max_length means "truncate to it" (kept from the first versions of the API).
    if max_length is not None and padding is False and truncation is None:
        truncation = "longest_first"
    if padding is True and verbose and max_length is not None and truncation in (None, False, "do_not_truncate"):
        warnings.warn(
            "`max_length` is ignored when `padding`=`True` and there is no truncation strategy. "
            "To pad to max length, use `padding='max_length'`."
        )
    padding_strategy = _padding_strategy(padding)
    truncation_strategy = _truncation_strategy(truncation)

    if max_length is None:
        if padding_strategy == PaddingStrategy.MAX_LENGTH:
            if model_max_length > LARGE_INTEGER:
                padding_strategy = PaddingStrategy.DO_NOT_PAD
            else:
                max_length = model_max_length
        if truncation_strategy != TruncationStrategy.DO_NOT_TRUNCATE:
            if model_max_length > LARGE_INTEGER:
                truncation_strategy = TruncationStrategy.DO_NOT_TRUNCATE
            else:
                max_length = model_max_length

    if padding_strategy != PaddingStrategy.DO_NOT_PAD and not has_pad_token:
        raise TokenizerError(
            "Asking to pad but the tokenizer does not have a padding token. Set one, e.g. "
            "`tokenizer.pad_token = tokenizer.eos_token`, or add one with "
            "`tokenizer.add_special_tokens({'pad_token': '[PAD]'})`."
        )
    if (
        truncation_strategy != TruncationStrategy.DO_NOT_TRUNCATE
        and padding_strategy != PaddingStrategy.DO_NOT_PAD
        and pad_to_multiple_of is not None
        and max_length is not None
        and max_length % pad_to_multiple_of != 0
    ):
        raise TokenizerError(
            f"Truncation and padding are both activated but truncation length ({max_length}) is not a multiple of "
            f"pad_to_multiple_of ({pad_to_multiple_of}); make max_length a multiple of it."
        )
    return padding_strategy, truncation_strategy, max_length


def pad_one(
    inputs: dict[str, Any],
    *,
    main_input: str,
    max_length: "int | None",
    strategy: PaddingStrategy,
    pad_to_multiple_of: "int | None",
    side: str,
    return_attention_mask: bool,
    pad_token_id: "int | None",
    pad_token_type_id: int,
) -> dict[str, Any]:
    """Pad one row (a dict of lists) in place to `max_length`; returns it."""
    ids = inputs[main_input]
    if strategy == PaddingStrategy.LONGEST:
        max_length = len(ids)
    if max_length is not None and pad_to_multiple_of is not None and max_length % pad_to_multiple_of != 0:
        max_length = (max_length // pad_to_multiple_of + 1) * pad_to_multiple_of
    if return_attention_mask and "attention_mask" not in inputs:
        inputs["attention_mask"] = [1] * len(ids)
    if strategy == PaddingStrategy.DO_NOT_PAD or max_length is None or len(ids) >= max_length:
        return inputs
    if side not in ("left", "right"):
        raise TokenizerError(f"padding_side must be 'left' or 'right', got {side!r}.")
    fill = {
        main_input: pad_token_id,
        "attention_mask": 0,
        "token_type_ids": pad_token_type_id,
        "special_tokens_mask": 1,
    }
    difference = max_length - len(ids)
    for key, value in fill.items():
        if key not in inputs or (key == "attention_mask" and not return_attention_mask):
            continue
        padding = [value] * difference
        inputs[key] = list(inputs[key]) + padding if side == "right" else padding + list(inputs[key])
    return inputs
