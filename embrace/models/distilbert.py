"""DistilBERT: a 6-layer BERT distilled from bert-base, with its own (shorter) module names.

Differences from BERT that matter for the math: no token-type embeddings, no pooler,
fixed LayerNorm eps (1e-12), optional frozen sinusoidal position table, and heads of their
own (``vocab_transform``/``vocab_projector`` for MLM, ``pre_classifier`` + ReLU for
classification). Parameter names are the reference's (``distilbert.transformer.layer.0.
attention.q_lin.weight``, ``distilbert.transformer.layer.0.sa_layer_norm.weight``, ...).

Example:
    >>> import torch
    >>> from embrace.models.distilbert import DistilBertConfig, DistilBertModel
    >>> config = DistilBertConfig(vocab_size=100, dim=32, n_layers=2, n_heads=4, hidden_dim=37)
    >>> config.hidden_size, config.num_hidden_layers
    (32, 2)
    >>> DistilBertModel(config).eval()(torch.tensor([[1, 5, 2]])).last_hidden_state.shape
    torch.Size([1, 3, 32])
"""

from __future__ import annotations


import torch
from torch import nn

from embrace.configuration import PretrainedConfig
from embrace.errors import ConfigError
from embrace.modeling.activations import ACT2FN
from embrace.modeling.attention import ALL_ATTENTION_FUNCTIONS, make_attention_mask
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
    count_choices,
    masked_lm_output,
    multiple_choice_output,
    question_answering_output,
    sequence_classification_output,
    token_classification_output,
)
from embrace.models.bert import (
    OptTensor,
    Tensor,
    attend,
    call_layer,
    split_heads,
)
from embrace.utils.logging import get_logger

logger = get_logger(__name__)

_LAYER_NORM_EPS = 1e-12  # DistilBERT hard-codes it; the config has no field for it


class DistilBertConfig(PretrainedConfig):
    """Configuration of a DistilBERT model; defaults are distilbert-base-uncased.

    ``hidden_size``, ``num_attention_heads`` and ``num_hidden_layers`` are aliases of
    ``dim``, ``n_heads`` and ``n_layers``.

    Example:
        >>> config = DistilBertConfig(num_attention_heads=4)
        >>> config.n_heads, config.dim, config.hidden_dim
        (4, 768, 3072)
    """

    model_type = "distilbert"
    attribute_map = {"hidden_size": "dim", "num_attention_heads": "n_heads", "num_hidden_layers": "n_layers"}

    vocab_size: int = 30522
    max_position_embeddings: int = 512
    sinusoidal_pos_embds: bool = False
    n_layers: int = 6
    n_heads: int = 12
    dim: int = 768
    hidden_dim: int = 4 * 768
    dropout: float | int = 0.1
    attention_dropout: float | int = 0.1
    activation: str = "gelu"
    initializer_range: float = 0.02
    qa_dropout: float | int = 0.1
    seq_classif_dropout: float | int = 0.2
    pad_token_id: int | None = 0
    eos_token_id: int | list[int] | None = None
    bos_token_id: int | None = None
    tie_word_embeddings: bool = True

    def validate_heads_divide_dim(self) -> None:
        """Each head gets ``dim / n_heads`` features, so the division must be exact."""
        if self.dim % self.n_heads != 0:
            raise ConfigError(f"n_heads={self.n_heads} must divide dim={self.dim} evenly; change one of them.")


