"""RoBERTa: BERT with padding-aware position ids, its own LM head and classification head.

The encoder is BERT's, unchanged (:mod:`embrace.models.bert`); what differs is

* positions start at ``pad_token_id + 1`` and padding tokens keep position ``pad_token_id``
  (fairseq's numbering), so the position table has a padding row;
* the masked/causal LM head is ``lm_head`` (dense, gelu, ``layer_norm``, decoder);
* sequence classification reads the first token through ``dense`` + tanh + ``out_proj``
  instead of BERT's pooler.

XLM-RoBERTa and CamemBERT are these classes under other names (see ``xlm_roberta.py`` and
``camembert.py``), built by :func:`build_roberta_variant`.

Example:
    >>> import torch
    >>> from embrace.models.roberta import RobertaConfig, RobertaModel
    >>> config = RobertaConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2,
    ...                        num_attention_heads=4, intermediate_size=37)
    >>> out = RobertaModel(config).eval()(torch.tensor([[0, 5, 7, 2, 1]]))
    >>> out.last_hidden_state.shape
    torch.Size([1, 5, 32])
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar

import torch
from torch import nn

from embrace.modeling.activations import ACT2FN
from embrace.modeling.outputs import ModelOutput, MultipleChoiceModelOutput
from embrace.models.bert import (
    BertConfig,
    BertEmbeddings,
    BertForMaskedLM,
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


class RobertaConfig(BertConfig):
    """Configuration of a RoBERTa model; BERT's fields with roberta-base's defaults and special ids.

    Example:
        >>> config = RobertaConfig()
        >>> config.model_type, config.vocab_size, config.pad_token_id, config.bos_token_id
        ('roberta', 50265, 1, 0)
    """

    model_type = "roberta"

    vocab_size: int = 50265
    pad_token_id: int | None = 1
    bos_token_id: int | None = 0
    eos_token_id: int | list[int] | None = 2


def create_position_ids_from_input_ids(input_ids: Tensor, padding_idx: int, past_key_values_length: int = 0) -> Tensor:
    """Number the non-padding tokens ``padding_idx + 1, ...``; padding tokens get ``padding_idx``.

    Example:
        >>> import torch
        >>> create_position_ids_from_input_ids(torch.tensor([[0, 7, 8, 1, 1]]), padding_idx=1)
        tensor([[2, 3, 4, 1, 1]])
    """
    keep = input_ids.ne(padding_idx).int()
    return ((torch.cumsum(keep, dim=1).type_as(keep) + past_key_values_length) * keep).long() + padding_idx


class RobertaEmbeddings(BertEmbeddings):
    """BERT's embeddings with fairseq position numbering (and a padding row in the position table).

    Without ``input_ids`` (``inputs_embeds`` only) padding cannot be seen, so positions are
    simply ``padding_idx + 1 ...``.

    Example:
        >>> import torch
        >>> config = RobertaConfig(vocab_size=10, hidden_size=8, num_attention_heads=2)
        >>> RobertaEmbeddings(config)(input_ids=torch.tensor([[0, 3, 1]])).shape
        torch.Size([1, 3, 8])
    """

    def __init__(self, config: RobertaConfig) -> None:
        super().__init__(config)
        self.padding_idx = config.pad_token_id
        self.position_embeddings = nn.Embedding(
            config.max_position_embeddings, config.hidden_size, padding_idx=self.padding_idx
        )

    def forward(
        self, input_ids: OptTensor = None, token_type_ids: OptTensor = None, position_ids: OptTensor = None,
        inputs_embeds: OptTensor = None, past_key_values_length: int = 0,
    ) -> Tensor:
        if position_ids is None:
            if input_ids is not None:
                position_ids = create_position_ids_from_input_ids(input_ids, self.padding_idx, past_key_values_length)
            else:
                batch, seq = inputs_embeds.shape[:2]
                first = self.padding_idx + 1
                position_ids = torch.arange(first, first + seq, device=inputs_embeds.device).expand(batch, -1)
        return super().forward(input_ids, token_type_ids, position_ids, inputs_embeds, past_key_values_length)


class RobertaLMHead(nn.Module):
    """``dense -> gelu -> layer_norm -> decoder``; ``decoder.bias`` is tied to ``bias``.

    Example:
        >>> import torch
        >>> config = RobertaConfig(vocab_size=10, hidden_size=8, num_attention_heads=2)
        >>> RobertaLMHead(config)(torch.zeros(1, 2, 8)).shape
        torch.Size([1, 2, 10])
    """

    def __init__(self, config: RobertaConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))

    def forward(self, features: Tensor) -> Tensor:
        # Always the exact (erf) gelu, whatever config.hidden_act says.
        return self.decoder(self.layer_norm(ACT2FN["gelu"](self.dense(features))))  # (batch, seq, vocab)


class RobertaClassificationHead(nn.Module):
    """Sentence classifier on the first (``<s>``) token: dropout, dense, tanh, dropout, ``out_proj``.

    Example:
        >>> import torch
        >>> config = RobertaConfig(hidden_size=8, num_attention_heads=2, num_labels=3)
        >>> RobertaClassificationHead(config)(torch.zeros(2, 5, 8)).shape
        torch.Size([2, 3])
    """

    def __init__(self, config: RobertaConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout = _classifier_dropout(config)
        self.out_proj = nn.Linear(config.hidden_size, config.num_labels)

    def forward(self, features: Tensor) -> Tensor:
        x = self.dropout(features[:, 0, :])  # (batch, hidden)
        x = self.dropout(torch.tanh(self.dense(x)))
        return self.out_proj(x)  # (batch, num_labels)


class RobertaPreTrainedModel(BertPreTrainedModel):
    """Shared base of the RoBERTa models (config class, weight init, the body they build).

    Example:
        >>> config = RobertaConfig(vocab_size=10, hidden_size=8, num_attention_heads=2, num_hidden_layers=1)
        >>> model = RobertaForMaskedLM(config)
        >>> model.lm_head.decoder.weight is model.roberta.embeddings.word_embeddings.weight
        True
    """

    config_class = RobertaConfig
    base_model_prefix = "roberta"
    # The reference builds RoBERTa heads body-first but XLM-R / CamemBERT heads body-last;
    # the order fixes named_parameters() names of tied weights and seeded initial weights.
    _body_first: ClassVar[bool] = True

    @classmethod
    def _body(cls, config: RobertaConfig, add_pooling_layer: bool) -> "RobertaModel":
        """The base model the heads wrap; families that rename RoBERTa return their own class."""
        return RobertaModel(config, add_pooling_layer=add_pooling_layer)

    def _build(self, add_pooling_layer: bool, **head: Callable[[], nn.Module]) -> None:
        """Create and register ``self.roberta`` and the head modules (factories) in the family's order."""
        parts = list(head.items())
        body = ("roberta", lambda: self._body(self.config, add_pooling_layer))
        for name, make in [body, *parts] if self._body_first else [*parts, body]:
            setattr(self, name, make())

    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, RobertaLMHead):
            module.bias.zero_()


