"""Llama: configuration, decoder blocks (RMSNorm, RoPE, grouped-query attention, gated MLP) and heads.

Read top to bottom: the config, the leaf modules, the decoder layer, ``LlamaModel``, then
the causal-LM and sequence-classification heads. Mistral and Qwen2 reuse these classes
through the small hooks marked "variation point" (projection biases, per-layer sliding
window, module classes), so their files only state how they differ.

Parameter names are the reference's (``model.layers.0.self_attn.q_proj.weight``,
``model.norm.weight``, ``lm_head.weight``), so its checkpoints load as they are.

Example:
    >>> import torch
    >>> from embrace.models.llama import LlamaConfig, LlamaForCausalLM
    >>> config = LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
    ...                      num_attention_heads=4, num_key_value_heads=2)
    >>> model = LlamaForCausalLM(config).eval()
    >>> out = model(torch.tensor([[1, 5, 7]]))
    >>> out.logits.shape, out.past_key_values.get_seq_length()
    (torch.Size([1, 3, 64]), 3)
"""

from __future__ import annotations

import functools
from typing import Any, Union

import torch
import torch.utils.checkpoint
from torch import nn

from embrace.configuration import PretrainedConfig
from embrace.errors import ConfigError
from embrace.modeling.activations import ACT2FN
from embrace.modeling.attention import ALL_ATTENTION_FUNCTIONS, make_decoder_masks
from embrace.modeling.cache import Cache, DynamicCache, cache_from_legacy
from embrace.generation.utils import GenerationMixin
from embrace.modeling import losses
from embrace.modeling.modeling_utils import PreTrainedModel
from embrace.modeling.norms import RMSNorm
from embrace.modeling.outputs import (
    BaseModelOutputWithPast,
    CausalLMOutputWithPast,
    SequenceClassifierOutputWithPast,
)
from embrace.modeling.rotary import RopeConfigMixin, RotaryEmbedding, apply_rotary_pos_emb
from embrace.utils.logging import get_logger, warning_once

logger = get_logger(__name__)

Tensor = torch.Tensor
OptTensor = Union[torch.Tensor, None]



class LlamaConfig(RopeConfigMixin, PretrainedConfig):
    """Configuration of a Llama model (the fields of its ``config.json``); defaults are Llama-2-7B.

    ``rope_scaling`` / ``rope_theta`` (older files) are folded into ``rope_parameters``;
    ``head_dim`` defaults to ``hidden_size // num_attention_heads`` and
    ``num_key_value_heads`` to ``num_attention_heads`` (plain multi-head attention).

    Example:
        >>> config = LlamaConfig(hidden_size=64, num_attention_heads=4, rope_theta=5e5)
        >>> config.head_dim, config.num_key_value_heads, config.rope_parameters
        (16, 4, {'rope_theta': 500000.0, 'rope_type': 'default'})
    """

    model_type = "llama"
    keys_to_ignore_at_inference = ["past_key_values"]

    vocab_size: int = 32000
    hidden_size: int = 4096
    intermediate_size: int = 11008
    num_hidden_layers: int = 32
    num_attention_heads: int = 32
    num_key_value_heads: int | None = None
    hidden_act: str = "silu"
    max_position_embeddings: int = 2048
    initializer_range: float = 0.02
    rms_norm_eps: float = 1e-6
    use_cache: bool = True
    pad_token_id: int | None = None
    bos_token_id: int | None = 1
    eos_token_id: int | list[int] | None = 2
    pretraining_tp: int | None = 1
    tie_word_embeddings: bool = False
    rope_parameters: dict | None = None
    attention_bias: bool = False
    attention_dropout: int | float | None = 0.0
    mlp_bias: bool = False
    head_dim: int | None = None

    def __post_init__(self, **kwargs: Any) -> None:
        derive_decoder_fields(self, kwargs)
        super().__post_init__(**kwargs)

    def validate_architecture(self) -> None:
        """Heads must split the hidden size, and key/value heads must divide the query heads."""
        validate_decoder_heads(self)


def derive_decoder_fields(config: Any, kwargs: dict[str, Any]) -> None:
    """Fill the derived fields of a Llama-like config and fold legacy RoPE keys out of ``kwargs``.

    ``head_dim`` (only where the family declares it) defaults to ``hidden_size //
    num_attention_heads``; ``num_key_value_heads`` to ``num_attention_heads``.
    """
    if "head_dim" in type(config)._fields and config.head_dim is None:
        config.head_dim = config.hidden_size // config.num_attention_heads
    if config.num_key_value_heads is None:
        config.num_key_value_heads = config.num_attention_heads
    config._standardize_rope(kwargs)


