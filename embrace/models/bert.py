"""BERT: configuration, encoder blocks and task heads.

Read top to bottom: the config, embeddings, attention (self and cross, with the legacy
relative-position variants), feed-forward, layer and encoder stack, pooler and prediction
heads, then ``BertModel`` and one class per task head.

Parameter names match the reference exactly (``bert.encoder.layer.0.attention.self.query.
weight``, ``cls.predictions.transform.dense.weight``, ...), so its checkpoints load without
renaming. Behaviour follows the current reference; the features it dropped
(``position_embedding_type="relative_key"|"relative_key_query"``, ``head_mask``,
``prune_heads``) work as in the legacy one.

Example:
    >>> import torch
    >>> from embrace.models.bert import BertConfig, BertModel
    >>> config = BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2,
    ...                     num_attention_heads=4, intermediate_size=37)
    >>> model = BertModel(config).eval()
    >>> out = model(torch.tensor([[1, 5, 7, 2]]), attention_mask=torch.tensor([[1, 1, 1, 0]]))
    >>> out.last_hidden_state.shape, out.pooler_output.shape
    (torch.Size([1, 4, 32]), torch.Size([1, 32]))
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Union

import torch
import torch.utils.checkpoint
from torch import nn

from embrace.configuration import PretrainedConfig
from embrace.errors import ConfigError
from embrace.modeling.activations import ACT2FN
from embrace.modeling.attention import ALL_ATTENTION_FUNCTIONS, causal_keep_mask, make_attention_mask
from embrace.modeling.cache import Cache, DynamicCache, EncoderDecoderCache, cache_from_legacy
from embrace.generation.utils import GenerationMixin
from embrace.modeling import losses
from embrace.modeling.heads import (
    body_extras,
    count_choices,
    masked_lm_output,
    multiple_choice_output,
    question_answering_output,
    sequence_classification_output,
    token_classification_output,
)
from embrace.modeling.modeling_utils import PreTrainedModel
from embrace.modeling.outputs import (
    BaseModelOutputWithPastAndCrossAttentions,
    BaseModelOutputWithPoolingAndCrossAttentions,
    CausalLMOutputWithCrossAttentions,
    MaskedLMOutput,
    ModelOutput,
    MultipleChoiceModelOutput,
    NextSentencePredictorOutput,
    QuestionAnsweringModelOutput,
    SequenceClassifierOutput,
    TokenClassifierOutput,
)
from embrace.modeling.pruning import find_pruneable_heads_and_indices, prune_linear_layer
from embrace.utils.logging import get_logger, warning_once

logger = get_logger(__name__)

Tensor = torch.Tensor
OptTensor = Union[torch.Tensor, None]
HiddenSelection = Union[bool, int, "list[int]", None]  # output_hidden_states: a flag or layer indices

_POSITION_EMBEDDING_TYPES = ("absolute", "relative_key", "relative_key_query")


class BertConfig(PretrainedConfig):
    """Configuration of a BERT model (the fields of its ``config.json``); defaults are bert-base.

    Example:
        >>> config = BertConfig(hidden_size=64, num_attention_heads=4)
        >>> config.model_type, config.hidden_size, config.position_embedding_type
        ('bert', 64, 'absolute')
    """

    model_type = "bert"

    vocab_size: int = 30522
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    hidden_act: str = "gelu"
    hidden_dropout_prob: float | int = 0.1
    attention_probs_dropout_prob: float | int = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    initializer_range: float = 0.02
    layer_norm_eps: float = 1e-12
    pad_token_id: int | None = 0
    use_cache: bool = True
    classifier_dropout: float | int | None = None
    is_decoder: bool = False
    add_cross_attention: bool = False
    bos_token_id: int | None = None
    eos_token_id: int | list[int] | None = None
    tie_word_embeddings: bool = True
    # Legacy setting ("absolute" | "relative_key" | "relative_key_query"), deliberately not a
    # declared field: the current reference has none, so a default config must not write it
    # to config.json. Given as a keyword or read from an old file it is kept and written back.
    position_embedding_type = "absolute"

    def validate_position_embedding_type(self) -> None:
        """Only the three known position schemes exist."""
        if self.position_embedding_type not in _POSITION_EMBEDDING_TYPES:
            raise ConfigError(
                f"position_embedding_type={self.position_embedding_type!r} is not supported; "
                f"use one of {list(_POSITION_EMBEDDING_TYPES)}."
            )


# --- embeddings -----------------------------------------------------------------------


class BertEmbeddings(nn.Module):
    """Word + token-type (+ absolute position) embeddings, then LayerNorm and dropout.

    Example:
        >>> import torch
        >>> config = BertConfig(vocab_size=10, hidden_size=8, num_attention_heads=2)
        >>> BertEmbeddings(config)(input_ids=torch.tensor([[1, 2, 3]])).shape
        torch.Size([1, 3, 8])
    """

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        # getattr: families reusing these blocks may have configs without the legacy setting.
        self.position_embedding_type = getattr(config, "position_embedding_type", "absolute")
        # Non-persistent: rebuilt at init, never part of a checkpoint.
        positions = torch.arange(config.max_position_embeddings).expand((1, -1))
        self.register_buffer("position_ids", positions, persistent=False)
        self.register_buffer("token_type_ids", torch.zeros(positions.size(), dtype=torch.long), persistent=False)

    def forward(
        self,
        input_ids: OptTensor = None,
        token_type_ids: OptTensor = None,
        position_ids: OptTensor = None,
        inputs_embeds: OptTensor = None,
        past_key_values_length: int = 0,
    ) -> Tensor:
        seq_length = input_ids.shape[1] if input_ids is not None else inputs_embeds.shape[1]
        if inputs_embeds is None:
            inputs_embeds = self.word_embeddings(input_ids)  # (batch, seq, hidden)
        if token_type_ids is None:
            # All segment ids are 0: adding row 0 by broadcasting gives the same sum as a
            # lookup without materialising a (batch, seq, hidden) gather.
            embeddings = inputs_embeds + self.token_type_embeddings.weight[0]
        else:
            embeddings = inputs_embeds + self.token_type_embeddings(token_type_ids)
        if self.position_embedding_type == "absolute":
            if position_ids is None:
                position_ids = self.position_ids[:, past_key_values_length : past_key_values_length + seq_length]
            embeddings = embeddings + self.position_embeddings(position_ids)
        return self.dropout(self.LayerNorm(embeddings))


# --- attention ------------------------------------------------------------------------


def split_heads(states: Tensor, projection: nn.Linear, head_dim: int) -> Tensor:
    """``projection(states)`` split into heads: (batch, seq, hidden) -> (batch, heads, seq, head_dim).

    A strided view, no copy. Also used by the ALBERT and DistilBERT attention blocks.

    Example:
        >>> import torch
        >>> split_heads(torch.zeros(2, 5, 8), nn.Linear(8, 8), 4).shape
        torch.Size([2, 2, 5, 4])
    """
    batch, seq = states.shape[:2]
    return projection(states).view(batch, seq, -1, head_dim).transpose(1, 2)


def attend(
    module: nn.Module, query: Tensor, key: Tensor, value: Tensor, attention_mask: OptTensor, dropout: nn.Dropout,
    output_attentions: bool, **extra: Any,
) -> tuple[Tensor, OptTensor]:
    """Attention through the backend ``module.config`` names, scaled by ``module.scaling``.

    Returns ``(context (batch, q_len, heads * head_dim), weights or None)``; ``dropout`` acts
    only in training. Also used by the ALBERT and DistilBERT attention blocks.
    """
    # A block built on its own (not through a model) has no backend chosen yet: use the default.
    attention = ALL_ATTENTION_FUNCTIONS[module.config._attn_implementation or "sdpa"]
    context, weights = attention(
        module, query, key, value, attention_mask, scaling=module.scaling,
        dropout=dropout.p if module.training else 0.0, output_attentions=output_attentions, **extra,
    )  # (batch, q_len, heads, head_dim)
    return context.reshape(*context.shape[:2], -1), weights


class BertSelfAttention(nn.Module):
    """Multi-head self-attention with optional KV cache and relative position scores.

    ``forward`` returns ``(context (batch, seq, all_head_size), weights or None)``.

    Example:
        >>> import torch
        >>> attn = BertSelfAttention(BertConfig(hidden_size=8, num_attention_heads=2))
        >>> attn(torch.zeros(1, 3, 8))[0].shape
        torch.Size([1, 3, 8])
    """

    def __init__(
        self, config: BertConfig, position_embedding_type: str | None = None, is_causal: bool = False,
        layer_idx: int | None = None,
    ) -> None:
        super().__init__()
        if config.hidden_size % config.num_attention_heads != 0 and not hasattr(config, "embedding_size"):
            raise ConfigError(
                f"The hidden size ({config.hidden_size}) is not a multiple of the number of attention "
                f"heads ({config.num_attention_heads}); pick num_attention_heads dividing hidden_size."
            )
        self.config = config
        self.num_attention_heads = config.num_attention_heads
        self.attention_head_size = int(config.hidden_size / config.num_attention_heads)
        self.all_head_size = self.num_attention_heads * self.attention_head_size
        self.scaling = self.attention_head_size**-0.5
        self.query = nn.Linear(config.hidden_size, self.all_head_size)
        self.key = nn.Linear(config.hidden_size, self.all_head_size)
        self.value = nn.Linear(config.hidden_size, self.all_head_size)
        self.dropout = nn.Dropout(config.attention_probs_dropout_prob)
        self.position_embedding_type = position_embedding_type or getattr(config, "position_embedding_type", "absolute")
        if self.position_embedding_type != "absolute":
            self.max_position_embeddings = config.max_position_embeddings
            # One vector per signed query-key distance in [-(max-1), max-1].
            self.distance_embedding = nn.Embedding(2 * config.max_position_embeddings - 1, self.attention_head_size)
        self.is_decoder = config.is_decoder
        self.is_causal = is_causal
        self.layer_idx = layer_idx

    def _split_heads(self, states: Tensor, projection: nn.Linear) -> Tensor:
        return split_heads(states, projection, self.attention_head_size)  # (batch, heads, seq, head_dim)

    def _relative_scores(self, query: Tensor, key: Tensor) -> Tensor:
        """Scaled relative-position logits ``(batch, heads, q_len, kv_len)``, added to ``q.k``."""
        q_len, kv_len = query.shape[2], key.shape[2]
        # Queries are the last q_len of the kv_len positions (a cache holds the earlier ones).
        q_pos = torch.arange(kv_len - q_len, kv_len, device=query.device)
        distance = q_pos[:, None] - torch.arange(kv_len, device=query.device)[None, :]  # (q_len, kv_len)
        table = self.distance_embedding(distance + self.max_position_embeddings - 1).to(query.dtype)  # (q, k, d)
        scores = torch.einsum("bhld,lrd->bhlr", query, table)
        if self.position_embedding_type == "relative_key_query":
            scores = scores + torch.einsum("bhrd,lrd->bhlr", key, table)
        return scores * self.scaling

    def _attend(
        self, query: Tensor, key: Tensor, value: Tensor, attention_mask: OptTensor, head_mask: OptTensor,
        output_attentions: bool,
    ) -> tuple[Tensor, OptTensor]:
        if self.position_embedding_type != "absolute":
            # Relative scores travel as an additive bias in the mask, so every backend supports them.
            bias = self._relative_scores(query, key)
            if attention_mask is None and self.is_causal and query.shape[2] > 1:
                attention_mask = causal_keep_mask(query.shape[2], key.shape[2], query.device)
            if attention_mask is None:
                attention_mask = bias
            elif attention_mask.dtype == torch.bool:
                attention_mask = bias.masked_fill(~attention_mask, torch.finfo(bias.dtype).min)
            else:
                attention_mask = bias + attention_mask
        extra = {} if head_mask is None else {"head_mask": head_mask}
        return attend(self, query, key, value, attention_mask, self.dropout, output_attentions, **extra)

    def forward(
        self, hidden_states: Tensor, attention_mask: OptTensor = None, past_key_values: Cache | None = None, *,
        head_mask: OptTensor = None, output_attentions: bool = False,
    ) -> tuple[Tensor, OptTensor]:
        query = self._split_heads(hidden_states, self.query)
        key = self._split_heads(hidden_states, self.key)
        value = self._split_heads(hidden_states, self.value)
        if past_key_values is not None:
            cache = past_key_values
            if isinstance(cache, EncoderDecoderCache):
                cache = cache.self_attention_cache
            key, value = cache.update(key, value, self.layer_idx)  # (batch, heads, cached + seq, head_dim)
        return self._attend(query, key, value, attention_mask, head_mask, output_attentions)


class BertCrossAttention(BertSelfAttention):
    """Decoder-to-encoder attention: queries from the decoder, keys/values from the encoder.

    The encoder keys/values are projected once and kept in the cross-attention half of an
    :class:`EncoderDecoderCache`. Always absolute positions, never causal.

    Example:
        >>> import torch
        >>> attn = BertCrossAttention(BertConfig(hidden_size=8, num_attention_heads=2, is_decoder=True))
        >>> attn(torch.zeros(1, 3, 8), torch.zeros(1, 5, 8))[0].shape
        torch.Size([1, 3, 8])
    """

    def __init__(self, config: BertConfig, is_causal: bool = False, layer_idx: int | None = None) -> None:
        super().__init__(config, position_embedding_type="absolute", is_causal=is_causal, layer_idx=layer_idx)

    def forward(  # type: ignore[override]
        self, hidden_states: Tensor, encoder_hidden_states: OptTensor = None, attention_mask: OptTensor = None,
        past_key_values: Cache | None = None, *, head_mask: OptTensor = None, output_attentions: bool = False,
    ) -> tuple[Tensor, OptTensor]:
        query = self._split_heads(hidden_states, self.query)
        cache = past_key_values if isinstance(past_key_values, EncoderDecoderCache) else None
        if cache is not None and cache.is_updated.get(self.layer_idx):
            stored = cache.cross_attention_cache.layers[self.layer_idx]
            key, value = stored.keys, stored.values
        else:
            key = self._split_heads(encoder_hidden_states, self.key)  # (batch, heads, enc_seq, head_dim)
            value = self._split_heads(encoder_hidden_states, self.value)
            if cache is not None:
                key, value = cache.cross_attention_cache.update(key, value, self.layer_idx)
                cache.is_updated[self.layer_idx] = True
        return self._attend(query, key, value, attention_mask, head_mask, output_attentions)


class BertSelfOutput(nn.Module):
    """Attention output projection, dropout, residual add and LayerNorm.

    Example:
        >>> import torch
        >>> block = BertSelfOutput(BertConfig(hidden_size=8, num_attention_heads=2))
        >>> block(torch.zeros(1, 2, 8), torch.zeros(1, 2, 8)).shape
        torch.Size([1, 2, 8])
    """

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states: Tensor, input_tensor: Tensor) -> Tensor:
        return self.LayerNorm(self.dropout(self.dense(hidden_states)) + input_tensor)


class BertAttention(nn.Module):
    """Self- (or cross-) attention plus its output block; supports head pruning.

    Example:
        >>> import torch
        >>> attention = BertAttention(BertConfig(hidden_size=8, num_attention_heads=2))
        >>> attention.prune_heads([0])
        >>> attention.self.num_attention_heads, attention(torch.zeros(1, 3, 8))[0].shape
        (1, torch.Size([1, 3, 8]))
    """

    def __init__(
        self, config: BertConfig, position_embedding_type: str | None = None, is_causal: bool = False,
        layer_idx: int | None = None, is_cross_attention: bool = False,
    ) -> None:
        super().__init__()
        self.is_cross_attention = is_cross_attention
        if is_cross_attention:
            self.self: BertSelfAttention = BertCrossAttention(config, is_causal=is_causal, layer_idx=layer_idx)
        else:
            self.self = BertSelfAttention(config, position_embedding_type, is_causal=is_causal, layer_idx=layer_idx)
        self.output = BertSelfOutput(config)
        self.pruned_heads: set[int] = set()

    def prune_heads(self, heads: list[int] | set[int]) -> None:
        """Remove attention heads (numbered as in the unpruned layer) for good."""
        if len(heads) == 0:
            return
        attn = self.self
        heads, index = find_pruneable_heads_and_indices(
            heads, attn.num_attention_heads, attn.attention_head_size, self.pruned_heads
        )
        attn.query, attn.key, attn.value = (prune_linear_layer(p, index) for p in (attn.query, attn.key, attn.value))
        self.output.dense = prune_linear_layer(self.output.dense, index, dim=1)
        attn.num_attention_heads -= len(heads)
        attn.all_head_size = attn.attention_head_size * attn.num_attention_heads
        self.pruned_heads = self.pruned_heads.union(heads)

    def forward(
        self, hidden_states: Tensor, attention_mask: OptTensor = None, encoder_hidden_states: OptTensor = None,
        encoder_attention_mask: OptTensor = None, past_key_values: Cache | None = None, *,
        head_mask: OptTensor = None, output_attentions: bool = False,
    ) -> tuple[Tensor, OptTensor]:
        options = {"head_mask": head_mask, "output_attentions": output_attentions}
        if self.is_cross_attention:
            context, weights = self.self(
                hidden_states, encoder_hidden_states, encoder_attention_mask, past_key_values, **options
            )
        else:
            context, weights = self.self(hidden_states, attention_mask, past_key_values, **options)
        return self.output(context, hidden_states), weights


# --- feed-forward, layer, encoder -----------------------------------------------------


class BertIntermediate(nn.Module):
    """Feed-forward expansion ``hidden -> intermediate`` and the activation.

    Example:
        >>> import torch
        >>> config = BertConfig(hidden_size=8, num_attention_heads=2, intermediate_size=16)
        >>> BertIntermediate(config)(torch.zeros(1, 2, 8)).shape
        torch.Size([1, 2, 16])
    """

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)
        act = config.hidden_act
        self.intermediate_act_fn = ACT2FN[act] if isinstance(act, str) else act

    def forward(self, hidden_states: Tensor) -> Tensor:
        return self.intermediate_act_fn(self.dense(hidden_states))


class BertOutput(nn.Module):
    """Feed-forward contraction ``intermediate -> hidden``, dropout, residual and LayerNorm.

    Example:
        >>> import torch
        >>> config = BertConfig(hidden_size=8, num_attention_heads=2, intermediate_size=16)
        >>> BertOutput(config)(torch.zeros(1, 2, 16), torch.zeros(1, 2, 8)).shape
        torch.Size([1, 2, 8])
    """

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.intermediate_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states: Tensor, input_tensor: Tensor) -> Tensor:
        return self.LayerNorm(self.dropout(self.dense(hidden_states)) + input_tensor)


class BertLayer(nn.Module):
    """One block: self-attention, cross-attention (decoders with it), feed-forward.

    Returns ``(hidden_states, self-attention weights, cross-attention weights)``; weights
    are ``None`` unless the backend returns them. With ``config.chunk_size_feed_forward``
    > 0 the feed-forward runs on sequence chunks of that size (same result, less memory).

    Example:
        >>> import torch
        >>> config = BertConfig(hidden_size=8, num_attention_heads=2, intermediate_size=16)
        >>> BertLayer(config)(torch.zeros(1, 3, 8))[0].shape
        torch.Size([1, 3, 8])
    """

    def __init__(self, config: BertConfig, layer_idx: int | None = None) -> None:
        super().__init__()
        self.chunk_size_feed_forward = config.chunk_size_feed_forward
        self.seq_len_dim = 1
        self.attention = BertAttention(config, is_causal=config.is_decoder, layer_idx=layer_idx)
        self.is_decoder = config.is_decoder
        self.add_cross_attention = config.add_cross_attention
        if self.add_cross_attention:
            if not self.is_decoder:
                raise ConfigError("add_cross_attention=True needs is_decoder=True: only decoder layers cross-attend.")
            self.crossattention = BertAttention(config, layer_idx=layer_idx, is_cross_attention=True)
        self.intermediate = BertIntermediate(config)
        self.output = BertOutput(config)

    def forward(
        self, hidden_states: Tensor, attention_mask: OptTensor = None, encoder_hidden_states: OptTensor = None,
        encoder_attention_mask: OptTensor = None, past_key_values: Cache | None = None, *,
        head_mask: OptTensor = None, output_attentions: bool = False,
    ) -> tuple[Tensor, OptTensor, OptTensor]:
        options = {"head_mask": head_mask, "output_attentions": output_attentions}
        attention_output, self_weights = self.attention(
            hidden_states, attention_mask, None, None, past_key_values, **options
        )
        cross_weights = None
        if self.is_decoder and encoder_hidden_states is not None:
            if not hasattr(self, "crossattention"):
                raise ValueError(
                    f"encoder_hidden_states were passed but {type(self).__name__} has no cross-attention; "
                    "build the model with config.add_cross_attention=True."
                )
            attention_output, cross_weights = self.crossattention(
                attention_output, None, encoder_hidden_states, encoder_attention_mask, past_key_values, **options
            )
        if self.chunk_size_feed_forward > 0:
            return self._chunked_feed_forward(attention_output), self_weights, cross_weights
        return self.feed_forward_chunk(attention_output), self_weights, cross_weights

    def _chunked_feed_forward(self, attention_output: Tensor) -> Tensor:
        size, dim = self.chunk_size_feed_forward, self.seq_len_dim
        if attention_output.shape[dim] % size != 0:
            raise ValueError(
                f"sequence length {attention_output.shape[dim]} is not a multiple of chunk_size_feed_forward="
                f"{size}; pad the input or change the chunk size."
            )
        return torch.cat([self.feed_forward_chunk(c) for c in attention_output.split(size, dim=dim)], dim=dim)

    def feed_forward_chunk(self, attention_output: Tensor) -> Tensor:
        return self.output(self.intermediate(attention_output), attention_output)


def call_layer(stack: nn.Module, layer: nn.Module, *args: Any, **options: Any) -> Any:
    """``layer(*args, **options)``, recomputed in backward instead of stored when ``stack`` trains with
    gradient checkpointing (the encoder stacks of BERT, ALBERT, DeBERTa-v2 and DistilBERT call layers so).

    Example:
        >>> import torch
        >>> stack = nn.Module(); stack.gradient_checkpointing = True
        >>> call_layer(stack, nn.Linear(2, 3), torch.zeros(1, 2)).shape
        torch.Size([1, 3])
    """
    if stack.gradient_checkpointing and stack.training:
        checkpoint = getattr(stack, "_gradient_checkpointing_func", None) or functools.partial(
            torch.utils.checkpoint.checkpoint, use_reentrant=False
        )
        return checkpoint(functools.partial(layer.__call__, **options), *args)
    return layer(*args, **options)


class BertEncoder(nn.Module):
    """The stack of :class:`BertLayer`; collects hidden states and attention weights on request.

    Example:
        >>> import torch
        >>> encoder = BertEncoder(BertConfig(hidden_size=8, num_attention_heads=2, num_hidden_layers=2))
        >>> len(encoder(torch.zeros(1, 3, 8), output_hidden_states=True).hidden_states)
        3
    """

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.config = config
        self.layer = nn.ModuleList([BertLayer(config, layer_idx=i) for i in range(config.num_hidden_layers)])
        self.gradient_checkpointing = False

    def forward(
        self, hidden_states: Tensor, attention_mask: OptTensor = None, encoder_hidden_states: OptTensor = None,
        encoder_attention_mask: OptTensor = None, past_key_values: Cache | None = None, use_cache: bool | None = None,
        *, head_mask: Tensor | None = None, output_attentions: bool = False, output_hidden_states: bool = False,
    ) -> BaseModelOutputWithPastAndCrossAttentions:
        all_hidden: list[Tensor] | None = [] if output_hidden_states else None
        all_self: list[Tensor] = []
        all_cross: list[Tensor] = []
        for i, layer in enumerate(self.layer):
            if all_hidden is not None:
                all_hidden.append(hidden_states)
            hidden_states, self_weights, cross_weights = call_layer(
                self, layer, hidden_states, attention_mask, encoder_hidden_states, encoder_attention_mask,
                past_key_values, head_mask=head_mask[i] if head_mask is not None else None,
                output_attentions=output_attentions,
            )
            if self_weights is not None:
                all_self.append(self_weights)
            if cross_weights is not None:
                all_cross.append(cross_weights)
        if all_hidden is not None:
            all_hidden.append(hidden_states)
        return BaseModelOutputWithPastAndCrossAttentions(
            last_hidden_state=hidden_states,
            past_key_values=past_key_values if use_cache else None,
            hidden_states=tuple(all_hidden) if all_hidden is not None else None,
            attentions=tuple(all_self) if output_attentions else None,
            cross_attentions=tuple(all_cross) if output_attentions else None,
        )


# --- pooler and heads -----------------------------------------------------------------


class BertPooler(nn.Module):
    """``tanh(dense(h[:, 0]))``: the first ([CLS]) token summarises the sequence.

    Example:
        >>> import torch
        >>> BertPooler(BertConfig(hidden_size=8, num_attention_heads=2))(torch.zeros(2, 3, 8)).shape
        torch.Size([2, 8])
    """

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.activation = nn.Tanh()

    def forward(self, hidden_states: Tensor) -> Tensor:
        return self.activation(self.dense(hidden_states[:, 0]))  # (batch, hidden)


class BertPredictionHeadTransform(nn.Module):
    """Dense, activation and LayerNorm before the vocabulary projection.

    Example:
        >>> import torch
        >>> BertPredictionHeadTransform(BertConfig(hidden_size=8, num_attention_heads=2))(torch.zeros(1, 8)).shape
        torch.Size([1, 8])
    """

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        act = config.hidden_act
        self.transform_act_fn = ACT2FN[act] if isinstance(act, str) else act
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, hidden_states: Tensor) -> Tensor:
        return self.LayerNorm(self.transform_act_fn(self.dense(hidden_states)))


class BertLMPredictionHead(nn.Module):
    """Transform, then project to the vocabulary (``decoder``, usually tied to the input embeddings).

    ``bias`` is its own parameter that ``decoder.bias`` is tied to (checkpoints store both).

    Example:
        >>> import torch
        >>> config = BertConfig(vocab_size=10, hidden_size=8, num_attention_heads=2)
        >>> BertLMPredictionHead(config)(torch.zeros(1, 2, 8)).shape
        torch.Size([1, 2, 10])
    """

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.transform = BertPredictionHeadTransform(config)
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size, bias=True)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))

    def forward(self, hidden_states: Tensor) -> Tensor:
        return self.decoder(self.transform(hidden_states))  # (batch, seq, vocab)


class BertOnlyMLMHead(nn.Module):
    """The masked-LM head alone (``cls.predictions``).

    Example:
        >>> import torch
        >>> config = BertConfig(vocab_size=10, hidden_size=8, num_attention_heads=2)
        >>> BertOnlyMLMHead(config)(torch.zeros(1, 2, 8)).shape
        torch.Size([1, 2, 10])
    """

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.predictions = BertLMPredictionHead(config)

    def forward(self, sequence_output: Tensor) -> Tensor:
        return self.predictions(sequence_output)


class BertOnlyNSPHead(nn.Module):
    """The next-sentence head alone (``cls.seq_relationship``): two logits from the pooled output.

    Example:
        >>> import torch
        >>> BertOnlyNSPHead(BertConfig(hidden_size=8, num_attention_heads=2))(torch.zeros(3, 8)).shape
        torch.Size([3, 2])
    """

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.seq_relationship = nn.Linear(config.hidden_size, 2)

    def forward(self, pooled_output: Tensor) -> Tensor:
        return self.seq_relationship(pooled_output)


class BertPreTrainingHeads(nn.Module):
    """Both pre-training heads: masked-LM ``predictions`` and next-sentence ``seq_relationship``.

    Example:
        >>> import torch
        >>> config = BertConfig(vocab_size=10, hidden_size=8, num_attention_heads=2)
        >>> [t.shape[-1] for t in BertPreTrainingHeads(config)(torch.zeros(1, 2, 8), torch.zeros(1, 8))]
        [10, 2]
    """

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.predictions = BertLMPredictionHead(config)
        self.seq_relationship = nn.Linear(config.hidden_size, 2)

    def forward(self, sequence_output: Tensor, pooled_output: Tensor) -> tuple[Tensor, Tensor]:
        return self.predictions(sequence_output), self.seq_relationship(pooled_output)


@dataclass
class BertForPreTrainingOutput(ModelOutput):
    """Output of :class:`BertForPreTraining`: summed MLM + NSP loss and both heads' logits.

    Example:
        >>> import torch
        >>> BertForPreTrainingOutput(prediction_logits=torch.zeros(1, 2, 5))[0].shape
        torch.Size([1, 2, 5])
    """

    loss: torch.Tensor | None = None
    prediction_logits: torch.Tensor | None = None
    seq_relationship_logits: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


# --- models ---------------------------------------------------------------------------


class BertPreTrainedModel(PreTrainedModel):
    """Shared base of the BERT models: config class, weight init, head pruning, output plumbing.

    Example:
        >>> config = BertConfig(vocab_size=10, hidden_size=8, num_attention_heads=2, num_hidden_layers=1)
        >>> model = BertForMaskedLM(config)
        >>> model.cls.predictions.decoder.weight is model.bert.embeddings.word_embeddings.weight
        True
    """

    config_class = BertConfig
    base_model_prefix = "bert"
    supports_gradient_checkpointing = True
    _supports_sdpa = True
    _keys_to_ignore_on_load_unexpected = [r"embeddings\.position_ids"]

    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        """Normal(0, initializer_range) weights, zero biases and padding row, unit LayerNorms."""
        super()._init_weights(module)
        if isinstance(module, BertLMPredictionHead):
            module.bias.zero_()
        elif isinstance(module, BertEmbeddings):
            module.position_ids.copy_(torch.arange(module.position_ids.shape[-1]).expand((1, -1)))
            module.token_type_ids.zero_()

    def prune_heads(self, heads_to_prune: dict[int, list[int]]) -> None:
        """Remove attention heads, ``{layer index: [head indices]}`` (legacy API).

        The union with earlier pruning is kept in ``config.pruned_heads``, so a saved and
        reloaded model is rebuilt with the same shapes.
        """
        pruned = {int(k): list(v) for k, v in (getattr(self.config, "pruned_heads", None) or {}).items()}
        for layer, heads in heads_to_prune.items():
            pruned[int(layer)] = sorted(set(pruned.get(int(layer), [])) | set(heads))
        self.config.pruned_heads = pruned
        self.base_model._prune_heads(heads_to_prune)


class BertModel(BertPreTrainedModel):
    """The BERT body: embeddings, encoder and (optionally) the pooler.

    As a decoder (``config.is_decoder=True``) self-attention is causal and
    ``past_key_values`` / ``use_cache`` allow incremental decoding; with
    ``config.add_cross_attention`` each layer also attends to ``encoder_hidden_states``.
    ``output_hidden_states`` may also be layer indices (the others come back as ``None``).

    Example:
        >>> import torch
        >>> config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2)
        >>> out = BertModel(config, add_pooling_layer=False)(torch.tensor([[2, 3, 4]]), output_hidden_states=True)
        >>> out.pooler_output is None, len(out.hidden_states)
        (True, 2)
    """

    _no_split_modules = ["BertEmbeddings", "BertLayer"]

    def __init__(self, config: BertConfig, add_pooling_layer: bool = True) -> None:
        super().__init__(config)
        self.gradient_checkpointing = False
        self.embeddings = BertEmbeddings(config)
        self.encoder = BertEncoder(config)
        self.pooler = BertPooler(config) if add_pooling_layer else None
        pruned = getattr(config, "pruned_heads", None)
        if pruned:  # a saved pruned model: rebuild the same (smaller) shapes
            self._prune_heads({int(layer): heads for layer, heads in pruned.items()})
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embeddings.word_embeddings

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.embeddings.word_embeddings = value

    def _prune_heads(self, heads_to_prune: dict[int, list[int]]) -> None:
        for layer, heads in heads_to_prune.items():
            self.encoder.layer[int(layer)].attention.prune_heads(heads)

    def _head_mask(self, head_mask: OptTensor) -> OptTensor:
        """``(heads,)`` or ``(layers, heads)`` -> ``(layers, 1, heads, 1, 1)``; 1 keeps a head."""
        if head_mask is None:
            return None
        if head_mask.dim() == 1:
            head_mask = head_mask[None, None, :, None, None].expand(self.config.num_hidden_layers, -1, -1, -1, -1)
        elif head_mask.dim() == 2:
            head_mask = head_mask[:, None, :, None, None]
        else:
            raise ValueError(
                f"head_mask must have shape (num_heads,) or (num_layers, num_heads); got {tuple(head_mask.shape)}."
            )
        return head_mask.to(dtype=self.dtype)

    def forward(
        self,
        input_ids: OptTensor = None,
        attention_mask: OptTensor = None,
        token_type_ids: OptTensor = None,
        position_ids: OptTensor = None,
        head_mask: OptTensor = None,
        inputs_embeds: OptTensor = None,
        encoder_hidden_states: OptTensor = None,
        encoder_attention_mask: OptTensor = None,
        past_key_values: Cache | tuple | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: HiddenSelection = None,
        return_dict: bool | None = None,
    ) -> BaseModelOutputWithPoolingAndCrossAttentions | tuple:
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("You must specify exactly one of input_ids or inputs_embeds")
        config = self.config
        output_attentions = config.output_attentions if output_attentions is None else output_attentions
        output_hidden_states = config.output_hidden_states if output_hidden_states is None else output_hidden_states
        use_cache = (config.use_cache if use_cache is None else use_cache) if config.is_decoder else False
        if use_cache and self.encoder.gradient_checkpointing and self.training:
            warning_once(logger, "use_cache=True does not work with gradient checkpointing; using use_cache=False.")
            use_cache = False
        past_key_values = cache_from_legacy(past_key_values)
        if use_cache and past_key_values is None:
            if encoder_hidden_states is not None or config.is_encoder_decoder:
                past_key_values = EncoderDecoderCache(DynamicCache(config=config), DynamicCache(config=config))
            else:
                past_key_values = DynamicCache(config=config)
        past_length = past_key_values.get_seq_length() if past_key_values is not None else 0

        embedding_output = self.embeddings(
            input_ids=input_ids, position_ids=position_ids, token_type_ids=token_type_ids,
            inputs_embeds=inputs_embeds, past_key_values_length=past_length,
        )  # (batch, seq, hidden)
        batch_size, seq_length = embedding_output.shape[:2]
        mask_options = {
            "batch_size": batch_size, "query_length": seq_length, "dtype": embedding_output.dtype,
            "boolean": ALL_ATTENTION_FUNCTIONS.boolean_masks(config._attn_implementation),
            "device": embedding_output.device,
        }
        self_mask = make_attention_mask(
            attention_mask, key_length=past_length + seq_length, is_causal=config.is_decoder, **mask_options
        )
        cross_mask = None
        if encoder_attention_mask is not None:
            cross_mask = make_attention_mask(encoder_attention_mask, **mask_options)

        encoder_outputs = self.encoder(
            embedding_output, self_mask, encoder_hidden_states, cross_mask, past_key_values, use_cache,
            head_mask=self._head_mask(head_mask), output_attentions=bool(output_attentions),
            output_hidden_states=output_hidden_states is not None and output_hidden_states is not False,
        )
        sequence_output = encoder_outputs.last_hidden_state
        pooled_output = self.pooler(sequence_output) if self.pooler is not None else None

        # Optional fields are added after construction, in the reference's order, so that
        # tuple outputs (return_dict=False) line up field for field.
        output = BaseModelOutputWithPoolingAndCrossAttentions(
            last_hidden_state=sequence_output, pooler_output=pooled_output,
            past_key_values=encoder_outputs.past_key_values,
        )
        if encoder_outputs.hidden_states is not None:
            output["hidden_states"] = _select_hidden_states(encoder_outputs.hidden_states, output_hidden_states)
        if output_attentions:
            output["attentions"] = encoder_outputs.attentions
            output["cross_attentions"] = encoder_outputs.cross_attentions
        return self._finish(output, return_dict)


def _select_hidden_states(hidden_states: tuple[Tensor, ...], selection: HiddenSelection) -> tuple[OptTensor, ...]:
    """``output_hidden_states`` may be ``True`` or index(es) to keep (the others become ``None``)."""
    if isinstance(selection, bool):
        return hidden_states
    wanted = [selection] if isinstance(selection, int) else list(selection)
    count = len(hidden_states)
    keep = {i % count for i in wanted if -count <= i < count}
    return tuple(h if i in keep else None for i, h in enumerate(hidden_states))


class _BertLMHeadMixin:
    """Tying and output-embedding accessors of the heads that own ``cls.predictions``."""

    _tied_weights_keys = {
        "cls.predictions.decoder.weight": "bert.embeddings.word_embeddings.weight",
        "cls.predictions.decoder.bias": "cls.predictions.bias",
    }

    def get_output_embeddings(self) -> nn.Linear:
        return self.cls.predictions.decoder

    def set_output_embeddings(self, new_embeddings: nn.Linear) -> None:
        self.cls.predictions.decoder = new_embeddings
        self.cls.predictions.bias = new_embeddings.bias

    def _lm_logits(self, hidden_states: Tensor) -> Tensor:
        """Vocabulary logits ``(batch, seq, vocab)`` of ``hidden_states`` (the LM heads' forwards call this)."""
        return self.cls.predictions(hidden_states)


class BertForPreTraining(_BertLMHeadMixin, BertPreTrainedModel):
    """BERT with both pre-training heads; the loss needs ``labels`` and ``next_sentence_label``.

    Example:
        >>> import torch
        >>> config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2)
        >>> out = BertForPreTraining(config)(torch.tensor([[2, 3, 4]]))
        >>> out.prediction_logits.shape, out.seq_relationship_logits.shape
        (torch.Size([1, 3, 50]), torch.Size([1, 2]))
    """

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self.bert = BertModel(config)
        self.cls = BertPreTrainingHeads(config)
        self.post_init()

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, token_type_ids: OptTensor = None,
        position_ids: OptTensor = None, head_mask: OptTensor = None, inputs_embeds: OptTensor = None,
        labels: OptTensor = None, next_sentence_label: OptTensor = None, output_attentions: bool | None = None,
        output_hidden_states: HiddenSelection = None, return_dict: bool | None = None,
    ) -> BertForPreTrainingOutput | tuple:
        outputs = self.bert(
            input_ids, attention_mask, token_type_ids, position_ids, head_mask, inputs_embeds,
            output_attentions=output_attentions, output_hidden_states=output_hidden_states, return_dict=True,
        )
        prediction_scores, seq_relationship_score = self.cls(outputs.last_hidden_state, outputs.pooler_output)
        loss = None
        if labels is not None and next_sentence_label is not None:
            mlm = losses.masked_lm_loss(prediction_scores, labels)
            nsp = nn.functional.cross_entropy(seq_relationship_score.view(-1, 2), next_sentence_label.view(-1))
            loss = mlm + nsp
        output = BertForPreTrainingOutput(
            loss=loss, prediction_logits=prediction_scores, seq_relationship_logits=seq_relationship_score,
            **body_extras(outputs),
        )
        return self._finish(output, return_dict)


