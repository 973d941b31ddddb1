"""Benchmark: embrace.datasets vs the reference ``datasets`` on common operations.

Prints::

    datasets_map_batched (s): ours X, reference Y, ratio Z
    datasets_shuffle_iterate (s): ours X, reference Y, ratio Z
    datasets_filter (s): ours X, reference Y, ratio Z
    datasets_filter_batched (s): ours X, reference Y, ratio Z

On an in-memory dataset of ``--rows`` rows (default 200,000) of short texts and labels:
a batched ``map`` with a simple string function, ``shuffle(seed=42)`` followed by a full
row iteration, and ``filter`` row by row and batched. Each value is the median of
``--runs`` runs, both libraries in this one process, progress bars off. Ratio =
ours / reference (lower is better).

Usage: ``python bench/datasets_ops.py [--rows N] [--runs N]``
"""

from __future__ import annotations

import argparse
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


if __name__ == "__main__":
    main()