def validate_decoder_heads(config: Any) -> None:
    """Raise :class:`ConfigError` unless the heads split the hidden size and the KV heads divide them."""
    if config.hidden_size % config.num_attention_heads != 0:
        raise ConfigError(
            f"The hidden size ({config.hidden_size}) is not a multiple of the number of attention "
            f"heads ({config.num_attention_heads}); pick num_attention_heads dividing hidden_size."
        )
    if config.num_attention_heads % config.num_key_value_heads != 0:
        raise ConfigError(
            f"num_attention_heads ({config.num_attention_heads}) must be a multiple of num_key_value_heads "
            f"({config.num_key_value_heads}): each key/value head serves a whole group of query heads."
        )


# --- leaf modules ---------------------------------------------------------------------


class LlamaRMSNorm(RMSNorm):
    """RMS normalisation (the shared :class:`~embrace.modeling.norms.RMSNorm` under the family name).

    Example:
        >>> import torch
        >>> LlamaRMSNorm(4)(torch.ones(1, 4)).tolist()
        [[0.9999995231628418, 0.9999995231628418, 0.9999995231628418, 0.9999995231628418]]
    """

    def forward(self, hidden_states: Tensor) -> Tensor:
        if hidden_states.dtype == torch.float32 and self.weight.dtype == torch.float32:
            # One fused kernel instead of ~8 small ops per call (61 calls per SmolLM2 decoding step);
            # in float32 it computes exactly the same values as the upcasting formula.
            return nn.functional.rms_norm(hidden_states, self.weight.shape, self.weight, self.variance_epsilon)
        return super().forward(hidden_states)


class LlamaRotaryEmbedding(RotaryEmbedding):
    """Rotary embeddings driven by ``config.rope_parameters`` (default, linear, dynamic, llama3, yarn).

    Example:
        >>> import torch
        >>> rope = LlamaRotaryEmbedding(LlamaConfig(hidden_size=32, num_attention_heads=4))
        >>> [t.shape for t in rope(torch.zeros(1), torch.arange(5)[None])]
        [torch.Size([1, 5, 8]), torch.Size([1, 5, 8])]
    """


class LlamaMLP(nn.Module):
    """Gated feed-forward: ``down(act(gate(x)) * up(x))``.

    Example:
        >>> import torch
        >>> mlp = LlamaMLP(LlamaConfig(hidden_size=8, intermediate_size=16, num_attention_heads=2))
        >>> mlp(torch.zeros(1, 3, 8)).shape
        torch.Size([1, 3, 8])
    """

    def __init__(self, config: PretrainedConfig) -> None:
        super().__init__()
        self.config = config
        self.hidden_size = config.hidden_size
        self.intermediate_size = config.intermediate_size
        bias = getattr(config, "mlp_bias", False)
        self.gate_proj = nn.Linear(self.hidden_size, self.intermediate_size, bias=bias)
        self.up_proj = nn.Linear(self.hidden_size, self.intermediate_size, bias=bias)
        self.down_proj = nn.Linear(self.intermediate_size, self.hidden_size, bias=bias)
        self.act_fn = ACT2FN[config.hidden_act]

    def forward(self, x: Tensor) -> Tensor:
        return self.down_proj(self.act_fn(self.gate_proj(x)) * self.up_proj(x))