class BertLMHeadModel(_BertLMHeadMixin, BertPreTrainedModel, GenerationMixin):
    """BERT as a left-to-right language model (``config.is_decoder=True``).

    ``labels`` give the shifted next-token loss (``-100`` is ignored); extra loss options
    ``num_items_in_batch``, ``ignore_index``, ``shift_labels`` are accepted as keywords.
    ``past_key_values`` / ``use_cache`` allow step-by-step decoding; a legacy tuple cache
    is accepted and a :class:`~embrace.modeling.cache.DynamicCache` is returned.

    Example:
        >>> import torch
        >>> config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1,
        ...                     num_attention_heads=2, is_decoder=True)
        >>> out = BertLMHeadModel(config)(torch.tensor([[2, 3, 4]]), labels=torch.tensor([[2, 3, 4]]))
        >>> out.logits.shape, out.loss.ndim
        (torch.Size([1, 3, 50]), 0)
    """

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        if not config.is_decoder:
            logger.warning("BertLMHeadModel is meant to be a decoder: set is_decoder=True in its config.")
        self.bert = BertModel(config, add_pooling_layer=False)
        self.cls = BertOnlyMLMHead(config)
        self.post_init()

    @classmethod
    def can_generate(cls) -> bool:
        return True

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, token_type_ids: OptTensor = None,
        position_ids: OptTensor = None, head_mask: OptTensor = None, inputs_embeds: OptTensor = None,
        encoder_hidden_states: OptTensor = None, encoder_attention_mask: OptTensor = None, labels: OptTensor = None,
        past_key_values: Cache | tuple | None = None, use_cache: bool | None = None,
        output_attentions: bool | None = None, output_hidden_states: HiddenSelection = None,
        return_dict: bool | None = None, logits_to_keep: int | Tensor = 0, **loss_kwargs: Any,
    ) -> CausalLMOutputWithCrossAttentions | tuple:
        # Also the forward of RoBERTa's and ELECTRA's causal LMs: the body is ``base_model``,
        # the vocabulary projection ``_lm_logits``.
        losses.check_loss_kwargs(type(self).__name__, loss_kwargs)
        if labels is not None:
            use_cache = False  # training never needs the cache
        outputs = self.base_model(
            input_ids, attention_mask, token_type_ids, position_ids, head_mask, inputs_embeds,
            encoder_hidden_states, encoder_attention_mask, past_key_values, use_cache,
            output_attentions=output_attentions, output_hidden_states=output_hidden_states, return_dict=True,
        )
        hidden = losses.keep_positions(outputs.last_hidden_state, logits_to_keep)  # only the kept positions
        logits = self._lm_logits(hidden)  # (batch, kept, vocab)
        loss = None if labels is None else losses.causal_lm_loss(logits, labels, self.config.vocab_size, **loss_kwargs)
        output = CausalLMOutputWithCrossAttentions(
            loss=loss, logits=logits, past_key_values=outputs.past_key_values, **body_extras(outputs),
            cross_attentions=outputs.cross_attentions,
        )
        return self._finish(output, return_dict)


