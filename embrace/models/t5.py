"""T5: configuration, the encoder/decoder stacks with bucketed relative attention, and the heads.

T5 has no absolute positions: the first block of each stack owns a small table
(``relative_attention_bias``, one scalar per head and distance bucket) and the bias it
gives is added to the attention scores of every block of that stack. Scores are not
scaled by ``1/sqrt(head_dim)`` (the scale is folded into the initialisation), the norms
are RMS-style without bias, and the feed-forward is ``relu`` (T5 v1.0) or gated
``gelu_new`` (v1.1 / FLAN, ``feed_forward_proj="gated-gelu"``).

The bias and the padding / causal mask are merged into one additive float mask before
the attention function is called, so every backend of ``ALL_ATTENTION_FUNCTIONS``
(``eager``, ``sdpa``, ...) runs T5 through the shared signature.

Like the current reference, the word embedding is always tied to the LM head; a config
saved with ``tie_word_embeddings=False`` (v1.1 / FLAN) only means that the decoder output
is not multiplied by ``d_model ** -0.5`` before the head (``config.scale_decoder_outputs``).
A checkpoint whose ``lm_head.weight`` differs from ``shared.weight`` loads untied.

Example:
    >>> import torch
    >>> from embrace.models.t5 import T5Config, T5ForConditionalGeneration
    >>> config = T5Config(vocab_size=40, d_model=16, d_kv=4, d_ff=32, num_layers=2, num_heads=4,
    ...                   decoder_start_token_id=0)
    >>> model = T5ForConditionalGeneration(config).eval()
    >>> out = model(torch.tensor([[5, 6, 1]]), labels=torch.tensor([[7, 1]]))
    >>> out.logits.shape, out.loss.ndim
    (torch.Size([1, 2, 40]), 0)
"""

from __future__ import annotations

import copy
from typing import Any, Union

import torch
from torch import nn

from embrace.configuration import PretrainedConfig
from embrace.errors import ConfigError
from embrace.generation.utils import GenerationMixin
from embrace.modeling import losses, seq2seq
from embrace.modeling.activations import ACT2FN
from embrace.modeling.attention import ALL_ATTENTION_FUNCTIONS, causal_keep_mask, make_attention_mask
from embrace.modeling.cache import Cache, cache_from_legacy
from embrace.modeling.modeling_utils import PreTrainedModel
from embrace.modeling.norms import RMSNorm
from embrace.modeling.outputs import (
    BaseModelOutput,
    BaseModelOutputWithPastAndCrossAttentions,
    Seq2SeqLMOutput,
    Seq2SeqModelOutput,
    Seq2SeqQuestionAnsweringModelOutput,
    Seq2SeqSequenceClassifierOutput,
    TokenClassifierOutput,
)
from embrace.modeling.positions import relative_position_bucket

Tensor = torch.Tensor
OptTensor = Union[torch.Tensor, None]


class T5Config(PretrainedConfig):
    """Configuration of a T5 model (the fields of its ``config.json``); defaults are t5-small.

    Derived on construction: ``num_decoder_layers`` (defaults to ``num_layers``),
    ``dense_act_fn`` / ``is_gated_act`` from ``feed_forward_proj`` and
    ``scale_decoder_outputs`` (``False`` when ``tie_word_embeddings=False`` was given).

    Example:
        >>> config = T5Config(feed_forward_proj="gated-gelu", tie_word_embeddings=False)
        >>> config.dense_act_fn, config.is_gated_act, config.scale_decoder_outputs, config.hidden_size
        ('gelu_new', True, False, 512)
    """

    model_type = "t5"
    keys_to_ignore_at_inference = ["past_key_values"]
    attribute_map = {
        "hidden_size": "d_model", "num_attention_heads": "num_heads", "num_hidden_layers": "num_layers",
        "head_dim": "d_kv",
    }

    vocab_size: int = 32128
    d_model: int = 512
    d_kv: int = 64
    d_ff: int = 2048
    num_layers: int = 6
    num_decoder_layers: int | None = None
    num_heads: int = 8
    relative_attention_num_buckets: int = 32
    relative_attention_max_distance: int = 128
    dropout_rate: float | int = 0.1
    layer_norm_epsilon: float = 1e-6
    initializer_factor: float = 1.0
    feed_forward_proj: str = "relu"
    is_encoder_decoder: bool = True
    use_cache: bool = True
    pad_token_id: int | None = 0
    eos_token_id: int | list[int] | None = 1
    classifier_dropout: float | int = 0.0
    is_decoder: bool = False

    def __post_init__(self, **kwargs: Any) -> None:
        self._derive_feed_forward()
        # Original T5 scaled the decoder output before the (tied) head; v1.1 checkpoints say
        # they do not by saving tie_word_embeddings=False. The head itself is always tied.
        self.scale_decoder_outputs = kwargs.pop("tie_word_embeddings", None) is not False
        self.tie_word_embeddings = True
        super().__post_init__(**kwargs)

    def _post_init_tied_head(self, **kwargs: Any) -> None:
        """The ``__post_init__`` of mT5 / UMT5: the saved ``tie_word_embeddings`` is ignored (always tied)."""
        self._derive_feed_forward()
        kwargs.pop("tie_word_embeddings", None)
        self.tie_word_embeddings = True
        PretrainedConfig.__post_init__(self, **kwargs)

    def _derive_feed_forward(self) -> None:
        if self.num_decoder_layers is None:
            self.num_decoder_layers = self.num_layers
        parts = self.feed_forward_proj.split("-")
        self.dense_act_fn = "gelu_new" if self.feed_forward_proj == "gated-gelu" else parts[-1]
        self.is_gated_act = parts[0] == "gated"

    def validate_architecture(self) -> None:
        """``feed_forward_proj`` must read ``ACT`` or ``gated-ACT``."""
        parts = self.feed_forward_proj.split("-")
        if len(parts) > 2 or (len(parts) == 2 and parts[0] != "gated"):
            raise ConfigError(
                f"feed_forward_proj={self.feed_forward_proj!r} is not a valid feed-forward type; use an activation "
                "name ('relu') or 'gated-' followed by one ('gated-gelu')."
            )


