"""Encoder-decoder plumbing every seq2seq family shares (BART and its variants, T5, EncoderDecoderModel).

Each function is one step that those models would otherwise each write out: building
decoder inputs from labels, checking labels, accepting ``encoder_outputs`` as a tuple,
copying the stack outputs into a ``Seq2Seq*Output``, creating the decoder cache and
reading keys/values through the decoder cache and pooling the state at the last ``<eos>``
for sentence classification.

Example:
    >>> import torch
    >>> from embrace.modeling.seq2seq import shift_tokens_right
    >>> shift_tokens_right(torch.tensor([[5, 6, -100]]), 1, 2).tolist()
    [[2, 5, 6]]
"""

from __future__ import annotations

from typing import Any, Callable

import torch

from embrace.errors import ConfigError
from embrace.modeling.cache import Cache, DynamicCache, EncoderDecoderCache
from embrace.modeling.outputs import BaseModelOutput, ModelOutput

Tensor = torch.Tensor


def shift_tokens_right(input_ids: Tensor, pad_token_id: int | None, decoder_start_token_id: int | None) -> Tensor:
    """Decoder inputs from labels: prepend ``decoder_start_token_id``, drop the last token, ``-100`` -> pad.

    Example:
        >>> shift_tokens_right(torch.tensor([[5, 6, -100]]), 0, 2).tolist()
        [[2, 5, 6]]
    """
    if decoder_start_token_id is None:
        raise ConfigError(
            "config.decoder_start_token_id has to be defined to shift labels into decoder_input_ids; set it (T5 and "
            "Pegasus use the pad token id, BART-style models eos, EncoderDecoderModel the tokenizer's cls or bos id), "
            "or pass decoder_input_ids yourself."
        )
    if pad_token_id is None:
        raise ConfigError(
            "config.pad_token_id has to be defined to shift labels into decoder_input_ids (-100 in the labels becomes "
            "a pad token); set it to the tokenizer's pad_token_id."
        )
    shifted = input_ids.new_zeros(input_ids.shape)
    shifted[..., 1:] = input_ids[..., :-1]
    shifted[..., 0] = decoder_start_token_id
    return shifted.masked_fill(shifted == -100, pad_token_id)


def check_labels(labels: Tensor, name: str = "labels") -> None:
    """Labels must be a 2-D integer tensor of token ids (``-100`` = ignored).

    Example:
        >>> check_labels(torch.tensor([[1.0]]))
        Traceback (most recent call last):
        ...
        TypeError: `labels` must be an integer tensor of token ids (-100 = ignored), got a torch.float32 tensor.
    """
    if not isinstance(labels, torch.Tensor) or labels.dtype not in (torch.long, torch.int, torch.int16, torch.int8):
        got = f"{labels.dtype} tensor" if isinstance(labels, torch.Tensor) else type(labels).__name__
        raise TypeError(f"`{name}` must be an integer tensor of token ids (-100 = ignored), got a {got}.")
    if labels.dim() != 2:
        raise ValueError(f"`{name}` must have shape (batch, target_length); got shape {tuple(labels.shape)}.")


def as_encoder_output(encoder_outputs: Any) -> ModelOutput:
    """``encoder_outputs`` as a model output; a tuple reads ``(last_hidden_state, hidden_states, attentions)``.

    Example:
        >>> as_encoder_output((torch.zeros(1, 2, 4),)).last_hidden_state.shape
        torch.Size([1, 2, 4])
    """
    if isinstance(encoder_outputs, ModelOutput):
        return encoder_outputs
    return BaseModelOutput(
        last_hidden_state=encoder_outputs[0],
        hidden_states=encoder_outputs[1] if len(encoder_outputs) > 1 else None,
        attentions=encoder_outputs[2] if len(encoder_outputs) > 2 else None,
    )


