"""`embrace run`: the project's main job, run by `make run`.

Loads the real all-MiniLM-L6-v2 checkpoint with embrace, prints its config and parameter
count, encodes a small batch of sentences and prints how similar their mean-pooled
embeddings are. Until embrace's tokenizer lands, words are looked up in `vocab.txt`
directly (every word used here is a whole entry of the BERT vocabulary).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

SENTENCES = [
    "the cat sits on the mat",
    "a dog sleeps on the rug",
    "stock markets fell sharply today",
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        default=os.environ.get("EMBRACE_DEMO_MODEL"),
        help="folder or cached repo id of a BERT checkpoint (default: $EMBRACE_DEMO_MODEL)",
    )


def _ids_from_vocab(model_dir: Path, sentences: list[str]) -> tuple[list[list[int]], list[list[int]]]:
    vocab = {token: i for i, token in enumerate((model_dir / "vocab.txt").read_text(encoding="utf-8").splitlines())}
    rows = [[vocab["[CLS]"], *(vocab[word] for word in sentence.split()), vocab["[SEP]"]] for sentence in sentences]
    width = max(len(row) for row in rows)
    ids = [row + [vocab["[PAD]"]] * (width - len(row)) for row in rows]
    mask = [[1] * len(row) + [0] * (width - len(row)) for row in rows]
    return ids, mask


def run(args: argparse.Namespace) -> int:
    import torch

    from embrace import AutoModel

    if not args.model:
        raise SystemExit("embrace run: pass --model PATH (or set EMBRACE_DEMO_MODEL); `make run` does this for you.")
    start = time.perf_counter()
    model = AutoModel.from_pretrained(args.model)
    loaded = time.perf_counter() - start
    print(model.config)
    print(f"{type(model).__name__}: {model.num_parameters():,} parameters, loaded in {loaded:.2f}s")

    ids, mask = _ids_from_vocab(Path(args.model), SENTENCES)
    input_ids, attention_mask = torch.tensor(ids), torch.tensor(mask)
    with torch.inference_mode():
        hidden = model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
    print(f"input_ids {tuple(input_ids.shape)} -> last_hidden_state {tuple(hidden.shape)}")

    # Mean pooling over real tokens, then cosine similarity: what sentence-transformers does.
    weights = attention_mask.unsqueeze(-1).to(hidden.dtype)  # (batch, seq, 1)
    embeddings = torch.nn.functional.normalize((hidden * weights).sum(1) / weights.sum(1), dim=-1)
    similarity = embeddings @ embeddings.T  # (batch, batch)
    for i, sentence in enumerate(SENTENCES):
        for j in range(i + 1, len(SENTENCES)):
            print(f"similarity {similarity[i, j].item():+.3f}  {sentence!r} vs {SENTENCES[j]!r}")
    return 0