class T5LayerNorm(RMSNorm):
    """T5's RMS norm: no mean, no bias; half-precision weights get a half-precision result.

    Example:
        >>> T5LayerNorm(4)(torch.ones(1, 4)).tolist()
        [[0.9999995231628418, 0.9999995231628418, 0.9999995231628418, 0.9999995231628418]]
    """

    def forward(self, hidden_states: Tensor) -> Tensor:
        variance = hidden_states.to(torch.float32).pow(2).mean(-1, keepdim=True)
        hidden_states = hidden_states * torch.rsqrt(variance + self.variance_epsilon)
        if self.weight.dtype in (torch.float16, torch.bfloat16):
            hidden_states = hidden_states.to(self.weight.dtype)
        return self.weight * hidden_states


class T5DenseActDense(nn.Module):
    """``wo(dropout(act(wi(x))))`` - the T5 v1.0 feed-forward.

    Example:
        >>> T5DenseActDense(T5Config(d_model=8, d_ff=16))(torch.zeros(1, 2, 8)).shape
        torch.Size([1, 2, 8])
    """

    def __init__(self, config: T5Config) -> None:
        super().__init__()
        self.wi = nn.Linear(config.d_model, config.d_ff, bias=False)
        self.wo = nn.Linear(config.d_ff, config.d_model, bias=False)
        self.dropout = nn.Dropout(config.dropout_rate)
        self.act = ACT2FN[config.dense_act_fn]

    def forward(self, hidden_states: Tensor) -> Tensor:
        hidden_states = self.dropout(self.act(self.wi(hidden_states)))
        return self.wo(hidden_states.to(self.wo.weight.dtype))  # wo may be kept in fp32


class T5DenseGatedActDense(nn.Module):
    """``wo(dropout(act(wi_0(x)) * wi_1(x)))`` - the gated feed-forward of T5 v1.1 / FLAN.

    Example:
        >>> T5DenseGatedActDense(T5Config(d_model=8, d_ff=16, feed_forward_proj="gated-gelu"))(torch.zeros(1, 8)).shape
        torch.Size([1, 8])
    """

    def __init__(self, config: T5Config) -> None:
        super().__init__()
        self.wi_0 = nn.Linear(config.d_model, config.d_ff, bias=False)
        self.wi_1 = nn.Linear(config.d_model, config.d_ff, bias=False)
        self.wo = nn.Linear(config.d_ff, config.d_model, bias=False)
        self.dropout = nn.Dropout(config.dropout_rate)
        self.act = ACT2FN[config.dense_act_fn]

    def forward(self, hidden_states: Tensor) -> Tensor:
        gated = self.act(self.wi_0(hidden_states)) * self.wi_1(hidden_states)  # (..., d_ff)
        return self.wo(self.dropout(gated).to(self.wo.weight.dtype))


class T5LayerFF(nn.Module):
    """Pre-norm residual feed-forward sub-layer (``DenseReluDense`` is either variant).

    Example:
        >>> T5LayerFF(T5Config(d_model=8, d_ff=16))(torch.zeros(1, 2, 8)).shape
        torch.Size([1, 2, 8])
    """

    def __init__(self, config: T5Config) -> None:
        super().__init__()
        dense = T5DenseGatedActDense if config.is_gated_act else T5DenseActDense
        self.DenseReluDense = dense(config)
        self.layer_norm = T5LayerNorm(config.d_model, eps=config.layer_norm_epsilon)
        self.dropout = nn.Dropout(config.dropout_rate)

    def forward(self, hidden_states: Tensor) -> Tensor:
        return hidden_states + self.dropout(self.DenseReluDense(self.layer_norm(hidden_states)))