def create_sinusoidal_embeddings(n_pos: int, dim: int, out: Tensor) -> Tensor:
    """Fill ``out`` (``(n_pos, dim)``) with the fixed sin/cos table of "Attention is all you need".

    Example:
        >>> table = create_sinusoidal_embeddings(3, 4, torch.empty(3, 4))
        >>> [round(v, 4) for v in table[1, :2].tolist()]
        [0.8415, 0.5403]
    """
    # float64 like the original table, then cast: the sin/cos of large angles need the precision.
    positions = torch.arange(n_pos, dtype=torch.float64)[:, None]
    rates = torch.pow(10000.0, 2 * (torch.arange(dim) // 2).double() / dim)
    angles = positions / rates  # (n_pos, dim)
    with torch.no_grad():
        out[:, 0::2] = torch.sin(angles[:, 0::2]).to(out.dtype)
        out[:, 1::2] = torch.cos(angles[:, 1::2]).to(out.dtype)
    return out


class DistilBertEmbeddings(nn.Module):
    """Word + position embeddings, LayerNorm, dropout (no token types).

    Example:
        >>> config = DistilBertConfig(vocab_size=10, dim=8, n_heads=2)
        >>> DistilBertEmbeddings(config)(torch.tensor([[1, 2, 3]])).shape
        torch.Size([1, 3, 8])
    """

    def __init__(self, config: DistilBertConfig) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.dim, padding_idx=config.pad_token_id)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.dim)
        self.LayerNorm = nn.LayerNorm(config.dim, eps=_LAYER_NORM_EPS)
        self.dropout = nn.Dropout(config.dropout)
        positions = torch.arange(config.max_position_embeddings).expand((1, -1))
        self.register_buffer("position_ids", positions, persistent=False)

    def forward(self, input_ids: OptTensor, inputs_embeds: OptTensor = None, position_ids: OptTensor = None) -> Tensor:
        if input_ids is not None:
            inputs_embeds = self.word_embeddings(input_ids)  # (batch, seq, dim)
        if position_ids is None:
            position_ids = self.position_ids[:, : inputs_embeds.size(1)]
        return self.dropout(self.LayerNorm(inputs_embeds + self.position_embeddings(position_ids)))


class DistilBertSelfAttention(nn.Module):
    """Multi-head self-attention with its output projection ``out_lin``.

    Example:
        >>> attn = DistilBertSelfAttention(DistilBertConfig(dim=8, n_heads=2))
        >>> attn(torch.zeros(1, 3, 8))[0].shape
        torch.Size([1, 3, 8])
    """

    def __init__(self, config: DistilBertConfig) -> None:
        super().__init__()
        self.config = config
        self.n_heads = config.n_heads
        self.dim = config.dim
        self.attention_head_size = self.dim // self.n_heads
        self.scaling = self.attention_head_size**-0.5
        self.q_lin = nn.Linear(config.dim, config.dim)
        self.k_lin = nn.Linear(config.dim, config.dim)
        self.v_lin = nn.Linear(config.dim, config.dim)
        self.out_lin = nn.Linear(config.dim, config.dim)
        self.dropout = nn.Dropout(p=config.attention_dropout)
        self.is_causal = False

    def forward(
        self, hidden_states: Tensor, attention_mask: OptTensor = None, *, output_attentions: bool = False
    ) -> tuple[Tensor, OptTensor]:
        projections = (self.q_lin, self.k_lin, self.v_lin)
        query, key, value = (split_heads(hidden_states, p, self.attention_head_size) for p in projections)
        context, weights = attend(self, query, key, value, attention_mask, self.dropout, output_attentions)
        return self.out_lin(context), weights  # (batch, seq, dim)


class DistilBertFFN(nn.Module):
    """``lin1 -> activation -> lin2 -> dropout``, optionally over sequence chunks (``chunk_size_feed_forward``).

    Example:
        >>> DistilBertFFN(DistilBertConfig(dim=8, n_heads=2, hidden_dim=16))(torch.zeros(1, 3, 8)).shape
        torch.Size([1, 3, 8])
    """

    def __init__(self, config: DistilBertConfig) -> None:
        super().__init__()
        self.dropout = nn.Dropout(p=config.dropout)
        self.chunk_size_feed_forward = config.chunk_size_feed_forward
        self.lin1 = nn.Linear(config.dim, config.hidden_dim)
        self.lin2 = nn.Linear(config.hidden_dim, config.dim)
        self.activation = ACT2FN[config.activation]

    def forward(self, hidden_states: Tensor) -> Tensor:
        size = self.chunk_size_feed_forward
        if size > 0:
            if hidden_states.shape[1] % size != 0:
                raise ValueError(
                    f"sequence length {hidden_states.shape[1]} is not a multiple of chunk_size_feed_forward={size}; "
                    "pad the input or change the chunk size."
                )
            return torch.cat([self.ff_chunk(c) for c in hidden_states.split(size, dim=1)], dim=1)
        return self.ff_chunk(hidden_states)

    def ff_chunk(self, hidden_states: Tensor) -> Tensor:
        return self.dropout(self.lin2(self.activation(self.lin1(hidden_states))))