class LlamaAttention(nn.Module):
    """Grouped-query self-attention with rotary positions and a KV cache.

    ``num_key_value_heads`` key/value heads each serve ``num_attention_heads //
    num_key_value_heads`` query heads. Returns ``(output (batch, seq, hidden), weights or None)``.

    Example:
        >>> import torch
        >>> config = LlamaConfig(hidden_size=16, num_attention_heads=4, num_key_value_heads=2)
        >>> attn = LlamaAttention(config, layer_idx=0)
        >>> cos_sin = LlamaRotaryEmbedding(config)(torch.zeros(1), torch.arange(3)[None])
        >>> attn(torch.zeros(1, 3, 16), cos_sin)[0].shape
        torch.Size([1, 3, 16])
    """

    def __init__(self, config: PretrainedConfig, layer_idx: int) -> None:
        super().__init__()
        self.config = config
        self.layer_idx = layer_idx
        self.head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
        self.num_key_value_groups = config.num_attention_heads // config.num_key_value_heads
        self.scaling = self.head_dim**-0.5
        self.attention_dropout = config.attention_dropout
        self.is_causal = True
        self.sliding_window = self._sliding_window(config, layer_idx)
        qkv_bias, o_bias = self._projection_biases(config)
        q_size = config.num_attention_heads * self.head_dim
        kv_size = config.num_key_value_heads * self.head_dim
        self.q_proj = nn.Linear(config.hidden_size, q_size, bias=qkv_bias)
        self.k_proj = nn.Linear(config.hidden_size, kv_size, bias=qkv_bias)
        self.v_proj = nn.Linear(config.hidden_size, kv_size, bias=qkv_bias)
        self.o_proj = nn.Linear(q_size, config.hidden_size, bias=o_bias)

    # Variation point: Qwen2 has biased q/k/v but an unbiased output projection.
    @staticmethod
    def _projection_biases(config: PretrainedConfig) -> tuple[bool, bool]:
        bias = getattr(config, "attention_bias", False)
        return bias, bias

    # Variation point: Mistral and Qwen2 restrict some layers to a window of recent keys.
    @staticmethod
    def _sliding_window(config: PretrainedConfig, layer_idx: int) -> int | None:
        return None

    def forward(
        self, hidden_states: Tensor, position_embeddings: tuple[Tensor, Tensor], attention_mask: OptTensor = None,
        past_key_values: Cache | None = None, *, output_attentions: bool = False,
    ) -> tuple[Tensor, OptTensor]:
        batch, seq = hidden_states.shape[:2]
        shape = (batch, seq, -1, self.head_dim)
        query = self.q_proj(hidden_states).view(shape).transpose(1, 2)  # (batch, heads, seq, head_dim)
        key = self.k_proj(hidden_states).view(shape).transpose(1, 2)  # (batch, kv_heads, seq, head_dim)
        value = self.v_proj(hidden_states).view(shape).transpose(1, 2)
        cos, sin = position_embeddings
        query, key = apply_rotary_pos_emb(query, key, cos, sin)
        if past_key_values is not None:
            key, value = past_key_values.update(key, value, self.layer_idx)  # (batch, kv_heads, cached + seq, d)
        attention = ALL_ATTENTION_FUNCTIONS[self.config._attn_implementation or "sdpa"]
        output, weights = attention(
            self, query, key, value, attention_mask,
            scaling=self.scaling, dropout=self.attention_dropout if self.training else 0.0,
            output_attentions=output_attentions,
        )  # (batch, seq, heads, head_dim)
        return self.o_proj(output.reshape(batch, seq, -1)), weights


class LlamaDecoderLayer(nn.Module):
    """Pre-norm block: ``x + attn(norm(x))`` then ``x + mlp(norm(x))``.

    Example:
        >>> import torch
        >>> config = LlamaConfig(hidden_size=16, intermediate_size=32, num_attention_heads=4)
        >>> cos_sin = LlamaRotaryEmbedding(config)(torch.zeros(1), torch.arange(2)[None])
        >>> LlamaDecoderLayer(config, 0)(torch.zeros(1, 2, 16), cos_sin)[0].shape
        torch.Size([1, 2, 16])
    """

    attention_class: type[LlamaAttention] = LlamaAttention
    mlp_class: type[nn.Module] = LlamaMLP
    norm_class: type[RMSNorm] = LlamaRMSNorm

    def __init__(self, config: PretrainedConfig, layer_idx: int) -> None:
        super().__init__()
        self.hidden_size = config.hidden_size
        self.self_attn = self.attention_class(config, layer_idx)
        self.mlp = self.mlp_class(config)
        self.input_layernorm = self.norm_class(config.hidden_size, eps=config.rms_norm_eps)
        self.post_attention_layernorm = self.norm_class(config.hidden_size, eps=config.rms_norm_eps)

    def forward(
        self, hidden_states: Tensor, position_embeddings: tuple[Tensor, Tensor], attention_mask: OptTensor = None,
        past_key_values: Cache | None = None, *, output_attentions: bool = False,
    ) -> tuple[Tensor, OptTensor]:
        attended, weights = self.self_attn(
            self.input_layernorm(hidden_states), position_embeddings, attention_mask, past_key_values,
            output_attentions=output_attentions,
        )
        hidden_states = hidden_states + attended
        hidden_states = hidden_states + self.mlp(self.post_attention_layernorm(hidden_states))
        return hidden_states, weights


# --- models ---------------------------------------------------------------------------


