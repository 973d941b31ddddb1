"""Model output containers: dataclasses that also behave like ordered dicts and tuples.

``ModelOutput`` lets the same result be read three ways, as users of the reference do:
``out.logits``, ``out["logits"]`` and ``out[0]``. Only fields that are not ``None`` take
part in the dict/tuple views, so ``out[0]`` is the loss when labels were given and the
logits otherwise, exactly like the reference. Every subclass is registered as a torch
pytree node so ``torch.compile``/``torch.export`` and DDP can flatten it.

Example:
    >>> import torch
    >>> out = MaskedLMOutput(logits=torch.zeros(1, 2, 3))
    >>> out[0] is out.logits is out["logits"]
    True
    >>> list(out.keys())
    ['logits']
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

import torch
import torch.utils._pytree as _pytree

_REGISTERED: set[type] = set()


def _flatten(output: "ModelOutput") -> tuple[list[Any], list[str]]:
    return list(output.values()), list(output.keys())


def _flatten_with_keys(output: "ModelOutput") -> tuple[list[tuple[Any, Any]], list[str]]:
    values, keys = _flatten(output)
    return [(_pytree.MappingKey(k), v) for k, v in zip(keys, values)], keys


def _register_pytree(cls: type) -> None:
    """Register ``cls`` with torch's pytree once (unflatten rebuilds it from its keys)."""
    if cls in _REGISTERED:
        return
    if torch.compiler.is_compiling():  # registration happened in the eager run before
        return

    def unflatten(values: Any, context: list[str]) -> ModelOutput:
        return cls(**dict(zip(context, values)))

    _pytree.register_pytree_node(
        cls,
        _flatten,
        unflatten,
        serialized_type_name=f"{cls.__module__}.{cls.__name__}",
        flatten_with_keys_fn=_flatten_with_keys,
    )
    _REGISTERED.add(cls)


