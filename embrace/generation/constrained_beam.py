"""Constrained beam search: beam search whose results contain given phrases (``force_words_ids`` / ``constraints``).

Each step ranks candidates like beam search, then also proposes, for every beam, the tokens
that advance its constraints. Candidates are grouped into "banks" by how much of the
constraints they fulfil, and the kept beams are taken round-robin across banks (best score
first within a bank), so hypotheses at every stage of progress survive. A hypothesis may only
finish (end token, or at the end) when all of its constraints are fulfilled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from embrace.generation.beam_constraints import Constraint, ConstraintListState, DisjunctiveConstraint, PhrasalConstraint
from embrace.generation.beam_hypotheses import BeamHypotheses, finalize, select_row
from embrace.generation.search import _forward, _Recorder

if TYPE_CHECKING:
    from embrace.generation.configuration_utils import GenerationConfig
    from embrace.generation.logits_process import LogitsProcessorList
    from embrace.generation.stopping_criteria import StoppingCriteriaList


def build_constraints(config: GenerationConfig) -> list[Constraint]:
    """``config.constraints`` plus one constraint per entry of ``force_words_ids``.

    A flat list of ids is a :class:`PhrasalConstraint`; a list of lists a :class:`DisjunctiveConstraint`.
    """
    constraints = list(config.constraints or [])
    words = config.force_words_ids
    if words is not None:
        def invalid() -> ValueError:
            return ValueError(
                "`force_words_ids` has to either be a `list[list[list[int]]]` or `list[list[int]]` of positive "
                f"integers, but is {words}."
            )

        if not isinstance(words, list) or len(words) == 0:
            raise invalid()
        for word_ids in words:
            if not isinstance(word_ids, list) or len(word_ids) == 0:
                raise invalid()
            nested = isinstance(word_ids[0], list)
            flat = [t for ids in word_ids for t in ids] if nested and all(isinstance(i, list) for i in word_ids) else word_ids
            if (nested and not all(isinstance(i, list) and i for i in word_ids)) or any(
                not isinstance(t, int) or isinstance(t, bool) or t < 0 for t in flat
            ):
                raise invalid()
            constraints.append(DisjunctiveConstraint(word_ids) if nested else PhrasalConstraint(word_ids))
    if not constraints:
        raise ValueError("Constrained beam search needs at least one constraint; `constraints` is empty.")
    for constraint in constraints:
        if not isinstance(constraint, Constraint):
            raise TypeError(f"`constraints` must hold Constraint objects, got {type(constraint).__name__}.")
    return constraints


class _ConstraintTracker:
    """Fresh :class:`ConstraintListState` objects for the constraints, replayed over token lists."""

    def __init__(self, constraints: list[Constraint]) -> None:
        self.constraints = constraints

    def state(self, tokens: list[int] | None = None) -> ConstraintListState:
        state = ConstraintListState([c.copy() for c in self.constraints])
        state.reset(tokens)
        return state

    def completes(self, ids: torch.Tensor) -> bool:
        return self.state(ids.tolist()).completed


def _advance_row(tracker: _ConstraintTracker, row_ids: torch.Tensor, row_vocab_scores: torch.Tensor, row_offset: int,
                 scores: torch.Tensor, tokens: torch.Tensor, parents: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Add constraint-advancing candidates to one prompt's kept beams and re-pick them by bank.

    ``row_ids`` (beams, seq) are this prompt's beams, ``row_vocab_scores`` (beams, vocab) their
    cumulative scores; ``scores`` / ``tokens`` / ``parents`` (beams,) the beams kept so far.
    """
    width = parents.shape[0]
    full = torch.cat((row_ids[parents - row_offset], tokens.unsqueeze(-1)), dim=-1)
    seen = full.tolist()
    states = [tracker.state(seq) for seq in seen]
    new_parents, new_tokens, new_scores = [], [], []
    for beam, prefix in enumerate(row_ids):
        prefix_list = prefix.tolist()
        current = tracker.state(prefix_list)
        if current.completed:
            continue
        for token in current.advance():
            candidate = prefix_list + [token]
            if candidate in seen:
                continue
            advanced = current.copy(stateful=True)
            advanced.add(token)
            seen.append(candidate)
            new_parents.append(row_offset + beam)
            new_tokens.append(token)
            new_scores.append(row_vocab_scores[beam, token])
            states.append(advanced)
    if not new_parents:
        return scores, tokens, parents
    all_scores = torch.cat((scores, torch.stack(new_scores)))
    all_tokens = torch.cat((tokens, torch.tensor(new_tokens, dtype=tokens.dtype, device=tokens.device)))
    all_parents = torch.cat((parents, torch.tensor(new_parents, dtype=parents.dtype, device=parents.device)))
    banks = torch.tensor([state.get_bank() for state in states], device=all_scores.device)
    order = (banks * 100 + all_scores).sort(descending=True).indices
    # Rank within each bank (0 = best), then take rank 0 of every bank, rank 1 of every bank, ...
    ranks, previous, count = [], None, -1
    for bank in banks[order].tolist():
        count = count + 1 if bank == previous else 0
        previous = bank
        ranks.append(count)
    order = order[torch.tensor(sorted(range(len(ranks)), key=ranks.__getitem__), device=order.device)][:width]
    return all_scores[order], all_tokens[order], all_parents[order]