class BertForMaskedLM(_BertLMHeadMixin, BertPreTrainedModel):
    """BERT with the masked-language-model head; ``labels`` of ``-100`` are ignored in the loss.

    Example:
        >>> import torch
        >>> config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2)
        >>> out = BertForMaskedLM(config)(torch.tensor([[2, 3, 4]]), labels=torch.tensor([[-100, 3, -100]]))
        >>> out.logits.shape
        torch.Size([1, 3, 50])
    """

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        if config.is_decoder:
            logger.warning("BertForMaskedLM needs bidirectional attention: set is_decoder=False in its config.")
        self.bert = BertModel(config, add_pooling_layer=False)
        self.cls = BertOnlyMLMHead(config)
        self.post_init()

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, token_type_ids: OptTensor = None,
        position_ids: OptTensor = None, head_mask: OptTensor = None, inputs_embeds: OptTensor = None,
        encoder_hidden_states: OptTensor = None, encoder_attention_mask: OptTensor = None, labels: OptTensor = None,
        output_attentions: bool | None = None, output_hidden_states: HiddenSelection = None,
        return_dict: bool | None = None,
    ) -> MaskedLMOutput | tuple:
        # Also RoBERTa's masked-LM forward (body ``base_model``, head ``_lm_logits``).
        outputs = self.base_model(
            input_ids, attention_mask, token_type_ids, position_ids, head_mask, inputs_embeds,
            encoder_hidden_states, encoder_attention_mask,
            output_attentions=output_attentions, output_hidden_states=output_hidden_states, return_dict=True,
        )
        return masked_lm_output(self, outputs, self._lm_logits(outputs.last_hidden_state), labels, return_dict)