class ModelOutput(OrderedDict):
    """Base of every output class: a dataclass whose non-``None`` fields form an ordered dict.

    Access by attribute, by key (``out["logits"]``) or by position/slice over the
    non-``None`` fields (``out[0]``, ``out[:2]``). ``to_tuple()`` returns those fields in
    declaration order. Assigning a field (attribute or key) keeps both views in sync.
    Subclasses must be decorated with ``@dataclass`` and give every field a ``None``
    default except possibly the first.

    Example:
        >>> from dataclasses import dataclass
        >>> import torch
        >>> @dataclass
        ... class Out(ModelOutput):
        ...     a: torch.Tensor | None = None
        ...     b: torch.Tensor | None = None
        >>> o = Out(b=torch.ones(1))
        >>> o.to_tuple()
        (tensor([1.]),)
        >>> o.a = torch.zeros(1)  # a field set later joins the end, like the reference
        >>> list(o.keys())
        ['b', 'a']
    """

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        _register_pytree(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if type(self) is not ModelOutput and not is_dataclass(self):
            raise TypeError(
                f"{type(self).__module__}.{type(self).__name__} subclasses ModelOutput but is not a "
                "dataclass; decorate it with @dataclass."
            )

    def __post_init__(self) -> None:
        class_fields = fields(self)
        if not class_fields:
            raise ValueError(f"{type(self).__name__} has no fields; declare at least one.")
        if any(f.default is not None for f in class_fields[1:]):
            raise ValueError(f"{type(self).__name__}: every field after the first needs a None default.")

        first = getattr(self, class_fields[0].name)
        others_none = all(getattr(self, f.name) is None for f in class_fields[1:])
        # Like the reference, a dict given as the only argument fills the fields by name.
        if others_none and isinstance(first, dict) and not isinstance(first, ModelOutput):
            object.__setattr__(self, class_fields[0].name, None)
            if class_fields[0].name in self.keys():
                OrderedDict.__delitem__(self, class_fields[0].name)
            for key, value in first.items():
                setattr(self, key, value)
            return
        for f in class_fields:
            value = getattr(self, f.name)
            if value is not None:
                OrderedDict.__setitem__(self, f.name, value)

    # The dict view must only change through field assignment, never shrink or grow freely.
    def __delitem__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError(f"A {type(self).__name__} does not support item deletion; set the field to None instead.")

    def setdefault(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"A {type(self).__name__} does not support setdefault; assign the field instead.")

    def pop(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"A {type(self).__name__} does not support pop; read the field instead.")

    def update(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError(f"A {type(self).__name__} does not support update; assign the fields one by one.")

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return OrderedDict.__getitem__(self, key)
        return self.to_tuple()[key]

    def __setattr__(self, name: str, value: Any) -> None:
        if name in getattr(type(self), "__dataclass_fields__", ()):
            if value is not None:
                OrderedDict.__setitem__(self, name, value)
            elif name in self.keys():
                # Keep the views consistent: a field set back to None leaves the dict/tuple.
                OrderedDict.__delitem__(self, name)
        object.__setattr__(self, name, value)

    def __setitem__(self, key: str, value: Any) -> None:
        OrderedDict.__setitem__(self, key, value)
        object.__setattr__(self, key, value)

    def __reduce__(self) -> Any:
        if not is_dataclass(self):
            return super().__reduce__()
        callable_, _args, *rest = super().__reduce__()
        return (callable_, tuple(getattr(self, f.name) for f in fields(self)), *rest)

    def to_tuple(self) -> tuple[Any, ...]:
        """The non-``None`` fields, in declaration order."""
        return tuple(self[k] for k in self.keys())


# --- base model outputs -------------------------------------------------------------
# Field order matters: it is the tuple order users index into.


@dataclass
class BaseModelOutput(ModelOutput):
    """Encoder output: last hidden state, optional per-layer hidden states and attentions.

    Example:
        >>> import torch
        >>> BaseModelOutput(last_hidden_state=torch.zeros(1, 2, 4))[0].shape
        torch.Size([1, 2, 4])
    """

    last_hidden_state: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


@dataclass
class BaseModelOutputWithNoAttention(ModelOutput):
    """Output of models without attention weights (convolutional backbones).

    Example:
        >>> import torch
        >>> len(BaseModelOutputWithNoAttention(last_hidden_state=torch.zeros(1)))
        1
    """

    last_hidden_state: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None


@dataclass
class BaseModelOutputWithPooling(ModelOutput):
    """Encoder output plus a pooled summary of the sequence (``pooler_output``).

    Example:
        >>> import torch
        >>> BaseModelOutputWithPooling(pooler_output=torch.ones(1)).pooler_output
        tensor([1.])
    """

    last_hidden_state: torch.Tensor | None = None
    pooler_output: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


@dataclass
class BaseModelOutputWithPoolingAndNoAttention(ModelOutput):
    """Pooled output of models without attention weights.

    Example:
        >>> import torch
        >>> BaseModelOutputWithPoolingAndNoAttention(pooler_output=torch.ones(1))[0]
        tensor([1.])
    """

    last_hidden_state: torch.Tensor | None = None
    pooler_output: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None


@dataclass
class BaseModelOutputWithPast(ModelOutput):
    """Decoder output with the key/value cache (``past_key_values``) for fast generation.

    Example:
        >>> import torch
        >>> BaseModelOutputWithPast(last_hidden_state=torch.zeros(1)).past_key_values is None
        True
    """

    last_hidden_state: torch.Tensor | None = None
    past_key_values: Any = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


@dataclass
class BaseModelOutputWithCrossAttentions(ModelOutput):
    """Encoder/decoder output with cross-attention weights.

    Example:
        >>> import torch
        >>> BaseModelOutputWithCrossAttentions(last_hidden_state=torch.zeros(1)).cross_attentions is None
        True
    """

    last_hidden_state: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None
    cross_attentions: tuple[torch.Tensor, ...] | None = None


@dataclass
class BaseModelOutputWithPoolingAndCrossAttentions(ModelOutput):
    """Output of BERT-like bodies: hidden states, pooled output, cache and attentions.

    Note the reference's order: ``hidden_states`` comes before ``past_key_values``.

    Example:
        >>> import torch
        >>> out = BaseModelOutputWithPoolingAndCrossAttentions(
        ...     last_hidden_state=torch.zeros(1, 2, 4), pooler_output=torch.zeros(1, 4))
        >>> len(out.to_tuple())
        2
    """

    last_hidden_state: torch.Tensor | None = None
    pooler_output: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    past_key_values: Any = None
    attentions: tuple[torch.Tensor, ...] | None = None
    cross_attentions: tuple[torch.Tensor, ...] | None = None


@dataclass
class BaseModelOutputWithPastAndCrossAttentions(ModelOutput):
    """Decoder body output with cache, attentions and cross-attentions.

    Example:
        >>> import torch
        >>> BaseModelOutputWithPastAndCrossAttentions(last_hidden_state=torch.ones(1))[0]
        tensor([1.])
    """

    last_hidden_state: torch.Tensor | None = None
    past_key_values: Any = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None
    cross_attentions: tuple[torch.Tensor, ...] | None = None


@dataclass
class Seq2SeqModelOutput(ModelOutput):
    """Encoder-decoder body output (decoder side first, then the encoder's).

    Example:
        >>> import torch
        >>> Seq2SeqModelOutput(last_hidden_state=torch.ones(1)).encoder_last_hidden_state is None
        True
    """

    last_hidden_state: torch.Tensor | None = None
    past_key_values: Any = None
    decoder_hidden_states: tuple[torch.Tensor, ...] | None = None
    decoder_attentions: tuple[torch.Tensor, ...] | None = None
    cross_attentions: tuple[torch.Tensor, ...] | None = None
    encoder_last_hidden_state: torch.Tensor | None = None
    encoder_hidden_states: tuple[torch.Tensor, ...] | None = None
    encoder_attentions: tuple[torch.Tensor, ...] | None = None


# --- head outputs -------------------------------------------------------------------
# Head outputs with the same fields declare them once, in a private base. Each public class
# keeps its own name and docs, and its fields keep the reference's order (base fields first).


@dataclass
class _LogitsOutput(ModelOutput):
    """Fields of a head output: loss (with labels), logits, per-layer hidden states and attentions."""

    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


@dataclass
class _LogitsOutputWithPast(ModelOutput):
    """Fields of a decoder head output: loss, logits, the key/value cache, hidden states, attentions."""

    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    past_key_values: Any = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


@dataclass
class _Seq2SeqLogitsOutput(ModelOutput):
    """Fields of an encoder-decoder head output: loss, logits, then the decoder's and the encoder's states."""

    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    past_key_values: Any = None
    decoder_hidden_states: tuple[torch.Tensor, ...] | None = None
    decoder_attentions: tuple[torch.Tensor, ...] | None = None
    cross_attentions: tuple[torch.Tensor, ...] | None = None
    encoder_last_hidden_state: torch.Tensor | None = None
    encoder_hidden_states: tuple[torch.Tensor, ...] | None = None
    encoder_attentions: tuple[torch.Tensor, ...] | None = None


@dataclass
class CausalLMOutput(_LogitsOutput):
    """Language-model head output: loss (with labels) and next-token logits.

    Example:
        >>> import torch
        >>> CausalLMOutput(logits=torch.zeros(1, 1, 5)).logits.shape
        torch.Size([1, 1, 5])
    """


@dataclass
class CausalLMOutputWithPast(_LogitsOutputWithPast):
    """Causal LM output with the key/value cache.

    Example:
        >>> import torch
        >>> CausalLMOutputWithPast(logits=torch.zeros(1))[0]
        tensor([0.])
    """


@dataclass
class CausalLMOutputWithCrossAttentions(_LogitsOutputWithPast):
    """Causal LM output with cache and cross-attention weights (BERT as a decoder).

    Example:
        >>> import torch
        >>> CausalLMOutputWithCrossAttentions(logits=torch.zeros(1)).cross_attentions is None
        True
    """

    cross_attentions: tuple[torch.Tensor, ...] | None = None


@dataclass
class SequenceClassifierOutputWithPast(_LogitsOutputWithPast):
    """Sequence classification output of decoder models (with cache).

    Example:
        >>> import torch
        >>> SequenceClassifierOutputWithPast(logits=torch.zeros(1, 2)).logits.shape
        torch.Size([1, 2])
    """


@dataclass
class MaskedLMOutput(_LogitsOutput):
    """Masked-LM head output: loss (with labels) and per-token vocabulary logits.

    Example:
        >>> import torch
        >>> MaskedLMOutput(loss=torch.tensor(1.0), logits=torch.zeros(1))[1]
        tensor([0.])
    """


@dataclass
class Seq2SeqLMOutput(_Seq2SeqLogitsOutput):
    """Encoder-decoder LM output.

    Example:
        >>> import torch
        >>> Seq2SeqLMOutput(logits=torch.zeros(1))[0]
        tensor([0.])
    """


@dataclass
class NextSentencePredictorOutput(_LogitsOutput):
    """Next-sentence head output: ``logits`` of shape ``(batch, 2)`` (0 = is next).

    Example:
        >>> import torch
        >>> NextSentencePredictorOutput(logits=torch.zeros(1, 2)).logits.shape
        torch.Size([1, 2])
    """


@dataclass
class SequenceClassifierOutput(_LogitsOutput):
    """Sequence classification/regression output: ``logits`` ``(batch, num_labels)``.

    Example:
        >>> import torch
        >>> SequenceClassifierOutput(logits=torch.zeros(2, 3)).logits.shape
        torch.Size([2, 3])
    """


@dataclass
class Seq2SeqSequenceClassifierOutput(_Seq2SeqLogitsOutput):
    """Sequence classification output of encoder-decoder models.

    Example:
        >>> import torch
        >>> Seq2SeqSequenceClassifierOutput(logits=torch.zeros(1))[0]
        tensor([0.])
    """


@dataclass
class MultipleChoiceModelOutput(_LogitsOutput):
    """Multiple-choice output: ``logits`` ``(batch, num_choices)``.

    Example:
        >>> import torch
        >>> MultipleChoiceModelOutput(logits=torch.zeros(2, 4)).logits.shape
        torch.Size([2, 4])
    """


@dataclass
class TokenClassifierOutput(_LogitsOutput):
    """Token classification output: ``logits`` ``(batch, seq, num_labels)``.

    Example:
        >>> import torch
        >>> TokenClassifierOutput(logits=torch.zeros(1, 3, 2)).logits.shape
        torch.Size([1, 3, 2])
    """


@dataclass
class QuestionAnsweringModelOutput(ModelOutput):
    """Extractive QA output: span ``start_logits`` and ``end_logits`` ``(batch, seq)``.

    Example:
        >>> import torch
        >>> out = QuestionAnsweringModelOutput(start_logits=torch.zeros(1, 3), end_logits=torch.ones(1, 3))
        >>> out[1].sum().item()
        3.0
    """

    loss: torch.Tensor | None = None
    start_logits: torch.Tensor | None = None
    end_logits: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


@dataclass
class Seq2SeqQuestionAnsweringModelOutput(ModelOutput):
    """Extractive QA output of encoder-decoder models.

    Example:
        >>> import torch
        >>> Seq2SeqQuestionAnsweringModelOutput(start_logits=torch.zeros(1))[0]
        tensor([0.])
    """

    loss: torch.Tensor | None = None
    start_logits: torch.Tensor | None = None
    end_logits: torch.Tensor | None = None
    past_key_values: Any = None
    decoder_hidden_states: tuple[torch.Tensor, ...] | None = None
    decoder_attentions: tuple[torch.Tensor, ...] | None = None
    cross_attentions: tuple[torch.Tensor, ...] | None = None
    encoder_last_hidden_state: torch.Tensor | None = None
    encoder_hidden_states: tuple[torch.Tensor, ...] | None = None
    encoder_attentions: tuple[torch.Tensor, ...] | None = None


_register_pytree(ModelOutput)