class LlamaPreTrainedModel(PreTrainedModel):
    """Shared base of the Llama models: config class, weight init, output plumbing.

    Example:
        >>> config = LlamaConfig(vocab_size=10, hidden_size=8, intermediate_size=16, num_attention_heads=2,
        ...                      num_hidden_layers=1, tie_word_embeddings=True)
        >>> model = LlamaForCausalLM(config)
        >>> model.lm_head.weight is model.model.embed_tokens.weight
        True
    """

    config_class = LlamaConfig
    base_model_prefix = "model"
    supports_gradient_checkpointing = True
    _no_split_modules = ["LlamaDecoderLayer"]
    _supports_sdpa = True


class LlamaModel(LlamaPreTrainedModel):
    """The Llama body: token embeddings, the decoder layers and a final RMSNorm.

    ``attention_mask`` (batch, past + seq) marks padding (left padding works with a cache);
    ``position_ids`` default to ``past .. past + seq - 1``. With ``use_cache`` (default: the
    config's) a :class:`~embrace.modeling.cache.DynamicCache` is returned in
    ``past_key_values``; a legacy tuple cache is accepted too. ``position_ids`` that restart
    inside a row (packed examples, ``DataCollatorWithFlattening``) keep the examples apart when
    neither ``attention_mask`` nor a cache is used (``use_cache=False``), as in the reference.

    Example:
        >>> import torch
        >>> config = LlamaConfig(vocab_size=50, hidden_size=16, intermediate_size=32, num_hidden_layers=2,
        ...                      num_attention_heads=4)
        >>> out = LlamaModel(config)(torch.tensor([[2, 3, 4]]), output_hidden_states=True)
        >>> out.last_hidden_state.shape, len(out.hidden_states)
        (torch.Size([1, 3, 16]), 3)
    """

    decoder_layer_class: type[LlamaDecoderLayer] = LlamaDecoderLayer
    rotary_class: type[RotaryEmbedding] = LlamaRotaryEmbedding

    def __init__(self, config: LlamaConfig) -> None:
        super().__init__(config)
        self.padding_idx = config.pad_token_id
        self.vocab_size = config.vocab_size
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size, self.padding_idx)
        self.layers = nn.ModuleList(
            [self.decoder_layer_class(config, layer_idx) for layer_idx in range(config.num_hidden_layers)]
        )
        self.norm = self.decoder_layer_class.norm_class(config.hidden_size, eps=config.rms_norm_eps)
        self.rotary_emb = self.rotary_class(config)
        self.gradient_checkpointing = False
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embed_tokens

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.embed_tokens = value

    def _masks(self, attention_mask: OptTensor, embeds: Tensor, past_length: Any, cache_position: Tensor,
               cache: Cache | None, position_ids: OptTensor = None) -> dict[int | None, OptTensor]:
        """One mask per distinct sliding window among the layers (``None`` = full causal); see
        :func:`~embrace.modeling.attention.make_decoder_masks` for the packed / static / growing cases."""
        return make_decoder_masks(
            attention_mask, position_ids=position_ids, cache=cache, cache_position=cache_position,
            batch_size=embeds.shape[0], query_length=embeds.shape[1], past_length=past_length,
            sliding_windows=[layer.self_attn.sliding_window for layer in self.layers],
            dtype=embeds.dtype, boolean=ALL_ATTENTION_FUNCTIONS.boolean_masks(self.config._attn_implementation or "sdpa"),
            device=embeds.device,
        )

    def forward(
        self,
        input_ids: OptTensor = None,
        attention_mask: OptTensor = None,
        position_ids: OptTensor = None,
        past_key_values: Cache | tuple | None = None,
        inputs_embeds: OptTensor = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        cache_position: OptTensor = None,
    ) -> BaseModelOutputWithPast | tuple:
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("You must specify exactly one of input_ids or inputs_embeds")
        config = self.config
        output_attentions = config.output_attentions if output_attentions is None else output_attentions
        output_hidden_states = config.output_hidden_states if output_hidden_states is None else output_hidden_states
        use_cache = config.use_cache if use_cache is None else use_cache
        checkpointing = self.gradient_checkpointing and self.training
        if use_cache and checkpointing:
            warning_once(logger, "use_cache=True does not work with gradient checkpointing; using use_cache=False.")
            use_cache = False
        if inputs_embeds is None:
            inputs_embeds = self.embed_tokens(input_ids)  # (batch, seq, hidden)
        past_key_values = cache_from_legacy(past_key_values)
        if use_cache and past_key_values is None:
            past_key_values = DynamicCache(config=config)
        # An int, or a 0-d tensor for a static cache under torch.compile (no recompiles as it grows).
        past_length = past_key_values.get_seq_length() if past_key_values is not None else 0
        if cache_position is None:
            cache_position = torch.arange(inputs_embeds.shape[1], device=inputs_embeds.device) + past_length  # (seq,)
        masks = self._masks(attention_mask, inputs_embeds, past_length, cache_position, past_key_values, position_ids)
        if position_ids is None:
            position_ids = cache_position[None, :]  # (1, seq)
        hidden_states = inputs_embeds
        position_embeddings = self.rotary_emb(hidden_states, position_ids)  # cos, sin: (batch, seq, head_dim)
        all_hidden: list[Tensor] = []
        all_attentions: list[Tensor] = []
        for layer in self.layers[: config.num_hidden_layers]:
            if output_hidden_states:
                all_hidden.append(hidden_states)
            mask = masks[layer.self_attn.sliding_window]
            if checkpointing:
                # Recompute the layer in backward instead of storing its activations.
                checkpoint = getattr(self, "_gradient_checkpointing_func", None) or functools.partial(
                    torch.utils.checkpoint.checkpoint, use_reentrant=False
                )
                run = functools.partial(layer.__call__, output_attentions=bool(output_attentions))
                hidden_states, weights = checkpoint(run, hidden_states, position_embeddings, mask, past_key_values)
            else:
                hidden_states, weights = layer(
                    hidden_states, position_embeddings, mask, past_key_values, output_attentions=bool(output_attentions)
                )
            if weights is not None:
                all_attentions.append(weights)
        hidden_states = self.norm(hidden_states)
        if output_hidden_states:
            # Like the reference, the last entry is the normalised output, not the raw last layer.
            all_hidden.append(hidden_states)
        output = BaseModelOutputWithPast(
            last_hidden_state=hidden_states, past_key_values=past_key_values if use_cache else None,
        )
        if output_hidden_states:
            output["hidden_states"] = tuple(all_hidden)
        if output_attentions:
            output["attentions"] = tuple(all_attentions)
        return self._finish(output, return_dict)



