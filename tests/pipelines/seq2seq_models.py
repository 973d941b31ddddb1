"""Tiny random encoder-decoders saved by the current reference, with real-ish tokenizers, for the
seq2seq pipeline tests: BART (GPT-2's byte-level BPE files), T5 and Marian (a SentencePiece
model trained here on the shared tokenizer corpus)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import sentencepiece
import torch
import transformers

CORPUS = Path(__file__).resolve().parents[1] / "tokenizers" / "data" / "corpus.jsonl"
T5_TASK_PARAMS = {
    "summarization": {"prefix": "summarize: ", "max_length": 24, "min_length": 4, "num_beams": 2,
                      "no_repeat_ngram_size": 2},
    "translation_en_to_fr": {"prefix": "translate English to French: ", "max_length": 30, "num_beams": 3},
}


def gpt2_files(assets_dir: Path) -> Path:
    return assets_dir / "openai-whisper" / "openai-whisper-20230124" / "whisper" / "assets" / "gpt2"


def build_bart(folder: Path, assets_dir: Path, head: str = "BartForConditionalGeneration", **extra) -> Path:
    """A BART tokenizer over GPT-2's vocab.json / merges.txt and a 1-layer random BART."""
    staging = folder / "gpt2-files"
    staging.mkdir()
    for name in ("vocab.json", "merges.txt"):
        shutil.copy(gpt2_files(assets_dir) / name, staging / name)
    tokenizer = transformers.BartTokenizer.from_pretrained(str(staging))
    shutil.rmtree(staging)
    tokenizer.save_pretrained(str(folder))
    config = transformers.BartConfig(
        vocab_size=len(tokenizer), d_model=16, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
        decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32, max_position_embeddings=300,
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.eos_token_id, forced_eos_token_id=tokenizer.eos_token_id, init_std=0.5, **extra)
    torch.manual_seed(0)
    getattr(transformers, head)(config).eval().save_pretrained(str(folder))
    return folder


def train_sentencepiece(folder: Path, *, vocab_size: int = 400, **ids: int) -> Path:
    texts = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    train = folder / "train.txt"
    train.write_text("\n".join(t.replace("\n", " ") for t in texts[::4] if isinstance(t, str) and t.isascii() and t.strip()),
                     encoding="utf-8")
    sentencepiece.SentencePieceTrainer.train(
        input=str(train), model_prefix=str(folder / "sp"), model_type="unigram", vocab_size=vocab_size,
        character_coverage=0.98, hard_vocab_limit=False, minloglevel=2, num_threads=1, bos_id=-1, **ids)
    train.unlink()
    (folder / "sp.vocab").unlink()
    return folder / "sp.model"


def build_t5(folder: Path) -> Path:
    """A T5 SentencePiece tokenizer (inputs truncated at 24 tokens) and a 2-layer random T5
    whose config carries summarization / translation task parameters with prefixes."""
    model_file = train_sentencepiece(folder, pad_id=0, eos_id=1, unk_id=2)
    model_file.rename(folder / "spiece.model")
    tokenizer = transformers.T5Tokenizer.from_pretrained(str(folder), model_max_length=24)
    (folder / "spiece.model").unlink()
    tokenizer.save_pretrained(str(folder))
    # transformers 4.x reads the sentinels from "additional_special_tokens" (a list under
    # "extra_special_tokens" makes it fail); embrace reads both spellings.
    settings = json.loads((folder / "tokenizer_config.json").read_text())
    settings["additional_special_tokens"] = settings.pop("extra_special_tokens")
    (folder / "tokenizer_config.json").write_text(json.dumps(settings))
    config = transformers.T5Config(vocab_size=len(tokenizer), d_model=16, d_kv=8, d_ff=32, num_layers=2,
                                   num_heads=2, decoder_start_token_id=0, pad_token_id=0, eos_token_id=1,
                                   task_specific_params=T5_TASK_PARAMS, initializer_factor=8.0)
    torch.manual_seed(0)
    transformers.T5ForConditionalGeneration(config).eval().save_pretrained(str(folder))
    return folder


def build_marian(folder: Path) -> Path:
    """A Marian tokenizer (one SentencePiece model as source and target) and a 1-layer random MarianMTModel."""
    model_file = train_sentencepiece(folder, unk_id=1, eos_id=0)
    processor = sentencepiece.SentencePieceProcessor(model_file=str(model_file))
    vocab = {"</s>": 0, "<unk>": 1}
    for index in range(processor.get_piece_size()):
        vocab.setdefault(processor.id_to_piece(index), len(vocab))
    vocab["<pad>"] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    shutil.copy(model_file, folder / "source.spm")
    model_file.rename(folder / "target.spm")
    (folder / "tokenizer_config.json").write_text(json.dumps(
        {"tokenizer_class": "MarianTokenizer", "source_lang": "eng", "target_lang": "fra"}))
    config = transformers.MarianConfig(
        vocab_size=len(vocab), d_model=16, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
        decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32, max_position_embeddings=128,
        pad_token_id=vocab["<pad>"], eos_token_id=0, decoder_start_token_id=vocab["<pad>"], forced_eos_token_id=0, init_std=0.5)
    torch.manual_seed(0)
    transformers.MarianMTModel(config).eval().save_pretrained(str(folder))
    return folder


def build_mbart(folder: Path) -> Path:
    """An mBART tokenizer (fairseq ids + language codes over a SentencePiece model trained here)
    and a 1-layer random MBartForConditionalGeneration."""
    train_sentencepiece(folder, unk_id=0, eos_id=1).rename(folder / "sentencepiece.bpe.model")
    tokenizer = transformers.MBartTokenizer.from_pretrained(str(folder))
    (folder / "sentencepiece.bpe.model").unlink()
    tokenizer.save_pretrained(str(folder))
    settings = json.loads((folder / "tokenizer_config.json").read_text())
    if isinstance(settings.get("extra_special_tokens"), list):  # the spelling transformers 4.x reads
        settings["additional_special_tokens"] = settings.pop("extra_special_tokens")
    (folder / "tokenizer_config.json").write_text(json.dumps(settings))
    config = transformers.MBartConfig(
        vocab_size=len(tokenizer), d_model=16, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
        decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32, max_position_embeddings=128,
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.eos_token_id, forced_eos_token_id=tokenizer.eos_token_id, init_std=0.5)
    torch.manual_seed(0)
    transformers.MBartForConditionalGeneration(config).eval().save_pretrained(str(folder))
    return folder
