"""Benchmark: encoder-decoder beam-search generate() tokens/s, ours vs the reference, in one process.

One row of ``MODELS`` per family: a random model (same weights on both sides), a batch of 8
prompts of 24 tokens, beam search with 4 beams and exactly 32 new tokens (fp32 CPU, one
thread). Each side runs once to warm up, then the best of ``BENCH_SEQ2SEQ_REPEATS`` (default 3)
counts. Throughput = batch * new tokens / seconds (higher is better; ratio = ours / reference).
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import torch  # noqa: E402
import transformers  # noqa: E402

import embrace  # noqa: E402

NEW_TOKENS = 32
BATCH = 8
PROMPT = 24
REPEATS = int(os.environ.get("BENCH_SEQ2SEQ_REPEATS", "3"))

# name -> (config class, model class, config kwargs); both libraries export the same names.
MODELS: dict[str, tuple[str, str, dict]] = {
    "bart": ("BartConfig", "BartForConditionalGeneration", dict(
        vocab_size=4096, d_model=256, encoder_layers=3, decoder_layers=3, encoder_attention_heads=8,
        decoder_attention_heads=8, encoder_ffn_dim=1024, decoder_ffn_dim=1024, max_position_embeddings=128,
    )),
    "t5": ("T5Config", "T5ForConditionalGeneration", dict(
        vocab_size=4096, d_model=256, d_kv=32, d_ff=688, num_layers=3, num_heads=8, feed_forward_proj="gated-gelu",
        decoder_start_token_id=0,
    )),
}


def tokens_per_second(model, prompt: torch.Tensor) -> float:
    kwargs = dict(max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS, num_beams=4, do_sample=False)
    model.generate(prompt, **kwargs)
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        out = model.generate(prompt, **kwargs)
        best = min(best, time.perf_counter() - start)
    assert out.shape == (prompt.shape[0], NEW_TOKENS + 1)  # decoder start token + new tokens
    return prompt.shape[0] * NEW_TOKENS / best


def main() -> None:
    torch.set_num_threads(1)
    for name, (config_name, class_name, config) in MODELS.items():
        torch.manual_seed(0)
        ref = getattr(transformers, class_name)(getattr(transformers, config_name)(**config)).eval()
        ours = getattr(embrace, class_name)(getattr(embrace, config_name)(**config)).eval()
        ours.load_state_dict(ref.state_dict(), strict=True)
        prompt = torch.randint(3, config["vocab_size"], (BATCH, PROMPT), generator=torch.Generator().manual_seed(0))
        check = dict(max_new_tokens=8, num_beams=4, do_sample=False)
        assert torch.equal(ours.generate(prompt, **check), ref.generate(prompt, **check))
        mine, theirs = tokens_per_second(ours, prompt), tokens_per_second(ref, prompt)
        print(f"{name} generate beam-4 batch {BATCH} (tokens/s, throughput): ours {mine:.1f}, "
              f"reference {theirs:.1f}, ratio {mine / theirs:.2f}")


if __name__ == "__main__":
    main()
