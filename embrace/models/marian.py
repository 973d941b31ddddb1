"""Marian (opus-mt): BART blocks with sinusoidal positions and optionally separate target embeddings.

Only the differences from :mod:`embrace.models.bart` live here: the config
(``decoder_vocab_size``, ``share_encoder_decoder_embeddings``), sinusoidal positions (fixed,
not saved), no embedding LayerNorm, token embeddings scaled outside the embedding module,
and the encoder/decoder embeddings that are either one shared matrix or two.

Example:
    >>> import torch
    >>> from embrace.models.marian import MarianConfig, MarianMTModel
    >>> config = MarianConfig(vocab_size=40, d_model=16, encoder_layers=1, decoder_layers=1,
    ...                       encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32,
    ...                       decoder_ffn_dim=32, max_position_embeddings=32, pad_token_id=39,
    ...                       decoder_start_token_id=39)
    >>> model = MarianMTModel(config).eval()
    >>> model(torch.tensor([[5, 6, 0]]), labels=torch.tensor([[7, 8, 0]])).logits.shape
    torch.Size([1, 3, 40])
"""

from __future__ import annotations

from typing import Any, ClassVar

from embrace.models.bart import (
    BartDecoder,
    BartDecoderWrapper,
    BartEncoder,
    BartForCausalLM,
    BartForConditionalGeneration,
    BartModel,
    BartPreTrainedModel,
    Seq2SeqConfigMixin,
)


class MarianConfig(Seq2SeqConfigMixin):
    """Configuration of a Marian model (the fields of its ``config.json``).

    ``decoder_vocab_size`` defaults to ``vocab_size``; with
    ``share_encoder_decoder_embeddings=False`` the decoder has its own embedding matrix.

    Example:
        >>> config = MarianConfig(vocab_size=100)
        >>> config.decoder_vocab_size, config.share_encoder_decoder_embeddings
        (100, True)
    """

    model_type = "marian"

    vocab_size = 58101
    decoder_vocab_size: int | None = None
    decoder_start_token_id = 58100
    pad_token_id = 58100
    eos_token_id = 0
    bos_token_id: int | None = None
    forced_eos_token_id = 0
    share_encoder_decoder_embeddings: bool = True

    def __post_init__(self, **kwargs: Any) -> None:
        self.decoder_vocab_size = self.decoder_vocab_size or self.vocab_size
        super().__post_init__(**kwargs)


_POSITIONS = [r"model\.encoder\.embed_positions\.weight", r"model\.decoder\.embed_positions\.weight"]


class MarianPreTrainedModel(BartPreTrainedModel):
    """Shared base of the Marian models (sinusoidal tables are rebuilt at init)."""

    config_class = MarianConfig
    _no_split_modules = ["BartEncoderLayer", "BartDecoderLayer"]


class MarianEncoder(MarianPreTrainedModel, BartEncoder):
    """BART encoder with sinusoidal positions, no embedding LayerNorm, scaling outside the embedding."""

    has_layernorm_embedding = False
    sinusoidal_positions = True
    scale_outside_embedding = True


class MarianDecoder(MarianPreTrainedModel, BartDecoder):
    """BART decoder with sinusoidal positions over a ``decoder_vocab_size`` vocabulary."""

    has_layernorm_embedding = False
    sinusoidal_positions = True
    scale_outside_embedding = True

    @staticmethod
    def _vocab_size(config: MarianConfig) -> int:  # type: ignore[override]
        return config.decoder_vocab_size


class MarianModel(MarianPreTrainedModel, BartModel):
    """The bare Marian encoder-decoder; the decoder needs ``decoder_input_ids`` (no implicit shift)."""

    _keys_to_ignore_on_load_missing = [r"encoder\.embed_positions\.weight", r"decoder\.embed_positions\.weight"]
    encoder_class: ClassVar[type[BartEncoder]] = MarianEncoder
    decoder_class: ClassVar[type[BartDecoder]] = MarianDecoder
    shifts_input_ids = False

    @staticmethod
    def _shares_embeddings(config: MarianConfig) -> bool:  # type: ignore[override]
        return bool(config.share_encoder_decoder_embeddings)

    def _own_tied_keys(self) -> dict[str, str]:
        return super()._own_tied_keys() if self._shares_embeddings(self.config) else {}


class MarianMTModel(MarianPreTrainedModel, BartForConditionalGeneration):
    """Marian with the language-model head over the target vocabulary (tied to the decoder embeddings).

    The sinusoidal tables are not written by ``save_pretrained`` and are rebuilt when loading.
    """

    _keys_to_ignore_on_load_missing = [r"final_logits_bias", *_POSITIONS]
    _keys_to_ignore_on_save = ["model.encoder.embed_positions.weight", "model.decoder.embed_positions.weight"]
    base_model_class: ClassVar[type[BartModel]] = MarianModel

    @staticmethod
    def _output_vocab_size(config: MarianConfig) -> int:  # type: ignore[override]
        return config.vocab_size if config.share_encoder_decoder_embeddings else config.decoder_vocab_size

    def _own_tied_keys(self) -> dict[str, str]:
        if not getattr(self.config, "tie_word_embeddings", False):
            return {}
        shared = self.config.share_encoder_decoder_embeddings
        return {"lm_head.weight": "model.shared.weight" if shared else "model.decoder.embed_tokens.weight"}


class MarianDecoderWrapper(MarianPreTrainedModel, BartDecoderWrapper):
    """Holds the Marian decoder under ``model.decoder``."""

    decoder_class: ClassVar[type[BartDecoder]] = MarianDecoder


class MarianForCausalLM(MarianPreTrainedModel, BartForCausalLM):
    """The Marian decoder alone as a language model."""

    wrapper_class: ClassVar[type[BartDecoderWrapper]] = MarianDecoderWrapper


__all__ = [
    "MarianConfig", "MarianPreTrainedModel", "MarianEncoder", "MarianDecoder", "MarianModel", "MarianMTModel",
    "MarianDecoderWrapper", "MarianForCausalLM",
]