class DistilBertTransformerBlock(nn.Module):
    """Post-norm block: attention + residual + ``sa_layer_norm``, FFN + residual + ``output_layer_norm``.

    Example:
        >>> block = DistilBertTransformerBlock(DistilBertConfig(dim=8, n_heads=2, hidden_dim=16))
        >>> block(torch.zeros(1, 3, 8))[0].shape
        torch.Size([1, 3, 8])
    """

    def __init__(self, config: DistilBertConfig) -> None:
        super().__init__()
        self.attention = DistilBertSelfAttention(config)
        self.sa_layer_norm = nn.LayerNorm(config.dim, eps=_LAYER_NORM_EPS)
        self.ffn = DistilBertFFN(config)
        self.output_layer_norm = nn.LayerNorm(config.dim, eps=_LAYER_NORM_EPS)

    def forward(
        self, hidden_states: Tensor, attention_mask: OptTensor = None, *, output_attentions: bool = False
    ) -> tuple[Tensor, OptTensor]:
        attended, weights = self.attention(hidden_states, attention_mask, output_attentions=output_attentions)
        attended = self.sa_layer_norm(attended + hidden_states)
        return self.output_layer_norm(self.ffn(attended) + attended), weights


class DistilBertTransformer(nn.Module):
    """The stack of blocks (``transformer.layer``); collects hidden states and weights on request.

    Example:
        >>> stack = DistilBertTransformer(DistilBertConfig(dim=8, n_heads=2, n_layers=2, hidden_dim=16))
        >>> len(stack(torch.zeros(1, 3, 8), output_hidden_states=True).hidden_states)
        3
    """

    def __init__(self, config: DistilBertConfig) -> None:
        super().__init__()
        self.n_layers = config.n_layers
        self.layer = nn.ModuleList([DistilBertTransformerBlock(config) for _ in range(config.n_layers)])
        self.gradient_checkpointing = False

    def forward(
        self, hidden_states: Tensor, attention_mask: OptTensor = None, *, output_attentions: bool = False,
        output_hidden_states: bool = False,
    ) -> BaseModelOutput:
        all_hidden = [hidden_states] if output_hidden_states else None
        all_weights = []
        for block in self.layer:
            hidden_states, weights = call_layer(
                self, block, hidden_states, attention_mask, output_attentions=output_attentions
            )
            if all_hidden is not None:
                all_hidden.append(hidden_states)
            if weights is not None:
                all_weights.append(weights)
        return BaseModelOutput(
            last_hidden_state=hidden_states,
            hidden_states=tuple(all_hidden) if all_hidden is not None else None,
            attentions=tuple(all_weights) if output_attentions else None,
        )


