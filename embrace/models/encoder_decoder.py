"""EncoderDecoderModel: any encoder (``AutoModel``) joined to any decoder with cross-attention (``AutoModelForCausalLM``).

The classic uses are BERT2BERT (a ``BertLMHeadModel`` decoder with ``is_decoder=True`` and
``add_cross_attention=True``) and BERT2GPT2 (a ``GPT2LMHeadModel`` with
``add_cross_attention=True``), warm-started with :meth:`EncoderDecoderModel.
from_encoder_decoder_pretrained`. The cross-attention weights are new and initialised;
when the two hidden sizes differ an ``enc_to_dec_proj`` linear layer maps the encoder
output to the decoder's size.

``config.json`` holds the two sub-configs under ``encoder`` and ``decoder`` (each a full
config with its own ``model_type``), plus ``decoder_start_token_id`` and ``pad_token_id``,
which ``labels`` need: the decoder inputs are the labels shifted right, and the loss is
computed here (plain cross-entropy, ``-100`` ignored), not in the decoder.

Example:
    >>> import torch
    >>> from embrace.models.bert import BertConfig
    >>> small = dict(vocab_size=30, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32)
    >>> config = EncoderDecoderConfig.from_encoder_decoder_configs(BertConfig(**small), BertConfig(**small),
    ...                                                            decoder_start_token_id=2, pad_token_id=0)
    >>> model = EncoderDecoderModel(config=config).eval()
    >>> out = model(torch.tensor([[5, 6, 7]]), labels=torch.tensor([[8, 9]]))
    >>> out.logits.shape, out.loss.ndim
    (torch.Size([1, 2, 30]), 0)
"""

from __future__ import annotations

import inspect
from typing import Any, Union

import torch
from torch import nn

from embrace.configuration import PretrainedConfig
from embrace.errors import ConfigError
from embrace.generation.utils import GenerationMixin
from embrace.modeling.modeling_utils import PreTrainedModel
from embrace.modeling.outputs import Seq2SeqLMOutput
from embrace.modeling.seq2seq import as_encoder_output, seq2seq_fields, shift_tokens_right
from embrace.utils.logging import get_logger

logger = get_logger(__name__)

Tensor = torch.Tensor
OptTensor = Union[torch.Tensor, None]


def _sub_config(value: Any, role: str, defaults: dict[str, Any]) -> PretrainedConfig:
    """A sub-config from a config, a ``config.json``-style dict (with ``model_type``) or ``None`` (BERT)."""
    from embrace.auto import AutoConfig

    if isinstance(value, PretrainedConfig):
        return value
    if value is None:
        return AutoConfig.for_model("bert", **defaults)
    if not isinstance(value, dict):
        raise ConfigError(f"EncoderDecoderConfig.{role} must be a config or a dict, got {type(value).__name__}.")
    fields = dict(value)
    model_type = fields.pop("model_type", None)
    if model_type is None:
        raise ConfigError(
            f"EncoderDecoderConfig.{role} has no 'model_type', so its family is unknown; add e.g. "
            f"\"model_type\": \"bert\" to the {role!r} entry of config.json."
        )
    fields.pop("transformers_version", None)
    return AutoConfig.for_model(model_type, **fields)


class EncoderDecoderConfig(PretrainedConfig):
    """Configuration of an :class:`EncoderDecoderModel`: an ``encoder`` and a ``decoder`` sub-config.

    Missing sub-configs default to BERT (the decoder one with ``is_decoder=True`` and
    ``add_cross_attention=True``), as in the reference.

    Example:
        >>> from embrace.models.bert import BertConfig
        >>> config = EncoderDecoderConfig.from_encoder_decoder_configs(BertConfig(), BertConfig())
        >>> config.decoder.is_decoder, config.decoder.add_cross_attention, config.is_encoder_decoder
        (True, True, True)
    """

    model_type = "encoder-decoder"

    encoder: PretrainedConfig | dict | None = None
    decoder: PretrainedConfig | dict | None = None
    pad_token_id: int | None = None
    decoder_start_token_id: int | None = None
    is_encoder_decoder: bool | None = True

    def __post_init__(self, **kwargs: Any) -> None:
        self.encoder = _sub_config(self.encoder, "encoder", {})
        self.decoder = _sub_config(self.decoder, "decoder", {"is_decoder": True, "add_cross_attention": True})
        super().__post_init__(**kwargs)

    @classmethod
    def from_encoder_decoder_configs(
        cls, encoder_config: PretrainedConfig, decoder_config: PretrainedConfig, **kwargs: Any
    ) -> "EncoderDecoderConfig":
        """Join two configs; the decoder one is switched to ``is_decoder`` with cross-attention."""
        decoder_config.is_decoder = True
        decoder_config.add_cross_attention = True
        return cls(encoder=encoder_config.to_dict(), decoder=decoder_config.to_dict(), **kwargs)


