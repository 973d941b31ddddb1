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


def assisted_tokens_per_second(model, assistant, prompt: torch.Tensor) -> float:
    """Greedy assisted generation (draft length 4, no confidence stop), best of REPEATS."""
    assistant.generation_config.num_assistant_tokens = 4
    assistant.generation_config.num_assistant_tokens_schedule = "constant"
    assistant.generation_config.assistant_confidence_threshold = 0.0
    kwargs = dict(max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS, assistant_model=assistant)
    model.generate(prompt, **kwargs)
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        model.generate(prompt, **kwargs)
        best = min(best, time.perf_counter() - start)
    return NEW_TOKENS / best


def bench_assisted(ref, ours) -> None:
    """The assistant is the main model's first layer (same embeddings and head): it agrees often, not always."""
    small = dict(CONFIG, num_hidden_layers=1)
    ref_small = transformers.LlamaForCausalLM(transformers.LlamaConfig(**small)).eval()
    ref_small.load_state_dict(ref.state_dict(), strict=False)
    ours_small = embrace.LlamaForCausalLM(embrace.LlamaConfig(**small)).eval()
    ours_small.load_state_dict(ref_small.state_dict(), strict=True)
    prompt = torch.randint(1, CONFIG["vocab_size"], (1, 16), generator=torch.Generator().manual_seed(1))
    assisted = assisted_tokens_per_second(ours, ours_small, prompt)
    plain = tokens_per_second(ours, prompt)
    theirs = assisted_tokens_per_second(ref, ref_small, prompt)
    print(f"generate assisted greedy vs plain greedy, ours, batch 1 (tokens/s, throughput): assisted {assisted:.1f}, "
          f"plain {plain:.1f}, ratio {assisted / plain:.2f}")
    print(f"generate assisted greedy batch 1 (tokens/s, throughput): ours {assisted:.1f}, reference {theirs:.1f}, "
          f"ratio {assisted / theirs:.2f}")


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
    bench_assisted(ref, ours)


if __name__ == "__main__":
    main()