class T5Attention(nn.Module):
    """Multi-head attention without score scaling; self- or cross-attention, with a KV cache.

    ``mask`` is the additive float mask (relative bias + padding / causality) or, for
    cross-attention, any mask the attention backend takes. Only a layer built with
    ``has_relative_attention_bias`` owns the bucket table and :meth:`compute_bias`.

    Example:
        >>> attn = T5Attention(T5Config(d_model=8, d_kv=4, num_heads=2), has_relative_attention_bias=True)
        >>> attn.compute_bias(3, 3).shape, attn(torch.zeros(1, 3, 8))[0].shape
        (torch.Size([1, 2, 3, 3]), torch.Size([1, 3, 8]))
    """

    def __init__(
        self, config: T5Config, has_relative_attention_bias: bool = False, layer_idx: int | None = None,
        is_causal: bool = False,
    ) -> None:
        super().__init__()
        self.config = config
        self.is_decoder = config.is_decoder
        self.is_causal = is_causal
        self.has_relative_attention_bias = has_relative_attention_bias
        self.relative_attention_num_buckets = config.relative_attention_num_buckets
        self.relative_attention_max_distance = config.relative_attention_max_distance
        self.d_model = config.d_model
        self.key_value_proj_dim = config.d_kv
        self.n_heads = config.num_heads
        self.dropout = config.dropout_rate
        self.inner_dim = self.n_heads * self.key_value_proj_dim
        self.layer_idx = layer_idx
        self.q = nn.Linear(self.d_model, self.inner_dim, bias=False)
        self.k = nn.Linear(self.d_model, self.inner_dim, bias=False)
        self.v = nn.Linear(self.d_model, self.inner_dim, bias=False)
        self.o = nn.Linear(self.inner_dim, self.d_model, bias=False)
        if has_relative_attention_bias:
            self.relative_attention_bias = nn.Embedding(self.relative_attention_num_buckets, self.n_heads)

    def compute_bias(
        self, query_length: int, key_length: int, device: torch.device | None = None, past_seen_tokens: int = 0
    ) -> Tensor:
        """``(1, heads, q_len, kv_len)`` bias; queries sit at ``past_seen_tokens + i``."""
        if device is None:
            device = self.relative_attention_bias.weight.device
        query_pos = torch.arange(query_length, dtype=torch.long, device=device)[:, None] + past_seen_tokens
        key_pos = torch.arange(key_length, dtype=torch.long, device=device)[None, :]
        buckets = relative_position_bucket(
            key_pos - query_pos, bidirectional=not self.is_decoder, num_buckets=self.relative_attention_num_buckets,
            max_distance=self.relative_attention_max_distance,
        )  # (q_len, kv_len)
        return self.relative_attention_bias(buckets).permute(2, 0, 1)[None]  # (1, heads, q_len, kv_len)

    def _split(self, states: Tensor, proj: nn.Linear) -> Tensor:
        return proj(states).view(*states.shape[:2], -1, self.key_value_proj_dim).transpose(1, 2)

    def forward(
        self, hidden_states: Tensor, mask: OptTensor = None, key_value_states: OptTensor = None,
        past_key_values: Cache | None = None, *, output_attentions: bool = False,
    ) -> tuple[Tensor, OptTensor]:
        batch, seq = hidden_states.shape[:2]
        query = self._split(hidden_states, self.q)  # (batch, heads, seq, d_kv)
        cross = key_value_states is not None
        source = key_value_states if cross else hidden_states
        key, value = seq2seq.cached_key_value(
            past_key_values, self.layer_idx, cross=cross,
            project=lambda: (self._split(source, self.k), self._split(source, self.v)),
        )  # (batch, heads, kv_len, d_kv)
        attention = ALL_ATTENTION_FUNCTIONS[self.config._attn_implementation or "sdpa"]
        output, weights = attention(
            self, query, key, value, mask, scaling=1.0, dropout=self.dropout if self.training else 0.0,
            is_causal=False, output_attentions=output_attentions,
        )  # (batch, seq, heads, d_kv); causality, if any, is inside `mask`
        return self.o(output.reshape(batch, seq, -1)), weights


class T5LayerSelfAttention(nn.Module):
    """Pre-norm residual self-attention sub-layer.

    Example:
        >>> T5LayerSelfAttention(T5Config(d_model=8, d_kv=4, num_heads=2))(torch.zeros(1, 3, 8))[0].shape
        torch.Size([1, 3, 8])
    """

    def __init__(self, config: T5Config, has_relative_attention_bias: bool = False, layer_idx: int | None = None):
        super().__init__()
        self.SelfAttention = T5Attention(
            config, has_relative_attention_bias=has_relative_attention_bias, layer_idx=layer_idx,
            is_causal=config.is_decoder,
        )
        self.layer_norm = T5LayerNorm(config.d_model, eps=config.layer_norm_epsilon)
        self.dropout = nn.Dropout(config.dropout_rate)

    def forward(
        self, hidden_states: Tensor, attention_mask: OptTensor = None, past_key_values: Cache | None = None, *,
        output_attentions: bool = False,
    ) -> tuple[Tensor, OptTensor]:
        attended, weights = self.SelfAttention(
            self.layer_norm(hidden_states), attention_mask, past_key_values=past_key_values,
            output_attentions=output_attentions,
        )
        return hidden_states + self.dropout(attended), weights


class T5LayerCrossAttention(nn.Module):
    """Pre-norm residual attention from the decoder to the encoder output.

    Example:
        >>> layer = T5LayerCrossAttention(T5Config(d_model=8, d_kv=4, num_heads=2, is_decoder=True), layer_idx=0)
        >>> layer(torch.zeros(1, 3, 8), torch.zeros(1, 5, 8))[0].shape
        torch.Size([1, 3, 8])
    """

    def __init__(self, config: T5Config, layer_idx: int | None = None) -> None:
        super().__init__()
        self.EncDecAttention = T5Attention(config, has_relative_attention_bias=False, layer_idx=layer_idx)
        self.layer_norm = T5LayerNorm(config.d_model, eps=config.layer_norm_epsilon)
        self.dropout = nn.Dropout(config.dropout_rate)

    def forward(
        self, hidden_states: Tensor, key_value_states: Tensor, attention_mask: OptTensor = None,
        past_key_values: Cache | None = None, *, output_attentions: bool = False,
    ) -> tuple[Tensor, OptTensor]:
        attended, weights = self.EncDecAttention(
            self.layer_norm(hidden_states), attention_mask, key_value_states, past_key_values,
            output_attentions=output_attentions,
        )
        return hidden_states + self.dropout(attended), weights


