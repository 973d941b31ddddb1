"""DeBERTa-v2 (and v3): disentangled attention over content and relative positions.

Each attention score is the sum of up to three terms, all divided by
``sqrt(head_dim * (1 + number of position terms))``:

* content-to-content ``q_i . k_j`` (as in BERT);
* content-to-position ``"c2p"``: ``q_i . pos_k[delta(i, j)]``;
* position-to-content ``"p2c"``: ``k_j . pos_q[delta(j, i)]``;

where ``delta`` is the relative distance, optionally squashed into log buckets
(``position_buckets``), and ``pos_k`` / ``pos_q`` are projections of one table of relative
embeddings shared by all layers (``encoder.rel_embeddings``, LayerNorm'ed when
``norm_rel_ebd="layer_norm"``). With ``share_att_key`` the content projections are reused
for positions. An optional convolution (``conv_kernel_size``) mixes neighbours after the
first layer. The position bias travels as an additive attention mask, so the eager and sdpa
backends both work.

Example:
    >>> import torch
    >>> from embrace.models.deberta_v2 import DebertaV2Config, DebertaV2Model
    >>> config = DebertaV2Config(vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
    ...                          intermediate_size=37, relative_attention=True, pos_att_type="p2c|c2p",
    ...                          position_buckets=8)
    >>> config.pos_att_type
    ['p2c', 'c2p']
    >>> DebertaV2Model(config).eval()(torch.tensor([[1, 5, 7, 2]])).last_hidden_state.shape
    torch.Size([1, 4, 32])
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from embrace.configuration import PretrainedConfig
from embrace.errors import ConfigError
from embrace.modeling.activations import ACT2FN
from embrace.modeling.attention import ALL_ATTENTION_FUNCTIONS
from embrace.modeling import losses
from embrace.modeling.modeling_utils import PreTrainedModel
from embrace.modeling.outputs import (
    BaseModelOutput,
    MaskedLMOutput,
    MultipleChoiceModelOutput,
    QuestionAnsweringModelOutput,
    SequenceClassifierOutput,
    TokenClassifierOutput,
)
from embrace.modeling.heads import (
    body_extras,
    count_choices,
    masked_lm_output,
    multiple_choice_output,
    question_answering_output,
    token_classification_output,
)
from embrace.models.bert import (
    OptTensor,
    Tensor,
    call_layer,
)

_POS_ATT_TYPES = ("c2p", "p2c")


class DebertaV2Config(PretrainedConfig):
    """Configuration of a DeBERTa-v2 model; defaults are deberta-v2-xlarge's.

    ``pos_att_type`` may be given as ``"p2c|c2p"`` and is stored as a list. Settings that
    only some checkpoints carry (``position_buckets``, ``share_att_key``, ``norm_rel_ebd``,
    ``conv_kernel_size``, ``conv_act``, ``conv_groups``, ``attention_head_size``,
    ``cls_dropout``) are kept as extra attributes and read with their defaults.

    Example:
        >>> config = DebertaV2Config(pos_att_type="c2p|p2c", hidden_size=64, num_attention_heads=4)
        >>> config.pos_att_type, config.pooler_hidden_size
        (['c2p', 'p2c'], 64)
    """

    model_type = "deberta-v2"

    vocab_size: int = 128100
    hidden_size: int = 1536
    num_hidden_layers: int = 24
    num_attention_heads: int = 24
    intermediate_size: int = 6144
    hidden_act: str = "gelu"
    hidden_dropout_prob: float | int = 0.1
    attention_probs_dropout_prob: float | int = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 0
    initializer_range: float = 0.02
    layer_norm_eps: float = 1e-7
    relative_attention: bool = False
    max_relative_positions: int = -1
    pad_token_id: int | None = 0
    bos_token_id: int | None = None
    eos_token_id: int | list[int] | None = None
    position_biased_input: bool = True
    pos_att_type: str | list[str] | None = None
    pooler_dropout: float | int = 0.0
    pooler_hidden_act: str = "gelu"
    legacy: bool = True
    tie_word_embeddings: bool = True

    def __post_init__(self, **kwargs: Any) -> None:
        if isinstance(self.pos_att_type, str):  # the "p2c|c2p" spelling of old config files
            self.pos_att_type = [part.strip() for part in self.pos_att_type.lower().split("|")]
        self.pooler_hidden_size = kwargs.pop("pooler_hidden_size", self.hidden_size)
        super().__post_init__(**kwargs)

    def validate_pos_att_type(self) -> None:
        """Only the content-to-position and position-to-content terms exist."""
        unknown = [t for t in self.pos_att_type or [] if t not in _POS_ATT_TYPES]
        if unknown:
            raise ConfigError(f"pos_att_type has unknown entries {unknown}; use a subset of {list(_POS_ATT_TYPES)}.")


def make_log_bucket_position(relative_pos: Tensor, bucket_size: int, max_position: int) -> Tensor:
    """Keep distances within ``bucket_size // 2`` exact and squash longer ones logarithmically.

    Example:
        >>> make_log_bucket_position(torch.tensor([-300, -3, 0, 3, 300]), 8, 512).tolist()
        [-7.0, -3.0, 0.0, 3.0, 7.0]
    """
    sign = torch.sign(relative_pos)
    mid = bucket_size // 2
    near = (relative_pos < mid) & (relative_pos > -mid)
    abs_pos = torch.where(near, torch.tensor(mid - 1).type_as(relative_pos), torch.abs(relative_pos))
    ratio = torch.log(abs_pos / mid) / torch.log(torch.tensor((max_position - 1) / mid))
    log_pos = torch.ceil(ratio * (mid - 1)) + mid
    return torch.where(abs_pos <= mid, relative_pos.type_as(log_pos), log_pos * sign)


def build_relative_position(
    query_size: int, key_size: int, bucket_size: int = -1, max_position: int = -1, device: Any = None
) -> Tensor:
    """``(1, query_size, key_size)`` distances ``i - j`` (log-bucketed when both limits are set).

    Example:
        >>> build_relative_position(2, 3).tolist()
        [[[0, -1, -2], [1, 0, -1]]]
    """
    q_ids = torch.arange(query_size, dtype=torch.long, device=device)
    k_ids = torch.arange(key_size, dtype=torch.long, device=device)
    relative = q_ids[:, None] - k_ids[None, :]
    if bucket_size > 0 and max_position > 0:
        relative = make_log_bucket_position(relative, bucket_size, max_position)
    return relative.to(torch.long)[None]


class DebertaV2SelfOutput(nn.Module):
    """Attention output projection, dropout, residual add and LayerNorm.

    Example:
        >>> block = DebertaV2SelfOutput(DebertaV2Config(hidden_size=8, num_attention_heads=2))
        >>> block(torch.zeros(1, 2, 8), torch.zeros(1, 2, 8)).shape
        torch.Size([1, 2, 8])
    """

    def __init__(self, config: DebertaV2Config) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states: Tensor, input_tensor: Tensor) -> Tensor:
        return self.LayerNorm(self.dropout(self.dense(hidden_states)) + input_tensor)


class DisentangledSelfAttention(nn.Module):
    """Self-attention whose scores add the c2p / p2c relative-position terms.

    Example:
        >>> config = DebertaV2Config(hidden_size=8, num_attention_heads=2, relative_attention=True,
        ...                          pos_att_type=["c2p", "p2c"], max_position_embeddings=16)
        >>> attn = DisentangledSelfAttention(config)
        >>> rel = torch.zeros(32, 8)
        >>> attn(torch.zeros(1, 3, 8), None, build_relative_position(3, 3), rel)[0].shape
        torch.Size([1, 3, 8])
    """

    def __init__(self, config: DebertaV2Config) -> None:
        super().__init__()
        if config.hidden_size % config.num_attention_heads != 0:
            raise ConfigError(
                f"The hidden size ({config.hidden_size}) is not a multiple of the number of attention heads "
                f"({config.num_attention_heads}); pick num_attention_heads dividing hidden_size."
            )
        self.config = config
        self.num_attention_heads = config.num_attention_heads
        self.attention_head_size = getattr(config, "attention_head_size", config.hidden_size // config.num_attention_heads)
        self.all_head_size = self.num_attention_heads * self.attention_head_size
        self.query_proj = nn.Linear(config.hidden_size, self.all_head_size)
        self.key_proj = nn.Linear(config.hidden_size, self.all_head_size)
        self.value_proj = nn.Linear(config.hidden_size, self.all_head_size)
        self.share_att_key = getattr(config, "share_att_key", False)
        self.pos_att_type = config.pos_att_type or []
        self.relative_attention = config.relative_attention
        if self.relative_attention:
            self.position_buckets = getattr(config, "position_buckets", -1)
            self.max_relative_positions = config.max_relative_positions
            if self.max_relative_positions < 1:
                self.max_relative_positions = config.max_position_embeddings
            # Distances span [-pos_ebd_size, pos_ebd_size): the rows of the relative table used.
            self.pos_ebd_size = self.position_buckets if self.position_buckets > 0 else self.max_relative_positions
            self.pos_dropout = nn.Dropout(config.hidden_dropout_prob)
            if not self.share_att_key:
                if "c2p" in self.pos_att_type:
                    self.pos_key_proj = nn.Linear(config.hidden_size, self.all_head_size)
                if "p2c" in self.pos_att_type:
                    self.pos_query_proj = nn.Linear(config.hidden_size, self.all_head_size)
        self.dropout = nn.Dropout(config.attention_probs_dropout_prob)
        self.is_causal = False
        # Each position term adds a score of the same scale, so the divisor grows with them.
        self.scale_factor = 1 + len([t for t in _POS_ATT_TYPES if t in self.pos_att_type])

    def _heads(self, states: Tensor, projection: nn.Linear) -> Tensor:
        batch, seq = states.shape[:2]
        # (batch, seq, all_head) -> (batch, heads, seq, head_dim)
        return projection(states).view(batch, seq, self.num_attention_heads, -1).transpose(1, 2)

    def forward(
        self, hidden_states: Tensor, attention_mask: OptTensor, relative_pos: OptTensor = None,
        rel_embeddings: OptTensor = None, *, output_attentions: bool = False,
    ) -> tuple[Tensor, OptTensor]:
        query = self._heads(hidden_states, self.query_proj)
        key = self._heads(hidden_states, self.key_proj)
        value = self._heads(hidden_states, self.value_proj)
        scaling = (self.attention_head_size * self.scale_factor) ** -0.5
        bias = None
        if self.relative_attention:
            bias = self._position_scores(query, key, relative_pos, self.pos_dropout(rel_embeddings), scaling)
        # The bias rides in the additive mask; blocked pairs get the most negative value exactly.
        mask = bias
        if attention_mask is not None:
            base = bias if bias is not None else torch.zeros((), dtype=query.dtype, device=query.device)
            mask = base.masked_fill(~attention_mask, torch.finfo(query.dtype).min)
            # Padding queries see no key at all and attend uniformly. Zeroing their queries keeps
            # that output while stopping gradients into q.k through those rows, as a masked fill would.
            query = query * attention_mask.any(dim=-1, keepdim=True)
        attention = ALL_ATTENTION_FUNCTIONS[self.config._attn_implementation or "sdpa"]
        context, weights = attention(
            self, query, key, value, mask, scaling=scaling, dropout=self.dropout.p if self.training else 0.0,
            output_attentions=output_attentions,
        )  # (batch, seq, heads, head_dim)
        return context.reshape(*context.shape[:2], -1), weights

    def _position_scores(
        self, query: Tensor, key: Tensor, relative_pos: Tensor, rel_embeddings: Tensor, scaling: float
    ) -> Tensor:
        """c2p + p2c terms ``(batch, heads, q_len, k_len)``, already scaled."""
        span = self.pos_ebd_size
        table = rel_embeddings[: span * 2][None]  # (1, 2 * span, hidden)
        relative_pos = relative_pos.to(device=query.device, dtype=torch.long).reshape(query.shape[2], key.shape[2])
        pos_key_proj = self.key_proj if self.share_att_key else getattr(self, "pos_key_proj", None)
        pos_query_proj = self.query_proj if self.share_att_key else getattr(self, "pos_query_proj", None)
        batch, heads, q_len, k_len = query.shape[0], query.shape[1], query.shape[2], key.shape[2]
        score = torch.zeros((), dtype=query.dtype, device=query.device)
        if "c2p" in self.pos_att_type:
            pos_key = self._heads(table, pos_key_proj)  # (1, heads, 2 * span, head_dim)
            c2p = torch.matmul(query, pos_key.transpose(-1, -2))  # (batch, heads, q_len, 2 * span)
            index = torch.clamp(relative_pos + span, 0, span * 2 - 1).expand(batch, heads, q_len, k_len)
            score = score + torch.gather(c2p, -1, index) * scaling
        if "p2c" in self.pos_att_type:
            pos_query = self._heads(table, pos_query_proj)
            p2c = torch.matmul(key, pos_query.transpose(-1, -2))  # (batch, heads, k_len, 2 * span)
            index = torch.clamp(-relative_pos + span, 0, span * 2 - 1).expand(batch, heads, k_len, k_len)
            score = score + torch.gather(p2c, -1, index).transpose(-1, -2) * scaling
        return score


class DebertaV2Attention(nn.Module):
    """:class:`DisentangledSelfAttention` plus its output block.

    Example:
        >>> attention = DebertaV2Attention(DebertaV2Config(hidden_size=8, num_attention_heads=2))
        >>> attention(torch.zeros(1, 3, 8), None)[0].shape
        torch.Size([1, 3, 8])
    """

    def __init__(self, config: DebertaV2Config) -> None:
        super().__init__()
        self.self = DisentangledSelfAttention(config)
        self.output = DebertaV2SelfOutput(config)

    def forward(
        self, hidden_states: Tensor, attention_mask: OptTensor, relative_pos: OptTensor = None,
        rel_embeddings: OptTensor = None, *, output_attentions: bool = False,
    ) -> tuple[Tensor, OptTensor]:
        context, weights = self.self(
            hidden_states, attention_mask, relative_pos, rel_embeddings, output_attentions=output_attentions
        )
        return self.output(context, hidden_states), weights


class DebertaV2Intermediate(nn.Module):
    """Feed-forward expansion and activation.

    Example:
        >>> config = DebertaV2Config(hidden_size=8, num_attention_heads=2, intermediate_size=16)
        >>> DebertaV2Intermediate(config)(torch.zeros(1, 2, 8)).shape
        torch.Size([1, 2, 16])
    """

    def __init__(self, config: DebertaV2Config) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)
        self.intermediate_act_fn = ACT2FN[config.hidden_act] if isinstance(config.hidden_act, str) else config.hidden_act

    def forward(self, hidden_states: Tensor) -> Tensor:
        return self.intermediate_act_fn(self.dense(hidden_states))


class DebertaV2Output(DebertaV2SelfOutput):
    """Feed-forward contraction, dropout, residual and LayerNorm.

    Example:
        >>> config = DebertaV2Config(hidden_size=8, num_attention_heads=2, intermediate_size=16)
        >>> DebertaV2Output(config)(torch.zeros(1, 2, 16), torch.zeros(1, 2, 8)).shape
        torch.Size([1, 2, 8])
    """

    def __init__(self, config: DebertaV2Config) -> None:
        super().__init__(config)
        self.dense = nn.Linear(config.intermediate_size, config.hidden_size)


class DebertaV2Layer(nn.Module):
    """One block: disentangled attention then feed-forward.

    Example:
        >>> layer = DebertaV2Layer(DebertaV2Config(hidden_size=8, num_attention_heads=2, intermediate_size=16))
        >>> layer(torch.zeros(1, 3, 8), None)[0].shape
        torch.Size([1, 3, 8])
    """

    def __init__(self, config: DebertaV2Config) -> None:
        super().__init__()
        self.attention = DebertaV2Attention(config)
        self.intermediate = DebertaV2Intermediate(config)
        self.output = DebertaV2Output(config)

    def forward(
        self, hidden_states: Tensor, attention_mask: OptTensor, relative_pos: OptTensor = None,
        rel_embeddings: OptTensor = None, *, output_attentions: bool = False,
    ) -> tuple[Tensor, OptTensor]:
        attended, weights = self.attention(
            hidden_states, attention_mask, relative_pos, rel_embeddings, output_attentions=output_attentions
        )
        return self.output(self.intermediate(attended), attended), weights


class ConvLayer(nn.Module):
    """1-D convolution over the sequence, added to the first layer's output (``conv_kernel_size`` > 0).

    Example:
        >>> config = DebertaV2Config(hidden_size=8, num_attention_heads=2, conv_kernel_size=3)
        >>> ConvLayer(config)(torch.zeros(1, 4, 8), torch.zeros(1, 4, 8), torch.ones(1, 4)).shape
        torch.Size([1, 4, 8])
    """

    def __init__(self, config: DebertaV2Config) -> None:
        super().__init__()
        kernel_size = getattr(config, "conv_kernel_size", 3)
        self.conv_act = getattr(config, "conv_act", "tanh")
        self.conv = nn.Conv1d(
            config.hidden_size, config.hidden_size, kernel_size, padding=(kernel_size - 1) // 2,
            groups=getattr(config, "conv_groups", 1),
        )
        self.LayerNorm = nn.LayerNorm(config.hidden_size, config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states: Tensor, residual_states: Tensor, input_mask: Tensor) -> Tensor:
        out = self.conv(hidden_states.transpose(1, 2)).transpose(1, 2)  # (batch, seq, hidden)
        keep = input_mask.to(out.dtype)[..., None]  # (batch, seq, 1)
        out = ACT2FN[self.conv_act](self.dropout(out * keep))
        return self.LayerNorm(residual_states + out) * keep


class DebertaV2Embeddings(nn.Module):
    """Word (+ absolute position when ``position_biased_input``) (+ token type) embeddings.

    They may be narrower (``embedding_size``) and projected (``embed_proj``); after the
    LayerNorm, padding positions are zeroed.

    Example:
        >>> config = DebertaV2Config(vocab_size=10, hidden_size=8, num_attention_heads=2, type_vocab_size=2)
        >>> DebertaV2Embeddings(config)(torch.tensor([[1, 2, 3]])).shape
        torch.Size([1, 3, 8])
    """

    def __init__(self, config: DebertaV2Config) -> None:
        super().__init__()
        self.embedding_size = getattr(config, "embedding_size", config.hidden_size)
        self.word_embeddings = nn.Embedding(config.vocab_size, self.embedding_size, padding_idx=config.pad_token_id)
        self.position_biased_input = config.position_biased_input
        self.position_embeddings = (
            nn.Embedding(config.max_position_embeddings, self.embedding_size) if self.position_biased_input else None
        )
        self.token_type_embeddings = (
            nn.Embedding(config.type_vocab_size, self.embedding_size) if config.type_vocab_size > 0 else None
        )
        self.embed_proj = (
            nn.Linear(self.embedding_size, config.hidden_size, bias=False)
            if self.embedding_size != config.hidden_size else None
        )
        self.LayerNorm = nn.LayerNorm(config.hidden_size, config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        positions = torch.arange(config.max_position_embeddings).expand((1, -1))
        self.register_buffer("position_ids", positions, persistent=False)

    def forward(
        self, input_ids: OptTensor = None, token_type_ids: OptTensor = None, position_ids: OptTensor = None,
        mask: OptTensor = None, inputs_embeds: OptTensor = None,
    ) -> Tensor:
        if inputs_embeds is None:
            inputs_embeds = self.word_embeddings(input_ids)  # (batch, seq, embedding_size)
        embeddings = inputs_embeds
        if self.position_embeddings is not None:
            if position_ids is None:
                position_ids = self.position_ids[:, : inputs_embeds.shape[1]]
            embeddings = embeddings + self.position_embeddings(position_ids.long())
        if self.token_type_embeddings is not None:
            if token_type_ids is None:
                embeddings = embeddings + self.token_type_embeddings.weight[0]
            else:
                embeddings = embeddings + self.token_type_embeddings(token_type_ids)
        if self.embed_proj is not None:
            embeddings = self.embed_proj(embeddings)
        embeddings = self.LayerNorm(embeddings)
        if mask is not None:
            embeddings = embeddings * mask.to(embeddings.dtype)[..., None]
        return self.dropout(embeddings)


class DebertaV2Encoder(nn.Module):
    """The layers, the shared relative-position table and the optional convolution.

    Example:
        >>> config = DebertaV2Config(hidden_size=8, num_attention_heads=2, num_hidden_layers=2,
        ...                          relative_attention=True, pos_att_type=["c2p"], max_position_embeddings=16)
        >>> encoder = DebertaV2Encoder(config)
        >>> encoder.rel_embeddings.weight.shape, encoder(torch.zeros(1, 3, 8), torch.ones(1, 3)).last_hidden_state.shape
        (torch.Size([32, 8]), torch.Size([1, 3, 8]))
    """

    def __init__(self, config: DebertaV2Config) -> None:
        super().__init__()
        self.layer = nn.ModuleList([DebertaV2Layer(config) for _ in range(config.num_hidden_layers)])
        self.relative_attention = config.relative_attention
        if self.relative_attention:
            self.max_relative_positions = config.max_relative_positions
            if self.max_relative_positions < 1:
                self.max_relative_positions = config.max_position_embeddings
            self.position_buckets = getattr(config, "position_buckets", -1)
            size = self.position_buckets if self.position_buckets > 0 else self.max_relative_positions
            self.rel_embeddings = nn.Embedding(size * 2, config.hidden_size)
        self.norm_rel_ebd = [x.strip() for x in getattr(config, "norm_rel_ebd", "none").lower().split("|")]
        if "layer_norm" in self.norm_rel_ebd:
            self.LayerNorm = nn.LayerNorm(config.hidden_size, config.layer_norm_eps, elementwise_affine=True)
        self.conv = ConvLayer(config) if getattr(config, "conv_kernel_size", 0) > 0 else None
        self.gradient_checkpointing = False

    def get_rel_embedding(self) -> OptTensor:
        """The relative-position table shared by every layer (LayerNorm'ed if configured)."""
        if not self.relative_attention:
            return None
        table = self.rel_embeddings.weight
        return self.LayerNorm(table) if "layer_norm" in self.norm_rel_ebd else table

    def forward(
        self, hidden_states: Tensor, input_mask: Tensor, *, output_attentions: bool = False,
        output_hidden_states: bool = False,
    ) -> BaseModelOutput:
        seq = hidden_states.shape[1]
        keep = input_mask.bool()
        pair_mask = (keep[:, None, :] & keep[:, :, None])[:, None]  # (batch, 1, seq, seq): pads attend to nothing
        relative_pos = rel_embeddings = None
        if self.relative_attention:
            relative_pos = build_relative_position(
                seq, seq, self.position_buckets, self.max_relative_positions, device=hidden_states.device
            )
            rel_embeddings = self.get_rel_embedding()
        all_hidden = [hidden_states] if output_hidden_states else None
        all_weights = []
        states = hidden_states
        for i, layer in enumerate(self.layer):
            states, weights = call_layer(
                self, layer, states, pair_mask, relative_pos, rel_embeddings, output_attentions=output_attentions
            )
            if i == 0 and self.conv is not None:
                states = self.conv(hidden_states, states, input_mask)
            if all_hidden is not None:
                all_hidden.append(states)
            if weights is not None:
                all_weights.append(weights)
        return BaseModelOutput(
            last_hidden_state=states,
            hidden_states=tuple(all_hidden) if all_hidden is not None else None,
            attentions=tuple(all_weights) if output_attentions else None,
        )


class DebertaV2PreTrainedModel(PreTrainedModel):
    """Shared base of the DeBERTa-v2 models: config class, weight init, output plumbing.

    Example:
        >>> config = DebertaV2Config(vocab_size=10, hidden_size=8, num_attention_heads=2, num_hidden_layers=1)
        >>> model = DebertaV2ForMaskedLM(config)
        >>> model.cls.predictions.decoder.weight is model.deberta.embeddings.word_embeddings.weight
        True
    """

    config_class = DebertaV2Config
    base_model_prefix = "deberta"
    supports_gradient_checkpointing = True
    _supports_sdpa = True
    _keys_to_ignore_on_load_unexpected = ["position_embeddings"]

    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, (LegacyDebertaV2LMPredictionHead, DebertaV2LMPredictionHead)):
            module.bias.zero_()
        elif isinstance(module, DebertaV2Embeddings):
            module.position_ids.copy_(torch.arange(module.position_ids.shape[-1]).expand((1, -1)))