class DistilBertPreTrainedModel(PreTrainedModel):
    """Shared base of the DistilBERT models: config class, weight init, position-table access.

    Example:
        >>> model = DistilBertForMaskedLM(DistilBertConfig(vocab_size=10, dim=8, n_heads=2, n_layers=1))
        >>> model.vocab_projector.weight is model.distilbert.embeddings.word_embeddings.weight
        True
    """

    config_class = DistilBertConfig
    base_model_prefix = "distilbert"
    supports_gradient_checkpointing = True
    _supports_sdpa = True

    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        """The default scheme; a sinusoidal position table replaces the random one."""
        super()._init_weights(module)
        if isinstance(module, DistilBertEmbeddings):
            if self.config.sinusoidal_pos_embds:
                create_sinusoidal_embeddings(
                    self.config.max_position_embeddings, self.config.dim, module.position_embeddings.weight
                )
            module.position_ids.copy_(torch.arange(module.position_ids.shape[-1]).expand((1, -1)))

    def get_position_embeddings(self) -> nn.Embedding:
        """The position table (``embeddings.position_embeddings``)."""
        return self.base_model.embeddings.position_embeddings

    def resize_position_embeddings(self, new_num_position_embeddings: int) -> None:
        """Grow or shrink the position table to ``new_num_position_embeddings`` rows.

        Learned rows are kept (new ones are random); a sinusoidal table is recomputed.
        """
        body = self.base_model
        old = body.embeddings.position_embeddings.weight
        if new_num_position_embeddings == old.shape[0]:
            return
        logger.info("Setting config.max_position_embeddings=%d.", new_num_position_embeddings)
        self.config.max_position_embeddings = new_num_position_embeddings
        table = nn.Embedding(new_num_position_embeddings, self.config.dim).to(device=old.device, dtype=old.dtype)
        with torch.no_grad():
            if self.config.sinusoidal_pos_embds:
                create_sinusoidal_embeddings(new_num_position_embeddings, self.config.dim, table.weight)
            else:
                nn.init.normal_(table.weight, std=self.config.initializer_range)
                kept = min(new_num_position_embeddings, old.shape[0])
                table.weight[:kept] = old[:kept]
        body.embeddings.position_embeddings = table
        positions = torch.arange(new_num_position_embeddings, device=old.device).expand((1, -1))
        body.embeddings.register_buffer("position_ids", positions, persistent=False)


class DistilBertModel(DistilBertPreTrainedModel):
    """The DistilBERT body: embeddings and the transformer stack (no pooler).

    Example:
        >>> config = DistilBertConfig(vocab_size=50, dim=16, n_layers=1, n_heads=2, hidden_dim=32)
        >>> out = DistilBertModel(config)(torch.tensor([[2, 3, 4]]), output_hidden_states=True)
        >>> out.last_hidden_state.shape, len(out.hidden_states)
        (torch.Size([1, 3, 16]), 2)
    """

    _no_split_modules = ["DistilBertTransformerBlock"]

    def __init__(self, config: DistilBertConfig) -> None:
        super().__init__(config)
        self.embeddings = DistilBertEmbeddings(config)
        self.transformer = DistilBertTransformer(config)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embeddings.word_embeddings

    def set_input_embeddings(self, new_embeddings: nn.Embedding) -> None:
        self.embeddings.word_embeddings = new_embeddings

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, inputs_embeds: OptTensor = None,
        position_ids: OptTensor = None, *, output_attentions: bool | None = None,
        output_hidden_states: bool | None = None, return_dict: bool | None = None,
    ) -> BaseModelOutput | tuple:
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("You must specify exactly one of input_ids or inputs_embeds")
        config = self.config
        output_attentions = config.output_attentions if output_attentions is None else output_attentions
        output_hidden_states = config.output_hidden_states if output_hidden_states is None else output_hidden_states
        embeddings = self.embeddings(input_ids, inputs_embeds, position_ids)  # (batch, seq, dim)
        mask = make_attention_mask(
            attention_mask, batch_size=embeddings.shape[0], query_length=embeddings.shape[1], dtype=embeddings.dtype,
            boolean=ALL_ATTENTION_FUNCTIONS.boolean_masks(config._attn_implementation), device=embeddings.device,
        )
        output = self.transformer(
            embeddings, mask, output_attentions=bool(output_attentions), output_hidden_states=bool(output_hidden_states)
        )
        return self._finish(output, return_dict)


