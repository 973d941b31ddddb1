"""Per-model tokenizer classes: their vocabulary files, default special tokens and layouts.

Each class says which legacy files it reads (``vocab_files_names``), the defaults of its
constructor arguments (``_defaults``, written to ``tokenizer_config.json`` like the
reference does), how to build the engine from those files, and how special tokens frame
a sequence. With a ``tokenizer.json`` the file's pipeline is used as is.

Layouts: BERT ``[CLS] A [SEP] B [SEP]``; RoBERTa/BART/XLM-R ``<s> A </s></s> B </s>``;
GPT-2/Qwen2 nothing; Llama ``<s> A`` (when ``add_bos_token``); T5 ``A </s> B </s>``;
ALBERT ``[CLS] A [SEP] B [SEP]``;
XLNet ``A <sep> B <sep> <cls>`` (padded on the left); Marian ``A </s>``.

Example:
    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> with open(os.path.join(folder, "vocab.txt"), "w") as f:
    ...     _ = f.write("\\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hi", "there"]))
    >>> tok = BertTokenizer(vocab_file=os.path.join(folder, "vocab.txt"))
    >>> tok("Hi", "there").tokens()
    ['[CLS]', 'hi', '[SEP]', 'there', '[SEP]']
"""

from __future__ import annotations

import contextlib
import copy
import os
import re
import shutil
from typing import Any, Iterator

from ..errors import TokenizerError
from ..tokenizers import Tokenizer, processors
from . import converters
from .base import PreTrainedTokenizer

_PRETOKENIZE_QWEN2 = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
)


def _template(single: str, pair: str, tokens: list[tuple[str, "int | None"]]) -> Any:
    return processors.TemplateProcessing(single=single, pair=pair, special_tokens=[(t, i) for t, i in tokens if t])


def _copy_file(source: "str | None", save_directory: str, filename_prefix: "str | None", name: str) -> tuple[str, ...]:
    if not source or not os.path.isfile(source):
        return ()
    target = os.path.join(save_directory, (filename_prefix + "-" if filename_prefix else "") + name)
    if os.path.abspath(source) != os.path.abspath(target):
        shutil.copyfile(source, target)
    return (target,)


class BertTokenizer(PreTrainedTokenizer):
    """BERT's WordPiece tokenizer (``vocab.txt``), framing inputs as ``[CLS] A [SEP] B [SEP]``."""

    vocab_files_names = {"vocab_file": "vocab.txt"}
    model_input_names = ["input_ids", "token_type_ids", "attention_mask"]
    _defaults = dict(do_lower_case=True, unk_token="[UNK]", sep_token="[SEP]", pad_token="[PAD]",
                     cls_token="[CLS]", mask_token="[MASK]", tokenize_chinese_chars=True, strip_accents=None)

    def _build_backend(self, kwargs: dict[str, Any]) -> Tokenizer:
        vocab_file = converters.require_file(kwargs, "vocab_file", type(self).__name__, "vocab.txt")
        return converters.wordpiece_from_vocab_txt(
            vocab_file, unk_token=str(kwargs["unk_token"]), do_lower_case=kwargs["do_lower_case"],
            strip_accents=kwargs["strip_accents"], tokenize_chinese_chars=kwargs["tokenize_chinese_chars"],
        )

    def _post_processor(self) -> Any:
        cls, sep = self.cls_token, self.sep_token
        return _template(f"{cls}:0 $A:0 {sep}:0", f"{cls}:0 $A:0 {sep}:0 $B:1 {sep}:1",
                         [(cls, self.cls_token_id), (sep, self.sep_token_id)])

    def save_vocabulary(self, save_directory: str, filename_prefix: "str | None" = None) -> tuple[str, ...]:
        """Write ``vocab.txt`` (base vocabulary, one token per line in id order)."""
        path = os.path.join(save_directory, (filename_prefix + "-" if filename_prefix else "") + "vocab.txt")
        vocab = self._tokenizer.get_vocab(with_added_tokens=False)
        with open(path, "w", encoding="utf-8") as handle:
            handle.writelines(token + "\n" for token, _ in sorted(vocab.items(), key=lambda item: item[1]))
        return (path,)


