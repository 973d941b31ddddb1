"""Marian (OPUS-MT) folders built here: two SentencePiece models trained with the
``sentencepiece`` library (source and target side) and a shared ``vocab.json``.

Our MarianTokenizer against the reference's (a SentencePiece-backed tokenizer): ids,
attention masks, ``text_target`` labels, decode, batch padding/truncation, and folders
saved by one side loaded by the other.
"""

from __future__ import annotations

import json

import pytest
import sentencepiece
import transformers

from embrace.errors import TokenizerError
from embrace.tokenization import AutoTokenizer, MarianTokenizer


@pytest.fixture(scope="module")
def texts(corpus):
    return [t for t in corpus if t.strip()][:150]


@pytest.fixture(scope="module")
def opus_folder(corpus, tmp_path_factory):
    """source.spm trained on the first half of the corpus, target.spm on the second, one vocab.json."""
    root = tmp_path_factory.mktemp("marian")
    half = len(corpus) // 2
    folder = root / "opus-mt"
    folder.mkdir()
    vocab: dict[str, int] = {"</s>": 0, "<unk>": 1, ">>fra<<": 2, ">>deu<<": 3}
    for side, part in (("source", corpus[:half]), ("target", corpus[half:])):
        train = root / f"{side}.txt"
        train.write_text("\n".join(t.replace("\n", " ") for t in part if t.strip()), encoding="utf-8")
        sentencepiece.SentencePieceTrainer.train(
            input=str(train), model_prefix=str(root / side), model_type="unigram", vocab_size=700,
            character_coverage=0.98, hard_vocab_limit=False, minloglevel=2, num_threads=1,
            unk_id=1, eos_id=0, bos_id=-1)
        (folder / f"{side}.spm").write_bytes((root / f"{side}.model").read_bytes())
        processor = sentencepiece.SentencePieceProcessor(model_file=str(root / f"{side}.model"))
        for index in range(processor.get_piece_size()):
            vocab.setdefault(processor.id_to_piece(index), len(vocab))
    vocab["<pad>"] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    (folder / "tokenizer_config.json").write_text(json.dumps(
        {"tokenizer_class": "MarianTokenizer", "source_lang": "eng", "target_lang": "fra"}))
    return folder


@pytest.fixture(scope="module")
def both(opus_folder):
    return MarianTokenizer.from_pretrained(opus_folder), transformers.MarianTokenizer.from_pretrained(str(opus_folder))


def test_ids_masks_and_decode_match(both, texts):
    ours, reference = both
    assert len(ours) == len(reference) and ours.vocab_size == reference.vocab_size
    assert (ours.eos_token_id, ours.pad_token_id, ours.unk_token_id) == (
        reference.eos_token_id, reference.pad_token_id, reference.unk_token_id)
    for text in texts + [">>fra<< Hello world", ">>deu<< a  b"]:
        mine, theirs = ours(text), reference(text)
        assert mine["input_ids"] == theirs["input_ids"], text
        assert mine["attention_mask"] == theirs["attention_mask"], text
        for skip in (True, False):
            assert ours.decode(mine["input_ids"], skip_special_tokens=skip) == reference.decode(
                theirs["input_ids"], skip_special_tokens=skip), text


def test_text_target_uses_the_target_model(both, texts):
    ours, reference = both
    sources, targets = texts[:20], texts[20:40]
    mine = ours(sources, text_target=targets)
    theirs = reference(sources, text_target=targets)
    assert mine["input_ids"] == theirs["input_ids"]
    assert mine["labels"] == theirs["labels"]
    assert ours(text_target=targets[0])["input_ids"] == reference(text_target=targets[0])["input_ids"]
    # the two SentencePiece models segment differently, so labels are not the source encoding
    assert any(a != b for a, b in zip(mine["labels"], ours(targets)["input_ids"]))


def test_batch_padding_and_truncation_match(both, texts):
    ours, reference = both
    batch = texts[40:56]
    for options in (dict(padding=True), dict(padding="max_length", max_length=24, truncation=True),
                    dict(truncation=True, max_length=7), dict(padding=True, return_tensors="pt")):
        mine, theirs = ours(batch, **options), reference(batch, **options)
        for key in ("input_ids", "attention_mask"):
            a, b = mine[key], theirs[key]
            assert (a.tolist() if hasattr(a, "tolist") else a) == (b.tolist() if hasattr(b, "tolist") else b), options
    mine = ours(batch[:4], text_target=batch[4:8], padding=True, truncation=True, max_length=10)
    theirs = reference(batch[:4], text_target=batch[4:8], padding=True, truncation=True, max_length=10)
    assert mine["labels"] == theirs["labels"]


def test_save_with_ours_load_with_reference_and_back(both, texts, tmp_path):
    ours, reference = both
    ours.save_pretrained(tmp_path / "ours")
    loaded = transformers.MarianTokenizer.from_pretrained(str(tmp_path / "ours"))
    sample = texts[:30]
    assert loaded(sample, text_target=sample)["labels"] == ours(sample, text_target=sample)["labels"]
    assert loaded(sample)["input_ids"] == ours(sample)["input_ids"]
    reference.save_pretrained(str(tmp_path / "theirs"))
    again = AutoTokenizer.from_pretrained(tmp_path / "theirs")
    assert type(again) is MarianTokenizer
    assert again(sample, text_target=sample)["labels"] == reference(sample, text_target=sample)["labels"]
    assert again(sample)["input_ids"] == reference(sample)["input_ids"]


def test_missing_target_model_fails_clearly(opus_folder, tmp_path):
    (tmp_path / "vocab.json").write_bytes((opus_folder / "vocab.json").read_bytes())
    (tmp_path / "source.spm").write_bytes((opus_folder / "source.spm").read_bytes())
    with pytest.raises(TokenizerError, match="target_spm"):
        MarianTokenizer.from_pretrained(tmp_path)


def test_our_folder_round_trip_keeps_the_target_model(both, texts, tmp_path):
    ours, _ = both
    written = {p.split("/")[-1] for p in ours.save_pretrained(tmp_path)}
    assert "tokenizer.json" not in written and {"source.spm", "target.spm", "vocab.json"} <= written
    again = AutoTokenizer.from_pretrained(tmp_path)
    sample = texts[60:80]
    assert again(sample, text_target=sample)["labels"] == ours(sample, text_target=sample)["labels"]


def test_separate_vocabularies_are_refused(opus_folder):
    with pytest.raises(TokenizerError, match="separate_vocabs"):
        MarianTokenizer.from_pretrained(opus_folder, separate_vocabs=True)