class BertForNextSentencePrediction(BertPreTrainedModel):
    """BERT with the next-sentence head; label 0 means sentence B follows A, 1 that it is random.

    Example:
        >>> import torch
        >>> config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2)
        >>> BertForNextSentencePrediction(config)(torch.tensor([[2, 3, 4]])).logits.shape
        torch.Size([1, 2])
    """

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self.bert = BertModel(config)
        self.cls = BertOnlyNSPHead(config)
        self.post_init()

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, token_type_ids: OptTensor = None,
        position_ids: OptTensor = None, head_mask: OptTensor = None, inputs_embeds: OptTensor = None,
        labels: OptTensor = None, output_attentions: bool | None = None,
        output_hidden_states: HiddenSelection = None, return_dict: bool | None = None,
    ) -> NextSentencePredictorOutput | tuple:
        outputs = self.bert(
            input_ids, attention_mask, token_type_ids, position_ids, head_mask, inputs_embeds,
            output_attentions=output_attentions, output_hidden_states=output_hidden_states, return_dict=True,
        )
        scores = self.cls(outputs.pooler_output)  # (batch, 2)
        loss = None if labels is None else nn.functional.cross_entropy(scores.view(-1, 2), labels.view(-1))
        return self._finish(NextSentencePredictorOutput(loss=loss, logits=scores, **body_extras(outputs)), return_dict)