class DistilBertTokenizer(BertTokenizer):
    """DistilBERT: BERT's tokenizer without token type ids."""

    model_input_names = ["input_ids", "attention_mask"]


class _ByteLevelBPE(PreTrainedTokenizer):
    """Shared by the ``vocab.json`` + ``merges.txt`` families."""

    vocab_files_names = {"vocab_file": "vocab.json", "merges_file": "merges.txt"}
    _split_pattern: "str | None" = None
    _nfc = False

    def _build_backend(self, kwargs: dict[str, Any]) -> Tokenizer:
        name = type(self).__name__
        return converters.byte_level_bpe(
            converters.require_file(kwargs, "vocab_file", name, "vocab.json"),
            converters.require_file(kwargs, "merges_file", name, "merges.txt"),
            add_prefix_space=bool(kwargs.get("add_prefix_space")), split_pattern=self._split_pattern, nfc=self._nfc,
        )

    def save_vocabulary(self, save_directory: str, filename_prefix: "str | None" = None) -> tuple[str, ...]:
        """Copy ``vocab.json`` and ``merges.txt`` when the tokenizer was built from them."""
        return (_copy_file(self.init_kwargs.get("vocab_file"), save_directory, filename_prefix, "vocab.json")
                + _copy_file(self.init_kwargs.get("merges_file"), save_directory, filename_prefix, "merges.txt"))


class GPT2Tokenizer(_ByteLevelBPE):
    """GPT-2's byte-level BPE; no special tokens around inputs."""

    _defaults = dict(errors="replace", unk_token="<|endoftext|>", bos_token="<|endoftext|>",
                     eos_token="<|endoftext|>", pad_token=None, add_prefix_space=False)


class RobertaTokenizer(_ByteLevelBPE):
    """RoBERTa's byte-level BPE, framing inputs as ``<s> A </s></s> B </s>``."""

    _defaults = dict(errors="replace", bos_token="<s>", eos_token="</s>", sep_token="</s>", cls_token="<s>",
                     unk_token="<unk>", pad_token="<pad>", mask_token="<mask>", add_prefix_space=False,
                     trim_offsets=True)

    def _post_processor(self) -> Any:
        return processors.RobertaProcessing(
            (self.sep_token, self.sep_token_id), (self.cls_token, self.cls_token_id),
            trim_offsets=self.init_kwargs.get("trim_offsets", True),
            add_prefix_space=self.init_kwargs.get("add_prefix_space", False),
        )


class BartTokenizer(RobertaTokenizer):
    """BART uses RoBERTa's tokenizer."""


class Qwen2Tokenizer(_ByteLevelBPE):
    """Qwen2's BPE: NFC, a regex split, then byte-level BPE; no special tokens around inputs."""

    _split_pattern = _PRETOKENIZE_QWEN2
    _nfc = True
    _defaults = dict(unk_token="<|endoftext|>", bos_token=None, eos_token="<|endoftext|>",
                     pad_token="<|endoftext|>", add_prefix_space=False)


class _SentencePiece(PreTrainedTokenizer):
    """Shared by the SentencePiece families: build from the ``.model`` file, copy it back on save."""

    _extra_ids = 0

    def _build_backend(self, kwargs: dict[str, Any]) -> Tokenizer:
        filename = next(iter(self.vocab_files_names.values()))
        model_file = converters.require_file(kwargs, "vocab_file", type(self).__name__, filename)
        add_prefix_space = kwargs.get("add_prefix_space")
        tokenizer, proto = converters.sentencepiece_tokenizer(
            model_file, add_prefix_space=True if add_prefix_space is None else add_prefix_space)
        # Pieces SentencePiece never splits become added tokens at their ids (control ones special).
        tokenizer.add_special_tokens(converters.special_pieces(proto))
        return tokenizer

    def save_vocabulary(self, save_directory: str, filename_prefix: "str | None" = None) -> tuple[str, ...]:
        """Copy the SentencePiece ``.model`` file when the tokenizer was built from it."""
        name = next(iter(self.vocab_files_names.values()))
        return _copy_file(self.init_kwargs.get("vocab_file"), save_directory, filename_prefix, name)