class DebertaV2Model(DebertaV2PreTrainedModel):
    """The DeBERTa-v2 body: embeddings and the disentangled-attention encoder (no pooler).

    Example:
        >>> config = DebertaV2Config(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        ...                          intermediate_size=32)
        >>> DebertaV2Model(config)(torch.tensor([[2, 3, 4]])).last_hidden_state.shape
        torch.Size([1, 3, 16])
    """

    _no_split_modules = ["DebertaV2Embeddings", "DebertaV2Layer"]

    def __init__(self, config: DebertaV2Config) -> None:
        super().__init__(config)
        self.embeddings = DebertaV2Embeddings(config)
        self.encoder = DebertaV2Encoder(config)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embeddings.word_embeddings

    def set_input_embeddings(self, new_embeddings: nn.Embedding) -> None:
        self.embeddings.word_embeddings = new_embeddings

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, token_type_ids: OptTensor = None,
        position_ids: OptTensor = None, inputs_embeds: OptTensor = None, output_attentions: bool | None = None,
        output_hidden_states: bool | None = None, return_dict: bool | None = None,
    ) -> BaseModelOutput | tuple:
        if input_ids is not None and inputs_embeds is not None:
            raise ValueError("You cannot specify both input_ids and inputs_embeds at the same time")
        if input_ids is None and inputs_embeds is None:
            raise ValueError("You have to specify either input_ids or inputs_embeds")
        config = self.config
        output_attentions = config.output_attentions if output_attentions is None else output_attentions
        output_hidden_states = config.output_hidden_states if output_hidden_states is None else output_hidden_states
        source = input_ids if input_ids is not None else inputs_embeds
        if attention_mask is None:
            attention_mask = torch.ones(source.shape[:2], device=source.device)
        elif attention_mask.dim() != 2:
            raise ValueError(
                f"attention_mask must be a (batch, seq) padding mask of 1/0; got shape {tuple(attention_mask.shape)}."
            )
        embedded = self.embeddings(input_ids, token_type_ids, position_ids, attention_mask, inputs_embeds)
        output = self.encoder(
            embedded, attention_mask, output_attentions=bool(output_attentions),
            output_hidden_states=bool(output_hidden_states),
        )
        return self._finish(output, return_dict)