def _clamp_half(hidden_states: Tensor) -> Tensor:
    """fp16 activations of T5 overflow; keep them finite like the reference does."""
    if hidden_states.dtype != torch.float16:
        return hidden_states
    limit = torch.finfo(hidden_states.dtype).max
    limit = torch.where(torch.isinf(hidden_states).any(), limit - 1000, limit)
    return torch.clamp(hidden_states, min=-limit, max=limit)


class T5Block(nn.Module):
    """``layer``: self-attention, cross-attention (decoder only), feed-forward.

    Returns ``(hidden_states, self-attention weights, cross-attention weights)``.

    Example:
        >>> T5Block(T5Config(d_model=8, d_kv=4, num_heads=2, d_ff=16))(torch.zeros(1, 3, 8))[0].shape
        torch.Size([1, 3, 8])
    """

    def __init__(self, config: T5Config, has_relative_attention_bias: bool = False, layer_idx: int | None = None):
        super().__init__()
        self.is_decoder = config.is_decoder
        self.layer = nn.ModuleList([T5LayerSelfAttention(config, has_relative_attention_bias, layer_idx)])
        if self.is_decoder:
            self.layer.append(T5LayerCrossAttention(config, layer_idx=layer_idx))
        self.layer.append(T5LayerFF(config))

    def forward(
        self, hidden_states: Tensor, attention_mask: OptTensor = None, encoder_hidden_states: OptTensor = None,
        encoder_attention_mask: OptTensor = None, past_key_values: Cache | None = None, *,
        output_attentions: bool = False,
    ) -> tuple[Tensor, OptTensor, OptTensor]:
        hidden_states, self_weights = self.layer[0](
            hidden_states, attention_mask, past_key_values, output_attentions=output_attentions
        )
        hidden_states = _clamp_half(hidden_states)
        cross_weights = None
        if self.is_decoder and encoder_hidden_states is not None:
            hidden_states, cross_weights = self.layer[1](
                hidden_states, encoder_hidden_states, encoder_attention_mask, past_key_values,
                output_attentions=output_attentions,
            )
            hidden_states = _clamp_half(hidden_states)
        return _clamp_half(self.layer[-1](hidden_states)), self_weights, cross_weights


class T5ClassificationHead(nn.Module):
    """``out_proj(dropout(tanh(dense(dropout(x)))))`` over the sentence representation.

    Example:
        >>> T5ClassificationHead(T5Config(d_model=8, num_labels=3))(torch.zeros(2, 8)).shape
        torch.Size([2, 3])
    """

    def __init__(self, config: T5Config) -> None:
        super().__init__()
        self.dense = nn.Linear(config.d_model, config.d_model)
        self.dropout = nn.Dropout(p=config.classifier_dropout)
        self.out_proj = nn.Linear(config.d_model, config.num_labels)

    def forward(self, hidden_states: Tensor) -> Tensor:
        hidden_states = torch.tanh(self.dense(self.dropout(hidden_states)))
        return self.out_proj(self.dropout(hidden_states))


class T5PreTrainedModel(PreTrainedModel):
    """Shared base: config class, T5's fan-in scaled initialisation, ``_shift_right``.

    Example:
        >>> model = T5EncoderModel(T5Config(vocab_size=10, d_model=8, d_kv=4, num_heads=2, num_layers=1))
        >>> model.encoder.embed_tokens.weight is model.shared.weight
        True
    """

    config_class = T5Config
    base_model_prefix = "transformer"
    supports_gradient_checkpointing = False
    _no_split_modules = ["T5Block"]
    _keep_in_fp32_modules = ["wo"]
    _supports_sdpa = True
    _input_embed_layer = "shared"

    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        """Normal weights with std ``factor / sqrt(fan_in)``; the embedding and head with std ``factor``."""
        super()._init_weights(module)
        factor = self.config.initializer_factor
        d_model, d_kv, d_ff = self.config.d_model, self.config.d_kv, self.config.d_ff
        if isinstance(module, T5LayerNorm):
            nn.init.constant_(module.weight, factor)
        elif isinstance(module, (T5Model, T5ForConditionalGeneration, T5EncoderModel, T5ForQuestionAnswering)):
            nn.init.normal_(module.shared.weight, std=factor)
            lm_head = getattr(module, "lm_head", None)
            if lm_head is not None and lm_head.weight is not module.shared.weight:
                nn.init.normal_(lm_head.weight, std=factor)
            if hasattr(module, "qa_outputs"):
                nn.init.normal_(module.qa_outputs.weight, std=factor * d_model**-0.5)
                nn.init.zeros_(module.qa_outputs.bias)
        elif isinstance(module, T5ForTokenClassification):
            nn.init.normal_(module.classifier.weight, std=factor)
            nn.init.zeros_(module.classifier.bias)
        elif isinstance(module, T5ClassificationHead):
            for linear in (module.dense, module.out_proj):
                nn.init.normal_(linear.weight, std=factor * d_model**-0.5)
                nn.init.zeros_(linear.bias)
        elif isinstance(module, (T5DenseActDense, T5DenseGatedActDense)):
            for name in ("wi", "wi_0", "wi_1"):
                if hasattr(module, name):
                    nn.init.normal_(getattr(module, name).weight, std=factor * d_model**-0.5)
            nn.init.normal_(module.wo.weight, std=factor * d_ff**-0.5)
        elif isinstance(module, T5Attention):
            heads = self.config.num_heads
            nn.init.normal_(module.q.weight, std=factor * (d_model * d_kv) ** -0.5)
            nn.init.normal_(module.k.weight, std=factor * d_model**-0.5)
            nn.init.normal_(module.v.weight, std=factor * d_model**-0.5)
            nn.init.normal_(module.o.weight, std=factor * (heads * d_kv) ** -0.5)
            if module.has_relative_attention_bias:
                nn.init.normal_(module.relative_attention_bias.weight, std=factor * d_model**-0.5)

    def _shift_right(self, input_ids: Tensor) -> Tensor:
        """Decoder inputs from labels: prepend ``decoder_start_token_id``, drop the last, -100 -> pad."""
        start = getattr(self.config, "decoder_start_token_id", None)
        return seq2seq.shift_tokens_right(input_ids, self.config.pad_token_id, start)


