"""Encoder forward throughput per family: embrace vs the reference, same weights, same inputs.

Small configs (6 layers, hidden 384, 12 heads: MiniLM-sized) of DistilBERT, RoBERTa and
ELECTRA run batches of 32 sequences of mixed lengths padded to 128 under
``torch.inference_mode`` with sdpa attention on both sides. The two models are timed in
alternation, one forward each, many times over; throughput and ratio come from each
side's fastest run, the one least disturbed by other load on the machine.

Run: ``.venv/bin/python bench/encoder_forward.py [--rounds N] [--families distilbert,roberta]``
"""

from __future__ import annotations

import argparse
import time

import torch

VOCAB = 30522
# family -> (config class name, model class name, config kwargs, pad id)
FAMILIES = {
    "distilbert": ("DistilBertConfig", "DistilBertModel",
                   dict(vocab_size=VOCAB, dim=384, n_layers=6, n_heads=12, hidden_dim=1536), 0),
    "roberta": ("RobertaConfig", "RobertaModel",
                dict(vocab_size=VOCAB, hidden_size=384, num_hidden_layers=6, num_attention_heads=12,
                     intermediate_size=1536, max_position_embeddings=514), 1),
    "electra": ("ElectraConfig", "ElectraModel",
                dict(vocab_size=VOCAB, embedding_size=128, hidden_size=384, num_hidden_layers=6,
                     num_attention_heads=12, intermediate_size=1536), 0),
}


def build_models(family: str):
    import transformers

    import embrace

    config_name, model_name, kwargs, _ = FAMILIES[family]
    torch.manual_seed(0)
    ref_config = getattr(transformers, config_name)(**kwargs)
    ref_config._attn_implementation = "sdpa"
    ref = getattr(transformers, model_name)(ref_config).eval()
    ours = getattr(embrace, model_name)(getattr(embrace, config_name)(**kwargs, attn_implementation="sdpa")).eval()
    ours.load_state_dict(ref.state_dict(), strict=True)
    return ours, ref


def make_batch(pad_id: int, batch_size: int = 32, max_len: int = 128) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    lengths = torch.randint(16, max_len + 1, (batch_size,), generator=g)
    lengths[0] = max_len  # the batch is padded to the longest sequence
    ids = torch.randint(1000, VOCAB, (batch_size, max_len), generator=g)
    mask = (torch.arange(max_len)[None, :] < lengths[:, None]).long()
    return {"input_ids": ids.masked_fill(mask == 0, pad_id), "attention_mask": mask}


def time_model(model, inputs) -> float:
    start = time.perf_counter()
    model(**inputs)
    return time.perf_counter() - start


def bench(family: str, rounds: int, batch_size: int) -> None:
    ours, ref = build_models(family)
    inputs = make_batch(FAMILIES[family][3], batch_size)
    keep = inputs["attention_mask"].bool()
    with torch.inference_mode():
        diff = (ours(**inputs).last_hidden_state - ref(**inputs).last_hidden_state)[keep].abs().max().item()
        assert diff < 1e-4, f"{family}: outputs differ by {diff}; the benchmark would compare different work"
        for model in (ours, ref):  # warm-up: allocator, thread pool, kernel selection
            time_model(model, inputs)
        ours_times, ref_times = [], []
        for _ in range(rounds):
            ours_times.append(time_model(ours, inputs))
            ref_times.append(time_model(ref, inputs))
    ours_tp, ref_tp = batch_size / min(ours_times), batch_size / min(ref_times)
    print(f"encoder_forward_{family} (seq/s): ours {ours_tp:.1f}, reference {ref_tp:.1f}, ratio {ours_tp / ref_tp:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--families", default=",".join(FAMILIES))
    args = parser.parse_args()
    for family in args.families.split(","):
        bench(family, args.rounds, args.batch_size)


if __name__ == "__main__":
    main()
