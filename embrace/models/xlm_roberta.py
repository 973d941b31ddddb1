"""XLM-RoBERTa: RoBERTa's architecture and checkpoints layout under its own names.

XLM-RoBERTa is RoBERTa trained on 100 languages with a SentencePiece vocabulary. Every model class
here is the RoBERTa class of the same role (:mod:`embrace.models.roberta`) bound to
:class:`XLMRobertaConfig`, built by :func:`~embrace.models.roberta.build_roberta_variant`.

Example:
    >>> import torch
    >>> from embrace.models.xlm_roberta import XLMRobertaConfig, XLMRobertaForMaskedLM
    >>> config = XLMRobertaConfig(vocab_size=100, hidden_size=32, num_hidden_layers=1, num_attention_heads=4)
    >>> XLMRobertaForMaskedLM(config)(torch.tensor([[0, 5, 2]])).logits.shape
    torch.Size([1, 3, 100])
"""

from __future__ import annotations

from embrace.models.roberta import RobertaConfig, build_roberta_variant


class XLMRobertaConfig(RobertaConfig):
    """Configuration of a XLM-RoBERTa model (RoBERTa's fields; ``model_type`` ``'xlm-roberta'``).

    Example:
        >>> XLMRobertaConfig().model_type, XLMRobertaConfig().vocab_size
        ('xlm-roberta', 30522)
    """

    model_type = "xlm-roberta"

    vocab_size: int = 30522


# Unpacked in build_roberta_variant's order: base, body, then the heads (a test checks the names).
_CLASSES = build_roberta_variant(XLMRobertaConfig, "XLMRoberta", "XLM-RoBERTa")
(XLMRobertaPreTrainedModel, XLMRobertaModel, XLMRobertaForCausalLM, XLMRobertaForMaskedLM,
 XLMRobertaForSequenceClassification, XLMRobertaForMultipleChoice, XLMRobertaForTokenClassification, XLMRobertaForQuestionAnswering) = _CLASSES.values()

__all__ = ["XLMRobertaConfig", *_CLASSES]