class T5Stack(T5PreTrainedModel):
    """An encoder or (``config.is_decoder``) decoder stack: embeddings, blocks, final norm.

    Only block 0 owns a relative-bias table and its bias serves every block, unless
    ``bias_in_every_layer`` (UMT5), where each block adds its own.

    Example:
        >>> config = T5Config(vocab_size=20, d_model=8, d_kv=4, num_heads=2, d_ff=16, num_layers=2)
        >>> T5Stack(config)(torch.tensor([[3, 4, 5]])).last_hidden_state.shape
        torch.Size([1, 3, 8])
    """

    _input_embed_layer = "embed_tokens"
    bias_in_every_layer: bool = False

    def __init__(self, config: T5Config) -> None:
        super().__init__(config)
        self.embed_tokens = nn.Embedding(config.vocab_size, config.d_model)
        self.is_decoder = config.is_decoder
        self.block = nn.ModuleList([
            T5Block(config, has_relative_attention_bias=i == 0 or self.bias_in_every_layer, layer_idx=i)
            for i in range(config.num_layers)
        ])
        self.final_layer_norm = T5LayerNorm(config.d_model, eps=config.layer_norm_epsilon)
        self.dropout = nn.Dropout(config.dropout_rate)
        self.post_init()

    def _keep_mask(self, attention_mask: OptTensor, batch: int, seq: int, past: int,
                   device: torch.device) -> OptTensor:
        """Boolean ``(batch|1, 1, seq, past + seq)`` padding / causal mask, or ``None`` when all is visible."""
        total = past + seq
        keep = make_attention_mask(
            attention_mask, batch_size=batch, query_length=seq, key_length=total, is_causal=self.is_decoder,
            boolean=True, device=device,
        )  # None when nothing is masked and causality (if any) was left to the backend
        if keep is None and self.is_decoder:
            keep = causal_keep_mask(seq, total, device)[None, None]
        return keep

    @staticmethod
    def _biased_mask(attention: T5Attention, keep: OptTensor, seq: int, past: int, dtype: torch.dtype,
                     device: torch.device) -> Tensor:
        """The layer's relative bias merged with ``keep``: additive ``(batch|1, heads, seq, past + seq)``."""
        bias = attention.compute_bias(seq, past + seq, device, past).to(dtype)
        return bias if keep is None else bias.masked_fill(~keep, torch.finfo(dtype).min)

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, encoder_hidden_states: OptTensor = None,
        encoder_attention_mask: OptTensor = None, inputs_embeds: OptTensor = None,
        past_key_values: Cache | tuple | None = None, use_cache: bool | None = None,
        output_attentions: bool | None = None, output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> BaseModelOutputWithPastAndCrossAttentions | tuple:
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("You must specify exactly one of input_ids or inputs_embeds")
        config = self.config
        output_attentions = config.output_attentions if output_attentions is None else output_attentions
        output_hidden_states = config.output_hidden_states if output_hidden_states is None else output_hidden_states
        if use_cache and not self.is_decoder:
            raise ValueError("use_cache=True needs a decoder stack; the encoder keeps no cache (pass use_cache=False).")
        if inputs_embeds is None:
            inputs_embeds = self.embed_tokens(input_ids)  # (batch, seq, d_model)
        batch, seq = inputs_embeds.shape[:2]
        past_key_values = cache_from_legacy(past_key_values) if self.is_decoder else None
        if self.is_decoder and use_cache and past_key_values is None:
            past_key_values = seq2seq.new_decoder_cache(config, cross_attention=bool(config.is_encoder_decoder))
        past = past_key_values.get_seq_length() if past_key_values is not None else 0

        device, dtype = inputs_embeds.device, inputs_embeds.dtype
        keep = self._keep_mask(attention_mask, batch, seq, past, device)
        self_mask = None
        cross_mask = None
        if self.is_decoder and encoder_hidden_states is not None and encoder_attention_mask is not None:
            cross_mask = make_attention_mask(
                encoder_attention_mask, batch_size=batch, query_length=seq, dtype=dtype, device=device,
                boolean=ALL_ATTENTION_FUNCTIONS.boolean_masks(config._attn_implementation or "sdpa"),
            )

        hidden_states = self.dropout(inputs_embeds)
        all_hidden: list[Tensor] = []
        all_self: list[Tensor] = []
        all_cross: list[Tensor] = []
        for block in self.block:
            if output_hidden_states:
                all_hidden.append(hidden_states)
            attention = block.layer[0].SelfAttention
            if self_mask is None or attention.has_relative_attention_bias:
                self_mask = self._biased_mask(attention, keep, seq, past, dtype, device)
            hidden_states, self_weights, cross_weights = block(
                hidden_states, self_mask, encoder_hidden_states, cross_mask, past_key_values,
                output_attentions=bool(output_attentions),
            )
            if self_weights is not None:
                all_self.append(self_weights)
            if cross_weights is not None:
                all_cross.append(cross_weights)
        hidden_states = self.dropout(self.final_layer_norm(hidden_states))
        if output_hidden_states:
            all_hidden.append(hidden_states)  # the reference's last entry is after the final norm
        output = BaseModelOutputWithPastAndCrossAttentions(
            last_hidden_state=hidden_states, past_key_values=past_key_values if use_cache else None,
        )
        if output_hidden_states:
            output["hidden_states"] = tuple(all_hidden)
        if output_attentions:
            output["attentions"] = tuple(all_self)
            if self.is_decoder and encoder_hidden_states is not None:
                output["cross_attentions"] = tuple(all_cross)
        return self._finish(output, return_dict)