def _classifier_dropout(config: BertConfig) -> nn.Dropout:
    rate = config.classifier_dropout if config.classifier_dropout is not None else config.hidden_dropout_prob
    return nn.Dropout(rate)


class BertForSequenceClassification(BertPreTrainedModel):
    """BERT with a linear classifier (or regressor) on the pooled output.

    The loss follows ``config.problem_type``; when unset it is inferred (and stored) on the
    first call with labels: one label -> regression (MSE), integer labels -> single-label
    (cross-entropy), otherwise multi-label (BCE with logits).

    Example:
        >>> import torch
        >>> config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1,
        ...                     num_attention_heads=2, num_labels=3)
        >>> model = BertForSequenceClassification(config)
        >>> out = model(torch.tensor([[2, 3, 4]]), labels=torch.tensor([1]))
        >>> out.logits.shape, model.config.problem_type
        (torch.Size([1, 3]), 'single_label_classification')
    """

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.bert = BertModel(config)
        self.dropout = _classifier_dropout(config)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, token_type_ids: OptTensor = None,
        position_ids: OptTensor = None, head_mask: OptTensor = None, inputs_embeds: OptTensor = None,
        labels: OptTensor = None, output_attentions: bool | None = None,
        output_hidden_states: HiddenSelection = None, return_dict: bool | None = None,
    ) -> SequenceClassifierOutput | tuple:
        # Also RoBERTa's and ELECTRA's: they read the body's output through their own _head_logits.
        outputs = self.base_model(
            input_ids, attention_mask, token_type_ids, position_ids, head_mask, inputs_embeds,
            output_attentions=output_attentions, output_hidden_states=output_hidden_states, return_dict=True,
        )
        return sequence_classification_output(self, outputs, self._head_logits(outputs), labels, return_dict)

    def _head_logits(self, outputs: BaseModelOutputWithPoolingAndCrossAttentions) -> Tensor:
        return self.classifier(self.dropout(outputs.pooler_output))  # (batch, num_labels)