class LlamaTokenizer(_SentencePiece):
    """Llama/Mistral SentencePiece BPE with byte fallback; ``<s>`` in front when ``add_bos_token``."""

    vocab_files_names = {"vocab_file": "tokenizer.model"}
    padding_side = "left"
    _defaults = dict(unk_token="<unk>", bos_token="<s>", eos_token="</s>", clean_up_tokenization_spaces=False,
                     use_default_system_prompt=False, legacy=False, add_prefix_space=None)


class T5Tokenizer(_SentencePiece):
    """T5's SentencePiece Unigram, ``A </s> B </s>``, plus ``<extra_id_N>`` sentinel tokens."""

    vocab_files_names = {"vocab_file": "spiece.model"}
    _defaults = dict(eos_token="</s>", unk_token="<unk>", pad_token="<pad>", extra_ids=100)

    def _build_backend(self, kwargs: dict[str, Any]) -> Tokenizer:
        tokenizer = super()._build_backend(kwargs)
        extra = int(kwargs.get("extra_ids") or 0)
        key = "additional_special_tokens" if kwargs.get("additional_special_tokens") else "extra_special_tokens"
        given = list(kwargs.get(key) or [])
        sentinels = [token for token in given if "<extra_id_" in str(token)]
        if extra and sentinels and len(sentinels) != extra:
            raise TokenizerError(
                f"T5Tokenizer got extra_ids={extra} and {len(sentinels)} <extra_id_N> tokens in {key}; pass "
                f"all {extra} sentinel tokens there, or extra_ids=0."
            )
        if extra and not sentinels:
            kwargs[key] = given + [f"<extra_id_{i}>" for i in range(extra)]
        if extra:
            # The sentinels are model pieces at the top of the vocabulary, <extra_id_0> last.
            tokenizer.model = converters.with_reserved_pieces(
                tokenizer.model, after=[f"<extra_id_{i}>" for i in reversed(range(extra))])
        return tokenizer

    def get_sentinel_tokens(self) -> list[str]:
        """The ``<extra_id_N>`` tokens among the extra special tokens.

        Example:
            >>> T5Tokenizer.get_sentinel_tokens.__name__
            'get_sentinel_tokens'
        """
        return [token for token in self.extra_special_tokens if re.fullmatch(r"<extra_id_\d+>", token)]

    def get_sentinel_token_ids(self) -> list[int]:
        """The ids of :meth:`get_sentinel_tokens`."""
        return self.convert_tokens_to_ids(self.get_sentinel_tokens())

    def _post_processor(self) -> Any:
        eos = self.eos_token
        return _template(f"$A:0 {eos}:0", f"$A:0 {eos}:0 $B:0 {eos}:0", [(eos, self.eos_token_id)])


class AlbertTokenizer(_SentencePiece):
    """ALBERT's SentencePiece Unigram, framing inputs as ``[CLS] A [SEP] B [SEP]``.

    Before SentencePiece, text is cleaned like ALBERT does: whitespace collapsed
    (``remove_space``), LaTeX quotes made plain, accents stripped unless ``keep_accents``,
    lower-cased when ``do_lower_case``.
    """

    vocab_files_names = {"vocab_file": "spiece.model"}
    _defaults = dict(do_lower_case=True, remove_space=True, keep_accents=False, bos_token="[CLS]",
                     eos_token="[SEP]", unk_token="<unk>", sep_token="[SEP]", pad_token="<pad>", cls_token="[CLS]",
                     mask_token="[MASK]")

    def _build_backend(self, kwargs: dict[str, Any]) -> Tokenizer:
        tokenizer = super()._build_backend(kwargs)
        converters.prepend_text_cleanup(tokenizer, remove_space=bool(kwargs.get("remove_space", True)),
                                        keep_accents=bool(kwargs.get("keep_accents")),
                                        do_lower_case=bool(kwargs.get("do_lower_case")))
        return tokenizer

    def _post_processor(self) -> Any:
        cls, sep = self.cls_token, self.sep_token
        return _template(f"{cls}:0 $A:0 {sep}:0", f"{cls}:0 $A:0 {sep}:0 $B:1 {sep}:1",
                         [(cls, self.cls_token_id), (sep, self.sep_token_id)])