class LegacyDebertaV2PredictionHeadTransform(nn.Module):
    """Dense to ``embedding_size``, activation, LayerNorm (the legacy MLM head's transform).

    Example:
        >>> config = DebertaV2Config(hidden_size=8, num_attention_heads=2)
        >>> LegacyDebertaV2PredictionHeadTransform(config)(torch.zeros(1, 8)).shape
        torch.Size([1, 8])
    """

    def __init__(self, config: DebertaV2Config) -> None:
        super().__init__()
        self.embedding_size = getattr(config, "embedding_size", config.hidden_size)
        self.dense = nn.Linear(config.hidden_size, self.embedding_size)
        self.transform_act_fn = ACT2FN[config.hidden_act] if isinstance(config.hidden_act, str) else config.hidden_act
        self.LayerNorm = nn.LayerNorm(self.embedding_size, eps=config.layer_norm_eps)

    def forward(self, hidden_states: Tensor) -> Tensor:
        return self.LayerNorm(self.transform_act_fn(self.dense(hidden_states)))


class LegacyDebertaV2LMPredictionHead(nn.Module):
    """Transform then ``decoder`` (tied to the word embeddings, its bias to ``bias``).

    Example:
        >>> config = DebertaV2Config(vocab_size=10, hidden_size=8, num_attention_heads=2)
        >>> LegacyDebertaV2LMPredictionHead(config)(torch.zeros(1, 2, 8)).shape
        torch.Size([1, 2, 10])
    """

    def __init__(self, config: DebertaV2Config) -> None:
        super().__init__()
        self.transform = LegacyDebertaV2PredictionHeadTransform(config)
        self.embedding_size = getattr(config, "embedding_size", config.hidden_size)
        self.decoder = nn.Linear(self.embedding_size, config.vocab_size)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))

    def forward(self, hidden_states: Tensor) -> Tensor:
        return self.decoder(self.transform(hidden_states))


