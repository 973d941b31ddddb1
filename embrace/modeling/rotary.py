"""Rotary position embeddings (RoPE) and the config handling of their parameters.

A config carries one ``rope_parameters`` dict: ``{"rope_type": ..., "rope_theta": ...,
<type-specific keys>}``. Older ``config.json`` files spell it ``rope_scaling`` (with
``"type"`` instead of ``"rope_type"``) next to a top-level ``rope_theta``;
:func:`standardize_rope_parameters` folds those into the one dict exactly as the current
reference does, so configs round-trip byte for byte.

``ROPE_INIT_FUNCTIONS[rope_type](config, device, seq_len)`` returns ``(inv_freq,
attention_scaling)``: the per-pair inverse frequencies and the factor applied to cos/sin.

Example:
    >>> import torch
    >>> from types import SimpleNamespace
    >>> config = SimpleNamespace(hidden_size=8, num_attention_heads=2, head_dim=4, max_position_embeddings=16,
    ...                          rope_parameters={"rope_type": "default", "rope_theta": 10000.0})
    >>> rope = RotaryEmbedding(config)
    >>> cos, sin = rope(torch.zeros(1), torch.arange(3)[None])
    >>> cos.shape
    torch.Size([1, 3, 4])
"""

from __future__ import annotations

import math
from typing import Any, Callable

import torch
from torch import nn

from embrace.errors import ConfigError, unknown_key

DEFAULT_ROPE_THETA = 10_000.0
# Scaled types whose frequencies depend on the context length seen in pre-training.
_NEEDS_ORIGINAL_LENGTH = ("llama3", "yarn", "longrope")
# Keys each rope type cannot do without.
_REQUIRED_KEYS = {
    "default": (),
    "linear": ("factor",),
    "dynamic": ("factor",),
    "yarn": ("factor",),
    "llama3": ("factor", "low_freq_factor", "high_freq_factor"),
}


def standardize_rope_parameters(
    rope_parameters: dict[str, Any] | None,
    *,
    rope_scaling: dict[str, Any] | None = None,
    rope_theta: float | None = None,
    partial_rotary_factor: float | None = None,
    max_position_embeddings: int | None = None,
) -> dict[str, Any]:
    """Merge the legacy ``rope_scaling`` / ``rope_theta`` into one ``rope_parameters`` dict.

    ``rope_scaling`` wins over ``rope_parameters`` (an old file has only one of them);
    ``rope_type`` defaults to the legacy ``type`` key, then ``"default"``; scaled types
    that need it get ``original_max_position_embeddings`` (the configured context).

    Example:
        >>> standardize_rope_parameters(None, rope_scaling={"type": "linear", "factor": 2.0}, rope_theta=5e5)
        {'type': 'linear', 'factor': 2.0, 'rope_theta': 500000.0, 'rope_type': 'linear'}
    """
    params = dict(rope_scaling or rope_parameters or {})
    params.setdefault("rope_theta", DEFAULT_ROPE_THETA if rope_theta is None else rope_theta)
    if partial_rotary_factor is not None:
        params.setdefault("partial_rotary_factor", partial_rotary_factor)
    params.setdefault("rope_type", params.get("type", "default"))
    if params["rope_type"] in _NEEDS_ORIGINAL_LENGTH and max_position_embeddings is not None:
        params.setdefault("original_max_position_embeddings", max_position_embeddings)
    return params


def validate_rope_parameters(params: dict[str, Any]) -> None:
    """Raise :class:`ConfigError` for an unknown ``rope_type`` or a missing required key.

    Example:
        >>> validate_rope_parameters({"rope_type": "linear", "rope_theta": 1e4})
        Traceback (most recent call last):
        ...
        embrace.errors.ConfigError: rope_parameters of type 'linear' need the key(s) ['factor']; got ['rope_theta', 'rope_type'].
    """
    rope_type = params.get("rope_type", "default")
    if rope_type not in ROPE_INIT_FUNCTIONS:
        raise ConfigError(f"Unknown rope_type {rope_type!r} in rope_parameters; valid: {sorted(ROPE_INIT_FUNCTIONS)}.")
    missing = [key for key in _REQUIRED_KEYS.get(rope_type, ()) if key not in params]
    if missing:
        raise ConfigError(
            f"rope_parameters of type {rope_type!r} need the key(s) {missing}; got {sorted(params)}."
        )


