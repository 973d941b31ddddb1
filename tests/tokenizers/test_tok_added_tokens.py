"""Added tokens: ids, matching rules (raw vs normalized, longest match, single_word,
lstrip/rstrip), special-token skipping when decoding, and the API around them."""

from __future__ import annotations

import pytest

import embrace.tokenizers as O
from tok_core_helpers import assert_same_encodings, corpus, fresh_pair, gpt2_json, real_json

R = pytest.importorskip("tokenizers")

TEXTS = [
    "I saw a [MASK] and a [mask] in the [MASK][MASK] yesterday",
    "  <mask>  the lion <mask>, said <MASK>",
    "tokenizing tokens ing ing. ingot ing-ing",
    "Yesterday YESTERDAY yesterday's yesterdays",
    "hello<sep>world <sep> <sepx> x<sep",
    "multi word token here: new york city in New York City",
    "overlapping: abcd abc bcd abcde",
    "日本語トークン と 日本 語",
    "special 😀 emoji token 😀😀",
    "\u00a0 spaces\t before\ntoken\u3000 [MASK]\u3000",
    "",
]


def _add(tok, mod):
    A = mod.AddedToken
    added = tok.add_tokens(
        [
            "yesterday",
            A("ing", single_word=True),
            A("<mask>", lstrip=True, rstrip=True, normalized=False),
            A("<sep>", rstrip=True),
            "new york",
            A("New York City", normalized=False),
            "abc",
            "abcd",
            "bcd",
            "日本",
            A("😀", lstrip=True),
            "",
        ]
    )
    special = tok.add_special_tokens(["[MASK]", A("<MASK>", normalized=True, single_word=True), "[MASK]"])
    again = tok.add_tokens(["abc", A("abc", lstrip=True)])
    return added, special, again


@pytest.mark.parametrize("name", ["minilm", "gpt2", "roberta", "qwen2"])
def test_added_tokens_parity(assets_dir, name):
    text = real_json(str(assets_dir), name) if name in ("minilm", "qwen2") else gpt2_json(str(assets_dir), name)
    ours, ref = fresh_pair(text)
    if name == "minilm":
        ours.no_padding(), ref.no_padding()
    assert _add(ours, O) == _add(ref, R)
    texts = TEXTS + list(corpus()[::40])
    assert_same_encodings(ours.encode_batch(texts), ref.encode_batch(texts), texts)
    pairs = list(zip(texts, reversed(texts)))
    assert_same_encodings(ours.encode_batch(pairs), ref.encode_batch(pairs), pairs)
    ids = [e.ids for e in ref.encode_batch(texts)]
    assert ours.decode_batch(ids) == ref.decode_batch(ids)
    assert ours.decode_batch(ids, skip_special_tokens=False) == ref.decode_batch(ids, skip_special_tokens=False)
    assert ours.get_vocab() == ref.get_vocab()
    assert ours.get_vocab_size() == ref.get_vocab_size()
    assert {k: repr(v) for k, v in ours.get_added_tokens_decoder().items()} == {
        k: repr(v) for k, v in ref.get_added_tokens_decoder().items()
    }
    assert ours.to_str() == ref.to_str()
    ours.encode_special_tokens = True
    ref.encode_special_tokens = True
    assert_same_encodings(ours.encode_batch(texts), ref.encode_batch(texts), texts)


def test_normalizer_change_refreshes_normalized_tokens(assets_dir):
    ours, ref = fresh_pair(gpt2_json(str(assets_dir), "gpt2"))
    for tok, mod in ((ours, O), (ref, R)):
        tok.add_tokens(["hello world"])
        tok.normalizer = mod.normalizers.Lowercase()
    texts = ["HELLO WORLD", "Hello World!", "hello world"]
    assert_same_encodings(ours.encode_batch(texts), ref.encode_batch(texts), texts)


def test_added_token_object_api():
    ours = O.AddedToken("<x>", special=True, lstrip=True)
    ref = R.AddedToken("<x>", special=True, lstrip=True)
    assert repr(ours) == repr(ref) and str(ours) == str(ref)
    assert ours.__getstate__() == ref.__getstate__()
    assert O.AddedToken().content == R.AddedToken().content == ""
    assert O.AddedToken("a") == O.AddedToken("a") and O.AddedToken("a") != O.AddedToken("a", lstrip=True)
    ours.content = "<y>"
    ours.special = False
    assert (ours.content, ours.special, ours.normalized) == ("<y>", False, False)
    assert O.AddedToken("q", special=True).normalized is False
    assert O.AddedToken("q").normalized is True


def test_model_vocab_tokens_keep_their_ids(assets_dir):
    ours, ref = fresh_pair(real_json(str(assets_dir), "minilm"))
    counts = []
    for tok in (ours, ref):
        counts.append((tok.add_tokens(["hello", "[unused5]", "zzzqqq"]), tok.add_special_tokens(["[CLS]", "<new_special>"])))
    assert counts[0] == counts[1] == (3, 1)  # [CLS] is already an identical added token
    assert ours.get_added_tokens_decoder().keys() == ref.get_added_tokens_decoder().keys()
    assert ours.token_to_id("zzzqqq") == ref.token_to_id("zzzqqq") == 30522
    assert ours.token_to_id("hello") == ref.token_to_id("hello")
