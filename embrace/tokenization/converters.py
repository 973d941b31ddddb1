"""Build an engine :class:`~embrace.tokenizers.Tokenizer` from legacy vocabulary files.

* ``vocab.txt`` -> WordPiece with BERT's normalizer and pre-tokenizer
  (``do_lower_case``, ``strip_accents``, ``tokenize_chinese_chars``).
* ``vocab.json`` + ``merges.txt`` -> byte-level BPE (GPT-2, RoBERTa, BART, Qwen2).
* SentencePiece ``.model`` -> BPE (Llama/Mistral: merges recovered from the piece scores,
  byte fallback) or Unigram (T5, ALBERT, XLM-R), with the model's own normalization:
  its precompiled charsmap, the dummy prefix ``▁`` and whitespace handling.

The special-token layout (post-processor) is not set here: it belongs to the tokenizer
class, which knows its special tokens.

Example:
    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> with open(os.path.join(folder, "vocab.txt"), "w") as f:
    ...     _ = f.write("[UNK]\\nhello\\nworld\\n")
    >>> wordpiece_from_vocab_txt(os.path.join(folder, "vocab.txt"), unk_token="[UNK]").encode("Hello World").tokens
    ['hello', 'world']
"""

from __future__ import annotations

import json
import os
from typing import Any

from ..errors import TokenizerError
from ..tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers
from ..tokenizers.models import BPE, Unigram, WordPiece
from . import sentencepiece_model as spm


def read_vocab_txt(path: str) -> dict[str, int]:
    """One token per line; the line number is its id."""
    vocab: dict[str, int] = {}
    with open(path, encoding="utf-8") as handle:
        for index, line in enumerate(handle):
            vocab.setdefault(line.rstrip("\n"), index)
    if not vocab:
        raise TokenizerError(f"{path} is empty: a vocab.txt needs one token per line.")
    return vocab


def wordpiece_from_vocab_txt(
    vocab_file: str, *, unk_token: str = "[UNK]", do_lower_case: bool = True, strip_accents: "bool | None" = None,
    tokenize_chinese_chars: bool = True, wordpieces_prefix: str = "##",
) -> Tokenizer:
    """BERT's WordPiece pipeline over a ``vocab.txt``."""
    tokenizer = Tokenizer(WordPiece(read_vocab_txt(vocab_file), unk_token=str(unk_token),
                                    continuing_subword_prefix=wordpieces_prefix))
    tokenizer.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=tokenize_chinese_chars, strip_accents=strip_accents,
        lowercase=do_lower_case,
    )
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece(prefix=wordpieces_prefix)
    return tokenizer


def read_vocab_and_merges(vocab_file: str, merges_file: str) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """``vocab.json`` (token -> id) and ``merges.txt`` (one ``a b`` pair per line, ``#version`` header)."""
    try:
        with open(vocab_file, encoding="utf-8") as handle:
            vocab = json.load(handle)
    except json.JSONDecodeError as exc:
        raise TokenizerError(f"{vocab_file} is not valid JSON ({exc}).") from exc
    if not isinstance(vocab, dict):
        raise TokenizerError(f"{vocab_file} must hold a JSON object token -> id.")
    merges = []
    with open(merges_file, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            line = line.rstrip("\r\n")
            if not line or (number == 1 and line.startswith("#version")):
                continue
            parts = line.split(" ")
            if len(parts) != 2:
                raise TokenizerError(f"{merges_file}, line {number}: expected two tokens separated by a space, got {line!r}.")
            merges.append((parts[0], parts[1]))
    return vocab, merges


def byte_level_bpe(
    vocab_file: str, merges_file: str, *, add_prefix_space: bool = False, trim_offsets: bool = True,
    split_pattern: "str | None" = None, nfc: bool = False, unk_token: "str | None" = None,
) -> Tokenizer:
    """GPT-2-style byte-level BPE; with `split_pattern`, a regex split runs before the byte mapping
    (Qwen2), and `nfc` adds NFC normalization."""
    vocab, merges = read_vocab_and_merges(vocab_file, merges_file)
    tokenizer = Tokenizer(BPE(vocab, merges, dropout=None, unk_token=unk_token, continuing_subword_prefix="",
                              end_of_word_suffix="", fuse_unk=False))
    if split_pattern is None:
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=add_prefix_space)
        tokenizer.decoder = decoders.ByteLevel()
    else:
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(split_pattern), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=add_prefix_space, use_regex=False),
        ])
        tokenizer.decoder = decoders.ByteLevel()
    if nfc:
        tokenizer.normalizer = normalizers.NFC()
    return tokenizer