class RopeConfigMixin:
    """Config-side RoPE handling for families that use rotary embeddings.

    Call :meth:`_standardize_rope` from ``__post_init__`` with the keyword arguments; it
    consumes ``rope_scaling``, ``rope_theta`` and ``partial_rotary_factor``. The
    ``rope_scaling`` attribute stays readable/writable as an alias of ``rope_parameters``.
    """

    def _standardize_rope(self, kwargs: dict[str, Any]) -> None:
        self.rope_parameters = standardize_rope_parameters(
            self.rope_parameters,
            rope_scaling=kwargs.pop("rope_scaling", None),
            rope_theta=kwargs.pop("rope_theta", None),
            partial_rotary_factor=kwargs.pop("partial_rotary_factor", None),
            max_position_embeddings=getattr(self, "max_position_embeddings", None),
        )

    def validate_rope(self) -> None:
        """The rope type is known and has its required keys."""
        validate_rope_parameters(self.rope_parameters)

    @property
    def rope_scaling(self) -> dict[str, Any]:
        return self.rope_parameters

    @rope_scaling.setter
    def rope_scaling(self, value: dict[str, Any] | None) -> None:
        self.rope_parameters = standardize_rope_parameters(
            value, max_position_embeddings=getattr(self, "max_position_embeddings", None)
        )


# --- inverse frequencies per rope type ------------------------------------------------


def _rotary_dim(config: Any, params: dict[str, Any]) -> int:
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    return int(head_dim * params.get("partial_rotary_factor", 1.0))


def _base_inv_freq(base: float, dim: int, device: torch.device | None) -> torch.Tensor:
    # Exponents are built in int64 then cast, as the reference does, for identical floats.
    exponents = torch.arange(0, dim, 2, dtype=torch.int64).to(device=device, dtype=torch.float) / dim
    return 1.0 / (base**exponents)  # (dim / 2,)


def _default(config: Any, device: torch.device | None = None, seq_len: int | None = None) -> tuple[torch.Tensor, float]:
    params = config.rope_parameters
    return _base_inv_freq(params["rope_theta"], _rotary_dim(config, params), device), 1.0


def _linear(config: Any, device: torch.device | None = None, seq_len: int | None = None) -> tuple[torch.Tensor, float]:
    # Scaling positions by 1/factor is the same as scaling the frequencies.
    inv_freq, scale = _default(config, device)
    return inv_freq / config.rope_parameters["factor"], scale


def _dynamic(config: Any, device: torch.device | None = None, seq_len: int | None = None) -> tuple[torch.Tensor, float]:
    params = config.rope_parameters
    dim = _rotary_dim(config, params)
    factor = params["factor"]
    max_len = config.max_position_embeddings
    seq_len = max_len if seq_len is None else max(int(seq_len), max_len)
    # NTK-aware: raise the base as the sequence grows past the trained context.
    base = params["rope_theta"] * ((factor * seq_len / max_len) - (factor - 1)) ** (dim / (dim - 2))
    return _base_inv_freq(base, dim, device), 1.0


