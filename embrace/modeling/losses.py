"""The losses and input/output reshapes that the task heads of every family share.

Each model family's heads (``...ForCausalLM``, ``...ForSequenceClassification``, ...)
compute their loss here so that one definition fixes the reduction, the ignored label
(``-100``) and the problem-type inference for all of them.

Example:
    >>> import torch
    >>> from embrace.modeling.losses import token_classification_loss
    >>> round(token_classification_loss(torch.zeros(1, 2, 4), torch.tensor([[1, -100]])).item(), 4)
    1.3863
"""

from __future__ import annotations

from typing import Any, Union

import torch
from torch import nn

Tensor = torch.Tensor
OptTensor = Union[torch.Tensor, None]

# The loss options a causal LM head accepts besides ``labels`` (gradient accumulation & co).
CAUSAL_LM_LOSS_KWARGS = ("num_items_in_batch", "ignore_index", "shift_labels")


def check_loss_kwargs(owner: str, loss_kwargs: dict[str, Any]) -> None:
    """Raise ``TypeError`` naming the keyword arguments that are not causal-LM loss options.

    Example:
        >>> check_loss_kwargs("MyModel", {"num_items_in_batch": 4})
        >>> check_loss_kwargs("MyModel", {"colour": 1})
        Traceback (most recent call last):
        ...
        TypeError: MyModel.forward got unexpected keyword arguments ['colour']; the extra loss options it accepts are ['num_items_in_batch', 'ignore_index', 'shift_labels'].
    """
    unknown = [k for k in loss_kwargs if k not in CAUSAL_LM_LOSS_KWARGS]
    if unknown:
        raise TypeError(
            f"{owner}.forward got unexpected keyword arguments {unknown}; the extra loss options it accepts "
            f"are {list(CAUSAL_LM_LOSS_KWARGS)}."
        )


def causal_lm_loss(
    logits: Tensor, labels: Tensor, vocab_size: int, num_items_in_batch: Tensor | int | None = None,
    ignore_index: int = -100, shift_labels: OptTensor = None,
) -> Tensor:
    """Next-token cross-entropy: position ``t`` predicts ``labels[t + 1]``.

    With ``num_items_in_batch`` the summed loss is divided by it (gradient accumulation
    over batches of different sizes); otherwise it is the mean over counted tokens.

    Example:
        >>> import torch
        >>> round(causal_lm_loss(torch.zeros(1, 3, 4), torch.tensor([[0, 1, 2]]), 4).item(), 4)
        1.3863
    """
    logits = logits.float()  # the loss is computed in fp32 whatever the model dtype
    if shift_labels is None:
        shift_labels = nn.functional.pad(labels, (0, 1), value=ignore_index)[..., 1:]
    shift_labels = shift_labels.reshape(-1).to(logits.device)
    logits = logits.reshape(-1, vocab_size)
    if num_items_in_batch is None:
        return nn.functional.cross_entropy(logits, shift_labels, ignore_index=ignore_index)
    loss = nn.functional.cross_entropy(logits, shift_labels, ignore_index=ignore_index, reduction="sum")
    if torch.is_tensor(num_items_in_batch):
        num_items_in_batch = num_items_in_batch.to(loss.device)
    return loss / num_items_in_batch


def keep_positions(hidden_states: Tensor, logits_to_keep: int | Tensor) -> Tensor:
    """Slice positions before the vocabulary projection (``0`` keeps all, ``n`` the last ``n``).

    A 1-D tensor selects those positions; a 2-D one picks per row (indices or a bool mask).

    Example:
        >>> import torch
        >>> keep_positions(torch.zeros(2, 5, 3), 1).shape
        torch.Size([2, 1, 3])
    """
    if isinstance(logits_to_keep, torch.Tensor) and logits_to_keep.ndim == 2:
        if logits_to_keep.dtype == torch.bool:
            return hidden_states[logits_to_keep]
        return torch.take_along_dim(hidden_states, logits_to_keep[..., None], dim=1)
    if isinstance(logits_to_keep, int):
        return hidden_states if logits_to_keep == 0 else hidden_states[:, -logits_to_keep:, :]
    return hidden_states[:, logits_to_keep, :]


