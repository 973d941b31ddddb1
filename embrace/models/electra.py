"""ELECTRA: BERT's encoder behind narrower embeddings, with a discriminator and a generator head.

What ELECTRA adds to :mod:`embrace.models.bert`:

* embeddings of width ``embedding_size`` (128 in the base models), projected to
  ``hidden_size`` by ``embeddings_project`` when the two differ;
* :class:`ElectraForPreTraining`, the *discriminator*: one logit per token saying whether
  the token was replaced (binary cross-entropy over the non-padding tokens);
* :class:`ElectraForMaskedLM` / :class:`ElectraForCausalLM`, the *generator* head
  (dense to ``embedding_size``, gelu, LayerNorm, then the tied vocabulary projection);
* classification through a gelu head, multiple choice through a sequence summary.

Example:
    >>> import torch
    >>> from embrace.models.electra import ElectraConfig, ElectraForPreTraining
    >>> config = ElectraConfig(vocab_size=100, embedding_size=16, hidden_size=32, num_hidden_layers=2,
    ...                        num_attention_heads=4, intermediate_size=37)
    >>> ElectraForPreTraining(config).eval()(torch.tensor([[1, 5, 7, 2]])).logits.shape
    torch.Size([1, 4])
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from embrace.errors import ConfigError
from embrace.modeling.activations import ACT2FN
from embrace.modeling.cache import Cache
from embrace.modeling.outputs import BaseModelOutputWithPastAndCrossAttentions, MaskedLMOutput, ModelOutput
from embrace.modeling.heads import body_extras, masked_lm_output
from embrace.models.bert import (
    BertConfig,
    BertEmbeddings,
    BertForMultipleChoice,
    BertForQuestionAnswering,
    BertForSequenceClassification,
    BertForTokenClassification,
    BertLMHeadModel,
    BertModel,
    BertPreTrainedModel,
    HiddenSelection,
    OptTensor,
    Tensor,
    _classifier_dropout,
)
from embrace.utils.logging import get_logger

logger = get_logger(__name__)

_SUMMARY_TYPES = ("last", "first", "mean", "cls_index")


class ElectraConfig(BertConfig):
    """Configuration of an ELECTRA model; defaults are electra-small-discriminator's.

    Example:
        >>> config = ElectraConfig()
        >>> config.embedding_size, config.hidden_size, config.summary_type
        (128, 256, 'first')
    """

    model_type = "electra"

    embedding_size: int = 128
    hidden_size: int = 256
    num_attention_heads: int = 4
    intermediate_size: int = 1024
    summary_type: str = "first"
    summary_use_proj: bool = True
    summary_activation: str = "gelu"
    summary_last_dropout: float | int = 0.1

    def validate_summary_type(self) -> None:
        """The multiple-choice summary reads the last, first, mean or indexed token."""
        if self.summary_type not in _SUMMARY_TYPES:
            raise ConfigError(
                f"summary_type={self.summary_type!r} is not supported; use one of {list(_SUMMARY_TYPES)}."
            )


class ElectraEmbeddings(BertEmbeddings):
    """BERT's embeddings at width ``config.embedding_size``.

    Example:
        >>> config = ElectraConfig(vocab_size=10, embedding_size=4, hidden_size=8, num_attention_heads=2)
        >>> ElectraEmbeddings(config)(input_ids=torch.tensor([[1, 2, 3]])).shape
        torch.Size([1, 3, 4])
    """

    def __init__(self, config: ElectraConfig) -> None:
        narrow = copy.copy(config)  # BERT's block sizes everything by hidden_size
        narrow.hidden_size = config.embedding_size
        super().__init__(narrow)


class ElectraDiscriminatorPredictions(nn.Module):
    """Replaced-token detection: ``dense``, activation, ``dense_prediction`` to one logit per token.

    Example:
        >>> head = ElectraDiscriminatorPredictions(ElectraConfig(hidden_size=8, num_attention_heads=2))
        >>> head(torch.zeros(2, 3, 8)).shape
        torch.Size([2, 3])
    """

    def __init__(self, config: ElectraConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.activation = ACT2FN[config.hidden_act]
        self.dense_prediction = nn.Linear(config.hidden_size, 1)

    def forward(self, discriminator_hidden_states: Tensor) -> Tensor:
        return self.dense_prediction(self.activation(self.dense(discriminator_hidden_states))).squeeze(-1)


class ElectraGeneratorPredictions(nn.Module):
    """Generator transform: ``dense`` to ``embedding_size``, gelu, ``LayerNorm``.

    Example:
        >>> config = ElectraConfig(embedding_size=4, hidden_size=8, num_attention_heads=2)
        >>> ElectraGeneratorPredictions(config)(torch.zeros(1, 3, 8)).shape
        torch.Size([1, 3, 4])
    """

    def __init__(self, config: ElectraConfig) -> None:
        super().__init__()
        self.activation = ACT2FN["gelu"]
        self.LayerNorm = nn.LayerNorm(config.embedding_size, eps=config.layer_norm_eps)
        self.dense = nn.Linear(config.hidden_size, config.embedding_size)

    def forward(self, generator_hidden_states: Tensor) -> Tensor:
        return self.LayerNorm(self.activation(self.dense(generator_hidden_states)))


class ElectraClassificationHead(nn.Module):
    """First-token classifier: dropout, ``dense``, gelu, dropout, ``out_proj``.

    Example:
        >>> config = ElectraConfig(hidden_size=8, num_attention_heads=2, num_labels=3)
        >>> ElectraClassificationHead(config)(torch.zeros(2, 5, 8)).shape
        torch.Size([2, 3])
    """

    def __init__(self, config: ElectraConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.activation = ACT2FN["gelu"]  # gelu where BERT's pooler uses tanh, as ELECTRA was trained
        self.dropout = _classifier_dropout(config)
        self.out_proj = nn.Linear(config.hidden_size, config.num_labels)

    def forward(self, features: Tensor) -> Tensor:
        x = self.dropout(features[:, 0, :])
        x = self.dropout(self.activation(self.dense(x)))
        return self.out_proj(x)  # (batch, num_labels)


class ElectraSequenceSummary(nn.Module):
    """One vector per sequence (``summary_type``), then optional projection, activation, dropouts.

    Example:
        >>> config = ElectraConfig(hidden_size=8, num_attention_heads=2, summary_type="mean")
        >>> ElectraSequenceSummary(config)(torch.zeros(2, 5, 8)).shape
        torch.Size([2, 8])
    """

    def __init__(self, config: ElectraConfig) -> None:
        super().__init__()
        self.summary_type = config.summary_type
        self.summary: nn.Module = nn.Identity()
        if config.summary_use_proj:
            to_labels = getattr(config, "summary_proj_to_labels", False) and config.num_labels > 0
            self.summary = nn.Linear(config.hidden_size, config.num_labels if to_labels else config.hidden_size)
        activation = config.summary_activation
        self.activation = ACT2FN[activation] if activation else nn.Identity()
        first, last = getattr(config, "summary_first_dropout", 0), config.summary_last_dropout
        self.first_dropout = nn.Dropout(first) if first and first > 0 else nn.Identity()
        self.last_dropout = nn.Dropout(last) if last and last > 0 else nn.Identity()

    def forward(self, hidden_states: Tensor, cls_index: OptTensor = None) -> Tensor:
        if self.summary_type == "last":
            output = hidden_states[:, -1]
        elif self.summary_type == "first":
            output = hidden_states[:, 0]
        elif self.summary_type == "mean":
            output = hidden_states.mean(dim=1)
        else:  # "cls_index": the token at cls_index, the last one by default
            if cls_index is None:
                cls_index = torch.full(hidden_states.shape[:-2], hidden_states.shape[-2] - 1, dtype=torch.long)
            index = cls_index.to(hidden_states.device)[..., None, None].expand(
                *cls_index.shape, 1, hidden_states.size(-1)
            )
            output = hidden_states.gather(-2, index).squeeze(-2)  # (batch, hidden)
        return self.last_dropout(self.activation(self.summary(self.first_dropout(output))))


@dataclass
class ElectraForPreTrainingOutput(ModelOutput):
    """Output of :class:`ElectraForPreTraining`: the replaced-token loss and per-token logits.

    Example:
        >>> ElectraForPreTrainingOutput(logits=torch.zeros(1, 3))[0].shape
        torch.Size([1, 3])
    """

    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


class ElectraPreTrainedModel(BertPreTrainedModel):
    """Shared base of the ELECTRA models (config class, weight init, output plumbing).

    Example:
        >>> config = ElectraConfig(vocab_size=10, embedding_size=4, hidden_size=8, num_attention_heads=2,
        ...                        num_hidden_layers=1)
        >>> model = ElectraForMaskedLM(config)
        >>> model.generator_lm_head.weight is model.electra.embeddings.word_embeddings.weight
        True
    """

    config_class = ElectraConfig
    base_model_prefix = "electra"


class ElectraModel(ElectraPreTrainedModel, BertModel):
    """The ELECTRA body: :class:`ElectraEmbeddings`, ``embeddings_project`` (if needed), BERT's encoder.

    Takes BERT's arguments; returns a ``BaseModelOutputWithPastAndCrossAttentions`` (no pooler).

    Example:
        >>> config = ElectraConfig(vocab_size=50, embedding_size=8, hidden_size=16, num_hidden_layers=1,
        ...                        num_attention_heads=2)
        >>> ElectraModel(config)(torch.tensor([[2, 3, 4]])).last_hidden_state.shape
        torch.Size([1, 3, 16])
    """

    _no_split_modules = ["ElectraEmbeddings", "BertLayer"]

    def __init__(self, config: ElectraConfig) -> None:
        super().__init__(config, add_pooling_layer=False)
        self.embeddings = ElectraEmbeddings(config)
        if config.embedding_size != config.hidden_size:
            self.embeddings_project = nn.Linear(config.embedding_size, config.hidden_size)
        # BERT's forward runs unchanged; the projection is applied to what the embeddings return.
        self.embeddings.register_forward_hook(self._project_embeddings)
        self.post_init()

    def _project_embeddings(self, module: nn.Module, args: Any, output: Tensor) -> Tensor:
        project = getattr(self, "embeddings_project", None)
        return project(output) if project is not None else output  # (batch, seq, hidden)

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, token_type_ids: OptTensor = None,
        position_ids: OptTensor = None, head_mask: OptTensor = None, inputs_embeds: OptTensor = None,
        encoder_hidden_states: OptTensor = None, encoder_attention_mask: OptTensor = None,
        past_key_values: Cache | tuple | None = None, use_cache: bool | None = None,
        output_attentions: bool | None = None, output_hidden_states: HiddenSelection = None,
        return_dict: bool | None = None,
    ) -> BaseModelOutputWithPastAndCrossAttentions | tuple:
        out = super().forward(
            input_ids, attention_mask, token_type_ids, position_ids, head_mask, inputs_embeds, encoder_hidden_states,
            encoder_attention_mask, past_key_values, use_cache, output_attentions, output_hidden_states,
            return_dict=True,
        )
        output = BaseModelOutputWithPastAndCrossAttentions(
            last_hidden_state=out.last_hidden_state, past_key_values=out.past_key_values,
            hidden_states=out.get("hidden_states"), attentions=out.get("attentions"),
            cross_attentions=out.get("cross_attentions"),
        )
        return self._finish(output, return_dict)


class _ElectraGeneratorMixin:
    """The generator's vocabulary projection ``generator_lm_head``, tied to the word embeddings."""

    _tied_weights_keys = {"generator_lm_head.weight": "electra.embeddings.word_embeddings.weight"}

    def get_output_embeddings(self) -> nn.Linear:
        return self.generator_lm_head

    def set_output_embeddings(self, new_embeddings: nn.Linear) -> None:
        self.generator_lm_head = new_embeddings

    def _lm_logits(self, hidden_states: Tensor) -> Tensor:
        return self.generator_lm_head(self.generator_predictions(hidden_states))  # (batch, seq, vocab)


