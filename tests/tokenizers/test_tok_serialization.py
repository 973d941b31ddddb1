"""tokenizer.json: byte-identical output, both-way round trips, clear errors on bad files."""

from __future__ import annotations

import json
import os
import pickle

import pytest

import embrace.tokenizers as O
from embrace.errors import TokenizerError
from embrace.tokenizers.serialization import dumps, format_float
from tok_core_helpers import REAL_FILES, assert_same_encoding, fresh_pair, gpt2_json, real_json, subset, unigram_json

R = pytest.importorskip("tokenizers")


def _all_json(assets_dir):
    out = {name: real_json(str(assets_dir), name) for name in REAL_FILES}
    out["gpt2"] = gpt2_json(str(assets_dir), "gpt2")
    out["roberta"] = gpt2_json(str(assets_dir), "roberta")
    out["unigram"] = unigram_json()
    return out


def test_to_str_is_byte_identical(assets_dir):
    for name, text in _all_json(assets_dir).items():
        if name == "gpt2":  # same layout as roberta
            continue
        ours, ref = fresh_pair(text)
        assert ours.to_str() == ref.to_str(), name
        assert ours.to_str(pretty=True) == ref.to_str(pretty=True), name


def test_reference_loads_what_we_save(assets_dir, tmp_path):
    texts = subset(9)
    for name, text in _all_json(assets_dir).items():
        if name in ("qwen2", "gpt2", "anthropic"):  # big files; their components are covered
            continue
        ours, ref = fresh_pair(text)
        ours.enable_truncation(64, stride=8, strategy="only_first", direction="left")
        ours.enable_padding(direction="left", pad_id=1, pad_token="<pad>", length=70, pad_to_multiple_of=8)
        ours.add_tokens(["brandnewtoken", O.AddedToken("<x>", single_word=True, lstrip=True, rstrip=True, normalized=False)])
        ours.add_special_tokens(["<special>"])
        path = tmp_path / f"{name}.json"
        ours.save(str(path))
        loaded = R.Tokenizer.from_file(str(path))
        assert loaded.to_str() == ours.to_str(), name
        assert loaded.truncation == ours.truncation and loaded.padding == ours.padding
        assert_same_encoding(ours.encode_batch(texts)[3], loaded.encode_batch(texts)[3], name)
        # and back again, from the reference's bytes
        again = O.Tokenizer.from_str(loaded.to_str(pretty=True))
        assert again.to_str() == loaded.to_str()


def test_from_file_buffer_and_pickle(assets_dir, tmp_path):
    text = real_json(str(assets_dir), "minilm")
    path = tmp_path / "tokenizer.json"
    path.write_text(text, encoding="utf-8")
    a = O.Tokenizer.from_file(str(path))
    b = O.Tokenizer.from_buffer(text.encode("utf-8"))
    c = pickle.loads(pickle.dumps(a))
    assert a.to_str() == b.to_str() == c.to_str()
    assert c.encode("hello [MASK] world").ids == a.encode("hello [MASK] world").ids


def test_save_is_atomic(tmp_path, monkeypatch):
    tok = O.Tokenizer(O.models.WordLevel({"a": 0}, unk_token="a"))
    path = tmp_path / "tokenizer.json"
    tok.save(str(path))
    before = path.read_bytes()
    assert json.loads(before)["model"]["type"] == "WordLevel"

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    tok.add_tokens(["zzz"])
    with pytest.raises(OSError, match="disk full"):
        tok.save(str(path))
    assert path.read_bytes() == before  # old file intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tokenizer.json"]  # no temp file left
    with pytest.raises(IsADirectoryError):
        tok.save(str(tmp_path))


def test_from_pretrained_local_folder(tmp_path):
    tok = O.Tokenizer(O.models.WordLevel({"a": 0, "b": 1}, unk_token="a"))
    tok.save(str(tmp_path / "tokenizer.json"))
    loaded = O.Tokenizer.from_pretrained(str(tmp_path))
    assert loaded.to_str() == tok.to_str()


