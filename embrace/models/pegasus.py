"""Pegasus: BART blocks with pre-LayerNorm, sinusoidal positions and a final LayerNorm per stack.

Only the differences from :mod:`embrace.models.bart` live here: the config (pad 0, eos 1,
the decoder starts from pad), the layer arrangement (pre-LayerNorm, no embedding LayerNorm,
a LayerNorm after the last layer) and sinusoidal positions with the embeddings scaled
outside the embedding module.

Example:
    >>> import torch
    >>> from embrace.models.pegasus import PegasusConfig, PegasusForConditionalGeneration
    >>> config = PegasusConfig(vocab_size=40, d_model=16, encoder_layers=1, decoder_layers=1,
    ...                        encoder_attention_heads=2, decoder_attention_heads=2,
    ...                        encoder_ffn_dim=32, decoder_ffn_dim=32, max_position_embeddings=32)
    >>> model = PegasusForConditionalGeneration(config).eval()
    >>> model(torch.tensor([[5, 6, 1]]), labels=torch.tensor([[7, 8, 1]])).logits.shape
    torch.Size([1, 3, 40])
"""

from __future__ import annotations

from typing import ClassVar

from embrace.models.bart import (
    BartDecoder,
    BartDecoderLayer,
    BartDecoderWrapper,
    BartEncoder,
    BartEncoderLayer,
    BartForCausalLM,
    BartForConditionalGeneration,
    BartModel,
    BartPreTrainedModel,
    Seq2SeqConfigMixin,
)


class PegasusConfig(Seq2SeqConfigMixin):
    """Configuration of a Pegasus model (the fields of its ``config.json``).

    Example:
        >>> config = PegasusConfig(d_model=64)
        >>> config.hidden_size, config.pad_token_id, config.eos_token_id, config.decoder_start_token_id
        (64, 0, 1, 0)
    """

    model_type = "pegasus"

    decoder_start_token_id = 0
    pad_token_id = 0
    eos_token_id = 1
    forced_eos_token_id = 1


class PegasusEncoderLayer(BartEncoderLayer):
    """A BART encoder layer with LayerNorm before each block."""

    normalize_before = True


class PegasusDecoderLayer(BartDecoderLayer):
    """A BART decoder layer with LayerNorm before each block."""

    normalize_before = True


class PegasusPreTrainedModel(BartPreTrainedModel):
    """Shared base of the Pegasus models (sinusoidal tables are rebuilt at init)."""

    config_class = PegasusConfig
    _no_split_modules = ["PegasusEncoderLayer", "PegasusDecoderLayer"]


class _PegasusStack:
    """The stack settings both Pegasus stacks share."""

    has_layernorm_embedding = False
    has_final_layer_norm = True
    sinusoidal_positions = True
    scale_outside_embedding = True


class PegasusEncoder(_PegasusStack, PegasusPreTrainedModel, BartEncoder):
    """BART encoder, Pegasus arrangement."""

    layer_class = PegasusEncoderLayer


class PegasusDecoder(_PegasusStack, PegasusPreTrainedModel, BartDecoder):
    """BART decoder, Pegasus arrangement."""

    layer_class = PegasusDecoderLayer


class PegasusModel(PegasusPreTrainedModel, BartModel):
    """The bare Pegasus encoder-decoder; the decoder needs ``decoder_input_ids`` (no implicit shift)."""

    encoder_class: ClassVar[type[BartEncoder]] = PegasusEncoder
    decoder_class: ClassVar[type[BartDecoder]] = PegasusDecoder
    shifts_input_ids = False


class PegasusForConditionalGeneration(PegasusPreTrainedModel, BartForConditionalGeneration):
    """Pegasus with the language-model head (summarization)."""

    base_model_class: ClassVar[type[BartModel]] = PegasusModel


class PegasusDecoderWrapper(PegasusPreTrainedModel, BartDecoderWrapper):
    """Holds the Pegasus decoder under ``model.decoder``."""

    decoder_class: ClassVar[type[BartDecoder]] = PegasusDecoder


class PegasusForCausalLM(PegasusPreTrainedModel, BartForCausalLM):
    """The Pegasus decoder alone as a language model."""

    wrapper_class: ClassVar[type[BartDecoderWrapper]] = PegasusDecoderWrapper


__all__ = [
    "PegasusConfig", "PegasusEncoderLayer", "PegasusDecoderLayer", "PegasusPreTrainedModel", "PegasusEncoder",
    "PegasusDecoder", "PegasusModel", "PegasusForConditionalGeneration", "PegasusDecoderWrapper",
    "PegasusForCausalLM",
]