class LlamaForCausalLM(LlamaPreTrainedModel, GenerationMixin):
    """Llama with the language-model head (``lm_head``, tied to the embeddings when the config says so).

    ``labels`` give the shifted next-token loss (``-100`` ignored); ``logits_to_keep=n``
    computes logits for the last ``n`` positions only (``0`` = all).

    Example:
        >>> import torch
        >>> config = LlamaConfig(vocab_size=50, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
        ...                      num_attention_heads=4)
        >>> out = LlamaForCausalLM(config)(torch.tensor([[2, 3, 4]]), labels=torch.tensor([[2, 3, 4]]))
        >>> out.logits.shape, out.loss.ndim
        (torch.Size([1, 3, 50]), 0)
    """

    _tied_weights_keys = {"lm_head.weight": "model.embed_tokens.weight"}
    base_model_class: type[LlamaModel] = LlamaModel

    def __init__(self, config: LlamaConfig) -> None:
        super().__init__(config)
        self.model = self.base_model_class(config)
        self.vocab_size = config.vocab_size
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.post_init()

    @classmethod
    def can_generate(cls) -> bool:
        return True

    def forward(
        self,
        input_ids: OptTensor = None,
        attention_mask: OptTensor = None,
        position_ids: OptTensor = None,
        past_key_values: Cache | tuple | None = None,
        inputs_embeds: OptTensor = None,
        labels: OptTensor = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        cache_position: OptTensor = None,
        logits_to_keep: int | Tensor = 0,
        **loss_kwargs: Any,
    ) -> CausalLMOutputWithPast | tuple:
        losses.check_loss_kwargs(type(self).__name__, loss_kwargs)
        outputs = self.model(
            input_ids, attention_mask, position_ids, past_key_values, inputs_embeds, use_cache,
            output_attentions, output_hidden_states, return_dict=True, cache_position=cache_position,
        )
        logits = self.lm_head(losses.keep_positions(outputs.last_hidden_state, logits_to_keep))  # (batch, kept, vocab)
        loss = None if labels is None else losses.causal_lm_loss(logits, labels, self.config.vocab_size, **loss_kwargs)
        output = CausalLMOutputWithPast(
            loss=loss, logits=logits, past_key_values=outputs.past_key_values,
            hidden_states=outputs.hidden_states, attentions=outputs.attentions,
        )
        return self._finish(output, return_dict)


