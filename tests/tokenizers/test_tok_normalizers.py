"""Normalizers: same output and same alignments as the reference, one type at a time.

Each normalizer is built from the same JSON by embrace and by the reference; on every
corpus string the normalized text and the original span of every normalized character
must match. A sweep over every Unicode code point checks the character classes (the
reference builds them from several Unicode versions).
"""

from __future__ import annotations

import json

import pytest

import embrace.tokenizers as O
from embrace.errors import TokenizerError
from embrace.tokenizers import normalizers as ON
from embrace.tokenizers.serialization import normalizer_from_dict
from tok_core_helpers import alignment, sentencepiece_proto, subset

R = pytest.importorskip("tokenizers")
from tokenizers import normalizers as RN  # noqa: E402

NORMALIZER_JSON = [
    {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True, "strip_accents": None, "lowercase": True},
    {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True, "strip_accents": None, "lowercase": False},
    {"type": "BertNormalizer", "clean_text": False, "handle_chinese_chars": False, "strip_accents": True, "lowercase": False},
    {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": False, "strip_accents": False, "lowercase": True},
    {"type": "NFC"},
    {"type": "NFD"},
    {"type": "NFKC"},
    {"type": "NFKD"},
    {"type": "Lowercase"},
    {"type": "Strip", "strip_left": True, "strip_right": True},
    {"type": "Strip", "strip_left": False, "strip_right": True},
    {"type": "Strip", "strip_left": True, "strip_right": False},
    {"type": "StripAccents"},
    {"type": "Nmt"},
    {"type": "ByteLevel"},
    {"type": "Prepend", "prepend": "\u2581"},
    {"type": "Prepend", "prepend": "<<"},
    {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"},
    {"type": "Replace", "pattern": {"String": "ab"}, "content": ""},
    {"type": "Replace", "pattern": {"Regex": r"\s+"}, "content": " "},
    {"type": "Replace", "pattern": {"Regex": r" {2,}"}, "content": "\u2581\u2581\u2581"},
    {"type": "Replace", "pattern": {"Regex": r"[aeiou]"}, "content": "xy"},
    {"type": "Replace", "pattern": {"Regex": r"(?i)the"}, "content": "T"},
    {"type": "Sequence", "normalizers": [{"type": "NFD"}, {"type": "StripAccents"}, {"type": "Lowercase"}]},
    {"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Lowercase"}, {"type": "Strip", "strip_left": True, "strip_right": True}]},
    {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "\u2581"}, {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
]


def _pair(spec: dict):
    ref_tok = R.Tokenizer.from_str(
        json.dumps({"version": "1.0", "normalizer": spec, "model": {"type": "WordLevel", "vocab": {"a": 0}, "unk_token": "a"}})
    )
    return normalizer_from_dict(spec), ref_tok.normalizer


@pytest.mark.parametrize("spec", NORMALIZER_JSON, ids=lambda s: json.dumps(s, ensure_ascii=True)[:70])
def test_normalizer_matches_reference_on_corpus(spec):
    ours, ref = _pair(spec)
    texts = subset(2) if spec["type"] in ("BertNormalizer", "NFKC", "Sequence") else subset(4)
    for text in texts:
        assert ours.normalize_str(text) == ref.normalize_str(text), text
        assert alignment(O, ours, text) == alignment(R, ref, text), text
    assert ours.to_dict() == json.loads(R.Tokenizer.from_str(json.dumps({"version": "1.0", "normalizer": spec, "model": {"type": "WordLevel", "vocab": {"a": 0}, "unk_token": "a"}})).to_str())["normalizer"]


def _all_code_points(step: int = 8192):
    cps = [c for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    for i in range(0, len(cps), step):
        yield "x".join(chr(c) for c in cps[i : i + step])


@pytest.mark.parametrize(
    "spec",
    [
        {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True, "strip_accents": None, "lowercase": True},
        {"type": "NFKD"},
        {"type": "NFKC"},
        {"type": "NFD"},
        {"type": "Lowercase"},
        {"type": "StripAccents"},
    ],
    ids=lambda s: s["type"],
)
def test_every_code_point(spec):
    ours, ref = _pair(spec)
    for text in _all_code_points():
        assert ours.normalize_str(text) == ref.normalize_str(text)


def test_precompiled_charsmap_from_a_real_sentencepiece_model():
    charsmap = sentencepiece_proto().normalizer_spec.precompiled_charsmap
    assert len(charsmap) > 1000
    ours, ref = ON.Precompiled(charsmap), RN.Precompiled(charsmap)
    for text in subset(2):
        assert ours.normalize_str(text) == ref.normalize_str(text), text
        assert alignment(O, ours, text) == alignment(R, ref, text), text
    for text in _all_code_points():
        assert ours.normalize_str(text) == ref.normalize_str(text)
    # graphemes: combining sequences and ZWJ emoji take the whole-grapheme path
    for text in ["e\u0301\u0301x", "\uff21\u0301", "\u2460\u20dd", "👨\u200d👩\u200d👧 ＡＢＣ", "ｶﾞｷﾞ", "\r\n\t\u3000"]:
        assert alignment(O, ours, text) == alignment(R, ref, text), text
    # JSON: base64 of the same bytes as the reference writes
    spec = {"type": "Precompiled", "precompiled_charsmap": ours.to_dict()["precompiled_charsmap"]}
    ref_tok = R.Tokenizer.from_str(json.dumps({"version": "1.0", "normalizer": spec, "model": {"type": "WordLevel", "vocab": {"a": 0}, "unk_token": "a"}}))
    assert json.loads(ref_tok.to_str())["normalizer"] == spec
    assert normalizer_from_dict(spec).precompiled_charsmap == charsmap


def test_precompiled_rejects_garbage():
    with pytest.raises(TokenizerError, match="truncated"):
        ON.Precompiled(b"\xff\xff\x00\x00abc")
    with pytest.raises(TokenizerError, match="base64"):
        normalizer_from_dict({"type": "Precompiled", "precompiled_charsmap": "!!not base64!!"})


def test_python_api_matches_reference():
    assert repr(ON.BertNormalizer()) == repr(RN.BertNormalizer())
    assert repr(ON.Strip(left=False)) == repr(RN.Strip(left=False))
    assert repr(ON.Replace("a", "b")) == repr(RN.Replace("a", "b"))
    assert repr(ON.Replace(O.Regex(r"\s+"), " ")) == repr(RN.Replace(R.Regex(r"\s+"), " "))
    assert repr(ON.Prepend("▁")) == repr(RN.Prepend("▁"))
    assert repr(ON.Sequence([ON.NFC(), ON.Lowercase()])) == repr(RN.Sequence([RN.NFC(), RN.Lowercase()]))
    seq = ON.Sequence([ON.NFD(), ON.StripAccents()])
    assert len(seq) == 2 and isinstance(seq[0], ON.NFD)
    seq[1] = ON.Lowercase()
    assert seq.normalize_str("É") == RN.Sequence([RN.NFD(), RN.Lowercase()]).normalize_str("É")
    bert = ON.BertNormalizer(lowercase=False)
    bert.lowercase = True
    assert bert.normalize_str("ÀB") == RN.BertNormalizer().normalize_str("ÀB")
    assert isinstance(ON.unicode_normalizer_from_str("nfkc"), ON.NFKC)
    with pytest.raises(TokenizerError):
        ON.unicode_normalizer_from_str("nfx")


def test_normalize_in_place_keeps_alignments():
    n = O.NormalizedString("Ｈéllo  World")
    ON.Sequence([ON.NFKD(), ON.StripAccents(), ON.Lowercase()]).normalize(n)
    r = R.NormalizedString("Ｈéllo  World")
    RN.Sequence([RN.NFKD(), RN.StripAccents(), RN.Lowercase()]).normalize(r)
    assert n.normalized == r.normalized and n.original == r.original


class _Upper:
    def normalize(self, normalized):
        normalized.uppercase()


def test_custom_normalizer_runs_but_does_not_serialize():
    custom = ON.Normalizer.custom(_Upper())
    assert custom.normalize_str("abc") == "ABC"
    with pytest.raises(TokenizerError, match="cannot be serialized"):
        custom.to_dict()


@pytest.mark.parametrize(
    "spec, match",
    [
        ({"type": "Nope"}, r"normalizer\.type.*Nope.*valid types are"),
        ({"lowercase": True}, r"normalizer: missing field `type`"),
        ({"type": "Replace", "pattern": {"Regex": "(("}, "content": ""}, r"normalizer.*Invalid regex"),
        ({"type": "Replace", "pattern": {"Glob": "*"}, "content": ""}, r"Replace.pattern"),
        ({"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "Bogus"}]}, r"normalizers\[1\]\.type"),
        ("NFC", r"normalizer: expected a JSON object"),
    ],
)
def test_bad_normalizer_json(spec, match):
    with pytest.raises(TokenizerError, match=match):
        normalizer_from_dict(spec)