class EncoderDecoderModel(PreTrainedModel, GenerationMixin):
    """An encoder and a cross-attending decoder, built from a config or from two models.

    Args:
        config: an :class:`EncoderDecoderConfig`; built from the two models' configs if omitted.
        encoder: a base model without LM head (default: ``AutoModel.from_config(config.encoder)``).
        decoder: a causal LM whose ``forward`` takes ``encoder_hidden_states``
            (default: ``AutoModelForCausalLM.from_config(config.decoder)``).

    The two models share their config objects with ``config.encoder`` / ``config.decoder``.

    Example:
        >>> from embrace.models.bert import BertConfig, BertModel, BertLMHeadModel
        >>> small = dict(vocab_size=30, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        ...              intermediate_size=32)
        >>> decoder = BertLMHeadModel(BertConfig(**small, is_decoder=True, add_cross_attention=True))
        >>> model = EncoderDecoderModel(encoder=BertModel(BertConfig(**small)), decoder=decoder)
        >>> model.config.decoder is model.decoder.config
        True
    """

    config_class = EncoderDecoderConfig
    base_model_prefix = "encoder_decoder"
    main_input_name = "input_ids"
    _supports_sdpa = True

    def __init__(
        self, config: EncoderDecoderConfig | None = None, encoder: PreTrainedModel | None = None,
        decoder: PreTrainedModel | None = None,
    ) -> None:
        from embrace.auto import AutoModel, AutoModelForCausalLM

        if config is None and (encoder is None or decoder is None):
            raise ValueError("EncoderDecoderModel needs either a config, or both an encoder and a decoder model.")
        if config is None:
            config = EncoderDecoderConfig.from_encoder_decoder_configs(encoder.config, decoder.config)
        elif not isinstance(config, EncoderDecoderConfig):
            raise ConfigError(
                f"EncoderDecoderModel needs an EncoderDecoderConfig, got {type(config).__name__}; build one with "
                "EncoderDecoderConfig.from_encoder_decoder_configs(encoder_config, decoder_config)."
            )
        cross_size = getattr(config.decoder, "cross_attention_hidden_size", None)
        if cross_size is not None and cross_size != config.encoder.hidden_size:
            raise ConfigError(
                f"config.decoder.cross_attention_hidden_size ({cross_size}) must equal the encoder's hidden_size "
                f"({config.encoder.hidden_size}), or be left unset."
            )
        super().__init__(config)
        encoder = AutoModel.from_config(config.encoder) if encoder is None else encoder
        decoder = AutoModelForCausalLM.from_config(config.decoder) if decoder is None else decoder
        self.encoder = encoder
        self.decoder = decoder
        for role, model in (("encoder", encoder), ("decoder", decoder)):
            if model.config.to_dict() != getattr(config, role).to_dict():
                logger.warning("The config of the %s (%s) is replaced by config.%s.", role, type(model).__name__, role)
        # One config object per part, so edits to model.config.decoder reach the decoder.
        config.encoder._attn_implementation = encoder.config._attn_implementation
        config.decoder._attn_implementation = decoder.config._attn_implementation
        self.encoder.config = config.encoder
        self.decoder.config = config.decoder
        if self._needs_projection():
            self.enc_to_dec_proj = nn.Linear(config.encoder.hidden_size, config.decoder.hidden_size)
        if self.encoder.get_output_embeddings() is not None:
            raise ValueError(
                f"The encoder {type(self.encoder).__name__} has an LM head; use its base model class (AutoModel) "
                "as the encoder."
            )
        if "encoder_hidden_states" not in inspect.signature(self.decoder.forward).parameters:
            raise ValueError(
                f"The decoder {type(self.decoder).__name__} cannot attend to an encoder (its forward takes no "
                "encoder_hidden_states); pick a causal LM class with cross-attention support."
            )
        # The parts are finished models (built or loaded): post_init must only initialise
        # what this class adds (enc_to_dec_proj), never overwrite loaded weights.
        for part in (self.encoder, self.decoder):
            for module in part.modules():
                module.__dict__["_embrace_initialized"] = True
        self.post_init()

    def _needs_projection(self) -> bool:
        encoder, decoder = self.config.encoder, self.config.decoder
        return encoder.hidden_size != decoder.hidden_size and getattr(decoder, "cross_attention_hidden_size", None) is None

    @classmethod
    def can_generate(cls) -> bool:
        return True

    def get_encoder(self) -> PreTrainedModel:
        return self.encoder

    def get_decoder(self) -> PreTrainedModel:
        return self.decoder

    def get_input_embeddings(self) -> nn.Module:
        return self.encoder.get_input_embeddings()

    def get_output_embeddings(self) -> nn.Module | None:
        return self.decoder.get_output_embeddings()

    def set_output_embeddings(self, new_embeddings: nn.Module) -> None:
        self.decoder.set_output_embeddings(new_embeddings)

    def resize_token_embeddings(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            "Resize the embeddings of the parts instead: model.encoder.resize_token_embeddings(...) or "
            "model.decoder.resize_token_embeddings(...)."
        )

    @classmethod
    def from_encoder_decoder_pretrained(
        cls, encoder_pretrained_model_name_or_path: str | None = None,
        decoder_pretrained_model_name_or_path: str | None = None, *model_args: Any, **kwargs: Any,
    ) -> "EncoderDecoderModel":
        """Warm-start from two checkpoints; the decoder gains (newly initialised) cross-attention.

        Keyword arguments prefixed ``encoder_`` / ``decoder_`` go to that part's
        ``from_pretrained`` (``decoder_model=`` / ``encoder_model=`` pass a ready model,
        ``decoder_config=`` a config); the others set fields of the joint config
        (``pad_token_id=``). As in the reference, ``decoder_start_token_id=`` counts as a
        decoder option too: set ``model.config.decoder_start_token_id`` afterwards.

        Example:
            >>> import tempfile
            >>> from embrace.models.bert import BertConfig, BertModel
            >>> folder = tempfile.mkdtemp()
            >>> BertModel(BertConfig(vocab_size=30, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
            ...                      intermediate_size=32)).save_pretrained(folder)
            >>> model = EncoderDecoderModel.from_encoder_decoder_pretrained(folder, folder, pad_token_id=0)
            >>> type(model.decoder).__name__, model.config.pad_token_id
            ('BertLMHeadModel', 0)
        """
        from embrace.auto import AutoConfig, AutoModel, AutoModelForCausalLM

        parts: dict[str, dict[str, Any]] = {"encoder": {}, "decoder": {}}
        for key in list(kwargs):
            for role in parts:
                if key.startswith(f"{role}_"):
                    parts[role][key[len(role) + 1:]] = kwargs.pop(key)
        encoder_kwargs, decoder_kwargs = parts["encoder"], parts["decoder"]

        encoder = encoder_kwargs.pop("model", None)
        if encoder is None:
            if encoder_pretrained_model_name_or_path is None:
                raise ValueError("Pass encoder_pretrained_model_name_or_path (or a ready model as encoder_model=).")
            if "config" not in encoder_kwargs:
                encoder_config, encoder_kwargs = AutoConfig.from_pretrained(
                    encoder_pretrained_model_name_or_path, **encoder_kwargs, return_unused_kwargs=True
                )
                if getattr(encoder_config, "is_decoder", False) or getattr(encoder_config, "add_cross_attention", False):
                    logger.info("Using %s as an encoder: causal masking and cross-attention are turned off.",
                                encoder_pretrained_model_name_or_path)
                    encoder_config.is_decoder = False
                    encoder_config.add_cross_attention = False
                encoder_kwargs["config"] = encoder_config
            encoder = AutoModel.from_pretrained(encoder_pretrained_model_name_or_path, *model_args, **encoder_kwargs)

        decoder = decoder_kwargs.pop("model", None)
        if decoder is None:
            if decoder_pretrained_model_name_or_path is None:
                raise ValueError("Pass decoder_pretrained_model_name_or_path (or a ready model as decoder_model=).")
            if "config" not in decoder_kwargs:
                decoder_config, decoder_kwargs = AutoConfig.from_pretrained(
                    decoder_pretrained_model_name_or_path, **decoder_kwargs, return_unused_kwargs=True
                )
            else:
                decoder_config = decoder_kwargs["config"]
            if getattr(decoder_config, "is_decoder", None) is False or getattr(
                decoder_config, "add_cross_attention", None
            ) is False:
                logger.info("Using %s as a decoder: cross-attention layers are added and initialised.",
                            decoder_pretrained_model_name_or_path)
                decoder_config.is_decoder = True
                decoder_config.add_cross_attention = True
            decoder_kwargs["config"] = decoder_config
            decoder = AutoModelForCausalLM.from_pretrained(decoder_pretrained_model_name_or_path, **decoder_kwargs)

        config = EncoderDecoderConfig.from_encoder_decoder_configs(encoder.config, decoder.config, **kwargs)
        return cls(encoder=encoder, decoder=decoder, config=config)

    def forward(
        self,
        input_ids: OptTensor = None,
        attention_mask: OptTensor = None,
        decoder_input_ids: OptTensor = None,
        decoder_attention_mask: OptTensor = None,
        encoder_outputs: Any = None,
        past_key_values: Any = None,
        inputs_embeds: OptTensor = None,
        decoder_inputs_embeds: OptTensor = None,
        labels: OptTensor = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> Seq2SeqLMOutput | tuple:
        """Encode, decode with cross-attention, and (with ``labels``) compute the loss.

        Extra keyword arguments go to the encoder, or, prefixed ``decoder_``, to the
        decoder (``token_type_ids=``, ``decoder_position_ids=``); a name neither accepts
        raises ``TypeError``.
        """
        shared = {
            name: value for name, value in
            (("output_attentions", output_attentions), ("output_hidden_states", output_hidden_states))
            if value is not None
        }
        decoder_kwargs = {key[len("decoder_"):]: value for key, value in kwargs.items() if key.startswith("decoder_")}
        encoder_kwargs = {key: value for key, value in kwargs.items() if not key.startswith("decoder_")}

        if encoder_outputs is None:
            encoder_outputs = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, inputs_embeds=inputs_embeds, return_dict=True,
                **encoder_kwargs, **shared,
            )
        else:
            encoder_outputs = as_encoder_output(encoder_outputs)
        encoder_hidden_states = encoder_outputs[0]  # (batch, source_len, encoder hidden)
        if self._needs_projection():
            encoder_hidden_states = self.enc_to_dec_proj(encoder_hidden_states)  # (batch, source_len, decoder hidden)

        if labels is not None and decoder_input_ids is None and decoder_inputs_embeds is None:
            decoder_input_ids = shift_tokens_right(labels, self.config.pad_token_id, self.config.decoder_start_token_id)
            if decoder_attention_mask is None:
                decoder_attention_mask = (decoder_input_ids != self.config.pad_token_id).to(decoder_input_ids.dtype)

        decoder_outputs = self.decoder(
            input_ids=decoder_input_ids, attention_mask=decoder_attention_mask,
            encoder_hidden_states=encoder_hidden_states, encoder_attention_mask=attention_mask,
            inputs_embeds=decoder_inputs_embeds, use_cache=use_cache, past_key_values=past_key_values,
            return_dict=True, **decoder_kwargs, **shared,
        )
        logits = decoder_outputs.logits  # (batch, target_len, vocab)
        loss = None
        if labels is not None:
            # Computed here, unshifted: the decoder inputs are already the shifted labels.
            loss = nn.functional.cross_entropy(logits.reshape(-1, self.decoder.config.vocab_size), labels.view(-1))
        output = Seq2SeqLMOutput(loss=loss, logits=logits, **seq2seq_fields(encoder_outputs, decoder_outputs))
        return self._finish(output, return_dict)

    def prepare_decoder_input_ids_from_labels(self, labels: Tensor) -> Tensor:
        """``labels`` shifted right with ``decoder_start_token_id`` (used by data collators)."""
        return shift_tokens_right(labels, self.config.pad_token_id, self.config.decoder_start_token_id)


__all__ = ["EncoderDecoderConfig", "EncoderDecoderModel", "shift_tokens_right"]