class DistilBertForMaskedLM(DistilBertPreTrainedModel):
    """DistilBERT with its masked-LM head (``vocab_transform``, activation, ``vocab_layer_norm``, ``vocab_projector``).

    Example:
        >>> config = DistilBertConfig(vocab_size=50, dim=16, n_layers=1, n_heads=2, hidden_dim=32)
        >>> DistilBertForMaskedLM(config)(torch.tensor([[2, 3, 4]])).logits.shape
        torch.Size([1, 3, 50])
    """

    _tied_weights_keys = {"vocab_projector.weight": "distilbert.embeddings.word_embeddings.weight"}

    def __init__(self, config: DistilBertConfig) -> None:
        super().__init__(config)
        self.activation = ACT2FN[config.activation]
        self.distilbert = DistilBertModel(config)
        self.vocab_transform = nn.Linear(config.dim, config.dim)
        self.vocab_layer_norm = nn.LayerNorm(config.dim, eps=_LAYER_NORM_EPS)
        self.vocab_projector = nn.Linear(config.dim, config.vocab_size)
        self.post_init()

    def get_output_embeddings(self) -> nn.Linear:
        return self.vocab_projector

    def set_output_embeddings(self, new_embeddings: nn.Linear) -> None:
        self.vocab_projector = new_embeddings

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, inputs_embeds: OptTensor = None,
        labels: OptTensor = None, position_ids: OptTensor = None, *, output_attentions: bool | None = None,
        output_hidden_states: bool | None = None, return_dict: bool | None = None,
    ) -> MaskedLMOutput | tuple:
        outputs = self.distilbert(
            input_ids, attention_mask, inputs_embeds, position_ids, output_attentions=output_attentions,
            output_hidden_states=output_hidden_states, return_dict=True,
        )
        hidden = self.vocab_layer_norm(self.activation(self.vocab_transform(outputs.last_hidden_state)))
        logits = self.vocab_projector(hidden)  # (batch, seq, vocab)
        return masked_lm_output(self, outputs, logits, labels, return_dict)


class DistilBertForSequenceClassification(DistilBertPreTrainedModel):
    """DistilBERT classifying from the first token: ``pre_classifier``, ReLU, dropout, ``classifier``.

    Example:
        >>> config = DistilBertConfig(vocab_size=50, dim=16, n_layers=1, n_heads=2, hidden_dim=32, num_labels=3)
        >>> DistilBertForSequenceClassification(config)(torch.tensor([[2, 3, 4]])).logits.shape
        torch.Size([1, 3])
    """

    def __init__(self, config: DistilBertConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.distilbert = DistilBertModel(config)
        self.pre_classifier = nn.Linear(config.dim, config.dim)
        self.classifier = nn.Linear(config.dim, config.num_labels)
        self.dropout = nn.Dropout(config.seq_classif_dropout)
        self.post_init()

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, inputs_embeds: OptTensor = None,
        labels: OptTensor = None, position_ids: OptTensor = None, *, output_attentions: bool | None = None,
        output_hidden_states: bool | None = None, return_dict: bool | None = None,
    ) -> SequenceClassifierOutput | tuple:
        outputs = self.distilbert(
            input_ids, attention_mask, inputs_embeds, position_ids, output_attentions=output_attentions,
            output_hidden_states=output_hidden_states, return_dict=True,
        )
        pooled = torch.relu(self.pre_classifier(outputs.last_hidden_state[:, 0]))  # (batch, dim)
        logits = self.classifier(self.dropout(pooled))  # (batch, num_labels)
        return sequence_classification_output(self, outputs, logits, labels, return_dict)


class DistilBertForQuestionAnswering(DistilBertPreTrainedModel):
    """DistilBERT predicting answer-span start/end logits (``qa_dropout`` before ``qa_outputs``).

    Example:
        >>> config = DistilBertConfig(vocab_size=50, dim=16, n_layers=1, n_heads=2, hidden_dim=32)
        >>> DistilBertForQuestionAnswering(config)(torch.tensor([[2, 3, 4]])).start_logits.shape
        torch.Size([1, 3])
    """

    def __init__(self, config: DistilBertConfig) -> None:
        super().__init__(config)
        self.distilbert = DistilBertModel(config)
        self.qa_outputs = nn.Linear(config.dim, config.num_labels)
        if config.num_labels != 2:
            raise ConfigError(f"DistilBertForQuestionAnswering needs num_labels=2 (start, end); got {config.num_labels}.")
        self.dropout = nn.Dropout(config.qa_dropout)
        self.post_init()

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, inputs_embeds: OptTensor = None,
        start_positions: OptTensor = None, end_positions: OptTensor = None, position_ids: OptTensor = None, *,
        output_attentions: bool | None = None, output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> QuestionAnsweringModelOutput | tuple:
        outputs = self.distilbert(
            input_ids, attention_mask, inputs_embeds, position_ids, output_attentions=output_attentions,
            output_hidden_states=output_hidden_states, return_dict=True,
        )
        span_logits = self.qa_outputs(self.dropout(outputs.last_hidden_state))  # (batch, seq, 2)
        return question_answering_output(self, outputs, span_logits, start_positions, end_positions, return_dict)


