"""Decoding loops: greedy search / multinomial sampling, and (sampled) beam search.

Each loop takes the prepared batch from :meth:`GenerationMixin.generate` and returns the
sequences or a ``Generate*Output``. Beam search is vectorised over the batch: every step keeps
the ``2 * num_beams`` (more with several end tokens) best continuations, moves the ones that
hit a stopping criterion into the finished pool (scored with the length penalty) and continues
with the best ``num_beams`` that did not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import torch
from torch import nn

if TYPE_CHECKING:
    from embrace.generation.configuration_utils import GenerationConfig
    from embrace.generation.logits_process import LogitsProcessorList
    from embrace.generation.stopping_criteria import StoppingCriteriaList

_NEG = -1.0e9  # "impossible" score that stays finite so sums and comparisons keep working


class _Recorder:
    """Collects per-step scores / logits / attentions / hidden states when asked for.

    For an encoder-decoder the decoder's self- and cross-attentions and hidden states are
    recorded, and :meth:`output` adds the encoder's from ``model_kwargs["encoder_outputs"]``.
    """

    def __init__(self, config: GenerationConfig) -> None:
        wanted = bool(config.return_dict_in_generate)
        self.scores: tuple | None = () if wanted and config.output_scores else None
        self.logits: tuple | None = () if wanted and config.output_logits else None
        self.attentions: tuple | None = () if wanted and config.output_attentions else None
        self.cross_attentions: tuple | None = () if wanted and config.output_attentions else None
        self.hidden_states: tuple | None = () if wanted and config.output_hidden_states else None

    def add(self, scores: torch.Tensor, logits: torch.Tensor, outputs: Any) -> None:
        if self.scores is not None:
            self.scores += (scores,)
        if self.logits is not None:
            self.logits += (logits,)
        seq2seq = "decoder_attentions" in outputs or "decoder_hidden_states" in outputs
        if self.attentions is not None:
            self.attentions += (outputs.decoder_attentions if seq2seq else outputs.attentions,)
            if seq2seq:
                self.cross_attentions += (outputs.cross_attentions,)
        if self.hidden_states is not None:
            self.hidden_states += (outputs.decoder_hidden_states if seq2seq else outputs.hidden_states,)

    def output(self, model: Any, model_kwargs: dict[str, Any], *, beam: bool, **fields: Any) -> Any:
        """The ``Generate*Output`` for this model kind (decoder-only or encoder-decoder, sampling or beams)."""
        from embrace.generation import utils

        fields.update(scores=self.scores, logits=self.logits, past_key_values=model_kwargs.get("past_key_values"))
        if not getattr(model.config, "is_encoder_decoder", False):
            cls = utils.GenerateBeamDecoderOnlyOutput if beam else utils.GenerateDecoderOnlyOutput
            return cls(attentions=self.attentions, hidden_states=self.hidden_states, **fields)
        encoder = model_kwargs.get("encoder_outputs") or {}
        cls = utils.GenerateBeamEncoderDecoderOutput if beam else utils.GenerateEncoderDecoderOutput
        return cls(
            encoder_attentions=encoder.get("attentions") if self.attentions is not None else None,
            encoder_hidden_states=encoder.get("hidden_states") if self.hidden_states is not None else None,
            decoder_attentions=self.attentions, cross_attentions=self.cross_attentions,
            decoder_hidden_states=self.hidden_states, **fields,
        )


def _forward(model: Any, input_ids: torch.Tensor, model_kwargs: dict[str, Any], first: bool,
             step: Callable[..., Any] | None = None) -> Any:
    """Run one step: the uncached prompt tokens first, then one token per step (all without a cache).

    ``step`` (default: the model itself) runs the steps after the first; generate() passes
    the compiled call there, so the prompt's pass, whose length varies, is never compiled.
    """
    if first:
        cache = model_kwargs.get("past_key_values")
        length = input_ids.shape[1] - cache.get_seq_length() if cache is not None else None
    else:
        length = 1 if model_kwargs["use_cache"] else None
    inputs = model.prepare_inputs_for_generation(input_ids, next_sequence_length=length, **model_kwargs)
    return (model if first or step is None else step)(**inputs, return_dict=True)


def append_tokens(input_ids: torch.LongTensor, next_tokens: torch.LongTensor, unfinished: torch.Tensor, *,
                  pad: torch.Tensor | None, has_eos_criteria: bool, streamer: Any,
                  stopping_criteria: StoppingCriteriaList, scores: Any) -> tuple[torch.LongTensor, torch.Tensor]:
    """Append one token per row (finished rows keep receiving padding), stream it, and return the
    longer ``input_ids`` with the rows still unfinished after ``stopping_criteria``."""
    if has_eos_criteria:
        next_tokens = next_tokens * unfinished + pad * (1 - unfinished)
    input_ids = torch.cat([input_ids, next_tokens[:, None]], dim=-1)
    if streamer is not None:
        streamer.put(next_tokens.cpu())
    return input_ids, unfinished & ~stopping_criteria(input_ids, scores)


class _DeferredStop:
    """Learn "every row has finished" one step late, so a GPU never waits for the host.

    Reading ``unfinished.max()`` each step blocks the host until the device has computed the
    step; the next step cannot be queued meanwhile. Here the flag is copied to pinned host
    memory without blocking, and read one step later, when the device is (almost surely)
    done with it. The price is one extra step after the last real one, whose column (all
    padding, since every row had finished) the loop drops.
    """

    def __init__(self, device: torch.device) -> None:
        # Two slots: the one being written by the device, and the one read by the host.
        self.flags = [torch.zeros((), dtype=torch.bool, pin_memory=True) for _ in range(2)]
        self.events = [torch.cuda.Event() for _ in range(2)]
        self.stream = torch.cuda.current_stream(device)
        self.step = 0

    def all_finished_one_step_ago(self, unfinished: torch.Tensor) -> bool:
        slot, previous = self.step % 2, (self.step + 1) % 2
        self.flags[slot].copy_(unfinished.max() == 0, non_blocking=True)
        self.events[slot].record(self.stream)
        self.step += 1
        if self.step == 1:
            return False
        self.events[previous].synchronize()
        return bool(self.flags[previous])


def _can_defer_stop(generation_config: GenerationConfig, streamer: Any, model_kwargs: dict[str, Any],
                    input_ids: torch.Tensor) -> bool:
    """Defer only where the extra step leaves no trace: on CUDA, with nothing streamed or
    recorded step by step, and a cache that generate() owns (a user's cache is handed back)."""
    cache = model_kwargs.get("past_key_values")
    return (
        input_ids.device.type == "cuda" and streamer is None and not generation_config.return_dict_in_generate
        and (cache is None or getattr(cache, "_owned_by_generate", False))
    )


def sample(model: Any, input_ids: torch.LongTensor, *, logits_processor: LogitsProcessorList,
           stopping_criteria: StoppingCriteriaList, generation_config: GenerationConfig, streamer: Any,
           model_kwargs: dict[str, Any]) -> Any:
    """Greedy search (``do_sample=False``: argmax) or multinomial sampling (``do_sample=True``)."""
    pad = generation_config._pad_token_tensor
    has_eos_criteria = any(hasattr(c, "eos_token_id") for c in stopping_criteria)
    record = _Recorder(generation_config)
    unfinished = torch.ones(input_ids.shape[0], dtype=torch.long, device=input_ids.device)
    step = (
        model.get_compiled_call(generation_config.compile_config)
        if model._valid_auto_compile_criteria(model_kwargs, generation_config) else None
    )
    deferred = _DeferredStop(input_ids.device) if _can_defer_stop(generation_config, streamer, model_kwargs, input_ids) else None
    max_length = stopping_criteria.max_length
    first = True
    while True:
        outputs = _forward(model, input_ids, model_kwargs, first, step)
        first = False
        model_kwargs = model._update_model_kwargs_for_generation(outputs, model_kwargs)
        logits = outputs.logits[:, -1].to(copy=True, dtype=torch.float32, device=input_ids.device)  # (batch, vocab)
        scores = logits_processor(input_ids, logits)
        record.add(scores, logits, outputs)
        if generation_config.do_sample:
            next_tokens = torch.multinomial(nn.functional.softmax(scores, dim=-1), num_samples=1).squeeze(1)
        else:
            next_tokens = torch.argmax(scores, dim=-1)
        input_ids, unfinished = append_tokens(input_ids, next_tokens, unfinished, pad=pad,
                                              has_eos_criteria=has_eos_criteria, streamer=streamer,
                                              stopping_criteria=stopping_criteria, scores=record.scores)
        del outputs
        if deferred is None:
            if int(unfinished.max()) == 0:
                break
        elif deferred.all_finished_one_step_ago(unfinished):
            # The step just queued ran after every row had finished: it only appended padding.
            input_ids = input_ids[:, :-1]
            break
        elif max_length is not None and input_ids.shape[-1] >= max_length:
            break
    if streamer is not None:
        streamer.end()
    if not generation_config.return_dict_in_generate:
        return input_ids
    return record.output(model, model_kwargs, beam=False, sequences=input_ids)


def _gather(tensor: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
    """Pick beams: ``tensor`` (batch, beams, ...) by ``indices`` (batch, k)."""
    while indices.dim() < tensor.dim():
        indices = indices.unsqueeze(-1)
    return torch.take_along_dim(tensor, indices, dim=1)


def beam_search(model: Any, input_ids: torch.LongTensor, *, logits_processor: LogitsProcessorList,
                stopping_criteria: StoppingCriteriaList, generation_config: GenerationConfig, streamer: Any,
                model_kwargs: dict[str, Any]) -> Any:
    """Beam search (``num_beams > 1``); with ``do_sample=True`` the candidates are sampled (beam sampling)."""
    config = generation_config
    pad, eos = config._pad_token_tensor, config._eos_token_tensor
    num_beams, max_length = config.num_beams, config.max_length
    length_penalty, early_stopping = config.length_penalty, config.early_stopping
    flat_batch, cur_len = input_ids.shape
    batch = flat_batch // num_beams
    prompt_len = cur_len
    device = input_ids.device
    # Keep enough candidates that num_beams survive even if each end token takes one per beam.
    keep = max(2, 1 + (eos.shape[0] if eos is not None else 0)) * num_beams
    top_beams = torch.cat([torch.ones(num_beams, dtype=torch.bool), torch.zeros(keep - num_beams, dtype=torch.bool)]).to(device)
    record = _Recorder(config)

    # Unused positions hold this value; the reference's choice (pad unless it is 0, else the first eos).
    if eos is None:
        fill = -1
    else:
        fill = pad if (pad is not None and bool(pad != 0)) else eos[0]
    running = torch.full((batch, num_beams, max_length), fill_value=int(fill), dtype=torch.int64, device=device)
    running[:, :, :cur_len] = input_ids.view(batch, num_beams, cur_len)
    finished = running.clone()
    running_scores = torch.zeros((batch, num_beams), dtype=torch.float, device=device)
    running_scores[:, 1:] = _NEG  # all beams start identical: only the first may expand at step one
    finished_scores = torch.full((batch, num_beams), _NEG, dtype=torch.float, device=device)
    is_finished = torch.zeros((batch, num_beams), dtype=torch.bool, device=device)
    can_improve = torch.ones((batch, 1), dtype=torch.bool, device=device)
    hits = torch.zeros((batch, num_beams), dtype=torch.bool, device=device)
    running_origin = torch.full((batch, num_beams, max_length - cur_len), -1, dtype=torch.int32, device=device)
    finished_origin = running_origin.clone()

    flat = input_ids
    first = True
    while True:
        if not first:
            flat = running[:, :, :cur_len].reshape(flat_batch, cur_len)
        outputs = _forward(model, flat, model_kwargs, first)
        first = False
        model_kwargs = model._update_model_kwargs_for_generation(outputs, model_kwargs)
        logits = outputs.logits[:, -1, :].to(copy=True, dtype=torch.float32, device=device)  # (batch * beams, vocab)
        log_probs = logits_processor(flat, nn.functional.log_softmax(logits, dim=-1))
        record.add(log_probs.clone(), logits.clone(), outputs)
        del outputs
        vocab = log_probs.shape[-1]
        totals = (log_probs.view(batch, num_beams, vocab) + running_scores[:, :, None]).view(batch, -1)

        # 1. the best `keep` continuations over all beams of each row
        if config.do_sample:
            picked = torch.multinomial(nn.functional.softmax(totals, dim=-1), num_samples=keep)
            cand_scores = torch.gather(totals, 1, picked)
        else:
            cand_scores, picked = torch.topk(totals, k=keep)
        parent = picked // vocab  # (batch, keep)
        cand_seqs = _gather(running, parent)
        cand_seqs[:, :, cur_len] = picked % vocab
        cand_origin = _gather(running_origin, parent)
        cand_origin[:, :, cur_len - prompt_len] = parent + torch.arange(batch, device=device).view(-1, 1) * num_beams
        hits = stopping_criteria(cand_seqs[:, :, : cur_len + 1].reshape(batch * keep, -1), record.scores).view(batch, keep)

        # 2. the next running beams: the best candidates that did not stop
        alive_scores = cand_scores + hits.to(torch.float32) * _NEG
        best = torch.topk(alive_scores, k=num_beams)[1]
        running, running_scores, running_origin = _gather(cand_seqs, best), _gather(alive_scores, best), _gather(cand_origin, best)

        # 3. the finished pool: stopped candidates among the top num_beams, length-penalised
        just_finished = hits & top_beams[None, :]
        normalised = cand_scores / ((cur_len + 1 - prompt_len) ** length_penalty)
        pool_full = torch.all(is_finished, dim=-1, keepdim=True) & (early_stopping is True)
        normalised = normalised + pool_full.to(torch.float32) * _NEG
        normalised = normalised + (~can_improve).to(torch.float32) * _NEG
        normalised = normalised + (~just_finished) * _NEG
        merged_scores = torch.cat((finished_scores, normalised), dim=1)
        best = torch.topk(merged_scores, k=num_beams)[1]
        finished = _gather(torch.cat((finished, cand_seqs), dim=1), best)
        finished_scores = _gather(merged_scores, best)
        finished_origin = _gather(torch.cat((finished_origin, cand_origin), dim=1), best)
        is_finished = _gather(torch.cat((is_finished, just_finished), dim=1), best)

        cache = model_kwargs.get("past_key_values")
        if cache is not None:
            cache.reorder_cache(running_origin[..., cur_len - prompt_len].reshape(-1))
        cur_len += 1

        # 4. stop when no running beam can beat the worst finished one (per early_stopping)
        if early_stopping == "never" and length_penalty > 0.0:
            best_length = max_length - prompt_len
        else:
            best_length = cur_len - prompt_len
        best_possible = running_scores[:, :1] / (best_length ** length_penalty)
        worst_finished = torch.where(is_finished, torch.min(finished_scores, dim=1, keepdim=True)[0], -1.0e9)
        can_improve = can_improve & torch.any(best_possible > worst_finished, dim=-1, keepdim=True)
        open_beam = ~(torch.all(is_finished) & (early_stopping is True))
        if not bool(torch.any(can_improve) & open_beam & ~torch.all(hits)):
            break

    count = config.num_return_sequences
    sequences = finished[:, :count, :].reshape(batch * count, -1)
    scores = finished_scores[:, :count].reshape(-1)
    origin = finished_origin[:, :count, :].reshape(batch * count, -1)
    generated = int((origin + 1).bool().sum(dim=1).max())
    sequences = sequences[:, : prompt_len + generated]
    origin = origin[:, :generated]
    if not config.return_dict_in_generate:
        return sequences
    return record.output(
        model, model_kwargs, beam=True, sequences=sequences,
        sequences_scores=scores if config.output_scores else None, beam_indices=origin,
    )


__all__ = ["sample", "beam_search"]
