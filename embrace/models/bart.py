"""BART: configuration, encoder-decoder blocks and task heads.

Read top to bottom: the configs (``Seq2SeqConfigMixin`` holds the fields the whole family
shares), the embeddings, attention, the encoder and decoder layers and stacks,
``BartModel``, then one class per head (conditional generation, sequence classification,
question answering, causal LM). The seq2seq plumbing every encoder-decoder shares (label
shift, cache reads, output fields) is in :mod:`embrace.modeling.seq2seq`, the sinusoidal
positions in :mod:`embrace.modeling.positions`.

mBART, Marian and Pegasus reuse these classes through the hooks marked "variation point"
(pre-LayerNorm layers, sinusoidal positions, extra layer norms, the label shift), so their
files only state how they differ. Parameter names are the reference's
(``model.encoder.layers.0.self_attn.k_proj.weight``, ``final_logits_bias``), so its
checkpoints load as they are.

Example:
    >>> import torch
    >>> from embrace.models.bart import BartConfig, BartForConditionalGeneration
    >>> config = BartConfig(vocab_size=50, d_model=16, encoder_layers=1, decoder_layers=1,
    ...                     encoder_attention_heads=2, decoder_attention_heads=2,
    ...                     encoder_ffn_dim=32, decoder_ffn_dim=32, max_position_embeddings=32)
    >>> model = BartForConditionalGeneration(config).eval()
    >>> out = model(torch.tensor([[0, 5, 7, 2]]), labels=torch.tensor([[5, 7, 2]]))
    >>> out.logits.shape, out.loss.ndim
    (torch.Size([1, 3, 50]), 0)
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, Union

import torch
from torch import nn

from embrace.configuration import PretrainedConfig
from embrace.errors import ConfigError
from embrace.generation.utils import GenerationMixin
from embrace.modeling import losses
from embrace.modeling.activations import ACT2FN
from embrace.modeling.attention import ALL_ATTENTION_FUNCTIONS, make_attention_mask
from embrace.modeling.cache import Cache, cache_from_legacy
from embrace.modeling.modeling_utils import PreTrainedModel
from embrace.modeling.outputs import (
    BaseModelOutput,
    BaseModelOutputWithPastAndCrossAttentions,
    CausalLMOutputWithCrossAttentions,
    Seq2SeqLMOutput,
    Seq2SeqModelOutput,
    Seq2SeqQuestionAnsweringModelOutput,
    Seq2SeqSequenceClassifierOutput,
)
from embrace.modeling.positions import SinusoidalPositionalEmbedding, sinusoidal_table
from embrace.modeling.seq2seq import (
    as_encoder_output,
    body_fields,
    cached_key_value,
    check_labels,
    last_eos_states,
    new_decoder_cache,
    seq2seq_fields,
    shift_tokens_right,
)

Tensor = torch.Tensor
OptTensor = Union[torch.Tensor, None]


# hidden_size & co. are the names generic code reads; the BART family stores d_model & co.
SEQ2SEQ_ATTRIBUTE_MAP = {
    "num_attention_heads": "encoder_attention_heads",
    "hidden_size": "d_model",
    "num_hidden_layers": "encoder_layers",
}


class Seq2SeqConfigMixin(PretrainedConfig):
    """The fields and the check the BART-family configs (BART, mBART, Marian, Pegasus) share.

    Each family's config subclasses this one, sets its ``model_type`` and re-assigns only the
    defaults it changes (and declares the fields only it has). The check: both stacks' head
    counts must split ``d_model``.

    Example:
        >>> config = Seq2SeqConfigMixin(d_model=64)
        >>> config.hidden_size, config.num_attention_heads
        (64, 16)
    """

    keys_to_ignore_at_inference = ["past_key_values"]
    attribute_map = SEQ2SEQ_ATTRIBUTE_MAP

    vocab_size: int = 50265
    max_position_embeddings: int = 1024
    encoder_layers: int | None = 12
    encoder_ffn_dim: int | None = 4096
    encoder_attention_heads: int | None = 16
    decoder_layers: int | None = 12
    decoder_ffn_dim: int | None = 4096
    decoder_attention_heads: int | None = 16
    encoder_layerdrop: float | int | None = 0.0
    decoder_layerdrop: float | int | None = 0.0
    use_cache: bool = True
    is_encoder_decoder: bool | None = True
    activation_function: str | None = "gelu"
    d_model: int | None = 1024
    dropout: float | int | None = 0.1
    attention_dropout: float | int | None = 0.0
    activation_dropout: float | int | None = 0.0
    init_std: float | None = 0.02
    scale_embedding: bool | None = False
    pad_token_id: int | None = 1
    eos_token_id: int | list[int] | None = 2
    decoder_start_token_id: int | None = 2
    forced_eos_token_id: int | list[int] | None = 2
    is_decoder: bool | None = False
    tie_word_embeddings: bool = True

    def validate_architecture(self) -> None:
        for side in ("encoder", "decoder"):
            heads = getattr(self, f"{side}_attention_heads")
            if heads and self.d_model % heads != 0:
                raise ConfigError(
                    f"d_model ({self.d_model}) is not a multiple of {side}_attention_heads ({heads}); pick a "
                    "head count that divides d_model."
                )


class BartConfig(Seq2SeqConfigMixin):
    """Configuration of a BART model (the fields of its ``config.json``); defaults are bart-large.

    ``hidden_size``, ``num_attention_heads`` and ``num_hidden_layers`` read and write
    ``d_model``, ``encoder_attention_heads`` and ``encoder_layers``. Without ``id2label`` a
    BART config has 3 labels (the MNLI heads of the zero-shot checkpoints).

    Example:
        >>> config = BartConfig(d_model=64, encoder_layers=2)
        >>> config.hidden_size, config.num_hidden_layers, config.num_labels, config.decoder_start_token_id
        (64, 2, 3, 2)
    """

    model_type = "bart"

    classifier_dropout: float | int | None = 0.0
    bos_token_id: int | None = 0

    def __post_init__(self, **kwargs: Any) -> None:
        if self.id2label is None:
            kwargs.setdefault("num_labels", 3)
        super().__post_init__(**kwargs)


# --- embeddings -------------------------------------------------------------------------


class BartLearnedPositionalEmbedding(nn.Embedding):
    """Learned positions; rows 0 and 1 are unused (fairseq's offset of 2 is kept for checkpoint compatibility).

    Example:
        >>> BartLearnedPositionalEmbedding(8, 4)(2, 3).shape
        torch.Size([1, 2, 4])
    """

    offset = 2

    def __init__(self, num_embeddings: int, embedding_dim: int) -> None:
        super().__init__(num_embeddings + self.offset, embedding_dim)

    def forward(self, seq_length: int, past_length: int = 0) -> Tensor:  # type: ignore[override]
        positions = torch.arange(past_length, past_length + seq_length, device=self.weight.device)
        return super().forward(positions + self.offset).unsqueeze(0)  # (1, seq, dim)


class BartScaledWordEmbedding(nn.Embedding):
    """Token embeddings multiplied by ``embed_scale`` (``sqrt(d_model)`` when ``scale_embedding``).

    Example:
        >>> emb = BartScaledWordEmbedding(5, 4, padding_idx=1, embed_scale=2.0)
        >>> bool((emb(torch.tensor([[3]])) == 2 * emb.weight[3]).all())
        True
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None, embed_scale: float = 1.0):
        super().__init__(num_embeddings, embedding_dim, padding_idx)
        self.embed_scale = embed_scale

    def forward(self, input_ids: Tensor) -> Tensor:
        return super().forward(input_ids) * self.embed_scale