class XLNetTokenizer(AlbertTokenizer):
    """XLNet's SentencePiece Unigram: ``A <sep> <cls>`` and ``A <sep> B <sep> <cls>``, padded on the left.

    The classification token comes last (segment id 2), which is why padding goes left.
    """

    padding_side = "left"
    _defaults = dict(do_lower_case=False, remove_space=True, keep_accents=False, bos_token="<s>", eos_token="</s>",
                     unk_token="<unk>", sep_token="<sep>", pad_token="<pad>", cls_token="<cls>", mask_token="<mask>",
                     additional_special_tokens=["<eop>", "<eod>"])

    def _post_processor(self) -> Any:
        cls, sep = self.cls_token, self.sep_token
        return _template(f"$A:0 {sep}:0 {cls}:2", f"$A:0 {sep}:0 $B:1 {sep}:1 {cls}:2",
                         [(sep, self.sep_token_id), (cls, self.cls_token_id)])


class XLMRobertaTokenizer(_SentencePiece):
    """XLM-RoBERTa: SentencePiece Unigram with fairseq's ids, framing inputs as ``<s> A </s></s> B </s>``.

    Ids 0-3 are ``<s> <pad> </s> <unk>``, the model's pieces follow shifted by one, ``<mask>`` is last.
    """

    vocab_files_names = {"vocab_file": "sentencepiece.bpe.model"}
    _defaults = dict(bos_token="<s>", eos_token="</s>", sep_token="</s>", cls_token="<s>", unk_token="<unk>",
                     pad_token="<pad>", mask_token="<mask>", add_prefix_space=True)

    def _build_backend(self, kwargs: dict[str, Any]) -> Tokenizer:
        model_file = converters.require_file(kwargs, "vocab_file", type(self).__name__, "sentencepiece.bpe.model")
        tokenizer, _ = converters.fairseq_sentencepiece(
            model_file, add_prefix_space=kwargs.get("add_prefix_space") is not False,
            mask_token=str(kwargs["mask_token"]))
        tokenizer.add_special_tokens([str(kwargs[name]) for name in
                                      ("bos_token", "pad_token", "eos_token", "unk_token", "mask_token")])
        return tokenizer

    def _post_processor(self) -> Any:
        cls, sep = self.cls_token, self.sep_token
        return _template(f"{cls}:0 $A:0 {sep}:0", f"{cls}:0 $A:0 {sep}:0 {sep}:0 $B:0 {sep}:0",
                         [(cls, self.cls_token_id), (sep, self.sep_token_id)])