class LegacyDebertaV2OnlyMLMHead(nn.Module):
    """The legacy MLM head (``cls.predictions``), used when ``config.legacy`` is true.

    Example:
        >>> config = DebertaV2Config(vocab_size=10, hidden_size=8, num_attention_heads=2)
        >>> LegacyDebertaV2OnlyMLMHead(config)(torch.zeros(1, 2, 8)).shape
        torch.Size([1, 2, 10])
    """

    def __init__(self, config: DebertaV2Config) -> None:
        super().__init__()
        self.predictions = LegacyDebertaV2LMPredictionHead(config)

    def forward(self, sequence_output: Tensor) -> Tensor:
        return self.predictions(sequence_output)


class DebertaV2LMPredictionHead(nn.Module):
    """The original DeBERTa MLM head: transform, then a product with the word embeddings plus ``bias``.

    Example:
        >>> config = DebertaV2Config(vocab_size=10, hidden_size=8, num_attention_heads=2)
        >>> DebertaV2LMPredictionHead(config)(torch.zeros(1, 2, 8), nn.Embedding(10, 8)).shape
        torch.Size([1, 2, 10])
    """

    def __init__(self, config: DebertaV2Config) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.transform_act_fn = ACT2FN[config.hidden_act] if isinstance(config.hidden_act, str) else config.hidden_act
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps, elementwise_affine=True)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))

    def forward(self, hidden_states: Tensor, word_embeddings: nn.Embedding) -> Tensor:
        hidden = self.LayerNorm(self.transform_act_fn(self.dense(hidden_states)))
        return torch.matmul(hidden, word_embeddings.weight.t()) + self.bias  # (batch, seq, vocab)