class _T5EncoderDecoder(T5PreTrainedModel):
    """Builds ``shared`` + ``encoder`` + ``decoder`` and runs them (T5Model and the seq2seq heads)."""

    _keys_to_ignore_on_load_unexpected = [r"decoder\.block\.0\.layer\.1\.EncDecAttention\.relative_attention_bias\.weight"]
    _tied_weights_keys = {"encoder.embed_tokens.weight": "shared.weight", "decoder.embed_tokens.weight": "shared.weight"}

    _stack_class: type = T5Stack  # UMT5 swaps in its own

    def _build_stacks(self, config: T5Config) -> None:
        self.shared = nn.Embedding(config.vocab_size, config.d_model)
        encoder_config = copy.deepcopy(config)
        encoder_config.is_decoder = False
        encoder_config.use_cache = False
        self.encoder = self._stack_class(encoder_config)
        decoder_config = copy.deepcopy(config)
        decoder_config.is_decoder = True
        decoder_config.num_layers = config.num_decoder_layers
        self.decoder = self._stack_class(decoder_config)

    def get_input_embeddings(self) -> nn.Embedding:
        return self.shared

    def set_input_embeddings(self, new_embeddings: nn.Embedding) -> None:
        self.shared = new_embeddings
        self.encoder.embed_tokens = new_embeddings
        self.decoder.embed_tokens = new_embeddings

    def get_encoder(self) -> T5Stack:
        return self.encoder

    def get_decoder(self) -> T5Stack:
        return self.decoder

    def _seq2seq(
        self, input_ids: OptTensor, attention_mask: OptTensor, decoder_input_ids: OptTensor,
        decoder_attention_mask: OptTensor, encoder_outputs: Any, past_key_values: Any, inputs_embeds: OptTensor,
        decoder_inputs_embeds: OptTensor, use_cache: bool | None, output_attentions: bool | None,
        output_hidden_states: bool | None,
    ) -> tuple[BaseModelOutput, BaseModelOutputWithPastAndCrossAttentions]:
        """Encode (unless ``encoder_outputs`` are given), then decode; returns both outputs."""
        if encoder_outputs is None:
            encoder_outputs = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, inputs_embeds=inputs_embeds,
                output_attentions=output_attentions, output_hidden_states=output_hidden_states, return_dict=True,
            )
        else:
            encoder_outputs = seq2seq.as_encoder_output(encoder_outputs)
        decoder_outputs = self.decoder(
            input_ids=decoder_input_ids, attention_mask=decoder_attention_mask, inputs_embeds=decoder_inputs_embeds,
            past_key_values=past_key_values, encoder_hidden_states=encoder_outputs[0],
            encoder_attention_mask=attention_mask, use_cache=self.config.use_cache if use_cache is None else use_cache,
            output_attentions=output_attentions, output_hidden_states=output_hidden_states, return_dict=True,
        )
        return encoder_outputs, decoder_outputs


class T5Model(_T5EncoderDecoder):
    """The bare encoder-decoder: returns the decoder's last hidden state (and the encoder's).

    Example:
        >>> config = T5Config(vocab_size=20, d_model=8, d_kv=4, num_heads=2, d_ff=16, num_layers=1)
        >>> out = T5Model(config)(torch.tensor([[3, 4, 1]]), decoder_input_ids=torch.tensor([[0, 3]]))
        >>> out.last_hidden_state.shape, out.encoder_last_hidden_state.shape
        (torch.Size([1, 2, 8]), torch.Size([1, 3, 8]))
    """

    def __init__(self, config: T5Config) -> None:
        super().__init__(config)
        self._build_stacks(config)
        self.post_init()

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, decoder_input_ids: OptTensor = None,
        decoder_attention_mask: OptTensor = None, encoder_outputs: Any = None, past_key_values: Any = None,
        inputs_embeds: OptTensor = None, decoder_inputs_embeds: OptTensor = None, use_cache: bool | None = None,
        output_attentions: bool | None = None, output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Seq2SeqModelOutput | tuple:
        encoder_outputs, decoder_outputs = self._seq2seq(
            input_ids, attention_mask, decoder_input_ids, decoder_attention_mask, encoder_outputs, past_key_values,
            inputs_embeds, decoder_inputs_embeds, use_cache, output_attentions, output_hidden_states,
        )
        output = Seq2SeqModelOutput(
            last_hidden_state=decoder_outputs.last_hidden_state,
            **seq2seq.seq2seq_fields(encoder_outputs, decoder_outputs),
        )
        return self._finish(output, return_dict)


