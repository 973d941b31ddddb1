"""Normalisation layers shared by several families.

Example:
    >>> import torch
    >>> norm = RMSNorm(4)
    >>> norm(torch.tensor([[3.0, 4.0, 0.0, 0.0]])).shape
    torch.Size([1, 4])
"""

from __future__ import annotations

import torch
from torch import nn


class RMSNorm(nn.Module):
    """Root-mean-square normalisation with a learned per-channel gain (no mean, no bias).

    The statistics are computed in float32 whatever the input dtype, and the result is
    cast back before the gain is applied, so half-precision models match the reference.

    Example:
        >>> import torch
        >>> norm = RMSNorm(2, eps=0.0)
        >>> norm(torch.tensor([[1.0, 1.0]])).tolist()
        [[1.0, 1.0]]
    """

    def __init__(self, hidden_size: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden_size))
        self.variance_epsilon = eps

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        input_dtype = hidden_states.dtype
        states = hidden_states.to(torch.float32)
        variance = states.pow(2).mean(-1, keepdim=True)
        states = states * torch.rsqrt(variance + self.variance_epsilon)
        return self.weight * states.to(input_dtype)

    def extra_repr(self) -> str:
        return f"{tuple(self.weight.shape)}, eps={self.variance_epsilon}"


__all__ = ["RMSNorm"]