def test_float_formatting_matches_reference():
    values = [0.0, -0.0, 1.0, -2.5, 0.1, 1e-5, 1.5e-5, 1e-7, -3.25e-12, 123456.789, 1e15, 1e16, 1.5e16, 1e21, 2.0**60, 5e-324, 123e-7, 1.5e-4, 1e17]
    vocab = [(f"t{i}", v) for i, v in enumerate(values)]
    ref = R.Tokenizer(R.models.Unigram(vocab, 0, False))
    expected = ref.to_str()
    start = expected.index('"vocab":[') + len('"vocab":[')
    for (_, v), chunk in zip(vocab, expected[start:].split("],[")):
        assert format_float(v) == chunk.split(",")[1].rstrip("]}"), v
    assert dumps({"a": [1, 0.5, None, True, "é\n"]}) == '{"a":[1,0.5,null,true,"é\\n"]}'


BAD_FILES = [
    ("{not json", r"not valid JSON.*line 1 column 2"),
    ("[1, 2]", r"must hold a JSON object"),
    ('{"version": "2.0", "model": {"type": "WordLevel", "vocab": {}, "unk_token": "a"}}', r"version"),
    ('{"version": "1.0"}', r"model: missing field `model`"),
    ('{"version": "1.0", "model": {"type": "Nope"}}', r"model\.type.*Nope.*valid types"),
    ('{"version": "1.0", "model": 3}', r"model: expected a JSON object"),
    ('{"version": "1.0", "normalizer": {"type": "Upper"}, "model": {"type": "WordLevel", "vocab": {}, "unk_token": "a"}}', r"normalizer\.type.*Upper"),
    ('{"version": "1.0", "pre_tokenizer": {"kind": "x"}, "model": {"type": "WordLevel", "vocab": {}, "unk_token": "a"}}', r"pre_tokenizer: missing field `type`"),
    ('{"version": "1.0", "post_processor": {"type": "Bert"}, "model": {"type": "WordLevel", "vocab": {}, "unk_token": "a"}}', r"post_processor\.type"),
    ('{"version": "1.0", "decoder": {"type": "Magic"}, "model": {"type": "WordLevel", "vocab": {}, "unk_token": "a"}}', r"decoder\.type.*Magic"),
    ('{"version": "1.0", "truncation": {"max_length": 5}, "model": {"type": "WordLevel", "vocab": {}, "unk_token": "a"}}', r"truncation: missing field `strategy`"),
    ('{"version": "1.0", "truncation": {"max_length": 5, "strategy": "Middle"}, "model": {"type": "WordLevel", "vocab": {}, "unk_token": "a"}}', r"truncation\.strategy"),
    ('{"version": "1.0", "padding": {"strategy": "Huge"}, "model": {"type": "WordLevel", "vocab": {}, "unk_token": "a"}}', r"padding\.strategy"),
    ('{"version": "1.0", "added_tokens": [{"content": "x"}], "model": {"type": "WordLevel", "vocab": {}, "unk_token": "a"}}', r"added_tokens\[0\]: missing field `id`"),
    ('{"version": "1.0", "added_tokens": [{"id": 1, "content": 5}], "model": {"type": "WordLevel", "vocab": {}, "unk_token": "a"}}', r"added_tokens\[0\]\.content"),
    ('{"version": "1.0", "added_tokens": {}, "model": {"type": "WordLevel", "vocab": {}, "unk_token": "a"}}', r"added_tokens: expected a list"),
]


@pytest.mark.parametrize("text, match", BAD_FILES)
def test_malformed_files_raise_tokenizer_error(text, match):
    with pytest.raises(TokenizerError, match=match):
        O.Tokenizer.from_str(text)
    with pytest.raises(ValueError):  # TokenizerError is a ValueError
        O.Tokenizer.from_str(text)


def test_bad_file_on_disk_names_the_path(tmp_path):
    path = tmp_path / "tokenizer.json"
    path.write_text('{"version": "1.0", "model": {"type": "Nope"}}', encoding="utf-8")
    with pytest.raises(TokenizerError, match=str(path)):
        O.Tokenizer.from_file(str(path))
    with pytest.raises(FileNotFoundError):
        O.Tokenizer.from_file(str(tmp_path / "missing.json"))
    with pytest.raises(TokenizerError, match="UTF-8"):
        O.Tokenizer.from_buffer(b"\xff\xfe{}")