def sequence_classification_loss(config: PretrainedConfig, logits: Tensor, labels: Tensor) -> Tensor:
    """The loss ``config.problem_type`` asks for, inferring (and storing) it when unset.

    One label -> regression (MSE); integer labels -> single-label (cross-entropy);
    otherwise multi-label (BCE with logits).

    Example:
        >>> import torch
        >>> config = LlamaConfig(num_labels=3)
        >>> float(sequence_classification_loss(config, torch.zeros(1, 3), torch.tensor([0]))) > 0
        True
        >>> config.problem_type
        'single_label_classification'
    """
    num_labels = config.num_labels
    if config.problem_type is None:
        if num_labels == 1:
            config.problem_type = "regression"
        elif labels.dtype in (torch.long, torch.int):
            config.problem_type = "single_label_classification"
        else:
            config.problem_type = "multi_label_classification"
    labels = labels.to(logits.device)
    if config.problem_type == "regression":
        if num_labels == 1:
            return nn.functional.mse_loss(logits.squeeze(), labels.squeeze())
        return nn.functional.mse_loss(logits, labels)
    if config.problem_type == "single_label_classification":
        return nn.functional.cross_entropy(logits.view(-1, num_labels), labels.view(-1))
    return nn.functional.binary_cross_entropy_with_logits(logits, labels)


def last_token_indices(input_ids: OptTensor, batch_size: int, pad_token_id: int | None, device: torch.device) -> Tensor | int:
    """Index of the last non-padding token of each row (left or right padding), or ``-1``.

    Example:
        >>> import torch
        >>> last_token_indices(torch.tensor([[0, 5, 6], [5, 6, 0]]), 2, 0, torch.device("cpu")).tolist()
        [2, 1]
    """
    if pad_token_id is None and batch_size != 1:
        raise ValueError(
            "Cannot handle batch sizes > 1 if no padding token is defined: set config.pad_token_id so the last "
            "real token of each row can be found."
        )
    if pad_token_id is None:
        return -1
    if input_ids is None:
        warning_once(logger, "Padding cannot be detected in inputs_embeds; the last position of each row is used.")
        return -1
    real = (input_ids != pad_token_id).to(device, torch.int32)
    positions = torch.arange(input_ids.shape[-1], device=device, dtype=torch.int32)
    return (positions * real).argmax(-1)  # (batch,)


class LlamaForSequenceClassification(LlamaPreTrainedModel):
    """Llama with a linear ``score`` head read at the last non-padding token of each row.

    Example:
        >>> import torch
        >>> config = LlamaConfig(vocab_size=50, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
        ...                      num_attention_heads=4, num_labels=3, pad_token_id=0)
        >>> LlamaForSequenceClassification(config)(torch.tensor([[0, 3, 4], [3, 4, 5]])).logits.shape
        torch.Size([2, 3])
    """

    base_model_class: type[LlamaModel] = LlamaModel

    def __init__(self, config: LlamaConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.model = self.base_model_class(config)
        self.score = nn.Linear(config.hidden_size, self.num_labels, bias=False)
        self.post_init()

    def forward(
        self,
        input_ids: OptTensor = None,
        attention_mask: OptTensor = None,
        position_ids: OptTensor = None,
        past_key_values: Cache | tuple | None = None,
        inputs_embeds: OptTensor = None,
        labels: OptTensor = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> SequenceClassifierOutputWithPast | tuple:
        outputs = self.model(
            input_ids, attention_mask, position_ids, past_key_values, inputs_embeds, use_cache,
            output_attentions, output_hidden_states, return_dict=True,
        )
        logits = self.score(outputs.last_hidden_state)  # (batch, seq, num_labels)
        batch = logits.shape[0]
        last = last_token_indices(input_ids, batch, self.config.pad_token_id, logits.device)
        pooled = logits[torch.arange(batch, device=logits.device), last]  # (batch, num_labels)
        loss = None if labels is None else sequence_classification_loss(self.config, pooled, labels)
        output = SequenceClassifierOutputWithPast(
            loss=loss, logits=pooled, past_key_values=outputs.past_key_values,
            hidden_states=outputs.hidden_states, attentions=outputs.attentions,
        )
        return self._finish(output, return_dict)


__all__ = [
    "LlamaConfig", "LlamaRMSNorm", "LlamaRotaryEmbedding", "LlamaMLP", "LlamaAttention", "LlamaDecoderLayer",
    "LlamaPreTrainedModel", "LlamaModel", "LlamaForCausalLM", "LlamaForSequenceClassification",
]
