"""Attention-head pruning helpers (the legacy ``model.prune_heads`` API).

Pruning a head removes its slice of the query/key/value projections (output rows) and of
the attention output projection (input columns), so the layer really gets smaller.

Example:
    >>> import torch
    >>> from torch import nn
    >>> heads, index = find_pruneable_heads_and_indices([1], n_heads=2, head_size=3, already_pruned_heads=set())
    >>> index.tolist()
    [0, 1, 2]
    >>> prune_linear_layer(nn.Linear(4, 6), index).weight.shape
    torch.Size([3, 4])
"""

from __future__ import annotations

from typing import Iterable

import torch
from torch import nn


def find_pruneable_heads_and_indices(
    heads: Iterable[int], n_heads: int, head_size: int, already_pruned_heads: set[int]
) -> tuple[set[int], torch.LongTensor]:
    """Which of ``heads`` still exist, and the flat feature indices of the heads that stay.

    Args:
        heads: head numbers to prune, counted in the layer's original numbering.
        n_heads: heads the layer has now (after earlier pruning).
        head_size: features per head.
        already_pruned_heads: heads (original numbering) pruned before.

    Returns:
        ``(heads to prune now, LongTensor of kept feature indices)``.
    """
    to_prune = set(heads) - already_pruned_heads
    keep = torch.ones(n_heads, head_size)
    for head in to_prune:
        # Original head number -> current row, after the earlier-pruned heads below it vanished.
        shifted = head - sum(1 for pruned in already_pruned_heads if pruned < head)
        keep[shifted] = 0
    index = torch.arange(len(keep.view(-1)))[keep.view(-1).eq(1)].long()
    return to_prune, index


def prune_linear_layer(layer: nn.Linear, index: torch.LongTensor, dim: int = 0) -> nn.Linear:
    """Return a new ``nn.Linear`` keeping only ``index`` along ``dim`` (0 = outputs, 1 = inputs).

    The new layer has copies of the kept weights (and bias, which only shrinks for
    ``dim=0``), with ``requires_grad`` preserved.
    """
    index = index.to(layer.weight.device)
    weight = layer.weight.index_select(dim, index).detach().clone()
    bias = None
    if layer.bias is not None:
        bias = (layer.bias if dim == 1 else layer.bias[index]).detach().clone()
    out_features, in_features = weight.shape
    new_layer = nn.Linear(in_features, out_features, bias=bias is not None).to(layer.weight.device, layer.weight.dtype)
    with torch.no_grad():
        new_layer.weight.copy_(weight)
        new_layer.weight.requires_grad = layer.weight.requires_grad
        if bias is not None:
            new_layer.bias.copy_(bias)
            new_layer.bias.requires_grad = layer.bias.requires_grad
    return new_layer
