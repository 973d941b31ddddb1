"""Tiny random reference models, saved once per session with the real MiniLM WordPiece
tokenizer (or SmolLM2's BPE tokenizer for causal LMs), for pipeline parity tests."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
import torch
import transformers

ROOT = Path(__file__).resolve().parents[2]
# The reference's conversion of SmolLM2's GGUF tokenizer takes ~10 s; its saved files are kept
# here (git-ignored, next to the assets) so later sessions reuse them.
SMOLLM2_TOKENIZER_CACHE = ROOT / ".cache" / "test-artifacts" / "smollm2-tokenizer-reference"

TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37)

# head -> (reference class, extra config)
HEADS = {
    "base": ("BertModel", {}),
    "classifier": ("BertForSequenceClassification",
                   {"id2label": {0: "negative", 1: "neutral", 2: "positive"}}),
    "ner": ("BertForTokenClassification",
            {"id2label": {0: "O", 1: "B-PER", 2: "I-PER", 3: "B-LOC", 4: "I-LOC", 5: "MISC"}}),
    "mlm": ("BertForMaskedLM", {}),
    "nli": ("BertForSequenceClassification",
            {"id2label": {0: "contradiction", 1: "neutral", 2: "entailment"}}),
}


def _save_tokenizer_files(minilm_dir: Path, target: Path) -> None:
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
        shutil.copy(minilm_dir / name, target / name)


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory, minilm_dir):
    """head name -> folder with a tiny random reference BERT of that head + MiniLM's tokenizer."""
    built: dict[str, Path] = {}

    def build(head: str) -> Path:
        if head not in built:
            class_name, extra = HEADS[head]
            if "id2label" in extra:
                extra = {**extra, "label2id": {label: i for i, label in extra["id2label"].items()}}
            config = transformers.BertConfig(vocab_size=30522, **TINY, **extra)
            torch.manual_seed(0)
            model = getattr(transformers, class_name)(config).eval()
            folder = tmp_path_factory.mktemp(f"tiny-{head}")
            model.save_pretrained(folder)
            _save_tokenizer_files(minilm_dir, folder)
            built[head] = folder
        return built[head]

    return build


def _smollm2_tokenizer_files(smollm2_gguf: Path) -> Path:
    """SmolLM2's tokenizer as saved by the reference from the GGUF file, converted once."""
    if not (SMOLLM2_TOKENIZER_CACHE / "tokenizer.json").exists():
        SMOLLM2_TOKENIZER_CACHE.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=SMOLLM2_TOKENIZER_CACHE.parent))
        tokenizer = transformers.AutoTokenizer.from_pretrained(smollm2_gguf.parent, gguf_file=smollm2_gguf.name)
        tokenizer.save_pretrained(staging)
        try:
            os.replace(staging, SMOLLM2_TOKENIZER_CACHE)  # atomic: a concurrent run sees all files or none
        except OSError:  # another run won the race; its files are the same
            shutil.rmtree(staging, ignore_errors=True)
    return SMOLLM2_TOKENIZER_CACHE


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory, smollm2_gguf) -> Path:
    """A tiny random reference Llama with SmolLM2's tokenizer and chat template."""
    folder = tmp_path_factory.mktemp("tiny-llama")
    shutil.copytree(_smollm2_tokenizer_files(smollm2_gguf), folder, dirs_exist_ok=True)
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    config = transformers.LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=37,
                                      num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                                      bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                                      pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=True)
    torch.manual_seed(0)
    transformers.LlamaForCausalLM(config).eval().save_pretrained(folder)
    return folder