class RobertaModel(RobertaPreTrainedModel, BertModel):
    """The RoBERTa body: :class:`RobertaEmbeddings`, BERT's encoder and (optionally) its pooler.

    Takes the same arguments as :class:`~embrace.models.bert.BertModel`.

    Example:
        >>> import torch
        >>> config = RobertaConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2)
        >>> RobertaModel(config)(torch.tensor([[0, 3, 4, 2]])).pooler_output.shape
        torch.Size([1, 16])
    """

    _no_split_modules = ["RobertaEmbeddings", "BertLayer"]

    def __init__(self, config: RobertaConfig, add_pooling_layer: bool = True) -> None:
        super().__init__(config, add_pooling_layer=add_pooling_layer)
        self.embeddings = RobertaEmbeddings(config)
        self.post_init()  # initialises only the replaced embeddings


class _RobertaLMHeadMixin:
    """Tying and output-embedding accessors of the heads that own ``lm_head``."""

    _tied_weights_keys = {
        "lm_head.decoder.weight": "roberta.embeddings.word_embeddings.weight",
        "lm_head.decoder.bias": "lm_head.bias",
    }

    def get_output_embeddings(self) -> nn.Linear:
        return self.lm_head.decoder

    def set_output_embeddings(self, new_embeddings: nn.Linear) -> None:
        self.lm_head.decoder = new_embeddings

    def _lm_logits(self, hidden_states: Tensor) -> Tensor:
        return self.lm_head(hidden_states)  # (batch, seq, vocab)


