"""SentencePiece .model files: our reader + converter against the sentencepiece library itself."""

from __future__ import annotations

import shutil

import pytest
import sentencepiece

from embrace.errors import TokenizerError
from embrace.tokenization import AutoTokenizer, LlamaTokenizer, T5Tokenizer
from embrace.tokenization.sentencepiece_model import load_model, parse_model

MODELS = ["tokenizer.model.v1", "mistral_instruct_tokenizer_240323.model.v3"]


@pytest.fixture(scope="module")
def spm_dir(assets_dir):
    return assets_dir / "mistral-common" / "mistral_common" / "data"


@pytest.mark.parametrize("name", MODELS)
def test_llama_bpe_ids_and_decode_match_sentencepiece(spm_dir, corpus, name):
    # Ground truth is sentencepiece. Text is encoded with split_special_tokens=True because
    # sentencepiece never treats "<s>" typed in the text as a control token.
    reference = sentencepiece.SentencePieceProcessor(model_file=str(spm_dir / name))
    ours = LlamaTokenizer(vocab_file=str(spm_dir / name))
    for text in corpus + ["  two  leading", "a\u3000b", "emoji 🤗 bytes \x00"]:
        ids = ours(text, add_special_tokens=False, split_special_tokens=True)["input_ids"]
        assert ids == reference.encode(text), text
        assert ours.decode(ids) == reference.decode(ids), text


def test_proto_fields_match_sentencepiece(spm_dir):
    proto = load_model(str(spm_dir / MODELS[0]))
    reference = sentencepiece.SentencePieceProcessor(model_file=str(spm_dir / MODELS[0]))
    assert len(proto.pieces) == reference.get_piece_size()
    for i in (0, 1, 2, 3, 300, 31999):
        assert proto.pieces[i].piece == reference.id_to_piece(i)
        assert proto.pieces[i].score == pytest.approx(reference.get_score(i))
    assert (proto.trainer_spec.bos_id, proto.trainer_spec.eos_id, proto.trainer_spec.unk_id) == (1, 2, 0)
    assert proto.trainer_spec.byte_fallback


def test_unigram_model_matches_sentencepiece(tmp_path, corpus):
    text_file = tmp_path / "train.txt"
    ascii_texts = [t for t in corpus if t.isascii() and t.strip()]
    text_file.write_text("\n".join(ascii_texts * 3), encoding="utf-8")
    sentencepiece.SentencePieceTrainer.train(
        input=str(text_file), model_prefix=str(tmp_path / "spiece"), vocab_size=150, model_type="unigram",
        character_coverage=1.0, minloglevel=2, num_threads=1)
    reference = sentencepiece.SentencePieceProcessor(model_file=str(tmp_path / "spiece.model"))
    ours = T5Tokenizer(vocab_file=str(tmp_path / "spiece.model"), extra_ids=0)
    for text in corpus[:120] + ["a <s> b </s> <unk> c", "x<y>"]:  # control pieces typed in text are plain text
        ids = ours(text, add_special_tokens=False, split_special_tokens=True)["input_ids"]
        assert ids == reference.encode(text), text
    assert ours("hello")["input_ids"][-1] == ours.eos_token_id


def test_folder_round_trip_copies_the_model(spm_dir, tmp_path):
    shutil.copy(spm_dir / MODELS[0], tmp_path / "tokenizer.model")
    (tmp_path / "tokenizer_config.json").write_text('{"tokenizer_class": "LlamaTokenizer", "add_bos_token": true}')
    tok = AutoTokenizer.from_pretrained(tmp_path)
    assert tok("hi")["input_ids"][0] == tok.bos_token_id == 1
    assert tok.padding_side == "left"
    out = tmp_path / "saved"
    tok.save_pretrained(out)
    assert (out / "tokenizer.model").read_bytes() == (tmp_path / "tokenizer.model").read_bytes()
    again = AutoTokenizer.from_pretrained(out)
    assert again("hi  there")["input_ids"] == tok("hi  there")["input_ids"]


def test_corrupt_models_fail_clearly(spm_dir, tmp_path):
    data = (spm_dir / MODELS[0]).read_bytes()
    with pytest.raises(TokenizerError, match="truncated"):
        parse_model(data[:1000])
    with pytest.raises(TokenizerError, match="no pieces"):
        parse_model(b"")
    bad = tmp_path / "bad.model"
    bad.write_bytes(b"\x0f\x0f\x0f")
    with pytest.raises(TokenizerError, match="bad.model"):
        LlamaTokenizer(vocab_file=str(bad))
    with pytest.raises(TokenizerError, match="vocab_file"):
        LlamaTokenizer()
