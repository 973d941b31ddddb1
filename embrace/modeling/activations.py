"""Activation functions by name: ``ACT2FN["gelu"]`` returns a fresh ``nn.Module``.

Config files name their activation with a string (``"hidden_act": "gelu_new"``); this
registry turns that string into a module. Each formula is evaluated in the same order of
floating-point operations as the reference so outputs agree bit for bit, not just to a
tolerance (the tanh approximations in particular differ in the last bits between
``torch.nn.functional.gelu(approximate="tanh")`` and the written-out formula).

Example:
    >>> import torch
    >>> from embrace.modeling.activations import ACT2FN
    >>> act = ACT2FN["gelu"]
    >>> act(torch.tensor([0.0, 1.0])).round(decimals=4)
    tensor([0.0000, 0.8413])
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

from embrace.errors import unknown_key

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


class GELUActivation(nn.Module):
    """Exact GELU, ``x * Phi(x)``; ``use_gelu_python=True`` spells it out with ``erf``.

    Example:
        >>> import torch
        >>> GELUActivation()(torch.zeros(2))
        tensor([0., 0.])
    """

    def __init__(self, use_gelu_python: bool = False) -> None:
        super().__init__()
        self.use_gelu_python = use_gelu_python

    def forward(self, input: Tensor) -> Tensor:
        if self.use_gelu_python:
            return input * 0.5 * (1.0 + torch.erf(input / math.sqrt(2.0)))
        return nn.functional.gelu(input)


class GELUTanh(nn.Module):
    """Tanh-approximated GELU through torch's fused kernel (``gelu_pytorch_tanh``).

    ``use_gelu_tanh_python=True`` evaluates the written-out formula instead.

    Example:
        >>> import torch
        >>> GELUTanh()(torch.zeros(1))
        tensor([0.])
    """

    def __init__(self, use_gelu_tanh_python: bool = False) -> None:
        super().__init__()
        self.use_gelu_tanh_python = use_gelu_tanh_python

    def forward(self, input: Tensor) -> Tensor:
        if self.use_gelu_tanh_python:
            return input * 0.5 * (1.0 + torch.tanh(_SQRT_2_OVER_PI * (input + 0.044715 * torch.pow(input, 3.0))))
        return nn.functional.gelu(input, approximate="tanh")


# Old name kept for code that imports it.
PytorchGELUTanh = GELUTanh


class NewGELUActivation(nn.Module):
    """Tanh-approximated GELU as written in the original GPT / BERT code (``gelu_new``).

    Example:
        >>> import torch
        >>> NewGELUActivation()(torch.zeros(1))
        tensor([0.])
    """

    def forward(self, input: Tensor) -> Tensor:
        return 0.5 * input * (1.0 + torch.tanh(_SQRT_2_OVER_PI * (input + 0.044715 * torch.pow(input, 3.0))))


class FastGELUActivation(nn.Module):
    """Tanh GELU with the constant folded in (``gelu_fast``).

    Example:
        >>> import torch
        >>> FastGELUActivation()(torch.zeros(1))
        tensor([0.])
    """

    def forward(self, input: Tensor) -> Tensor:
        return 0.5 * input * (1.0 + torch.tanh(input * 0.7978845608 * (1.0 + 0.044715 * input * input)))


class QuickGELUActivation(nn.Module):
    """Sigmoid approximation ``x * sigmoid(1.702 x)`` used by CLIP (``quick_gelu``).

    Example:
        >>> import torch
        >>> QuickGELUActivation()(torch.zeros(1))
        tensor([0.])
    """

    def forward(self, input: Tensor) -> Tensor:
        return input * torch.sigmoid(1.702 * input)


class ClippedGELUActivation(nn.Module):
    """Exact GELU clipped to ``[min, max]`` (``gelu_10`` clips to [-10, 10]); helps quantisation.

    Example:
        >>> import torch
        >>> ClippedGELUActivation(-10.0, 10.0)(torch.tensor([100.0]))
        tensor([10.])
    """

    def __init__(self, min: float, max: float) -> None:
        if min > max:
            raise ValueError(f"ClippedGELUActivation needs min <= max, got min={min}, max={max}.")
        super().__init__()
        self.min = min
        self.max = max

    def forward(self, x: Tensor) -> Tensor:
        return torch.clip(nn.functional.gelu(x), self.min, self.max)


class AccurateGELUActivation(nn.Module):
    """Tanh GELU with a precomputed ``sqrt(2/pi)`` (``gelu_accurate``, from MEGA).

    Example:
        >>> import torch
        >>> AccurateGELUActivation()(torch.zeros(1))
        tensor([0.])
    """

    def __init__(self) -> None:
        super().__init__()
        self.precomputed_constant = math.sqrt(2 / math.pi)

    def forward(self, input: Tensor) -> Tensor:
        return 0.5 * input * (1 + torch.tanh(self.precomputed_constant * (input + 0.044715 * torch.pow(input, 3))))


class MishActivation(nn.Module):
    """Mish, ``x * tanh(softplus(x))``, through torch's kernel.

    Example:
        >>> import torch
        >>> MishActivation()(torch.zeros(1))
        tensor([0.])
    """

    def forward(self, input: Tensor) -> Tensor:
        return nn.functional.mish(input)


class SiLUActivation(nn.Module):
    """SiLU / swish, ``x * sigmoid(x)``.

    Example:
        >>> import torch
        >>> SiLUActivation()(torch.zeros(1))
        tensor([0.])
    """

    def forward(self, input: Tensor) -> Tensor:
        return nn.functional.silu(input)


class LinearActivation(nn.Module):
    """Identity (``"linear"``): returns its input unchanged.

    Example:
        >>> import torch
        >>> LinearActivation()(torch.ones(1))
        tensor([1.])
    """

    def forward(self, input: Tensor) -> Tensor:
        return input


class LaplaceActivation(nn.Module):
    """Laplace CDF activation from MEGA: ``0.5 * (1 + erf((x - mu) / (sigma * sqrt 2)))``.

    Example:
        >>> import torch
        >>> LaplaceActivation()(torch.tensor([0.707107]))
        tensor([0.5000])
    """

    def forward(self, input: Tensor, mu: float = 0.707107, sigma: float = 0.282095) -> Tensor:
        input = (input - mu).div(sigma * math.sqrt(2.0))
        return 0.5 * (1.0 + torch.erf(input))


class ReLUSquaredActivation(nn.Module):
    """Squared ReLU, ``relu(x) ** 2`` (``"relu2"``, from Primer).

    Example:
        >>> import torch
        >>> ReLUSquaredActivation()(torch.tensor([-1.0, 2.0]))
        tensor([0., 4.])
    """

    def forward(self, input: Tensor) -> Tensor:
        return torch.square(nn.functional.relu(input))


class SqrtSoftplusActivation(nn.Module):
    """``sqrt(softplus(x))``, a router score function (``"sqrtsoftplus"``).

    Example:
        >>> import torch
        >>> SqrtSoftplusActivation()(torch.zeros(1)).round(decimals=4)
        tensor([0.8326])
    """

    def forward(self, input: Tensor) -> Tensor:
        return nn.functional.softplus(input).sqrt()


class _ActivationRegistry(dict):
    """``name -> class`` (or ``(class, kwargs)``); indexing builds a new module each time.

    A fresh module per lookup mirrors the reference, where layers own their activation
    (some activations, like PReLU, have parameters).
    """

    def __getitem__(self, key: str) -> nn.Module:
        try:
            entry = super().__getitem__(key)
        except KeyError:
            raise unknown_key("activation function", key, list(self.keys())) from None
        cls, kwargs = entry if isinstance(entry, tuple) else (entry, {})
        return cls(**kwargs)

    def register(self, name: str, cls: type[nn.Module], kwargs: dict[str, Any] | None = None) -> None:
        """Add an activation under ``name`` (``kwargs`` are passed to ``cls`` on each lookup)."""
        self[name] = (cls, dict(kwargs)) if kwargs else cls


ACT2CLS: dict[str, Any] = {
    "gelu": GELUActivation,
    "gelu_10": (ClippedGELUActivation, {"min": -10, "max": 10}),
    "gelu_fast": FastGELUActivation,
    "gelu_new": NewGELUActivation,
    "gelu_python": (GELUActivation, {"use_gelu_python": True}),
    "gelu_pytorch_tanh": GELUTanh,
    "gelu_python_tanh": (GELUTanh, {"use_gelu_tanh_python": True}),
    "gelu_accurate": AccurateGELUActivation,
    "hardswish": nn.Hardswish,
    "laplace": LaplaceActivation,
    "leaky_relu": nn.LeakyReLU,
    "linear": LinearActivation,
    "mish": MishActivation,
    "quick_gelu": QuickGELUActivation,
    "relu": nn.ReLU,
    "relu2": ReLUSquaredActivation,
    "relu6": nn.ReLU6,
    "sigmoid": nn.Sigmoid,
    "silu": SiLUActivation,
    "sqrtsoftplus": SqrtSoftplusActivation,
    "swish": nn.SiLU,
    "tanh": nn.Tanh,
    "prelu": nn.PReLU,
}

ACT2FN = _ActivationRegistry(ACT2CLS)


def get_activation(activation_string: str) -> nn.Module:
    """Return a new activation module for ``activation_string`` (a miss lists the valid names).

    Example:
        >>> type(get_activation("relu")).__name__
        'ReLU'
    """
    return ACT2FN[activation_string]


# Module-level instances, for code that imports e.g. ``gelu_new`` directly.
gelu_python = get_activation("gelu_python")
gelu_new = get_activation("gelu_new")
gelu = get_activation("gelu")
gelu_fast = get_activation("gelu_fast")
gelu_pytorch_tanh = get_activation("gelu_pytorch_tanh")
quick_gelu = get_activation("quick_gelu")
silu = get_activation("silu")
mish = get_activation("mish")
linear_act = get_activation("linear")