# --- SentencePiece ----------------------------------------------------------------------------


class SentencePieceUnigram(Unigram):
    """A Unigram model that, like SentencePiece, never matches its reserved pieces inside text.

    SentencePiece keeps control and unknown pieces (``<s>``, ``</s>``, ``<unk>``, ``<pad>``)
    out of its matcher: typed into the text they are segmented like any other characters.
    The pieces the tokenizer classes add on top of the model (fairseq's ids, language codes,
    sentinels, ``<mask>``) are reserved the same way. Those tokens are still found as added
    tokens; this only matters with ``split_special_tokens=True``, where the text reaches the
    model unsplit. ``tokenizer.json`` cannot record reserved ids, so the model is written as
    a plain Unigram (and a tokenizer read back from that file matches every piece, as the
    reference does).

    Example:
        >>> model = SentencePieceUnigram([("<unk>", 0.0), ("<s>", 0.0), ("<", -1.0), ("s", -1.0), (">", -1.0)],
        ...                              unk_id=0, reserved_ids=[0, 1])
        >>> [t.value for t in model.tokenize("<s>")]
        ['<', 's', '>']
    """

    def __init__(self, vocab: list[tuple[str, float]], unk_id: int, byte_fallback: bool = False, *,
                 reserved_ids: "list[int] | set[int]") -> None:
        self._reserved_ids = frozenset(reserved_ids)
        super().__init__(vocab, unk_id=unk_id, byte_fallback=byte_fallback)


def with_reserved_pieces(model: Unigram, *, before: "list[str] | None" = None,
                         after: "list[str] | None" = None, unk_id: "int | None" = None) -> SentencePieceUnigram:
    """`model` with pieces the tokenizer class adds (score 0.0, never matched in text) put
    `before` and/or `after` its own; with `before`, `unk_id` is the id in the new layout."""
    head, tail = list(before or []), list(after or [])
    pieces = [(p, 0.0) for p in head] + model.pieces() + [(p, 0.0) for p in tail]
    own = {i + len(head) for i in getattr(model, "_reserved_ids", ())}
    added = set(range(len(head))) | set(range(len(pieces) - len(tail), len(pieces)))
    return SentencePieceUnigram(pieces, unk_id=model.unk_id + len(head) if unk_id is None else unk_id,
                                byte_fallback=model.byte_fallback, reserved_ids=own | added)


def reserved_piece_ids(proto: spm.ModelProto) -> list[int]:
    """Ids of the pieces SentencePiece never matches in text (control, unknown, byte and unused)."""
    return [i for i, p in enumerate(proto.pieces) if p.type in (spm.CONTROL, spm.UNKNOWN, spm.BYTE, spm.UNUSED)]


def _merges_from_pieces(vocab: dict[str, int], scores: dict[str, float]) -> list[tuple[str, str]]:
    """BPE merges implied by a SentencePiece BPE vocabulary.

    SentencePiece merges the adjacent pair whose joined piece has the best score; so every
    split ``a + b`` of a piece with both halves in the vocabulary is a merge, ranked by the
    joined piece's score (then by id, which is the same order SentencePiece wrote them in).
    """
    merges = []
    for piece, piece_id in vocab.items():
        for cut in range(1, len(piece)):
            left, right = piece[:cut], piece[cut:]
            if left in vocab and right in vocab:
                merges.append((-scores[piece], piece_id, vocab[left], vocab[right], left, right))
    merges.sort()
    return [(left, right) for *_, left, right in merges]


def _spm_normalizer(spec: spm.NormalizerSpec) -> list[Any]:
    steps: list[Any] = []
    if spec.precompiled_charsmap:
        steps.append(normalizers.Precompiled(spec.precompiled_charsmap))
    if spec.remove_extra_whitespaces:
        # SentencePiece trims the ends and collapses runs of spaces: U+0020 only (after its
        # charsmap), so other whitespace such as U+0085 stays, which rules out Strip.
        steps += [normalizers.Replace(Regex("^ +| +$"), ""), normalizers.Replace(Regex(" {2,}"), " ")]
    return steps


