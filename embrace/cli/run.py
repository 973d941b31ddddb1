"""`embrace run`: the project's main job, run by `make run`.

Loads the real all-MiniLM-L6-v2 checkpoint and its tokenizer with embrace, prints the
config and parameter count, embeds a few sentences the way the checkpoint's
sentence-transformers files say (pooling from `1_Pooling/config.json`, then L2
normalisation when `modules.json` lists it) and prints their cosine similarities.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

SENTENCES = [
    "The cat sits on the mat.",
    "A kitten is resting on a rug.",
    "Stock markets fell sharply today.",
    "Shares tumbled as investors panicked.",
]

# pooling_mode_* key in 1_Pooling/config.json -> how to pool (batch, seq, dim) to (batch, dim)
_POOLINGS = ("pooling_mode_cls_token", "pooling_mode_mean_tokens", "pooling_mode_max_tokens",
             "pooling_mode_mean_sqrt_len_tokens")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        default=os.environ.get("EMBRACE_DEMO_MODEL"),
        help="folder of a sentence-embedding BERT checkpoint (default: $EMBRACE_DEMO_MODEL)",
    )
    parser.add_argument("sentences", nargs="*", help="sentences to compare (default: a built-in set)")


def _pooling_config(model_dir: Path) -> tuple[str, bool]:
    """The pooling mode and whether to normalise, from the sentence-transformers files."""
    pooling_file = model_dir / "1_Pooling" / "config.json"
    settings = json.loads(pooling_file.read_text()) if pooling_file.exists() else {"pooling_mode_mean_tokens": True}
    modes = [mode for mode in _POOLINGS if settings.get(mode)]
    if len(modes) != 1:
        raise SystemExit(f"embrace run: expected exactly one pooling mode in {pooling_file}, found {modes or 'none'}.")
    modules_file = model_dir / "modules.json"
    modules = json.loads(modules_file.read_text()) if modules_file.exists() else []
    normalize = any(m.get("type", "").endswith("Normalize") for m in modules)
    return modes[0], normalize


def _pool(hidden, mask, mode: str):
    import torch

    weights = mask.unsqueeze(-1).to(hidden.dtype)  # (batch, seq, 1): 1 on real tokens
    if mode == "pooling_mode_cls_token":
        return hidden[:, 0]
    if mode == "pooling_mode_max_tokens":
        return hidden.masked_fill(weights == 0, torch.finfo(hidden.dtype).min).max(dim=1).values
    summed, counts = (hidden * weights).sum(1), weights.sum(1).clamp(min=1e-9)
    return summed / (counts.sqrt() if mode == "pooling_mode_mean_sqrt_len_tokens" else counts)


def run(args: argparse.Namespace) -> int:
    import torch

    from embrace import AutoModel, AutoTokenizer

    if not args.model:
        raise SystemExit("embrace run: pass --model PATH (or set EMBRACE_DEMO_MODEL); `make run` does this for you.")
    model_dir = Path(args.model)
    start = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir)
    loaded = time.perf_counter() - start
    print(model.config)
    print(f"{type(model).__name__}: {model.num_parameters():,} parameters; "
          f"{type(tokenizer).__name__} with {len(tokenizer):,} tokens; loaded in {loaded:.2f}s")

    sentences = args.sentences or SENTENCES
    batch = tokenizer(sentences, padding=True, truncation=True, return_tensors="pt")
    print(f"tokens of {sentences[0]!r}: {tokenizer.convert_ids_to_tokens(batch['input_ids'][0])}")
    with torch.inference_mode():
        hidden = model(**batch).last_hidden_state  # (batch, seq, dim)
    mode, normalize = _pooling_config(model_dir)
    embeddings = _pool(hidden, batch["attention_mask"], mode)  # (batch, dim)
    if normalize:
        embeddings = torch.nn.functional.normalize(embeddings, dim=-1)
    print(f"{len(sentences)} sentences -> embeddings {tuple(embeddings.shape)} ({mode}, normalize={normalize})")
    unit = torch.nn.functional.normalize(embeddings, dim=-1)
    similarity = unit @ unit.T  # (batch, batch) cosine similarities
    for i, sentence in enumerate(sentences):
        for j in range(i + 1, len(sentences)):
            print(f"cosine {similarity[i, j].item():+.3f}  {sentence!r} vs {sentences[j]!r}")
    return 0
