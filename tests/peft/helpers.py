"""Shared pieces of the PEFT parity tests: the seeds' MLP and a twin builder.

A "twin" is the same base weights wrapped once by the reference ``peft`` and once by
``embrace.peft`` with the same seed, so adapters start identical.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


class MLP(nn.Module):
    """The custom-model example of the PEFT docs (20 -> hidden -> hidden -> 2)."""

    def __init__(self, num_units_hidden: int = 2000) -> None:
        super().__init__()
        self.seq = nn.Sequential(
            nn.Linear(20, num_units_hidden), nn.ReLU(), nn.Linear(num_units_hidden, num_units_hidden), nn.ReLU(),
            nn.Linear(num_units_hidden, 2), nn.LogSoftmax(dim=-1),
        )

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.seq(X)


def twin(base: nn.Module, config_kwargs: dict, *, seed: int = 0):
    """(reference PeftModel, embrace PeftModel) on copies of ``base`` with the same adapter seed."""
    import peft

    import embrace.peft

    torch.manual_seed(seed)
    ref = peft.get_peft_model(copy.deepcopy(base), peft.LoraConfig(**config_kwargs))
    torch.manual_seed(seed)
    ours = embrace.peft.get_peft_model(copy.deepcopy(base), embrace.peft.LoraConfig(**config_kwargs))
    return ref, ours


def max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    assert a.shape == b.shape, (a.shape, b.shape)
    return (a.float() - b.float()).abs().max().item()


def randomize_adapters(*models: nn.Module, seed: int = 1) -> None:
    """Give every LoRA B matrix (zero at init) the same random values in each model."""
    for model in models:
        generator = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for name, param in sorted(model.named_parameters()):
                if "lora_" in name:
                    param.copy_(torch.randn(param.shape, generator=generator).to(param.dtype) * 0.1)