def seq2seq_fields(encoder_outputs: ModelOutput, decoder_outputs: ModelOutput) -> dict[str, Any]:
    """The fields every ``Seq2Seq*Output`` carries besides its head's own, from the two stack outputs.

    Example:
        >>> enc = BaseModelOutput(last_hidden_state=torch.zeros(1, 2, 4))
        >>> sorted(k for k, v in seq2seq_fields(enc, BaseModelOutput()).items() if v is not None)
        ['encoder_last_hidden_state']
    """
    return {
        "past_key_values": decoder_outputs.get("past_key_values"),
        "decoder_hidden_states": decoder_outputs.get("hidden_states"),
        "decoder_attentions": decoder_outputs.get("attentions"),
        "cross_attentions": decoder_outputs.get("cross_attentions"),
        "encoder_last_hidden_state": encoder_outputs.get("last_hidden_state"),
        "encoder_hidden_states": encoder_outputs.get("hidden_states"),
        "encoder_attentions": encoder_outputs.get("attentions"),
    }


def body_fields(outputs: ModelOutput) -> dict[str, Any]:
    """What a head on a bare encoder-decoder passes on from its ``Seq2SeqModelOutput``: all but the last state.

    Example:
        >>> out = ModelOutput(last_hidden_state=torch.zeros(1), encoder_last_hidden_state=torch.ones(1))
        >>> list(body_fields(out))
        ['encoder_last_hidden_state']
    """
    return {key: value for key, value in outputs.items() if key != "last_hidden_state"}


def new_decoder_cache(config: Any, *, cross_attention: bool) -> DynamicCache | EncoderDecoderCache:
    """An empty cache for a decoder: self- and cross-attention halves when it attends to an encoder.

    Example:
        >>> type(new_decoder_cache(None, cross_attention=True)).__name__
        'EncoderDecoderCache'
    """
    if cross_attention:
        return EncoderDecoderCache(DynamicCache(config=config), DynamicCache(config=config))
    return DynamicCache(config=config)


def cached_key_value(past_key_values: Cache | None, layer_idx: int | None, *, cross: bool,
                     project: Callable[[], tuple[Tensor, Tensor]]) -> tuple[Tensor, Tensor]:
    """Keys and values of one attention layer, through the decoder cache when there is one.

    ``project()`` computes this step's ``(key, value)``, each ``(batch, heads, seq, head_dim)``.
    Self-attention appends them to the cache and gets all cached steps back; cross-attention
    projects the encoder output once, marks the layer done, and later steps reuse it.

    Example:
        >>> k = torch.zeros(1, 2, 3, 4)
        >>> cached_key_value(None, 0, cross=False, project=lambda: (k, k))[0].shape
        torch.Size([1, 2, 3, 4])
    """
    cache = past_key_values
    if isinstance(past_key_values, EncoderDecoderCache):
        cache = past_key_values.cross_attention_cache if cross else past_key_values.self_attention_cache
        if cross and past_key_values.is_updated.get(layer_idx):
            stored = cache.layers[layer_idx]  # the encoder keys/values projected at the first step
            return stored.keys, stored.values
    key, value = project()
    if cache is not None:
        key, value = cache.update(key, value, layer_idx)  # (batch, heads, cached + seq, head_dim)
        if cross and isinstance(past_key_values, EncoderDecoderCache):
            past_key_values.is_updated[layer_idx] = True
    return key, value


def last_eos_states(hidden_states: Tensor, input_ids: Tensor, eos_token_id: int) -> Tensor:
    """``(batch, hidden)`` states at each row's last ``eos_token_id`` (the sentence vector of seq2seq classifiers).

    Every row must hold the same, non-zero number of ``eos`` tokens, as the reference requires.

    Example:
        >>> states = torch.arange(6.0).view(1, 3, 2)
        >>> last_eos_states(states, torch.tensor([[2, 5, 2]]), 2).tolist()
        [[4.0, 5.0]]
    """
    eos_mask = input_ids.eq(eos_token_id).to(hidden_states.device)  # (batch, seq)
    counts = eos_mask.sum(1)
    if bool((counts != counts[0]).any()) or int(counts[0]) == 0:
        raise ValueError(
            f"All examples must have the same number of <eos> tokens (eos_token_id={eos_token_id}), at least one "
            f"each; got counts {counts.tolist()}. End every row of input_ids with the eos token."
        )
    batch, _, hidden = hidden_states.shape
    return hidden_states[eos_mask, :].view(batch, -1, hidden)[:, -1, :]


__all__ = [
    "shift_tokens_right", "check_labels", "as_encoder_output", "seq2seq_fields", "body_fields", "new_decoder_cache",
    "cached_key_value", "last_eos_states",
]
