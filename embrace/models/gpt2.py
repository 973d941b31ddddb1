"""GPT-2: configuration, Conv1D blocks, the body and its heads (LM, double heads, classifiers).

GPT-2 keeps its projections as ``Conv1D`` modules whose weight is stored ``(in_features,
out_features)`` - the transpose of ``nn.Linear`` - exactly as the reference stores them, so
checkpoints load unchanged. Self-attention uses learned absolute positions (``wpe``), a
fused ``c_attn`` projection and the shared causal-mask builder (left padding + cache work).

Example:
    >>> import torch
    >>> from embrace.models.gpt2 import GPT2Config, GPT2LMHeadModel
    >>> config = GPT2Config(vocab_size=64, n_embd=32, n_layer=2, n_head=4, n_positions=16)
    >>> out = GPT2LMHeadModel(config)(torch.tensor([[1, 5, 7]]))
    >>> out.logits.shape
    torch.Size([1, 3, 64])
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Union

import torch
from torch import nn

from embrace.configuration import PretrainedConfig
from embrace.errors import ConfigError
from embrace.modeling.activations import ACT2FN
from embrace.modeling.attention import ALL_ATTENTION_FUNCTIONS, make_attention_mask, make_decoder_masks
from embrace.modeling.cache import Cache, DynamicCache, EncoderDecoderCache, cache_from_legacy
from embrace.generation.utils import GenerationMixin
from embrace.modeling import losses
from embrace.modeling.modeling_utils import PreTrainedModel
from embrace.modeling.outputs import (
    BaseModelOutputWithPastAndCrossAttentions,
    CausalLMOutputWithCrossAttentions,
    ModelOutput,
    SequenceClassifierOutputWithPast,
    TokenClassifierOutput,
)
from embrace.models.llama import last_token_indices, sequence_classification_loss

Tensor = torch.Tensor
OptTensor = Union[torch.Tensor, None]


class GPT2Config(PretrainedConfig):
    """Configuration of a GPT-2 model (the fields of its ``config.json``); defaults are gpt2-small.

    Example:
        >>> config = GPT2Config(n_embd=64, n_head=4)
        >>> config.hidden_size, config.num_attention_heads, config.max_position_embeddings
        (64, 4, 1024)
    """

    model_type = "gpt2"
    keys_to_ignore_at_inference = ["past_key_values"]
    attribute_map = {
        "hidden_size": "n_embd", "max_position_embeddings": "n_positions", "num_attention_heads": "n_head",
        "num_hidden_layers": "n_layer",
    }

    vocab_size: int = 50257
    n_positions: int = 1024
    n_embd: int = 768
    n_layer: int = 12
    n_head: int = 12
    n_inner: int | None = None
    activation_function: str = "gelu_new"
    resid_pdrop: float | int = 0.1
    embd_pdrop: float | int = 0.1
    attn_pdrop: float | int = 0.1
    layer_norm_epsilon: float = 1e-5
    initializer_range: float = 0.02
    summary_type: str = "cls_index"
    summary_use_proj: bool = True
    summary_activation: str | None = None
    summary_proj_to_labels: bool = True
    summary_first_dropout: float | int = 0.1
    scale_attn_weights: bool = True
    use_cache: bool = True
    bos_token_id: int | None = 50256
    eos_token_id: int | list[int] | None = 50256
    pad_token_id: int | None = None
    scale_attn_by_inverse_layer_idx: bool = False
    reorder_and_upcast_attn: bool = False
    add_cross_attention: bool = False
    tie_word_embeddings: bool = True

    def validate_architecture(self) -> None:
        """The heads must split the embedding."""
        if self.n_embd % self.n_head != 0:
            raise ConfigError(f"n_embd ({self.n_embd}) must be divisible by n_head ({self.n_head}).")


class Conv1D(nn.Module):
    """A linear layer whose weight is stored ``(in_features, out_features)`` (GPT-2's layout).

    Example:
        >>> import torch
        >>> layer = Conv1D(nf=6, nx=4)
        >>> layer.weight.shape, layer(torch.zeros(2, 4)).shape
        (torch.Size([4, 6]), torch.Size([2, 6]))
    """

    def __init__(self, nf: int, nx: int) -> None:
        super().__init__()
        self.nf = nf
        self.nx = nx
        self.weight = nn.Parameter(torch.empty(nx, nf))
        self.bias = nn.Parameter(torch.zeros(nf))
        nn.init.normal_(self.weight, std=0.02)

    def forward(self, x: Tensor) -> Tensor:
        return torch.addmm(self.bias, x.reshape(-1, x.size(-1)), self.weight).view(*x.shape[:-1], self.nf)

    def extra_repr(self) -> str:
        return f"nf={self.nf}, nx={self.nx}"


class GPT2Attention(nn.Module):
    """Causal self-attention with the fused ``c_attn`` (q, k, v) projection and a KV cache.

    With ``is_cross_attention`` it attends to ``encoder_hidden_states`` instead: queries come
    from ``q_attn``, keys and values from ``c_attn`` (fused k, v) over the encoder output,
    projected once and kept in the cross half of an :class:`EncoderDecoderCache`.

    Example:
        >>> import torch
        >>> attn = GPT2Attention(GPT2Config(n_embd=8, n_head=2), layer_idx=0)
        >>> attn(torch.zeros(1, 3, 8))[0].shape
        torch.Size([1, 3, 8])
        >>> cross = GPT2Attention(GPT2Config(n_embd=8, n_head=2), is_cross_attention=True, layer_idx=0)
        >>> cross(torch.zeros(1, 3, 8), encoder_hidden_states=torch.zeros(1, 5, 8))[0].shape
        torch.Size([1, 3, 8])
    """

    def __init__(self, config: GPT2Config, is_cross_attention: bool = False, layer_idx: int | None = None) -> None:
        super().__init__()
        self.config = config
        self.embed_dim = config.hidden_size
        self.num_heads = config.num_attention_heads
        self.head_dim = self.embed_dim // self.num_heads
        self.split_size = self.embed_dim
        self.layer_idx = layer_idx
        self.scaling = self.head_dim**-0.5 if config.scale_attn_weights else 1.0
        if config.scale_attn_by_inverse_layer_idx:
            self.scaling /= float(layer_idx + 1)
        self.is_cross_attention = is_cross_attention
        if is_cross_attention:
            self.c_attn = Conv1D(2 * self.embed_dim, self.embed_dim)
            self.q_attn = Conv1D(self.embed_dim, self.embed_dim)
        else:
            self.c_attn = Conv1D(3 * self.embed_dim, self.embed_dim)
        self.c_proj = Conv1D(self.embed_dim, self.embed_dim)
        self.attn_dropout = nn.Dropout(config.attn_pdrop)
        self.resid_dropout = nn.Dropout(config.resid_pdrop)
        self.is_causal = not is_cross_attention

    def _heads(self, states: Tensor) -> Tensor:
        return states.view(*states.shape[:2], -1, self.head_dim).transpose(1, 2)  # (batch, heads, seq, head_dim)

    def forward(
        self, hidden_states: Tensor, attention_mask: OptTensor = None, past_key_values: Cache | None = None,
        encoder_hidden_states: OptTensor = None, encoder_attention_mask: OptTensor = None, *,
        output_attentions: bool = False,
    ) -> tuple[Tensor, OptTensor]:
        batch, seq = hidden_states.shape[:2]
        if encoder_hidden_states is None:
            query, key, value = (self._heads(t) for t in self.c_attn(hidden_states).split(self.split_size, dim=2))
            if past_key_values is not None:
                key, value = past_key_values.update(key, value, self.layer_idx)  # the self-attention half
        else:
            if not self.is_cross_attention:
                raise ValueError(
                    "This GPT2Attention was built for self-attention; attending to encoder_hidden_states needs "
                    "GPT2Attention(config, is_cross_attention=True) (config.add_cross_attention=True)."
                )
            query = self._heads(self.q_attn(hidden_states))
            attention_mask = encoder_attention_mask
            cache = past_key_values if isinstance(past_key_values, EncoderDecoderCache) else None
            if cache is not None and cache.is_updated.get(self.layer_idx):
                stored = cache.cross_attention_cache.layers[self.layer_idx]
                key, value = stored.keys, stored.values
            else:
                key, value = (self._heads(t) for t in self.c_attn(encoder_hidden_states).split(self.split_size, dim=2))
                if cache is not None:
                    key, value = cache.cross_attention_cache.update(key, value, self.layer_idx)
                    cache.is_updated[self.layer_idx] = True
        attention = ALL_ATTENTION_FUNCTIONS[self.config._attn_implementation or "sdpa"]
        output, weights = attention(
            self, query, key, value, attention_mask, scaling=self.scaling,
            dropout=self.attn_dropout.p if self.training else 0.0, output_attentions=output_attentions,
        )  # (batch, seq, heads, head_dim)
        return self.resid_dropout(self.c_proj(output.reshape(batch, seq, -1))), weights


class GPT2MLP(nn.Module):
    """``c_proj(act(c_fc(x)))`` with dropout.

    Example:
        >>> import torch
        >>> GPT2MLP(16, GPT2Config(n_embd=8, n_head=2))(torch.zeros(1, 2, 8)).shape
        torch.Size([1, 2, 8])
    """

    def __init__(self, intermediate_size: int, config: GPT2Config) -> None:
        super().__init__()
        self.c_fc = Conv1D(intermediate_size, config.hidden_size)
        self.c_proj = Conv1D(config.hidden_size, intermediate_size)
        self.act = ACT2FN[config.activation_function]
        self.dropout = nn.Dropout(config.resid_pdrop)

    def forward(self, hidden_states: Tensor) -> Tensor:
        return self.dropout(self.c_proj(self.act(self.c_fc(hidden_states))))


class GPT2Block(nn.Module):
    """Pre-LayerNorm block: ``x + attn(ln_1(x))``, [``x + crossattention(ln_cross_attn(x))``], ``x + mlp(ln_2(x))``.

    Returns ``(hidden_states, self-attention weights, cross-attention weights)``.

    Example:
        >>> import torch
        >>> GPT2Block(GPT2Config(n_embd=8, n_head=2), layer_idx=0)(torch.zeros(1, 3, 8))[0].shape
        torch.Size([1, 3, 8])
    """

    def __init__(self, config: GPT2Config, layer_idx: int | None = None) -> None:
        super().__init__()
        inner = config.n_inner if config.n_inner is not None else 4 * config.hidden_size
        self.ln_1 = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_epsilon)
        self.attn = GPT2Attention(config, layer_idx=layer_idx)
        if config.add_cross_attention:
            self.crossattention = GPT2Attention(config, is_cross_attention=True, layer_idx=layer_idx)
            self.ln_cross_attn = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_epsilon)
        self.ln_2 = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_epsilon)
        self.mlp = GPT2MLP(inner, config)

    def forward(
        self, hidden_states: Tensor, attention_mask: OptTensor = None, past_key_values: Cache | None = None,
        encoder_hidden_states: OptTensor = None, encoder_attention_mask: OptTensor = None, *,
        output_attentions: bool = False,
    ) -> tuple[Tensor, OptTensor, OptTensor]:
        attended, weights = self.attn(
            self.ln_1(hidden_states), attention_mask, past_key_values, output_attentions=output_attentions
        )
        hidden_states = hidden_states + attended
        cross_weights = None
        if encoder_hidden_states is not None:
            if not hasattr(self, "crossattention"):
                raise ValueError(
                    "encoder_hidden_states were passed but this GPT-2 has no cross-attention layers; build it with "
                    "config.add_cross_attention=True."
                )
            attended, cross_weights = self.crossattention(
                self.ln_cross_attn(hidden_states), None, past_key_values, encoder_hidden_states,
                encoder_attention_mask, output_attentions=output_attentions,
            )
            hidden_states = hidden_states + attended
        return hidden_states + self.mlp(self.ln_2(hidden_states)), weights, cross_weights


class GPT2SequenceSummary(nn.Module):
    """Pools a sequence into one vector (``summary_type``: last, first, mean, cls_index), then projects.

    Example:
        >>> import torch
        >>> summary = GPT2SequenceSummary(GPT2Config(n_embd=8, n_head=2, num_labels=1))
        >>> summary(torch.zeros(2, 3, 5, 8)).shape
        torch.Size([2, 3, 1])
    """

    def __init__(self, config: GPT2Config) -> None:
        super().__init__()
        self.summary_type = config.summary_type
        if self.summary_type not in ("last", "first", "mean", "cls_index"):
            raise ConfigError(f"summary_type={self.summary_type!r}; use one of 'last', 'first', 'mean', 'cls_index'.")
        self.summary: nn.Module = nn.Identity()
        if config.summary_use_proj:
            classes = config.num_labels if config.summary_proj_to_labels and config.num_labels > 0 else config.hidden_size
            self.summary = nn.Linear(config.hidden_size, classes)
        activation = config.summary_activation
        self.activation = ACT2FN[activation] if activation else nn.Identity()
        first = config.summary_first_dropout
        self.first_dropout = nn.Dropout(first) if first and first > 0 else nn.Identity()
        last = getattr(config, "summary_last_dropout", 0)
        self.last_dropout = nn.Dropout(last) if last and last > 0 else nn.Identity()

    def forward(self, hidden_states: Tensor, cls_index: OptTensor = None) -> Tensor:
        if self.summary_type == "last":
            output = hidden_states[..., -1, :]
        elif self.summary_type == "first":
            output = hidden_states[..., 0, :]
        elif self.summary_type == "mean":
            output = hidden_states.mean(dim=-2)
        else:
            if cls_index is None:  # default: the last token
                cls_index = torch.full_like(hidden_states[..., :1, :], hidden_states.shape[-2] - 1, dtype=torch.long)
            else:
                cls_index = cls_index[..., None, None].expand(*cls_index.shape, 1, hidden_states.size(-1))
            output = hidden_states.gather(-2, cls_index).squeeze(-2)  # (batch, choices, hidden)
        return self.last_dropout(self.activation(self.summary(self.first_dropout(output))))


@dataclass
class GPT2DoubleHeadsModelOutput(ModelOutput):
    """Output of :class:`GPT2DoubleHeadsModel`: LM and multiple-choice losses and logits.

    Example:
        >>> import torch
        >>> GPT2DoubleHeadsModelOutput(logits=torch.zeros(1, 2, 3, 5), mc_logits=torch.zeros(1, 2))[1].shape
        torch.Size([1, 2])
    """

    loss: torch.Tensor | None = None
    mc_loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    mc_logits: torch.Tensor | None = None
    past_key_values: Any = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


class GPT2PreTrainedModel(PreTrainedModel):
    """Shared base: config class, GPT-2's initialisation (scaled residual projections).

    Example:
        >>> model = GPT2LMHeadModel(GPT2Config(vocab_size=10, n_embd=8, n_head=2, n_layer=1, n_positions=8))
        >>> model.lm_head.weight is model.transformer.wte.weight
        True
    """

    config_class = GPT2Config
    base_model_prefix = "transformer"
    supports_gradient_checkpointing = False
    _no_split_modules = ["GPT2Block"]
    _supports_sdpa = True
    _keys_to_ignore_on_load_unexpected = [r"attn\.bias", r"attn\.masked_bias", r"crossattention\.bias"]
    _input_embed_layer = "wte"

    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        """Normal(0, initializer_range); residual ``c_proj`` weights scaled by ``1/sqrt(2 * n_layer)``."""
        super()._init_weights(module)
        std = self.config.initializer_range
        if isinstance(module, Conv1D):
            nn.init.normal_(module.weight, mean=0.0, std=std)
            nn.init.zeros_(module.bias)
        if isinstance(module, (GPT2Attention, GPT2MLP)):
            nn.init.normal_(module.c_proj.weight, mean=0.0, std=std / math.sqrt(2 * self.config.n_layer))


class GPT2Model(GPT2PreTrainedModel):
    """The GPT-2 body: token + position embeddings, the blocks, a final LayerNorm.

    Example:
        >>> import torch
        >>> config = GPT2Config(vocab_size=50, n_embd=16, n_layer=2, n_head=4, n_positions=8)
        >>> GPT2Model(config)(torch.tensor([[2, 3, 4]])).last_hidden_state.shape
        torch.Size([1, 3, 16])
    """

    def __init__(self, config: GPT2Config) -> None:
        super().__init__(config)
        self.embed_dim = config.hidden_size
        self.wte = nn.Embedding(config.vocab_size, self.embed_dim)
        self.wpe = nn.Embedding(config.max_position_embeddings, self.embed_dim)
        self.drop = nn.Dropout(config.embd_pdrop)
        self.h = nn.ModuleList([GPT2Block(config, layer_idx=i) for i in range(config.num_hidden_layers)])
        self.ln_f = nn.LayerNorm(self.embed_dim, eps=config.layer_norm_epsilon)
        self.gradient_checkpointing = False
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.wte

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.wte = value

    def forward(
        self,
        input_ids: OptTensor = None,
        past_key_values: Cache | tuple | None = None,
        attention_mask: OptTensor = None,
        token_type_ids: OptTensor = None,
        position_ids: OptTensor = None,
        inputs_embeds: OptTensor = None,
        encoder_hidden_states: OptTensor = None,
        encoder_attention_mask: OptTensor = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        cache_position: OptTensor = None,
    ) -> BaseModelOutputWithPastAndCrossAttentions | tuple:
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("You must specify exactly one of input_ids or inputs_embeds")
        config = self.config
        output_attentions = config.output_attentions if output_attentions is None else output_attentions
        output_hidden_states = config.output_hidden_states if output_hidden_states is None else output_hidden_states
        use_cache = config.use_cache if use_cache is None else use_cache
        if input_ids is not None:
            input_ids = input_ids.view(-1, input_ids.shape[-1])  # (batch[, choices], seq) -> (rows, seq)
        if inputs_embeds is None:
            inputs_embeds = self.wte(input_ids)  # (rows, seq, hidden)
        rows, seq = inputs_embeds.shape[:2]
        past_key_values = cache_from_legacy(past_key_values)
        if use_cache and past_key_values is None:
            past_key_values = DynamicCache(config=config)
        if use_cache and config.add_cross_attention and not isinstance(past_key_values, EncoderDecoderCache):
            # A decoder of an encoder-decoder model also caches the projected encoder keys/values.
            past_key_values = EncoderDecoderCache(past_key_values, DynamicCache(config=config))
        # An int, or a 0-d tensor for a static cache under torch.compile (no recompiles as it grows).
        past = past_key_values.get_seq_length() if past_key_values is not None else 0
        if cache_position is None:
            cache_position = torch.arange(seq, device=inputs_embeds.device) + past  # (seq,)
        given_positions = position_ids  # restarts inside a row mark packed examples (DataCollatorWithFlattening)
        if position_ids is None:
            position_ids = cache_position[None, :]
        hidden_states = inputs_embeds + self.wpe(position_ids)
        if token_type_ids is not None:
            hidden_states = hidden_states + self.wte(token_type_ids.view(-1, seq))
        hidden_states = self.drop(hidden_states)
        if attention_mask is not None and attention_mask.dim() < 4:
            attention_mask = attention_mask.view(rows, -1)
        boolean = ALL_ATTENTION_FUNCTIONS.boolean_masks(config._attn_implementation or "sdpa")
        mask = make_decoder_masks(
            attention_mask, position_ids=given_positions, cache=past_key_values, cache_position=cache_position,
            batch_size=rows, query_length=seq, past_length=past, sliding_windows=[None], dtype=hidden_states.dtype,
            boolean=boolean, device=hidden_states.device,
        )[None]
        cross_mask = None
        if encoder_hidden_states is not None and encoder_attention_mask is not None:
            cross_mask = make_attention_mask(
                encoder_attention_mask, batch_size=rows, query_length=seq, dtype=hidden_states.dtype,
                boolean=boolean, device=hidden_states.device,
            )
        all_hidden: list[Tensor] = []
        all_attentions: list[Tensor] = []
        all_cross: list[Tensor] = []
        for block in self.h:
            if output_hidden_states:
                all_hidden.append(hidden_states)
            hidden_states, weights, cross_weights = block(
                hidden_states, mask, past_key_values, encoder_hidden_states, cross_mask,
                output_attentions=bool(output_attentions),
            )
            if weights is not None:
                all_attentions.append(weights)
            if cross_weights is not None:
                all_cross.append(cross_weights)
        hidden_states = self.ln_f(hidden_states)
        if output_hidden_states:
            all_hidden.append(hidden_states)  # the reference's last entry is after ln_f
        output = BaseModelOutputWithPastAndCrossAttentions(
            last_hidden_state=hidden_states, past_key_values=past_key_values if use_cache else None,
        )
        if output_hidden_states:
            output["hidden_states"] = tuple(all_hidden)
        if output_attentions:
            output["attentions"] = tuple(all_attentions)
            if encoder_hidden_states is not None:
                output["cross_attentions"] = tuple(all_cross)
        return self._finish(output, return_dict)


class GPT2LMHeadModel(GPT2PreTrainedModel, GenerationMixin):
    """GPT-2 with the language-model head tied to ``wte``; ``labels`` give the shifted loss.

    Example:
        >>> import torch
        >>> config = GPT2Config(vocab_size=50, n_embd=16, n_layer=1, n_head=4, n_positions=8)
        >>> out = GPT2LMHeadModel(config)(torch.tensor([[2, 3, 4]]), labels=torch.tensor([[2, 3, 4]]))
        >>> out.logits.shape, out.loss.ndim
        (torch.Size([1, 3, 50]), 0)
    """

    _tied_weights_keys = {"lm_head.weight": "transformer.wte.weight"}

    def __init__(self, config: GPT2Config) -> None:
        super().__init__(config)
        self.transformer = GPT2Model(config)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.post_init()

    @classmethod
    def can_generate(cls) -> bool:
        return True

    def forward(
        self, input_ids: OptTensor = None, past_key_values: Cache | tuple | None = None,
        attention_mask: OptTensor = None, token_type_ids: OptTensor = None, position_ids: OptTensor = None,
        inputs_embeds: OptTensor = None, encoder_hidden_states: OptTensor = None,
        encoder_attention_mask: OptTensor = None, labels: OptTensor = None, use_cache: bool | None = None,
        output_attentions: bool | None = None, output_hidden_states: bool | None = None,
        return_dict: bool | None = None, cache_position: OptTensor = None, logits_to_keep: int | Tensor = 0,
        **loss_kwargs: Any,
    ) -> CausalLMOutputWithCrossAttentions | tuple:
        losses.check_loss_kwargs(type(self).__name__, loss_kwargs)
        outputs = self.transformer(
            input_ids, past_key_values, attention_mask, token_type_ids, position_ids, inputs_embeds,
            encoder_hidden_states, encoder_attention_mask, use_cache, output_attentions, output_hidden_states,
            return_dict=True, cache_position=cache_position,
        )
        logits = self.lm_head(losses.keep_positions(outputs.last_hidden_state, logits_to_keep))
        loss = None if labels is None else losses.causal_lm_loss(logits, labels, self.config.vocab_size, **loss_kwargs)
        output = CausalLMOutputWithCrossAttentions(
            loss=loss, logits=logits, past_key_values=outputs.past_key_values,
            hidden_states=outputs.hidden_states, attentions=outputs.attentions,
            cross_attentions=outputs.cross_attentions,
        )
        return self._finish(output, return_dict)


class GPT2DoubleHeadsModel(GPT2PreTrainedModel):
    """GPT-2 with the LM head and a multiple-choice head over ``(batch, choices, seq)`` inputs.

    ``mc_token_ids`` ``(batch, choices)`` pick the token each choice is classified from
    (default: the last one); ``mc_labels`` give the multiple-choice loss.

    Example:
        >>> import torch
        >>> config = GPT2Config(vocab_size=50, n_embd=16, n_layer=1, n_head=4, n_positions=8)
        >>> out = GPT2DoubleHeadsModel(config)(torch.tensor([[[2, 3, 4], [2, 5, 6]]]), mc_labels=torch.tensor([1]))
        >>> out.mc_logits.shape, out.mc_loss.ndim
        (torch.Size([1, 2]), 0)
    """

    _tied_weights_keys = {"lm_head.weight": "transformer.wte.weight"}

    def __init__(self, config: GPT2Config) -> None:
        super().__init__(config)
        config.num_labels = 1
        self.transformer = GPT2Model(config)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.multiple_choice_head = GPT2SequenceSummary(config)
        self.post_init()

    def forward(
        self, input_ids: OptTensor = None, past_key_values: Cache | tuple | None = None,
        attention_mask: OptTensor = None, token_type_ids: OptTensor = None, position_ids: OptTensor = None,
        inputs_embeds: OptTensor = None, mc_token_ids: OptTensor = None, labels: OptTensor = None,
        mc_labels: OptTensor = None, use_cache: bool | None = None, output_attentions: bool | None = None,
        output_hidden_states: bool | None = None, return_dict: bool | None = None,
    ) -> GPT2DoubleHeadsModelOutput | tuple:
        shape = (input_ids if input_ids is not None else inputs_embeds[..., 0]).shape  # (batch, choices, seq)
        outputs = self.transformer(
            input_ids, past_key_values, attention_mask, token_type_ids, position_ids,
            None if inputs_embeds is None else inputs_embeds.view(-1, *inputs_embeds.shape[-2:]),
            use_cache=use_cache, output_attentions=output_attentions, output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        hidden_states = outputs.last_hidden_state.view(*shape, -1)  # (batch, choices, seq, hidden)
        lm_logits = self.lm_head(hidden_states)
        mc_logits = self.multiple_choice_head(hidden_states, mc_token_ids).squeeze(-1)  # (batch, choices)
        mc_loss = None
        if mc_labels is not None:
            mc_loss = nn.functional.cross_entropy(mc_logits.view(-1, mc_logits.size(-1)), mc_labels.view(-1))
        lm_loss = None
        if labels is not None:
            shift_logits = lm_logits[..., :-1, :].contiguous()
            shift_labels = labels[..., 1:].contiguous()
            lm_loss = nn.functional.cross_entropy(shift_logits.view(-1, shift_logits.size(-1)), shift_labels.view(-1))
        output = GPT2DoubleHeadsModelOutput(
            loss=lm_loss, mc_loss=mc_loss, logits=lm_logits, mc_logits=mc_logits,
            past_key_values=outputs.past_key_values, hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
        )
        return self._finish(output, return_dict)


class GPT2ForSequenceClassification(GPT2PreTrainedModel):
    """GPT-2 with a linear ``score`` read at the last non-padding token of each row.

    Example:
        >>> import torch
        >>> config = GPT2Config(vocab_size=50, n_embd=16, n_layer=1, n_head=4, n_positions=8, pad_token_id=0)
        >>> GPT2ForSequenceClassification(config)(torch.tensor([[0, 3, 4], [3, 4, 5]])).logits.shape
        torch.Size([2, 2])
    """

    def __init__(self, config: GPT2Config) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.transformer = GPT2Model(config)
        self.score = nn.Linear(config.n_embd, self.num_labels, bias=False)
        self.post_init()

    def forward(
        self, input_ids: OptTensor = None, past_key_values: Cache | tuple | None = None,
        attention_mask: OptTensor = None, token_type_ids: OptTensor = None, position_ids: OptTensor = None,
        inputs_embeds: OptTensor = None, labels: OptTensor = None, use_cache: bool | None = None,
        output_attentions: bool | None = None, output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> SequenceClassifierOutputWithPast | tuple:
        outputs = self.transformer(
            input_ids, past_key_values, attention_mask, token_type_ids, position_ids, inputs_embeds,
            use_cache=use_cache, output_attentions=output_attentions, output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        logits = self.score(outputs.last_hidden_state)  # (batch, seq, num_labels)
        batch = logits.shape[0]
        last = last_token_indices(input_ids, batch, self.config.pad_token_id, logits.device)
        pooled = logits[torch.arange(batch, device=logits.device), last]
        loss = None if labels is None else sequence_classification_loss(self.config, pooled, labels)
        output = SequenceClassifierOutputWithPast(
            loss=loss, logits=pooled, past_key_values=outputs.past_key_values,
            hidden_states=outputs.hidden_states, attentions=outputs.attentions,
        )
        return self._finish(output, return_dict)


class GPT2ForTokenClassification(GPT2PreTrainedModel):
    """GPT-2 with a per-token linear classifier.

    Example:
        >>> import torch
        >>> config = GPT2Config(vocab_size=50, n_embd=16, n_layer=1, n_head=4, n_positions=8, num_labels=5)
        >>> GPT2ForTokenClassification(config)(torch.tensor([[2, 3, 4]])).logits.shape
        torch.Size([1, 3, 5])
    """

    def __init__(self, config: GPT2Config) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.transformer = GPT2Model(config)
        rate = getattr(config, "classifier_dropout", None)
        if rate is None:
            rate = getattr(config, "hidden_dropout", None)
        self.dropout = nn.Dropout(0.1 if rate is None else rate)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(
        self, input_ids: OptTensor = None, past_key_values: Cache | tuple | None = None,
        attention_mask: OptTensor = None, token_type_ids: OptTensor = None, position_ids: OptTensor = None,
        inputs_embeds: OptTensor = None, labels: OptTensor = None, use_cache: bool | None = None,
        output_attentions: bool | None = None, output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> TokenClassifierOutput | tuple:
        outputs = self.transformer(
            input_ids, past_key_values, attention_mask, token_type_ids, position_ids, inputs_embeds,
            use_cache=use_cache, output_attentions=output_attentions, output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        logits = self.classifier(self.dropout(outputs.last_hidden_state))  # (batch, seq, num_labels)
        loss = None
        if labels is not None:
            loss = nn.functional.cross_entropy(logits.view(-1, self.num_labels), labels.to(logits.device).view(-1))
        output = TokenClassifierOutput(
            loss=loss, logits=logits, hidden_states=outputs.hidden_states, attentions=outputs.attentions,
        )
        return self._finish(output, return_dict)


__all__ = [
    "GPT2Config", "Conv1D", "GPT2Attention", "GPT2MLP", "GPT2Block", "GPT2SequenceSummary",
    "GPT2DoubleHeadsModelOutput", "GPT2PreTrainedModel", "GPT2Model", "GPT2LMHeadModel", "GPT2DoubleHeadsModel",
    "GPT2ForSequenceClassification", "GPT2ForTokenClassification",
]