# The heads' forwards are BERT's: they take the same inputs and call the body through
# ``base_model`` (``self.roberta``) and the head through the modules or hooks named alike.


class RobertaForCausalLM(_RobertaLMHeadMixin, RobertaPreTrainedModel):
    """RoBERTa as a left-to-right LM (``config.is_decoder=True``); shifted next-token loss.

    Example:
        >>> import torch
        >>> config = RobertaConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1,
        ...                        num_attention_heads=2, is_decoder=True)
        >>> out = RobertaForCausalLM(config)(torch.tensor([[0, 3, 4]]), labels=torch.tensor([[0, 3, 4]]))
        >>> out.logits.shape, out.loss.ndim
        (torch.Size([1, 3, 50]), 0)
    """

    def __init__(self, config: RobertaConfig) -> None:
        super().__init__(config)
        if not config.is_decoder:
            logger.warning(f"{type(self).__name__} is meant to be a decoder: set is_decoder=True in its config.")
        self._build(False, lm_head=lambda: RobertaLMHead(config))
        self.post_init()

    @classmethod
    def can_generate(cls) -> bool:
        return True

    forward = BertLMHeadModel.forward


class RobertaForMaskedLM(_RobertaLMHeadMixin, RobertaPreTrainedModel):
    """RoBERTa with the masked-LM head; ``labels`` of ``-100`` are ignored.

    Example:
        >>> import torch
        >>> config = RobertaConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2)
        >>> RobertaForMaskedLM(config)(torch.tensor([[0, 3, 4, 2]])).logits.shape
        torch.Size([1, 4, 50])
    """

    def __init__(self, config: RobertaConfig) -> None:
        super().__init__(config)
        if config.is_decoder:
            logger.warning(f"{type(self).__name__} needs bidirectional attention: set is_decoder=False.")
        self._build(False, lm_head=lambda: RobertaLMHead(config))
        self.post_init()

    forward = BertForMaskedLM.forward