class DistilBertForTokenClassification(DistilBertPreTrainedModel):
    """DistilBERT with a per-token linear classifier.

    Example:
        >>> config = DistilBertConfig(vocab_size=50, dim=16, n_layers=1, n_heads=2, hidden_dim=32, num_labels=5)
        >>> DistilBertForTokenClassification(config)(torch.tensor([[2, 3, 4]])).logits.shape
        torch.Size([1, 3, 5])
    """

    def __init__(self, config: DistilBertConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.distilbert = DistilBertModel(config)
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(config.dim, config.num_labels)
        self.post_init()

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, inputs_embeds: OptTensor = None,
        labels: OptTensor = None, position_ids: OptTensor = None, *, output_attentions: bool | None = None,
        output_hidden_states: bool | None = None, return_dict: bool | None = None,
    ) -> TokenClassifierOutput | tuple:
        outputs = self.distilbert(
            input_ids, attention_mask, inputs_embeds, position_ids, output_attentions=output_attentions,
            output_hidden_states=output_hidden_states, return_dict=True,
        )
        logits = self.classifier(self.dropout(outputs.last_hidden_state))  # (batch, seq, num_labels)
        return token_classification_output(self, outputs, logits, labels, return_dict)


class DistilBertForMultipleChoice(DistilBertPreTrainedModel):
    """DistilBERT scoring ``num_choices`` candidates (inputs ``(batch, num_choices, seq)``).

    Example:
        >>> config = DistilBertConfig(vocab_size=50, dim=16, n_layers=1, n_heads=2, hidden_dim=32)
        >>> DistilBertForMultipleChoice(config)(torch.tensor([[[2, 3], [2, 4]]])).logits.shape
        torch.Size([1, 2])
    """

    def __init__(self, config: DistilBertConfig) -> None:
        super().__init__(config)
        self.distilbert = DistilBertModel(config)
        self.pre_classifier = nn.Linear(config.dim, config.dim)
        self.classifier = nn.Linear(config.dim, 1)
        self.dropout = nn.Dropout(config.seq_classif_dropout)
        self.post_init()

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, inputs_embeds: OptTensor = None,
        labels: OptTensor = None, position_ids: OptTensor = None, *, output_attentions: bool | None = None,
        output_hidden_states: bool | None = None, return_dict: bool | None = None,
    ) -> MultipleChoiceModelOutput | tuple:
        num_choices = count_choices(input_ids, inputs_embeds)
        outputs = self.distilbert(
            losses.flatten_choices(input_ids), losses.flatten_choices(attention_mask), losses.flatten_choices(inputs_embeds),
            losses.flatten_choices(position_ids), output_attentions=output_attentions,
            output_hidden_states=output_hidden_states, return_dict=True,
        )
        pooled = torch.relu(self.pre_classifier(outputs.last_hidden_state[:, 0]))  # (batch * choices, dim)
        logits = self.classifier(self.dropout(pooled)).view(-1, num_choices)  # (batch, choices)
        return multiple_choice_output(self, outputs, logits, labels, return_dict)


__all__ = [
    "DistilBertConfig", "DistilBertEmbeddings", "DistilBertSelfAttention", "DistilBertFFN",
    "DistilBertTransformerBlock", "DistilBertTransformer", "DistilBertPreTrainedModel", "DistilBertModel",
    "DistilBertForMaskedLM", "DistilBertForSequenceClassification", "DistilBertForQuestionAnswering",
    "DistilBertForTokenClassification", "DistilBertForMultipleChoice", "create_sinusoidal_embeddings",
]
