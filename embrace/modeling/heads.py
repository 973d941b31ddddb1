"""Task-head results shared by the encoder families (BERT, RoBERTa, ELECTRA, ALBERT, DeBERTa-v2, DistilBERT).

A head computes its logits from the body's output; these functions add the task's loss and
build the finished output (a ``ModelOutput``, or its tuple form with ``return_dict=False``).

Example:
    >>> import torch
    >>> from embrace.models.bert import BertConfig, BertForTokenClassification
    >>> model = BertForTokenClassification(BertConfig(vocab_size=20, hidden_size=8, num_hidden_layers=1,
    ...                                               num_attention_heads=2, intermediate_size=16, num_labels=3))
    >>> outputs = model.bert(torch.tensor([[1, 2, 3]]))
    >>> logits = torch.zeros(1, 3, 3)
    >>> token_classification_output(model, outputs, logits, torch.tensor([[0, 1, -100]]), True).loss.item()
    1.0986123085021973
"""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn

from embrace.modeling import losses
from embrace.modeling.modeling_utils import PreTrainedModel
from embrace.modeling.outputs import (
    MaskedLMOutput,
    ModelOutput,
    MultipleChoiceModelOutput,
    QuestionAnsweringModelOutput,
    SequenceClassifierOutput,
    TokenClassifierOutput,
)

OptTensor = Tensor | None


def body_extras(outputs: ModelOutput) -> dict[str, Any]:
    """The optional fields every head copies from the body's output."""
    return {"hidden_states": outputs.hidden_states, "attentions": outputs.attentions}


def masked_lm_output(
    model: PreTrainedModel, outputs: ModelOutput, logits: Tensor, labels: OptTensor, return_dict: bool | None
) -> MaskedLMOutput | tuple:
    """Masked-LM result from ``logits`` ``(batch, seq, vocab)``; ``labels`` of ``-100`` are ignored."""
    loss = None if labels is None else losses.masked_lm_loss(logits, labels)
    return model._finish(MaskedLMOutput(loss=loss, logits=logits, **body_extras(outputs)), return_dict)


def sequence_classification_output(
    model: PreTrainedModel, outputs: ModelOutput, logits: Tensor, labels: OptTensor, return_dict: bool | None
) -> SequenceClassifierOutput | tuple:
    """Sequence-classification result from ``logits`` ``(batch, num_labels)``; the loss follows
    ``config.problem_type`` (inferred and stored on the first call with labels)."""
    loss = None if labels is None else losses.sequence_classification_loss(model, logits, labels)
    return model._finish(SequenceClassifierOutput(loss=loss, logits=logits, **body_extras(outputs)), return_dict)


def token_classification_output(
    model: PreTrainedModel, outputs: ModelOutput, logits: Tensor, labels: OptTensor, return_dict: bool | None
) -> TokenClassifierOutput | tuple:
    """Token-classification result from ``logits`` ``(batch, seq, num_labels)``; ``-100`` labels are ignored."""
    loss = None if labels is None else losses.token_classification_loss(logits, labels)
    return model._finish(TokenClassifierOutput(loss=loss, logits=logits, **body_extras(outputs)), return_dict)


def question_answering_output(
    model: PreTrainedModel, outputs: ModelOutput, span_logits: Tensor, start_positions: OptTensor,
    end_positions: OptTensor, return_dict: bool | None,
) -> QuestionAnsweringModelOutput | tuple:
    """Extractive-QA result from ``span_logits`` ``(batch, seq, 2)``.

    Positions outside the sequence are clamped to its length and ignored by the loss, the
    mean of the start and end cross-entropies.
    """
    start_logits, end_logits = losses.split_span_logits(span_logits)  # (batch, seq) each
    loss = losses.span_prediction_loss(start_logits, end_logits, start_positions, end_positions)
    output = QuestionAnsweringModelOutput(
        loss=loss, start_logits=start_logits, end_logits=end_logits, **body_extras(outputs)
    )
    return model._finish(output, return_dict)


def count_choices(input_ids: OptTensor, inputs_embeds: OptTensor) -> int:
    """``num_choices`` of multiple-choice inputs ``(batch, num_choices, seq[, hidden])``; exactly one is given."""
    if (input_ids is None) == (inputs_embeds is None):
        raise ValueError("You must specify exactly one of input_ids or inputs_embeds")
    return (input_ids if input_ids is not None else inputs_embeds).shape[1]


def multiple_choice_output(
    model: PreTrainedModel, outputs: ModelOutput, logits: Tensor, labels: OptTensor, return_dict: bool | None
) -> MultipleChoiceModelOutput | tuple:
    """Multiple-choice result from ``logits`` ``(batch, num_choices)``; ``labels`` index the right choice."""
    loss = None if labels is None else nn.functional.cross_entropy(logits, labels)
    return model._finish(MultipleChoiceModelOutput(loss=loss, logits=logits, **body_extras(outputs)), return_dict)


__all__ = ["body_extras", "masked_lm_output", "sequence_classification_output", "token_classification_output", "question_answering_output", "count_choices", "multiple_choice_output"]
