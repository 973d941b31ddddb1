"""XLM-RoBERTa: RoBERTa's architecture and checkpoints layout under its own names.

XLM-RoBERTa is RoBERTa trained on 100 languages with a SentencePiece vocabulary. Every class here is the RoBERTa class of the same role
(:mod:`embrace.models.roberta`) with the XLM-RoBERTa config; only the defaults differ
(vocabulary size 30522).

Example:
    >>> import torch
    >>> from embrace.models.xlm_roberta import XLMRobertaConfig, XLMRobertaForMaskedLM
    >>> config = XLMRobertaConfig(vocab_size=100, hidden_size=32, num_hidden_layers=1, num_attention_heads=4)
    >>> XLMRobertaForMaskedLM(config)(torch.tensor([[0, 5, 2]])).logits.shape
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


class XLMRobertaConfig(RobertaConfig):
    """Configuration of a XLM-RoBERTa model (RoBERTa's fields; ``model_type`` ``'xlm-roberta'``).

    Example:
        >>> XLMRobertaConfig().model_type, XLMRobertaConfig().vocab_size
        ('xlm-roberta', 30522)
    """

    model_type = "xlm-roberta"

    vocab_size: int = 30522


class XLMRobertaPreTrainedModel(RobertaPreTrainedModel):
    """Shared base of the XLM-RoBERTa models: its config class and its body class.

    Example:
        >>> model = XLMRobertaModel(XLMRobertaConfig(vocab_size=20, hidden_size=8, num_attention_heads=2, num_hidden_layers=1))
        >>> model.config.model_type
        'xlm-roberta'
    """

    _body_first = False
    config_class = XLMRobertaConfig

    @classmethod
    def _body(cls, config: RobertaConfig, add_pooling_layer: bool) -> "XLMRobertaModel":
        return XLMRobertaModel(config, add_pooling_layer=add_pooling_layer)


class XLMRobertaModel(XLMRobertaPreTrainedModel, RobertaModel):
    """The XLM-RoBERTa body (see :class:`~embrace.models.roberta.RobertaModel`).

    Example:
        >>> import torch
        >>> config = XLMRobertaConfig(vocab_size=20, hidden_size=8, num_attention_heads=2, num_hidden_layers=1)
        >>> XLMRobertaModel(config)(torch.tensor([[0, 3, 2]])).last_hidden_state.shape
        torch.Size([1, 3, 8])
    """


class XLMRobertaForCausalLM(XLMRobertaPreTrainedModel, RobertaForCausalLM):
    """XLM-RoBERTa with the left-to-right LM head (``config.is_decoder=True``); see :class:`~embrace.models.roberta.RobertaForCausalLM`.

    Example:
        >>> import torch
        >>> config = XLMRobertaConfig(vocab_size=20, hidden_size=8, num_attention_heads=2, num_hidden_layers=1, is_decoder=True)
        >>> XLMRobertaForCausalLM(config)(torch.tensor([[0, 3, 2]])).logits.shape
        torch.Size([1, 3, 20])
    """


class XLMRobertaForMaskedLM(XLMRobertaPreTrainedModel, RobertaForMaskedLM):
    """XLM-RoBERTa with the masked-LM head; see :class:`~embrace.models.roberta.RobertaForMaskedLM`.

    Example:
        >>> import torch
        >>> config = XLMRobertaConfig(vocab_size=20, hidden_size=8, num_attention_heads=2, num_hidden_layers=1)
        >>> XLMRobertaForMaskedLM(config)(torch.tensor([[0, 3, 2]])).logits.shape
        torch.Size([1, 3, 20])
    """


class XLMRobertaForSequenceClassification(XLMRobertaPreTrainedModel, RobertaForSequenceClassification):
    """XLM-RoBERTa with the sentence classification head; see :class:`~embrace.models.roberta.RobertaForSequenceClassification`.

    Example:
        >>> import torch
        >>> config = XLMRobertaConfig(vocab_size=20, hidden_size=8, num_attention_heads=2, num_hidden_layers=1)
        >>> XLMRobertaForSequenceClassification(config)(torch.tensor([[0, 3, 2]])).logits.shape
        torch.Size([1, 2])
    """


class XLMRobertaForMultipleChoice(XLMRobertaPreTrainedModel, RobertaForMultipleChoice):
    """XLM-RoBERTa with the multiple-choice head (inputs ``(batch, num_choices, seq)``); see :class:`~embrace.models.roberta.RobertaForMultipleChoice`.

    Example:
        >>> import torch
        >>> config = XLMRobertaConfig(vocab_size=20, hidden_size=8, num_attention_heads=2, num_hidden_layers=1)
        >>> XLMRobertaForMultipleChoice(config)(torch.tensor([[[0, 3, 2], [0, 4, 2]]])).logits.shape
        torch.Size([1, 2])
    """


class XLMRobertaForTokenClassification(XLMRobertaPreTrainedModel, RobertaForTokenClassification):
    """XLM-RoBERTa with the per-token classifier; see :class:`~embrace.models.roberta.RobertaForTokenClassification`.

    Example:
        >>> import torch
        >>> config = XLMRobertaConfig(vocab_size=20, hidden_size=8, num_attention_heads=2, num_hidden_layers=1)
        >>> XLMRobertaForTokenClassification(config)(torch.tensor([[0, 3, 2]])).logits.shape
        torch.Size([1, 3, 2])
    """


class XLMRobertaForQuestionAnswering(XLMRobertaPreTrainedModel, RobertaForQuestionAnswering):
    """XLM-RoBERTa with the answer-span head; see :class:`~embrace.models.roberta.RobertaForQuestionAnswering`.

    Example:
        >>> import torch
        >>> config = XLMRobertaConfig(vocab_size=20, hidden_size=8, num_attention_heads=2, num_hidden_layers=1)
        >>> XLMRobertaForQuestionAnswering(config)(torch.tensor([[0, 3, 2]])).start_logits.shape
        torch.Size([1, 3])
    """


__all__ = [
    "XLMRobertaConfig",
    "XLMRobertaPreTrainedModel",
    "XLMRobertaModel",
    "XLMRobertaForCausalLM",
    "XLMRobertaForMaskedLM",
    "XLMRobertaForSequenceClassification",
    "XLMRobertaForMultipleChoice",
    "XLMRobertaForTokenClassification",
    "XLMRobertaForQuestionAnswering",
]