def sentencepiece_tokenizer(model_file: str, *, add_prefix_space: bool = True) -> tuple[Tokenizer, spm.ModelProto]:
    """The engine equivalent of a SentencePiece model; also returns the parsed proto.

    Pieces of type control/unknown/user-defined are kept at their ids (the tokenizer class
    marks the ones it uses as special tokens).
    """
    proto = spm.load_model(model_file)
    spec, trainer = proto.normalizer_spec, proto.trainer_spec
    replacement = "\u2581"
    if trainer.model_type == spm.BPE:
        vocab = {p.piece: i for i, p in enumerate(proto.pieces)}
        scores = {p.piece: p.score for p in proto.pieces}
        normal = {p.piece: i for i, p in enumerate(proto.pieces) if p.type in (spm.NORMAL, spm.USER_DEFINED)}
        model = BPE(vocab, _merges_from_pieces(normal, scores), unk_token=trainer.unk_piece, fuse_unk=True,
                    byte_fallback=trainer.byte_fallback, dropout=None)
    elif trainer.model_type == spm.UNIGRAM:
        model = SentencePieceUnigram([(p.piece, p.score) for p in proto.pieces], unk_id=trainer.unk_id,
                                     byte_fallback=trainer.byte_fallback, reserved_ids=reserved_piece_ids(proto))
    else:
        raise TokenizerError(
            f"{model_file}: SentencePiece model type {trainer.model_type} (word/char) is not supported; only "
            "Unigram and BPE models are."
        )
    tokenizer = Tokenizer(model)
    steps = _spm_normalizer(spec)
    prefix = spec.add_dummy_prefix and add_prefix_space
    if trainer.model_type == spm.BPE:
        # Llama-style BPE, as SentencePiece does it: one ▁ in front, every space turned into ▁,
        # and the whole text is one "word" (merges may join runs of spaces). A leading space
        # therefore gives two ▁ (the reference's Metaspace pre-tokenizer would give one).
        if prefix:
            steps.append(normalizers.Prepend(replacement))
        steps.append(normalizers.Replace(" ", replacement))
        tokenizer.normalizer = normalizers.Sequence(steps) if len(steps) > 1 else steps[0]
        sequence = [decoders.Replace(replacement, " "), decoders.ByteFallback(), decoders.Fuse()]
        if prefix:
            sequence.append(decoders.Strip(content=" ", left=1))
        tokenizer.decoder = decoders.Sequence(sequence)
    else:
        if steps:
            tokenizer.normalizer = normalizers.Sequence(steps) if len(steps) > 1 else steps[0]
        scheme = "always" if prefix else "never"
        tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement=replacement, prepend_scheme=scheme)
        tokenizer.decoder = decoders.Metaspace(replacement=replacement, prepend_scheme=scheme)
    return tokenizer, proto


def special_pieces(proto: spm.ModelProto) -> list[str]:
    """Pieces SentencePiece never splits: control, unknown and user-defined ones."""
    return [p.piece for p in proto.pieces if p.type in (spm.CONTROL, spm.UNKNOWN, spm.USER_DEFINED)]


def require_file(kwargs: dict[str, Any], argument: str, cls_name: str, filename: str) -> str:
    """The path passed as `argument`, or a clear error naming the expected file."""
    path = kwargs.get(argument)
    if path is None:
        raise TokenizerError(
            f"{cls_name} needs its vocabulary: pass {argument}='{filename}' (or tokenizer_file='tokenizer.json'), "
            "or load a folder holding those files with from_pretrained()."
        )
    if not os.path.isfile(path):
        raise TokenizerError(f"{cls_name}: {argument}={path!r} does not exist or is not a file.")
    return os.fspath(path)


def fairseq_sentencepiece(model_file: str, *, add_prefix_space: bool = True, mask_token: str = "<mask>",
                          extra_tokens: "list[str] | None" = None) -> tuple[Tokenizer, spm.ModelProto]:
    """A SentencePiece Unigram model with fairseq's ids (XLM-RoBERTa, mBART).

    fairseq puts ``<s>, <pad>, </s>, <unk>`` at ids 0-3 and shifts every other piece up by
    one (SentencePiece's own ``<unk>, <s>, </s>`` at 0-2 are replaced); `extra_tokens`
    (mBART's language codes) follow the pieces and ``<mask>`` comes last.
    """
    head = ["<s>", "<pad>", "</s>", "<unk>"]
    return shifted_sentencepiece(model_file, [(t, 0.0) for t in head], keep_from=3, unk_id=3,
                                 tail=[*(extra_tokens or []), mask_token], add_prefix_space=add_prefix_space,
                                 family="fairseq")


