"""Post-processors and the Encoding they build, against the reference."""

from __future__ import annotations

import json

import pytest

import embrace.tokenizers as O
from embrace.errors import TokenizerError
from embrace.tokenizers import processors as OR_
from embrace.tokenizers.serialization import post_processor_from_dict
from tok_core_helpers import assert_same_encoding

R = pytest.importorskip("tokenizers")
from tokenizers import processors as RR  # noqa: E402

VOCAB = {"[UNK]": 0, "[CLS]": 1, "[SEP]": 2, "<s>": 3, "</s>": 4, "hello": 5, "world": 6, "Ġhello": 7, "Ġworld": 8, "a": 9}

PROCESSOR_JSON = [
    None,
    {"type": "BertProcessing", "sep": ["[SEP]", 2], "cls": ["[CLS]", 1]},
    {"type": "RobertaProcessing", "sep": ["</s>", 4], "cls": ["<s>", 3], "trim_offsets": True, "add_prefix_space": True},
    {"type": "RobertaProcessing", "sep": ["</s>", 4], "cls": ["<s>", 3], "trim_offsets": False, "add_prefix_space": False},
    {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
    {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
    {
        "type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
        "pair": [
            {"SpecialToken": {"id": "[CLS]", "type_id": 0}},
            {"Sequence": {"id": "A", "type_id": 0}},
            {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
            {"Sequence": {"id": "B", "type_id": 1}},
            {"SpecialToken": {"id": "[SEP]", "type_id": 1}},
        ],
        "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [1], "tokens": ["[CLS]"]}, "[SEP]": {"id": "[SEP]", "ids": [2], "tokens": ["[SEP]"]}},
    },
    {
        "type": "TemplateProcessing",
        "single": [{"Sequence": {"id": "A", "type_id": 2}}, {"SpecialToken": {"id": "X", "type_id": 1}}],
        "pair": [{"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "X", "type_id": 3}}, {"Sequence": {"id": "A", "type_id": 1}}],
        "special_tokens": {"X": {"id": "X", "ids": [3, 4], "tokens": ["<s>", "</s>"]}},
    },
    {
        "type": "Sequence",
        "processors": [
            {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            {"type": "BertProcessing", "sep": ["[SEP]", 2], "cls": ["[CLS]", 1]},
        ],
    },
]


def _tokenizer_json(processor: "dict | None") -> str:
    return json.dumps(
        {
            "version": "1.0",
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "post_processor": processor,
            "model": {"type": "WordLevel", "vocab": VOCAB, "unk_token": "[UNK]"},
        }
    )


@pytest.mark.parametrize("spec", PROCESSOR_JSON, ids=lambda s: "none" if s is None else json.dumps(s)[:60])
@pytest.mark.parametrize("truncation", [None, dict(max_length=5, stride=1), dict(max_length=7, stride=2, direction="left")])
def test_processor_parity(spec, truncation):
    ours, ref = O.Tokenizer.from_str(_tokenizer_json(spec)), R.Tokenizer.from_str(_tokenizer_json(spec))
    if truncation:
        ours.enable_truncation(**truncation)
        ref.enable_truncation(**truncation)
    texts = ["hello world", "  hello   world a ", "world hello hello world a a hello", ""]
    for a in texts:
        for b in [None, "a world", "hello hello world world hello", ""]:
            for add in (True, False):
                try:
                    expected = ref.encode(a, b, add_special_tokens=add)
                except BaseException as exc:  # noqa: BLE001 - the reference panics on a too-large stride
                    if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                        raise
                    with pytest.raises(ValueError):
                        ours.encode(a, b, add_special_tokens=add)
                    continue
                assert_same_encoding(ours.encode(a, b, add_special_tokens=add), expected, (a, b, add))
    assert ours.num_special_tokens_to_add(False) == ref.num_special_tokens_to_add(False)
    assert ours.num_special_tokens_to_add(True) == ref.num_special_tokens_to_add(True)
    if spec is not None:
        assert json.loads(ours.to_str())["post_processor"] == json.loads(ref.to_str())["post_processor"]


def test_process_method_directly():
    tok_o, tok_r = O.Tokenizer.from_str(_tokenizer_json(None)), R.Tokenizer.from_str(_tokenizer_json(None))
    a_o, b_o = tok_o.encode("hello world"), tok_o.encode("a hello")
    a_r, b_r = tok_r.encode("hello world"), tok_r.encode("a hello")
    pairs = [
        (OR_.BertProcessing(("[SEP]", 2), ("[CLS]", 1)), RR.BertProcessing(("[SEP]", 2), ("[CLS]", 1))),
        (OR_.RobertaProcessing(("</s>", 4), ("<s>", 3)), RR.RobertaProcessing(("</s>", 4), ("<s>", 3))),
        (OR_.ByteLevel(trim_offsets=True), RR.ByteLevel(trim_offsets=True)),
        (
            OR_.TemplateProcessing(single="[CLS] $0 [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", 1), ("[SEP]", 2)]),
            RR.TemplateProcessing(single="[CLS] $0 [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", 1), ("[SEP]", 2)]),
        ),
        (
            OR_.Sequence([OR_.ByteLevel(), OR_.BertProcessing(("[SEP]", 2), ("[CLS]", 1))]),
            RR.Sequence([RR.ByteLevel(), RR.BertProcessing(("[SEP]", 2), ("[CLS]", 1))]),
        ),
    ]
    for ours, ref in pairs:
        assert_same_encoding(ours.process(a_o), ref.process(a_r))
        assert_same_encoding(ours.process(a_o, b_o), ref.process(a_r, b_r))
        assert_same_encoding(ours.process(a_o, b_o, add_special_tokens=False), ref.process(a_r, b_r, add_special_tokens=False))
        assert repr(ours) == repr(ref)
    assert tok_o.encode("hello world").ids == a_o.ids  # inputs untouched


def test_template_processing_api():
    t = OR_.TemplateProcessing(
        single=["[CLS]", "$0", "[SEP]"],
        pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
        special_tokens=[("[CLS]", 1), (2, "[SEP]"), {"id": "X", "ids": [5, 6], "tokens": ["x", "y"]}],
    )
    r = RR.TemplateProcessing(
        single=["[CLS]", "$0", "[SEP]"],
        pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
        special_tokens=[("[CLS]", 1), (2, "[SEP]"), {"id": "X", "ids": [5, 6], "tokens": ["x", "y"]}],
    )
    assert t.single == r.single
    assert t.num_special_tokens_to_add(True) == r.num_special_tokens_to_add(True) == 3
    default = OR_.TemplateProcessing()
    assert repr(default) == repr(RR.TemplateProcessing())


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(pair="$A"), "must use both sequences"),
        (dict(single="[X] $0"), r"Missing SpecialToken\(s\) with id\(s\) `\[X\]`"),
        (dict(single="$A:x"), r'Cannot build Piece from string "\$A:x"'),
        (dict(single="$C"), r'Cannot build Piece from string "\$C"'),
        (dict(special_tokens=[{"id": "X", "ids": [1], "tokens": []}]), "same length"),
    ],
)
def test_template_errors(kwargs, match):
    with pytest.raises(TokenizerError, match=match):
        OR_.TemplateProcessing(**kwargs)


@pytest.mark.parametrize(
    "spec, match",
    [
        ({"type": "Nope"}, r"post_processor\.type.*valid types are"),
        ({"type": "BertProcessing", "sep": ["[SEP]", 2]}, "missing field `cls`"),
        ({"type": "BertProcessing", "sep": ["[SEP]"], "cls": ["[CLS]", 1]}, r"sep"),
        ({"type": "ByteLevel"}, "missing field `add_prefix_space`"),
        ({"type": "TemplateProcessing", "single": "$A"}, "missing field `pair`"),
        ({"type": "Sequence", "processors": [{"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True}, {}]}, r"processors\[1\]"),
    ],
)
def test_bad_processor_json(spec, match):
    with pytest.raises(TokenizerError, match=match):
        post_processor_from_dict(spec)
