"""Contrastive search (``penalty_alpha > 0`` and ``top_k > 1``, arXiv:2202.06417).

Each step takes the ``top_k`` most likely next tokens, runs all of them through the model at
once (the cache repeated ``top_k`` times) and picks the one maximising
``(1 - alpha) * probability - alpha * degeneration_penalty``, where the penalty is the highest
cosine similarity between the candidate's last hidden state and those of the tokens so far.
The chosen candidate's forward pass is reused: its logits give the next step's distribution.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from embrace.generation.search import _forward, _Recorder, append_tokens
from embrace.modeling.outputs import CausalLMOutputWithPast, ModelOutput, Seq2SeqLMOutput

if TYPE_CHECKING:
    from embrace.generation.configuration_utils import GenerationConfig
    from embrace.generation.logits_process import LogitsProcessorList
    from embrace.generation.stopping_criteria import StoppingCriteriaList


def _last_hidden(outputs: Any) -> tuple[torch.Tensor, ...]:
    states = getattr(outputs, "decoder_hidden_states", None)
    return states if states is not None else outputs.hidden_states


def _rank(context: torch.Tensor, candidates: torch.Tensor, probs: torch.Tensor, mask: torch.Tensor,
          alpha: float, top_k: int) -> torch.Tensor:
    """Index (per prompt) of the best candidate.

    ``context`` (batch * top_k, seq, hidden) are the hidden states so far, ``candidates``
    (batch * top_k, 1, hidden) each candidate's, ``probs`` (batch, top_k), ``mask``
    (batch * top_k, seq) marks real (not padding) positions.
    """
    context = context / context.norm(dim=2, keepdim=True)
    candidates = candidates / candidates.norm(dim=2, keepdim=True)
    cosine = torch.matmul(context, candidates.transpose(1, 2)).squeeze(-1)  # (batch * top_k, seq)
    cosine = cosine + (1 - mask.to(cosine.dtype)) * torch.finfo(cosine.dtype).min
    penalty = cosine.max(dim=-1).values  # (batch * top_k,)
    score = (1.0 - alpha) * probs.view(-1) - alpha * penalty
    return score.view(-1, top_k).argmax(dim=-1)


def _pick(tensors: tuple[torch.Tensor, ...] | None, top_k: int, chosen: torch.Tensor) -> tuple | None:
    """Per-layer tensors of all candidates (batch * top_k, ...) -> the chosen ones (batch, ...)."""
    if tensors is None:
        return None
    rows = torch.arange(chosen.shape[0], device=chosen.device)
    return tuple(t.view(-1, top_k, *t.shape[1:])[rows, chosen] for t in tensors)


def _chosen_outputs(outputs: Any, states: tuple[torch.Tensor, ...], top_k: int, chosen: torch.Tensor) -> ModelOutput:
    """The chosen candidates' hidden states / attentions, named as the model names them (for the recorder)."""
    if getattr(outputs, "decoder_hidden_states", None) is not None:
        return Seq2SeqLMOutput(decoder_hidden_states=_pick(states, top_k, chosen),
                               decoder_attentions=_pick(outputs.get("decoder_attentions"), top_k, chosen),
                               cross_attentions=_pick(outputs.get("cross_attentions"), top_k, chosen))
    return CausalLMOutputWithPast(hidden_states=_pick(states, top_k, chosen),
                                  attentions=_pick(outputs.get("attentions"), top_k, chosen))


