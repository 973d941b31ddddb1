"""Mistral: Llama with a sliding attention window and its own config defaults.

Every module is Llama's; the only behavioural difference is that, when
``config.sliding_window`` is set, each query attends to at most that many most recent
keys (itself included). Parameter names are the reference's.

Example:
    >>> import torch
    >>> from embrace.models.mistral import MistralConfig, MistralForCausalLM
    >>> config = MistralConfig(vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
    ...                        num_attention_heads=4, num_key_value_heads=2, sliding_window=3)
    >>> MistralForCausalLM(config)(torch.tensor([[1, 5, 7, 9]])).logits.shape
    torch.Size([1, 4, 64])
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


class MistralConfig(RopeConfigMixin, PretrainedConfig):
    """Configuration of a Mistral model; defaults are Mistral-7B (GQA 32/8, window 4096).

    Example:
        >>> config = MistralConfig(hidden_size=64, num_attention_heads=4, num_key_value_heads=2)
        >>> config.sliding_window, config.head_dim
        (4096, 16)
    """

    model_type = "mistral"
    keys_to_ignore_at_inference = ["past_key_values"]

    vocab_size: int = 32000
    hidden_size: int = 4096
    intermediate_size: int = 14336
    num_hidden_layers: int = 32
    num_attention_heads: int = 32
    num_key_value_heads: int | None = 8
    head_dim: int | None = None
    hidden_act: str = "silu"
    max_position_embeddings: int = 4096 * 32
    initializer_range: float = 0.02
    rms_norm_eps: float = 1e-6
    use_cache: bool = True
    pad_token_id: int | None = None
    bos_token_id: int | None = 1
    eos_token_id: int | list[int] | None = 2
    tie_word_embeddings: bool = False
    rope_parameters: dict | None = None
    sliding_window: int | None = 4096
    attention_dropout: int | float = 0.0

    def __post_init__(self, **kwargs: Any) -> None:
        derive_decoder_fields(self, kwargs)
        super().__post_init__(**kwargs)

    def validate_architecture(self) -> None:
        """Heads must split the hidden size, and key/value heads must divide the query heads."""
        validate_decoder_heads(self)


class MistralMLP(LlamaMLP):
    """Llama's gated MLP (Mistral configs have no ``mlp_bias``: never biased)."""


class MistralRMSNorm(LlamaRMSNorm):
    """Llama's RMSNorm under the family name."""


class MistralRotaryEmbedding(LlamaRotaryEmbedding):
    """Llama's rotary embedding under the family name."""


class MistralAttention(LlamaAttention):
    """Llama attention restricted to the last ``config.sliding_window`` keys (every layer)."""

    @staticmethod
    def _sliding_window(config: PretrainedConfig, layer_idx: int) -> int | None:
        return getattr(config, "sliding_window", None)


class MistralDecoderLayer(LlamaDecoderLayer):
    """Llama's decoder layer with :class:`MistralAttention`."""

    attention_class = MistralAttention
    mlp_class = MistralMLP
    norm_class = MistralRMSNorm


class MistralPreTrainedModel(LlamaPreTrainedModel):
    """Shared base of the Mistral models."""

    config_class = MistralConfig
    _no_split_modules = ["MistralDecoderLayer"]


class MistralModel(MistralPreTrainedModel, LlamaModel):
    """The Mistral body (Llama's, with sliding-window layers)."""

    decoder_layer_class = MistralDecoderLayer
    rotary_class = MistralRotaryEmbedding


class MistralForCausalLM(MistralPreTrainedModel, LlamaForCausalLM):
    """Mistral with the language-model head."""

    base_model_class = MistralModel


class MistralForSequenceClassification(MistralPreTrainedModel, LlamaForSequenceClassification):
    """Mistral with a last-token classification head."""

    base_model_class = MistralModel


__all__ = [
    "MistralConfig", "MistralMLP", "MistralRMSNorm", "MistralRotaryEmbedding", "MistralAttention",
    "MistralDecoderLayer", "MistralPreTrainedModel", "MistralModel", "MistralForCausalLM",
    "MistralForSequenceClassification",
]