class T5ForConditionalGeneration(_T5EncoderDecoder, GenerationMixin):
    """T5 with the language-model head; ``labels`` give the loss (decoder inputs = labels shifted right).

    Example:
        >>> config = T5Config(vocab_size=20, d_model=8, d_kv=4, num_heads=2, d_ff=16, num_layers=1,
        ...                   decoder_start_token_id=0)
        >>> out = T5ForConditionalGeneration(config)(torch.tensor([[3, 4, 1]]), labels=torch.tensor([[5, -100]]))
        >>> out.logits.shape
        torch.Size([1, 2, 20])
    """

    _tied_weights_keys = {**_T5EncoderDecoder._tied_weights_keys, "lm_head.weight": "shared.weight"}

    def __init__(self, config: T5Config) -> None:
        super().__init__(config)
        self.model_dim = config.d_model
        self._build_stacks(config)
        self.lm_head = nn.Linear(config.d_model, config.vocab_size, bias=False)
        self.post_init()

    @classmethod
    def can_generate(cls) -> bool:
        return True

    def _decoder_output_scale(self) -> float | None:
        """Original T5 rescales the decoder output before the tied head; v1.1 does not."""
        return self.model_dim**-0.5 if getattr(self.config, "scale_decoder_outputs", True) else None

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, decoder_input_ids: OptTensor = None,
        decoder_attention_mask: OptTensor = None, encoder_outputs: Any = None, past_key_values: Any = None,
        inputs_embeds: OptTensor = None, decoder_inputs_embeds: OptTensor = None, labels: OptTensor = None,
        use_cache: bool | None = None, output_attentions: bool | None = None,
        output_hidden_states: bool | None = None, return_dict: bool | None = None,
    ) -> Seq2SeqLMOutput | tuple:
        if labels is not None and decoder_input_ids is None and decoder_inputs_embeds is None:
            decoder_input_ids = self._shift_right(labels)
        encoder_outputs, decoder_outputs = self._seq2seq(
            input_ids, attention_mask, decoder_input_ids, decoder_attention_mask, encoder_outputs, past_key_values,
            inputs_embeds, decoder_inputs_embeds, use_cache, output_attentions, output_hidden_states,
        )
        sequence_output = decoder_outputs.last_hidden_state  # (batch, target_len, d_model)
        scale = self._decoder_output_scale()
        if scale is not None:
            sequence_output = sequence_output * scale
        logits = self.lm_head(sequence_output)  # (batch, target_len, vocab)
        loss = None
        if labels is not None:
            loss = losses.token_classification_loss(logits, labels.to(logits.device))
        output = Seq2SeqLMOutput(loss=loss, logits=logits, **seq2seq.seq2seq_fields(encoder_outputs, decoder_outputs))
        return self._finish(output, return_dict)

    def prepare_decoder_input_ids_from_labels(self, labels: Tensor) -> Tensor:
        """``labels`` shifted right, as the model does itself (used by data collators)."""
        return self._shift_right(labels)


class T5EncoderModel(T5PreTrainedModel):
    """Only the encoder stack (for embeddings / classifiers).

    Example:
        >>> config = T5Config(vocab_size=20, d_model=8, d_kv=4, num_heads=2, d_ff=16, num_layers=1)
        >>> T5EncoderModel(config)(torch.tensor([[3, 4, 1]])).last_hidden_state.shape
        torch.Size([1, 3, 8])
    """

    _tied_weights_keys = {"encoder.embed_tokens.weight": "shared.weight"}
    _keys_to_ignore_on_load_unexpected = [r"decoder"]
    _stack_class: type = T5Stack

    def __init__(self, config: T5Config) -> None:
        super().__init__(config)
        self.shared = nn.Embedding(config.vocab_size, config.d_model)
        # As in the reference, the model's own config becomes the encoder's (no copy).
        config.use_cache = False
        config.is_encoder_decoder = False
        self.encoder = self._stack_class(config)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.shared

    def set_input_embeddings(self, new_embeddings: nn.Embedding) -> None:
        self.shared = new_embeddings
        self.encoder.embed_tokens = new_embeddings

    def get_encoder(self) -> T5Stack:
        return self.encoder

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, inputs_embeds: OptTensor = None,
        output_attentions: bool | None = None, output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> BaseModelOutput | tuple:
        outputs = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, inputs_embeds=inputs_embeds,
            output_attentions=output_attentions, output_hidden_states=output_hidden_states, return_dict=True,
        )
        output = BaseModelOutput(last_hidden_state=outputs.last_hidden_state)
        if outputs.hidden_states is not None:
            output["hidden_states"] = outputs.hidden_states
        if outputs.attentions is not None:
            output["attentions"] = outputs.attentions
        return self._finish(output, return_dict)