class MarianTokenizer(_SentencePiece):
    """Marian (OPUS-MT): ``source.spm`` segments inputs, ``target.spm`` segments ``text_target``;
    ids come from the shared ``vocab.json``. Layout ``A </s>`` (pairs ``A B </s>``).

    Language codes such as ``>>fra<<`` in the vocabulary are matched as whole tokens.
    """

    vocab_files_names = {"source_spm": "source.spm", "target_spm": "target.spm", "vocab": "vocab.json"}
    # Two segmentation models do not fit one tokenizer.json (the reference has no fast Marian either).
    _has_tokenizer_json = False
    _defaults = dict(source_lang=None, target_lang=None, unk_token="<unk>", eos_token="</s>", pad_token="<pad>",
                     model_max_length=512, separate_vocabs=False)

    def _build_backend(self, kwargs: dict[str, Any]) -> Tokenizer:
        name = type(self).__name__
        if kwargs.get("separate_vocabs"):
            raise TokenizerError(
                "MarianTokenizer with separate_vocabs=True (a target_vocab.json) is not supported: embrace reads one "
                "shared vocab.json. Convert the folder to a shared vocabulary, or use separate_vocabs=False.")
        vocab_file = converters.require_file(kwargs, "vocab", name, "vocab.json")
        vocab, _ = converters.read_vocab_and_merges(vocab_file, os.devnull)
        unk = str(kwargs["unk_token"])
        engines = [converters.vocab_sentencepiece(converters.require_file(kwargs, key, name, filename), vocab,
                                                  unk_token=unk)
                   for key, filename in (("source_spm", "source.spm"), ("target_spm", "target.spm"))]
        codes = [token for token in vocab if token.startswith(">>") and token.endswith("<<")]
        for engine in engines:
            if codes:
                engine.add_tokens(codes)
            engine.add_special_tokens([str(kwargs[key]) for key in ("eos_token", "unk_token", "pad_token")])
        self._target_tokenizer = engines[1]
        return engines[0]

    def _post_processor(self) -> Any:
        eos = self.eos_token
        processor = _template(f"$A:0 {eos}:0", f"$A:0 $B:0 {eos}:0", [(eos, self.eos_token_id)])
        target = getattr(self, "_target_tokenizer", None)
        if target is not None:
            target.post_processor = copy.deepcopy(processor)
        return processor

    @contextlib.contextmanager
    def _target_mode(self) -> Iterator[None]:
        # text_target is segmented by target.spm (same ids, same special tokens and layout).
        source_engine = self._tokenizer
        self._tokenizer = getattr(self, "_target_tokenizer", None) or source_engine
        try:
            yield
        finally:
            self._tokenizer = source_engine

    def _decode(self, ids: list[int], skip_special_tokens: bool, clean_up: "bool | None") -> str:
        # Marian's own layout of decoded text: runs of pieces are detokenized on their own, each
        # special token kept follows its run with a space after it, and the ends are stripped.
        special = set(self.all_special_tokens)
        decoder = self._tokenizer.decoder
        text, run = "", []
        for token in self.convert_ids_to_tokens(ids, skip_special_tokens=skip_special_tokens):
            if token in special:
                text += decoder.decode(run) + token + " "
                run = []
            else:
                run.append(token)
        text = (text + decoder.decode(run)).replace("\u2581", " ").strip()
        clean_up = self.clean_up_tokenization_spaces if clean_up is None else clean_up
        return self.clean_up_tokenization(text) if clean_up else text

    def save_vocabulary(self, save_directory: str, filename_prefix: "str | None" = None) -> tuple[str, ...]:
        """Copy ``vocab.json``, ``source.spm`` and ``target.spm``."""
        return sum((_copy_file(self.init_kwargs.get(key), save_directory, filename_prefix, filename)
                    for key, filename in self.vocab_files_names.items()), ())


# class name -> class; the "...Fast" names are the same classes (one engine, no slow/fast split).
PRESETS: dict[str, type] = {
    cls.__name__: cls
    for cls in (BertTokenizer, DistilBertTokenizer, RobertaTokenizer, BartTokenizer, GPT2Tokenizer, Qwen2Tokenizer,
                LlamaTokenizer, T5Tokenizer, AlbertTokenizer, XLNetTokenizer, XLMRobertaTokenizer)
}
PRESETS.update({name + "Fast": cls for name, cls in list(PRESETS.items())})
PRESETS["MarianTokenizer"] = MarianTokenizer  # the reference has no fast Marian class

BertTokenizerFast = BertTokenizer
DistilBertTokenizerFast = DistilBertTokenizer
RobertaTokenizerFast = RobertaTokenizer
BartTokenizerFast = BartTokenizer
GPT2TokenizerFast = GPT2Tokenizer
Qwen2TokenizerFast = Qwen2Tokenizer
LlamaTokenizerFast = LlamaTokenizer
T5TokenizerFast = T5Tokenizer
AlbertTokenizerFast = AlbertTokenizer
XLNetTokenizerFast = XLNetTokenizer
XLMRobertaTokenizerFast = XLMRobertaTokenizer

__all__ = sorted(PRESETS)