def token_classification_loss(logits: Tensor, labels: Tensor) -> Tensor:
    """Cross-entropy of every position's ``(..., classes)`` logits; labels of ``-100`` are ignored.

    Token classifiers and masked-LM heads (``masked_lm_loss``) both score each position.

    Example:
        >>> import torch
        >>> round(token_classification_loss(torch.zeros(2, 3, 5), torch.full((2, 3), 4)).item(), 4)
        1.6094
    """
    return nn.functional.cross_entropy(logits.view(-1, logits.size(-1)), labels.view(-1))


# A masked-LM head is a token classifier over the vocabulary.
masked_lm_loss = token_classification_loss


def sequence_classification_loss(model: nn.Module, logits: Tensor, labels: Tensor) -> OptTensor:
    """Regression / single-label / multi-label loss by ``model.config.problem_type``.

    When the problem type is unset it is inferred (and stored in the config) from the first
    labels seen: one label -> regression (MSE), integer labels -> single-label
    (cross-entropy), otherwise multi-label (BCE with logits). ``model`` needs ``config``
    and ``num_labels``; an unknown problem type gives no loss.

    Example:
        >>> import torch
        >>> from types import SimpleNamespace
        >>> model = SimpleNamespace(config=SimpleNamespace(problem_type=None), num_labels=3)
        >>> loss = sequence_classification_loss(model, torch.zeros(2, 3), torch.tensor([0, 2]))
        >>> round(loss.item(), 4), model.config.problem_type
        (1.0986, 'single_label_classification')
    """
    num_labels = model.num_labels
    if model.config.problem_type is None:
        if num_labels == 1:
            model.config.problem_type = "regression"
        elif num_labels > 1 and labels.dtype in (torch.long, torch.int):
            model.config.problem_type = "single_label_classification"
        else:
            model.config.problem_type = "multi_label_classification"
    problem = model.config.problem_type
    if problem == "regression":
        if num_labels == 1:
            return nn.functional.mse_loss(logits.squeeze(), labels.squeeze())
        return nn.functional.mse_loss(logits, labels)
    if problem == "single_label_classification":
        return nn.functional.cross_entropy(logits.view(-1, num_labels), labels.view(-1))
    if problem == "multi_label_classification":
        return nn.functional.binary_cross_entropy_with_logits(logits, labels)
    return None


def span_prediction_loss(
    start_logits: Tensor, end_logits: Tensor, start_positions: OptTensor, end_positions: OptTensor
) -> OptTensor:
    """Mean of the start and end cross-entropies; out-of-range positions are clamped then ignored.

    Example:
        >>> import torch
        >>> logits = torch.zeros(1, 4)
        >>> round(span_prediction_loss(logits, logits, torch.tensor([1]), torch.tensor([[2]])).item(), 4)
        1.3863
    """
    if start_positions is None or end_positions is None:
        return None
    # Some pipelines give (batch, 1) positions.
    start_positions = start_positions.squeeze(-1) if start_positions.dim() > 1 else start_positions
    end_positions = end_positions.squeeze(-1) if end_positions.dim() > 1 else end_positions
    ignored = start_logits.size(1)
    start_positions, end_positions = start_positions.clamp(0, ignored), end_positions.clamp(0, ignored)
    start_loss = nn.functional.cross_entropy(start_logits, start_positions, ignore_index=ignored)
    end_loss = nn.functional.cross_entropy(end_logits, end_positions, ignore_index=ignored)
    return (start_loss + end_loss) / 2


def split_span_logits(logits: Tensor) -> tuple[Tensor, Tensor]:
    """``(batch, seq, 2)`` -> start and end logits, each ``(batch, seq)`` and contiguous.

    Example:
        >>> import torch
        >>> [t.shape for t in split_span_logits(torch.zeros(1, 4, 2))]
        [torch.Size([1, 4]), torch.Size([1, 4])]
    """
    start, end = (t.squeeze(-1).contiguous() for t in logits.split(1, dim=-1))
    return start, end


def flatten_choices(tensor: OptTensor) -> OptTensor:
    """``(batch, choices, ...)`` -> ``(batch * choices, ...)`` for multiple-choice heads.

    Example:
        >>> import torch
        >>> flatten_choices(torch.zeros(2, 3, 5)).shape
        torch.Size([6, 5])
    """
    if tensor is None:
        return None
    return tensor.reshape(-1, *tensor.shape[2:])


__all__ = [
    "CAUSAL_LM_LOSS_KWARGS", "check_loss_kwargs", "causal_lm_loss", "keep_positions", "token_classification_loss",
    "masked_lm_loss", "sequence_classification_loss", "span_prediction_loss", "split_span_logits", "flatten_choices",
]