class DebertaV2OnlyMLMHead(nn.Module):
    """The non-legacy MLM head (``lm_predictions.lm_head``), used when ``config.legacy`` is false.

    Example:
        >>> config = DebertaV2Config(vocab_size=10, hidden_size=8, num_attention_heads=2)
        >>> DebertaV2OnlyMLMHead(config)(torch.zeros(1, 2, 8), nn.Embedding(10, 8)).shape
        torch.Size([1, 2, 10])
    """

    def __init__(self, config: DebertaV2Config) -> None:
        super().__init__()
        self.lm_head = DebertaV2LMPredictionHead(config)

    def forward(self, sequence_output: Tensor, word_embeddings: nn.Embedding) -> Tensor:
        return self.lm_head(sequence_output, word_embeddings)


class DebertaV2ForMaskedLM(DebertaV2PreTrainedModel):
    """DeBERTa-v2 with an MLM head: ``cls.predictions`` (``config.legacy``) or ``lm_predictions.lm_head``.

    Example:
        >>> config = DebertaV2Config(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        ...                          intermediate_size=32, legacy=False)
        >>> DebertaV2ForMaskedLM(config)(torch.tensor([[2, 3, 4]])).logits.shape
        torch.Size([1, 3, 50])
    """

    _tied_weights_keys = {
        "cls.predictions.decoder.bias": "cls.predictions.bias",
        "cls.predictions.decoder.weight": "deberta.embeddings.word_embeddings.weight",
    }
    _keys_to_ignore_on_load_unexpected = [r"mask_predictions.*"]

    def __init__(self, config: DebertaV2Config) -> None:
        super().__init__(config)
        self.legacy = config.legacy
        self.deberta = DebertaV2Model(config)
        if self.legacy:
            self.cls = LegacyDebertaV2OnlyMLMHead(config)
        else:
            self._tied_weights_keys = {}  # this head reads the embeddings directly: nothing to tie
            self.lm_predictions = DebertaV2OnlyMLMHead(config)
        self.post_init()

    def get_output_embeddings(self) -> nn.Linear:
        return self.cls.predictions.decoder if self.legacy else self.lm_predictions.lm_head.dense

    def set_output_embeddings(self, new_embeddings: nn.Linear) -> None:
        head = self.cls.predictions if self.legacy else self.lm_predictions.lm_head
        if self.legacy:
            head.decoder = new_embeddings
        else:
            head.dense = new_embeddings
        head.bias = new_embeddings.bias

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, token_type_ids: OptTensor = None,
        position_ids: OptTensor = None, inputs_embeds: OptTensor = None, labels: OptTensor = None,
        output_attentions: bool | None = None, output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> MaskedLMOutput | tuple:
        outputs = self.deberta(
            input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
            output_attentions=output_attentions, output_hidden_states=output_hidden_states, return_dict=True,
        )
        if self.legacy:
            logits = self.cls(outputs.last_hidden_state)
        else:
            logits = self.lm_predictions(outputs.last_hidden_state, self.deberta.embeddings.word_embeddings)
        return masked_lm_output(self, outputs, logits, labels, return_dict)


