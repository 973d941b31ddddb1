"""CamemBERT: RoBERTa's architecture and checkpoints layout under its own names.

CamemBERT is RoBERTa trained on French text with a SentencePiece vocabulary. Every model class
here is the RoBERTa class of the same role (:mod:`embrace.models.roberta`) bound to
:class:`CamembertConfig`, built by :func:`~embrace.models.roberta.build_roberta_variant`.

Example:
    >>> import torch
    >>> from embrace.models.camembert import CamembertConfig, CamembertForMaskedLM
    >>> config = CamembertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=1, num_attention_heads=4)
    >>> CamembertForMaskedLM(config)(torch.tensor([[0, 5, 2]])).logits.shape
    torch.Size([1, 3, 100])
"""

from __future__ import annotations

from embrace.models.roberta import RobertaConfig, build_roberta_variant


class CamembertConfig(RobertaConfig):
    """Configuration of a CamemBERT model (RoBERTa's fields; ``model_type`` ``'camembert'``).

    Example:
        >>> CamembertConfig().model_type, CamembertConfig().vocab_size
        ('camembert', 30522)
    """

    model_type = "camembert"

    vocab_size: int = 30522


# Unpacked in build_roberta_variant's order: base, body, then the heads (a test checks the names).
_CLASSES = build_roberta_variant(CamembertConfig, "Camembert", "CamemBERT")
(CamembertPreTrainedModel, CamembertModel, CamembertForCausalLM, CamembertForMaskedLM, CamembertForSequenceClassification,
 CamembertForMultipleChoice, CamembertForTokenClassification, CamembertForQuestionAnswering) = _CLASSES.values()

__all__ = ["CamembertConfig", *_CLASSES]