# Most heads' forwards are BERT's: they take the same inputs and call the body through
# ``base_model`` (``self.electra``) and the head through the modules or hooks named alike.


class ElectraForPreTraining(ElectraPreTrainedModel):
    """The discriminator: a per-token "was this token replaced?" logit; ``labels`` are 0/1.

    The loss (binary cross-entropy) counts only tokens the attention mask keeps.

    Example:
        >>> config = ElectraConfig(vocab_size=50, embedding_size=8, hidden_size=16, num_hidden_layers=1,
        ...                        num_attention_heads=2)
        >>> out = ElectraForPreTraining(config)(torch.tensor([[2, 3, 4]]), labels=torch.tensor([[0, 1, 0]]))
        >>> out.logits.shape, out.loss.ndim
        (torch.Size([1, 3]), 0)
    """

    def __init__(self, config: ElectraConfig) -> None:
        super().__init__(config)
        self.electra = ElectraModel(config)
        self.discriminator_predictions = ElectraDiscriminatorPredictions(config)
        self.post_init()

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, token_type_ids: OptTensor = None,
        position_ids: OptTensor = None, head_mask: OptTensor = None, inputs_embeds: OptTensor = None,
        labels: OptTensor = None, output_attentions: bool | None = None,
        output_hidden_states: HiddenSelection = None, return_dict: bool | None = None,
    ) -> ElectraForPreTrainingOutput | tuple:
        outputs = self.electra(
            input_ids, attention_mask, token_type_ids, position_ids, head_mask, inputs_embeds,
            output_attentions=output_attentions, output_hidden_states=output_hidden_states, return_dict=True,
        )
        logits = self.discriminator_predictions(outputs.last_hidden_state)  # (batch, seq)
        loss = None
        if labels is not None:
            seq = logits.shape[-1]
            if attention_mask is not None:
                active = attention_mask.view(-1, seq) == 1  # padding never counts
                loss = nn.functional.binary_cross_entropy_with_logits(
                    logits.view(-1, seq)[active], labels[active].float()
                )
            else:
                loss = nn.functional.binary_cross_entropy_with_logits(logits.view(-1, seq), labels.float())
        return self._finish(ElectraForPreTrainingOutput(loss=loss, logits=logits, **body_extras(outputs)), return_dict)