class BertForMultipleChoice(BertPreTrainedModel):
    """BERT scoring ``num_choices`` candidates per example; inputs are ``(batch, num_choices, seq)``.

    Example:
        >>> import torch
        >>> config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2)
        >>> BertForMultipleChoice(config)(torch.tensor([[[2, 3, 4], [2, 5, 6]]])).logits.shape
        torch.Size([1, 2])
    """

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self.bert = BertModel(config)
        self.dropout = _classifier_dropout(config)
        self.classifier = nn.Linear(config.hidden_size, 1)
        self.post_init()

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, token_type_ids: OptTensor = None,
        position_ids: OptTensor = None, head_mask: OptTensor = None, inputs_embeds: OptTensor = None,
        labels: OptTensor = None, output_attentions: bool | None = None,
        output_hidden_states: HiddenSelection = None, return_dict: bool | None = None,
    ) -> MultipleChoiceModelOutput | tuple:
        # Also RoBERTa's and ELECTRA's: the choices are scored by each family's _head_logits.
        num_choices = count_choices(input_ids, inputs_embeds)
        outputs = self.base_model(
            losses.flatten_choices(input_ids), losses.flatten_choices(attention_mask), losses.flatten_choices(token_type_ids),
            losses.flatten_choices(position_ids), head_mask, losses.flatten_choices(inputs_embeds),
            output_attentions=output_attentions, output_hidden_states=output_hidden_states, return_dict=True,
        )  # every choice is a sequence of its own: (batch * choices, seq, hidden)
        logits = self._head_logits(outputs).view(-1, num_choices)  # (batch, choices)
        return multiple_choice_output(self, outputs, logits, labels, return_dict)

    def _head_logits(self, outputs: BaseModelOutputWithPoolingAndCrossAttentions) -> Tensor:
        return self.classifier(self.dropout(outputs.pooler_output))  # (batch * choices, 1)