def constrained_beam_search(model: Any, input_ids: torch.LongTensor, *, logits_processor: LogitsProcessorList,
                            stopping_criteria: StoppingCriteriaList, generation_config: GenerationConfig,
                            streamer: Any, model_kwargs: dict[str, Any]) -> Any:
    """Constrained beam search over ``input_ids`` of shape ``(batch * num_beams, prompt_len)``."""
    config = generation_config
    pad, eos = config._pad_token_tensor, config._eos_token_tensor
    num_beams = config.num_beams
    if num_beams <= 1:
        raise ValueError(
            f"Constrained beam search needs `num_beams` > 1, but it is {num_beams}; set num_beams (e.g. num_beams=4)."
        )
    flat_batch, prompt_len = input_ids.shape
    batch = flat_batch // num_beams
    device = input_ids.device
    tracker = _ConstraintTracker(build_constraints(config))
    record = _Recorder(config)
    hyps = [BeamHypotheses(num_beams, config.length_penalty, config.early_stopping, config.max_length)
            for _ in range(batch)]
    done = [False] * batch
    histories: tuple | None = tuple(() for _ in range(flat_batch)) if record.scores is not None else None
    beam_scores = torch.zeros((batch, num_beams), dtype=torch.float, device=device)
    beam_scores[:, 1:] = -1e9  # identical beams at the start: only the first expands
    beam_scores = beam_scores.view(-1)
    keep = max(2, 1 + (eos.shape[0] if eos is not None else 0)) * num_beams
    first = True
    while True:
        outputs = _forward(model, input_ids, model_kwargs, first)
        first = False
        model_kwargs = model._update_model_kwargs_for_generation(outputs, model_kwargs)
        raw = outputs.logits[:, -1, :].to(copy=True, dtype=torch.float32, device=device)  # (batch * beams, vocab)
        totals = logits_processor(input_ids, nn.functional.log_softmax(raw, dim=-1)) + beam_scores[:, None]
        record.add(totals, raw, outputs)
        del outputs
        vocab = totals.shape[-1]
        cand_scores, cand = torch.topk(totals.view(batch, num_beams * vocab), keep, dim=1, largest=True, sorted=True)
        next_scores = torch.zeros((batch, num_beams), dtype=torch.float, device=device)
        next_tokens = torch.zeros((batch, num_beams), dtype=torch.long, device=device)
        parents = torch.zeros((batch, num_beams), dtype=torch.long, device=device)
        for b in range(batch):
            if done[b]:
                next_tokens[b] = int(pad)
                continue
            offset = b * num_beams
            kept = select_row(hyps[b], input_ids, cand_scores[b], cand[b] % vocab, cand[b] // vocab, row_offset=offset,
                              group_size=num_beams, eos=eos, beam_indices=histories, prompt_len=prompt_len,
                              accept=tracker.completes)
            kept = (torch.tensor(x, device=device) for x in kept)
            next_scores[b], next_tokens[b], parents[b] = _advance_row(
                tracker, input_ids[offset: offset + num_beams], totals[offset: offset + num_beams], offset, *kept,
            )
            done[b] = hyps[b].is_done(float(cand_scores[b].max()), input_ids.shape[-1] + 1, prompt_len)
        parents = parents.view(-1)
        beam_scores = next_scores.view(-1)
        input_ids = torch.cat([input_ids[parents], next_tokens.view(-1, 1)], dim=-1)
        cache = model_kwargs.get("past_key_values")
        if cache is not None:
            cache.reorder_cache(parents)
        if histories is not None:
            histories = tuple(histories[p] + (p,) for p in parents.tolist())
        if all(done) or bool(stopping_criteria(input_ids, record.scores).all()):
            break

    for b in range(batch):
        if done[b]:
            continue
        rows = range(b * num_beams, (b + 1) * num_beams)
        complete = [row for row in rows if tracker.completes(input_ids[row])]
        # Too few beams fulfil the constraints: the others are returned too rather than nothing.
        chosen = complete
        if len(complete) < config.num_return_sequences:
            chosen = complete + [row for row in rows if row not in complete]
        for row in chosen:
            # Fallback beams carry no beam indices (as in the reference).
            history = histories[row] if histories is not None and row in complete else None
            hyps[b].add(input_ids[row], float(beam_scores[row]), history, input_ids.shape[-1] - prompt_len)
    sequences, scores, indices = finalize([[h] for h in hyps], config.num_return_sequences, input_ids,
                                          max_length=config.max_length, pad=pad, eos=eos)
    if not config.return_dict_in_generate:
        return sequences
    return record.output(model, model_kwargs, beam=True, sequences=sequences,
                         sequences_scores=scores if config.output_scores else None, beam_indices=indices)


__all__ = ["constrained_beam_search", "build_constraints"]