class ElectraForMaskedLM(_ElectraGeneratorMixin, ElectraPreTrainedModel):
    """The generator: masked-LM logits through :class:`ElectraGeneratorPredictions` and ``generator_lm_head``.

    Example:
        >>> config = ElectraConfig(vocab_size=50, embedding_size=8, hidden_size=16, num_hidden_layers=1,
        ...                        num_attention_heads=2)
        >>> ElectraForMaskedLM(config)(torch.tensor([[2, 3, 4]])).logits.shape
        torch.Size([1, 3, 50])
    """

    def __init__(self, config: ElectraConfig) -> None:
        super().__init__(config)
        self.electra = ElectraModel(config)
        self.generator_predictions = ElectraGeneratorPredictions(config)
        self.generator_lm_head = nn.Linear(config.embedding_size, config.vocab_size)
        self.post_init()

    def forward(
        self, input_ids: OptTensor = None, attention_mask: OptTensor = None, token_type_ids: OptTensor = None,
        position_ids: OptTensor = None, head_mask: OptTensor = None, inputs_embeds: OptTensor = None,
        labels: OptTensor = None, output_attentions: bool | None = None,
        output_hidden_states: HiddenSelection = None, return_dict: bool | None = None,
    ) -> MaskedLMOutput | tuple:
        outputs = self.electra(
            input_ids, attention_mask, token_type_ids, position_ids, head_mask, inputs_embeds,
            output_attentions=output_attentions, output_hidden_states=output_hidden_states, return_dict=True,
        )
        return masked_lm_output(self, outputs, self._lm_logits(outputs.last_hidden_state), labels, return_dict)


