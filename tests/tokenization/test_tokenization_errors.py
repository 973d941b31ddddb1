"""Wrong input types and impossible requests raise clear errors."""

from __future__ import annotations

import pytest

from embrace.errors import TokenizerError, TokenizerInputError


def test_wrong_text_types_raise_type_errors(pairs):
    ours, _ = pairs("minilm")
    for bad in (123, [1, 2], {"text": "x"}):
        with pytest.raises(TypeError, match="must be a str"):
            ours(bad)
    with pytest.raises(TokenizerInputError, match="either `text` or `text_target`"):
        ours(text_pair="x")
    with pytest.raises(TokenizerInputError, match="does not match"):
        ours(["a", "b"], ["c"])
    with pytest.raises(TokenizerInputError, match="must be a list"):
        ours(["a", "b"], "c")
    with pytest.raises(TypeError):
        ours.decode("not ids")
    with pytest.raises(ValueError):  # TokenizerInputError is also a ValueError, like the reference's
        ours(3.5)


def test_unknown_options_and_bad_strategies(pairs):
    ours, _ = pairs("minilm")
    with pytest.raises(TypeError, match="retrun_tensors"):
        ours.encode("x", retrun_tensors="pt")
    with pytest.raises(TypeError, match="bogus"):
        ours.tokenize("x", bogus=1)
    with pytest.raises(TypeError):
        ours("x", bogus=1)
    with pytest.raises(TokenizerError, match="longest"):
        ours("x", padding="sideways")
    with pytest.raises(TokenizerError, match="return_tensors"):
        ours("x", return_tensors="tf")
    with pytest.raises(ValueError, match="different lengths"):
        ours(["a", "a b c"], return_tensors="pt")
    with pytest.raises(TokenizerError, match="multiple"):
        ours("x", padding=True, truncation=True, max_length=10, pad_to_multiple_of=8)


def test_padding_without_pad_token_explains_the_fix(pairs):
    ours, _ = pairs("anthropic")
    saved = ours.pad_token
    ours.pad_token = None
    try:
        with pytest.raises(TokenizerError, match="pad_token = tokenizer.eos_token"):
            ours(["a", "b c"], padding=True)
    finally:
        ours.pad_token = saved
    with pytest.raises(TypeError):
        ours.add_special_tokens(["<x>"])
    with pytest.raises(TokenizerError, match="valid names"):
        ours.add_special_tokens({"not_a_token_name": "<x>"})
