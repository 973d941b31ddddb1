"""ALBERT: factorised embeddings and cross-layer parameter sharing, plus sentence-order prediction.

* Embeddings are ``embedding_size`` wide (BERT's block at that width) and mapped to
  ``hidden_size`` by ``encoder.embedding_hidden_mapping_in``.
* The encoder holds ``num_hidden_groups`` groups of ``inner_group_num`` layers and runs
  ``num_hidden_layers`` steps, layer step ``i`` using group ``i * groups // layers``: with
  one group (the default) every step reuses the same weights.
* :class:`AlbertForPreTraining` predicts masked tokens and whether two segments were
  swapped (sentence-order prediction, ``sentence_order_label``).

Parameter names are the reference's (``albert.encoder.albert_layer_groups.0.albert_layers.0.
attention.query.weight``, ``predictions.decoder.weight``, ``sop_classifier.classifier.weight``).

Example:
    >>> import torch
    >>> from embrace.models.albert import AlbertConfig, AlbertModel
    >>> config = AlbertConfig(vocab_size=100, embedding_size=16, hidden_size=32, num_hidden_layers=3,
    ...                       num_attention_heads=4, intermediate_size=37)
    >>> out = AlbertModel(config).eval()(torch.tensor([[2, 5, 7, 3]]), output_hidden_states=True)
    >>> out.pooler_output.shape, len(out.hidden_states)
    (torch.Size([1, 32]), 4)
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import nn

from embrace.configuration import PretrainedConfig
from embrace.errors import ConfigError
from embrace.modeling.activations import ACT2FN
from embrace.modeling.attention import ALL_ATTENTION_FUNCTIONS, make_attention_mask
from embrace.modeling import losses
from embrace.modeling.outputs import (
    BaseModelOutput,
    BaseModelOutputWithPooling,
    MaskedLMOutput,
    ModelOutput,
    MultipleChoiceModelOutput,
    QuestionAnsweringModelOutput,
    SequenceClassifierOutput,
    TokenClassifierOutput,
)
from embrace.modeling.modeling_utils import PreTrainedModel
from embrace.modeling.heads import (
    body_extras,
    count_choices,
    masked_lm_output,
    multiple_choice_output,
    question_answering_output,
    sequence_classification_output,
    token_classification_output,
)
from embrace.models.bert import (
    BertEmbeddings,
    OptTensor,
    Tensor,
    attend,
    call_layer,
    split_heads,
)


class AlbertConfig(PretrainedConfig):
    """Configuration of an ALBERT model; defaults are albert-xxlarge's.

    Example:
        >>> config = AlbertConfig()
        >>> config.embedding_size, config.hidden_size, config.num_hidden_groups, config.hidden_act
        (128, 4096, 1, 'gelu_new')
    """

    model_type = "albert"

    vocab_size: int = 30000
    embedding_size: int = 128
    hidden_size: int = 4096
    num_hidden_layers: int = 12
    num_hidden_groups: int = 1
    num_attention_heads: int = 64
    intermediate_size: int = 16384
    inner_group_num: int = 1
    hidden_act: str = "gelu_new"
    hidden_dropout_prob: int | float = 0.0
    attention_probs_dropout_prob: int | float = 0.0
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    initializer_range: float = 0.02
    layer_norm_eps: float = 1e-12
    classifier_dropout_prob: int | float = 0.1
    pad_token_id: int | None = 0
    bos_token_id: int | None = 2
    eos_token_id: int | list[int] | None = 3
    tie_word_embeddings: bool = True

    def validate_shapes(self) -> None:
        """Heads must split hidden_size evenly; layer steps are spread over at least one group."""
        if self.hidden_size % self.num_attention_heads != 0:
            raise ConfigError(
                f"The hidden size ({self.hidden_size}) is not a multiple of the number of attention heads "
                f"({self.num_attention_heads}); pick num_attention_heads dividing hidden_size."
            )
        if not 1 <= self.num_hidden_groups <= max(self.num_hidden_layers, 1):
            raise ConfigError(
                f"num_hidden_groups={self.num_hidden_groups} must be between 1 and num_hidden_layers="
                f"{self.num_hidden_layers}."
            )


class AlbertEmbeddings(BertEmbeddings):
    """BERT's embeddings at width ``config.embedding_size``.

    Example:
        >>> config = AlbertConfig(vocab_size=10, embedding_size=4, hidden_size=8, num_attention_heads=2)
        >>> AlbertEmbeddings(config)(input_ids=torch.tensor([[1, 2, 3]])).shape
        torch.Size([1, 3, 4])
    """

    def __init__(self, config: AlbertConfig) -> None:
        narrow = copy.copy(config)  # BERT's block sizes everything by hidden_size
        narrow.hidden_size = config.embedding_size
        super().__init__(narrow)


class AlbertAttention(nn.Module):
    """Self-attention with its output projection, dropout, residual and LayerNorm in one block.

    Example:
        >>> attn = AlbertAttention(AlbertConfig(hidden_size=8, num_attention_heads=2))
        >>> attn(torch.zeros(1, 3, 8))[0].shape
        torch.Size([1, 3, 8])
    """

    def __init__(self, config: AlbertConfig) -> None:
        super().__init__()
        self.config = config
        self.num_attention_heads = config.num_attention_heads
        self.hidden_size = config.hidden_size
        self.attention_head_size = config.hidden_size // config.num_attention_heads
        self.all_head_size = self.num_attention_heads * self.attention_head_size
        self.scaling = self.attention_head_size**-0.5
        self.attention_dropout = nn.Dropout(config.attention_probs_dropout_prob)
        self.output_dropout = nn.Dropout(config.hidden_dropout_prob)
        self.query = nn.Linear(config.hidden_size, self.all_head_size)
        self.key = nn.Linear(config.hidden_size, self.all_head_size)
        self.value = nn.Linear(config.hidden_size, self.all_head_size)
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.is_causal = False

    def forward(
        self, hidden_states: Tensor, attention_mask: OptTensor = None, *, output_attentions: bool = False
    ) -> tuple[Tensor, OptTensor]:
        projections = (self.query, self.key, self.value)
        query, key, value = (split_heads(hidden_states, p, self.attention_head_size) for p in projections)
        context, weights = attend(
            self, query, key, value, attention_mask, self.attention_dropout, output_attentions
        )  # (batch, seq, hidden)
        projected = self.output_dropout(self.dense(context))
        return self.LayerNorm(hidden_states + projected), weights


class AlbertLayer(nn.Module):
    """Attention block, then ``ffn`` -> activation -> ``ffn_output`` with residual and ``full_layer_layer_norm``.

    Example:
        >>> layer = AlbertLayer(AlbertConfig(hidden_size=8, num_attention_heads=2, intermediate_size=16))
        >>> layer(torch.zeros(1, 3, 8))[0].shape
        torch.Size([1, 3, 8])
    """

    def __init__(self, config: AlbertConfig) -> None:
        super().__init__()
        self.chunk_size_feed_forward = config.chunk_size_feed_forward
        self.full_layer_layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.attention = AlbertAttention(config)
        self.ffn = nn.Linear(config.hidden_size, config.intermediate_size)
        self.ffn_output = nn.Linear(config.intermediate_size, config.hidden_size)
        self.activation = ACT2FN[config.hidden_act]
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(
        self, hidden_states: Tensor, attention_mask: OptTensor = None, *, output_attentions: bool = False
    ) -> tuple[Tensor, OptTensor]:
        attended, weights = self.attention(hidden_states, attention_mask, output_attentions=output_attentions)
        size = self.chunk_size_feed_forward
        if size > 0:
            if attended.shape[1] % size != 0:
                raise ValueError(
                    f"sequence length {attended.shape[1]} is not a multiple of chunk_size_feed_forward={size}; "
                    "pad the input or change the chunk size."
                )
            ffn = torch.cat([self.ff_chunk(c) for c in attended.split(size, dim=1)], dim=1)
        else:
            ffn = self.ff_chunk(attended)
        return self.full_layer_layer_norm(ffn + attended), weights

    def ff_chunk(self, attention_output: Tensor) -> Tensor:
        return self.ffn_output(self.activation(self.ffn(attention_output)))


class AlbertLayerGroup(nn.Module):
    """``inner_group_num`` layers applied one after the other (``albert_layers``).

    Example:
        >>> group = AlbertLayerGroup(AlbertConfig(hidden_size=8, num_attention_heads=2, inner_group_num=2))
        >>> len(group.albert_layers)
        2
    """

    def __init__(self, config: AlbertConfig) -> None:
        super().__init__()
        self.albert_layers = nn.ModuleList([AlbertLayer(config) for _ in range(config.inner_group_num)])


class AlbertTransformer(nn.Module):
    """Embedding-to-hidden mapping, then ``num_hidden_layers`` steps over the shared layer groups.

    Hidden states (on request) are the mapped embeddings and every layer's output.

    Example:
        >>> config = AlbertConfig(embedding_size=4, hidden_size=8, num_attention_heads=2, num_hidden_layers=3)
        >>> encoder = AlbertTransformer(config)
        >>> len(encoder.albert_layer_groups), len(encoder(torch.zeros(1, 2, 4), output_hidden_states=True).hidden_states)
        (1, 4)
    """

    def __init__(self, config: AlbertConfig) -> None:
        super().__init__()
        self.config = config
        self.embedding_hidden_mapping_in = nn.Linear(config.embedding_size, config.hidden_size)
        self.albert_layer_groups = nn.ModuleList([AlbertLayerGroup(config) for _ in range(config.num_hidden_groups)])
        self.gradient_checkpointing = False

    def forward(
        self, hidden_states: Tensor, attention_mask: OptTensor = None, *, output_attentions: bool = False,
        output_hidden_states: bool = False,
    ) -> BaseModelOutput:
        hidden_states = self.embedding_hidden_mapping_in(hidden_states)  # (batch, seq, hidden)
        all_hidden = [hidden_states] if output_hidden_states else None
        all_weights = []
        steps, groups = self.config.num_hidden_layers, self.config.num_hidden_groups
        for step in range(steps):
            group = self.albert_layer_groups[int(step / (steps / groups))]
            for layer in group.albert_layers:
                hidden_states, weights = call_layer(
                    self, layer, hidden_states, attention_mask, output_attentions=output_attentions
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


class AlbertMLMHead(nn.Module):
    """``dense`` to ``embedding_size``, activation, ``LayerNorm``, ``decoder`` to the vocabulary.

    Example:
        >>> config = AlbertConfig(vocab_size=10, embedding_size=4, hidden_size=8, num_attention_heads=2)
        >>> AlbertMLMHead(config)(torch.zeros(1, 2, 8)).shape
        torch.Size([1, 2, 10])
    """

    def __init__(self, config: AlbertConfig) -> None:
        super().__init__()
        self.LayerNorm = nn.LayerNorm(config.embedding_size, eps=config.layer_norm_eps)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))
        self.dense = nn.Linear(config.hidden_size, config.embedding_size)
        self.decoder = nn.Linear(config.embedding_size, config.vocab_size)
        self.activation = ACT2FN[config.hidden_act]

    def forward(self, hidden_states: Tensor) -> Tensor:
        return self.decoder(self.LayerNorm(self.activation(self.dense(hidden_states))))  # (batch, seq, vocab)


class AlbertSOPHead(nn.Module):
    """Sentence-order prediction from the pooled output: dropout then ``classifier``.

    Example:
        >>> AlbertSOPHead(AlbertConfig(hidden_size=8, num_attention_heads=2))(torch.zeros(3, 8)).shape
        torch.Size([3, 2])
    """

    def __init__(self, config: AlbertConfig) -> None:
        super().__init__()
        self.dropout = nn.Dropout(config.classifier_dropout_prob)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)

    def forward(self, pooled_output: Tensor) -> Tensor:
        return self.classifier(self.dropout(pooled_output))


@dataclass
class AlbertForPreTrainingOutput(ModelOutput):
    """Output of :class:`AlbertForPreTraining`: summed MLM + SOP loss and both heads' logits.

    Example:
        >>> AlbertForPreTrainingOutput(prediction_logits=torch.zeros(1, 2, 5))[0].shape
        torch.Size([1, 2, 5])
    """

    loss: torch.Tensor | None = None
    prediction_logits: torch.Tensor | None = None
    sop_logits: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


class AlbertPreTrainedModel(PreTrainedModel):
    """Shared base of the ALBERT models: config class, weight init, output plumbing.

    Example:
        >>> config = AlbertConfig(vocab_size=10, embedding_size=4, hidden_size=8, num_attention_heads=2,
        ...                       num_hidden_layers=1)
        >>> model = AlbertForMaskedLM(config)
        >>> model.predictions.decoder.weight is model.albert.embeddings.word_embeddings.weight
        True
    """

    config_class = AlbertConfig
    base_model_prefix = "albert"
    supports_gradient_checkpointing = True
    _supports_sdpa = True
    _keys_to_ignore_on_load_unexpected = [r"embeddings\.position_ids"]

    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, AlbertMLMHead):
            module.bias.zero_()
        elif isinstance(module, AlbertEmbeddings):
            module.position_ids.copy_(torch.arange(module.position_ids.shape[-1]).expand((1, -1)))
            module.token_type_ids.zero_()


class AlbertModel(AlbertPreTrainedModel):
    """The ALBERT body: embeddings, shared-layer encoder and (optionally) a tanh pooler on the first token.

    Example:
        >>> config = AlbertConfig(vocab_size=50, embedding_size=8, hidden_size=16, num_hidden_layers=2,
        ...                       num_attention_heads=2, intermediate_size=32)
        >>> AlbertModel(config)(torch.tensor([[2, 3, 4]])).last_hidden_state.shape
        torch.Size([1, 3, 16])
    """

    _no_split_modules = ["AlbertEmbeddings", "AlbertLayer"]

    def __init__(self, config: AlbertConfig, add_pooling_layer: bool = True) -> None:
        super().__init__(config)
        self.embeddings = AlbertEmbeddings(config)
        self.encoder = AlbertTransformer(config)
        self.pooler = nn.Linear(config.hidden_size, config.hidden_size) if add_pooling_layer else None
        self.pooler_activation = nn.Tanh() if add_pooling_layer else None
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embeddings.word_embeddings

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.embeddings.word_embeddings = value

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, token_type_ids: OptTensor = None,
        position_ids: OptTensor = None, inputs_embeds: OptTensor = None, *, output_attentions: bool | None = None,
        output_hidden_states: bool | None = None, return_dict: bool | None = None,
    ) -> BaseModelOutputWithPooling | tuple:
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("You must specify exactly one of input_ids or inputs_embeds")
        config = self.config
        output_attentions = config.output_attentions if output_attentions is None else output_attentions
        output_hidden_states = config.output_hidden_states if output_hidden_states is None else output_hidden_states
        embedded = self.embeddings(
            input_ids=input_ids, token_type_ids=token_type_ids, position_ids=position_ids, inputs_embeds=inputs_embeds
        )  # (batch, seq, embedding_size)
        mask = make_attention_mask(
            attention_mask, batch_size=embedded.shape[0], query_length=embedded.shape[1], dtype=embedded.dtype,
            boolean=ALL_ATTENTION_FUNCTIONS.boolean_masks(config._attn_implementation), device=embedded.device,
        )
        encoded = self.encoder(
            embedded, mask, output_attentions=bool(output_attentions), output_hidden_states=bool(output_hidden_states)
        )
        sequence = encoded.last_hidden_state
        pooled = self.pooler_activation(self.pooler(sequence[:, 0])) if self.pooler is not None else None
        output = BaseModelOutputWithPooling(last_hidden_state=sequence, pooler_output=pooled, **body_extras(encoded))
        return self._finish(output, return_dict)


class _AlbertMLMMixin:
    """Tying and output-embedding accessors of the heads that own ``predictions``."""

    _tied_weights_keys = {
        "predictions.decoder.weight": "albert.embeddings.word_embeddings.weight",
        "predictions.decoder.bias": "predictions.bias",
    }

    def get_output_embeddings(self) -> nn.Linear:
        return self.predictions.decoder

    def set_output_embeddings(self, new_embeddings: nn.Linear) -> None:
        self.predictions.decoder = new_embeddings


class AlbertForPreTraining(_AlbertMLMMixin, AlbertPreTrainedModel):
    """ALBERT with the MLM head and sentence-order prediction; the loss needs ``labels`` and ``sentence_order_label``.

    Example:
        >>> config = AlbertConfig(vocab_size=50, embedding_size=8, hidden_size=16, num_hidden_layers=1,
        ...                       num_attention_heads=2, intermediate_size=32)
        >>> out = AlbertForPreTraining(config)(torch.tensor([[2, 3, 4]]))
        >>> out.prediction_logits.shape, out.sop_logits.shape
        (torch.Size([1, 3, 50]), torch.Size([1, 2]))
    """

    def __init__(self, config: AlbertConfig) -> None:
        super().__init__(config)
        self.albert = AlbertModel(config)
        self.predictions = AlbertMLMHead(config)
        self.sop_classifier = AlbertSOPHead(config)
        self.post_init()

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, token_type_ids: OptTensor = None,
        position_ids: OptTensor = None, inputs_embeds: OptTensor = None, labels: OptTensor = None,
        sentence_order_label: OptTensor = None, *, output_attentions: bool | None = None,
        output_hidden_states: bool | None = None, return_dict: bool | None = None,
    ) -> AlbertForPreTrainingOutput | tuple:
        outputs = self.albert(
            input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
            output_attentions=output_attentions, output_hidden_states=output_hidden_states, return_dict=True,
        )
        prediction_scores = self.predictions(outputs.last_hidden_state)
        sop_scores = self.sop_classifier(outputs.pooler_output)  # (batch, 2)
        loss = None
        if labels is not None and sentence_order_label is not None:
            mlm = losses.masked_lm_loss(prediction_scores, labels)
            sop = nn.functional.cross_entropy(sop_scores.view(-1, 2), sentence_order_label.view(-1))
            loss = mlm + sop
        output = AlbertForPreTrainingOutput(
            loss=loss, prediction_logits=prediction_scores, sop_logits=sop_scores, **body_extras(outputs)
        )
        return self._finish(output, return_dict)


class AlbertForMaskedLM(_AlbertMLMMixin, AlbertPreTrainedModel):
    """ALBERT with the masked-LM head; ``labels`` of ``-100`` are ignored.

    Example:
        >>> config = AlbertConfig(vocab_size=50, embedding_size=8, hidden_size=16, num_hidden_layers=1,
        ...                       num_attention_heads=2, intermediate_size=32)
        >>> AlbertForMaskedLM(config)(torch.tensor([[2, 3, 4]])).logits.shape
        torch.Size([1, 3, 50])
    """

    def __init__(self, config: AlbertConfig) -> None:
        super().__init__(config)
        self.albert = AlbertModel(config, add_pooling_layer=False)
        self.predictions = AlbertMLMHead(config)
        self.post_init()

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, token_type_ids: OptTensor = None,
        position_ids: OptTensor = None, inputs_embeds: OptTensor = None, labels: OptTensor = None, *,
        output_attentions: bool | None = None, output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> MaskedLMOutput | tuple:
        outputs = self.albert(
            input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
            output_attentions=output_attentions, output_hidden_states=output_hidden_states, return_dict=True,
        )
        logits = self.predictions(outputs.last_hidden_state)
        return masked_lm_output(self, outputs, logits, labels, return_dict)


class AlbertForSequenceClassification(AlbertPreTrainedModel):
    """ALBERT with a linear classifier (or regressor) on the pooled output.

    Example:
        >>> config = AlbertConfig(vocab_size=50, embedding_size=8, hidden_size=16, num_hidden_layers=1,
        ...                       num_attention_heads=2, intermediate_size=32, num_labels=3)
        >>> AlbertForSequenceClassification(config)(torch.tensor([[2, 3, 4]])).logits.shape
        torch.Size([1, 3])
    """

    def __init__(self, config: AlbertConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.albert = AlbertModel(config)
        self.dropout = nn.Dropout(config.classifier_dropout_prob)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, token_type_ids: OptTensor = None,
        position_ids: OptTensor = None, inputs_embeds: OptTensor = None, labels: OptTensor = None, *,
        output_attentions: bool | None = None, output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> SequenceClassifierOutput | tuple:
        outputs = self.albert(
            input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
            output_attentions=output_attentions, output_hidden_states=output_hidden_states, return_dict=True,
        )
        logits = self.classifier(self.dropout(outputs.pooler_output))  # (batch, num_labels)
        return sequence_classification_output(self, outputs, logits, labels, return_dict)


class AlbertForTokenClassification(AlbertPreTrainedModel):
    """ALBERT with a per-token linear classifier.

    Example:
        >>> config = AlbertConfig(vocab_size=50, embedding_size=8, hidden_size=16, num_hidden_layers=1,
        ...                       num_attention_heads=2, intermediate_size=32, num_labels=5)
        >>> AlbertForTokenClassification(config)(torch.tensor([[2, 3, 4]])).logits.shape
        torch.Size([1, 3, 5])
    """

    def __init__(self, config: AlbertConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.albert = AlbertModel(config, add_pooling_layer=False)
        rate = config.classifier_dropout_prob
        self.dropout = nn.Dropout(rate if rate is not None else config.hidden_dropout_prob)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, token_type_ids: OptTensor = None,
        position_ids: OptTensor = None, inputs_embeds: OptTensor = None, labels: OptTensor = None, *,
        output_attentions: bool | None = None, output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> TokenClassifierOutput | tuple:
        outputs = self.albert(
            input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
            output_attentions=output_attentions, output_hidden_states=output_hidden_states, return_dict=True,
        )
        logits = self.classifier(self.dropout(outputs.last_hidden_state))  # (batch, seq, num_labels)
        return token_classification_output(self, outputs, logits, labels, return_dict)


class AlbertForQuestionAnswering(AlbertPreTrainedModel):
    """ALBERT predicting answer-span start and end logits.

    Example:
        >>> config = AlbertConfig(vocab_size=50, embedding_size=8, hidden_size=16, num_hidden_layers=1,
        ...                       num_attention_heads=2, intermediate_size=32)
        >>> AlbertForQuestionAnswering(config)(torch.tensor([[2, 3, 4]])).end_logits.shape
        torch.Size([1, 3])
    """

    def __init__(self, config: AlbertConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.albert = AlbertModel(config, add_pooling_layer=False)
        self.qa_outputs = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, token_type_ids: OptTensor = None,
        position_ids: OptTensor = None, inputs_embeds: OptTensor = None, start_positions: OptTensor = None,
        end_positions: OptTensor = None, *, output_attentions: bool | None = None,
        output_hidden_states: bool | None = None, return_dict: bool | None = None,
    ) -> QuestionAnsweringModelOutput | tuple:
        outputs = self.albert(
            input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
            output_attentions=output_attentions, output_hidden_states=output_hidden_states, return_dict=True,
        )
        span_logits = self.qa_outputs(outputs.last_hidden_state)  # (batch, seq, 2)
        return question_answering_output(self, outputs, span_logits, start_positions, end_positions, return_dict)


class AlbertForMultipleChoice(AlbertPreTrainedModel):
    """ALBERT scoring ``num_choices`` candidates (inputs ``(batch, num_choices, seq)``) from the pooler.

    Example:
        >>> config = AlbertConfig(vocab_size=50, embedding_size=8, hidden_size=16, num_hidden_layers=1,
        ...                       num_attention_heads=2, intermediate_size=32)
        >>> AlbertForMultipleChoice(config)(torch.tensor([[[2, 3], [2, 4]]])).logits.shape
        torch.Size([1, 2])
    """

    def __init__(self, config: AlbertConfig) -> None:
        super().__init__(config)
        self.albert = AlbertModel(config)
        self.dropout = nn.Dropout(config.classifier_dropout_prob)
        self.classifier = nn.Linear(config.hidden_size, 1)
        self.post_init()

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, token_type_ids: OptTensor = None,
        position_ids: OptTensor = None, inputs_embeds: OptTensor = None, labels: OptTensor = None, *,
        output_attentions: bool | None = None, output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> MultipleChoiceModelOutput | tuple:
        num_choices = count_choices(input_ids, inputs_embeds)
        outputs = self.albert(
            losses.flatten_choices(input_ids), losses.flatten_choices(attention_mask), losses.flatten_choices(token_type_ids),
            losses.flatten_choices(position_ids), losses.flatten_choices(inputs_embeds),
            output_attentions=output_attentions, output_hidden_states=output_hidden_states, return_dict=True,
        )
        logits = self.classifier(self.dropout(outputs.pooler_output)).view(-1, num_choices)  # (batch, choices)
        return multiple_choice_output(self, outputs, logits, labels, return_dict)


__all__ = [
    "AlbertConfig", "AlbertEmbeddings", "AlbertAttention", "AlbertLayer", "AlbertLayerGroup", "AlbertTransformer",
    "AlbertMLMHead", "AlbertSOPHead", "AlbertForPreTrainingOutput", "AlbertPreTrainedModel", "AlbertModel",
    "AlbertForPreTraining", "AlbertForMaskedLM", "AlbertForSequenceClassification", "AlbertForTokenClassification",
    "AlbertForQuestionAnswering", "AlbertForMultipleChoice",
]
