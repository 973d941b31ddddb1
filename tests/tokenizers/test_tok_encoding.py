"""Encoding: lookups (char/word/token/sequence), merge, pad and truncate vs the reference."""

from __future__ import annotations

import copy
import pickle

import pytest

import embrace.tokenizers as O
from embrace.errors import TokenizerError
from tok_core_helpers import assert_same_encoding, load_pair, real_json

R = pytest.importorskip("tokenizers")

TEXTS = [
    ("Hello, y'all! How are you 😁 ?", "Fine, thanks — and you?"),
    ("Héllo wörld  [MASK] tokenization", "a b c"),
    ("", "only pair"),
]


@pytest.fixture(scope="module")
def pair(assets_dir):
    ours, ref = load_pair(real_json(str(assets_dir), "minilm"))
    return ours, ref


def _encodings(tokenizers):
    ours, ref = tokenizers
    out = []
    for a, b in TEXTS:
        out.append((ours.encode(a, b), ref.encode(a, b)))
        out.append((ours.encode(a), ref.encode(a)))
    return out


def test_lookup_methods(pair):
    for eo, er in _encodings(pair):
        n = len(er)
        assert len(eo) == n
        assert eo.n_sequences == er.n_sequences
        for i in range(-1, n + 2):
            if i < 0:
                continue
            assert eo.token_to_sequence(i) == er.token_to_sequence(i), i
            assert eo.token_to_chars(i) == er.token_to_chars(i), i
            assert eo.token_to_word(i) == er.token_to_word(i), i
        for seq in (0, 1, 2):
            for pos in range(0, 40):
                assert eo.char_to_token(pos, seq) == er.char_to_token(pos, seq), (pos, seq)
                assert eo.char_to_word(pos, seq) == er.char_to_word(pos, seq), (pos, seq)
            for word in range(0, 12):
                assert eo.word_to_tokens(word, seq) == er.word_to_tokens(word, seq), (word, seq)
                assert eo.word_to_chars(word, seq) == er.word_to_chars(word, seq), (word, seq)
        assert eo.words == er.words


def test_merge_pad_truncate(pair):
    (a_o, a_r), (b_o, b_r) = _encodings(pair)[:2]
    for growing in (True, False):
        assert_same_encoding(O.Encoding.merge([a_o, b_o], growing), R.Encoding.merge([a_r, b_r], growing))
    assert_same_encoding(O.Encoding.merge([]), R.Encoding.merge([]))
    ours, ref = pair
    for max_length, stride, direction in [(10, 3, "right"), (7, 0, "left"), (0, 0, "right"), (500, 2, "right")]:
        eo, er = ours.encode(TEXTS[0][0], TEXTS[0][1]), ref.encode(TEXTS[0][0], TEXTS[0][1])
        eo.truncate(max_length, stride, direction)
        er.truncate(max_length, stride, direction)
        assert_same_encoding(eo, er, (max_length, stride, direction))
        eo.pad(200, direction="left", pad_id=7, pad_type_id=2, pad_token="<p>")
        er.pad(200, direction="left", pad_id=7, pad_type_id=2, pad_token="<p>")
        assert_same_encoding(eo, er, "pad")
        eo.set_sequence_id(1)
        er.set_sequence_id(1)
        assert_same_encoding(eo, er, "set_sequence_id")
    eo = ours.encode("a b c d e f g h", add_special_tokens=False)
    with pytest.raises(TokenizerError, match="stride"):
        eo.truncate(3, 3)
    with pytest.raises(TokenizerError, match="direction"):
        eo.truncate(3, 0, "up")


def test_empty_encoding_and_repr():
    e, r = O.Encoding(), R.Encoding()
    assert repr(e) == repr(r)
    assert (len(e), e.n_sequences, e.ids, e.sequence_ids) == (len(r), r.n_sequences, r.ids, r.sequence_ids)
    assert e.char_to_token(0) is None and e.word_to_tokens(0) is None


def test_copy_and_pickle(pair):
    ours, _ = pair
    enc = ours.encode("hello there", "general kenobi")
    clone = pickle.loads(pickle.dumps(enc))
    assert clone.ids == enc.ids and clone.offsets == enc.offsets and clone.sequence_ids == enc.sequence_ids
    deep = copy.deepcopy(enc)
    deep.pad(200)
    assert len(enc) != len(deep)
