"""Assisted generation (speculative decoding): ``assistant_model=`` or ``prompt_lookup_num_tokens=``.

Each iteration a candidate generator drafts a few tokens; the main model scores the prompt
plus all drafted tokens in one forward pass and keeps the longest prefix it agrees with, plus
one token of its own. Greedy verification keeps exactly the tokens plain greedy search would
produce; with ``do_sample=True`` and an assistant the drafts are accepted by speculative
sampling (arXiv:2211.17192), which samples from the main model's distribution. The main
model's cache is cropped back past the rejected drafts.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import torch

from embrace.generation.candidate_generator import AssistedCandidateGenerator, PromptLookupCandidateGenerator, _resize
from embrace.generation.search import _Recorder

if TYPE_CHECKING:
    from embrace.generation.configuration_utils import GenerationConfig
    from embrace.generation.logits_process import LogitsProcessorList
    from embrace.generation.stopping_criteria import StoppingCriteriaList


def _speculative_sampling(candidate_ids: torch.Tensor, candidate_logits: torch.Tensor, drafted: int,
                          new_logits: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Accept draft token i with probability min(1, p_i / q_i); resample the first rejected one from max(p - q, 0).

    ``candidate_logits`` (1, drafted, vocab) are the assistant's scores ``q``, ``new_logits``
    (1, drafted + 1, vocab) the main model's ``p``. Returns the kept tokens and how many drafts matched.
    """
    drafts = candidate_ids[:, -drafted:]
    q = candidate_logits.softmax(dim=-1)
    p = new_logits.softmax(dim=-1)
    steps = torch.arange(drafted)
    q_i = q[:, steps, drafts].squeeze(0, 1)
    p_i = p[:, steps, drafts].squeeze(0, 1)
    ratio = p_i / q_i
    accepted = torch.rand_like(ratio) <= ratio
    n_matches = int(((~accepted).cumsum(dim=-1) < 1).sum())
    p_next = p[:, n_matches, :]
    if n_matches < candidate_logits.shape[1]:
        residual = torch.clamp(p_next - q[:, n_matches, :], min=0)
        p_next = residual / residual.sum()
    token = torch.multinomial(p_next, num_samples=1).squeeze(1)[None, :]
    return torch.cat((drafts[:, :n_matches], token), dim=-1), n_matches


def _candidate_generator(model: Any, input_ids: torch.Tensor, config: GenerationConfig, assistant_model: Any,
                         processors: LogitsProcessorList, model_kwargs: dict[str, Any]) -> Any:
    if config.prompt_lookup_num_tokens is not None:
        return PromptLookupCandidateGenerator(
            eos_token_id=config._eos_token_tensor, num_output_tokens=config.prompt_lookup_num_tokens,
            max_matching_ngram_size=config.max_matching_ngram_size or 2, max_length=config.max_length,
            logits_processor=processors, vocab_size=model.config.get_text_config().vocab_size,
        )
    main_vocab = model.config.get_text_config().vocab_size
    assistant_vocab = assistant_model.config.get_text_config().vocab_size
    if main_vocab != assistant_vocab:
        raise ValueError(
            f"The main model (vocab {main_vocab}) and the assistant (vocab {assistant_vocab}) must share a tokenizer; "
            "assistants with a different tokenizer are not supported by embrace."
        )
    return AssistedCandidateGenerator(input_ids, assistant_model, config, model_kwargs, processors)


def assisted_decoding(model: Any, input_ids: torch.LongTensor, *, logits_processor: LogitsProcessorList,
                      stopping_criteria: StoppingCriteriaList, generation_config: GenerationConfig, streamer: Any,
                      model_kwargs: dict[str, Any], assistant_model: Any = None) -> Any:
    """Assisted greedy search or sampling over one prompt ``input_ids`` of shape ``(1, prompt_len)``."""
    config = generation_config
    if input_ids.shape[0] > 1:
        raise ValueError("assisted generate is only supported for batch_size = 1")
    if not model_kwargs.get("use_cache"):
        raise ValueError("assisted generate requires `use_cache=True`")
    if config.output_attentions or config.output_hidden_states:
        raise ValueError(
            "assisted generate does not return attentions or hidden states in embrace; drop output_attentions / "
            "output_hidden_states or use plain greedy search / sampling."
        )
    candidates = _candidate_generator(model, input_ids, config, assistant_model, logits_processor, model_kwargs)
    eos = config._eos_token_tensor
    record = _Recorder(config)
    first = True
    while True:
        length = input_ids.shape[1]
        candidate_ids, candidate_logits = candidates.get_candidates(input_ids)
        drafted = candidate_ids.shape[1] - length
        # The main model sees the drafts as if they had been generated: masks and positions cover them.
        step_kwargs = _resize(copy.copy(model_kwargs), candidate_ids.shape[1])
        inputs = model.prepare_inputs_for_generation(
            candidate_ids, next_sequence_length=None if first else drafted + 1, **step_kwargs,
        )
        if "logits_to_keep" in inputs:
            inputs["logits_to_keep"] = drafted + 1
        outputs = model(**inputs, return_dict=True)
        raw = outputs.logits[:, -drafted - 1:].to(dtype=torch.float32, device=input_ids.device)  # (1, drafted + 1, vocab)
        new_logits = raw.clone()
        for i in range(drafted + 1):
            new_logits[:, i, :] = logits_processor(candidate_ids[:, : length + i], new_logits[:, i, :])

        if config.do_sample and candidate_logits is not None:
            kept, _ = _speculative_sampling(candidate_ids, candidate_logits, drafted, new_logits)
        else:
            if config.do_sample:
                chosen = torch.multinomial(new_logits.softmax(dim=-1)[0], num_samples=1).squeeze(1)[None, :]
            else:
                chosen = new_logits.argmax(dim=-1)  # (1, drafted + 1)
            agree = candidate_ids[:, length:] == chosen[:, :-1]
            kept = chosen[:, : int(((~agree).cumsum(dim=-1) < 1).sum()) + 1]
        kept = kept[:, : config.max_length - length]
        if eos is not None:
            ends = torch.isin(kept.squeeze(0), eos.to(kept.device)).nonzero()
            if ends.numel() > 0:
                kept = kept[:, : int(ends[0]) + 1]
        n_matches = kept.shape[1] - 1
        input_ids = torch.cat((input_ids, kept), dim=-1)
        if streamer is not None:
            streamer.put(kept.cpu())
        outputs.past_key_values.crop(-(drafted - n_matches))  # forget the rejected drafts
        candidates.update_candidate_strategy(input_ids, new_logits, n_matches)
        model_kwargs = model._update_model_kwargs_for_generation(outputs, model_kwargs, num_new_tokens=n_matches + 1)
        for i in range(n_matches + 1):
            record.add(new_logits[:, i, :], raw[:, i, :], outputs)
        del outputs
        first = False
        if bool(stopping_criteria(input_ids, record.scores).all()):
            break
    if streamer is not None:
        streamer.end()
    if isinstance(candidates, AssistedCandidateGenerator) and \
            candidates.assistant_generation_config.num_assistant_tokens_schedule == "heuristic":
        # The learnt draft length carries over to the next generate() call, as in the reference.
        assistant_model.generation_config.num_assistant_tokens = candidates.num_assistant_tokens
    if not config.return_dict_in_generate:
        return input_ids
    return record.output(model, model_kwargs, beam=False, sequences=input_ids)


__all__ = ["assisted_decoding"]
