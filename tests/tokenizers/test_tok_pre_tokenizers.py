"""Pre-tokenizers: same pieces and same offsets as the reference, one type at a time."""

from __future__ import annotations

import json

import pytest

import embrace.tokenizers as O
from embrace.errors import TokenizerError
from embrace.tokenizers import normalizers as ON
from embrace.tokenizers import pre_tokenizers as OP
from embrace.tokenizers.serialization import pre_tokenizer_from_dict
from tok_core_helpers import subset

R = pytest.importorskip("tokenizers")
from tokenizers import normalizers as RN  # noqa: E402
from tokenizers import pre_tokenizers as RP  # noqa: E402

QWEN = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
LLAMA3 = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
O200K = (
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
    r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
    r"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)

PRE_TOKENIZER_JSON = [
    {"type": "BertPreTokenizer"},
    {"type": "Whitespace"},
    {"type": "WhitespaceSplit"},
    {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
    {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
    {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
    {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
    {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": True},
    {"type": "Metaspace", "replacement": "_", "prepend_scheme": "never", "split": False},
    {"type": "Punctuation", "behavior": "Isolated"},
    {"type": "Punctuation", "behavior": "MergedWithPrevious"},
    {"type": "Punctuation", "behavior": "Contiguous"},
    {"type": "Digits", "individual_digits": True},
    {"type": "Digits", "individual_digits": False},
    {"type": "CharDelimiterSplit", "delimiter": " "},
    {"type": "UnicodeScripts"},
    {"type": "FixedLength", "length": 3},
    {"type": "Split", "pattern": {"Regex": QWEN}, "behavior": "Isolated", "invert": False},
    {"type": "Split", "pattern": {"Regex": LLAMA3}, "behavior": "Isolated", "invert": False},
    {"type": "Split", "pattern": {"Regex": O200K}, "behavior": "Isolated", "invert": False},
    {"type": "Split", "pattern": {"Regex": r"\w+|[^\w\s]+"}, "behavior": "Removed", "invert": True},
    {"type": "Split", "pattern": {"Regex": r"\d+|\s"}, "behavior": "MergedWithNext", "invert": False},
    {"type": "Split", "pattern": {"Regex": r"^\s*|\s*$"}, "behavior": "Removed", "invert": False},
    {"type": "Split", "pattern": {"Regex": r"(?m:.)"}, "behavior": "Contiguous", "invert": False},
    {"type": "Split", "pattern": {"Regex": r"\h+|\b"}, "behavior": "Isolated", "invert": False},
    {"type": "Split", "pattern": {"String": " "}, "behavior": "MergedWithPrevious", "invert": False},
    {"type": "Split", "pattern": {"String": "[SEP]"}, "behavior": "Removed", "invert": False},
    {"type": "Split", "pattern": {"String": "e"}, "behavior": "Contiguous", "invert": True},
    {
        "type": "Sequence",
        "pretokenizers": [
            {"type": "WhitespaceSplit"},
            {"type": "Punctuation", "behavior": "Isolated"},
            {"type": "Digits", "individual_digits": True},
        ],
    },
    {
        "type": "Sequence",
        "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": QWEN}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
        ],
    },
]


def _ref_tokenizer(spec: dict, normalizer: "dict | None" = None):
    return R.Tokenizer.from_str(
        json.dumps(
            {
                "version": "1.0",
                "normalizer": normalizer,
                "pre_tokenizer": spec,
                "model": {"type": "WordLevel", "vocab": {"a": 0}, "unk_token": "a"},
            }
        )
    )


def _pair(spec: dict):
    return pre_tokenizer_from_dict(spec), _ref_tokenizer(spec).pre_tokenizer


@pytest.mark.parametrize("spec", PRE_TOKENIZER_JSON, ids=lambda s: json.dumps(s, ensure_ascii=True)[:70])
def test_pre_tokenizer_matches_reference_on_corpus(spec):
    ours, ref = _pair(spec)
    for text in subset(2):
        assert ours.pre_tokenize_str(text) == ref.pre_tokenize_str(text), text
    assert ours.to_dict() == json.loads(_ref_tokenizer(spec).to_str())["pre_tokenizer"]


@pytest.mark.parametrize(
    "spec",
    [
        {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
        {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        {"type": "BertPreTokenizer"},
    ],
    ids=lambda s: s["type"],
)
def test_pre_tokenizer_after_normalizer_offsets(spec):
    """Offsets through normalization + pre-tokenization (original and normalized referentials)."""
    normalizer = {"type": "Sequence", "normalizers": [{"type": "NFKD"}, {"type": "Lowercase"}, {"type": "Replace", "pattern": {"Regex": r"\s+"}, "content": " "}]}
    ours_n, ours_p = ON.Sequence([ON.NFKD(), ON.Lowercase(), ON.Replace(O.Regex(r"\s+"), " ")]), pre_tokenizer_from_dict(spec)
    ref_tok = _ref_tokenizer(spec, normalizer)
    ref_n, ref_p = ref_tok.normalizer, ref_tok.pre_tokenizer
    for text in subset(3):
        results = []
        for mod, norm, pre in ((O, ours_n, ours_p), (R, ref_n, ref_p)):
            pretok = mod.PreTokenizedString(text)
            pretok.normalize(lambda n: norm.normalize(n))
            pre.pre_tokenize(pretok)
            results.append(
                (
                    pretok.get_splits(),
                    pretok.get_splits(offset_referential="normalized"),
                    pretok.get_splits(offset_type="byte"),
                    pretok.get_splits(offset_referential="normalized", offset_type="byte"),
                )
            )
        assert results[0] == results[1], text


def test_every_code_point_classes():
    cps = [c for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    specs = [
        {"type": "BertPreTokenizer"},
        {"type": "Whitespace"},
        {"type": "WhitespaceSplit"},
        {"type": "Digits", "individual_digits": True},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        {"type": "Split", "pattern": {"Regex": QWEN}, "behavior": "Isolated", "invert": False},
        {"type": "Split", "pattern": {"Regex": r"\w+|\p{M}+|\p{P}|\d"}, "behavior": "Isolated", "invert": False},
        {"type": "Split", "pattern": {"Regex": r"[^\w\s]+|\b"}, "behavior": "Isolated", "invert": False},
    ]
    pairs = [_pair(spec) for spec in specs]
    # Contiguous code points: a character classified differently moves a piece boundary.
    for i in range(0, len(cps), 16384):
        text = "".join(chr(c) for c in cps[i : i + 16384])
        for ours, ref in pairs:
            assert ours.pre_tokenize_str(text) == ref.pre_tokenize_str(text), (ours, hex(cps[i]))


def test_unicode_scripts_every_code_point():
    ours, ref = OP.UnicodeScripts(), RP.UnicodeScripts()
    cps = [c for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    for anchor in ("", " "):
        for i in range(0, len(cps), 16384):
            text = anchor.join(chr(c) for c in cps[i : i + 16384])
            assert ours.pre_tokenize_str(text) == ref.pre_tokenize_str(text), hex(cps[i])


def test_python_api_matches_reference():
    assert repr(OP.ByteLevel()) == repr(RP.ByteLevel())
    assert repr(OP.Metaspace(prepend_scheme="first")) == repr(RP.Metaspace(prepend_scheme="first"))
    assert repr(OP.Split(O.Regex("a+"), "merged_with_next", invert=True)) == repr(
        RP.Split(R.Regex("a+"), "merged_with_next", invert=True)
    )
    assert repr(OP.Punctuation()) == repr(RP.Punctuation())
    assert repr(OP.Digits(True)) == repr(RP.Digits(True))
    assert repr(OP.CharDelimiterSplit("x")) == repr(RP.CharDelimiterSplit("x"))
    assert repr(OP.FixedLength(4)) == repr(RP.FixedLength(4))
    assert sorted(OP.ByteLevel.alphabet()) == sorted(RP.ByteLevel.alphabet())
    seq = OP.Sequence([OP.WhitespaceSplit(), OP.Digits(True)])
    assert len(seq) == 2 and isinstance(seq[1], OP.Digits)
    split = OP.Split(" ", "removed")
    split.behavior = "isolated"
    assert split.pre_tokenize_str("a b") == RP.Split(" ", "isolated").pre_tokenize_str("a b")
    with pytest.raises(TokenizerError):
        OP.Metaspace(replacement="ab")
    with pytest.raises(TokenizerError):
        OP.Split(" ", "sideways")


def test_metaspace_legacy_json():
    for spec in (
        {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True},
        {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True, "prepend_scheme": "first"},
        {"type": "Metaspace", "replacement": "\u2581", "str_rep": "\u2581", "add_prefix_space": True},
        {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": False, "prepend_scheme": "never"},
    ):
        assert pre_tokenizer_from_dict(spec).to_dict() == json.loads(_ref_tokenizer(spec).to_str())["pre_tokenizer"]
    with pytest.raises(TokenizerError, match="add_prefix_space"):
        pre_tokenizer_from_dict({"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": False, "prepend_scheme": "first"})


class _Splitter:
    def pre_tokenize(self, pretok):
        pretok.split(lambda i, n: n.split("-", "removed"))


def test_custom_pre_tokenizer():
    custom = OP.PreTokenizer.custom(_Splitter())
    assert custom.pre_tokenize_str("a-b") == [("a", (0, 1)), ("b", (2, 3))]
    with pytest.raises(TokenizerError, match="cannot be serialized"):
        custom.to_dict()


@pytest.mark.parametrize(
    "spec, match",
    [
        ({"type": "Sentencepiece"}, r"pre_tokenizer\.type.*valid types are"),
        ({"type": "ByteLevel"}, r"missing field `add_prefix_space`"),
        ({"type": "Split", "pattern": {"String": "a"}, "behavior": "Removed"}, r"missing field `invert`"),
        ({"type": "Split", "pattern": {"String": "a"}, "behavior": "Sideways", "invert": False}, r"behavior"),
        ({"type": "Split", "pattern": {"Regex": "(("}, "behavior": "Removed", "invert": False}, r"Invalid regex"),
        ({"type": "Digits"}, r"missing field `individual_digits`"),
        ({"type": "CharDelimiterSplit", "delimiter": "ab"}, r"delimiter"),
        ({"type": "Sequence"}, r"missing field `pretokenizers`"),
        ({"type": "Sequence", "pretokenizers": [{"type": "Whitespace"}, 3]}, r"pretokenizers\[1\]"),
        ({"type": "Metaspace"}, r"missing field `replacement`"),
    ],
)
def test_bad_pre_tokenizer_json(spec, match):
    with pytest.raises(TokenizerError, match=match):
        pre_tokenizer_from_dict(spec)
