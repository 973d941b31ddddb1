"""Diverse (group) beam search: ``num_beams`` split into ``num_beam_groups`` groups searched in turn.

Every step runs the model once over all beams, then each group picks its continuations like
beam search, one group after the other; :class:`HammingDiversityLogitsProcessor` lowers the
scores of tokens that earlier groups already chose at this step, which pushes the groups apart.
Finished hypotheses are kept per (prompt, group); the best of all groups are returned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from embrace.generation.beam_hypotheses import BeamHypotheses, finalize, select_row
from embrace.generation.search import _forward, _Recorder

if TYPE_CHECKING:
    from embrace.generation.configuration_utils import GenerationConfig
    from embrace.generation.logits_process import LogitsProcessorList
    from embrace.generation.stopping_criteria import StoppingCriteriaList


def group_beam_search(model: Any, input_ids: torch.LongTensor, *, logits_processor: LogitsProcessorList,
                      stopping_criteria: StoppingCriteriaList, generation_config: GenerationConfig, streamer: Any,
                      model_kwargs: dict[str, Any]) -> Any:
    """Group beam search over ``input_ids`` of shape ``(batch * num_beams, prompt_len)``."""
    config = generation_config
    pad, eos = config._pad_token_tensor, config._eos_token_tensor
    num_beams, num_groups = config.num_beams, config.num_beam_groups
    group_size = num_beams // num_groups
    flat_batch, prompt_len = input_ids.shape
    batch = flat_batch // num_beams
    device = input_ids.device
    record = _Recorder(config)
    # hyps[prompt][group]
    hyps = [[BeamHypotheses(group_size, config.length_penalty, config.early_stopping, config.max_length)
             for _ in range(num_groups)] for _ in range(batch)]
    done = [[False] * num_groups for _ in range(batch)]
    # Per group, per beam of the group (batch-major), the tuple of beams it came from. Group rows
    # index the flattened tuple with group-local indices, as the reference does.
    histories: list[tuple] | None = (
        [tuple(() for _ in range(group_size * batch)) for _ in range(num_groups)] if record.scores is not None else None
    )
    beam_scores = torch.full((batch, num_beams), -1e9, dtype=torch.float, device=device)
    beam_scores[:, ::group_size] = 0  # the first beam of each group starts the group
    beam_scores = beam_scores.view(-1)
    keep = max(2, 1 + (eos.shape[0] if eos is not None else 0)) * group_size
    first = True
    while True:
        outputs = _forward(model, input_ids, model_kwargs, first)
        first = False
        model_kwargs = model._update_model_kwargs_for_generation(outputs, model_kwargs)
        raw = outputs.logits[:, -1, :].to(copy=True, dtype=torch.float32, device=device)  # (batch * beams, vocab)
        processed = torch.zeros_like(raw) if record.scores is not None else None
        current_tokens = torch.zeros(flat_batch, dtype=input_ids.dtype, device=device)
        reorder = torch.zeros(flat_batch, dtype=torch.long, device=device)
        for group in range(num_groups):
            start = group * group_size
            rows = torch.tensor([b * num_beams + start + i for b in range(batch) for i in range(group_size)], device=device)
            group_ids = input_ids[rows]
            group_scores = logits_processor(group_ids, nn.functional.log_softmax(raw[rows], dim=-1),
                                            current_tokens=current_tokens, beam_group_idx=group)
            if processed is not None:
                processed[rows] = group_scores
            vocab = group_scores.shape[-1]
            totals = (group_scores + beam_scores[rows].unsqueeze(-1)).view(batch, group_size * vocab)
            cand_scores, cand = torch.topk(totals, keep, dim=1, largest=True, sorted=True)
            flat_history = sum(histories, ()) if histories is not None else None
            next_scores = torch.zeros((batch, group_size), dtype=torch.float, device=device)
            next_tokens = torch.full((batch, group_size), 0, dtype=torch.long, device=device)
            parents = torch.zeros((batch, group_size), dtype=torch.long, device=device)
            for b in range(batch):
                if done[b][group]:
                    next_tokens[b] = int(pad)  # a finished row only pads; parents stay 0
                    continue
                kept = select_row(hyps[b][group], group_ids, cand_scores[b], cand[b] % vocab, cand[b] // vocab,
                                  row_offset=b * group_size, group_size=group_size, eos=eos,
                                  beam_indices=flat_history, prompt_len=prompt_len)
                next_scores[b], next_tokens[b], parents[b] = (torch.tensor(x, device=device) for x in kept)
                done[b][group] = hyps[b][group].is_done(float(cand_scores[b].max()), group_ids.shape[-1] + 1, prompt_len)
            parents = parents.view(-1)
            beam_scores[rows] = next_scores.view(-1)
            if histories is not None:
                previous = histories[group]
                histories[group] = tuple(previous[p] + (p,) for p in parents.tolist())
            input_ids[rows] = group_ids[parents]
            current_tokens[rows] = next_tokens.view(-1)
            # group-local parent -> row of the full batch
            reorder[rows] = num_beams * torch.div(parents, group_size, rounding_mode="floor") + start + parents % group_size
        record.add(processed, raw, outputs)
        del outputs
        input_ids = torch.cat([input_ids, current_tokens.unsqueeze(-1)], dim=-1)
        cache = model_kwargs.get("past_key_values")
        if cache is not None:
            cache.reorder_cache(reorder)
        if all(all(row) for row in done) or bool(stopping_criteria(input_ids, record.scores).all()):
            break

    # Still-running beams compete with the finished ones.
    final_history = sum(histories, ()) if histories is not None else None
    for b in range(batch):
        for group in range(num_groups):
            if done[b][group]:
                continue
            for i in range(group_size):
                row = (b * num_groups + group) * group_size + i
                ids = input_ids[row]
                history = final_history[row] if final_history is not None else None
                hyps[b][group].add(ids, float(beam_scores[row]), history, ids.shape[-1] - prompt_len)
    sequences, scores, indices = finalize(hyps, config.num_return_sequences, input_ids, max_length=config.max_length,
                                          pad=pad, eos=eos)
    if not config.return_dict_in_generate:
        return sequences
    return record.output(model, model_kwargs, beam=True, sequences=sequences,
                         sequences_scores=scores if config.output_scores else None, beam_indices=indices)


__all__ = ["group_beam_search"]
