"""Tokenizer classes of the multilingual and summarization seq2seq models: mBART, mBART-50, Pegasus.

All three read a SentencePiece Unigram model and lay its pieces out with fixed ids in front:

* mBART / mBART-50 (``sentencepiece.bpe.model``): fairseq's ``<s> <pad> </s> <unk>`` at
  0-3, the model's pieces shifted by one, the language codes (``en_XX``, ``ro_RO``...),
  then ``<mask>``. The language code frames every sequence: mBART ``A </s> en_XX``,
  mBART-50 ``en_XX A </s>``. ``src_lang`` frames inputs, ``tgt_lang`` frames
  ``text_target``; setting ``src_lang`` switches the layout.
* Pegasus (``spiece.model``): ``<pad> </s> <mask_1> <mask_2>``, the reserved
  ``<unk_2>`` ... ``<unk_102>``, then the model's pieces from its ``<unk>`` on (shifted by
  ``offset`` = 103); sequences end with ``</s>``.

Example:
    >>> MBartTokenizer.language_codes[:3], len(MBart50Tokenizer.language_codes)
    (['ar_AR', 'cs_CZ', 'de_DE'], 52)
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

from ..errors import TokenizerError, unknown_key
from ..tokenizers import AddedToken, Tokenizer
from . import converters
from .presets import _SentencePiece, _template

_MBART_CODES = ["ar_AR", "cs_CZ", "de_DE", "en_XX", "es_XX", "et_EE", "fi_FI", "fr_XX", "gu_IN", "hi_IN", "it_IT",
                "ja_XX", "kk_KZ", "ko_KR", "lt_LT", "lv_LV", "my_MM", "ne_NP", "nl_XX", "ro_RO", "ru_RU", "si_LK",
                "tr_TR", "vi_VN", "zh_CN"]
_MBART50_EXTRA_CODES = ["af_ZA", "az_AZ", "bn_IN", "fa_IR", "he_IL", "hr_HR", "id_ID", "ka_GE", "km_KH", "mk_MK",
                        "ml_IN", "mn_MN", "mr_IN", "pl_PL", "ps_AF", "pt_XX", "sv_SE", "sw_KE", "ta_IN", "te_IN",
                        "th_TH", "tl_XX", "uk_UA", "ur_PK", "xh_ZA", "gl_ES", "sl_SI"]


class MBartTokenizer(_SentencePiece):
    """mBART: fairseq ids over SentencePiece, sequences framed as ``A </s> src_lang``.

    ``text_target`` is framed with ``tgt_lang`` instead (``src_lang`` when unset).
    """

    vocab_files_names = {"vocab_file": "sentencepiece.bpe.model"}
    language_codes: list[str] = _MBART_CODES
    _defaults = dict(bos_token="<s>", eos_token="</s>", sep_token="</s>", cls_token="<s>", unk_token="<unk>",
                     pad_token="<pad>", mask_token=AddedToken("<mask>", lstrip=True, special=True, normalized=False),
                     src_lang=None, tgt_lang=None)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tgt_lang = self.init_kwargs.get("tgt_lang")
        self.src_lang = self.init_kwargs.get("src_lang") or "en_XX"

    def _build_backend(self, kwargs: dict[str, Any]) -> Tokenizer:
        model_file = converters.require_file(kwargs, "vocab_file", type(self).__name__, "sentencepiece.bpe.model")
        tokenizer, _ = converters.fairseq_sentencepiece(model_file, mask_token=str(kwargs["mask_token"]),
                                                        extra_tokens=self.language_codes)
        tokenizer.add_special_tokens([str(kwargs[name]) for name in ("cls_token", "pad_token", "eos_token",
                                                                      "unk_token")])
        tokenizer.add_special_tokens([kwargs["mask_token"]])
        key = "additional_special_tokens" if kwargs.get("additional_special_tokens") else "extra_special_tokens"
        given = list(kwargs.get(key) or [])
        kwargs[key] = self.language_codes + [t for t in given if str(t) not in self.language_codes]
        return tokenizer

    @property
    def lang_code_to_id(self) -> dict[str, int]:
        """Language code -> its token id."""
        return {code: self.convert_tokens_to_ids(code) for code in self.language_codes}

    @property
    def src_lang(self) -> str:
        """The source language code; setting it switches the special tokens around inputs."""
        return self._src_lang

    @src_lang.setter
    def src_lang(self, new_src_lang: str) -> None:
        self._check_code(new_src_lang)
        object.__setattr__(self, "_src_lang", new_src_lang)
        self.init_kwargs["src_lang"] = new_src_lang
        self.set_src_lang_special_tokens(new_src_lang)

    def _check_code(self, code: str) -> None:
        if code not in self.language_codes and self._tokenizer.token_to_id(code) is None:
            raise unknown_key("language code", code, self.language_codes)

    def _layout(self, code: str) -> tuple[list[str], list[str]]:
        # mBART puts the language code last: A </s> code (pairs: A B </s> code).
        return [], [str(self.eos_token), code]

    def _frame(self, code: str) -> Any:
        """The post-processor framing sequences with `code`; records prefix/suffix ids like the reference."""
        self._check_code(code)
        prefix, suffix = self._layout(code)
        self.prefix_tokens = self.convert_tokens_to_ids(prefix)
        self.suffix_tokens = self.convert_tokens_to_ids(suffix)
        self.cur_lang_code = self.cur_lang_code_id = self.convert_tokens_to_ids(code)
        before = "".join(f"{t}:0 " for t in prefix)
        after = "".join(f" {t}:0" for t in suffix)
        return _template(f"{before}$A:0{after}", f"{before}$A:0 $B:0{after}",
                         list(zip(prefix + suffix, self.prefix_tokens + self.suffix_tokens)))

    def _post_processor(self) -> Any:
        return self._frame(self.init_kwargs.get("src_lang") or "en_XX")

    def set_src_lang_special_tokens(self, src_lang: str) -> None:
        """Frame inputs with `src_lang`."""
        self._tokenizer.post_processor = self._frame(src_lang)

    def set_tgt_lang_special_tokens(self, lang: str) -> None:
        """Frame inputs with the target language `lang`."""
        self._tokenizer.post_processor = self._frame(lang)

    @contextlib.contextmanager
    def _target_mode(self) -> Iterator[None]:
        self.set_tgt_lang_special_tokens(self.tgt_lang if self.tgt_lang is not None else self.src_lang)
        try:
            yield
        finally:
            self.set_src_lang_special_tokens(self.src_lang)


class MBart50Tokenizer(MBartTokenizer):
    """mBART-50: 52 language codes, sequences framed as ``src_lang A </s>``."""

    language_codes: list[str] = _MBART_CODES + _MBART50_EXTRA_CODES
    _defaults = dict(eos_token="</s>", sep_token="</s>", cls_token="<s>", unk_token="<unk>", pad_token="<pad>",
                     mask_token=AddedToken("<mask>", lstrip=True, special=True, normalized=False), src_lang=None,
                     tgt_lang=None)

    def _layout(self, code: str) -> tuple[list[str], list[str]]:
        # mBART-50 puts the language code first: code A </s> (pairs: code A B </s>).
        return [code], [str(self.eos_token)]


class PegasusTokenizer(_SentencePiece):
    """Pegasus: ``<pad> </s> <mask_1> <mask_2> <unk_2>...<unk_{offset-1}>`` then the SentencePiece
    pieces from ``<unk>`` on; sequences end with ``</s>``."""

    vocab_files_names = {"vocab_file": "spiece.model"}
    _defaults = dict(pad_token="<pad>", eos_token="</s>", unk_token="<unk>", mask_token="<mask_2>",
                     mask_token_sent="<mask_1>", offset=103)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.offset = int(self.init_kwargs["offset"])
        self.mask_token_sent = self.init_kwargs["mask_token_sent"]

    def _build_backend(self, kwargs: dict[str, Any]) -> Tokenizer:
        model_file = converters.require_file(kwargs, "vocab_file", type(self).__name__, "spiece.model")
        offset = int(kwargs["offset"])
        if offset < 2:
            raise TokenizerError(f"PegasusTokenizer: offset must be at least 2, got {offset}.")
        masks = [str(t) for t in (kwargs.get("mask_token_sent"), kwargs.get("mask_token")) if t is not None]
        reserved = [f"<unk_{i}>" for i in range(2, offset)]
        head = [(str(kwargs["pad_token"]), 0.0), (str(kwargs["eos_token"]), 0.0)]
        head += [(m, 0.0) for m in dict.fromkeys(masks)] + [(t, -100.0) for t in reserved]
        # The model's own <pad>, </s> (ids 0, 1) are replaced; its pieces from id 2 on move up by `offset`.
        tokenizer, _ = converters.shifted_sentencepiece(model_file, head, keep_from=2, family="Pegasus")
        tokenizer.add_special_tokens([t for t, _ in head[: len(head) - len(reserved)]])
        tokenizer.add_special_tokens([str(kwargs["unk_token"])] + reserved)
        key = "additional_special_tokens" if kwargs.get("additional_special_tokens") else "extra_special_tokens"
        given = [t for t in kwargs.get(key) or [] if str(t) not in reserved]
        sent = kwargs.get("mask_token_sent")
        lead = [str(sent)] if sent is not None and str(sent) not in map(str, given) else []
        kwargs[key] = lead + given + reserved
        return tokenizer

    def _post_processor(self) -> Any:
        eos = self.eos_token
        return _template(f"$A:0 {eos}:0", f"$A:0 $B:0 {eos}:0", [(eos, self.eos_token_id)])


SEQ2SEQ_PRESETS: dict[str, type] = {
    cls.__name__: cls for cls in (MBartTokenizer, MBart50Tokenizer, PegasusTokenizer)
}
SEQ2SEQ_PRESETS.update({name + "Fast": cls for name, cls in list(SEQ2SEQ_PRESETS.items())})

MBartTokenizerFast = MBartTokenizer
MBart50TokenizerFast = MBart50Tokenizer
PegasusTokenizerFast = PegasusTokenizer

__all__ = sorted(SEQ2SEQ_PRESETS)