class T5ForSequenceClassification(T5PreTrainedModel):
    """T5Model + a classification head read at the last ``eos`` token of each row.

    Without decoder inputs the decoder reads ``input_ids`` shifted right. Every row needs
    the same (non-zero) number of ``eos`` tokens.

    Example:
        >>> config = T5Config(vocab_size=20, d_model=8, d_kv=4, num_heads=2, d_ff=16, num_layers=1,
        ...                   decoder_start_token_id=0, num_labels=3)
        >>> T5ForSequenceClassification(config)(torch.tensor([[3, 4, 1]])).logits.shape
        torch.Size([1, 3])
    """

    _body_class: type = T5Model  # the family's bare encoder-decoder (mT5 swaps in its own)

    def __init__(self, config: T5Config) -> None:
        super().__init__(config)
        self.transformer = self._body_class(config)
        self.classification_head = T5ClassificationHead(config)
        self.post_init()

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, decoder_input_ids: OptTensor = None,
        decoder_attention_mask: OptTensor = None, encoder_outputs: Any = None, inputs_embeds: OptTensor = None,
        decoder_inputs_embeds: OptTensor = None, labels: OptTensor = None, use_cache: bool | None = None,
        output_attentions: bool | None = None, output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Seq2SeqSequenceClassifierOutput | tuple:
        if labels is not None:
            use_cache = False
        if input_ids is None:
            raise NotImplementedError(
                f"{type(self).__name__} finds the eos token in input_ids, so it needs input_ids (inputs_embeds alone "
                "are not supported)."
            )
        if decoder_input_ids is None and decoder_inputs_embeds is None:
            decoder_input_ids = self._shift_right(input_ids)
        outputs = self.transformer(
            input_ids, attention_mask, decoder_input_ids, decoder_attention_mask, encoder_outputs, None,
            inputs_embeds, decoder_inputs_embeds, use_cache, output_attentions, output_hidden_states, return_dict=True,
        )
        eos_token_id = self.config.eos_token_id
        sentence = seq2seq.last_eos_states(outputs.last_hidden_state, input_ids, eos_token_id)  # (batch, d_model)
        logits = self.classification_head(sentence)
        loss = None if labels is None else losses.sequence_classification_loss(self, logits, labels.to(logits.device))
        output = Seq2SeqSequenceClassifierOutput(loss=loss, logits=logits, **seq2seq.body_fields(outputs))
        return self._finish(output, return_dict)

    @property
    def num_labels(self) -> int:
        return self.config.num_labels


class T5ForTokenClassification(T5PreTrainedModel):
    """T5 encoder + a per-token linear classifier.

    Example:
        >>> config = T5Config(vocab_size=20, d_model=8, d_kv=4, num_heads=2, d_ff=16, num_layers=1, num_labels=4)
        >>> T5ForTokenClassification(config)(torch.tensor([[3, 4, 1]])).logits.shape
        torch.Size([1, 3, 4])
    """

    _body_class: type = T5EncoderModel

    def __init__(self, config: T5Config) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.transformer = self._body_class(config)
        self.dropout = nn.Dropout(config.classifier_dropout)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, inputs_embeds: OptTensor = None,
        labels: OptTensor = None, output_attentions: bool | None = None, output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> TokenClassifierOutput | tuple:
        outputs = self.transformer(
            input_ids, attention_mask, inputs_embeds, output_attentions, output_hidden_states, return_dict=True
        )
        logits = self.classifier(self.dropout(outputs.last_hidden_state))  # (batch, seq, num_labels)
        loss = None if labels is None else losses.token_classification_loss(logits, labels.to(logits.device))
        output = TokenClassifierOutput(
            loss=loss, logits=logits, hidden_states=outputs.hidden_states, attentions=outputs.attentions
        )
        return self._finish(output, return_dict)


class T5ForQuestionAnswering(_T5EncoderDecoder):
    """Encoder-decoder + a span head on the decoder output (decoder reads ``input_ids`` shifted right).

    Example:
        >>> config = T5Config(vocab_size=20, d_model=8, d_kv=4, num_heads=2, d_ff=16, num_layers=1,
        ...                   decoder_start_token_id=0)
        >>> out = T5ForQuestionAnswering(config)(torch.tensor([[3, 4, 1]]))
        >>> out.start_logits.shape, out.end_logits.shape
        (torch.Size([1, 3]), torch.Size([1, 3]))
    """

    def __init__(self, config: T5Config) -> None:
        super().__init__(config)
        self.model_dim = config.d_model
        self._build_stacks(config)
        self.num_labels = config.num_labels
        self.qa_outputs = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, decoder_input_ids: OptTensor = None,
        decoder_attention_mask: OptTensor = None, encoder_outputs: Any = None, start_positions: OptTensor = None,
        end_positions: OptTensor = None, inputs_embeds: OptTensor = None, decoder_inputs_embeds: OptTensor = None,
        use_cache: bool | None = None, output_attentions: bool | None = None,
        output_hidden_states: bool | None = None, return_dict: bool | None = None,
    ) -> Seq2SeqQuestionAnsweringModelOutput | tuple:
        if start_positions is not None and end_positions is not None:
            use_cache = False
        if decoder_input_ids is None and decoder_inputs_embeds is None:
            if input_ids is None:
                raise ValueError(
                    "Pass decoder_input_ids, decoder_inputs_embeds or input_ids (which are shifted right to make "
                    "the decoder inputs)."
                )
            decoder_input_ids = self._shift_right(input_ids)
        encoder_outputs, decoder_outputs = self._seq2seq(
            input_ids, attention_mask, decoder_input_ids, decoder_attention_mask, encoder_outputs, None,
            inputs_embeds, decoder_inputs_embeds, use_cache, output_attentions, output_hidden_states,
        )
        start_logits, end_logits = losses.split_span_logits(self.qa_outputs(decoder_outputs.last_hidden_state))
        loss = losses.span_prediction_loss(start_logits, end_logits, start_positions, end_positions)
        output = Seq2SeqQuestionAnsweringModelOutput(
            loss=loss, start_logits=start_logits, end_logits=end_logits,
            **seq2seq.seq2seq_fields(encoder_outputs, decoder_outputs),
        )
        return self._finish(output, return_dict)


__all__ = [
    "T5Config", "T5LayerNorm", "T5DenseActDense", "T5DenseGatedActDense", "T5LayerFF", "relative_position_bucket",
    "T5Attention", "T5LayerSelfAttention", "T5LayerCrossAttention", "T5Block", "T5ClassificationHead",
    "T5PreTrainedModel", "T5Stack", "T5Model", "T5ForConditionalGeneration", "T5EncoderModel",
    "T5ForSequenceClassification", "T5ForTokenClassification", "T5ForQuestionAnswering",
]