class ContextPooler(nn.Module):
    """First token, dropout, ``dense``, ``pooler_hidden_act``.

    Example:
        >>> config = DebertaV2Config(hidden_size=8, num_attention_heads=2)
        >>> ContextPooler(config)(torch.zeros(2, 3, 8)).shape, ContextPooler(config).output_dim
        (torch.Size([2, 8]), 8)
    """

    def __init__(self, config: DebertaV2Config) -> None:
        super().__init__()
        self.dense = nn.Linear(config.pooler_hidden_size, config.pooler_hidden_size)
        self.dropout = nn.Dropout(config.pooler_dropout)
        self.activation = ACT2FN[config.pooler_hidden_act]
        self.output_dim = config.hidden_size

    def forward(self, hidden_states: Tensor) -> Tensor:
        return self.activation(self.dense(self.dropout(hidden_states[:, 0])))  # (batch, pooler_hidden)


def _cls_dropout(config: DebertaV2Config) -> nn.Dropout:
    rate = getattr(config, "cls_dropout", None)
    return nn.Dropout(config.hidden_dropout_prob if rate is None else rate)


class DebertaV2ForSequenceClassification(DebertaV2PreTrainedModel):
    """DeBERTa-v2 with :class:`ContextPooler` and a linear classifier.

    Without ``config.problem_type`` the loss is DeBERTa's own: MSE for one label,
    cross-entropy over the examples whose label is >= 0 for class ids, and soft-label
    cross-entropy for label distributions (``problem_type`` is left unset). With it, the
    loss is the shared one.

    Example:
        >>> config = DebertaV2Config(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        ...                          intermediate_size=32, num_labels=3)
        >>> out = DebertaV2ForSequenceClassification(config)(torch.tensor([[2, 3, 4]]), labels=torch.tensor([-1]))
        >>> out.logits.shape, out.loss.item()
        (torch.Size([1, 3]), 0.0)
    """

    def __init__(self, config: DebertaV2Config) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.deberta = DebertaV2Model(config)
        self.pooler = ContextPooler(config)
        self.classifier = nn.Linear(self.pooler.output_dim, config.num_labels)
        self.dropout = _cls_dropout(config)
        self.post_init()

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, token_type_ids: OptTensor = None,
        position_ids: OptTensor = None, inputs_embeds: OptTensor = None, labels: OptTensor = None,
        output_attentions: bool | None = None, output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> SequenceClassifierOutput | tuple:
        outputs = self.deberta(
            input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
            output_attentions=output_attentions, output_hidden_states=output_hidden_states, return_dict=True,
        )
        logits = self.classifier(self.dropout(self.pooler(outputs.last_hidden_state)))  # (batch, num_labels)
        loss = None
        if labels is not None:
            if self.config.problem_type is None:
                loss, logits = self._deberta_loss(logits, labels)
            else:
                loss = losses.sequence_classification_loss(self, logits, labels)
        return self._finish(SequenceClassifierOutput(loss=loss, logits=logits, **body_extras(outputs)), return_dict)

    def _deberta_loss(self, logits: Tensor, labels: Tensor) -> tuple[Tensor, Tensor]:
        """(loss, logits); for regression the logits come back flattened to ``(batch,)``, as the reference does."""
        if self.num_labels == 1:
            logits = logits.view(-1).to(labels.dtype)
            return nn.functional.mse_loss(logits, labels.view(-1)), logits
        if labels.dim() == 1 or labels.size(-1) == 1:
            labelled = (labels.view(-1) >= 0).nonzero().view(-1)  # negative labels mark unlabelled examples
            if labelled.numel() == 0:
                return torch.tensor(0).to(logits), logits
            loss = nn.functional.cross_entropy(logits[labelled].float(), labels.view(-1)[labelled].long())
            return loss, logits
        return -(nn.functional.log_softmax(logits, dim=-1) * labels).sum(-1).mean(), logits


