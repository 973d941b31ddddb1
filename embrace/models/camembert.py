"""CamemBERT: RoBERTa's architecture and checkpoints layout under its own names.

CamemBERT is RoBERTa trained on French text with a SentencePiece vocabulary. Every class here is the RoBERTa class of the same role
(:mod:`embrace.models.roberta`) with the CamemBERT config; only the defaults differ
(vocabulary size 30522).

Example:
    >>> import torch
    >>> from embrace.models.camembert import CamembertConfig, CamembertForMaskedLM
    >>> config = CamembertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=1, num_attention_heads=4)
    >>> CamembertForMaskedLM(config)(torch.tensor([[0, 5, 2]])).logits.shape
    torch.Size([1, 3, 100])
"""

from __future__ import annotations

from embrace.models.roberta import (
    RobertaConfig,
    RobertaForCausalLM,
    RobertaForMaskedLM,
    RobertaForMultipleChoice,
    RobertaForQuestionAnswering,
    RobertaForSequenceClassification,
    RobertaForTokenClassification,
    RobertaModel,
    RobertaPreTrainedModel,
)


class CamembertConfig(RobertaConfig):
    """Configuration of a CamemBERT model (RoBERTa's fields; ``model_type`` ``'camembert'``).

    Example:
        >>> CamembertConfig().model_type, CamembertConfig().vocab_size
        ('camembert', 30522)
    """

    model_type = "camembert"

    vocab_size: int = 30522


class CamembertPreTrainedModel(RobertaPreTrainedModel):
    """Shared base of the CamemBERT models: its config class and its body class.

    Example:
        >>> model = CamembertModel(CamembertConfig(vocab_size=20, hidden_size=8, num_attention_heads=2, num_hidden_layers=1))
        >>> model.config.model_type
        'camembert'
    """

    _body_first = False
    config_class = CamembertConfig

    @classmethod
    def _body(cls, config: RobertaConfig, add_pooling_layer: bool) -> "CamembertModel":
        return CamembertModel(config, add_pooling_layer=add_pooling_layer)


class CamembertModel(CamembertPreTrainedModel, RobertaModel):
    """The CamemBERT body (see :class:`~embrace.models.roberta.RobertaModel`).

    Example:
        >>> import torch
        >>> config = CamembertConfig(vocab_size=20, hidden_size=8, num_attention_heads=2, num_hidden_layers=1)
        >>> CamembertModel(config)(torch.tensor([[0, 3, 2]])).last_hidden_state.shape
        torch.Size([1, 3, 8])
    """


class CamembertForCausalLM(CamembertPreTrainedModel, RobertaForCausalLM):
    """CamemBERT with the left-to-right LM head (``config.is_decoder=True``); see :class:`~embrace.models.roberta.RobertaForCausalLM`.

    Example:
        >>> import torch
        >>> config = CamembertConfig(vocab_size=20, hidden_size=8, num_attention_heads=2, num_hidden_layers=1, is_decoder=True)
        >>> CamembertForCausalLM(config)(torch.tensor([[0, 3, 2]])).logits.shape
        torch.Size([1, 3, 20])
    """


class CamembertForMaskedLM(CamembertPreTrainedModel, RobertaForMaskedLM):
    """CamemBERT with the masked-LM head; see :class:`~embrace.models.roberta.RobertaForMaskedLM`.

    Example:
        >>> import torch
        >>> config = CamembertConfig(vocab_size=20, hidden_size=8, num_attention_heads=2, num_hidden_layers=1)
        >>> CamembertForMaskedLM(config)(torch.tensor([[0, 3, 2]])).logits.shape
        torch.Size([1, 3, 20])
    """


class CamembertForSequenceClassification(CamembertPreTrainedModel, RobertaForSequenceClassification):
    """CamemBERT with the sentence classification head; see :class:`~embrace.models.roberta.RobertaForSequenceClassification`.

    Example:
        >>> import torch
        >>> config = CamembertConfig(vocab_size=20, hidden_size=8, num_attention_heads=2, num_hidden_layers=1)
        >>> CamembertForSequenceClassification(config)(torch.tensor([[0, 3, 2]])).logits.shape
        torch.Size([1, 2])
    """


class CamembertForMultipleChoice(CamembertPreTrainedModel, RobertaForMultipleChoice):
    """CamemBERT with the multiple-choice head (inputs ``(batch, num_choices, seq)``); see :class:`~embrace.models.roberta.RobertaForMultipleChoice`.

    Example:
        >>> import torch
        >>> config = CamembertConfig(vocab_size=20, hidden_size=8, num_attention_heads=2, num_hidden_layers=1)
        >>> CamembertForMultipleChoice(config)(torch.tensor([[[0, 3, 2], [0, 4, 2]]])).logits.shape
        torch.Size([1, 2])
    """


class CamembertForTokenClassification(CamembertPreTrainedModel, RobertaForTokenClassification):
    """CamemBERT with the per-token classifier; see :class:`~embrace.models.roberta.RobertaForTokenClassification`.

    Example:
        >>> import torch
        >>> config = CamembertConfig(vocab_size=20, hidden_size=8, num_attention_heads=2, num_hidden_layers=1)
        >>> CamembertForTokenClassification(config)(torch.tensor([[0, 3, 2]])).logits.shape
        torch.Size([1, 3, 2])
    """


class CamembertForQuestionAnswering(CamembertPreTrainedModel, RobertaForQuestionAnswering):
    """CamemBERT with the answer-span head; see :class:`~embrace.models.roberta.RobertaForQuestionAnswering`.

    Example:
        >>> import torch
        >>> config = CamembertConfig(vocab_size=20, hidden_size=8, num_attention_heads=2, num_hidden_layers=1)
        >>> CamembertForQuestionAnswering(config)(torch.tensor([[0, 3, 2]])).start_logits.shape
        torch.Size([1, 3])
    """


__all__ = [
    "CamembertConfig",
    "CamembertPreTrainedModel",
    "CamembertModel",
    "CamembertForCausalLM",
    "CamembertForMaskedLM",
    "CamembertForSequenceClassification",
    "CamembertForMultipleChoice",
    "CamembertForTokenClassification",
    "CamembertForQuestionAnswering",
]