def contrastive_search(model: Any, input_ids: torch.LongTensor, *, logits_processor: LogitsProcessorList,
                       stopping_criteria: StoppingCriteriaList, generation_config: GenerationConfig, streamer: Any,
                       model_kwargs: dict[str, Any]) -> Any:
    """Contrastive search over the (left-padded) prompts ``input_ids`` (batch, prompt_len)."""
    config = generation_config
    top_k, alpha = config.top_k, config.penalty_alpha
    pad = config._pad_token_tensor
    has_eos_criteria = any(hasattr(c, "eos_token_id") for c in stopping_criteria)
    record = _Recorder(config)
    batch = input_ids.shape[0]
    device = input_ids.device
    # Padding is left out of the penalty; an encoder-decoder's decoder ids are unpadded unless masked.
    seq2seq = bool(getattr(model.config, "is_encoder_decoder", False))
    mask = model_kwargs.get("decoder_attention_mask" if seq2seq else "attention_mask")
    cosine_mask = (mask if mask is not None else torch.ones_like(input_ids)).repeat_interleave(top_k, dim=0)
    unfinished = torch.ones(batch, dtype=torch.long, device=device)
    rows = torch.arange(batch, device=device)

    # The prompt pass: a cache is required, and every layer's hidden states for the penalty.
    model_kwargs["use_cache"] = True
    model_kwargs["output_hidden_states"] = True
    outputs = _forward(model, input_ids, model_kwargs, True)
    model_kwargs = model._update_model_kwargs_for_generation(outputs, model_kwargs)
    if model_kwargs.get("past_key_values") is None:
        raise ValueError(f"{type(model).__name__} does not support caching and therefore can't be used for contrastive search.")
    history = _last_hidden(outputs)[-1]  # (batch, seq, hidden)
    next_logits = outputs.logits[:, -1, :].to(copy=True, dtype=torch.float32, device=device)
    # From here on every per-row model input serves the top_k candidates of its prompt.
    for key, value in model_kwargs.items():
        if isinstance(value, torch.Tensor):
            model_kwargs[key] = value.repeat_interleave(top_k, dim=0)
    encoder_outputs = model_kwargs.get("encoder_outputs")
    for key in list(encoder_outputs.keys()) if encoder_outputs is not None else ():
        if isinstance(encoder_outputs[key], torch.Tensor):
            encoder_outputs[key] = encoder_outputs[key].repeat_interleave(top_k, dim=0)
    step_outputs: Any = outputs
    while True:
        scores = logits_processor(input_ids, next_logits)
        top_probs, top_ids = torch.topk(nn.functional.softmax(scores, dim=-1), dim=-1, k=top_k)  # (batch, top_k)
        record.add(scores, next_logits, step_outputs)
        del outputs, step_outputs

        cache = model_kwargs["past_key_values"]
        cache.batch_repeat_interleave(top_k)
        inputs = model.prepare_inputs_for_generation(top_ids.view(-1, 1), next_sequence_length=1, **model_kwargs)
        outputs = model(**inputs, return_dict=True)
        states = _last_hidden(outputs)
        chosen = _rank(history.repeat_interleave(top_k, dim=0), states[-1], top_probs, cosine_mask, alpha, top_k)
        cosine_mask = torch.cat([cosine_mask, cosine_mask.new_ones((cosine_mask.shape[0], 1))], dim=-1)
        next_tokens = top_ids[rows, chosen]
        history = torch.cat([history, _pick((states[-1],), top_k, chosen)[0]], dim=1)
        next_logits = outputs.logits[:, -1, :].float().view(batch, top_k, -1)[rows, chosen].to(device)
        outputs.past_key_values.batch_select_indices(rows * top_k + chosen)
        step_outputs = _chosen_outputs(outputs, states, top_k, chosen)
        model_kwargs = model._update_model_kwargs_for_generation(outputs, model_kwargs)

        input_ids, unfinished = append_tokens(input_ids, next_tokens, unfinished, pad=pad,
                                              has_eos_criteria=has_eos_criteria, streamer=streamer,
                                              stopping_criteria=stopping_criteria, scores=record.scores)
        if int(unfinished.max()) == 0:
            break
    if streamer is not None:
        streamer.end()
    if not config.return_dict_in_generate:
        return input_ids
    # The last chosen token was already run; drop it so the cache ends where generation would resume.
    model_kwargs["past_key_values"].crop(-1)
    return record.output(model, model_kwargs, beam=False, sequences=input_ids)


__all__ = ["contrastive_search"]