class DebertaV2ForTokenClassification(DebertaV2PreTrainedModel):
    """DeBERTa-v2 with a per-token linear classifier.

    Example:
        >>> config = DebertaV2Config(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        ...                          intermediate_size=32, num_labels=5)
        >>> DebertaV2ForTokenClassification(config)(torch.tensor([[2, 3, 4]])).logits.shape
        torch.Size([1, 3, 5])
    """

    def __init__(self, config: DebertaV2Config) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.deberta = DebertaV2Model(config)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, token_type_ids: OptTensor = None,
        position_ids: OptTensor = None, inputs_embeds: OptTensor = None, labels: OptTensor = None,
        output_attentions: bool | None = None, output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> TokenClassifierOutput | tuple:
        outputs = self.deberta(
            input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
            output_attentions=output_attentions, output_hidden_states=output_hidden_states, return_dict=True,
        )
        logits = self.classifier(self.dropout(outputs.last_hidden_state))  # (batch, seq, num_labels)
        return token_classification_output(self, outputs, logits, labels, return_dict)


class DebertaV2ForQuestionAnswering(DebertaV2PreTrainedModel):
    """DeBERTa-v2 predicting answer-span start and end logits.

    Example:
        >>> config = DebertaV2Config(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        ...                          intermediate_size=32)
        >>> DebertaV2ForQuestionAnswering(config)(torch.tensor([[2, 3, 4]])).start_logits.shape
        torch.Size([1, 3])
    """

    def __init__(self, config: DebertaV2Config) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.deberta = DebertaV2Model(config)
        self.qa_outputs = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, token_type_ids: OptTensor = None,
        position_ids: OptTensor = None, inputs_embeds: OptTensor = None, start_positions: OptTensor = None,
        end_positions: OptTensor = None, output_attentions: bool | None = None,
        output_hidden_states: bool | None = None, return_dict: bool | None = None,
    ) -> QuestionAnsweringModelOutput | tuple:
        outputs = self.deberta(
            input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
            output_attentions=output_attentions, output_hidden_states=output_hidden_states, return_dict=True,
        )
        span_logits = self.qa_outputs(outputs.last_hidden_state)  # (batch, seq, 2)
        return question_answering_output(self, outputs, span_logits, start_positions, end_positions, return_dict)