class RobertaForSequenceClassification(RobertaPreTrainedModel):
    """RoBERTa with :class:`RobertaClassificationHead`; the loss follows ``config.problem_type``.

    Example:
        >>> import torch
        >>> config = RobertaConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1,
        ...                        num_attention_heads=2, num_labels=3)
        >>> RobertaForSequenceClassification(config)(torch.tensor([[0, 3, 4, 2]])).logits.shape
        torch.Size([1, 3])
    """

    def __init__(self, config: RobertaConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self._build(False, classifier=lambda: RobertaClassificationHead(config))
        self.post_init()

    forward = BertForSequenceClassification.forward

    def _head_logits(self, outputs: ModelOutput) -> Tensor:
        return self.classifier(outputs.last_hidden_state)  # the head reads the first token itself


class RobertaForMultipleChoice(RobertaPreTrainedModel):
    """RoBERTa scoring ``num_choices`` candidates (inputs ``(batch, num_choices, seq)``) from the pooler.

    Example:
        >>> import torch
        >>> config = RobertaConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2)
        >>> RobertaForMultipleChoice(config)(torch.tensor([[[0, 3, 2], [0, 5, 2]]])).logits.shape
        torch.Size([1, 2])
    """

    def __init__(self, config: RobertaConfig) -> None:
        super().__init__(config)
        self._build(
            True, dropout=lambda: nn.Dropout(config.hidden_dropout_prob),
            classifier=lambda: nn.Linear(config.hidden_size, 1),
        )
        self.post_init()

    def forward(
        self, input_ids: OptTensor = None, token_type_ids: OptTensor = None, attention_mask: OptTensor = None,
        labels: OptTensor = None, position_ids: OptTensor = None, head_mask: OptTensor = None,
        inputs_embeds: OptTensor = None, output_attentions: bool | None = None,
        output_hidden_states: HiddenSelection = None, return_dict: bool | None = None,
    ) -> MultipleChoiceModelOutput | tuple:
        # BERT's forward (same modules); only the reference's argument order differs.
        return BertForMultipleChoice.forward(
            self, input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
            position_ids=position_ids, head_mask=head_mask, inputs_embeds=inputs_embeds, labels=labels,
            output_attentions=output_attentions, output_hidden_states=output_hidden_states, return_dict=return_dict,
        )

    _head_logits = BertForMultipleChoice._head_logits


class RobertaForTokenClassification(RobertaPreTrainedModel):
    """RoBERTa with a per-token linear classifier.

    Example:
        >>> import torch
        >>> config = RobertaConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1,
        ...                        num_attention_heads=2, num_labels=5)
        >>> RobertaForTokenClassification(config)(torch.tensor([[0, 3, 4, 2]])).logits.shape
        torch.Size([1, 4, 5])
    """

    def __init__(self, config: RobertaConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self._build(
            False, dropout=lambda: _classifier_dropout(config),
            classifier=lambda: nn.Linear(config.hidden_size, config.num_labels),
        )
        self.post_init()

    forward = BertForTokenClassification.forward


class RobertaForQuestionAnswering(RobertaPreTrainedModel):
    """RoBERTa predicting answer-span start and end logits.

    Example:
        >>> import torch
        >>> config = RobertaConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2)
        >>> RobertaForQuestionAnswering(config)(torch.tensor([[0, 3, 4, 2]])).end_logits.shape
        torch.Size([1, 4])
    """

    def __init__(self, config: RobertaConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self._build(False, qa_outputs=lambda: nn.Linear(config.hidden_size, config.num_labels))
        self.post_init()

    forward = BertForQuestionAnswering.forward


# The head roles a RoBERTa rename provides, each with the RoBERTa class it specialises.
_VARIANT_HEADS: dict[str, type[RobertaPreTrainedModel]] = {
    "ForCausalLM": RobertaForCausalLM,
    "ForMaskedLM": RobertaForMaskedLM,
    "ForSequenceClassification": RobertaForSequenceClassification,
    "ForMultipleChoice": RobertaForMultipleChoice,
    "ForTokenClassification": RobertaForTokenClassification,
    "ForQuestionAnswering": RobertaForQuestionAnswering,
}


def build_roberta_variant(config_class: type[RobertaConfig], prefix: str, display_name: str) -> dict[str, type]:
    """The model classes of a family that is RoBERTa under another name (XLM-RoBERTa, CamemBERT).

    Returns ``{f"{prefix}PreTrainedModel": ..., f"{prefix}Model": ..., f"{prefix}ForMaskedLM": ...}``:
    each class is the RoBERTa class of the same role bound to ``config_class``, lives in
    ``config_class``'s module, and builds its body after its head modules, as the
    reference does for these families (that order fixes tied-weight names and seeded init).

    Example:
        >>> class TinyConfig(RobertaConfig):
        ...     model_type = "tiny-roberta"
        >>> classes = build_roberta_variant(TinyConfig, "Tiny", "Tiny")
        >>> sorted(classes)[:2], classes["TinyModel"].config_class is TinyConfig
        (['TinyForCausalLM', 'TinyForMaskedLM'], True)
    """
    module = config_class.__module__

    def make(role: str, bases: tuple[type, ...], doc: str, **attrs: Any) -> type:
        name = prefix + role
        return type(name, bases, {"__module__": module, "__qualname__": name, "__doc__": doc, **attrs})

    base = make(
        "PreTrainedModel", (RobertaPreTrainedModel,),
        f"Shared base of the {display_name} models: its config class and its body class.",
        _body_first=False, config_class=config_class,
    )
    body = make("Model", (base, RobertaModel), f"The {display_name} body; see :class:`RobertaModel`.")
    base._body = classmethod(lambda cls, config, add_pooling_layer: body(config, add_pooling_layer=add_pooling_layer))
    classes = {base.__name__: base, body.__name__: body}
    for role, roberta_head in _VARIANT_HEADS.items():
        head = make(role, (base, roberta_head), f"{display_name} {role}; see :class:`{roberta_head.__name__}`.")
        classes[head.__name__] = head
    return classes


__all__ = [
    "RobertaConfig", "RobertaEmbeddings", "RobertaLMHead", "RobertaClassificationHead", "RobertaPreTrainedModel",
    "RobertaModel", "RobertaForCausalLM", "RobertaForMaskedLM", "RobertaForSequenceClassification",
    "RobertaForMultipleChoice", "RobertaForTokenClassification", "RobertaForQuestionAnswering",
    "create_position_ids_from_input_ids", "build_roberta_variant",
]
