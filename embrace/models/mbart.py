"""mBART: BART with pre-LayerNorm layers, a final LayerNorm per stack and language-code targets.

Only the differences from :mod:`embrace.models.bart` live here: the config (no default
``decoder_start_token_id``: the decoder starts from the target language code), the label
shift that wraps each row's last real token (its language code) to the front, and the
pre-LayerNorm layers. Generation for a target language uses ``forced_bos_token_id``.

Example:
    >>> import torch
    >>> from embrace.models.mbart import MBartConfig, MBartForConditionalGeneration
    >>> config = MBartConfig(vocab_size=40, d_model=16, encoder_layers=1, decoder_layers=1,
    ...                      encoder_attention_heads=2, decoder_attention_heads=2,
    ...                      encoder_ffn_dim=32, decoder_ffn_dim=32, max_position_embeddings=32)
    >>> model = MBartForConditionalGeneration(config).eval()
    >>> model(torch.tensor([[5, 6, 2, 30]]), labels=torch.tensor([[7, 8, 2, 31]])).logits.shape
    torch.Size([1, 4, 40])
"""

from __future__ import annotations

from typing import ClassVar

import torch

from embrace.errors import ConfigError
from embrace.models.bart import (
    BartClassificationHead,
    BartDecoder,
    BartDecoderLayer,
    BartDecoderWrapper,
    BartEncoder,
    BartEncoderLayer,
    BartForCausalLM,
    BartForConditionalGeneration,
    BartForQuestionAnswering,
    BartForSequenceClassification,
    BartModel,
    BartPreTrainedModel,
    Seq2SeqConfigMixin,
)

Tensor = torch.Tensor


class MBartConfig(Seq2SeqConfigMixin):
    """Configuration of an mBART model (the fields of its ``config.json``); defaults are mbart-large.

    Example:
        >>> config = MBartConfig(d_model=64)
        >>> config.hidden_size, config.decoder_start_token_id, config.num_labels
        (64, None, 2)
    """

    model_type = "mbart"

    classifier_dropout: float | int | None = 0.0
    bos_token_id: int | None = 0
    decoder_start_token_id = None


def shift_tokens_right(input_ids: Tensor, pad_token_id: int | None) -> Tensor:
    """mBART's decoder inputs: shift right and put each row's last non-pad token (its language code) first.

    Example:
        >>> shift_tokens_right(torch.tensor([[5, 6, 2, 30, 1]]), 1).tolist()
        [[30, 5, 6, 2, 30]]
    """
    if pad_token_id is None:
        raise ConfigError("config.pad_token_id has to be defined to shift labels into decoder_input_ids.")
    tokens = input_ids.masked_fill(input_ids == -100, pad_token_id)
    last_real = (tokens.ne(pad_token_id).sum(dim=1) - 1).unsqueeze(-1)  # (batch, 1)
    start = tokens.gather(1, last_real).squeeze(-1)
    shifted = tokens.clone()
    shifted[:, 1:] = tokens[:, :-1]
    shifted[:, 0] = start
    return shifted


class MBartEncoderLayer(BartEncoderLayer):
    """A BART encoder layer with LayerNorm before each block."""

    normalize_before = True


class MBartDecoderLayer(BartDecoderLayer):
    """A BART decoder layer with LayerNorm before each block."""

    normalize_before = True


MBartClassificationHead = BartClassificationHead


class MBartPreTrainedModel(BartPreTrainedModel):
    """Shared base of the mBART models."""

    config_class = MBartConfig
    _no_split_modules = ["MBartEncoderLayer", "MBartDecoderLayer"]


class MBartEncoder(MBartPreTrainedModel, BartEncoder):
    """BART encoder with pre-LayerNorm layers and a LayerNorm after the last one."""

    layer_class = MBartEncoderLayer
    has_final_layer_norm = True


class MBartDecoder(MBartPreTrainedModel, BartDecoder):
    """BART decoder with pre-LayerNorm layers and a LayerNorm after the last one."""

    layer_class = MBartDecoderLayer
    has_final_layer_norm = True


class MBartModel(MBartPreTrainedModel, BartModel):
    """The bare mBART encoder-decoder; without decoder inputs it reads ``input_ids`` shifted the mBART way."""

    encoder_class: ClassVar[type[BartEncoder]] = MBartEncoder
    decoder_class: ClassVar[type[BartDecoder]] = MBartDecoder

    def _shift_labels(self, labels: Tensor) -> Tensor:
        return shift_tokens_right(labels, self.config.pad_token_id)


class MBartForConditionalGeneration(MBartPreTrainedModel, BartForConditionalGeneration):
    """mBART with the language-model head; pass ``forced_bos_token_id`` (the target language code) to generate."""

    base_model_class: ClassVar[type[BartModel]] = MBartModel


class MBartForSequenceClassification(MBartPreTrainedModel, BartForSequenceClassification):
    """mBART with the ``<eos>``-pooled classification head."""

    base_model_class: ClassVar[type[BartModel]] = MBartModel


class MBartForQuestionAnswering(MBartPreTrainedModel, BartForQuestionAnswering):
    """mBART with a span head."""

    base_model_class: ClassVar[type[BartModel]] = MBartModel


class MBartDecoderWrapper(MBartPreTrainedModel, BartDecoderWrapper):
    """Holds the mBART decoder under ``model.decoder``."""

    decoder_class: ClassVar[type[BartDecoder]] = MBartDecoder


class MBartForCausalLM(MBartPreTrainedModel, BartForCausalLM):
    """The mBART decoder alone as a language model."""

    wrapper_class: ClassVar[type[BartDecoderWrapper]] = MBartDecoderWrapper


__all__ = [
    "MBartConfig", "shift_tokens_right", "MBartEncoderLayer", "MBartDecoderLayer", "MBartClassificationHead",
    "MBartPreTrainedModel", "MBartEncoder", "MBartDecoder", "MBartModel", "MBartForConditionalGeneration",
    "MBartForSequenceClassification", "MBartForQuestionAnswering", "MBartDecoderWrapper", "MBartForCausalLM",
]