def _embed_scale(config: BartConfig) -> float:
    return math.sqrt(config.d_model) if config.scale_embedding else 1.0


# --- attention ------------------------------------------------------------------------


class BartAttention(nn.Module):
    """Multi-head attention: self-attention (``key_value_states=None``) or cross-attention.

    With an :class:`EncoderDecoderCache` the self-attention keys/values grow step by step and
    the cross-attention ones are projected from the encoder output once, then reused.
    ``forward`` returns ``(output (batch, seq, embed_dim), weights or None)``.

    Example:
        >>> config = BartConfig(d_model=8, encoder_attention_heads=2, decoder_attention_heads=2)
        >>> attn = BartAttention(8, 2, config=config)
        >>> attn(torch.zeros(1, 3, 8))[0].shape
        torch.Size([1, 3, 8])
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, is_decoder: bool = False,
                 bias: bool = True, is_causal: bool = False, config: BartConfig | None = None,
                 layer_idx: int | None = None) -> None:
        super().__init__()
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, dropout
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise ConfigError(
                f"embed_dim must be divisible by num_heads (got embed_dim {embed_dim}, num_heads {num_heads})."
            )
        self.config = config
        self.scaling = self.head_dim**-0.5
        self.is_decoder, self.is_causal, self.layer_idx = is_decoder, is_causal, layer_idx
        self.k_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.v_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.q_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)

    def _heads(self, states: Tensor, projection: nn.Linear) -> Tensor:
        batch, seq = states.shape[:2]
        return projection(states).view(batch, seq, -1, self.head_dim).transpose(1, 2)  # (batch, heads, seq, head_dim)

    def forward(self, hidden_states: Tensor, key_value_states: OptTensor = None, past_key_values: Cache | None = None,
                attention_mask: OptTensor = None, *, output_attentions: bool = False) -> tuple[Tensor, OptTensor]:
        is_cross = key_value_states is not None
        query = self._heads(hidden_states, self.q_proj)
        source = key_value_states if is_cross else hidden_states
        key, value = cached_key_value(
            past_key_values, self.layer_idx, cross=is_cross,
            project=lambda: (self._heads(source, self.k_proj), self._heads(source, self.v_proj)),
        )  # (batch, heads, kv_len, head_dim)
        name = (self.config._attn_implementation if self.config is not None else None) or "sdpa"
        output, weights = ALL_ATTENTION_FUNCTIONS[name](
            self, query, key, value, attention_mask, scaling=self.scaling,
            dropout=self.dropout if self.training else 0.0, output_attentions=output_attentions,
        )  # (batch, q_len, heads, head_dim)
        return self.out_proj(output.reshape(*hidden_states.shape[:2], -1)), weights


# --- layers -------------------------------------------------------------------------------


class BartEncoderLayer(nn.Module):
    """Self-attention then feed-forward, each with residual and LayerNorm (after; before when ``normalize_before``).

    Example:
        >>> layer = BartEncoderLayer(BartConfig(d_model=8, encoder_attention_heads=2, decoder_attention_heads=2))
        >>> layer(torch.zeros(1, 3, 8))[0].shape
        torch.Size([1, 3, 8])
    """

    normalize_before: ClassVar[bool] = False  # variation point: pre-LayerNorm (mBART, Pegasus)

    def __init__(self, config: BartConfig, layer_idx: int | None = None) -> None:
        super().__init__()
        dim = self.embed_dim = config.d_model
        self.self_attn = BartAttention(dim, config.encoder_attention_heads, config.attention_dropout, config=config,
                                       layer_idx=layer_idx)
        self.self_attn_layer_norm = nn.LayerNorm(dim)
        self.dropout, self.activation_dropout = config.dropout, config.activation_dropout
        self.activation_fn = ACT2FN[config.activation_function]
        self.fc1 = nn.Linear(dim, config.encoder_ffn_dim)
        self.fc2 = nn.Linear(config.encoder_ffn_dim, dim)
        self.final_layer_norm = nn.LayerNorm(dim)

    def _residual(self, block: Any, norm: nn.LayerNorm, hidden_states: Tensor) -> tuple[Tensor, OptTensor]:
        """``norm(x + block(x))``, or ``x + block(norm(x))`` for pre-LayerNorm; ``block`` returns (out, weights)."""
        residual = hidden_states
        if self.normalize_before:
            hidden_states = norm(hidden_states)
        hidden_states, weights = block(hidden_states)
        hidden_states = residual + nn.functional.dropout(hidden_states, p=self.dropout, training=self.training)
        if not self.normalize_before:
            hidden_states = norm(hidden_states)
        return hidden_states, weights

    def _feed_forward(self, hidden_states: Tensor) -> tuple[Tensor, None]:
        hidden_states = self.activation_fn(self.fc1(hidden_states))
        hidden_states = nn.functional.dropout(hidden_states, p=self.activation_dropout, training=self.training)
        return self.fc2(hidden_states), None

    def forward(self, hidden_states: Tensor, attention_mask: OptTensor = None, *,
                output_attentions: bool = False) -> tuple[Tensor, OptTensor]:
        hidden_states, weights = self._residual(
            lambda h: self.self_attn(h, attention_mask=attention_mask, output_attentions=output_attentions),
            self.self_attn_layer_norm, hidden_states,
        )
        hidden_states, _ = self._residual(self._feed_forward, self.final_layer_norm, hidden_states)
        if hidden_states.dtype == torch.float16 and not torch.isfinite(hidden_states).all():
            # fp16 overflow in the feed-forward: clamp rather than propagate inf.
            limit = torch.finfo(hidden_states.dtype).max - 1000
            hidden_states = hidden_states.clamp(min=-limit, max=limit)
        return hidden_states, weights


class BartDecoderLayer(BartEncoderLayer):
    """Causal self-attention, cross-attention over the encoder output, then feed-forward.

    Returns ``(hidden_states, self-attention weights, cross-attention weights)``.

    Example:
        >>> config = BartConfig(d_model=8, encoder_attention_heads=2, decoder_attention_heads=2)
        >>> layer = BartDecoderLayer(config, layer_idx=0)
        >>> layer(torch.zeros(1, 3, 8), encoder_hidden_states=torch.zeros(1, 5, 8))[0].shape
        torch.Size([1, 3, 8])
    """

    def __init__(self, config: BartConfig, layer_idx: int | None = None) -> None:
        nn.Module.__init__(self)
        dim = self.embed_dim = config.d_model
        heads = config.decoder_attention_heads
        self.self_attn = BartAttention(dim, heads, config.attention_dropout, is_decoder=True, is_causal=True,
                                       config=config, layer_idx=layer_idx)
        self.dropout, self.activation_dropout = config.dropout, config.activation_dropout
        self.activation_fn = ACT2FN[config.activation_function]
        self.self_attn_layer_norm = nn.LayerNorm(dim)
        self.encoder_attn = BartAttention(dim, heads, config.attention_dropout, is_decoder=True, config=config,
                                          layer_idx=layer_idx)
        self.encoder_attn_layer_norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, config.decoder_ffn_dim)
        self.fc2 = nn.Linear(config.decoder_ffn_dim, dim)
        self.final_layer_norm = nn.LayerNorm(dim)

    def forward(  # type: ignore[override]
        self, hidden_states: Tensor, attention_mask: OptTensor = None, encoder_hidden_states: OptTensor = None,
        encoder_attention_mask: OptTensor = None, past_key_values: Cache | None = None, *,
        output_attentions: bool = False,
    ) -> tuple[Tensor, OptTensor, OptTensor]:
        hidden_states, self_weights = self._residual(
            lambda h: self.self_attn(h, past_key_values=past_key_values, attention_mask=attention_mask,
                                     output_attentions=output_attentions),
            self.self_attn_layer_norm, hidden_states,
        )
        cross_weights = None
        if encoder_hidden_states is not None:
            hidden_states, cross_weights = self._residual(
                lambda h: self.encoder_attn(h, encoder_hidden_states, past_key_values, encoder_attention_mask,
                                            output_attentions=output_attentions),
                self.encoder_attn_layer_norm, hidden_states,
            )
        hidden_states, _ = self._residual(self._feed_forward, self.final_layer_norm, hidden_states)
        return hidden_states, self_weights, cross_weights


class BartClassificationHead(nn.Module):
    """Sentence-level head: dropout, dense + tanh, dropout, projection to the labels.

    Example:
        >>> BartClassificationHead(8, 8, 3, 0.0)(torch.zeros(2, 8)).shape
        torch.Size([2, 3])
    """

    def __init__(self, input_dim: int, inner_dim: int, num_classes: int, pooler_dropout: float) -> None:
        super().__init__()
        self.dense = nn.Linear(input_dim, inner_dim)
        self.dropout = nn.Dropout(p=pooler_dropout)
        self.out_proj = nn.Linear(inner_dim, num_classes)

    def forward(self, hidden_states: Tensor) -> Tensor:
        hidden_states = torch.tanh(self.dense(self.dropout(hidden_states)))
        return self.out_proj(self.dropout(hidden_states))


# --- stacks ---------------------------------------------------------------------------------


class BartPreTrainedModel(PreTrainedModel):
    """Shared base of the BART models: config class, weight init (``final_logits_bias`` starts at zero).

    Example:
        >>> config = BartConfig(vocab_size=20, d_model=8, encoder_layers=1, decoder_layers=1,
        ...                     encoder_attention_heads=2, decoder_attention_heads=2,
        ...                     encoder_ffn_dim=16, decoder_ffn_dim=16, max_position_embeddings=16)
        >>> model = BartForConditionalGeneration(config)
        >>> model.lm_head.weight is model.model.shared.weight, float(model.final_logits_bias.abs().sum())
        (True, 0.0)
    """

    config_class = BartConfig
    base_model_prefix = "model"
    supports_gradient_checkpointing = False
    _keys_to_ignore_on_load_unexpected = [r"encoder\.version", r"decoder\.version"]
    _no_split_modules = ["BartEncoderLayer", "BartDecoderLayer"]
    _supports_sdpa = True

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(getattr(module, "final_logits_bias", None), torch.Tensor):
            module.final_logits_bias.zero_()
        init_positions = getattr(module, "reset_sinusoids", None)
        if init_positions is not None:
            init_positions()


def make_token_embedding(stack: Any, config: BartConfig, vocab_size: int) -> nn.Embedding:
    """The token embedding of a stack (or the shared one): scaled inside for BART, plain for Marian/Pegasus."""
    if stack.scale_outside_embedding:
        return nn.Embedding(vocab_size, config.d_model, config.pad_token_id)
    return BartScaledWordEmbedding(vocab_size, config.d_model, config.pad_token_id, embed_scale=_embed_scale(config))


def _layer_mask(config: BartConfig, mask: OptTensor, **options: Any) -> OptTensor:
    boolean = ALL_ATTENTION_FUNCTIONS.boolean_masks(config._attn_implementation or "sdpa")
    return make_attention_mask(mask, boolean=boolean, **options)


class BartEncoder(BartPreTrainedModel):
    """Token + position embeddings, LayerNorm, then ``config.encoder_layers`` encoder layers.

    Example:
        >>> config = BartConfig(vocab_size=20, d_model=8, encoder_layers=1, encoder_attention_heads=2,
        ...                     decoder_attention_heads=2, encoder_ffn_dim=16, max_position_embeddings=16)
        >>> BartEncoder(config)(torch.tensor([[0, 4, 2]])).last_hidden_state.shape
        torch.Size([1, 3, 8])
    """

    # variation points
    layer_class: ClassVar[type[BartEncoderLayer]] = BartEncoderLayer
    has_layernorm_embedding: ClassVar[bool] = True  # LayerNorm right after the embeddings (BART, mBART)
    has_final_layer_norm: ClassVar[bool] = False  # LayerNorm after the last layer (mBART, Pegasus)
    sinusoidal_positions: ClassVar[bool] = False  # fixed sinusoids instead of learned positions (Marian, Pegasus)
    # Marian and Pegasus keep a plain nn.Embedding and apply embed_scale here, which (on the
    # decoder side) also scales user-given inputs_embeds; BART scales inside the embedding.
    scale_outside_embedding: ClassVar[bool] = False
    scales_given_embeds: ClassVar[bool] = False

    def __init__(self, config: BartConfig) -> None:
        super().__init__(config)
        self.dropout, self.layerdrop = config.dropout, self._layerdrop(config)
        self.padding_idx = config.pad_token_id
        self.embed_tokens = make_token_embedding(self, config, self._vocab_size(config))
        self.embed_scale = _embed_scale(config) if self.scale_outside_embedding else 1.0
        if self.sinusoidal_positions:
            self.embed_positions: nn.Embedding = SinusoidalPositionalEmbedding(config.max_position_embeddings,
                                                                               config.d_model)
        else:
            self.embed_positions = BartLearnedPositionalEmbedding(config.max_position_embeddings, config.d_model)
        self.layers = nn.ModuleList([self.layer_class(config, layer_idx=i) for i in range(self._num_layers(config))])
        if self.has_layernorm_embedding:
            self.layernorm_embedding = nn.LayerNorm(config.d_model)
        if self.has_final_layer_norm:
            self.layer_norm = nn.LayerNorm(config.d_model)
        self.gradient_checkpointing = False
        self.post_init()

    @staticmethod
    def _vocab_size(config: BartConfig) -> int:
        return config.vocab_size

    @staticmethod
    def _num_layers(config: BartConfig) -> int:
        return config.encoder_layers

    @staticmethod
    def _layerdrop(config: BartConfig) -> float:
        return config.encoder_layerdrop

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embed_tokens

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.embed_tokens = value

    def _embed(self, input_ids: OptTensor, inputs_embeds: OptTensor, past_length: int = 0) -> Tensor:
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("You must specify exactly one of input_ids or inputs_embeds.")
        from_ids = inputs_embeds is None
        if from_ids:
            inputs_embeds = self.embed_tokens(input_ids)  # (batch, seq, d_model)
        if self.scale_outside_embedding and (from_ids or self.scales_given_embeds):
            inputs_embeds = inputs_embeds * self.embed_scale
        hidden_states = inputs_embeds + self.embed_positions(inputs_embeds.shape[1], past_length).to(inputs_embeds.dtype)
        if self.has_layernorm_embedding:
            hidden_states = self.layernorm_embedding(hidden_states)
        return nn.functional.dropout(hidden_states, p=self.dropout, training=self.training)

    def _skip_layer(self) -> bool:
        return self.training and self.layerdrop > 0.0 and bool(torch.rand([]) < self.layerdrop)

    def _finish_stack(self, hidden_states: Tensor, all_hidden: list[Tensor] | None) -> Tensor:
        if self.has_final_layer_norm:
            hidden_states = self.layer_norm(hidden_states)
        if all_hidden is not None:
            all_hidden.append(hidden_states)  # the last entry is the (normalised) output, as in the reference
        return hidden_states

    def forward(self, input_ids: OptTensor = None, attention_mask: OptTensor = None, inputs_embeds: OptTensor = None,
                output_attentions: bool | None = None, output_hidden_states: bool | None = None,
                return_dict: bool | None = None) -> BaseModelOutput | tuple:
        config = self.config
        output_attentions = config.output_attentions if output_attentions is None else output_attentions
        output_hidden_states = config.output_hidden_states if output_hidden_states is None else output_hidden_states
        hidden_states = self._embed(input_ids, inputs_embeds)
        batch, seq = hidden_states.shape[:2]
        mask = _layer_mask(config, attention_mask, batch_size=batch, query_length=seq, key_length=seq,
                           dtype=hidden_states.dtype, device=hidden_states.device)
        all_hidden: list[Tensor] | None = [] if output_hidden_states else None
        all_attentions: list[Tensor] = []
        for layer in self.layers:
            if all_hidden is not None:
                all_hidden.append(hidden_states)
            if self._skip_layer():
                continue
            hidden_states, weights = layer(hidden_states, mask, output_attentions=bool(output_attentions))
            if weights is not None:
                all_attentions.append(weights)
        hidden_states = self._finish_stack(hidden_states, all_hidden)
        output = BaseModelOutput(last_hidden_state=hidden_states)
        if output_hidden_states:
            output["hidden_states"] = tuple(all_hidden)
        if output_attentions:
            output["attentions"] = tuple(all_attentions)
        return self._finish(output, return_dict)


class BartDecoder(BartEncoder):
    """Causal decoder stack with cross-attention; returns a cache in ``past_key_values`` with ``use_cache``.

    Example:
        >>> config = BartConfig(vocab_size=20, d_model=8, decoder_layers=1, decoder_attention_heads=2,
        ...                     encoder_attention_heads=2, decoder_ffn_dim=16, max_position_embeddings=16)
        >>> out = BartDecoder(config)(torch.tensor([[2, 4]]), encoder_hidden_states=torch.zeros(1, 3, 8))
        >>> out.last_hidden_state.shape, out.past_key_values.get_seq_length()
        (torch.Size([1, 2, 8]), 2)
    """

    layer_class: ClassVar[type[BartEncoderLayer]] = BartDecoderLayer
    scales_given_embeds: ClassVar[bool] = True

    @staticmethod
    def _num_layers(config: BartConfig) -> int:
        return config.decoder_layers

    @staticmethod
    def _layerdrop(config: BartConfig) -> float:
        return config.decoder_layerdrop

    def forward(  # type: ignore[override]
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, encoder_hidden_states: OptTensor = None,
        encoder_attention_mask: OptTensor = None, past_key_values: Cache | tuple | None = None,
        inputs_embeds: OptTensor = None, use_cache: bool | None = None, output_attentions: bool | None = None,
        output_hidden_states: bool | None = None, return_dict: bool | None = None,
    ) -> BaseModelOutputWithPastAndCrossAttentions | tuple:
        config = self.config
        output_attentions = config.output_attentions if output_attentions is None else output_attentions
        output_hidden_states = config.output_hidden_states if output_hidden_states is None else output_hidden_states
        use_cache = config.use_cache if use_cache is None else use_cache
        past_key_values = cache_from_legacy(past_key_values)
        if use_cache and past_key_values is None:
            past_key_values = new_decoder_cache(
                config, cross_attention=encoder_hidden_states is not None or bool(config.is_encoder_decoder)
            )
        past_length = past_key_values.get_seq_length() if past_key_values is not None else 0
        hidden_states = self._embed(input_ids, inputs_embeds, past_length)
        batch, seq = hidden_states.shape[:2]
        options = {"batch_size": batch, "query_length": seq, "dtype": hidden_states.dtype, "device": hidden_states.device}
        self_mask = _layer_mask(config, attention_mask, key_length=past_length + seq, is_causal=True, **options)
        cross_mask = None
        if encoder_hidden_states is not None:
            cross_mask = _layer_mask(config, encoder_attention_mask, key_length=encoder_hidden_states.shape[1], **options)
        all_hidden: list[Tensor] | None = [] if output_hidden_states else None
        self_attentions: list[Tensor] = []
        cross_attentions: list[Tensor] = []
        for layer in self.layers:
            if all_hidden is not None:
                all_hidden.append(hidden_states)
            if self._skip_layer():
                continue
            hidden_states, self_weights, cross_weights = layer(
                hidden_states, self_mask, encoder_hidden_states, cross_mask, past_key_values,
                output_attentions=bool(output_attentions),
            )
            if self_weights is not None:
                self_attentions.append(self_weights)
            if cross_weights is not None:
                cross_attentions.append(cross_weights)
        hidden_states = self._finish_stack(hidden_states, all_hidden)
        output = BaseModelOutputWithPastAndCrossAttentions(
            last_hidden_state=hidden_states, past_key_values=past_key_values if use_cache else None,
        )
        if output_hidden_states:
            output["hidden_states"] = tuple(all_hidden)
        if output_attentions:
            output["attentions"] = tuple(self_attentions)
            output["cross_attentions"] = tuple(cross_attentions)  # empty without encoder states, as in the reference
        return self._finish(output, return_dict)


# --- models ---------------------------------------------------------------------------------


class BartModel(BartPreTrainedModel):
    """The bare encoder-decoder: shared token embeddings, :class:`BartEncoder` and :class:`BartDecoder`.

    Without ``decoder_input_ids`` the decoder reads ``input_ids`` shifted right (BART's
    denoising setup). ``encoder_outputs`` (a ``BaseModelOutput`` or a tuple) skips the encoder.

    Example:
        >>> config = BartConfig(vocab_size=20, d_model=8, encoder_layers=1, decoder_layers=1,
        ...                     encoder_attention_heads=2, decoder_attention_heads=2,
        ...                     encoder_ffn_dim=16, decoder_ffn_dim=16, max_position_embeddings=16)
        >>> out = BartModel(config)(torch.tensor([[0, 4, 5, 2]]))
        >>> out.last_hidden_state.shape, out.encoder_last_hidden_state.shape
        (torch.Size([1, 4, 8]), torch.Size([1, 4, 8]))
    """

    _tied_weights_keys = {"decoder.embed_tokens.weight": "shared.weight", "encoder.embed_tokens.weight": "shared.weight"}
    # variation points
    encoder_class: ClassVar[type[BartEncoder]] = BartEncoder
    decoder_class: ClassVar[type[BartDecoder]] = BartDecoder
    shifts_input_ids: ClassVar[bool] = True  # without decoder inputs, read input_ids shifted right (BART, mBART)

    def __init__(self, config: BartConfig) -> None:
        super().__init__(config)
        if self._shares_embeddings(config):
            self.shared = make_token_embedding(self.encoder_class, config, config.vocab_size)
        self.encoder = self.encoder_class(config)
        self.decoder = self.decoder_class(config)
        self.post_init()

    @staticmethod
    def _shares_embeddings(config: BartConfig) -> bool:
        """Variation point: one token embedding for both stacks (Marian can keep two)."""
        return True

    def get_input_embeddings(self) -> nn.Embedding:
        return self.shared if self._shares_embeddings(self.config) else self.encoder.embed_tokens

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        if not self._shares_embeddings(self.config):
            self.encoder.embed_tokens = value
            return
        self.shared = value
        self.encoder.embed_tokens = self.shared
        self.decoder.embed_tokens = self.shared

    def get_encoder(self) -> BartEncoder:
        return self.encoder

    def get_decoder(self) -> BartDecoder:
        return self.decoder

    def _shift_labels(self, labels: Tensor) -> Tensor:
        """Variation point: decoder inputs from target ids (mBART wraps its language code instead)."""
        return shift_tokens_right(labels, self.config.pad_token_id, self.config.decoder_start_token_id)

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, decoder_input_ids: OptTensor = None,
        decoder_attention_mask: OptTensor = None, encoder_outputs: Any = None,
        past_key_values: Cache | tuple | None = None, inputs_embeds: OptTensor = None,
        decoder_inputs_embeds: OptTensor = None, use_cache: bool | None = None, output_attentions: bool | None = None,
        output_hidden_states: bool | None = None, return_dict: bool | None = None,
    ) -> Seq2SeqModelOutput | tuple:
        if decoder_input_ids is None and decoder_inputs_embeds is None and self.shifts_input_ids:
            if input_ids is None:
                raise ValueError(
                    "If no `decoder_input_ids` or `decoder_inputs_embeds` are passed, `input_ids` cannot be `None`: "
                    "pass input_ids, decoder_input_ids or decoder_inputs_embeds."
                )
            decoder_input_ids = self._shift_labels(input_ids)
        if encoder_outputs is None:
            encoder_outputs = self.encoder(input_ids, attention_mask, inputs_embeds, output_attentions,
                                           output_hidden_states, return_dict=True)
        else:
            encoder_outputs = as_encoder_output(encoder_outputs)
        decoder_outputs = self.decoder(
            decoder_input_ids, decoder_attention_mask, encoder_outputs.last_hidden_state, attention_mask,
            past_key_values, decoder_inputs_embeds, use_cache, output_attentions, output_hidden_states,
            return_dict=True,
        )
        output = Seq2SeqModelOutput(
            last_hidden_state=decoder_outputs.last_hidden_state, **seq2seq_fields(encoder_outputs, decoder_outputs)
        )
        return self._finish(output, return_dict)


class BartForConditionalGeneration(BartPreTrainedModel, GenerationMixin):
    """BART with the language-model head (tied to the shared embeddings) plus ``final_logits_bias``.

    ``labels`` (batch, target) give the cross-entropy loss (``-100`` ignored); without
    ``decoder_input_ids`` the decoder reads the labels shifted right.

    Example:
        >>> config = BartConfig(vocab_size=30, d_model=8, encoder_layers=1, decoder_layers=1,
        ...                     encoder_attention_heads=2, decoder_attention_heads=2,
        ...                     encoder_ffn_dim=16, decoder_ffn_dim=16, max_position_embeddings=32)
        >>> model = BartForConditionalGeneration(config).eval()
        >>> model.generate(torch.tensor([[0, 5, 6, 2]]), max_new_tokens=3, do_sample=False).shape[0]
        1
    """

    _tied_weights_keys = {"lm_head.weight": "model.shared.weight"}
    _keys_to_ignore_on_load_missing = [r"final_logits_bias"]
    base_model_class: ClassVar[type[BartModel]] = BartModel  # variation point

    def __init__(self, config: BartConfig) -> None:
        super().__init__(config)
        self.model = self.base_model_class(config)
        vocab = self._output_vocab_size(config)
        self.register_buffer("final_logits_bias", torch.zeros((1, vocab)))
        self.lm_head = nn.Linear(config.d_model, vocab, bias=False)
        self.post_init()

    @staticmethod
    def _output_vocab_size(config: BartConfig) -> int:
        return config.vocab_size

    @classmethod
    def can_generate(cls) -> bool:
        return True

    def get_encoder(self) -> BartEncoder:
        return self.model.get_encoder()

    def get_decoder(self) -> BartDecoder:
        return self.model.get_decoder()

    def get_output_embeddings(self) -> nn.Linear:
        return self.lm_head

    def set_output_embeddings(self, new_embeddings: nn.Linear) -> None:
        self.lm_head = new_embeddings

    def resize_token_embeddings(self, new_num_tokens: int | None = None, pad_to_multiple_of: int | None = None,
                                mean_resizing: bool = True) -> nn.Embedding:
        embeddings = super().resize_token_embeddings(new_num_tokens, pad_to_multiple_of, mean_resizing)
        self._resize_final_logits_bias(embeddings.weight.shape[0])
        return embeddings

    def _resize_final_logits_bias(self, new_num_tokens: int) -> None:
        old = self.final_logits_bias
        if new_num_tokens <= old.shape[-1]:
            bias = old[:, :new_num_tokens]
        else:
            bias = torch.cat([old, old.new_zeros((1, new_num_tokens - old.shape[-1]))], dim=1)
        self.register_buffer("final_logits_bias", bias.contiguous())

    def prepare_decoder_input_ids_from_labels(self, labels: Tensor) -> Tensor:
        """The decoder inputs training on ``labels`` uses (labels shifted right)."""
        return self.model._shift_labels(labels)

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, decoder_input_ids: OptTensor = None,
        decoder_attention_mask: OptTensor = None, encoder_outputs: Any = None,
        past_key_values: Cache | tuple | None = None, inputs_embeds: OptTensor = None,
        decoder_inputs_embeds: OptTensor = None, labels: OptTensor = None, use_cache: bool | None = None,
        output_attentions: bool | None = None, output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Seq2SeqLMOutput | tuple:
        if labels is not None:
            check_labels(labels)
            use_cache = False  # training on labels needs no cache
            if decoder_input_ids is None and decoder_inputs_embeds is None:
                decoder_input_ids = self.prepare_decoder_input_ids_from_labels(labels)
        outputs = self.model(
            input_ids, attention_mask, decoder_input_ids, decoder_attention_mask, encoder_outputs, past_key_values,
            inputs_embeds, decoder_inputs_embeds, use_cache, output_attentions, output_hidden_states, return_dict=True,
        )
        logits = self.lm_head(outputs.last_hidden_state) + self.final_logits_bias  # (batch, target, vocab)
        loss = None
        if labels is not None:
            if labels.shape != logits.shape[:2]:
                raise ValueError(
                    f"`labels` have shape {tuple(labels.shape)} but the decoder produced logits for "
                    f"{tuple(logits.shape[:2])} (batch, target) positions; pass labels matching decoder_input_ids."
                )
            loss = losses.token_classification_loss(logits, labels.to(logits.device))
        return self._finish(Seq2SeqLMOutput(loss=loss, logits=logits, **body_fields(outputs)), return_dict)


class BartForSequenceClassification(BartPreTrainedModel):
    """BART with a classification head on the decoder state at the last ``<eos>`` of each row.

    This is the head of the zero-shot NLI checkpoints (``bart-large-mnli``). Every row needs
    the same number of ``eos_token_id`` tokens.

    Example:
        >>> config = BartConfig(vocab_size=20, d_model=8, encoder_layers=1, decoder_layers=1,
        ...                     encoder_attention_heads=2, decoder_attention_heads=2,
        ...                     encoder_ffn_dim=16, decoder_ffn_dim=16, max_position_embeddings=16)
        >>> BartForSequenceClassification(config)(torch.tensor([[0, 4, 5, 2]])).logits.shape
        torch.Size([1, 3])
    """

    base_model_class: ClassVar[type[BartModel]] = BartModel

    def __init__(self, config: BartConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.model = self.base_model_class(config)
        self.classification_head = BartClassificationHead(config.d_model, config.d_model, config.num_labels,
                                                          config.classifier_dropout)
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
            raise ValueError(f"{type(self).__name__} needs input_ids: the <eos> positions pick the pooled state.")
        outputs = self.model(
            input_ids, attention_mask, decoder_input_ids, decoder_attention_mask, encoder_outputs, None, inputs_embeds,
            decoder_inputs_embeds, use_cache, output_attentions, output_hidden_states, return_dict=True,
        )
        pooled = last_eos_states(outputs.last_hidden_state, input_ids, self.config.eos_token_id)  # (batch, d_model)
        logits = self.classification_head(pooled)  # (batch, num_labels)
        loss = None if labels is None else losses.sequence_classification_loss(self, logits, labels.to(logits.device))
        return self._finish(Seq2SeqSequenceClassifierOutput(loss=loss, logits=logits, **body_fields(outputs)),
                            return_dict)


class BartForQuestionAnswering(BartPreTrainedModel):
    """BART with a span head (start/end logits) on the decoder states.

    (``base_model_class`` is the variation point, as on the other heads.)

    Example:
        >>> config = BartConfig(vocab_size=20, d_model=8, encoder_layers=1, decoder_layers=1,
        ...                     encoder_attention_heads=2, decoder_attention_heads=2,
        ...                     encoder_ffn_dim=16, decoder_ffn_dim=16, max_position_embeddings=16)
        >>> BartForQuestionAnswering(config)(torch.tensor([[0, 4, 5, 2]])).start_logits.shape
        torch.Size([1, 4])
    """

    base_model_class: ClassVar[type[BartModel]] = BartModel

    def __init__(self, config: BartConfig) -> None:
        super().__init__(config)
        config.num_labels = 2
        self.num_labels = config.num_labels
        self.model = self.base_model_class(config)
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
        outputs = self.model(
            input_ids, attention_mask, decoder_input_ids, decoder_attention_mask, encoder_outputs, None, inputs_embeds,
            decoder_inputs_embeds, use_cache, output_attentions, output_hidden_states, return_dict=True,
        )
        start_logits, end_logits = losses.split_span_logits(self.qa_outputs(outputs.last_hidden_state))
        loss = losses.span_prediction_loss(start_logits, end_logits, start_positions, end_positions)
        output = Seq2SeqQuestionAnsweringModelOutput(
            loss=loss, start_logits=start_logits, end_logits=end_logits, **body_fields(outputs),
        )
        return self._finish(output, return_dict)


class BartDecoderWrapper(BartPreTrainedModel):
    """Holds the decoder under ``model.decoder`` so causal-LM checkpoints keep the reference's names.

    Example:
        >>> config = BartConfig(vocab_size=20, d_model=8, decoder_layers=1, decoder_attention_heads=2,
        ...                     encoder_attention_heads=2, decoder_ffn_dim=16, max_position_embeddings=16)
        >>> type(BartDecoderWrapper(config).decoder).__name__
        'BartDecoder'
    """

    decoder_class: ClassVar[type[BartDecoder]] = BartDecoder

    def __init__(self, config: BartConfig) -> None:
        super().__init__(config)
        self.decoder = self.decoder_class(config)
        self.post_init()

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.decoder(*args, **kwargs)


class BartForCausalLM(BartPreTrainedModel, GenerationMixin):
    """The BART decoder alone as a language model (optionally cross-attending to given encoder states).

    As in the current reference, ``labels[:, i]`` is the target of ``logits[:, i]`` (no shift inside).

    Example:
        >>> config = BartConfig(vocab_size=20, d_model=8, decoder_layers=1, decoder_attention_heads=2,
        ...                     encoder_attention_heads=2, decoder_ffn_dim=16, max_position_embeddings=16)
        >>> BartForCausalLM(config)(torch.tensor([[2, 4, 5]])).logits.shape
        torch.Size([1, 3, 20])
    """

    _tied_weights_keys = {"lm_head.weight": "model.decoder.embed_tokens.weight"}
    wrapper_class: ClassVar[type[BartDecoderWrapper]] = BartDecoderWrapper

    def __init__(self, config: BartConfig) -> None:
        config.is_decoder = True
        config.is_encoder_decoder = False
        super().__init__(config)
        self.model = self.wrapper_class(config)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.post_init()

    @classmethod
    def can_generate(cls) -> bool:
        return True

    def get_input_embeddings(self) -> nn.Embedding:
        return self.model.decoder.embed_tokens

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.model.decoder.embed_tokens = value

    def get_output_embeddings(self) -> nn.Linear:
        return self.lm_head

    def set_output_embeddings(self, new_embeddings: nn.Linear) -> None:
        self.lm_head = new_embeddings

    def get_decoder(self) -> BartDecoder:
        return self.model.decoder

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, encoder_hidden_states: OptTensor = None,
        encoder_attention_mask: OptTensor = None, past_key_values: Cache | tuple | None = None,
        inputs_embeds: OptTensor = None, labels: OptTensor = None, use_cache: bool | None = None,
        output_attentions: bool | None = None, output_hidden_states: bool | None = None,
        return_dict: bool | None = None, logits_to_keep: int | Tensor = 0,
    ) -> CausalLMOutputWithCrossAttentions | tuple:
        outputs = self.model.decoder(
            input_ids, attention_mask, encoder_hidden_states, encoder_attention_mask, past_key_values, inputs_embeds,
            use_cache, output_attentions, output_hidden_states, return_dict=True,
        )
        logits = self.lm_head(losses.keep_positions(outputs.last_hidden_state, logits_to_keep))
        loss = None
        if labels is not None:
            check_labels(labels)
            loss = losses.token_classification_loss(logits, labels.to(logits.device))
        output = CausalLMOutputWithCrossAttentions(
            loss=loss, logits=logits, past_key_values=outputs.past_key_values, hidden_states=outputs.hidden_states,
            attentions=outputs.attentions, cross_attentions=outputs.cross_attentions,
        )
        return self._finish(output, return_dict)


__all__ = [
    "SEQ2SEQ_ATTRIBUTE_MAP", "Seq2SeqConfigMixin", "BartConfig", "shift_tokens_right", "BartLearnedPositionalEmbedding",
    "BartScaledWordEmbedding",
    "SinusoidalPositionalEmbedding", "sinusoidal_table", "BartAttention",
    "BartEncoderLayer", "BartDecoderLayer", "BartClassificationHead", "BartPreTrainedModel", "BartEncoder",
    "BartDecoder", "BartModel", "BartForConditionalGeneration", "BartForSequenceClassification",
    "BartForQuestionAnswering", "BartDecoderWrapper", "BartForCausalLM",
]
