"""Stopping criteria: each returns a ``(batch,)`` bool tensor, ``True`` where a row is done.

Example:
    >>> import torch
    >>> criteria = StoppingCriteriaList([MaxLengthCriteria(4), EosTokenCriteria(eos_token_id=2)])
    >>> criteria(torch.tensor([[5, 2], [5, 6]]), None).tolist()
    [True, False]
"""

from __future__ import annotations

import time
from typing import Any

import torch

from embrace.errors import ConfigError
from embrace.utils.logging import get_logger, warning_once

logger = get_logger(__name__)


class StoppingCriteria:
    """Base class: ``__call__(input_ids, scores) -> (batch,) bool tensor``."""

    def __call__(self, input_ids: torch.LongTensor, scores: tuple[torch.Tensor] | None, **kwargs: Any) -> torch.BoolTensor:
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(input_ids, scores).")


def _all_rows(input_ids: torch.Tensor, done: bool) -> torch.BoolTensor:
    return torch.full((input_ids.shape[0],), done, device=input_ids.device, dtype=torch.bool)


class MaxLengthCriteria(StoppingCriteria):
    """Stop every row once the sequence (prompt included) has ``max_length`` tokens."""

    def __init__(self, max_length: int, max_position_embeddings: int | None = None) -> None:
        self.max_length = max_length
        self.max_position_embeddings = max_position_embeddings

    def __call__(self, input_ids: torch.LongTensor, scores: tuple[torch.Tensor] | None, **kwargs: Any) -> torch.BoolTensor:
        length = input_ids.shape[-1]
        if self.max_position_embeddings is not None and length >= self.max_position_embeddings and length < self.max_length:
            warning_once(
                logger,
                f"The sequence is {length} tokens long, beyond the model's max_position_embeddings "
                f"({self.max_position_embeddings}); outputs past that point may be meaningless.",
            )
        return _all_rows(input_ids, length >= self.max_length)


class MaxTimeCriteria(StoppingCriteria):
    """Stop every row once ``max_time`` seconds have passed since ``initial_timestamp`` (default: now)."""

    def __init__(self, max_time: float, initial_timestamp: float | None = None) -> None:
        self.max_time = max_time
        self.initial_timestamp = time.time() if initial_timestamp is None else initial_timestamp

    def __call__(self, input_ids: torch.LongTensor, scores: tuple[torch.Tensor] | None, **kwargs: Any) -> torch.BoolTensor:
        return _all_rows(input_ids, time.time() - self.initial_timestamp > self.max_time)


class EosTokenCriteria(StoppingCriteria):
    """Stop a row when its last token is one of ``eos_token_id``."""

    def __init__(self, eos_token_id: int | list[int] | torch.Tensor) -> None:
        if not isinstance(eos_token_id, torch.Tensor):
            eos_token_id = torch.tensor([eos_token_id] if isinstance(eos_token_id, int) else eos_token_id)
        self.eos_token_id = eos_token_id

    def __call__(self, input_ids: torch.LongTensor, scores: tuple[torch.Tensor] | None, **kwargs: Any) -> torch.BoolTensor:
        self.eos_token_id = self.eos_token_id.to(input_ids.device)
        return torch.isin(input_ids[:, -1], self.eos_token_id)


class StopStringCriteria(StoppingCriteria):
    """Stop a row when its text ends with one of ``stop_strings``, completed by the last token.

    As in the reference, the last token may run past the end of the stop string (it
    "overhangs"), but the stop string must reach into the last token: a stop string that was
    already complete one token earlier does not trigger again.

    Example:
        >>> class Chars:  # any object with decode(list of ids) -> str
        ...     def decode(self, ids, **kwargs):
        ...         return "".join(chr(i) for i in ids)
        >>> criteria = StopStringCriteria(Chars(), ["end"])
        >>> criteria(torch.tensor([[ord(c) for c in "the end"], [ord(c) for c in "endless"]]), None).tolist()
        [True, False]
    """

    def __init__(self, tokenizer: Any, stop_strings: str | list[str]) -> None:
        if isinstance(stop_strings, str):
            stop_strings = [stop_strings]
        if not stop_strings or not all(isinstance(s, str) and s for s in stop_strings):
            raise ConfigError(f"`stop_strings` must be a non-empty string or list of non-empty strings, got {stop_strings!r}.")
        if not callable(getattr(tokenizer, "decode", None)):
            raise TypeError("StopStringCriteria needs a tokenizer with a decode(ids) method.")
        self.tokenizer = tokenizer
        self.stop_strings = tuple(stop_strings)
        # Every token yields at least one character, except special/empty ones; looking back
        # this many tokens always covers the longest stop string plus the final token.
        self._window = max(len(s) for s in self.stop_strings) + 1

    def _decode(self, ids: list[int]) -> str:
        return self.tokenizer.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)

    def __call__(self, input_ids: torch.LongTensor, scores: tuple[torch.Tensor] | None, **kwargs: Any) -> torch.BoolTensor:
        done = []
        for row in input_ids[:, -self._window:].tolist():
            text, before = self._decode(row), self._decode(row[:-1])
            # The last occurrence ends furthest right; it must end inside the last token's text.
            hit = any(
                (start := text.rfind(stop)) != -1 and start + len(stop) > len(before) for stop in self.stop_strings
            )
            done.append(hit)
        return torch.tensor(done, dtype=torch.bool, device=input_ids.device)


class StoppingCriteriaList(list):
    """All criteria together: a row is done when any criterion says so.

    Example:
        >>> StoppingCriteriaList([MaxLengthCriteria(10)]).max_length
        10
    """

    def __call__(self, input_ids: torch.LongTensor, scores: tuple[torch.Tensor] | None, **kwargs: Any) -> torch.BoolTensor:
        done = _all_rows(input_ids, False)
        for criteria in self:
            done = done | criteria(input_ids, scores, **kwargs)
        return done

    @property
    def max_length(self) -> int | None:
        for criteria in self:
            if isinstance(criteria, MaxLengthCriteria):
                return criteria.max_length
        return None


__all__ = [
    "StoppingCriteria", "StoppingCriteriaList", "MaxLengthCriteria", "MaxTimeCriteria", "EosTokenCriteria",
    "StopStringCriteria",
]
