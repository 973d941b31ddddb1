"""Draft-token sources for assisted generation: a smaller assistant model, or n-gram lookup in the prompt.

A candidate generator proposes a few next tokens cheaply; the main model then checks all of
them in one forward pass (see :mod:`embrace.generation.assisted`). ``get_candidates`` returns
``(input_ids + drafted tokens, the drafter's scores or None)``; ``update_candidate_strategy``
learns from how many drafted tokens were accepted.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch

from embrace.generation.logits_process import LogitsProcessorList, MinLengthLogitsProcessor
from embrace.generation.stopping_criteria import StoppingCriteria


class ConfidenceCriteria(StoppingCriteria):
    """Stop the assistant's draft as soon as its probability for the token it just chose falls below the threshold.

    Example:
        >>> import torch
        >>> stop = ConfidenceCriteria(0.6)
        >>> stop(torch.tensor([[0, 1]]), (torch.tensor([[0.0, 0.0]]),))
        tensor([True])
    """

    def __init__(self, assistant_confidence_threshold: float) -> None:
        self.assistant_confidence_threshold = assistant_confidence_threshold

    def __call__(self, input_ids: torch.LongTensor, scores: tuple[torch.Tensor, ...] | None,
                 **kwargs: Any) -> torch.BoolTensor:
        probability = scores[-1].softmax(-1)[0, input_ids[0, -1]].item()
        return torch.full((input_ids.shape[0],), probability < self.assistant_confidence_threshold,
                          dtype=torch.bool, device=input_ids.device)


def _cheapest_threshold(matches: list[int], probs: list[float]) -> float:
    """The confidence threshold minimising ``false positive rate + 3 * false negative rate`` on past drafts.

    ``probs`` are the assistant's probabilities for its drafted tokens, ``matches`` whether the
    main model accepted them. The candidate thresholds are the corners of the ROC curve
    (collinear points dropped, plus one at infinity), scanned from the highest.
    """
    truth = np.asarray(matches, dtype=np.float64)
    score = np.asarray(probs, dtype=np.float64)
    order = np.argsort(score, kind="mergesort")[::-1]
    score, truth = score[order], truth[order]
    cut = np.r_[np.where(np.diff(score))[0], truth.size - 1]  # last index of each distinct score
    tps = np.cumsum(truth)[cut]
    fps = 1 + cut - tps
    thresholds = score[cut]
    if fps.shape[0] > 2:
        corners = np.where(np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True])[0]
        fps, tps, thresholds = fps[corners], tps[corners], thresholds[corners]
    fpr = np.r_[0.0, fps] / fps[-1]
    tpr = np.r_[0.0, tps] / tps[-1]
    thresholds = np.r_[np.inf, thresholds]
    return float(thresholds[np.argmin(fpr + 3 * (1 - tpr))])


def _resize(model_kwargs: dict[str, Any], new_length: int) -> dict[str, Any]:
    """Cut or extend the attention mask / position ids / token type ids to ``new_length`` positions."""
    mask = model_kwargs.get("attention_mask")
    if mask is not None:
        diff = new_length - mask.shape[1]
        model_kwargs["attention_mask"] = mask[:, :new_length] if diff < 0 else torch.cat(
            [mask, mask.new_ones((mask.shape[0], diff))], dim=-1)
    positions = model_kwargs.get("position_ids")
    if positions is not None:
        diff = new_length - positions.shape[-1]
        step = torch.arange(max(diff, 0), dtype=positions.dtype, device=positions.device)
        model_kwargs["position_ids"] = positions[..., :new_length] if diff < 0 else torch.cat(
            [positions, positions[..., -1:] + 1 + step], dim=-1)
    types = model_kwargs.get("token_type_ids")
    if types is not None:
        diff = new_length - types.shape[1]
        model_kwargs["token_type_ids"] = types[:, :new_length] if diff < 0 else torch.cat(
            [types, types[:, -1:].repeat(1, diff)], dim=-1)
    return model_kwargs


class CandidateGenerator:
    """Base class of the draft-token sources."""

    def get_candidates(self, input_ids: torch.LongTensor) -> tuple[torch.LongTensor, torch.Tensor | None]:
        raise NotImplementedError(f"{type(self).__name__} must implement get_candidates(input_ids).")

    def update_candidate_strategy(self, input_ids: torch.LongTensor, scores: torch.Tensor, num_matches: int) -> None:
        """Adapt to the last verification (default: nothing to adapt)."""


class AssistedCandidateGenerator(CandidateGenerator):
    """Drafts with ``assistant_model.generate`` (same tokenizer as the main model), keeping its own cache.

    The draft length and confidence threshold come from ``assistant_model.generation_config``
    (``num_assistant_tokens``, ``num_assistant_tokens_schedule``, ``assistant_confidence_threshold``).
    """

    def __init__(self, input_ids: torch.LongTensor, assistant_model: Any, generation_config: Any,
                 model_kwargs: dict[str, Any], logits_processor: LogitsProcessorList | None = None) -> None:
        from embrace.generation.configuration_utils import GenerationConfig

        self.assistant_model = assistant_model
        own = copy.deepcopy(assistant_model.generation_config)
        own.update(**GenerationConfig.default_generation_params(), defaults_only=True)
        self.assistant_generation_config = own
        self.num_assistant_tokens = own.num_assistant_tokens
        self.assistant_kwargs = {
            key: value.detach() if isinstance(value, torch.Tensor) else copy.deepcopy(value)
            for key, value in model_kwargs.items() if key not in ("encoder_outputs", "past_key_values")
        }
        # The assistant runs generate() with the main call's options, asked for its scores, with no
        # length limits of its own (the draft length is set per call) and the confidence stop.
        config = copy.deepcopy(generation_config)
        config.return_dict_in_generate = True
        config.output_scores = True
        config.assistant_confidence_threshold = own.assistant_confidence_threshold
        config.is_assistant = True
        self.main_min_length, self.main_max_length = config.min_length, config.max_length
        config.min_length = config.min_new_tokens = config.max_length = None
        self.generation_config = config
        self.logits_processor = LogitsProcessorList(
            p for p in (logits_processor or ()) if not isinstance(p, MinLengthLogitsProcessor)
        )
        # With a confidence threshold, it is re-fitted on (probability, accepted) pairs of past drafts.
        self.probs: list[float] | None = [] if own.assistant_confidence_threshold else None
        self.matches: list[int] = []

    def get_candidates(self, input_ids: torch.LongTensor) -> tuple[torch.LongTensor, torch.Tensor | None]:
        length = input_ids.shape[-1]
        max_new = min(int(self.num_assistant_tokens), self.main_max_length - length - 1)
        min_new = max(min(max_new, (self.main_min_length or 0) - length), 0)
        if max_new == 0:
            return input_ids, None
        cache = self.assistant_kwargs.get("past_key_values")
        if cache is not None:
            # Keep the assistant's cache for the tokens both models agree on (all but the newest one).
            surplus = cache.get_seq_length() - (length - 2)
            if surplus >= 0:
                cache.crop(-surplus)
            self.assistant_kwargs = _resize(self.assistant_kwargs, length)
        out = self.assistant_model.generate(
            input_ids, min_new_tokens=min_new, max_new_tokens=max_new, generation_config=self.generation_config,
            logits_processor=self.logits_processor, **self.assistant_kwargs,
        )
        self.assistant_kwargs["past_key_values"] = out.past_key_values
        if self.probs is not None:
            drafted = out.sequences[-1, -len(out.scores):]
            probs = torch.softmax(torch.cat(out.scores, dim=0), dim=-1)[range(len(drafted)), drafted]
            self.probs.extend(probs.tolist())
        return out.sequences, torch.stack(out.scores, dim=1)  # (1, drafted, vocab)

    def update_candidate_strategy(self, input_ids: torch.LongTensor, scores: torch.Tensor, num_matches: int) -> None:
        if self.assistant_generation_config.num_assistant_tokens_schedule in ("heuristic", "heuristic_transient"):
            # All drafted tokens accepted: draft more next time; otherwise fewer.
            if num_matches == scores.shape[1] - 1:
                self.num_assistant_tokens += 2
            else:
                self.num_assistant_tokens = max(1, self.num_assistant_tokens - 1)
        if self.probs is not None:
            # The accepted drafts matched; the first rejected one (if any) did not; later ones were never judged.
            self.matches.extend([1] * num_matches)
            if len(self.probs) > len(self.matches):
                self.matches.append(0)
            del self.probs[len(self.matches):]
            if len(self.probs) > 5 and {0, 1} <= set(self.matches):
                threshold = _cheapest_threshold(self.matches, self.probs)
                self.assistant_generation_config.assistant_confidence_threshold = threshold
                self.generation_config.assistant_confidence_threshold = threshold


class PromptLookupCandidateGenerator(CandidateGenerator):
    """Drafts by finding the last ``n`` tokens earlier in the sequence and copying what followed (n from
    ``max_matching_ngram_size`` down to 1, first occurrence wins).
    """

    def __init__(self, eos_token_id: torch.Tensor | None = None, num_output_tokens: int = 10,
                 max_matching_ngram_size: int = 2, max_length: int = 20,
                 logits_processor: LogitsProcessorList | None = None, vocab_size: int | None = None) -> None:
        if max_matching_ngram_size <= 0 or num_output_tokens <= 0:
            raise ValueError(
                f"Invalid max_matching_ngram_size ({max_matching_ngram_size}) or num_output_tokens "
                f"({num_output_tokens}); both must be positive."
            )
        self.num_output_tokens = num_output_tokens
        self.max_matching_ngram_size = max_matching_ngram_size
        self.max_length = max_length
        self.eos_token_id = eos_token_id
        self.logits_processor = logits_processor
        self.vocab_size = vocab_size

    def _allowed_prefix(self, input_ids: torch.LongTensor, drafted: torch.Tensor) -> torch.Tensor:
        """The drafted tokens up to the first one the logits processors would forbid."""
        ones = torch.ones((input_ids.shape[0], self.vocab_size), device=input_ids.device, dtype=torch.float32)
        sequence = input_ids
        for index, token in enumerate(drafted):
            allowed = self.logits_processor(sequence, ones)[0, token]
            if allowed in (-float("inf"), torch.finfo(allowed.dtype).min):
                return drafted[:index]
            sequence = torch.cat((input_ids, drafted[: index + 1].unsqueeze(0)), dim=1)
        return drafted

    def get_candidates(self, input_ids: torch.LongTensor) -> tuple[torch.LongTensor, None]:
        length = input_ids.shape[1]
        if self.max_length == length + 1:
            return input_ids, None
        for size in range(min(self.max_matching_ngram_size, length - 1), 0, -1):
            windows = input_ids.unfold(dimension=1, size=size, step=1)  # (1, length - size + 1, size)
            starts = (windows == input_ids[0, -size:]).all(dim=2).nonzero(as_tuple=True)[1]
            for start in starts.tolist():
                begin = start + size
                end = min(begin + self.num_output_tokens, length, self.max_length)
                if begin >= end:
                    continue
                drafted = input_ids[0, begin:end]
                if self.logits_processor is not None:
                    drafted = self._allowed_prefix(input_ids, drafted)
                    if drafted.shape[0] == 0:
                        continue
                if self.eos_token_id is not None:
                    ends = torch.isin(drafted, self.eos_token_id).nonzero()
                    if ends.numel() > 0:
                        drafted = drafted[: int(ends[0])]
                if drafted.shape[0] == 0:
                    return input_ids, None
                return torch.cat((input_ids, drafted.unsqueeze(0)), dim=1), None
        return input_ids, None


__all__ = ["CandidateGenerator", "AssistedCandidateGenerator", "PromptLookupCandidateGenerator", "ConfidenceCriteria"]