class DebertaV2ForMultipleChoice(DebertaV2PreTrainedModel):
    """DeBERTa-v2 scoring ``num_choices`` candidates (inputs ``(batch, num_choices, seq)``).

    Example:
        >>> config = DebertaV2Config(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        ...                          intermediate_size=32)
        >>> DebertaV2ForMultipleChoice(config)(torch.tensor([[[2, 3], [2, 4]]])).logits.shape
        torch.Size([1, 2])
    """

    def __init__(self, config: DebertaV2Config) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.deberta = DebertaV2Model(config)
        self.pooler = ContextPooler(config)
        self.classifier = nn.Linear(self.pooler.output_dim, 1)
        self.dropout = _cls_dropout(config)
        self.post_init()

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, token_type_ids: OptTensor = None,
        position_ids: OptTensor = None, inputs_embeds: OptTensor = None, labels: OptTensor = None,
        output_attentions: bool | None = None, output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> MultipleChoiceModelOutput | tuple:
        num_choices = count_choices(input_ids, inputs_embeds)
        outputs = self.deberta(
            losses.flatten_choices(input_ids), losses.flatten_choices(attention_mask), losses.flatten_choices(token_type_ids),
            losses.flatten_choices(position_ids), losses.flatten_choices(inputs_embeds),
            output_attentions=output_attentions, output_hidden_states=output_hidden_states, return_dict=True,
        )
        pooled = self.dropout(self.pooler(outputs.last_hidden_state))
        logits = self.classifier(pooled).view(-1, num_choices)  # (batch, choices)
        return multiple_choice_output(self, outputs, logits, labels, return_dict)


__all__ = [
    "DebertaV2Config", "DebertaV2SelfOutput", "DisentangledSelfAttention", "DebertaV2Attention",
    "DebertaV2Intermediate", "DebertaV2Output", "DebertaV2Layer", "ConvLayer", "DebertaV2Embeddings",
    "DebertaV2Encoder", "DebertaV2PreTrainedModel", "DebertaV2Model", "LegacyDebertaV2PredictionHeadTransform",
    "LegacyDebertaV2LMPredictionHead", "LegacyDebertaV2OnlyMLMHead", "DebertaV2LMPredictionHead",
    "DebertaV2OnlyMLMHead", "DebertaV2ForMaskedLM", "ContextPooler", "DebertaV2ForSequenceClassification",
    "DebertaV2ForTokenClassification", "DebertaV2ForQuestionAnswering", "DebertaV2ForMultipleChoice",
    "build_relative_position", "make_log_bucket_position",
]