def _yarn(config: Any, device: torch.device | None = None, seq_len: int | None = None) -> tuple[torch.Tensor, float]:
    params = config.rope_parameters
    base = params["rope_theta"]
    dim = _rotary_dim(config, params)
    original = params["original_max_position_embeddings"]
    factor = params["factor"]
    if factor is None:
        factor = config.max_position_embeddings / original

    def mscale(scale: float, m: float = 1.0) -> float:
        return 1.0 if scale <= 1 else 0.1 * m * math.log(scale) + 1.0

    attention_factor = params.get("attention_factor")
    if attention_factor is None:
        m, m_all = params.get("mscale"), params.get("mscale_all_dim")
        attention_factor = float(mscale(factor, m) / mscale(factor, m_all)) if m and m_all else mscale(factor)
    beta_fast = params.get("beta_fast") or 32
    beta_slow = params.get("beta_slow") or 1

    def correction_dim(rotations: float) -> float:
        # The dimension index whose wavelength completes `rotations` turns over the original context.
        return (dim * math.log(original / (rotations * 2 * math.pi))) / (2 * math.log(base))

    low, high = correction_dim(beta_fast), correction_dim(beta_slow)
    if params.get("truncate", True):
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, dim - 1)
    if low == high:
        high += 0.001  # avoid a zero-width ramp
    ramp = torch.clamp((torch.arange(dim // 2, dtype=torch.float32) - low) / (high - low), 0, 1).to(device)
    pos_freqs = base ** (torch.arange(0, dim, 2).to(device=device, dtype=torch.float) / dim)
    extrapolate = 1 - ramp  # 1: keep the original frequency, 0: interpolate by `factor`
    inv_freq = (1.0 / (factor * pos_freqs)) * (1 - extrapolate) + (1.0 / pos_freqs) * extrapolate
    return inv_freq, attention_factor


def _llama3(config: Any, device: torch.device | None = None, seq_len: int | None = None) -> tuple[torch.Tensor, float]:
    params = config.rope_parameters
    inv_freq, scale = _default(config, device)
    factor, low, high = params["factor"], params["low_freq_factor"], params["high_freq_factor"]
    old_len = params["original_max_position_embeddings"]
    low_wavelen, high_wavelen = old_len / low, old_len / high
    wavelen = 2 * math.pi / inv_freq
    # Long wavelengths are slowed by `factor`, short ones kept, the band between blended smoothly.
    scaled = torch.where(wavelen > low_wavelen, inv_freq / factor, inv_freq)
    smooth = (old_len / wavelen - low) / (high - low)
    blended = (1 - smooth) * scaled / factor + smooth * scaled
    medium = ~(wavelen < high_wavelen) * ~(wavelen > low_wavelen)
    return torch.where(medium, blended, scaled), scale


RopeInitFunction = Callable[..., "tuple[torch.Tensor, float]"]

ROPE_INIT_FUNCTIONS: dict[str, RopeInitFunction] = {
    "default": _default,
    "linear": _linear,
    "dynamic": _dynamic,
    "yarn": _yarn,
    "llama3": _llama3,
}


# --- the module and its application ---------------------------------------------------


class RotaryEmbedding(nn.Module):
    """Computes ``(cos, sin)`` ``(batch, seq, rotary_dim)`` for the given position ids.

    ``dynamic`` RoPE recomputes its frequencies when a sequence longer than any seen so far
    arrives, and returns to the original ones for sequences within the trained context.

    Example:
        >>> import torch
        >>> from types import SimpleNamespace
        >>> config = SimpleNamespace(hidden_size=4, num_attention_heads=1, head_dim=4, max_position_embeddings=8,
        ...                          rope_parameters={"rope_type": "linear", "factor": 2.0, "rope_theta": 1e4})
        >>> RotaryEmbedding(config).inv_freq.tolist()
        [0.5, 0.004999999888241291]
    """

    def __init__(self, config: Any, device: torch.device | None = None) -> None:
        super().__init__()
        self.config = config
        self.rope_type = config.rope_parameters.get("rope_type", "default")
        if self.rope_type not in ROPE_INIT_FUNCTIONS:
            raise unknown_key("rope_type", self.rope_type, list(ROPE_INIT_FUNCTIONS))
        self.rope_init_fn = ROPE_INIT_FUNCTIONS[self.rope_type]
        self.max_seq_len_cached = config.max_position_embeddings
        self.original_max_seq_len = config.max_position_embeddings
        inv_freq, self.attention_scaling = self.rope_init_fn(config, device)
        # Derived from the config, never saved (the reference's checkpoints do not hold them).
        self.register_buffer("inv_freq", inv_freq, persistent=False)
        self.register_buffer("original_inv_freq", inv_freq.clone(), persistent=False)

    @torch.no_grad()
    def _update_dynamic(self, position_ids: torch.Tensor, device: torch.device) -> None:
        seq_len = int(position_ids.max()) + 1
        if seq_len > self.max_seq_len_cached:  # grow the context
            inv_freq, self.attention_scaling = self.rope_init_fn(self.config, device, seq_len=seq_len)
            self.register_buffer("inv_freq", inv_freq, persistent=False)
            self.max_seq_len_cached = seq_len
        if seq_len < self.original_max_seq_len and self.max_seq_len_cached > self.original_max_seq_len:  # reset
            self.original_inv_freq = self.original_inv_freq.to(device)
            self.register_buffer("inv_freq", self.original_inv_freq, persistent=False)
            self.max_seq_len_cached = self.original_max_seq_len

    @torch.no_grad()
    def forward(self, x: torch.Tensor, position_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.rope_type == "dynamic":
            self._update_dynamic(position_ids, x.device)
        freqs = position_ids[..., None].float() * self.inv_freq.to(device=x.device, dtype=torch.float)  # (b, s, d/2)
        emb = torch.cat((freqs, freqs), dim=-1)  # (batch, seq, rotary_dim)
        cos = emb.cos() * self.attention_scaling
        sin = emb.sin() * self.attention_scaling
        return cos.to(dtype=x.dtype), sin.to(dtype=x.dtype)


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    """``[x1, x2] -> [-x2, x1]`` on the last dimension (the rotation by 90 degrees of each pair).

    Example:
        >>> rotate_half(torch.tensor([1.0, 2.0, 3.0, 4.0])).tolist()
        [-3.0, -4.0, 1.0, 2.0]
    """
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def apply_rotary_pos_emb(
    q: torch.Tensor, k: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, unsqueeze_dim: int = 1
) -> tuple[torch.Tensor, torch.Tensor]:
    """Rotate queries and keys ``(batch, heads, seq, head_dim)`` by ``cos``/``sin`` ``(batch, seq, head_dim)``.

    Example:
        >>> q = k = torch.ones(1, 1, 2, 2)
        >>> cos, sin = torch.ones(1, 2, 2), torch.zeros(1, 2, 2)
        >>> apply_rotary_pos_emb(q, k, cos, sin)[0].equal(q)
        True
    """
    cos = cos.unsqueeze(unsqueeze_dim)  # broadcast over heads
    sin = sin.unsqueeze(unsqueeze_dim)
    return (q * cos) + (rotate_half(q) * sin), (k * cos) + (rotate_half(k) * sin)


__all__ = [
    "ROPE_INIT_FUNCTIONS", "RopeConfigMixin", "RotaryEmbedding", "apply_rotary_pos_emb", "rotate_half",
    "standardize_rope_parameters", "validate_rope_parameters",
]
