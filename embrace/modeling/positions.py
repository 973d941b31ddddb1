"""Position encodings that are computed rather than learned per position.

``sinusoidal_table`` / ``SinusoidalPositionalEmbedding``: the fixed codes of Marian and
Pegasus (all sines first, then all cosines, the layout their checkpoints expect).
``relative_position_bucket``: the distance buckets of T5-style relative attention bias.

Example:
    >>> from embrace.modeling.positions import SinusoidalPositionalEmbedding
    >>> SinusoidalPositionalEmbedding(16, 4)(3).shape
    torch.Size([1, 3, 4])
"""

from __future__ import annotations

import math

import torch
from torch import nn


def sinusoidal_table(num_positions: int, dim: int) -> torch.Tensor:
    """``(num_positions, dim)`` fixed position codes: sines in the first half of each row, cosines in the second.

    Feature ``j`` of position ``p`` uses the angle ``p / 10000 ** (2 * (j // 2) / dim)``; the
    even features give the sines and the odd ones the cosines (computed in float64, like the
    reference's numpy code, then rounded once).

    Example:
        >>> [round(v, 6) for v in sinusoidal_table(3, 4)[1].tolist()]
        [0.841471, 0.01, 0.540302, 0.99995]
    """
    positions = torch.arange(num_positions, dtype=torch.float64)[:, None]
    exponents = 2 * (torch.arange(dim, dtype=torch.float64) // 2) / dim
    angles = positions / torch.pow(torch.tensor(10000.0, dtype=torch.float64), exponents)  # (num_positions, dim)
    half = dim // 2 if dim % 2 == 0 else dim // 2 + 1
    table = torch.empty(num_positions, dim, dtype=torch.float64)
    table[:, :half] = torch.sin(angles[:, 0::2])
    table[:, half:] = torch.cos(angles[:, 1::2])
    return table.float()


class SinusoidalPositionalEmbedding(nn.Embedding):
    """Fixed (non-trainable) sinusoidal positions, called like a learned position table.

    ``forward(seq_length, past_length)`` returns the codes of positions
    ``past_length .. past_length + seq_length - 1`` as ``(1, seq, dim)``.

    Example:
        >>> emb = SinusoidalPositionalEmbedding(16, 4)
        >>> emb(2, past_length=3)[0, 0].tolist() == sinusoidal_table(16, 4)[3].tolist()
        True
    """

    def __init__(self, num_positions: int, embedding_dim: int) -> None:
        super().__init__(num_positions, embedding_dim, _freeze=True)
        self.reset_sinusoids()

    @torch.no_grad()
    def reset_sinusoids(self) -> None:
        """(Re)write the table; weight initialisation calls this instead of drawing random values."""
        if self.weight.device.type != "meta":
            self.weight.copy_(sinusoidal_table(*self.weight.shape))

    @torch.no_grad()
    def forward(self, seq_length: int, past_length: int = 0) -> torch.Tensor:  # type: ignore[override]
        positions = torch.arange(past_length, past_length + seq_length, device=self.weight.device)
        return super().forward(positions).unsqueeze(0)  # (1, seq, dim)


def relative_position_bucket(
    relative_position: torch.Tensor, bidirectional: bool = True, num_buckets: int = 32, max_distance: int = 128
) -> torch.Tensor:
    """Map ``key_pos - query_pos`` to a bucket id in ``[0, num_buckets)``.

    Half the buckets (or all, when not ``bidirectional``) hold exact small distances; the
    rest grow logarithmically up to ``max_distance``, beyond which everything shares the
    last bucket. Bidirectional buckets put keys after the query in the upper half; causal
    ones treat keys after the query as distance 0.

    Example:
        >>> relative_position_bucket(torch.tensor([-3, -1, 0, 1, 3]), num_buckets=8, max_distance=16).tolist()
        [2, 1, 0, 5, 6]
    """
    buckets = torch.zeros_like(relative_position)
    if bidirectional:
        num_buckets //= 2
        buckets = buckets + (relative_position > 0).to(torch.long) * num_buckets
        distance = relative_position.abs()
    else:
        distance = -torch.clamp(relative_position, max=0)
    max_exact = num_buckets // 2
    # Logarithmic bucket for larger distances (distance 0 gives -inf here but is "small" anyway).
    log_ratio = torch.log(distance.float() / max_exact) / math.log(max_distance / max_exact)
    large = max_exact + (log_ratio * (num_buckets - max_exact)).to(torch.long)
    large = torch.clamp(large, max=num_buckets - 1)
    return buckets + torch.where(distance < max_exact, distance, large)


__all__ = ["sinusoidal_table", "SinusoidalPositionalEmbedding", "relative_position_bucket"]