def shifted_sentencepiece(model_file: str, head: list[tuple[str, float]], *, keep_from: int,
                          unk_id: "int | None" = None, tail: "list[str] | None" = None, add_prefix_space: bool = True,
                          family: str = "this tokenizer") -> tuple[Tokenizer, spm.ModelProto]:
    """A SentencePiece Unigram model whose first `keep_from` pieces are replaced by `head`
    (``(token, score)`` pairs) and `tail` tokens appended: the layouts of fairseq and Pegasus.

    The added tokens are reserved (never matched inside text), like the model's own control
    pieces; `unk_id` is the unknown token's id in the new layout (None: the model's own
    unknown piece, which must then lie at or after `keep_from`).
    """
    tokenizer, proto = sentencepiece_tokenizer(model_file, add_prefix_space=add_prefix_space)
    if proto.trainer_spec.model_type != spm.UNIGRAM:
        raise TokenizerError(f"{model_file}: {family} expects a SentencePiece Unigram model, found a BPE one.")
    shift = len(head) - keep_from
    if unk_id is None:
        if proto.trainer_spec.unk_id < keep_from:
            raise TokenizerError(
                f"{model_file}: {family} expects the model's unknown piece at id {keep_from} or later (its first "
                f"{keep_from} ids are replaced), found it at {proto.trainer_spec.unk_id}; train it with "
                f"unk_id={keep_from}.")
        unk_id = proto.trainer_spec.unk_id + shift
    pieces = list(head) + [(p.piece, p.score) for p in proto.pieces[keep_from:]] + [(t, 0.0) for t in tail or []]
    reserved = [*range(len(head)), *range(len(pieces) - len(tail or []), len(pieces)),
                *(i + shift for i in reserved_piece_ids(proto) if i >= keep_from)]
    tokenizer.model = SentencePieceUnigram(pieces, unk_id=unk_id, reserved_ids=reserved)
    return tokenizer, proto


def prepend_text_cleanup(tokenizer: Tokenizer, *, remove_space: bool, keep_accents: bool,
                         do_lower_case: bool) -> None:
    """ALBERT/XLNet clean text before SentencePiece sees it: collapse whitespace, turn LaTeX
    quotes (````` and ``''``) into ``"``, strip accents (NFKD, then drop the combining marks)
    unless `keep_accents`, and lower-case when `do_lower_case`."""
    steps: list[Any] = []
    if remove_space:
        steps += [normalizers.Strip(left=True, right=True), normalizers.Replace(Regex(r"\s+"), " ")]
    steps += [normalizers.Replace("``", '"'), normalizers.Replace("''", '"')]
    if not keep_accents:
        steps += [normalizers.NFKD(), normalizers.StripAccents()]
    if do_lower_case:
        steps.append(normalizers.Lowercase())
    if tokenizer.normalizer is not None:
        steps.append(tokenizer.normalizer)
    tokenizer.normalizer = normalizers.Sequence(steps)


def vocab_sentencepiece(model_file: str, vocab: dict[str, int], *, unk_token: str) -> Tokenizer:
    """Segment with a SentencePiece Unigram model but take ids from a separate ``vocab.json`` (Marian).

    The engine's Unigram is laid out in the ``vocab.json`` id order with the model's scores.
    Entries the model lacks (the other language's pieces, special tokens) get the model's
    lowest score, which keeps the unknown-character penalty where SentencePiece has it.
    """
    tokenizer, proto = sentencepiece_tokenizer(model_file)
    if proto.trainer_spec.model_type != spm.UNIGRAM:
        raise TokenizerError(f"{model_file}: Marian expects a SentencePiece Unigram model, found a BPE one.")
    scores = {p.piece: p.score for p in proto.pieces if p.type in (spm.NORMAL, spm.USER_DEFINED)}
    by_id = sorted(vocab.items(), key=lambda item: item[1])
    if [index for _, index in by_id] != list(range(len(by_id))):
        raise TokenizerError("vocab.json ids must be 0..n-1 without gaps or repeats; re-save the vocabulary.")
    if unk_token not in vocab:
        raise TokenizerError(f"vocab.json has no entry for the unknown token {unk_token!r}; add it or pass unk_token.")
    floor = min(scores.values(), default=0.0)
    # Entries this model lacks are never produced by SentencePiece, so they are never matched.
    tokenizer.model = SentencePieceUnigram([(token, scores.get(token, floor)) for token, _ in by_id],
                                           unk_id=vocab[unk_token],
                                           reserved_ids=[index for token, index in by_id if token not in scores])
    return tokenizer
