"""mT5: multilingual T5 v1.1. Same modules as :mod:`embrace.models.t5`; other defaults, no output scaling.

mT5 always uses the gated feed-forward of T5 v1.1 and never multiplies the decoder output
by ``d_model ** -0.5`` before the LM head. The word embedding is tied to the head (like the
current reference); checkpoints with a separate ``lm_head.weight`` load untied.

Example:
    >>> import torch
    >>> from embrace.models.mt5 import MT5Config, MT5ForConditionalGeneration
    >>> config = MT5Config(vocab_size=40, d_model=16, d_kv=4, d_ff=32, num_layers=1, num_heads=4)
    >>> model = MT5ForConditionalGeneration(config).eval()
    >>> model(torch.tensor([[5, 6, 1]]), labels=torch.tensor([[7, 1]])).logits.shape
    torch.Size([1, 2, 40])
"""

from __future__ import annotations

from embrace.models.t5 import (
    T5EncoderModel,
    T5ForConditionalGeneration,
    T5ForQuestionAnswering,
    T5ForSequenceClassification,
    T5ForTokenClassification,
    T5Model,
    T5PreTrainedModel,
)
from embrace.models.umt5 import UMT5Config


class MT5Config(UMT5Config):
    """Configuration of an mT5 model; defaults are mt5-small.

    The fields and defaults are UMT5's (both are multilingual T5 v1.1 at mt5-small sizes,
    whose saved ``tie_word_embeddings`` is ignored: the head is always tied); mT5's
    ``config.json`` also declares ``bos_token_id``. The base is UMT5's class, not the other
    way round, because a declared field cannot be taken away from a subclass.

    Example:
        >>> config = MT5Config(tie_word_embeddings=False)
        >>> config.tie_word_embeddings, config.dense_act_fn, config.decoder_start_token_id
        (True, 'gelu_new', 0)
    """

    model_type = "mt5"

    tie_word_embeddings: bool = True
    bos_token_id: int | None = None


class MT5PreTrainedModel(T5PreTrainedModel):
    """Shared base of the mT5 classes (T5's initialisation, mT5's config class)."""

    config_class = MT5Config


class MT5Model(MT5PreTrainedModel, T5Model):
    """The bare mT5 encoder-decoder (see :class:`~embrace.models.t5.T5Model`).

    Example:
        >>> import torch
        >>> config = MT5Config(vocab_size=20, d_model=8, d_kv=4, num_heads=2, d_ff=16, num_layers=1)
        >>> MT5Model(config)(torch.tensor([[3, 1]]), decoder_input_ids=torch.tensor([[0]])).last_hidden_state.shape
        torch.Size([1, 1, 8])
    """


class MT5ForConditionalGeneration(MT5PreTrainedModel, T5ForConditionalGeneration):
    """mT5 with the LM head; the decoder output goes to the head unscaled.

    Example:
        >>> import torch
        >>> config = MT5Config(vocab_size=20, d_model=8, d_kv=4, num_heads=2, d_ff=16, num_layers=1)
        >>> MT5ForConditionalGeneration(config)(torch.tensor([[3, 1]]), labels=torch.tensor([[4]])).loss.ndim
        0
    """

    def _decoder_output_scale(self) -> float | None:
        return None


class MT5EncoderModel(MT5PreTrainedModel, T5EncoderModel):
    """Only the mT5 encoder.

    Example:
        >>> import torch
        >>> config = MT5Config(vocab_size=20, d_model=8, d_kv=4, num_heads=2, d_ff=16, num_layers=1)
        >>> MT5EncoderModel(config)(torch.tensor([[3, 1]])).last_hidden_state.shape
        torch.Size([1, 2, 8])
    """


class MT5ForSequenceClassification(MT5PreTrainedModel, T5ForSequenceClassification):
    """mT5 with a classification head at the last ``eos`` token.

    Example:
        >>> import torch
        >>> config = MT5Config(vocab_size=20, d_model=8, d_kv=4, num_heads=2, d_ff=16, num_layers=1)
        >>> MT5ForSequenceClassification(config)(torch.tensor([[3, 1]])).logits.shape
        torch.Size([1, 2])
    """

    _body_class = MT5Model


class MT5ForTokenClassification(MT5PreTrainedModel, T5ForTokenClassification):
    """mT5 encoder with a per-token classifier.

    Example:
        >>> import torch
        >>> config = MT5Config(vocab_size=20, d_model=8, d_kv=4, num_heads=2, d_ff=16, num_layers=1, num_labels=3)
        >>> MT5ForTokenClassification(config)(torch.tensor([[3, 1]])).logits.shape
        torch.Size([1, 2, 3])
    """

    _body_class = MT5EncoderModel


class MT5ForQuestionAnswering(MT5PreTrainedModel, T5ForQuestionAnswering):
    """mT5 with a span head on the decoder output.

    Example:
        >>> import torch
        >>> config = MT5Config(vocab_size=20, d_model=8, d_kv=4, num_heads=2, d_ff=16, num_layers=1)
        >>> MT5ForQuestionAnswering(config)(torch.tensor([[3, 1]])).start_logits.shape
        torch.Size([1, 2])
    """


__all__ = [
    "MT5Config", "MT5PreTrainedModel", "MT5Model", "MT5ForConditionalGeneration", "MT5EncoderModel",
    "MT5ForSequenceClassification", "MT5ForTokenClassification", "MT5ForQuestionAnswering",
]
