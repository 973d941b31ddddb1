"""Tokenizer API surface: input kinds, settings, errors — same behaviour as the reference."""

from __future__ import annotations

import numpy as np
import pytest

import embrace.tokenizers as O
from embrace.errors import TokenizerError
from tok_core_helpers import assert_same_encodings, fresh_pair, real_json

R = pytest.importorskip("tokenizers")


@pytest.fixture()
def pair(assets_dir):
    ours, ref = fresh_pair(real_json(str(assets_dir), "minilm"))
    ours.no_padding()
    ref.no_padding()
    return ours, ref


def test_batch_input_kinds(pair):
    ours, ref = pair
    text_inputs = ["a b", ("x", "y"), ["first", "second"], "", ("", "")]
    assert_same_encodings(ours.encode_batch(text_inputs), ref.encode_batch(text_inputs), text_inputs)
    pre_inputs = [["a", "b"], ("x", "y"), (["a", "b"], ["c"]), [["a"], ["b"]]]
    assert_same_encodings(
        ours.encode_batch(pre_inputs, is_pretokenized=True), ref.encode_batch(pre_inputs, is_pretokenized=True), pre_inputs
    )
    # numpy string arrays are accepted as pre-tokenized input (the reference reports odd
    # offsets for them, read from numpy's fixed-width buffer; the ids agree)
    arr = np.array(["hello", "world"])
    assert ours.encode_batch([arr], is_pretokenized=True)[0].ids == ref.encode_batch([arr], is_pretokenized=True)[0].ids
    words = ("Hello", "wörld", "!")
    assert ours.encode(words, is_pretokenized=True).offsets == ref.encode(words, is_pretokenized=True).offsets


@pytest.mark.parametrize(
    "call",
    [
        lambda t: t.encode(123),
        lambda t: t.encode(["a", "b"]),
        lambda t: t.encode("a", ["b"]),
        lambda t: t.encode("hello", is_pretokenized=True),
        lambda t: t.encode_batch("hello"),
        lambda t: t.encode_batch([["a", "b", "c"]]),
        lambda t: t.decode("abc"),
        lambda t: t.add_tokens("abc"),
        lambda t: t.add_tokens([1]),
        lambda t: setattr(t, "normalizer", 3),
        lambda t: setattr(t, "pre_tokenizer", "x"),
        lambda t: setattr(t, "post_processor", 1.5),
        lambda t: setattr(t, "decoder", object()),
    ],
)
def test_type_errors_like_reference(pair, call):
    ours, ref = pair
    with pytest.raises(TypeError):
        call(ref)
    with pytest.raises(TypeError):
        call(ours)


def test_settings_and_their_errors(pair):
    ours, ref = pair
    for tok in (ours, ref):
        tok.enable_truncation(20, stride=3, strategy="only_first", direction="left")
        tok.enable_padding(direction="left", pad_id=9, pad_type_id=1, pad_token="<p>", length=24, pad_to_multiple_of=8)
    assert ours.truncation == ref.truncation
    assert ours.padding == ref.padding
    texts = ["a b c d e f g h i j k l m n o p q r s t u v w x y z " * 2, "short"]
    assert_same_encodings(ours.encode_batch(texts), ref.encode_batch(texts), texts)
    for tok in (ours, ref):
        tok.no_truncation()
        tok.no_padding()
    assert ours.truncation is None and ours.padding is None
    with pytest.raises(TokenizerError, match="stride set to 4"):
        ours.enable_truncation(5, stride=4)
    with pytest.raises(TokenizerError, match="Unknown `strategy`"):
        ours.enable_truncation(5, strategy="middle")
    with pytest.raises(TokenizerError, match="Unknown `direction`"):
        ours.enable_padding(direction="up")
    # max_length smaller than the special tokens: the reference does not truncate at all
    ours.enable_truncation(1)
    ref.enable_truncation(1)
    assert ours.encode("hello world foo bar").ids == ref.encode("hello world foo bar").ids
    with pytest.raises(OverflowError):
        ours.decode([101, -1])
    with pytest.raises(OverflowError):
        ours.decode([101, 2**40])
    assert ours.decode([]) == ref.decode([]) == ""


def test_components_are_settable(pair):
    ours, ref = pair
    for tok, mod in ((ours, O), (ref, R)):
        tok.normalizer = mod.normalizers.Sequence([mod.normalizers.NFKC(), mod.normalizers.Lowercase()])
        tok.pre_tokenizer = mod.pre_tokenizers.Whitespace()
        tok.post_processor = mod.processors.BertProcessing(("[SEP]", 102), ("[CLS]", 101))
        tok.decoder = None
    texts = ["Hello, WORLD!", "ＡＢＣ don't"]
    assert_same_encodings(ours.encode_batch(texts), ref.encode_batch(texts), texts)
    ids = ours.encode(texts[0]).ids
    assert ours.decode(ids) == ref.decode(ids)
    assert isinstance(ours.normalizer, O.normalizers.Sequence)
    assert isinstance(ours.model, O.models.WordPiece)
    for tok in (ours, ref):
        tok.normalizer = None
        tok.pre_tokenizer = None
        tok.post_processor = None
    assert_same_encodings(ours.encode_batch(texts), ref.encode_batch(texts), texts)


def test_public_exports():
    for name in ("Tokenizer", "Encoding", "AddedToken", "NormalizedString", "PreTokenizedString", "Regex", "Token",
                 "normalizers", "pre_tokenizers", "models", "processors", "decoders", "trainers"):
        assert hasattr(O, name), name
    for module in ("normalizers", "pre_tokenizers", "processors"):
        ref_names = {n for n in dir(getattr(R, module)) if n[0].isupper()}
        ours_names = {n for n in dir(getattr(O, module)) if n[0].isupper()}
        assert ref_names <= ours_names, (module, ref_names - ours_names)
