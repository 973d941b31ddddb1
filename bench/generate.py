"""Benchmark: greedy generate() tokens/s, ours vs the reference, in one process.

A tiny-ish random Llama (4 layers, hidden 256, vocab 4096), the same weights on both sides,
64 new tokens after a 16-token prompt, batch 1 and batch 8 (dynamic cache, fp32 CPU). Each
side runs once to warm up, then the best of ``BENCH_GENERATE_REPEATS`` (default 3) counts.
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import torch  # noqa: E402
import transformers  # noqa: E402

import embrace  # noqa: E402

NEW_TOKENS = 64
REPEATS = int(os.environ.get("BENCH_GENERATE_REPEATS", "3"))
CONFIG = dict(vocab_size=4096, hidden_size=256, intermediate_size=688, num_hidden_layers=4, num_attention_heads=8,
              num_key_value_heads=4, max_position_embeddings=512, eos_token_id=None, pad_token_id=0)


def tokens_per_second(model, prompt: torch.Tensor) -> float:
    kwargs = dict(max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS, do_sample=False)
    model.generate(prompt, **kwargs)
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        out = model.generate(prompt, **kwargs)
        best = min(best, time.perf_counter() - start)
    assert out.shape[1] == prompt.shape[1] + NEW_TOKENS
    return prompt.shape[0] * NEW_TOKENS / best


def main() -> None:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    ref = transformers.LlamaForCausalLM(transformers.LlamaConfig(**CONFIG)).eval()
    ours = embrace.LlamaForCausalLM(embrace.LlamaConfig(**CONFIG)).eval()
    ours.load_state_dict(ref.state_dict(), strict=True)
    for batch in (1, 8):
        prompt = torch.randint(1, CONFIG["vocab_size"], (batch, 16), generator=torch.Generator().manual_seed(batch))
        assert torch.equal(ours.generate(prompt, max_new_tokens=8), ref.generate(prompt, max_new_tokens=8))
        mine, theirs = tokens_per_second(ours, prompt), tokens_per_second(ref, prompt)
        print(f"generate greedy batch {batch} (tokens/s): ours {mine:.1f}, reference {theirs:.1f}, "
              f"ratio {mine / theirs:.2f}")


if __name__ == "__main__":
    main()