class BertForTokenClassification(BertPreTrainedModel):
    """BERT with a per-token linear classifier (NER, POS tagging).

    Example:
        >>> import torch
        >>> config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1,
        ...                     num_attention_heads=2, num_labels=5)
        >>> BertForTokenClassification(config)(torch.tensor([[2, 3, 4]])).logits.shape
        torch.Size([1, 3, 5])
    """

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.bert = BertModel(config, add_pooling_layer=False)
        self.dropout = _classifier_dropout(config)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, token_type_ids: OptTensor = None,
        position_ids: OptTensor = None, head_mask: OptTensor = None, inputs_embeds: OptTensor = None,
        labels: OptTensor = None, output_attentions: bool | None = None,
        output_hidden_states: HiddenSelection = None, return_dict: bool | None = None,
    ) -> TokenClassifierOutput | tuple:
        # Also RoBERTa's and ELECTRA's (same modules; the body is ``base_model``).
        outputs = self.base_model(
            input_ids, attention_mask, token_type_ids, position_ids, head_mask, inputs_embeds,
            output_attentions=output_attentions, output_hidden_states=output_hidden_states, return_dict=True,
        )
        logits = self.classifier(self.dropout(outputs.last_hidden_state))  # (batch, seq, num_labels)
        return token_classification_output(self, outputs, logits, labels, return_dict)


