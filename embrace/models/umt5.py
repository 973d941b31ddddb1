"""UMT5: T5 v1.1 where every self-attention layer owns its relative-bias table.

Same modules as :mod:`embrace.models.t5`; the stacks give each block its own bucket table
(``encoder.block.N.layer.0.SelfAttention.relative_attention_bias``) instead of sharing
block 0's bias. Like the current reference, the head is always tied and, because of
that, the decoder output is always scaled by ``d_model ** -0.5`` before it.

Example:
    >>> import torch
    >>> from embrace.models.umt5 import UMT5Config, UMT5ForConditionalGeneration
    >>> config = UMT5Config(vocab_size=40, d_model=16, d_kv=4, d_ff=32, num_layers=2, num_heads=4)
    >>> model = UMT5ForConditionalGeneration(config).eval()
    >>> model.encoder.block[1].layer[0].SelfAttention.has_relative_attention_bias
    True
    >>> model(torch.tensor([[5, 6, 1]]), labels=torch.tensor([[7, 1]])).logits.shape
    torch.Size([1, 2, 40])
"""

from __future__ import annotations

from typing import Any

from embrace.models.t5 import (
    T5Config,
    T5EncoderModel,
    T5ForConditionalGeneration,
    T5ForQuestionAnswering,
    T5ForSequenceClassification,
    T5ForTokenClassification,
    T5Model,
    T5PreTrainedModel,
    T5Stack,
)


class UMT5Config(T5Config):
    """Configuration of a UMT5 model; defaults are umt5-small (:class:`~embrace.models.mt5.MT5Config` reuses them).

    Example:
        >>> config = UMT5Config(tie_word_embeddings=False)
        >>> config.tie_word_embeddings, config.feed_forward_proj, config.decoder_start_token_id
        (True, 'gated-gelu', 0)
    """

    model_type = "umt5"

    vocab_size: int = 250112
    d_ff: int = 1024
    num_layers: int = 8
    num_heads: int = 6
    feed_forward_proj: str = "gated-gelu"
    decoder_start_token_id: int | None = 0

    def __post_init__(self, **kwargs: Any) -> None:
        # Official checkpoints say tie_word_embeddings=False, but the head is always tied
        # (a checkpoint with its own lm_head.weight still loads it untied).
        self._post_init_tied_head(**kwargs)


class UMT5PreTrainedModel(T5PreTrainedModel):
    """Shared base of the UMT5 classes (T5's initialisation, UMT5's config class)."""

    config_class = UMT5Config


class UMT5Stack(UMT5PreTrainedModel, T5Stack):
    """A T5 stack whose every block adds its own relative bias.

    Example:
        >>> import torch
        >>> config = UMT5Config(vocab_size=20, d_model=8, d_kv=4, num_heads=2, d_ff=16, num_layers=2)
        >>> UMT5Stack(config)(torch.tensor([[3, 4, 1]])).last_hidden_state.shape
        torch.Size([1, 3, 8])
    """

    bias_in_every_layer = True


class UMT5Model(UMT5PreTrainedModel, T5Model):
    """The bare UMT5 encoder-decoder.

    Example:
        >>> import torch
        >>> config = UMT5Config(vocab_size=20, d_model=8, d_kv=4, num_heads=2, d_ff=16, num_layers=1)
        >>> UMT5Model(config)(torch.tensor([[3, 1]]), decoder_input_ids=torch.tensor([[0]])).last_hidden_state.shape
        torch.Size([1, 1, 8])
    """

    _stack_class = UMT5Stack


class UMT5ForConditionalGeneration(UMT5PreTrainedModel, T5ForConditionalGeneration):
    """UMT5 with the LM head (decoder output scaled while the head is tied, i.e. always).

    Example:
        >>> import torch
        >>> config = UMT5Config(vocab_size=20, d_model=8, d_kv=4, num_heads=2, d_ff=16, num_layers=1)
        >>> UMT5ForConditionalGeneration(config)(torch.tensor([[3, 1]]), labels=torch.tensor([[4]])).loss.ndim
        0
    """

    _stack_class = UMT5Stack

    def _decoder_output_scale(self) -> float | None:
        return self.model_dim**-0.5 if self.config.tie_word_embeddings else None


class UMT5EncoderModel(UMT5PreTrainedModel, T5EncoderModel):
    """Only the UMT5 encoder.

    Example:
        >>> import torch
        >>> config = UMT5Config(vocab_size=20, d_model=8, d_kv=4, num_heads=2, d_ff=16, num_layers=1)
        >>> UMT5EncoderModel(config)(torch.tensor([[3, 1]])).last_hidden_state.shape
        torch.Size([1, 2, 8])
    """

    _stack_class = UMT5Stack


class UMT5ForSequenceClassification(UMT5PreTrainedModel, T5ForSequenceClassification):
    """UMT5 with a classification head at the last ``eos`` token.

    Example:
        >>> import torch
        >>> config = UMT5Config(vocab_size=20, d_model=8, d_kv=4, num_heads=2, d_ff=16, num_layers=1)
        >>> UMT5ForSequenceClassification(config)(torch.tensor([[3, 1]])).logits.shape
        torch.Size([1, 2])
    """

    _body_class = UMT5Model


class UMT5ForTokenClassification(UMT5PreTrainedModel, T5ForTokenClassification):
    """UMT5 encoder with a per-token classifier.

    Example:
        >>> import torch
        >>> config = UMT5Config(vocab_size=20, d_model=8, d_kv=4, num_heads=2, d_ff=16, num_layers=1, num_labels=3)
        >>> UMT5ForTokenClassification(config)(torch.tensor([[3, 1]])).logits.shape
        torch.Size([1, 2, 3])
    """

    _body_class = UMT5EncoderModel


class UMT5ForQuestionAnswering(UMT5PreTrainedModel, T5ForQuestionAnswering):
    """UMT5 with a span head on the decoder output.

    Example:
        >>> import torch
        >>> config = UMT5Config(vocab_size=20, d_model=8, d_kv=4, num_heads=2, d_ff=16, num_layers=1)
        >>> UMT5ForQuestionAnswering(config)(torch.tensor([[3, 1]])).start_logits.shape
        torch.Size([1, 2])
    """

    _stack_class = UMT5Stack


__all__ = [
    "UMT5Config", "UMT5PreTrainedModel", "UMT5Stack", "UMT5Model", "UMT5ForConditionalGeneration",
    "UMT5EncoderModel", "UMT5ForSequenceClassification", "UMT5ForTokenClassification", "UMT5ForQuestionAnswering",
]
