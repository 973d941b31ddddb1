"""Qwen2: Llama with biased q/k/v projections and optional sliding-window layers.

The q/k/v projections carry a bias (the output projection does not). With
``use_sliding_window=True`` the layers from ``max_window_layers`` on are
``"sliding_attention"`` layers (see ``config.layer_types``) limited to the last
``sliding_window`` keys. Every other module is Llama's; parameter names are the reference's.

Example:
    >>> import torch
    >>> from embrace.models.qwen2 import Qwen2Config, Qwen2ForCausalLM
    >>> config = Qwen2Config(vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
    ...                      num_attention_heads=4, num_key_value_heads=2)
    >>> model = Qwen2ForCausalLM(config)
    >>> model.model.layers[0].self_attn.q_proj.bias is not None, model.model.layers[0].self_attn.o_proj.bias
    (True, None)
"""

from __future__ import annotations

from typing import Any

from embrace.configuration import PretrainedConfig
from embrace.modeling.rotary import RopeConfigMixin
from embrace.models.llama import (
    LlamaAttention,
    LlamaDecoderLayer,
    LlamaForCausalLM,
    LlamaForSequenceClassification,
    LlamaMLP,
    LlamaModel,
    LlamaPreTrainedModel,
    LlamaRMSNorm,
    LlamaRotaryEmbedding,
    derive_decoder_fields,
    validate_decoder_heads,
)


class Qwen2Config(RopeConfigMixin, PretrainedConfig):
    """Configuration of a Qwen2 model; ``sliding_window`` only applies with ``use_sliding_window``.

    Example:
        >>> config = Qwen2Config(num_hidden_layers=3, use_sliding_window=True, sliding_window=8, max_window_layers=1)
        >>> config.layer_types
        ['full_attention', 'sliding_attention', 'sliding_attention']
    """

    model_type = "qwen2"
    keys_to_ignore_at_inference = ["past_key_values"]

    vocab_size: int = 151936
    hidden_size: int = 4096
    intermediate_size: int = 22016
    num_hidden_layers: int = 32
    num_attention_heads: int = 32
    num_key_value_heads: int | None = 32
    hidden_act: str = "silu"
    max_position_embeddings: int = 32768
    initializer_range: float = 0.02
    rms_norm_eps: float = 1e-6
    use_cache: bool = True
    tie_word_embeddings: bool = False
    rope_parameters: dict | None = None
    use_sliding_window: bool = False
    sliding_window: int | None = 4096
    max_window_layers: int = 28
    layer_types: list[str] | None = None
    attention_dropout: float | int = 0.0
    pad_token_id: int | None = None
    bos_token_id: int | None = None
    eos_token_id: int | list[int] | None = None

    def __post_init__(self, **kwargs: Any) -> None:
        # The window is only real when switched on; otherwise the field is cleared, like the reference.
        self.sliding_window = self.sliding_window if self.use_sliding_window else None
        if self.layer_types is None:
            self.layer_types = [
                "sliding_attention" if self.sliding_window is not None and i >= self.max_window_layers
                else "full_attention"
                for i in range(self.num_hidden_layers)
            ]
        derive_decoder_fields(self, kwargs)
        super().__post_init__(**kwargs)

    def validate_architecture(self) -> None:
        """Heads must split the hidden size, and key/value heads must divide the query heads."""
        validate_decoder_heads(self)


class Qwen2MLP(LlamaMLP):
    """Llama's gated MLP (never biased in Qwen2)."""


class Qwen2RMSNorm(LlamaRMSNorm):
    """Llama's RMSNorm under the family name."""


class Qwen2RotaryEmbedding(LlamaRotaryEmbedding):
    """Llama's rotary embedding under the family name."""


class Qwen2Attention(LlamaAttention):
    """Llama attention with biased q/k/v, windowed on ``"sliding_attention"`` layers."""

    @staticmethod
    def _projection_biases(config: PretrainedConfig) -> tuple[bool, bool]:
        return True, False

    @staticmethod
    def _sliding_window(config: PretrainedConfig, layer_idx: int) -> int | None:
        if config.layer_types[layer_idx] == "sliding_attention":
            return config.sliding_window
        return None


class Qwen2DecoderLayer(LlamaDecoderLayer):
    """Llama's decoder layer with :class:`Qwen2Attention`."""

    attention_class = Qwen2Attention
    mlp_class = Qwen2MLP
    norm_class = Qwen2RMSNorm


class Qwen2PreTrainedModel(LlamaPreTrainedModel):
    """Shared base of the Qwen2 models."""

    config_class = Qwen2Config
    _no_split_modules = ["Qwen2DecoderLayer"]


class Qwen2Model(Qwen2PreTrainedModel, LlamaModel):
    """The Qwen2 body (Llama's, with biased q/k/v and optional sliding layers)."""

    decoder_layer_class = Qwen2DecoderLayer
    rotary_class = Qwen2RotaryEmbedding


class Qwen2ForCausalLM(Qwen2PreTrainedModel, LlamaForCausalLM):
    """Qwen2 with the language-model head."""

    base_model_class = Qwen2Model


class Qwen2ForSequenceClassification(Qwen2PreTrainedModel, LlamaForSequenceClassification):
    """Qwen2 with a last-token classification head."""

    base_model_class = Qwen2Model


__all__ = [
    "Qwen2Config", "Qwen2MLP", "Qwen2RMSNorm", "Qwen2RotaryEmbedding", "Qwen2Attention", "Qwen2DecoderLayer",
    "Qwen2PreTrainedModel", "Qwen2Model", "Qwen2ForCausalLM", "Qwen2ForSequenceClassification",
]