class ElectraForCausalLM(_ElectraGeneratorMixin, ElectraPreTrainedModel):
    """The generator head used left to right (``config.is_decoder=True``); shifted next-token loss.

    Example:
        >>> config = ElectraConfig(vocab_size=50, embedding_size=8, hidden_size=16, num_hidden_layers=1,
        ...                        num_attention_heads=2, is_decoder=True)
        >>> ElectraForCausalLM(config)(torch.tensor([[2, 3, 4]]), labels=torch.tensor([[2, 3, 4]])).loss.ndim
        0
    """

    def __init__(self, config: ElectraConfig) -> None:
        super().__init__(config)
        if not config.is_decoder:
            logger.warning("ElectraForCausalLM is meant to be a decoder: set is_decoder=True in its config.")
        self.electra = ElectraModel(config)
        self.generator_predictions = ElectraGeneratorPredictions(config)
        self.generator_lm_head = nn.Linear(config.embedding_size, config.vocab_size)
        self.post_init()

    @classmethod
    def can_generate(cls) -> bool:
        return True

    forward = BertLMHeadModel.forward


class ElectraForSequenceClassification(ElectraPreTrainedModel):
    """ELECTRA with :class:`ElectraClassificationHead`; the loss follows ``config.problem_type``.

    Example:
        >>> config = ElectraConfig(vocab_size=50, embedding_size=8, hidden_size=16, num_hidden_layers=1,
        ...                        num_attention_heads=2, num_labels=3)
        >>> ElectraForSequenceClassification(config)(torch.tensor([[2, 3, 4]])).logits.shape
        torch.Size([1, 3])
    """

    def __init__(self, config: ElectraConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.electra = ElectraModel(config)
        self.classifier = ElectraClassificationHead(config)
        self.post_init()

    forward = BertForSequenceClassification.forward

    def _head_logits(self, outputs: ModelOutput) -> Tensor:
        return self.classifier(outputs.last_hidden_state)  # the head reads the first token itself


class ElectraForTokenClassification(ElectraPreTrainedModel):
    """ELECTRA with a per-token linear classifier.

    Example:
        >>> config = ElectraConfig(vocab_size=50, embedding_size=8, hidden_size=16, num_hidden_layers=1,
        ...                        num_attention_heads=2, num_labels=5)
        >>> ElectraForTokenClassification(config)(torch.tensor([[2, 3, 4]])).logits.shape
        torch.Size([1, 3, 5])
    """

    def __init__(self, config: ElectraConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.electra = ElectraModel(config)
        self.dropout = _classifier_dropout(config)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    forward = BertForTokenClassification.forward


class ElectraForQuestionAnswering(ElectraPreTrainedModel):
    """ELECTRA predicting answer-span start and end logits.

    Example:
        >>> config = ElectraConfig(vocab_size=50, embedding_size=8, hidden_size=16, num_hidden_layers=1,
        ...                        num_attention_heads=2)
        >>> ElectraForQuestionAnswering(config)(torch.tensor([[2, 3, 4]])).start_logits.shape
        torch.Size([1, 3])
    """

    def __init__(self, config: ElectraConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.electra = ElectraModel(config)
        self.qa_outputs = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    forward = BertForQuestionAnswering.forward


class ElectraForMultipleChoice(ElectraPreTrainedModel):
    """ELECTRA scoring ``num_choices`` candidates through :class:`ElectraSequenceSummary`.

    Example:
        >>> config = ElectraConfig(vocab_size=50, embedding_size=8, hidden_size=16, num_hidden_layers=1,
        ...                        num_attention_heads=2)
        >>> ElectraForMultipleChoice(config)(torch.tensor([[[2, 3], [2, 4]]])).logits.shape
        torch.Size([1, 2])
    """

    def __init__(self, config: ElectraConfig) -> None:
        super().__init__(config)
        self.electra = ElectraModel(config)
        self.sequence_summary = ElectraSequenceSummary(config)
        self.classifier = nn.Linear(config.hidden_size, 1)
        self.post_init()

    forward = BertForMultipleChoice.forward

    def _head_logits(self, outputs: ModelOutput) -> Tensor:
        return self.classifier(self.sequence_summary(outputs.last_hidden_state))  # (batch * choices, 1)


__all__ = [
    "ElectraConfig", "ElectraEmbeddings", "ElectraDiscriminatorPredictions", "ElectraGeneratorPredictions",
    "ElectraClassificationHead", "ElectraSequenceSummary", "ElectraForPreTrainingOutput", "ElectraPreTrainedModel",
    "ElectraModel", "ElectraForPreTraining", "ElectraForMaskedLM", "ElectraForCausalLM",
    "ElectraForSequenceClassification", "ElectraForTokenClassification", "ElectraForQuestionAnswering",
    "ElectraForMultipleChoice",
]
