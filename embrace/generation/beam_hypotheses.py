"""Per-row n-best lists of finished hypotheses, shared by group and constrained beam search.

These two strategies work row by row (a row is one prompt, or one prompt's beam group): each
step walks the ranked candidates of the row, moves the ones ending in an end token into the
row's :class:`BeamHypotheses` (length-penalised) and keeps the best ``group_size`` others
running. :func:`finalize` then adds the still-running beams and packs the best hypotheses of
each prompt into one padded tensor.
"""

from __future__ import annotations

from typing import Callable

import torch


class BeamHypotheses:
    """The ``num_beams`` best finished hypotheses of one row, scored ``sum_logprobs / generated_len ** length_penalty``."""

    def __init__(self, num_beams: int, length_penalty: float, early_stopping: bool | str, max_length: int) -> None:
        self.num_beams = num_beams
        self.length_penalty = length_penalty
        self.early_stopping = early_stopping
        self.max_length = max_length
        self.beams: list[tuple[float, torch.Tensor, tuple[int, ...] | None]] = []
        self.worst_score = 1e9

    def __len__(self) -> int:
        return len(self.beams)

    def add(self, hyp: torch.Tensor, sum_logprobs: float, beam_indices: tuple[int, ...] | None,
            generated_len: int) -> None:
        score = sum_logprobs / (generated_len ** self.length_penalty)
        if len(self) < self.num_beams or score > self.worst_score:
            self.beams.append((score, hyp, beam_indices))
            if len(self) > self.num_beams:
                ranked = sorted((s, i) for i, (s, _, _) in enumerate(self.beams))
                del self.beams[ranked[0][1]]
                self.worst_score = ranked[1][0]
            else:
                self.worst_score = min(score, self.worst_score)

    def is_done(self, best_sum_logprobs: float, cur_len: int, prompt_len: int) -> bool:
        """Full, and (per ``early_stopping``) no running beam can beat the worst kept hypothesis."""
        if len(self) < self.num_beams:
            return False
        if self.early_stopping is True:
            return True
        if self.early_stopping == "never" and self.length_penalty > 0.0:
            best_length = self.max_length - prompt_len
        else:
            best_length = cur_len - prompt_len
        return self.worst_score >= best_sum_logprobs / best_length ** self.length_penalty


def select_row(hyps: BeamHypotheses, input_ids: torch.Tensor, scores: torch.Tensor, tokens: torch.Tensor,
               parents: torch.Tensor, *, row_offset: int, group_size: int, eos: torch.Tensor | None,
               beam_indices: tuple | None, prompt_len: int,
               accept: Callable[[torch.Tensor], bool] = lambda ids: True) -> tuple[list, list, list]:
    """Walk one row's ranked candidates: finish the end-token ones, keep ``group_size`` running.

    ``scores`` / ``tokens`` / ``parents`` are the row's ranked candidates (``parents`` index the
    row's beams, offset by ``row_offset`` into ``input_ids``). Only end-token candidates ranked
    within the top ``group_size`` and passing ``accept`` (their ids before the end token) finish.
    Returns the kept ``(scores, tokens, global parent indices)``.
    """
    cur_len = input_ids.shape[-1] + 1
    eos_ids = set(eos.tolist()) if eos is not None else set()
    kept_scores, kept_tokens, kept_parents = [], [], []
    for rank, (token, score, parent) in enumerate(zip(tokens.tolist(), scores.tolist(), parents.tolist())):
        source = row_offset + parent
        if token in eos_ids:
            if rank >= group_size or not accept(input_ids[source]):
                continue
            history = beam_indices[source] + (source,) if beam_indices is not None else None
            hyps.add(input_ids[source].clone(), score, history, cur_len - prompt_len)
        else:
            kept_scores.append(score)
            kept_tokens.append(token)
            kept_parents.append(source)
        if len(kept_scores) == group_size:
            break
    if len(kept_scores) < group_size:
        raise ValueError(
            f"At most {group_size} tokens in {tokens.tolist()} can be equal to `eos_token_id: {sorted(eos_ids)}`; "
            "keep more candidates than end tokens."
        )
    return kept_scores, kept_tokens, kept_parents


def finalize(per_prompt: list[list[BeamHypotheses]], keep: int, input_ids: torch.Tensor, *, max_length: int,
             pad: torch.Tensor | None, eos: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """The ``keep`` best hypotheses of each prompt (over all of its rows), padded into one tensor.

    Returns ``(sequences, sequence_scores, beam_indices or None)``; a sequence shorter than the
    longest gets ``eos[0]`` after it, then padding.
    """
    best = []
    for rows in per_prompt:
        ranked = sorted((beam for hyps in rows for beam in hyps.beams), key=lambda beam: beam[0])
        best.extend(ranked.pop() for _ in range(keep))
    lengths = [len(hyp) for _, hyp, _ in best]
    width = min(max(lengths) + 1, max_length) if max_length is not None else max(lengths) + 1
    sequences = input_ids.new_empty((len(best), width))
    if min(lengths) != max(lengths):
        if pad is None:
            raise ValueError("`pad_token_id` has to be defined to pad hypotheses of different lengths.")
        sequences.fill_(int(pad))
    with_indices = best[0][2] is not None
    indices = input_ids.new_full((len(best), width), -1) if with_indices else None
    scores = torch.tensor([score for score, _, _ in best], dtype=torch.float32, device=input_ids.device)
    for i, ((_, hyp, history), length) in enumerate(zip(best, lengths)):
        sequences[i, :length] = hyp
        if indices is not None and history is not None:
            indices[i, : len(history)] = torch.tensor(history, dtype=indices.dtype)
        if length < width:
            sequences[i, length] = eos[0]
    return sequences, scores, indices


__all__ = ["BeamHypotheses", "select_row", "finalize"]
