"""__call__/decode parity with the reference on real tokenizers and the shared corpus."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from .conftest import plain

NAMES = ["minilm", "bert_legacy", "gpt2", "qwen2", "anthropic"]

OPTIONS = [
    {},
    {"padding": True, "return_offsets_mapping": True, "return_special_tokens_mask": True, "return_length": True},
    {"padding": "max_length", "max_length": 24, "truncation": True, "pad_to_multiple_of": 8},
    {"truncation": True, "max_length": 16, "stride": 4, "return_overflowing_tokens": True, "padding": True},
    {"padding": True, "padding_side": "left", "return_token_type_ids": True, "return_attention_mask": False},
]


def _ready(ours, ref):
    if ref.pad_token is None:  # GPT-2 and anthropic have none: the usual fix, on both sides
        ref.pad_token = ref.eos_token or ref.unk_token or "<EOT>"
        ours.pad_token = ours.eos_token or ours.unk_token or "<EOT>"
    return ours, ref


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(sorted(o)) or "plain")
def test_batch_call_matches_reference(pairs, corpus, name, options):
    ours, ref = _ready(*pairs(name))
    batch = corpus[:64]
    assert plain(ours(batch, **options)) == plain(ref(batch, **options))


@pytest.mark.parametrize("name", NAMES)
def test_pairs_word_ids_and_alignment_match_reference(pairs, corpus, name):
    ours, ref = _ready(*pairs(name))
    firsts, seconds = corpus[10:26], corpus[40:56]
    a = ours(firsts, seconds, truncation="longest_first", max_length=40, return_offsets_mapping=True)
    b = ref(firsts, seconds, truncation="longest_first", max_length=40, return_offsets_mapping=True)
    assert plain(a) == plain(b)
    for i in range(len(firsts)):
        assert a.word_ids(i) == b.word_ids(i)
        assert a.sequence_ids(i) == b.sequence_ids(i)
        assert a.tokens(i) == b.tokens(i)
        for char in range(0, len(firsts[i]), 7):
            assert a.char_to_token(i, char) == b.char_to_token(i, char)
        for token in range(len(a.tokens(i))):
            assert a.token_to_chars(i, token) == b.token_to_chars(i, token)


@pytest.mark.parametrize("name", NAMES)
def test_single_inputs_encode_tokenize_and_decode_match_reference(pairs, corpus, name):
    ours, ref = _ready(*pairs(name))
    for text in corpus[::3]:
        assert plain(ours(text)) == plain(ref(text))
        assert ours.tokenize(text) == ref.tokenize(text)
        ids = ref.encode(text)
        assert ours.encode(text) == ids
        for skip in (False, True):
            assert ours.decode(ids, skip_special_tokens=skip) == ref.decode(ids, skip_special_tokens=skip)
        assert ours.decode(ids, clean_up_tokenization_spaces=True) == ref.decode(ids, clean_up_tokenization_spaces=True)
    batch = ref(corpus[:20], padding=True)["input_ids"]
    assert ours.batch_decode(batch, skip_special_tokens=True) == ref.batch_decode(batch, skip_special_tokens=True)
    assert ours.decode(torch.tensor(batch)) == ref.decode(torch.tensor(batch))


@pytest.mark.parametrize("name", ["minilm", "qwen2"])
def test_return_tensors_pt_and_np(pairs, corpus, name):
    ours, ref = _ready(*pairs(name))
    for kind, cls in (("pt", torch.Tensor), ("np", np.ndarray)):
        a = ours(corpus[:8], padding=True, truncation=True, return_tensors=kind)
        b = ref(corpus[:8], padding=True, truncation=True, return_tensors=kind)
        assert set(a) == set(b)
        for key in a:
            assert isinstance(a[key], cls)
            assert a[key].dtype == b[key].dtype
            assert a[key].tolist() == b[key].tolist()
    single = ours(corpus[0], return_tensors="pt")
    assert single["input_ids"].shape == ref(corpus[0], return_tensors="pt")["input_ids"].shape
    assert single.to("cpu") is single and single.input_ids.device.type == "cpu"


@pytest.mark.parametrize("name", ["minilm", "gpt2"])
def test_split_into_words_targets_and_v4_aliases(pairs, name):
    ours, ref = _ready(*pairs(name))
    words = [["Hello", "wonderful", "world"], ["naïve", "café", "!"]]
    assert plain(ours(words, is_split_into_words=True)) == plain(ref(words, is_split_into_words=True))
    assert ours(words, is_split_into_words=True).word_ids(1) == ref(words, is_split_into_words=True).word_ids(1)
    got = ours("source text", text_target="target text here")
    assert plain(got) == plain(ref("source text", text_target="target text here"))
    assert plain(ours.encode_plus("a b", "c d")) == plain(ref("a b", "c d"))
    assert plain(ours.batch_encode_plus([("a b", "c"), ("d", "e f")])) == plain(ref(["a b", "d"], ["c", "e f"]))
    assert plain(ours.batch_encode_plus(["a b", "d"], padding=True)) == plain(ref(["a b", "d"], padding=True))


@pytest.mark.parametrize("name", ["minilm", "qwen2"])
def test_pad_lists_of_dicts_like_a_collator(pairs, corpus, name):
    ours, ref = _ready(*pairs(name))
    features = [dict(ref(text)) for text in corpus[:6]]
    for options in ({}, {"padding": "max_length", "max_length": 64}, {"pad_to_multiple_of": 8, "return_tensors": "pt"},
                    {"padding_side": "left"}):
        assert plain(ours.pad([dict(f) for f in features], **options)) == plain(ref.pad([dict(f) for f in features], **options))
    tensors = [{k: torch.tensor(v) for k, v in f.items()} for f in features]
    padded = ours.pad(tensors)
    assert isinstance(padded["input_ids"], torch.Tensor)
    assert padded["input_ids"].tolist() == ref.pad(features)["input_ids"]


@pytest.mark.parametrize("name", ["minilm", "qwen2", "gpt2"])
def test_special_tokens_and_vocab_match_reference(pairs, name):
    ours, ref = pairs(name)
    assert ours.special_tokens_map == ref.special_tokens_map
    assert ours.all_special_tokens == ref.all_special_tokens
    assert ours.all_special_ids == ref.all_special_ids
    assert ours.vocab_size == ref.vocab_size and len(ours) == len(ref)
    assert ours.get_vocab() == ref.get_vocab()
    assert ours.added_tokens_encoder == ref.added_tokens_encoder
    assert ours.model_max_length == ref.model_max_length
    assert ours.num_special_tokens_to_add(pair=True) == ref.num_special_tokens_to_add(pair=True)
    tokens = ref.tokenize("Tokenization isn't hard")
    assert ours.convert_tokens_to_ids(tokens) == ref.convert_tokens_to_ids(tokens)
    assert ours.convert_tokens_to_ids("surely-not-a-token-xyz") == ref.convert_tokens_to_ids("surely-not-a-token-xyz")
    ids = ref.convert_tokens_to_ids(tokens)
    assert ours.convert_ids_to_tokens(ids) == ref.convert_ids_to_tokens(ids)
    assert ours.convert_tokens_to_string(tokens) == ref.convert_tokens_to_string(tokens)
    for attr in ("cls_token_id", "sep_token_id", "pad_token_id", "eos_token_id", "bos_token_id", "unk_token_id"):
        assert getattr(ours, attr) == getattr(ref, attr), attr


def test_added_tokens_and_pad_token_assignment_match_reference(folders):
    import transformers

    from embrace.tokenization import AutoTokenizer

    ours, ref = AutoTokenizer.from_pretrained(folders["gpt2"]), transformers.AutoTokenizer.from_pretrained(str(folders["gpt2"]))
    assert ours.add_tokens(["<new>", "hello_world"]) == ref.add_tokens(["<new>", "hello_world"])
    assert ours.add_special_tokens({"pad_token": "<pad>", "additional_special_tokens": ["<x>"]}) == \
        ref.add_special_tokens({"pad_token": "<pad>", "additional_special_tokens": ["<x>"]})
    text = "say <new> then hello_world and <x> <pad>"
    assert plain(ours([text, "short"], padding=True)) == plain(ref([text, "short"], padding=True))
    ours.pad_token = ours.eos_token
    ref.pad_token = ref.eos_token
    assert ours.pad_token_id == ref.pad_token_id
    assert ours.decode(ref(text)["input_ids"], skip_special_tokens=True) == ref.decode(ref(text)["input_ids"], skip_special_tokens=True)
    assert ours.all_special_tokens == ref.all_special_tokens


def test_long_input_warns_like_the_reference(pairs, caplog):
    ours, _ = pairs("minilm")
    ours.deprecation_warnings.clear()
    with caplog.at_level("WARNING", logger="embrace"):
        ids = ours("word " * 600)["input_ids"]
    assert len(ids) == 602
    assert "Token indices sequence length is longer than the specified maximum sequence length" in caplog.text
    assert len(ours("word " * 600, truncation=True)["input_ids"]) == 512


def test_prepare_for_model_and_special_token_helpers(pairs):
    ours, ref = pairs("minilm")
    a, b = ref.encode("first part", add_special_tokens=False), ref.encode("second", add_special_tokens=False)
    assert ours.build_inputs_with_special_tokens(a, b) == ref("first part", "second")["input_ids"]
    assert ours.create_token_type_ids_from_sequences(a, b) == ref("first part", "second")["token_type_ids"]
    assert ours.get_special_tokens_mask(a, b) == ref("first part", "second", return_special_tokens_mask=True)["special_tokens_mask"]
    full = ref("first part")["input_ids"]
    assert ours.get_special_tokens_mask(full, already_has_special_tokens=True) == \
        ref.get_special_tokens_mask(full, already_has_special_tokens=True)
    prepared = ours.prepare_for_model(a, b, max_length=6, truncation="only_second", padding="max_length")
    assert prepared["input_ids"] == ref("first part", "second", max_length=6, truncation="only_second",
                                        padding="max_length")["input_ids"]