class BertForQuestionAnswering(BertPreTrainedModel):
    """BERT predicting answer-span start and end logits for extractive QA.

    Positions outside the sequence are clamped to its length and ignored by the loss, the
    mean of the start and end cross-entropies.

    Example:
        >>> import torch
        >>> config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2)
        >>> out = BertForQuestionAnswering(config)(torch.tensor([[2, 3, 4]]), start_positions=torch.tensor([1]),
        ...                                        end_positions=torch.tensor([2]))
        >>> out.start_logits.shape, out.loss.ndim
        (torch.Size([1, 3]), 0)
    """

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.bert = BertModel(config, add_pooling_layer=False)
        self.qa_outputs = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, token_type_ids: OptTensor = None,
        position_ids: OptTensor = None, head_mask: OptTensor = None, inputs_embeds: OptTensor = None,
        start_positions: OptTensor = None, end_positions: OptTensor = None, output_attentions: bool | None = None,
        output_hidden_states: HiddenSelection = None, return_dict: bool | None = None,
    ) -> QuestionAnsweringModelOutput | tuple:
        # Also RoBERTa's and ELECTRA's (same modules; the body is ``base_model``).
        outputs = self.base_model(
            input_ids, attention_mask, token_type_ids, position_ids, head_mask, inputs_embeds,
            output_attentions=output_attentions, output_hidden_states=output_hidden_states, return_dict=True,
        )
        span_logits = self.qa_outputs(outputs.last_hidden_state)  # (batch, seq, 2)
        return question_answering_output(self, outputs, span_logits, start_positions, end_positions, return_dict)


__all__ = [
    "BertConfig", "BertEmbeddings", "BertSelfAttention", "BertCrossAttention", "BertSelfOutput", "BertAttention",
    "BertIntermediate", "BertOutput", "BertLayer", "BertEncoder", "BertPooler", "BertPredictionHeadTransform",
    "BertLMPredictionHead", "BertOnlyMLMHead", "BertOnlyNSPHead", "BertPreTrainingHeads", "BertForPreTrainingOutput",
    "BertPreTrainedModel", "BertModel", "BertForPreTraining", "BertLMHeadModel", "BertForMaskedLM",
    "BertForNextSentencePrediction", "BertForSequenceClassification", "BertForMultipleChoice",
    "BertForTokenClassification", "BertForQuestionAnswering",
]
