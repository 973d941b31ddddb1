"""BERT encoder forward throughput: embrace vs the reference, same weights, same inputs.

A MiniLM-sized BERT (6 layers, hidden 384, 12 heads) runs batches of 32 sequences of
mixed lengths padded to 128 under ``torch.inference_mode``, with the sdpa attention on
both sides. The two models are timed in alternation, one forward each, many times over:
throughput and ratio come from each side's fastest run, the one least disturbed by other
load on the machine.

Run: ``.venv/bin/python bench/bert_forward.py [--rounds N] [--iters N]``
"""

from __future__ import annotations

import argparse
import time

import torch

CONFIG = dict(
    vocab_size=30522,
    hidden_size=384,
    num_hidden_layers=6,
    num_attention_heads=12,
    intermediate_size=1536,
    max_position_embeddings=512,
)


def build_models():
    import transformers

    import embrace.models.bert as eb

    torch.manual_seed(0)
    ref = transformers.BertModel(transformers.BertConfig(**CONFIG, attn_implementation="sdpa")).eval()
    ours = eb.BertModel(eb.BertConfig(**CONFIG, attn_implementation="sdpa")).eval()
    ours.load_state_dict(ref.state_dict(), strict=True)
    return ours, ref


def make_batch(batch_size: int = 32, max_len: int = 128) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    lengths = torch.randint(16, max_len + 1, (batch_size,), generator=g)
    lengths[0] = max_len  # the batch is padded to the longest sequence
    ids = torch.randint(1000, CONFIG["vocab_size"], (batch_size, max_len), generator=g)
    mask = (torch.arange(max_len)[None, :] < lengths[:, None]).long()
    ids = ids.masked_fill(mask == 0, 0)
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids)}


def time_model(model, inputs, iters: int) -> float:
    start = time.perf_counter()
    for _ in range(iters):
        model(**inputs)
    return (time.perf_counter() - start) / iters


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--iters", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    ours, ref = build_models()
    inputs = make_batch(args.batch_size)
    with torch.inference_mode():
        diff = (ours(**inputs).last_hidden_state - ref(**inputs).last_hidden_state).abs().max().item()
        assert diff < 1e-4, f"outputs differ by {diff}; the benchmark would compare different work"
        for model in (ours, ref):  # warm-up: allocator, thread pool, kernel selection
            time_model(model, inputs, 1)
        ours_times, ref_times = [], []
        for _ in range(args.rounds):
            ours_times.append(time_model(ours, inputs, args.iters))
            ref_times.append(time_model(ref, inputs, args.iters))
    ours_tp = args.batch_size / min(ours_times)
    ref_tp = args.batch_size / min(ref_times)
    print(
        f"bert_forward_throughput (seq/s): ours {ours_tp:.1f}, reference {ref_tp:.1f}, ratio {ours_tp / ref_tp:.3f}"
    )


if __name__ == "__main__":
    main()
